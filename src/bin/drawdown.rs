//! The `drawdown` command line: a thin layer over the core.
//!
//! drawdown vectors DIR...   run every *.json vector file; one line per failure, then
//!                           `N passed, N failed`; exit 1 on any failure
//! drawdown eval OP          read OP's input JSON on stdin, print canonical JSON output;
//!                           on error print {"error":{...}} and exit 2

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: drawdown vectors DIR... | drawdown eval OP | drawdown version\n\
OP is one of quoteCall, previewDrawdown, authorizeCall, validateAutoReload, evaluateAlerts";

fn vector_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    if dir.is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

fn vectors(dirs: &[String]) -> ExitCode {
    let (mut passed, mut failed) = (0usize, 0usize);
    for dir in dirs {
        let files = match vector_files(Path::new(dir)) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{dir}: {e}");
                return ExitCode::from(2);
            }
        };
        for file in files {
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    println!("FAIL {}: {e}", file.display());
                    failed += 1;
                    continue;
                }
            };
            match drawdown::vectors::run_file(&text) {
                Ok((n, failures)) => {
                    for (name, why) in &failures {
                        println!("FAIL {} :: {name}: {why}", file.display());
                    }
                    failed += failures.len();
                    passed += n - failures.len();
                }
                Err(why) => {
                    println!("FAIL {}: {why}", file.display());
                    failed += 1;
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn eval(op: &str) -> ExitCode {
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("cannot read stdin: {e}");
        return ExitCode::from(2);
    }
    match drawdown::ops::eval_text(op, &input) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            println!("{err}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("vectors") if args.len() > 1 => vectors(&args[1..]),
        Some("eval") if args.len() == 2 => eval(&args[1]),
        Some("version") => {
            println!("{}", drawdown::version());
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

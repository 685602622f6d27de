//! The `drawdown` command line: a thin layer over the core.
//!
//! drawdown vectors DIR...   run every *.json vector file; one line per failure, then
//!                           `N passed, N failed`; exit 1 on any failure
//! drawdown eval OP          read OP's input JSON on stdin, print canonical JSON output;
//!                           on error print {"error":{...}} and exit 2
//! drawdown eval-lines       read `{"op":..,"input":..}` lines on stdin, print one canonical
//!                           output (or error document) per line: the parity test's batch mode

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str =
    "usage: drawdown vectors DIR... | drawdown eval OP | drawdown eval-lines | drawdown version\n\
       drawdown serve [--addr HOST:PORT] [--database-url URL] [--admin-token T] [--payments test|manual]\n\
                      [--static DIR] [--demo] [--usage-max-age 35d] [--usage-max-ahead 5m] [--live-skew 5s]\n\
                      [--allow-private-webhooks] [--webhook-ca PEM] [--test-clock]\n\
                      [--seller seller.json] [--vies test|test-invalid|test-unavailable|live]\n\
                      [--allowances-before-fee]\n\
OP is one of quoteCall, previewDrawdown, authorizeCall, validateAutoReload, evaluateAlerts,\n\
             startCall, extendCall, endCall, quoteTopUp, forecastRunway";

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

fn eval_lines() -> ExitCode {
    use std::io::{BufRead, BufWriter, Write};
    let stdin = std::io::stdin();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (n, line) in stdin.lock().lines().enumerate() {
        let Ok(line) = line else {
            return ExitCode::from(2);
        };
        if line.trim().is_empty() {
            continue;
        }
        let result = match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(v) => match (v.get("op").and_then(|o| o.as_str()), v.get("input")) {
                (Some(op), Some(input)) => match drawdown::eval(op, input) {
                    Ok(o) => drawdown::canonical(&o),
                    Err(e) => drawdown::canonical(&drawdown::ops::error_json(&e)),
                },
                _ => {
                    eprintln!("line {}: needs `op` and `input`", n + 1);
                    return ExitCode::from(2);
                }
            },
            Err(e) => {
                eprintln!("line {}: {e}", n + 1);
                return ExitCode::from(2);
            }
        };
        if writeln!(out, "{result}").is_err() {
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

/// `drawdown serve`: the authoritative server (built with `--features server`).
#[cfg(feature = "server")]
fn serve(args: &[String]) -> ExitCode {
    let mut c = serve_defaults();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--help" || a == "-h" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        let mut val = || it.next().cloned().unwrap_or_default();
        if let Err(e) = serve_option(&mut c, a, &mut val) {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    }
    match drawdown::server::serve(c) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("drawdown serve: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What `drawdown serve` runs with before its options: port 8080, `drawdown.db`, the test
/// payment provider; `DRAWDOWN_ADMIN_TOKEN` and `DATABASE_URL` from the environment.
#[cfg(feature = "server")]
fn serve_defaults() -> drawdown::server::Config {
    use std::sync::Arc;
    drawdown::server::Config {
        addr: "127.0.0.1:8080".into(),
        database_url: std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite:drawdown.db".into()),
        admin_token: std::env::var("DRAWDOWN_ADMIN_TOKEN")
            .ok()
            .filter(|t| !t.is_empty()),
        provider: Arc::new(drawdown::server::provider::TestProvider),
        static_dir: None,
        demo: false,
        window: Default::default(),
        allow_private_webhooks: false,
        webhook_ca: None,
        seller: None,
        vies: Arc::new(drawdown::server::profile::TestVies("valid")),
        test_clock: false,
        allowances_before_fee: false,
    }
}

/// One option of `drawdown serve` (`val` takes its value).
#[cfg(feature = "server")]
fn serve_option(
    c: &mut drawdown::server::Config,
    a: &str,
    val: &mut dyn FnMut() -> String,
) -> Result<(), String> {
    use drawdown::server::provider::{ManualProvider, TestProvider};
    use std::sync::Arc;
    match a {
        "--addr" => c.addr = val(),
        "--database-url" => c.database_url = val(),
        "--admin-token" => c.admin_token = Some(val()),
        "--static" => c.static_dir = Some(val().into()),
        "--demo" => c.demo = true,
        "--allow-private-webhooks" => c.allow_private_webhooks = true,
        "--test-clock" => c.test_clock = true,
        "--allowances-before-fee" => c.allowances_before_fee = true,
        "--webhook-ca" => c.webhook_ca = Some(val().into()),
        "--seller" => {
            let s = drawdown::server::invoices::Seller::load(std::path::Path::new(&val()))
                .map_err(|e| format!("--seller: {e}"))?;
            c.seller = Some(Arc::new(s));
        }
        "--vies" => c.vies = drawdown::server::profile::vies_by_name(&val())?,
        "--usage-max-age" | "--usage-max-ahead" | "--live-skew" => {
            let d = duration(&val())
                .ok_or_else(|| format!("{a} takes a duration such as 35d, 12h, 5m or 30s"))?;
            match a {
                "--usage-max-age" => c.window.behind = d,
                "--live-skew" => c.window.live_skew = d,
                _ => c.window.ahead = d,
            }
        }
        "--payments" => match val().as_str() {
            "test" => c.provider = Arc::new(TestProvider),
            "manual" => c.provider = Arc::new(ManualProvider),
            other => return Err(format!("--payments is `test` or `manual`, not `{other}`")),
        },
        other => return Err(format!("unknown option `{other}`\n{USAGE}")),
    }
    Ok(())
}

/// `35d`, `12h`, `5m`, `30s`: a whole number and its unit.
#[cfg(feature = "server")]
fn duration(s: &str) -> Option<chrono::Duration> {
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()]
        .parse()
        .ok()
        .filter(|n| *n >= 0)?;
    let secs = n.checked_mul(match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        's' => 1,
        _ => return None,
    })?;
    (secs <= 100 * 366 * 86_400).then(|| chrono::Duration::seconds(secs))
}

#[cfg(not(feature = "server"))]
fn serve(_: &[String]) -> ExitCode {
    eprintln!("this drawdown was built without the server; build with `--features server`");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("vectors") if args.len() > 1 => vectors(&args[1..]),
        Some("eval") if args.len() == 2 => eval(&args[1]),
        Some("eval-lines") if args.len() == 1 => eval_lines(),
        Some("serve") => serve(&args[1..]),
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

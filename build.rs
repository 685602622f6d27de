//! Embeds the vector files (and, when the test script provides them, the native build's
//! canonical outputs) into the WebAssembly tests, which cannot read the file system.

use std::{env, fs, path::Path};

fn main() {
    let out = env::var("OUT_DIR").unwrap();
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("tests/vectors");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut code = String::from("pub const VECTOR_FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().unwrap().to_string_lossy();
        code += &format!(
            "    ({name:?}, include_str!({:?})),\n",
            f.display().to_string()
        );
    }
    code += "];\n";
    println!("cargo:rerun-if-env-changed=DRAWDOWN_NATIVE_CANONICAL");
    match env::var("DRAWDOWN_NATIVE_CANONICAL") {
        Ok(path) if Path::new(&path).is_file() => {
            println!("cargo:rerun-if-changed={path}");
            code += &format!(
                "pub const NATIVE_CANONICAL: Option<&str> = Some(include_str!({path:?}));\n"
            );
        }
        _ => code += "pub const NATIVE_CANONICAL: Option<&str> = None;\n",
    }
    fs::write(Path::new(&out).join("vector_files.rs"), code).unwrap();
}

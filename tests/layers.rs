//! The crate's layers, read from the `use` lines and paths of `src/`: every module imports
//! only modules of its own layer or below, and no two modules import each other, directly or
//! around a circle. A new module must be placed in `LAYERS` before it can be imported.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// From the bottom up. A module belongs to the first entry that is its path or a prefix of
/// it (`server::books` holds `server::books::calls`); each entry is one layer.
const LAYERS: &[&str] = &[
    // The engine: each of its modules is a layer of its own, in this order.
    "engine::error",
    "engine::id",
    "engine::pathde",
    "engine::amount",
    "engine::tzdata",
    "engine::calendar",
    "engine::alerts",
    "engine::model",
    "engine::inbound",
    "engine::rating",
    "engine::pools",
    "engine::reload",
    "engine::drawdown",
    "engine::runway",
    "engine::ledger",
    "engine::redraw",
    "engine::authorize",
    "engine::live",
    "engine::lease",
    "engine::call_body",
    "engine::edge",
    "engine",
    // The tax rules, the operations by name, the vectors' runner.
    "tax",
    "ops",
    "vectors",
    // The WebAssembly binding.
    "wasm",
    // The server, bottom up: what a job answers and the clock, storage, the books, HTTP.
    "server::outcome",
    "server::clock",
    "server::storage",
    "server::books",
    "server::http",
    "server",
    // The command line.
    "bin",
];

/// `src/a/b.rs` and `src/a/b/mod.rs` are module `a::b`; `src/lib.rs` is the root.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("src/ is readable") {
            let p = e.expect("a directory entry").path();
            if p.is_dir() {
                dirs.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel = p.strip_prefix(src).expect("under src/").with_extension("");
            let mut name = rel.to_string_lossy().replace('/', "::");
            if name == "mod" || name.ends_with("::mod") {
                name = name
                    .trim_end_matches("mod")
                    .trim_end_matches("::")
                    .to_string();
            }
            if name == "lib" {
                continue;
            }
            let text = std::fs::read_to_string(&p).expect("a readable source file");
            out.insert(name, text);
        }
    }
    out
}

/// The code without comments and without its unit-test modules (`#[cfg(test)] mod x {}`).
/// Inside an inline module (`pub mod dec { use super::*; }`), `super` is the file's module.
fn code(text: &str) -> String {
    let mut out = String::new();
    let (mut skipped, mut inline): (Option<i32>, Option<i32>) = (None, None);
    let mut test_attr = false;
    for line in text.lines() {
        let l = line.split("//").next().unwrap_or("");
        let opened = l.matches('{').count() as i32 - l.matches('}').count() as i32;
        if let Some(depth) = skipped.as_mut() {
            *depth += opened;
            skipped = skipped.filter(|d| *d > 0);
            continue;
        }
        let is_mod = l
            .trim_start()
            .trim_start_matches("pub ")
            .starts_with("mod ")
            && opened > 0;
        if is_mod && test_attr {
            skipped = Some(opened);
            continue;
        }
        test_attr = l.trim().starts_with("#[cfg(") && l.contains("test");
        match inline.as_mut() {
            Some(depth) => {
                *depth += opened;
                out.push_str(&l.replace("super::", "self::"));
                inline = inline.filter(|d| *d > 0);
            }
            None => {
                inline = is_mod.then_some(opened);
                out.push_str(l);
            }
        }
        out.push('\n');
    }
    out
}

/// `a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let Some(open) = tree.find('{') else {
        return vec![tree.to_string()];
    };
    let (prefix, inner) = (&tree[..open], &tree[open + 1..tree.len() - 1]);
    let (mut parts, mut depth, mut cur) = (vec![], 0, String::new());
    for ch in inner.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    parts.push(cur);
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(&format!("{prefix}{p}")))
        .collect()
}

/// Every path the code names: `use` trees expanded, and `crate::`/`super::` paths inline.
fn paths(code: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().last();
        rest = &rest[i + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        let tree: String = rest[..end].chars().filter(|c| !c.is_whitespace()).collect();
        out.extend(expand(&tree));
    }
    for start in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(i) = rest.find(start) {
            let tail = &rest[i..];
            let len = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            out.push(tail[..len].trim_end_matches(':').to_string());
            rest = &tail[len..];
        }
    }
    out
}

/// The module a path names from `module` (the longest known prefix), if it is one of ours.
fn resolve(module: &str, path: &str, known: &BTreeSet<String>) -> Option<String> {
    let segs: Vec<&str> = path.split("::").collect();
    let here: Vec<&str> = if module.is_empty() {
        vec![]
    } else {
        module.split("::").collect()
    };
    let (mut base, mut rest): (Vec<&str>, &[&str]) = match segs.first() {
        Some(&"crate") => (vec![], &segs[1..]),
        Some(&"self") => (here.clone(), &segs[1..]),
        Some(&"super") => (here.clone(), &segs[..]),
        // A child of this module named without `self::`.
        Some(first) if known.contains(&format!("{module}::{first}")) => (here.clone(), &segs[..]),
        _ => return None,
    };
    while rest.first() == Some(&"super") {
        base.pop();
        rest = &rest[1..];
    }
    (0..=rest.len()).rev().find_map(|n| {
        let m = base
            .iter()
            .chain(&rest[..n])
            .copied()
            .collect::<Vec<_>>()
            .join("::");
        known.contains(&m).then_some(m)
    })
}

fn layer(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| module == *l || module.starts_with(&format!("{l}::")))
        .unwrap_or_else(|| panic!("module `{module}` is in no layer: add it to LAYERS"))
}

fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let files = modules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let known: BTreeSet<String> = files.keys().cloned().collect();
    files
        .iter()
        .map(|(m, text)| {
            let deps = paths(&code(text))
                .iter()
                .filter_map(|p| resolve(m, p, &known))
                .filter(|d| d != m && !d.is_empty())
                .collect();
            (m.clone(), deps)
        })
        .collect()
}

#[test]
fn no_module_imports_a_higher_layer() {
    let mut wrong = vec![];
    for (m, deps) in imports() {
        for d in deps {
            if layer(&d) > layer(&m) {
                wrong.push(format!("{m} -> {d}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that go up a layer:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_two_modules_import_each_other_around_a_circle() {
    let g = imports();
    let mut circles = vec![];
    for start in g.keys() {
        // A path back to `start` through its imports is a circle.
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        while let Some((m, trail)) = stack.pop() {
            for d in g.get(&m).into_iter().flatten() {
                if d == start {
                    circles.push(trail.join(" -> ") + " -> " + start);
                } else if seen.insert(d.clone()) {
                    let mut t = trail.clone();
                    t.push(d.clone());
                    stack.push((d.clone(), t));
                }
            }
        }
    }
    assert!(circles.is_empty(), "circles:\n{}", circles.join("\n"));
}

#[test]
fn the_checker_sees_imports_and_circles() {
    let known: BTreeSet<String> = [
        "engine",
        "engine::model",
        "engine::edge",
        "engine::edge::machine",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let found: Vec<Option<String>> = [
        ("engine::edge::machine", "super::EdgeMachine"),
        ("engine::edge", "machine::run"),
        ("engine::edge", "crate::engine::model::{Account, Hold}"),
        ("engine::edge", "serde::Serialize"),
    ]
    .iter()
    .map(|(m, p)| expand(p).first().and_then(|p| resolve(m, p, &known)))
    .collect();
    assert_eq!(
        found,
        [
            Some("engine::edge".to_string()),
            Some("engine::edge::machine".to_string()),
            Some("engine::model".to_string()),
            None
        ]
    );
    assert_eq!(expand("a::{b,c::{d,e}}"), ["a::b", "a::c::d", "a::c::e"]);
    assert!(layer("server::books::calls") > layer("server::storage::store"));
    assert!(layer("engine::model") > layer("engine::alerts"));
}

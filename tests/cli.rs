//! The `drawdown` binary: `eval` and `vectors` as documented in the README.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], stdin: &str) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_drawdown"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn eval_prints_canonical_json() {
    let input = r#"{"rateCard":{"currency":"EUR","creditsPerUnit":"100","voice":{"perMinute":"7"}},
                    "call":{"direction":"outbound","connectedSeconds":7200}}"#;
    let (code, out) = run(&["eval", "quoteCall"], input);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        r#"{"lines":[{"bucket":"ai_minutes","channel":"voice","code":"voice.ai_minutes","credits":"840.0000","increment":"1/1","quantity":"7200","rate":"7","unit":"second"}],"totalCredits":"840.0000","totalMoney":{"amount":"8.40","currency":"EUR"}}"#
    );
}

#[test]
fn eval_errors_exit_2_with_an_error_document() {
    let (code, out) = run(
        &["eval", "evaluateAlerts"],
        r#"{"settings":{},"balance":0.5}"#,
    );
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["code"], "invalid_decimal");
    assert_eq!(v["error"]["field"], "balance");
    let (code, out) = run(&["eval", "quoteCall"], "not json");
    assert_eq!(code, 2);
    assert!(out.contains("invalid_json"));
}

#[test]
fn vectors_reports_failures_and_counts() {
    let dir = std::env::temp_dir().join(format!("drawdown-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("v.json"),
        r#"[{"name":"good","op":"evaluateAlerts","input":{"settings":{},"balance":"1"},"expect":{"state":"ok"}},
            {"name":"bad","op":"evaluateAlerts","input":{"settings":{},"balance":"1"},"expect":{"state":"info"}}]"#,
    )
    .unwrap();
    let (code, out) = run(&["vectors", dir.to_str().unwrap()], "");
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 1);
    assert!(out.contains("bad"), "{out}");
    assert_eq!(out.lines().last().unwrap(), "1 passed, 1 failed");
}

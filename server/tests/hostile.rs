//! Hostile inputs from issue 18, generated here (never committed as files): `check` must report
//! each as a `parse-error` that names the limit, keep analysing the other files, and never crash
//! or take super-linear time.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::write;

const BIN: &str = env!("CARGO_BIN_EXE_convex-migrate");

fn schema(role: &str) -> String {
    format!(
        "import {{ defineSchema, defineTable }} from \"convex/server\";\nimport {{ v }} from \"convex/values\";\n\nexport default defineSchema({{\n  users: defineTable({{\n    name: v.string(),\n    role: {role},\n  }}),\n}});\n"
    )
}

/// The files of issue 18: ~100,000 nested `(`, ~100,000 nested `() =>`, ~8,000 nested `<a>`.
fn hostile_files() -> Vec<(&'static str, String)> {
    vec![
        ("convex/parens.ts", format!("export const a = {}1{};\n", "(".repeat(100_000), ")".repeat(100_000))),
        ("convex/arrows.ts", format!("export const a = {}1;\n", "() => ".repeat(100_000))),
        ("convex/asserts.ts", format!("export const a = {}x;\n", "<a>".repeat(8_000))),
        ("convex/blocks.js", format!("export function f() {{{}{}}}\n", "{".repeat(100_000), "}".repeat(100_000))),
    ]
}

fn diagnostics(root: &Path) -> (Option<i32>, Vec<serde_json::Value>, Duration) {
    let started = Instant::now();
    let out = Command::new(BIN)
        .args(["check", "work", "--base-dir", "base", "--format", "json"])
        .current_dir(root)
        .output()
        .expect("binary runs");
    let took = started.elapsed();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {:?} stderr {}", out.stdout, String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), json["diagnostics"].as_array().cloned().unwrap_or_default(), took)
}

#[test]
fn check_reports_each_limit_and_analyses_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "base/convex/schema.ts", &schema("v.optional(v.string())"));
    write(root, "work/convex/schema.ts", &schema("v.string()"));
    for (path, text) in hostile_files() {
        write(&root.join("work"), path, &text);
    }
    let (code, diagnostics, took) = diagnostics(root);
    assert_eq!(code, Some(1), "{diagnostics:#?}");
    let found = |path: &str, rule: &str| diagnostics.iter().find(|d| d["path"] == path && d["rule"] == rule).cloned();
    // The schema is still analysed.
    assert!(found("convex/schema.ts", "required-without-backfill").is_some(), "{diagnostics:#?}");
    let nesting = "nesting deeper than 1,000 levels: the file is not analysed. Split the file, or flatten its deepest nesting";
    for (path, message) in [
        ("convex/parens.ts", nesting),
        ("convex/arrows.ts", nesting),
        ("convex/blocks.js", nesting),
        (
            "convex/asserts.ts",
            "parsing would take more than 10,000,000 steps (nested type assertions, comparisons or labels that the parser must try more than once): the file is not analysed. Split the file, or flatten its deepest nesting",
        ),
    ] {
        let d = found(path, "parse-error").unwrap_or_else(|| panic!("no parse-error for {path}: {diagnostics:#?}"));
        assert_eq!(d["message"], message, "{path}");
        assert_eq!(d["severity"], "error");
    }
    assert!(took < Duration::from_secs(20), "check took {took:?}");
}

/// `const f1 = { ...f0, ...f0 }`, `f2 = { ...f1, ...f1 }`, …: each line doubled the linker's work
/// (24 lines took 16 s). Its work is bounded now.
#[test]
fn doubling_spreads_resolve_in_bounded_time() {
    let n = 24;
    let mut text = String::from("import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\nconst f0 = { a: v.string() };\n");
    for i in 1..=n {
        text.push_str(&format!("const f{i} = {{ ...f{}, ...f{} }};\n", i - 1, i - 1));
    }
    text.push_str(&format!("export default defineSchema({{ users: defineTable(f{n}) }});\n"));
    let files = vec![("convex/schema.ts".to_string(), text)];
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .stack_size(convex_migrate::STACK_SIZE)
        .spawn(move || {
            let ws = convex_migrate::sources::load_files(&files, Some(&files));
            let _ = tx.send(ws.analyze().findings.len());
        })
        .unwrap();
    rx.recv_timeout(Duration::from_secs(5)).expect("the analysis finishes in seconds");
}

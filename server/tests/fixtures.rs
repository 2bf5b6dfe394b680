//! Data-driven rule tests: every `tests/fixtures/rules/*.fixture` holds a base and a working side
//! of a project, with the expected findings written under the line they point at:
//!
//! ```text
//! //- base: convex/schema.ts
//! ...
//! //- convex/schema.ts
//!     role: v.string(),
//! //  ^^^^ error: required-without-backfill -- no backfill for it is deployed
//! ```
//!
//! Annotation lines (`//` then carets) are removed from the file before analysis; the carets give
//! the column and length on the line above, then `severity: rule`, then optionally `-- text` that
//! the message must contain. A fixture without `base:` files has no baseline. A section
//! `//- after "TITLE": PATH` holds the text of PATH after the fix whose title starts with TITLE.

use std::path::Path;

use convex_migrate::line_index::{ColumnUnit, LineIndex};
use convex_migrate::sources::load_files;

mod common;
use common::fixture::{parse_fixture, rule_fixtures, Expected};

fn run_fixture(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let fixture = parse_fixture(&text);
    let ws = load_files(&fixture.working, (!fixture.base.is_empty()).then_some(fixture.base.as_slice()));
    let analysis = ws.analyze();
    let text_of = |p: &str| fixture.working.iter().find(|(fp, _)| fp == p).map(|(_, t)| t.clone()).unwrap_or_default();
    let mut actual: Vec<(Expected, String)> = analysis
        .findings
        .iter()
        .map(|f| {
            let text = text_of(&f.location.path);
            let index = LineIndex::new(&text);
            let start = index.line_col(&text, f.location.range.start, ColumnUnit::Utf8);
            let end = index.line_col(&text, f.location.range.end, ColumnUnit::Utf8);
            let len = if end.line == start.line { end.col - start.col } else { index.line_range(&text, start.line).len() - start.col };
            let e = Expected {
                path: f.location.path.clone(),
                line: start.line,
                col: start.col,
                len: len.max(1),
                severity: f.severity.as_str().to_string(),
                rule: f.rule.id().to_string(),
            };
            (e, f.full_message())
        })
        .collect();
    actual.sort();
    let mut expected = fixture.expected.clone();
    expected.sort();
    let actual_keys: Vec<Expected> = actual.iter().map(|(e, _)| e.clone()).collect();
    let mut problems = Vec::new();
    if actual_keys != expected {
        let show = |list: &[Expected]| {
            list.iter()
                .map(|e| format!("    {}:{}:{} len {} {}: {}", e.path, e.line + 1, e.col + 1, e.len, e.severity, e.rule))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let messages: Vec<String> = actual.iter().map(|(e, m)| format!("    {}:{} {}", e.path, e.line + 1, m)).collect();
        problems.push(format!("expected:\n{}\n  actual:\n{}\n  messages:\n{}", show(&expected), show(&actual_keys), messages.join("\n")));
    }
    for (e, needle) in &fixture.contains {
        // Several findings may share a place and a rule: one of them must say it.
        let messages: Vec<&String> = actual.iter().filter(|(a, _)| a == e).map(|(_, m)| m).collect();
        if !messages.is_empty() && !messages.iter().any(|m| m.contains(needle.as_str())) {
            problems.push(format!("no message at {}:{} says `{needle}`: {messages:?}", e.path, e.line + 1));
        }
    }
    for after in &fixture.after {
        let mut fixes = analysis.findings.iter().flat_map(|f| &f.fixes).filter_map(|r| convex_migrate::fixes::build(r, &ws));
        let Some(fix) = fixes.find(|f| f.title.starts_with(&after.title)) else {
            problems.push(format!("no fix titled `{}…`", after.title));
            continue;
        };
        let old = fixture.working.iter().find(|(p, _)| *p == after.path).map(|(_, t)| t.as_str()).unwrap_or("");
        let edits: Vec<_> = fix.edits.iter().filter(|e| e.path == after.path).flat_map(|e| e.edits.clone()).collect();
        let new = convex_migrate::fixes::apply(old, &edits);
        if new != after.text {
            problems.push(format!("after `{}`, {} is:\n{new}\n  expected:\n{}", fix.title, after.path, after.text));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn rule_fixtures_hold() {
    let fixtures = rule_fixtures();
    assert!(fixtures.len() >= 10, "expected the rule fixtures in tests/fixtures/rules");
    let only = std::env::var("FIXTURE").ok();
    let mut failures = Vec::new();
    let mut ran = 0;
    for (name, path) in &fixtures {
        if only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        ran += 1;
        if let Err(e) = run_fixture(path) {
            failures.push(format!("--- {name}\n  {e}"));
        }
    }
    println!("{ran} fixtures run");
    assert!(failures.is_empty(), "{} of {ran} fixtures failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn annotations_parse() {
    let f = parse_fixture("//- convex/a.ts\nconst a = 1;\n//    ^^^ error: narrowed-type -- narrows\n//- base: convex/a.ts\nx\n");
    assert_eq!(f.working[0].1, "const a = 1;\n");
    assert_eq!(
        f.expected,
        vec![Expected { path: "convex/a.ts".into(), line: 0, col: 6, len: 3, severity: "error".into(), rule: "narrowed-type".into() }]
    );
    assert_eq!(f.contains[0].1, "narrows");
    assert_eq!(f.base.len(), 1);
}

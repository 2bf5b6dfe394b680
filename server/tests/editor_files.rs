//! The lists of rules the editors carry, generated from the rule registry: the `rules` of the
//! config's JSON schema (`editors/vscode/schemas/convex-migrate.schema.json`, which VS Code uses
//! for `convex-migrate.json`) and the `convexMigrate.rules` setting of the VS Code extension
//! (`editors/vscode/package.json`). The test fails when a committed copy drifts from the
//! registry; `UPDATE_EDITOR_FILES=1 cargo test --test editor_files` writes them.

use std::path::Path;

use convex_migrate::analysis::Rule;
use convex_migrate::config::Severity;
use serde_json::{json, Value};

const LEVELS: [(&str, &str); 5] = [
    ("error", "Report as an error."),
    ("warning", "Report as a warning."),
    ("info", "Report as information."),
    ("hint", "Report as a hint (faded, no squiggle)."),
    ("off", "Do not report."),
];

/// One rule's setting: its levels (with the rule's own), and what it does.
fn rule_setting(rule: Rule) -> Value {
    let levels: Vec<(&str, &str)> = LEVELS.iter().copied().chain(rule.own_levels().iter().copied()).collect();
    let severity = match rule.default_severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
        Severity::Hint => "hint",
    };
    json!({
        "type": "string",
        "enum": levels.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        "enumDescriptions": levels.iter().map(|(_, d)| *d).collect::<Vec<_>>(),
        "markdownDescription": format!("`{}` (default: `{severity}`): {}", rule.id(), rule.summary()),
    })
}

fn rule_settings() -> Value {
    Value::Object(Rule::ALL.iter().map(|r| (r.id().to_string(), rule_setting(*r))).collect())
}

/// `text` (JSON) with the object at `pointer` replaced by `value`, written as the editors keep
/// it (two-space indentation, a final newline).
fn with(text: &str, pointer: &str, value: Value) -> String {
    let mut root: Value = serde_json::from_str(text).expect("the committed file is JSON");
    *root.pointer_mut(pointer).unwrap_or_else(|| panic!("no {pointer}")) = value;
    format!("{}\n", serde_json::to_string_pretty(&root).unwrap())
}

#[test]
fn editor_rule_lists_match_the_registry() {
    let editors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../editors/vscode");
    let files = [
        ("schemas/convex-migrate.schema.json", "/properties/rules/properties"),
        ("package.json", "/contributes/configuration/properties/convexMigrate.rules/properties"),
    ];
    let update = std::env::var_os("UPDATE_EDITOR_FILES").is_some();
    let mut drifted = Vec::new();
    for (file, pointer) in files {
        let path = editors.join(file);
        let committed = std::fs::read_to_string(&path).unwrap();
        let expected = with(&committed, pointer, rule_settings());
        if committed != expected {
            if update {
                std::fs::write(&path, &expected).unwrap();
            } else {
                drifted.push(file);
            }
        }
    }
    assert!(drifted.is_empty(), "{drifted:?} drifted from the rule registry: run `UPDATE_EDITOR_FILES=1 cargo test --test editor_files`");
}

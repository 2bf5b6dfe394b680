//! Golden snapshots of what users see, taken before the architecture change of issue 11 and kept
//! since: every rule fixture checked by the real binary in every format, every fix and refactor
//! applied to it (the text after the edit, as a diff), and `plan` on the bundled example. A
//! change to any of these shows up as a snapshot diff to review (`cargo insta review`, or
//! `INSTA_UPDATE=always` then `git diff`).

mod common;

use std::path::Path;
use std::process::Command;

use common::fixture::{parse_fixture, rule_fixtures};
use convex_migrate::analysis::state::MigrationState;
use convex_migrate::analysis::{Recipe, Workspace};
use convex_migrate::fixes::{self, Fix};
use convex_migrate::sources::load_files;

const BIN: &str = env!("CARGO_BIN_EXE_convex-migrate");

/// SARIF output with the rule catalogue (every rule's whole doc, the same for every fixture)
/// cut down to the rule ids.
fn compact_sarif(ran: &str) -> String {
    let (head, rest) = ran.split_once("--- stdout\n").unwrap();
    let (json, tail) = rest.split_once("--- stderr\n").unwrap();
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(json) else { return ran.to_string() };
    if let Some(rules) = value.pointer_mut("/runs/0/tool/driver/rules") {
        let ids: Vec<serde_json::Value> = rules.as_array().unwrap().iter().map(|r| r["id"].clone()).collect();
        *rules = serde_json::Value::Array(ids);
    }
    format!("{head}--- stdout\n{}\n--- stderr\n{tail}", serde_json::to_string_pretty(&value).unwrap())
}

fn write_files(root: &Path, files: &[(String, String)]) {
    for (path, text) in files {
        common::write(root, path, text);
    }
}

/// One run of the binary: its exit code, stdout and stderr, with the temporary folder's path
/// replaced by `$TMP`.
fn run(cwd: &Path, args: &[&str], tmp: &Path) -> String {
    let out = Command::new(BIN).args(args).current_dir(cwd).env_remove("CI").env_remove("GITHUB_ACTIONS").output().expect("binary runs");
    let clean = |b: &[u8]| String::from_utf8_lossy(b).replace(&tmp.display().to_string(), "$TMP");
    format!(
        "$ convex-migrate {}\nexit: {:?}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        out.status.code(),
        clean(&out.stdout),
        clean(&out.stderr)
    )
}

/// `check` on every rule fixture (working tree against a `--base-dir` copy of the base side, or
/// no base), in every format.
#[test]
fn check_in_every_format() {
    for (name, path) in rule_fixtures() {
        let fixture = parse_fixture(&std::fs::read_to_string(&path).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().canonicalize().unwrap();
        write_files(&tmp.join("work"), &fixture.working);
        std::fs::create_dir_all(tmp.join("work/convex")).unwrap();
        let mut out = String::new();
        for format in ["human", "json", "github", "sarif"] {
            let args: Vec<&str> = if fixture.base.is_empty() {
                vec!["check", "work", "--no-base", "--format", format]
            } else {
                vec!["check", "work", "--base-dir", "base", "--format", format]
            };
            if !fixture.base.is_empty() {
                write_files(&tmp.join("base"), &fixture.base);
                std::fs::create_dir_all(tmp.join("base/convex")).unwrap();
            }
            let mut ran = run(&tmp, &args, &tmp);
            if format == "sarif" {
                ran = compact_sarif(&ran);
            }
            out.push_str(&ran);
            out.push('\n');
        }
        insta::assert_snapshot!(format!("check__{name}"), out);
    }
}

/// A fix as a reader reviews it: its title and kind, then a diff of each file it changes.
fn render_fix(out: &mut String, files: &[(String, String)], config_text: Option<&str>, fix: &Fix) {
    out.push_str(&format!("-- fix: {} [{:?}{}]\n", fix.title, fix.kind, if fix.preferred { ", preferred" } else { "" }));
    for file in &fix.edits {
        let old = if file.path == "convex-migrate.json" {
            config_text.map(str::to_string)
        } else {
            files.iter().find(|(p, _)| *p == file.path).map(|(_, t)| t.clone())
        };
        let old = if file.create { String::new() } else { old.unwrap_or_default() };
        let new = fixes::apply(&old, &file.edits);
        out.push_str(&format!("   {}{}\n", file.path, if file.create { " (created)" } else { "" }));
        let diff = similar::TextDiff::from_lines(&old, &new);
        out.push_str(&diff.unified_diff().context_radius(2).to_string());
    }
}

/// Builds a recipe's fix, checking that what the menu offers (title, kind) is what it builds.
fn build(recipe: &Recipe, ws: &Workspace) -> Option<Fix> {
    let fix = fixes::build(recipe, ws);
    let offer = fixes::offer(recipe, ws);
    assert_eq!(
        offer.as_ref().map(|o| (&o.title, o.kind, o.preferred)),
        fix.as_ref().map(|f| (&f.title, f.kind, f.preferred)),
        "{recipe:?}"
    );
    fix
}

/// Every fix of every finding of every rule fixture, and the refactors offered where a cursor can
/// be (finished migrations, fields in transition), with the text after each.
#[test]
fn fixes_and_generated_code() {
    for (name, path) in rule_fixtures() {
        let fixture = parse_fixture(&std::fs::read_to_string(&path).unwrap());
        let ws = load_files(&fixture.working, (!fixture.base.is_empty()).then_some(fixture.base.as_slice()));
        let config_text = ws.config.text.clone();
        let analysis = ws.analyze();
        let mut out = String::new();
        for finding in &analysis.findings {
            let here = &finding.location;
            out.push_str(&format!(
                "== {}[{}] {} {:?}: {}\n",
                finding.severity.as_str(),
                finding.rule.id(),
                here.path,
                here.range,
                finding.message
            ));
            for recipe in &finding.fixes {
                if let Some(fix) = build(recipe, &ws) {
                    render_fix(&mut out, &fixture.working, config_text.as_deref(), &fix);
                }
            }
        }
        for function in &ws.working.functions {
            if let Some(fix) = build(&Recipe::RemoveFinishedMigration { function: function.reference.clone() }, &ws) {
                out.push_str(&format!("== refactor at `{}`\n", function.reference));
                render_fix(&mut out, &fixture.working, config_text.as_deref(), &fix);
            }
        }
        if let Some(schema) = ws.working.schema.as_ref() {
            for table in &schema.tables {
                for field in &table.fields {
                    let Some(state) = MigrationState::of(&ws, &table.name, &field.name) else { continue };
                    if !state.in_transition() {
                        continue;
                    }
                    out.push_str(&format!("== refactors at `{}.{}` ({})\n", table.name, field.name, state.phase.describe()));
                    let (t, f) = (table.name.clone(), field.name.clone());
                    let mut refactors = Vec::new();
                    if field.validator.is_optional() && ws.is_verified(&t, &f) {
                        refactors.push(Recipe::MakeRequired { table: t.clone(), field: f.clone() });
                    }
                    if state.backfills.is_empty() {
                        refactors.push(Recipe::GenerateBackfill { table: t.clone(), field: f.clone(), goal: state.goal });
                    }
                    if state.verifies.is_empty() {
                        refactors.push(Recipe::GenerateVerify { table: t, field: f, goal: state.goal });
                    }
                    for fix in refactors.iter().filter_map(|r| build(r, &ws)) {
                        render_fix(&mut out, &fixture.working, config_text.as_deref(), &fix);
                    }
                }
            }
        }
        if out.is_empty() {
            out.push_str("(no findings, no refactors)\n");
        }
        insta::assert_snapshot!(format!("fixes__{name}"), out);
    }
}

/// `plan` on the bundled example (its deployed copy as the base), in both formats, and what
/// `--apply` does to a copy of it.
#[test]
fn plan_on_the_example() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/team-app");
    let changes: [&[&str]; 6] = [
        &["require", "users.role"],
        &["require", "users.role", "--default", "\"member\""],
        &["remove", "users.isPro"],
        &["rename", "users.name", "--to", "fullName"],
        &["retype", "posts.pinned", "--to", "v.number()"],
        &["split", "posts.tags", "--into", "postTags"],
    ];
    for change in changes {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().canonicalize().unwrap();
        copy_dir(&example.join("working"), &tmp.join("working"));
        copy_dir(&example.join("deployed"), &tmp.join("deployed"));
        let mut out = String::new();
        for format in ["human", "json"] {
            let mut args = vec!["plan"];
            args.extend_from_slice(change);
            args.extend(["-C", "working", "--base-dir", "deployed", "--format", format]);
            out.push_str(&run(&tmp, &args, &tmp));
        }
        let before = read_dir_files(&tmp.join("working"));
        let mut args = vec!["plan"];
        args.extend_from_slice(change);
        args.extend(["-C", "working", "--base-dir", "deployed", "--apply"]);
        out.push_str(&run(&tmp, &args, &tmp));
        let after = read_dir_files(&tmp.join("working"));
        for (path, text) in &after {
            let old = before.iter().find(|(p, _)| p == path).map(|(_, t)| t.as_str()).unwrap_or("");
            if old != text {
                out.push_str(&format!("--- applied: {path}\n"));
                out.push_str(&similar::TextDiff::from_lines(old, text).unified_diff().context_radius(2).to_string());
            }
        }
        insta::assert_snapshot!(
            format!("plan__{}", change[..2].join("_").replace('.', "_"))
                + if change.len() > 2 && change[2] == "--default" { "_default" } else { "" },
            out
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn read_dir_files(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                let rel = entry.path().strip_prefix(root).unwrap().to_string_lossy().to_string();
                out.push((rel, std::fs::read_to_string(entry.path()).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

/// The language server on the bundled example (deployed copy committed, working copy on top):
/// the diagnostics it publishes, every code action of each diagnostic with its edit, hover on
/// every schema field and on every function name, and the code lenses, as normalized JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_server_on_the_example() {
    use common::lsp::{uri, Client};
    use serde_json::json;
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/team-app");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    copy_dir(&example.join("deployed"), &root);
    common::git(&root, &["init", "-q"]);
    common::git(&root, &["add", "."]);
    common::git(&root, &["commit", "-qm", "deployed"]);
    copy_dir(&example.join("working"), &root);
    let root_uri = uri(&root);
    let mut client = Client::start();
    client
        .initialize(
            &root,
            json!({ "workspace": { "workspaceEdit": { "resourceOperations": ["create"] } }, "textDocument": { "codeAction": { "codeActionLiteralSupport": { "codeActionKind": { "valueSet": ["quickfix", "refactor"] } } } } }),
        )
        .await;
    let files = read_dir_files(&root.join("convex"));
    let mut out = String::new();
    for (rel, text) in &files {
        let file_uri = uri(&root.join("convex").join(rel));
        client
            .notify(
                "textDocument/didOpen",
                json!({ "textDocument": { "uri": file_uri, "languageId": "typescript", "version": 1, "text": text } }),
            )
            .await;
    }
    for (rel, text) in &files {
        let file_uri = uri(&root.join("convex").join(rel));
        let published = client.diagnostics(&file_uri, |p| p["version"] == 1).await;
        out.push_str(&format!("### convex/{rel}\n-- diagnostics\n{}\n", serde_json::to_string_pretty(&published["diagnostics"]).unwrap()));
        for diagnostic in published["diagnostics"].as_array().unwrap() {
            let actions = client
                .request(
                    "textDocument/codeAction",
                    json!({ "textDocument": { "uri": file_uri }, "range": diagnostic["range"], "context": { "diagnostics": [diagnostic] } }),
                )
                .await;
            out.push_str(&format!("-- code actions at {}\n{}\n", diagnostic["range"], serde_json::to_string_pretty(&actions).unwrap()));
        }
        // Hover and refactors on every identifier that starts a line's first word (field names,
        // function names).
        for (line, content) in text.lines().enumerate() {
            let trimmed = content.trim_start();
            let column = content.len() - trimmed.len();
            let word = trimmed.trim_start_matches("export const ");
            let column = column + (trimmed.len() - word.len());
            if !word.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                continue;
            }
            let position = json!({ "line": line, "character": column + 1 });
            let hover = client.request("textDocument/hover", json!({ "textDocument": { "uri": file_uri }, "position": position })).await;
            if !hover.is_null() {
                out.push_str(&format!("-- hover at {line}:{}\n{}\n", column + 1, hover["contents"]["value"].as_str().unwrap_or("")));
            }
            let range = json!({ "start": position, "end": position });
            let actions = client
                .request(
                    "textDocument/codeAction",
                    json!({ "textDocument": { "uri": file_uri }, "range": range, "context": { "diagnostics": [] } }),
                )
                .await;
            if !actions.is_null() {
                out.push_str(&format!("-- refactors at {line}:{}\n{}\n", column + 1, serde_json::to_string_pretty(&actions).unwrap()));
            }
        }
        let lenses = client.request("textDocument/codeLens", json!({ "textDocument": { "uri": file_uri } })).await;
        if lenses.as_array().is_some_and(|l| !l.is_empty()) {
            out.push_str(&format!("-- code lenses\n{}\n", serde_json::to_string_pretty(&lenses).unwrap()));
        }
    }
    let out = out.replace(&root_uri, "file:///$ROOT").replace(&root.display().to_string(), "$ROOT");
    insta::assert_snapshot!("lsp__example", rule_docs_named(&out));
}

/// The rule docs live in a private folder with a random name, made anew by each server: every
/// link into it becomes `file:///$RULES/…`.
fn rule_docs_named(out: &str) -> String {
    const MARK: &str = "/convex-migrate-rules-";
    let mut named = String::with_capacity(out.len());
    let mut rest = out;
    while let Some(at) = rest.find(MARK) {
        let start = rest[..at].rfind("file://").unwrap_or(at);
        let name_end = at + MARK.len() + rest[at + MARK.len()..].find('/').unwrap_or(0);
        named.push_str(&rest[..start]);
        named.push_str("file:///$RULES");
        rest = &rest[name_end..];
    }
    named.push_str(rest);
    named
}

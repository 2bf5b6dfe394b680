//! The language server's `snapshot` setting: counts in diagnostics and on hover, the export read
//! again when the file changes, and an unreadable export said once on the schema.

mod common;

use common::lsp::{uri, Client};
use common::{git, write};

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

const BASE_SCHEMA: &str = "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\n\nexport default defineSchema({\n  users: defineTable({\n    name: v.string(),\n    email: v.string(),\n    role: v.optional(v.string()),\n  }),\n});\n";
const WORKING_SCHEMA: &str = "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\n\nexport default defineSchema({\n  users: defineTable({\n    name: v.string(),\n    email: v.string(),\n    role: v.string(),\n  }),\n});\n";

fn zip(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/snapshots/zips").join(name)
}

/// A repository whose HEAD has `role` optional; the working tree makes it required; the export
/// of `examples/team-app`'s data (3 of 5 users lack `role`) sits at `data/snapshot.zip`.
fn repo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    git(&root, &["init", "-q"]);
    write(&root, "convex/schema.ts", BASE_SCHEMA);
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "base"]);
    write(&root, "convex/schema.ts", WORKING_SCHEMA);
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::copy(zip("team-app.zip"), root.join("data/snapshot.zip")).unwrap();
    (dir, root)
}

async fn start(root: &Path, snapshot: &str) -> Client {
    let mut client = Client::start();
    client
        .request(
            "initialize",
            json!({
                "capabilities": { "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } },
                "workspaceFolders": [{ "uri": uri(root), "name": "w" }],
                "initializationOptions": { "snapshot": snapshot },
            }),
        )
        .await;
    client.notify("initialized", json!({})).await;
    client
}

fn messages(params: &Value) -> Vec<(u64, String)> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["severity"].as_u64().unwrap_or(0), d["message"].as_str().unwrap_or("").to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_in_diagnostics_and_hover_and_the_export_is_read_again_when_it_changes() {
    let (_dir, root) = repo();
    let schema_uri = uri(&root.join("convex/schema.ts"));
    let mut client = start(&root, "data/snapshot.zip").await;
    // The watcher for the export is registered.
    let registration = client.wait("a watcher registration", |m| m["method"] == "client/registerCapability").await;
    let globs: Vec<&str> = registration["params"]["registrations"][0]["registerOptions"]["watchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["globPattern"].as_str().unwrap())
        .collect();
    assert!(globs.contains(&"**/snapshot.zip"), "{globs:?}");
    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": schema_uri, "languageId": "typescript", "version": 1, "text": WORKING_SCHEMA } }),
        )
        .await;
    let published = client.diagnostics(&schema_uri, |p| p["version"] == 1 && !p["diagnostics"].as_array().unwrap().is_empty()).await;
    let found = messages(&published);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, 1, "an error: {found:?}");
    assert!(found[0].1.contains("3 of 5 `users` documents lack `role`"), "{found:?}");

    let hover = client
        .request("textDocument/hover", json!({ "textDocument": { "uri": schema_uri }, "position": { "line": 7, "character": 5 } }))
        .await;
    let markdown = hover["contents"]["value"].as_str().unwrap();
    let data = markdown.lines().find(|l| l.starts_with("**Data**")).unwrap_or_else(|| panic!("{markdown}"));
    assert!(data.contains("): 3 of 5 `users` documents lack `role` — e.g. `j5"), "{data}");

    // An edit that asks something new (the field `email` removed): counted from the same export.
    let without_email = WORKING_SCHEMA.replace("    email: v.string(),\n", "");
    client
        .notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": schema_uri, "version": 2 }, "contentChanges": [{ "text": without_email }] }),
        )
        .await;
    let published = client.diagnostics(&schema_uri, |p| p["version"] == 2 && messages(p).len() == 2).await;
    let found = messages(&published);
    assert!(found.iter().any(|(s, m)| *s == 1 && m.contains("all 5 `users` documents hold `email`")), "{found:?}");
    assert!(found.iter().any(|(s, m)| *s == 1 && m.contains("3 of 5 `users` documents lack `role`")), "{found:?}");
    client
        .notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": schema_uri, "version": 3 }, "contentChanges": [{ "text": WORKING_SCHEMA }] }),
        )
        .await;
    client.diagnostics(&schema_uri, |p| p["version"] == 3 && messages(p).len() == 1).await;

    // A new export where every user has a role: the watcher reports it, the error becomes a note.
    std::fs::copy(zip("team-app-clean.zip"), root.join("data/snapshot.zip")).unwrap();
    client
        .notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri(&root.join("data/snapshot.zip")), "type": 2 }] }))
        .await;
    let published = client
        .diagnostics(&schema_uri, |p| {
            messages(p).iter().any(|(severity, m)| *severity == 3 && m.contains("none of the 5 `users` documents lacks `role`"))
        })
        .await;
    assert_eq!(messages(&published).len(), 1, "{published}");
    let hover = client
        .request("textDocument/hover", json!({ "textDocument": { "uri": schema_uri }, "position": { "line": 7, "character": 5 } }))
        .await;
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("none of the 5 `users` documents lacks `role`"), "{markdown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_export_is_said_on_the_schema_and_nothing_is_counted() {
    let (_dir, root) = repo();
    let schema_uri = uri(&root.join("convex/schema.ts"));
    let mut client = start(&root, "data/missing.zip").await;
    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": schema_uri, "languageId": "typescript", "version": 1, "text": WORKING_SCHEMA } }),
        )
        .await;
    let published = client.diagnostics(&schema_uri, |p| p["version"] == 1 && messages(p).len() == 2).await;
    let found = messages(&published);
    assert!(found.iter().any(|(s, m)| *s == 1 && !m.contains("snapshot")), "{found:?}");
    assert!(
        found.iter().any(|(s, m)| *s == 3
            && m.starts_with("convex-migrate: the snapshot setting: cannot read the snapshot ")
            && m.ends_with("data/missing.zip: No such file or directory (os error 2); the findings are not counted")),
        "{found:?}"
    );
}

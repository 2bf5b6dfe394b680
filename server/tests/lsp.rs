//! The language server in process, driven with real requests like an editor (ruff's and biome's
//! habit): over fixture projects in real temporary git repositories.

mod common;

use common::lsp::{apply, rules, uri, Client};
use common::{git, stand_in_npx, write};

use std::path::PathBuf;
use std::str::FromStr;

use serde_json::{json, Value};
use tower_lsp_server::ls_types::Uri;

const BASE_SCHEMA: &str = "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\n\nexport default defineSchema({\n  users: defineTable({\n    name: v.string(),\n    role: v.optional(v.string()),\n  }),\n});\n";
const WORKING_SCHEMA: &str = "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\n\nexport default defineSchema({\n  users: defineTable({\n    name: v.string(),\n    role: v.string(),\n  }),\n});\n";
const BACKFILL: &str = "import { internalMutation } from \"./_generated/server\";\nexport const backfillUsersRole = internalMutation({\n  handler: async (ctx) => {\n    for await (const user of ctx.db.query(\"users\")) {\n      await ctx.db.patch(user._id, { role: \"member\" });\n    }\n  },\n});\n";

/// A repository whose HEAD has `role` optional; the working tree makes it required.
fn repo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    git(&root, &["init", "-q"]);
    write(&root, "convex/schema.ts", BASE_SCHEMA);
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "base"]);
    write(&root, "convex/schema.ts", WORKING_SCHEMA);
    (dir, root)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiates_utf8_and_declares_capabilities() {
    let (_dir, root) = repo();
    let mut client = Client::start();
    let result = client.initialize(&root, json!({ "general": { "positionEncodings": ["utf-8", "utf-16"] } })).await;
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-8");
    assert_eq!(result["capabilities"]["textDocumentSync"]["change"], 2);
    assert_eq!(result["capabilities"]["hoverProvider"], true);
    assert_eq!(result["serverInfo"]["name"], "convex-migrate");
    // A client that cannot take watchers at run time gets none.
    client.diagnostics(&uri(&root.join("convex/schema.ts")), |_| true).await;
    client.drain();
    assert!(!client.seen.iter().any(|m| m["method"] == "client/registerCapability"), "{:#?}", client.seen);
    let mut client = Client::start();
    let result = client.initialize(&root, json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } })).await;
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-16");
    // The server registers its file watchers, git's HEAD and refs included.
    client.diagnostics(&uri(&root.join("convex/schema.ts")), |_| true).await;
    client.drain();
    let registration = client.seen.iter().find(|m| m["method"] == "client/registerCapability").expect("watchers registered");
    let globs: Vec<&str> = registration["params"]["registrations"][0]["registerOptions"]["watchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["globPattern"].as_str().unwrap())
        .collect();
    assert!(globs.contains(&"**/.git/HEAD") && globs.contains(&"**/convex-migrate.json"), "{globs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnostics_appear_change_with_edits_and_clear() {
    let (_dir, root) = repo();
    let schema = root.join("convex/schema.ts");
    let schema_uri = uri(&schema);
    let mut client = Client::start();
    client.initialize(&root, json!({})).await;
    // From disk, before the file is opened.
    let first = client.diagnostics(&schema_uri, |p| !p["diagnostics"].as_array().unwrap().is_empty()).await;
    let d = &first["diagnostics"][0];
    assert_eq!(d["code"], "required-without-backfill");
    assert_eq!(d["source"], "convex-migrate");
    assert_eq!(d["severity"], 1);
    // The rule's documentation, linked from the diagnostic, is what `explain` prints.
    let href = d["codeDescription"]["href"].as_str().expect("a documentation link");
    let doc_path = Uri::from_str(href).unwrap().to_file_path().unwrap().into_owned();
    assert!(std::fs::read_to_string(doc_path).unwrap().starts_with("# required-without-backfill (error)"));
    assert_eq!(d["range"], json!({ "start": { "line": 6, "character": 4 }, "end": { "line": 6, "character": 8 } }));
    // The diagnostic carries what finds its finding again (no fixes: they are built when asked).
    assert_eq!(d["data"]["key"]["subject"], json!({ "kind": "field", "table": "users", "field": "role" }));
    assert!(d["data"].get("fixes").is_none());

    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": schema_uri, "languageId": "typescript", "version": 1, "text": WORKING_SCHEMA } }),
        )
        .await;
    client.diagnostics(&schema_uri, |p| p["version"] == 1 && rules(p) == ["required-without-backfill"]).await;
    // Type `v.optional(` … `)` around the validator, in two incremental edits.
    client
        .notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": schema_uri, "version": 2 }, "contentChanges": [
            { "range": { "start": { "line": 6, "character": 10 }, "end": { "line": 6, "character": 10 } }, "text": "v.optional(" } ] }),
        )
        .await;
    client
        .notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": schema_uri, "version": 3 }, "contentChanges": [
            { "range": { "start": { "line": 6, "character": 31 }, "end": { "line": 6, "character": 31 } }, "text": ")" } ] }),
        )
        .await;
    client.diagnostics(&schema_uri, |p| p["version"] == 3 && rules(p).is_empty()).await;
    // Versions only move forward.
    client.drain();
    let versions: Vec<i64> = client
        .seen
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == schema_uri)
        .filter_map(|m| m["params"]["version"].as_i64())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] <= w[1]), "{versions:?}");
    // A parse error in another open file is reported there, and the schema keeps its state.
    let broken = uri(&root.join("convex/broken.ts"));
    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": broken, "languageId": "typescript", "version": 1, "text": "export const = ;" } }),
        )
        .await;
    client.diagnostics(&broken, |p| rules(p) == ["parse-error"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_action_make_optional_and_hover() {
    let (_dir, root) = repo();
    let schema_uri = uri(&root.join("convex/schema.ts"));
    let mut client = Client::start();
    client.initialize(&root, json!({ "workspace": { "workspaceEdit": { "resourceOperations": ["create"] } } })).await;
    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": schema_uri, "languageId": "typescript", "version": 1, "text": WORKING_SCHEMA } }),
        )
        .await;
    let published = client.diagnostics(&schema_uri, |p| p["version"] == 1 && !p["diagnostics"].as_array().unwrap().is_empty()).await;
    let diagnostic = published["diagnostics"][0].clone();
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": schema_uri }, "range": diagnostic["range"], "context": { "diagnostics": [diagnostic] } }),
        )
        .await;
    let titles: Vec<&str> = actions.as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Make `role` optional first (v.optional)"), "{titles:?}");
    assert!(titles.iter().any(|t| t.starts_with("Generate backfill `backfillUsersRole`")), "{titles:?}");
    assert!(titles.iter().any(|t| t.starts_with("Generate verify `verifyUsersRole`")), "{titles:?}");
    assert!(titles.contains(&"Disable required-without-backfill for this line"), "{titles:?}");
    let make_optional = actions.as_array().unwrap().iter().find(|a| a["title"] == "Make `role` optional first (v.optional)").unwrap();
    assert_eq!(make_optional["kind"], "quickfix");
    assert_eq!(make_optional["isPreferred"], true);
    let edits = make_optional["edit"]["changes"][&schema_uri].as_array().unwrap();
    let fixed = apply(WORKING_SCHEMA, edits);
    assert_eq!(fixed, WORKING_SCHEMA.replace("role: v.string()", "role: v.optional(v.string())"));
    // The generated backfill creates convex/migrations.ts through a resource operation.
    let backfill = actions.as_array().unwrap().iter().find(|a| a["title"].as_str().unwrap().starts_with("Generate backfill")).unwrap();
    let ops = backfill["edit"]["documentChanges"].as_array().unwrap();
    assert_eq!(ops[0]["kind"], "create");
    assert!(ops[0]["uri"].as_str().unwrap().ends_with("/convex/migrations.ts"));
    assert!(ops[1]["edits"][0]["newText"].as_str().unwrap().contains("export const backfillUsersRole = internalMutation({"));

    // Hover on the field: base vs working, the phase, the checklist.
    let hover = client
        .request("textDocument/hover", json!({ "textDocument": { "uri": schema_uri }, "position": { "line": 6, "character": 5 } }))
        .await;
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("**`users.role`** — narrowing too early: no backfill is deployed"), "{markdown}");
    assert!(markdown.contains("| `v.optional(v.string())` | `v.string()` |"), "{markdown}");
    assert!(markdown.contains("- ✓ widen: the field is optional (deployed)"), "{markdown}");
    assert!(markdown.contains("- ☐ backfill written"), "{markdown}");
    assert!(markdown.contains("- ✓ narrowed: the field is required"), "{markdown}");
    assert_eq!(hover["range"], json!({ "start": { "line": 6, "character": 4 }, "end": { "line": 6, "character": 8 } }));

    // Apply the quick fix as an editor would; the diagnostic clears, and the field, optional at
    // the base and now, is no longer on a migration path.
    client
        .notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": schema_uri, "version": 2 }, "contentChanges": [{ "text": fixed }] }),
        )
        .await;
    client.diagnostics(&schema_uri, |p| p["version"] == 2 && rules(p).is_empty()).await;
    let hover = client
        .request("textDocument/hover", json!({ "textDocument": { "uri": schema_uri }, "position": { "line": 6, "character": 5 } }))
        .await;
    assert!(hover.is_null(), "{hover}");
    // Hover elsewhere says nothing.
    let none = client
        .request("textDocument/hover", json!({ "textDocument": { "uri": schema_uri }, "position": { "line": 0, "character": 1 } }))
        .await;
    assert!(none.is_null());
}

/// A client that resolves code actions (VS Code does) gets them without edits, and each edit
/// when it asks for it: the same edit an eager client gets. After the document changes, an old
/// action is refused rather than applied at the wrong place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_actions_are_resolved_when_asked() {
    let (_dir, root) = repo();
    let schema_uri = uri(&root.join("convex/schema.ts"));
    let open = json!({ "textDocument": { "uri": schema_uri, "languageId": "typescript", "version": 1, "text": WORKING_SCHEMA } });
    let mut actions_of = Vec::new();
    for resolving in [false, true] {
        let mut capabilities = json!({ "workspace": { "workspaceEdit": { "resourceOperations": ["create"] } } });
        if resolving {
            capabilities["textDocument"] = json!({ "codeAction": { "dataSupport": true, "resolveSupport": { "properties": ["edit"] } } });
        }
        let mut client = Client::start();
        let init = client.initialize(&root, capabilities).await;
        assert_eq!(init["capabilities"]["codeActionProvider"]["resolveProvider"], resolving);
        client.notify("textDocument/didOpen", open.clone()).await;
        let published = client.diagnostics(&schema_uri, |p| p["version"] == 1 && !p["diagnostics"].as_array().unwrap().is_empty()).await;
        let diagnostic = published["diagnostics"][0].clone();
        let request =
            json!({ "textDocument": { "uri": schema_uri }, "range": diagnostic["range"], "context": { "diagnostics": [diagnostic] } });
        let actions = client.request("textDocument/codeAction", request).await;
        let mut resolved = Vec::new();
        for action in actions.as_array().unwrap() {
            if resolving {
                assert!(action.get("edit").is_none(), "{action}");
                let full = client.request("codeAction/resolve", action.clone()).await;
                assert_eq!(full["title"], action["title"]);
                resolved.push((full["title"].clone(), full["edit"].clone()));
            } else {
                resolved.push((action["title"].clone(), action["edit"].clone()));
            }
        }
        actions_of.push(resolved);
        if resolving {
            let stale = actions.as_array().unwrap()[0].clone();
            client
                .notify(
                    "textDocument/didChange",
                    json!({ "textDocument": { "uri": schema_uri, "version": 2 }, "contentChanges": [{ "text": format!("// moved\n{WORKING_SCHEMA}") }] }),
                )
                .await;
            client.diagnostics(&schema_uri, |p| p["version"] == 2).await;
            let refused = client.try_request("codeAction/resolve", stale).await;
            assert!(refused.is_err_and(|e| e.contains("changed")));
        }
    }
    assert!(actions_of[0].len() >= 4, "{:?}", actions_of[0]);
    assert_eq!(actions_of[0], actions_of[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_commit_moves_the_base() {
    let (_dir, root) = repo();
    let schema_uri = uri(&root.join("convex/schema.ts"));
    let mut client = Client::start();
    client.initialize(&root, json!({})).await;
    client.diagnostics(&schema_uri, |p| rules(p) == ["required-without-backfill"]).await;
    // Commit a backfill (deployed now) with the schema still optional at HEAD: the finding
    // becomes backfill-unverified once the watcher reports the new commit and file.
    write(&root, "convex/migrations.ts", BACKFILL);
    std::fs::write(root.join("convex/schema.ts"), BASE_SCHEMA).unwrap();
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "backfill"]);
    std::fs::write(root.join("convex/schema.ts"), WORKING_SCHEMA).unwrap();
    client
        .notify(
            "workspace/didChangeWatchedFiles",
            json!({ "changes": [
            { "uri": uri(&root.join(".git/HEAD")), "type": 2 },
            { "uri": uri(&root.join("convex/migrations.ts")), "type": 1 } ] }),
        )
        .await;
    let params = client.diagnostics(&schema_uri, |p| rules(p) == ["backfill-unverified"]).await;
    let message = params["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("npx convex run migrations:backfillUsersRole"), "{message}");
    // Recording it verified on dev (a watched file) clears it: the editor judges `dev`.
    write(&root, "convex-migrate.json", r#"{ "verified": { "users.role": { "deployment": "dev", "remaining": 0 } } }"#);
    client
        .notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri(&root.join("convex-migrate.json")), "type": 1 }] }))
        .await;
    client.diagnostics(&schema_uri, |p| rules(p).is_empty()).await;
    // Judged for prod (a setting), the dev verification does not count.
    client.notify("workspace/didChangeConfiguration", json!({ "settings": { "convexMigrate": { "deployment": "prod" } } })).await;
    client.diagnostics(&schema_uri, |p| rules(p) == ["backfill-unverified"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_positions_and_unknown_files_do_not_break_the_server() {
    let (_dir, root) = repo();
    let schema_uri = uri(&root.join("convex/schema.ts"));
    let mut client = Client::start();
    client.initialize(&root, json!({})).await;
    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": schema_uri, "languageId": "typescript", "version": 1, "text": WORKING_SCHEMA } }),
        )
        .await;
    client
        .notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": schema_uri, "version": 2 }, "contentChanges": [
            { "range": { "start": { "line": 999, "character": 999 }, "end": { "line": 0, "character": 0 } }, "text": "// tail\n" } ] }),
        )
        .await;
    client.diagnostics(&schema_uri, |p| p["version"] == 2).await;
    let hover = client
        .request("textDocument/hover", json!({ "textDocument": { "uri": schema_uri }, "position": { "line": 4000, "character": 4000 } }))
        .await;
    assert!(hover.is_null());
    let outside = "file:///nowhere/x.ts";
    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": outside, "languageId": "typescript", "version": 1, "text": "x" } }),
        )
        .await;
    let hover = client
        .request("textDocument/hover", json!({ "textDocument": { "uri": outside }, "position": { "line": 0, "character": 0 } }))
        .await;
    assert!(hover.is_null());
    client.request("shutdown", Value::Null).await;
}

const MIGRATIONS: &str = "import { v } from \"convex/values\";\nimport { internalMutation, internalQuery, internalAction } from \"./_generated/server\";\nimport { internal } from \"./_generated/api\";\n\nexport const backfillUsersRole = internalMutation({\n  args: { cursor: v.optional(v.union(v.string(), v.null())) },\n  handler: async (ctx, args) => {\n    const { page } = await ctx.db.query(\"users\").paginate({ cursor: args.cursor ?? null, numItems: 100 });\n    for (const doc of page) {\n      if (doc.role === undefined) await ctx.db.patch(doc._id, { role: \"member\" });\n    }\n  },\n});\n\nexport const verifyUsersRolePage = internalQuery({\n  args: { cursor: v.union(v.string(), v.null()) },\n  handler: async (ctx, args) => {\n    const { page, isDone, continueCursor } = await ctx.db.query(\"users\").paginate({ cursor: args.cursor, numItems: 1000 });\n    return { scanned: page.length, remaining: page.filter((doc) => doc.role === undefined).length, isDone, continueCursor };\n  },\n});\n\nexport const verifyUsersRole = internalAction({\n  args: {},\n  handler: async (ctx) => {\n    return await ctx.runQuery(internal.migrations.verifyUsersRolePage, { cursor: null });\n  },\n});\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_lens_and_commands_run_verify_and_record_the_ledger() {
    let (_dir, root) = repo();
    write(&root, "convex/migrations.ts", MIGRATIONS);
    git(&root, &["add", "convex/migrations.ts"]);
    git(&root, &["commit", "-qm", "migrations"]);
    let tools = tempfile::tempdir().unwrap();
    let (npx, log) = stand_in_npx(tools.path(), "{\n  \"remaining\": 0,\n  \"scanned\": 250\n}", 0);
    let mut client = Client::start();
    client
        .request(
            "initialize",
            json!({
            "capabilities": { "window": { "workDoneProgress": true }, "workspace": { "applyEdit": true } },
            "workspaceFolders": [{ "uri": uri(&root), "name": "w" }],
            "initializationOptions": { "convexMigrate": { "npxPath": npx } } }),
        )
        .await;
    client.notify("initialized", json!({})).await;
    let schema_uri = uri(&root.join("convex/schema.ts"));
    client.diagnostics(&schema_uri, |p| rules(p) == ["backfill-unverified"]).await;

    let migrations_uri = uri(&root.join("convex/migrations.ts"));
    let lenses = client.request("textDocument/codeLens", json!({ "textDocument": { "uri": migrations_uri } })).await;
    let lenses = lenses.as_array().unwrap();
    let titles: Vec<&str> = lenses.iter().map(|l| l["command"]["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        [
            "▶ Run backfill of users.role: npx convex run migrations:backfillUsersRole",
            "✓ Verify users.role: npx convex run migrations:verifyUsersRole"
        ]
    );
    assert_eq!(lenses[0]["range"]["start"], json!({ "line": 4, "character": 13 }));
    let verify = &lenses[1]["command"];
    assert_eq!(verify["command"], "convex-migrate.verify");

    // Hover on the backfill's name: its field's state; on the table it reads: what is in flight.
    let hover = client
        .request("textDocument/hover", json!({ "textDocument": { "uri": migrations_uri }, "position": { "line": 4, "character": 16 } }))
        .await;
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.starts_with("Backfill of `users.role`"), "{markdown}");
    assert!(markdown.contains("- ✓ backfill deployed"), "{markdown}");
    assert!(markdown.contains("`npx convex run migrations:backfillUsersRole --prod`"), "{markdown}");
    let hover = client
        .request("textDocument/hover", json!({ "textDocument": { "uri": migrations_uri }, "position": { "line": 7, "character": 40 } }))
        .await;
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.starts_with("**Migrations in flight on `users`**"), "{markdown}");
    assert!(markdown.contains("- `users.role`: narrowing: the backfill is deployed but not verified"), "{markdown}");

    // Nothing ran before the user asked.
    assert!(!log.exists());
    let result =
        client.request("workspace/executeCommand", json!({ "command": verify["command"], "arguments": verify["arguments"] })).await;
    assert_eq!(result["recorded"], true, "{result}");
    assert_eq!(result["scanned"], 250);
    let ran = std::fs::read_to_string(&log).unwrap();
    assert_eq!(ran.trim(), format!("{} convex run migrations:verifyUsersRole", root.display()));
    let apply = client.wait("the ledger edit, through the editor", |m| m["method"] == "workspace/applyEdit").await;
    let ops = apply["params"]["edit"]["documentChanges"].as_array().unwrap();
    assert_eq!(ops[0]["kind"], "create");
    let ledger = ops[1]["edits"][0]["newText"].as_str().unwrap();
    let config = convex_migrate::config::Config::parse(ledger, &convex_migrate::analysis::Rule::config_levels).0;
    assert!(config.is_verified("users", "role", "dev") && !config.is_verified("users", "role", "prod"), "{ledger}");
    assert!(ledger.contains("\"deployment\": \"dev\""), "{ledger}");
    // The output was streamed to the client's log.
    client
        .wait("the output in the log", |m| {
            m["method"] == "window/logMessage" && m["params"]["message"].as_str().unwrap_or("").contains("\"scanned\": 250")
        })
        .await;
    client.wait("progress", |m| m["method"] == "$/progress").await;

    // Arguments that do not name a project of the workspace, or a function, are refused.
    let bad = client
        .try_request(
            "workspace/executeCommand",
            json!({ "command": "convex-migrate.run", "arguments": [{ "root": "/", "function": "migrations:x" }] }),
        )
        .await;
    assert!(bad.unwrap_err().contains("not a Convex project"));
    let bad = client
        .try_request(
            "workspace/executeCommand",
            json!({ "command": "convex-migrate.run", "arguments": [{ "root": root, "function": "--help" }] }),
        )
        .await;
    assert!(bad.unwrap_err().contains("not a Convex function reference"));
}

/// The server asks the client only what it said it takes: no progress without
/// `window.workDoneProgress`, no ledger edit without `workspace.applyEdit` (it says how to record
/// it instead), no watcher registration without `didChangeWatchedFiles.dynamicRegistration`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_requests_wait_for_the_client_capabilities() {
    let (_dir, root) = repo();
    write(&root, "convex/migrations.ts", MIGRATIONS);
    git(&root, &["add", "convex/migrations.ts"]);
    git(&root, &["commit", "-qm", "migrations"]);
    let tools = tempfile::tempdir().unwrap();
    let (npx, log) = stand_in_npx(tools.path(), "{\n  \"remaining\": 0,\n  \"scanned\": 250\n}", 0);
    let mut client = Client::start();
    client
        .request(
            "initialize",
            json!({ "capabilities": {}, "workspaceFolders": [{ "uri": uri(&root), "name": "w" }], "initializationOptions": { "npxPath": npx } }),
        )
        .await;
    client.notify("initialized", json!({})).await;
    let args = json!([{ "root": root, "function": "migrations:verifyUsersRole", "field": "users.role" }]);
    let result = client.request("workspace/executeCommand", json!({ "command": "convex-migrate.verify", "arguments": args })).await;
    assert!(log.exists(), "the verify ran");
    assert_eq!((result["success"].as_bool(), result["recorded"].as_bool()), (Some(true), Some(false)), "{result}");
    let shown = client.wait("how to record it", |m| m["method"] == "window/showMessage").await;
    assert!(shown["params"]["message"].as_str().unwrap().contains("`convex-migrate verify users.role --deployment dev`"), "{shown}");
    client.drain();
    for method in ["window/workDoneProgress/create", "workspace/applyEdit", "client/registerCapability"] {
        assert!(!client.seen.iter().any(|m| m["method"] == method), "{method} sent: {:#?}", client.seen);
    }
    assert!(!root.join("convex-migrate.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_is_reported_and_leaves_the_ledger() {
    let (_dir, root) = repo();
    let tools = tempfile::tempdir().unwrap();
    let (npx, _log) = stand_in_npx(tools.path(), "", 1);
    let mut client = Client::start();
    client
        .request("initialize", json!({ "capabilities": {}, "workspaceFolders": [{ "uri": uri(&root), "name": "w" }], "initializationOptions": { "npxPath": npx } }))
        .await;
    client.notify("initialized", json!({})).await;
    let result = client
        .request("workspace/executeCommand", json!({ "command": "convex-migrate.verify", "arguments": [{ "root": root, "function": "migrations:verifyUsersRole", "field": "users.role" }] }))
        .await;
    assert_eq!(result["success"], false);
    let shown = client.wait("an error shown", |m| m["method"] == "window/showMessage").await;
    client.drain();
    assert_eq!(shown["params"]["type"], 1);
    assert!(shown["params"]["message"].as_str().unwrap().contains("boom: deployment not found"), "{shown}");
    assert!(!client.seen.iter().any(|m| m["method"] == "workspace/applyEdit"));
    assert!(!root.join("convex-migrate.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dual_writes_are_flagged_explained_on_hover_and_declared() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    git(&root, &["init", "-q"]);
    let schema = "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\nexport default defineSchema({\n  posts: defineTable({ title: v.string(), tags: v.array(v.string()) }),\n});\n";
    write(&root, "convex/schema.ts", schema);
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "base"]);
    write(
        &root,
        "convex/schema.ts",
        &schema.replace("  posts:", "  postTags: defineTable({ post: v.id(\"posts\"), tag: v.string() }),\n  posts:"),
    );
    let posts = "import { v } from \"convex/values\";\nimport { mutation } from \"./_generated/server\";\n\nexport const createPost = mutation({\n  args: { title: v.string(), tags: v.array(v.string()) },\n  handler: async (ctx, { title, tags }) => {\n    const post = await ctx.db.insert(\"posts\", { title, tags });\n    for (const tag of tags) await ctx.db.insert(\"postTags\", { post, tag });\n  },\n});\n\nexport const updateTags = mutation({\n  args: { id: v.id(\"posts\"), tags: v.array(v.string()) },\n  handler: async (ctx, { id, tags }) => {\n    await ctx.db.patch(id, { tags });\n  },\n});\n";
    write(&root, "convex/posts.ts", posts);
    let posts_uri = uri(&root.join("convex/posts.ts"));
    let mut client = Client::start();
    client.initialize(&root, json!({ "workspace": { "workspaceEdit": { "resourceOperations": ["create"] } } })).await;
    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": posts_uri, "languageId": "typescript", "version": 1, "text": posts } }),
        )
        .await;
    let published = client.diagnostics(&posts_uri, |p| p["version"] == 1 && rules(p) == ["dual-write-one-side"]).await;
    let diagnostic = published["diagnostics"][0].clone();
    assert_eq!(diagnostic["range"]["start"], json!({ "line": 14, "character": 17 }));
    assert_eq!(diagnostic["severity"], 2);
    assert!(diagnostic["relatedInformation"][0]["message"].as_str().unwrap().contains("`posts:createPost` writes both"));

    let hover = client
        .request("textDocument/hover", json!({ "textDocument": { "uri": posts_uri }, "position": { "line": 14, "character": 19 } }))
        .await;
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.starts_with("**Dual-write `posts.tags` → `postTags`** (inferred from `posts:createPost`)"), "{markdown}");
    assert!(markdown.contains("Step: 1. write both"), "{markdown}");
    assert!(markdown.contains("- write both: `posts:createPost` (convex/posts.ts:4)"), "{markdown}");
    assert!(markdown.contains("- write only `posts.tags`: `posts:updateTags` (convex/posts.ts:12)"), "{markdown}");

    let actions = client
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": posts_uri }, "range": diagnostic["range"], "context": { "diagnostics": [diagnostic] } }),
        )
        .await;
    let declare = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Declare the dual-write `posts.tags` → `postTags`"))
        .expect("declare offered");
    let ops = declare["edit"]["documentChanges"].as_array().unwrap();
    assert_eq!(ops[0]["kind"], "create");
    assert!(ops[0]["uri"].as_str().unwrap().ends_with("/convex-migrate.json"));
    let text = ops[1]["edits"][0]["newText"].as_str().unwrap();
    assert_eq!(convex_migrate::config::Config::parse(text, &convex_migrate::analysis::Rule::config_levels).0.dual_writes.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_leaves_to_typescript_what_typescript_reports() {
    let (_dir, root) = repo();
    // The base already has `role` required: no transition finding, only the writes below.
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "required"]);
    let code = "import { v } from \"convex/values\";\nimport { mutation } from \"./_generated/server\";\nexport const f = mutation({\n  args: { id: v.id(\"users\") },\n  handler: async (ctx, args) => {\n    await ctx.db.patch(args.id, { name: 42 });\n    await ctx.db.patch(args.id, { role: undefined });\n  },\n});\n";
    let ts_uri = uri(&root.join("convex/users.ts"));
    let js_uri = uri(&root.join("convex/legacy.js"));
    let mut client = Client::start();
    client.initialize(&root, json!({})).await;
    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": ts_uri, "languageId": "typescript", "version": 1, "text": code } }),
        )
        .await;
    client
        .notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": js_uri, "languageId": "javascript", "version": 1, "text": code } }),
        )
        .await;
    // In TypeScript only the `undefined` patch, which TypeScript accepts; in JavaScript both.
    let ts = client.diagnostics(&ts_uri, |p| p["version"] == 1 && !rules(p).is_empty()).await;
    assert_eq!(rules(&ts), ["invalid-value"]);
    assert_eq!(ts["diagnostics"][0]["range"]["start"]["line"], 6);
    let js = client.diagnostics(&js_uri, |p| p["version"] == 1 && rules(p).len() == 2).await;
    assert_eq!(rules(&js), ["invalid-value", "invalid-value"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_git_the_schema_says_once_that_transition_rules_are_off() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root, "convex/schema.ts", WORKING_SCHEMA);
    let schema_uri = uri(&root.join("convex/schema.ts"));
    let mut client = Client::start();
    client.initialize(&root, json!({})).await;
    let params = client.diagnostics(&schema_uri, |p| !p["diagnostics"].as_array().unwrap().is_empty()).await;
    let diagnostics = params["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["severity"], 3);
    assert!(diagnostics[0]["message"].as_str().unwrap().contains("not a git repository: transition rules are off"));
}

/// Diagnostics of a closed file are sent again only when they change (open documents hear after
/// every analysis): typing in one file does not resend every other file's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_changed_diagnostics_are_published_again() {
    let (_dir, root) = repo();
    let schema_uri = uri(&root.join("convex/schema.ts"));
    let other = uri(&root.join("convex/other.ts"));
    let mut client = Client::start();
    client.initialize(&root, json!({})).await;
    client.diagnostics(&schema_uri, |p| rules(p) == ["required-without-backfill"]).await;
    let text = "export const a = 1;\n";
    client
        .notify("textDocument/didOpen", json!({ "textDocument": { "uri": other, "languageId": "typescript", "version": 1, "text": text } }))
        .await;
    client.diagnostics(&other, |p| p["version"] == 1).await;
    for version in 2..=5 {
        client
            .notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": other, "version": version }, "contentChanges": [
                { "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "text": " " } ] }),
            )
            .await;
        client.diagnostics(&other, |p| p["version"] == version).await;
    }
    client.drain();
    let sent = |client: &Client, to: &str| {
        client.seen.iter().filter(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == to).count()
    };
    assert_eq!(sent(&client, schema_uri.as_str()), 1, "the closed schema's diagnostics did not change: sent once");
    assert_eq!(sent(&client, other.as_str()), 5, "each version of the edited document is answered");
    // A change that does move the schema's diagnostics: a backfill appears in another file.
    client
        .notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": other, "version": 6 }, "contentChanges": [{ "text": BACKFILL }] }),
        )
        .await;
    client
        .diagnostics(&schema_uri, |p| {
            p["diagnostics"][0]["message"].as_str().is_some_and(|m| m.contains("exists only in the working tree"))
        })
        .await;
}

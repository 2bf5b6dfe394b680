//! `convex-migrate plan` as users follow it: on real git repositories (a commit stands for a
//! deploy: the base is what is deployed), each step marked only on evidence, `--apply` taking the
//! next edit, the ledger written as `verify` writes it. One test per way the first release's plans
//! broke a deploy or lost data (issue 13), each failing on that release.

mod common;

use common::{git, stand_in_npx, write};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_convex-migrate");

fn run(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(BIN);
    command.args(args).current_dir(dir);
    for name in ["CI", "GITHUB_ACTIONS", "GITHUB_BASE_REF", "CI_MERGE_REQUEST_DIFF_BASE_SHA"] {
        command.env_remove(name);
    }
    command.output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn commit(root: &Path, message: &str) {
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", message]);
}

/// A fresh repository holding `files` as its one commit (what is deployed).
fn deployed(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    git(&root, &["init", "-q", "-b", "main"]);
    for (path, text) in files {
        write(&root, path, text);
    }
    commit(&root, "deployed");
    (dir, root)
}

fn users(fields: &str) -> String {
    format!("import {{ defineSchema, defineTable }} from \"convex/server\";\nimport {{ v }} from \"convex/values\";\n\nexport default defineSchema({{\n  users: defineTable({{\n{fields}  }}),\n}});\n")
}

fn plan(root: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["plan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let o = run(root, &all);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)))
}

fn step<'a>(plan: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    plan["steps"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("no step {id} in {plan:#}"))
}

fn ids(plan: &serde_json::Value) -> Vec<String> {
    plan["steps"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect()
}

/// `plan … --apply`, expecting `code`; the step it took (or names).
fn apply(root: &Path, args: &[&str], code: i32) -> serde_json::Value {
    let mut all = vec!["plan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--apply", "--format", "json"]);
    let o = run(root, &all);
    assert_eq!(o.status.code(), Some(code), "{}{}", stdout(&o), stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

/// `plan … --apply` until it has nothing to apply (exit 3); the ids of the steps it took.
fn apply_all(root: &Path, args: &[&str]) -> Vec<String> {
    let mut taken = Vec::new();
    for _ in 0..40 {
        let mut all = vec!["plan"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--apply", "--format", "json"]);
        let o = run(root, &all);
        let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), stderr(&o)));
        match o.status.code() {
            Some(0) => taken.push(value["applied"]["id"].as_str().unwrap().to_string()),
            Some(3) => return taken,
            other => panic!("exit {other:?}: {}{}", stdout(&o), stderr(&o)),
        }
    }
    panic!("--apply never stopped: {taken:?}")
}

fn verified(root: &Path, ledger: &str) {
    write(root, "convex-migrate.json", ledger);
}

const INSERT: &str = "import { v } from \"convex/values\";\nimport { mutation } from \"./_generated/server\";\nexport const create = mutation({\n  args: { name: v.string() },\n  handler: async (ctx, args) => {\n    await ctx.db.insert(\"users\", { name: args.name });\n  },\n});\n";

const CURSOR_BACKFILL: &str = r#"import { v } from "convex/values";
import { internalMutation } from "./_generated/server";
import { internal } from "./_generated/api";
export const backfillUsersRole = internalMutation({
  args: { cursor: v.union(v.string(), v.null()) },
  handler: async (ctx, args) => {
    const { page, isDone, continueCursor } = await ctx.db.query("users").paginate({ cursor: args.cursor, numItems: 100 });
    for (const user of page) {
      if (user.role === undefined) await ctx.db.patch(user._id, { role: "member" });
    }
    if (!isDone) await ctx.scheduler.runAfter(0, internal.migrations.backfillUsersRole, { cursor: continueCursor });
  },
});
"#;

const ROLE_OPTIONAL: &str = "    name: v.string(),\n    role: v.optional(v.union(v.literal(\"admin\"), v.literal(\"member\"))),\n";
const ROLE_REQUIRED: &str = "    name: v.string(),\n    role: v.union(v.literal(\"admin\"), v.literal(\"member\")),\n";

/// The working tree already makes the field required, the data is not migrated: the first step
/// restores a deployable state, and nothing after it is ticked from the base alone.
#[test]
fn require_restores_a_deployable_state_first() {
    let (_dir, root) = deployed(&[("convex/schema.ts", &users(ROLE_OPTIONAL))]);
    write(&root, "convex/schema.ts", &users(ROLE_REQUIRED));
    let p = plan(&root, &["require", "users.role"]);
    assert_eq!(p["next"], "users.role/widen");
    let widen = step(&p, "users.role/widen");
    assert!(widen["title"].as_str().unwrap().starts_with("Restore a deployable state"), "{widen:#}");
    assert_eq!(widen["applicable"], true);
    let narrow = step(&p, "users.role/narrow");
    assert_eq!(narrow["done"], false, "the narrowing is not done while the data is not migrated: {narrow:#}");
    assert_eq!(step(&p, "deploy-2")["done"], false);
    let applied = apply(&root, &["require", "users.role"], 0);
    assert_eq!(applied["applied"]["id"], "users.role/widen");
    assert_eq!(read(&root, "convex/schema.ts"), users(ROLE_OPTIONAL));
    assert_eq!(run(&root, &["check"]).status.code(), Some(0), "check agrees once restored");
}

/// The field is already gone from the working tree and no migration exists: nothing is ticked
/// that does not exist, and the first step puts it back.
#[test]
fn remove_restores_first_and_ticks_only_what_exists() {
    let (_dir, root) = deployed(&[("convex/schema.ts", &users("    name: v.string(),\n    isPro: v.boolean(),\n"))]);
    write(&root, "convex/schema.ts", &users("    name: v.string(),\n"));
    let p = plan(&root, &["remove", "users.isPro"]);
    assert_eq!(p["next"], "users.isPro/deprecate");
    assert!(step(&p, "users.isPro/deprecate")["title"].as_str().unwrap().starts_with("Restore a deployable state"));
    for id in [
        "users.isPro/unset",
        "users.isPro/verify-function",
        "users.isPro/test",
        "deploy-1",
        "users.isPro/run",
        "users.isPro/verify",
        "users.isPro/remove",
    ] {
        assert_eq!(step(&p, id)["done"], false, "{id} is not done: {:#}", step(&p, id));
    }
    apply(&root, &["remove", "users.isPro"], 0);
    assert!(read(&root, "convex/schema.ts").contains(
        "    // Deprecated: kept optional until a migration unsets it everywhere, then removed.\n    isPro: v.optional(v.boolean()),\n"
    ));
    // The unset migration is named for what it does.
    let taken = apply(&root, &["remove", "users.isPro"], 0);
    assert_eq!(taken["applied"]["id"], "users.isPro/unset");
    assert!(read(&root, "convex/migrations.ts").contains("export const unsetUsersIsPro = internalMutation({"));
}

/// Printed commands run as printed: the arguments the function requires, the deployment, and the
/// project's package manager.
#[test]
fn commands_carry_their_arguments_the_deployment_and_the_package_manager() {
    let (_dir, root) = deployed(&[
        ("convex/schema.ts", &users(ROLE_OPTIONAL)),
        ("convex/migrations.ts", CURSOR_BACKFILL),
        ("package.json", "{ \"devDependencies\": { \"convex-migrate\": \"0.1.0\" } }\n"),
        ("pnpm-lock.yaml", "lockfileVersion: '9.0'\n"),
    ]);
    let p = plan(&root, &["require", "users.role"]);
    let run_step = step(&p, "users.role/run");
    let command = &run_step["commands"][0];
    assert_eq!(
        command["argv"],
        serde_json::json!(["pnpm", "exec", "convex", "run", "migrations:backfillUsersRole", "--prod", "{\"cursor\": null}"])
    );
    assert_eq!(command["function"], "migrations:backfillUsersRole");
    assert_eq!(command["args"], serde_json::json!({ "cursor": null }));
    assert_eq!(command["deployment"], "prod");
    assert_eq!(
        step(&p, "users.role/verify")["commands"][0]["argv"],
        serde_json::json!(["pnpm", "exec", "convex-migrate", "verify", "users.role", "--prod"])
    );
    assert_eq!(step(&p, "deploy-1")["commands"][0]["argv"], serde_json::json!(["pnpm", "exec", "convex", "deploy"]));
    let dev = plan(&root, &["require", "users.role", "--deployment", "dev"]);
    assert_eq!(
        step(&dev, "users.role/run")["commands"][0]["argv"],
        serde_json::json!(["pnpm", "exec", "convex", "run", "migrations:backfillUsersRole", "{\"cursor\": null}"])
    );
    assert_eq!(step(&dev, "deploy-1")["commands"][0]["argv"], serde_json::json!(["pnpm", "exec", "convex", "dev", "--once"]));
    // As people read it: one line they can paste.
    let o = run(&root, &["plan", "require", "users.role"]);
    assert!(stdout(&o).contains("$ pnpm exec convex run migrations:backfillUsersRole --prod '{\"cursor\": null}'"), "{}", stdout(&o));
}

/// The narrowing removes the migration code written for the old shape (so the deploy's
/// type-check passes), the generated test included; after the removal deploy, cleanup is still
/// reachable when code is left.
#[test]
fn narrowing_takes_the_old_shapes_code_with_it() {
    let (_dir, root) = deployed(&[("convex/schema.ts", &users(ROLE_OPTIONAL)), ("convex/users.ts", INSERT)]);
    let taken = apply_all(&root, &["require", "users.role", "--default", "member"]);
    assert_eq!(taken, ["users.role/inserts", "users.role/backfill", "users.role/verify-function", "users.role/test"]);
    assert!(read(&root, "convex/users.ts").contains("{ name: args.name, role: \"member\" }"), "--default is what inserts write");
    assert!(root.join("convex/migrations.test.ts").exists());
    commit(&root, "deploy 1");
    verified(&root, "{ \"verified\": { \"users.role\": { \"deployment\": \"prod\", \"remaining\": 0 } } }\n");
    let p = plan(&root, &["require", "users.role"]);
    assert_eq!(p["next"], "users.role/narrow");
    let files: Vec<&serde_json::Value> = step(&p, "users.role/narrow")["fix"]["files"].as_array().unwrap().iter().collect();
    assert!(files.iter().any(|f| f["path"] == "convex/migrations.test.ts" && f["delete"] == true), "{files:#?}");
    apply(&root, &["require", "users.role"], 0);
    assert!(!root.join("convex/migrations.test.ts").exists(), "the generated test goes with the backfill");
    let left = read(&root, "convex/migrations.ts");
    assert!(!left.contains("export const"), "no migration code left: {left}");
    assert!(read(&root, "convex/schema.ts").contains("    role: v.union(v.literal(\"admin\"), v.literal(\"member\")),\n"));
    commit(&root, "deploy 2");
    let p = plan(&root, &["require", "users.role"]);
    assert!(p["steps"].as_array().unwrap().iter().all(|s| s["done"] == true), "{p:#}");
    assert_eq!(apply(&root, &["require", "users.role"], 3)["reason"], "every step to make `users.role` required is done");

    // A removal deployed with its migration code still in the tree: the cleanup is offered.
    let (_dir, root) = deployed(&[
        ("convex/schema.ts", &users("    name: v.string(),\n")),
        ("convex/migrations.ts", "import { v } from \"convex/values\";\nimport { internalMutation } from \"./_generated/server\";\nexport const unsetUsersIsPro = internalMutation({\n  args: { cursor: v.optional(v.union(v.string(), v.null())) },\n  handler: async (ctx, args) => {\n    const { page } = await ctx.db.query(\"users\").paginate({ cursor: args.cursor ?? null, numItems: 100 });\n    for (const doc of page) {\n      if (doc.isPro !== undefined) {\n        await ctx.db.patch(doc._id, { isPro: undefined });\n      }\n    }\n  },\n});\n"),
    ]);
    let p = plan(&root, &["remove", "users.isPro"]);
    assert_eq!(p["next"], "users.isPro/cleanup", "{p:#}");
    assert_eq!(apply(&root, &["remove", "users.isPro"], 0)["applied"]["id"], "users.isPro/cleanup");
    assert!(!read(&root, "convex/migrations.ts").contains("unsetUsersIsPro"));
}

const ROLE_WIDE: &str = "    name: v.string(),\n    role: v.union(v.literal(\"admin\"), v.literal(\"member\"), v.literal(\"guest\")),\n";
const ROLE_NARROW: &str = "    name: v.string(),\n    role: v.union(v.literal(\"admin\"), v.literal(\"member\")),\n";
const GUEST_WRITER: &str = "import { v } from \"convex/values\";\nimport { mutation } from \"./_generated/server\";\nexport const invite = mutation({\n  args: { name: v.string() },\n  handler: async (ctx, args) => {\n    await ctx.db.insert(\"users\", { name: args.name, role: \"guest\" });\n  },\n});\n";

/// A union narrowed in place can be finished: the mapping migration, its verify, the ledger's
/// `without`, and `narrowed-type` a note once it records the removed values gone.
#[test]
fn a_narrowed_union_is_migrated_in_place_and_finishes() {
    let (_dir, root) = deployed(&[("convex/schema.ts", &users(ROLE_WIDE)), ("convex/users.ts", GUEST_WRITER)]);
    let args = ["narrow", "users.role", "--map", "guest=member"];
    let p = plan(&root, &args);
    assert_eq!(
        ids(&p)[..6],
        ["users.role/widen", "users.role/stop-writes", "users.role/migration", "users.role/verify-function", "users.role/test", "deploy-1"]
    );
    for expect in ["users.role/stop-writes", "users.role/migration", "users.role/verify-function", "users.role/test"] {
        assert_eq!(apply(&root, &args, 0)["applied"]["id"], expect);
    }
    assert!(read(&root, "convex/users.ts").contains("role: \"member\""), "the app writes the new value");
    let migrations = read(&root, "convex/migrations.ts");
    assert!(
        migrations.contains("if (doc.role === \"guest\") {\n        await ctx.db.patch(doc._id, { role: \"member\" });"),
        "{migrations}"
    );
    let test = read(&root, "convex/migrations.test.ts");
    assert!(test.contains("const MAP = { \"guest\": \"member\" } as const;"));
    // The documents go into the narrowed schema with the removed value ruled out first, a test
    // TypeScript narrows on: inserting the wide type there did not type-check (the walk's tsc).
    assert!(
        test.contains(concat!(
            "    for (const { _id, _creationTime, role: value, ...rest } of docs) {\n",
            "      if (value === \"guest\") throw new Error(\"a document of `users` still holds \\\"guest\\\"\");\n",
            "      await ctx.db.insert(\"users\", { ...rest, role: value });\n",
        )),
        "{test}"
    );
    assert_eq!(apply(&root, &args, 3)["next"], "deploy-1");
    commit(&root, "deploy 1");
    // `verify --without` records the values verified gone (a stand-in npx: no deployment here).
    let tools = tempfile::tempdir().unwrap();
    let (npx, log) = stand_in_npx(tools.path(), "{ \"scanned\": 10, \"remaining\": 0 }", 0);
    let o = run(&root, &["verify", "users.role", "--prod", "--without", "guest", "--npx", npx.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(read(&root, tools.path().join("npx.log").to_str().unwrap()).contains("convex run migrations:verifyUsersRoleValues --prod"));
    let _ = log;
    let ledger: serde_json::Value = serde_json::from_str(&read(&root, "convex-migrate.json")).unwrap();
    assert_eq!(ledger["verified"]["users.role"]["without"], serde_json::json!(["guest"]));
    let p = plan(&root, &args);
    assert_eq!(p["next"], "users.role/narrow");
    apply(&root, &args, 0);
    assert_eq!(read(&root, "convex/schema.ts"), users(ROLE_NARROW));
    assert!(!root.join("convex/migrations.test.ts").exists());
    // check: the narrowing is a note now, not an error.
    let o = run(&root, &["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let narrowed: Vec<&serde_json::Value> =
        report["diagnostics"].as_array().unwrap().iter().filter(|d| d["rule"] == "narrowed-type").collect();
    assert_eq!(narrowed.len(), 1);
    assert_eq!(narrowed[0]["severity"], "info", "{:#}", narrowed[0]);
    // Without the ledger entry, the deployed migration makes it a backfill-unverified warning.
    std::fs::remove_file(root.join("convex-migrate.json")).unwrap();
    let o = run(&root, &["check"]);
    assert!(stdout(&o).contains("warning[backfill-unverified]: `users.role` narrows; the backfill `migrations:migrateUsersRoleValues` is deployed but not verified"), "{}", stdout(&o));
    // And before any migration is deployed, an error whose help names `plan narrow`.
    let (_fresh, fresh) = deployed(&[("convex/schema.ts", &users(ROLE_WIDE))]);
    write(&fresh, "convex/schema.ts", &users(ROLE_NARROW));
    let o = run(&fresh, &["check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("convex-migrate plan narrow users.role --map 'guest=…'"), "{}", stdout(&o));
}

const NAMES: &str = "import { v } from \"convex/values\";\nimport { mutation } from \"./_generated/server\";\nexport const create = mutation({\n  args: { name: v.string() },\n  handler: async (ctx, args) => {\n    await ctx.db.insert(\"users\", { name: args.name });\n  },\n});\n";

/// One plan for a split into fields, in the order that keeps the data: the backfills that read
/// `name` are verified before its unset runs, and `verify` refuses the other order.
#[test]
fn a_split_unsets_the_old_field_only_after_what_reads_it() {
    let (_dir, root) = deployed(&[("convex/schema.ts", &users("    name: v.string(),\n")), ("convex/users.ts", NAMES)]);
    let args = [
        "split",
        "users.name",
        "--into",
        "firstName,lastName",
        "--with",
        "firstName=doc.name.split(\" \")[0]",
        "--with",
        "lastName=doc.name.split(\" \").slice(1).join(\" \")",
    ];
    let p = plan(&root, &args);
    assert_eq!(ids(&p)[..3], ["users.firstName/add", "users.lastName/add", "users.name/declare"]);
    let taken = apply_all(&root, &args);
    assert_eq!(taken[..4], ["users.firstName/add", "users.lastName/add", "users.name/declare", "users.name/dual-write"]);
    assert!(read(&root, "convex/schema.ts")
        .contains("    name: v.string(),\n    firstName: v.optional(v.string()),\n    lastName: v.optional(v.string()),\n"));
    let app = read(&root, "convex/users.ts");
    assert!(
        app.contains(
            "{ name: args.name, firstName: (args.name).split(\" \")[0], lastName: (args.name).split(\" \").slice(1).join(\" \") }"
        ),
        "the dual-write derives the new fields: {app}"
    );
    let p = plan(&root, &args);
    let at = |id: &str| p["steps"].as_array().unwrap().iter().position(|s| s["id"] == id).unwrap_or_else(|| panic!("{id}: {:?}", ids(&p)));
    assert!(
        at("users.firstName/verify") < at("deploy-2") && at("deploy-2") < at("users.name/run"),
        "firstName is verified before name is unset: {:?}",
        ids(&p)
    );
    let migrations = read(&root, "convex/migrations.ts");
    assert!(
        migrations.contains("if (doc.firstName === undefined && doc.name !== undefined) {"),
        "a derived backfill leaves documents without the source for the verify to count: {migrations}"
    );
    assert_eq!(p["next"], "deploy-1");
    // Each new field's test seeds the other one too: after `firstName` is narrowed (its test
    // removed with it), the test of `lastName` must still type-check (the walk's tsc failed so).
    let seed = |path: &str| read(&root, path).lines().find(|l| l.trim_start().starts_with("const doc = {")).unwrap_or_default().to_string();
    let first = seed("convex/migrations.test.ts");
    assert!(first.contains(", lastName: ") && first.contains("? { firstName: "), "{first}");
    let last = seed("convex/backfillUsersLastName.test.ts");
    assert!(last.contains(", firstName: ") && last.contains("? { lastName: "), "{last}");
}

/// What a split leaves after its first deploy: `name` deprecated with its unset migration, and a
/// backfill of `firstName` that reads `name`, deployed and not verified.
#[test]
fn an_unset_waits_for_the_backfills_that_read_the_field() {
    let schema = users("    // Deprecated: kept optional until a migration unsets it everywhere, then removed.\n    name: v.optional(v.string()),\n    firstName: v.optional(v.string()),\n");
    let migrations = r#"import { v } from "convex/values";
import { internalMutation } from "./_generated/server";
export const backfillUsersFirstName = internalMutation({
  args: { cursor: v.optional(v.union(v.string(), v.null())) },
  handler: async (ctx, args) => {
    const { page } = await ctx.db.query("users").paginate({ cursor: args.cursor ?? null, numItems: 100 });
    for (const doc of page) {
      if (doc.firstName === undefined && doc.name !== undefined) {
        await ctx.db.patch(doc._id, { firstName: doc.name.split(" ")[0] });
      }
    }
  },
});
export const unsetUsersName = internalMutation({
  args: { cursor: v.optional(v.union(v.string(), v.null())) },
  handler: async (ctx, args) => {
    const { page } = await ctx.db.query("users").paginate({ cursor: args.cursor ?? null, numItems: 100 });
    for (const doc of page) {
      if (doc.name !== undefined) {
        await ctx.db.patch(doc._id, { name: undefined });
      }
    }
  },
});
export const verifyUsersNamePage = internalQuery({
  args: { cursor: v.union(v.string(), v.null()) },
  handler: async (ctx, args) => {
    const { page, isDone, continueCursor } = await ctx.db.query("users").paginate({ cursor: args.cursor, numItems: 500 });
    return { scanned: page.length, remaining: page.filter((doc) => doc.name !== undefined).length, isDone, continueCursor };
  },
});
"#
    .replace("import { internalMutation }", "import { internalMutation, internalQuery }");
    let (_dir, root) = deployed(&[("convex/schema.ts", &schema), ("convex/migrations.ts", &migrations)]);
    let p = plan(&root, &["remove", "users.name"]);
    let blocked = step(&p, "users.name/run")["blocked"].as_str().unwrap_or_default().to_string();
    assert!(
        blocked.contains("`migrations:backfillUsersFirstName` (for `users.firstName`)") && blocked.contains("would lose what they read"),
        "{blocked}"
    );
    let o = run(&root, &["verify", "users.name", "--prod", "--npx", "/nonexistent"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("`migrations:backfillUsersFirstName` read `name` and is not verified on prod"), "{}", stderr(&o));
    // The whole-change plan runs the backfill of firstName before the unset of name.
    let all = plan(&root, &[]);
    let order = ids(&all);
    let at = |id: &str| order.iter().position(|s| s == id).unwrap_or_else(|| panic!("{id} in {order:?}"));
    assert!(at("users.firstName/verify") < at("users.name/run"), "{order:?}");
    // Once firstName is verified on prod, the unset may run.
    verified(&root, "{ \"verified\": { \"users.firstName\": { \"deployment\": \"prod\", \"remaining\": 0 } } }\n");
    let p = plan(&root, &["remove", "users.name"]);
    assert!(step(&p, "users.name/run")["blocked"].is_null(), "{:#}", step(&p, "users.name/run"));
}

/// A deploy is done only when the base holds everything the next steps run (the verify function
/// added after it included); a test counts only when it imports the api and calls the backfill.
#[test]
fn deploys_and_tests_are_marked_on_evidence() {
    let (_dir, root) = deployed(&[("convex/schema.ts", &users(ROLE_OPTIONAL)), ("convex/migrations.ts", CURSOR_BACKFILL)]);
    apply(&root, &["require", "users.role"], 0); // the verify function, after the backfill's deploy
    let p = plan(&root, &["require", "users.role"]);
    let deploy = step(&p, "deploy-1");
    assert_eq!(deploy["done"], false, "{deploy:#}");
    assert!(
        deploy["missing"][0].as_str().unwrap().starts_with("the verify function `migrations:verifyUsersRole`: not at the base"),
        "{deploy:#}"
    );
    assert!(step(&p, "users.role/verify")["blocked"].as_str().unwrap().contains("not deployed"));
    // A test that names the backfill without calling it does not count.
    write(
        &root,
        "convex/notes.test.ts",
        "// TODO: test backfillUsersRole\nimport { test } from \"vitest\";\ntest(\"backfillUsersRole\", () => {});\n",
    );
    assert_eq!(step(&plan(&root, &["require", "users.role"]), "users.role/test")["done"], false);
    write(
        &root,
        "convex/notes.test.ts",
        "import { convexTest } from \"convex-test\";\nimport { test } from \"vitest\";\nimport { internal } from \"./_generated/api\";\nimport schema from \"./schema\";\ntest(\"fills\", async () => {\n  const t = convexTest(schema, import.meta.glob(\"./**/*.*s\"));\n  await t.mutation(internal.migrations.backfillUsersRole, { cursor: null });\n});\n",
    );
    let test = step(&plan(&root, &["require", "users.role"]), "users.role/test").clone();
    assert_eq!(test["done"], true);
    assert_eq!(test["evidence"][0], "convex/notes.test.ts calls `migrations:backfillUsersRole`");
}

/// `--default` is what every generated write puts (inserts included); without it a union of
/// literals gets a placeholder that names the choices and fails the type-check.
#[test]
fn values_are_chosen_not_guessed() {
    let (_dir, root) = deployed(&[("convex/schema.ts", &users(ROLE_OPTIONAL)), ("convex/users.ts", INSERT)]);
    let p = plan(&root, &["require", "users.role"]);
    let inserts = step(&p, "users.role/inserts");
    let text = inserts["fix"]["files"][0]["edits"][0]["newText"].as_str().unwrap();
    assert!(text.contains("role: \"CHOOSE ONE: \\\"admin\\\" | \\\"member\\\" (convex-migrate plan --default)\""), "{text}");
    let backfill = step(&p, "users.role/backfill");
    assert!(
        backfill["missing"].as_array().unwrap().iter().any(|m| m.as_str().unwrap().contains("choose one of \"admin\" | \"member\"")),
        "{backfill:#}"
    );
    // check flags the placeholder as a value the field does not accept.
    apply(&root, &["require", "users.role"], 0);
    let o = run(&root, &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("CHOOSE ONE"), "{}", stdout(&o));
    git(&root, &["checkout", "-q", "."]);
    let p = plan(&root, &["require", "users.role", "--default", "admin"]);
    let text = step(&p, "users.role/inserts")["fix"]["files"][0]["edits"][0]["newText"].as_str().unwrap().to_string();
    assert_eq!(text, ", role: \"admin\"");
    let backfill = step(&p, "users.role/backfill")["fix"]["files"][0]["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["newText"].as_str().unwrap())
        .collect::<String>();
    assert!(backfill.contains("await ctx.db.patch(doc._id, { role: \"admin\" });"), "{backfill}");
}

/// `plan --format` takes only what it writes; errors under `--format json` are JSON; `--apply`
/// says why it did nothing (exit 3).
#[test]
fn formats_errors_and_exit_codes_for_tools() {
    let (_dir, root) = deployed(&[("convex/schema.ts", &users(ROLE_OPTIONAL))]);
    for format in ["github", "sarif"] {
        let o = run(&root, &["plan", "require", "users.role", "--format", format]);
        assert_eq!(o.status.code(), Some(2), "{format}");
        assert!(stderr(&o).contains("invalid value") && stderr(&o).contains("human") && stderr(&o).contains("json"), "{}", stderr(&o));
    }
    let o = run(&root, &["plan", "require", "users.nope", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let error: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(error["error"]["message"].as_str().unwrap().contains("unknown field `nope` of `users`"), "{error:#}");
    let o = run(&root, &["plan", "require", "users.role", "--frobnicate", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap()["error"]["message"].as_str().unwrap().contains("--frobnicate"));
    // Nothing to write yet but the backfill: it is written; then the deploy is manual: exit 3.
    apply_all(&root, &["require", "users.role"]);
    let o = run(&root, &["plan", "require", "users.role", "--apply"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).contains("is done by hand: a deploy is yours to run"), "{}", stdout(&o));
    for (args, says) in [
        (vec!["plan", "require", "users"], "is not `table.field`"),
        (vec!["plan", "require", "nope.role"], "unknown table `nope`"),
        (vec!["plan", "split", "users.name"], "split needs --into"),
        (vec!["plan", "split", "users.name", "--into", "a,b"], "add --with 'a=EXPR'"),
        (vec!["plan", "narrow", "users.role"], "name the values that go with --map"),
        (vec!["plan", "narrow", "users.role", "--map", "guest=member"], "`guest` is not a value of `users.role`"),
        (vec!["plan", "remove", "users.role", "--default", "x"], "--default does not apply to `plan remove`"),
        (vec!["plan", "frobnicate", "users.name"], "unknown change `frobnicate`"),
    ] {
        let o = run(&root, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(stderr(&o).starts_with("error: ") && stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
}

/// `check --fix` takes the quick fixes that need no decision, then reports what is left.
#[test]
fn check_fix_restores_a_deployable_state() {
    let (_dir, root) = deployed(&[(
        "convex/schema.ts",
        &users("    name: v.string(),\n    isPro: v.optional(v.boolean()),\n    role: v.optional(v.string()),\n"),
    )]);
    write(&root, "convex/schema.ts", &users("    name: v.string(),\n    role: v.string(),\n"));
    let o = run(&root, &["check", "--fix"]);
    assert!(stderr(&o).contains("--fix: applied 2 fix(es) to convex/schema.ts"), "{}", stderr(&o));
    let schema = read(&root, "convex/schema.ts");
    assert!(schema.contains("role: v.optional(v.string())") && schema.contains("isPro: v.optional(v.boolean())"), "{schema}");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

/// Fields written on one line: marking one deprecated puts the comment on a line of its own
/// before it; removing it later takes only it.
#[test]
fn fields_that_share_a_line() {
    let one_line = "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\n\nexport default defineSchema({\n  users: defineTable({ name: v.string(), isPro: v.boolean(), age: v.number() }),\n});\n";
    let (_dir, root) = deployed(&[("convex/schema.ts", one_line)]);
    assert_eq!(apply(&root, &["remove", "users.isPro"], 0)["applied"]["id"], "users.isPro/deprecate");
    let schema = read(&root, "convex/schema.ts");
    assert!(
        schema.contains("defineTable({ name: v.string(), \n    // Deprecated: kept optional until a migration unsets it everywhere, then removed.\n    isPro: v.optional(v.boolean()), age: v.number() })"),
        "{schema}"
    );
    assert_eq!(run(&root, &["check"]).status.code(), Some(0), "a deprecated field is a warning at most");
}

/// The migrations component, installed by convex.config.ts and instantiated nowhere: the plan's
/// backfill creates convex/migrations.ts declaring it; a component that package.json lists but
/// convex.config.ts does not install leaves hand-written migrations, with a note saying why.
#[test]
fn the_migrations_component_is_used_wherever_it_is_installed() {
    const CONFIG: &str = "import { defineApp } from \"convex/server\";\nimport migrations from \"@convex-dev/migrations/convex.config\";\nconst app = defineApp();\napp.use(migrations);\nexport default app;\n";
    const PACKAGE: &str = "{ \"dependencies\": { \"convex\": \"1.48.0\", \"@convex-dev/migrations\": \"0.3.6\" } }\n";
    let backfill_text = |root: &Path| {
        apply_all(root, &["require", "users.role", "--default", "'member'"]);
        read(root, "convex/migrations.ts")
    };

    let (_dir, installed) =
        deployed(&[("convex/schema.ts", &users(ROLE_OPTIONAL)), ("convex/convex.config.ts", CONFIG), ("package.json", PACKAGE)]);
    write(&installed, "convex/schema.ts", &users(ROLE_REQUIRED));
    let p = plan(&installed, &["require", "users.role"]);
    assert!(p["notes"].as_array().unwrap().iter().all(|n| !n.as_str().unwrap().contains("does not install")), "{p:#}");
    let text = backfill_text(&installed);
    assert!(text.contains("export const migrations = new Migrations<DataModel>(components.migrations);"), "{text}");
    assert!(text.contains("export const backfillUsersRole = migrations.define({"), "{text}");
    assert!(!text.contains("internalMutation"), "{text}");

    let (_dir, listed) = deployed(&[("convex/schema.ts", &users(ROLE_OPTIONAL)), ("package.json", PACKAGE)]);
    write(&listed, "convex/schema.ts", &users(ROLE_REQUIRED));
    let p = plan(&listed, &["require", "users.role"]);
    let notes: Vec<&str> = p["notes"].as_array().unwrap().iter().filter_map(|n| n.as_str()).collect();
    assert!(notes.iter().any(|n| n.contains("does not install it")), "{notes:?}");
    let text = backfill_text(&listed);
    assert!(text.contains("export const backfillUsersRole = internalMutation({"), "{text}");
}

const ROLE_ARG_WRITER: &str = "import { v } from \"convex/values\";\nimport { mutation } from \"./_generated/server\";\nexport const create = mutation({\n  args: { name: v.string(), role: v.union(v.literal(\"admin\"), v.literal(\"member\"), v.literal(\"guest\")) },\n  handler: async (ctx, args) => {\n    await ctx.db.insert(\"users\", { name: args.name, role: args.role });\n  },\n});\n";

/// An app that writes its argument to the narrowed field, where the argument still accepts the
/// removed value, still writes it: the step is not done (the walk's tsc failed at the narrowing,
/// the insert no longer type-checking), and is done once the argument is narrowed.
#[test]
fn a_narrowing_waits_for_arguments_that_still_accept_the_removed_value() {
    let (_dir, root) = deployed(&[("convex/schema.ts", &users(ROLE_WIDE)), ("convex/users.ts", ROLE_ARG_WRITER)]);
    let args = ["narrow", "users.role", "--map", "guest=member"];
    let p = plan(&root, &args);
    let stop = step(&p, "users.role/stop-writes");
    assert_eq!(stop["done"], false, "{stop:#}");
    assert_eq!(
        stop["missing"],
        serde_json::json!(["`users:create` writes its argument `role` at convex/users.ts:6, and the argument still accepts \"guest\""])
    );
    assert!(stop["manual"].as_str().unwrap().contains("narrow the argument's validator"), "{stop:#}");
    assert_eq!(stop["applicable"], false);
    // The developer narrows the argument: done.
    write(&root, "convex/users.ts", &ROLE_ARG_WRITER.replace(", v.literal(\"guest\")) }", ") }"));
    let p = plan(&root, &args);
    assert_eq!(step(&p, "users.role/stop-writes")["done"], true);
}

/// A finished narrowing (the value gone from the base and the working tree, the ledger recording
/// it gone) and a finished removal plan as done, not as an unknown value or field (exit 2):
/// the walk's last `plan` after the narrowing deploy failed so.
#[test]
fn finished_narrowings_and_removals_plan_as_done() {
    let (_dir, root) = deployed(&[("convex/schema.ts", &users(ROLE_NARROW))]);
    let args = ["narrow", "users.role", "--map", "guest=member"];
    // Without the ledger, `guest` is not a value of the field.
    let mut all = vec!["plan"];
    all.extend_from_slice(&args);
    let o = run(&root, &all);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("`guest` is not a value of `users.role`"), "{}", stderr(&o));
    verified(&root, "{ \"verified\": { \"users.role\": { \"deployment\": \"prod\", \"remaining\": 0, \"without\": [\"guest\"] } } }\n");
    let p = plan(&root, &args);
    assert_eq!(p["next"], serde_json::Value::Null, "{p:#}");
    assert!(p["steps"].as_array().unwrap().iter().all(|s| s["done"] == true), "{p:#}");
    assert!(p["notes"][0].as_str().unwrap().contains("nothing left to do"), "{p:#}");
    // Another deployment's plan does not take prod's word for it.
    let mut dev = vec!["plan"];
    dev.extend_from_slice(&args);
    dev.extend_from_slice(&["--deployment", "dev"]);
    assert_eq!(run(&root, &dev).status.code(), Some(2));

    let (_dir2, root) = deployed(&[("convex/schema.ts", &users("    name: v.string(),\n"))]);
    let o = run(&root, &["plan", "remove", "users.nickname"]);
    assert_eq!(o.status.code(), Some(2), "a field never seen is still an error: {}", stdout(&o));
    verified(&root, "{ \"verified\": { \"users.nickname\": { \"deployment\": \"prod\", \"remaining\": 0 } } }\n");
    let p = plan(&root, &["remove", "users.nickname"]);
    assert_eq!(p["next"], serde_json::Value::Null, "{p:#}");
    assert_eq!(
        p["notes"],
        serde_json::json!([format!(
            "`users.nickname` is gone from the base ({}) and from the working tree, no migration code is left, and the ledger records it unset on prod: nothing left to do",
            &String::from_utf8(Command::new("git").args(["rev-parse", "HEAD"]).current_dir(&root).output().unwrap().stdout).unwrap()[..7]
        )])
    );
}

/// After the new fields of a split are verified, retiring the dual-write declaration does not
/// make "declare" due again: the walk went round declare → undeclare → declare forever.
#[test]
fn a_retired_dual_write_is_not_declared_again() {
    let (_dir, root) = deployed(&[("convex/schema.ts", &users("    name: v.string(),\n")), ("convex/users.ts", NAMES)]);
    let args = [
        "split",
        "users.name",
        "--into",
        "firstName,lastName",
        "--with",
        "firstName=doc.name.split(\" \")[0]",
        "--with",
        "lastName=doc.name.split(\" \").slice(1).join(\" \")",
    ];
    apply_all(&root, &args);
    commit(&root, "deploy 1");
    // `verify` of both new fields, as it records them.
    let mut ledger: serde_json::Value = serde_json::from_str(&read(&root, "convex-migrate.json")).unwrap();
    ledger["verified"] = serde_json::json!({
        "users.firstName": { "deployment": "prod", "remaining": 0 },
        "users.lastName": { "deployment": "prod", "remaining": 0 }
    });
    verified(&root, &serde_json::to_string_pretty(&ledger).unwrap());
    for expect in ["users.firstName/narrow", "users.lastName/narrow", "users.name/undeclare"] {
        assert_eq!(apply(&root, &args, 0)["applied"]["id"], expect);
    }
    let p = plan(&root, &args);
    let declare = step(&p, "users.name/declare");
    assert_eq!(declare["done"], true, "{declare:#}");
    assert_eq!(
        declare["evidence"],
        serde_json::json!(["the ledger records `firstName`, `lastName` verified on prod: the dual-write has done its work"])
    );
    assert_eq!(p["next"], "users.name/deprecate", "{p:#}");
    apply(&root, &args, 0);
    let p = plan(&root, &args);
    assert_eq!(
        step(&p, "users.name/declare")["evidence"],
        serde_json::json!(["`name` is on its way out (deprecated or removed): the dual-write is retired"])
    );
    assert_eq!(p["next"], "users.name/stop-writes", "{p:#}");
    // The app stops writing `name` (the developer's edit); the unset and its verify come next. The
    // verify's page query reads `name`: it is not one of the app's reads to switch (the walk
    // stopped there).
    let app = read(&root, "convex/users.ts");
    write(&root, "convex/users.ts", &app.replace("{ name: args.name, ", "{ "));
    let taken = apply_all(&root, &args);
    assert_eq!(taken[..2], ["users.name/unset", "users.name/verify-function"]);
    let p = plan(&root, &args);
    let switch = step(&p, "users.name/switch-reads");
    assert_eq!(switch["done"], true, "{switch:#}");
    assert_eq!(p["next"], "deploy-2", "{p:#}");
    // Deploy 2, the unset verified: `name` goes from the schema, and the writes of the new fields
    // alone are not one-sided dual-writes (the walk's plan went back to the dual-write step).
    commit(&root, "deploy 2");
    let mut ledger: serde_json::Value = serde_json::from_str(&read(&root, "convex-migrate.json")).unwrap();
    ledger["verified"]["users.name"] = serde_json::json!({ "deployment": "prod", "remaining": 0 });
    verified(&root, &serde_json::to_string_pretty(&ledger).unwrap());
    assert_eq!(apply(&root, &args, 0)["applied"]["id"], "users.name/remove");
    let p = plan(&root, &args);
    assert_eq!(step(&p, "users.name/dual-write")["done"], true, "{p:#}");
    assert_eq!(p["next"], "deploy-3", "{p:#}");
}

/// Other fields of the table on their way to required are seeded in the generated test when a
/// sample can be written; one that cannot (an id) is left out, not a reason to offer no test
/// (the e2e driver found every test gone once siblings were seeded).
#[test]
fn a_sibling_without_a_sample_does_not_stop_the_test() {
    let fields = "    name: v.string(),\n    role: v.optional(v.union(v.literal(\"admin\"), v.literal(\"member\"))),\n    teamId: v.optional(v.id(\"teams\")),\n";
    let schema = users(fields)
        .replace("export default defineSchema({\n", "export default defineSchema({\n  teams: defineTable({ name: v.string() }),\n");
    let (_dir, root) = deployed(&[("convex/schema.ts", &schema), ("convex/migrations.ts", CURSOR_BACKFILL)]);
    // A backfill of `teamId` too: it is on its way to required as well.
    let team_backfill = CURSOR_BACKFILL.replace("backfillUsersRole", "backfillUsersTeamId").replace("role", "teamId");
    write(&root, "convex/teams.ts", &team_backfill);
    commit(&root, "a second backfill");
    let test = step(&plan(&root, &["require", "users.role"]), "users.role/test").clone();
    assert!(test["fix"].is_object(), "{test:#}");
    let text = test["fix"]["files"][0]["edits"][0]["newText"].as_str().unwrap();
    assert!(!text.contains("teamId:"), "{text}");
}

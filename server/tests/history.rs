//! Migrations that ran and were deleted (issue 14, class 8): the base's first-parent history is
//! searched for them, on real git repositories.

mod common;

use common::{git, write};

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_convex-migrate");

fn check(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(BIN);
    command.arg("check").args(args).current_dir(dir);
    for name in ["CI", "GITHUB_ACTIONS", "GITHUB_BASE_REF", "CI_MERGE_REQUEST_DIFF_BASE_SHA"] {
        command.env_remove(name);
    }
    command.output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn commit(root: &Path, message: &str) {
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", message]);
}

fn schema(fields: &str) -> String {
    format!("import {{ defineSchema, defineTable }} from \"convex/server\";\nimport {{ v }} from \"convex/values\";\nexport default defineSchema({{\n  shares: defineTable({{\n    chatId: v.string(),\n{fields}  }}),\n}});\n")
}

const MIGRATIONS: &str = r#"import { Migrations } from "@convex-dev/migrations";
import { components } from "./_generated/api";
import { DataModel } from "./_generated/dataModel";
export const migrations = new Migrations<DataModel>(components.migrations);
export const backfillSnapshotId = migrations.define({
  table: "shares",
  migrateOne: async (ctx, share) => {
    if (share.snapshotId === undefined) {
      return { snapshotId: "x" };
    }
  },
});
export const clearLegacy = migrations.define({
  table: "shares",
  migrateOne: async (ctx, share) => {
    if (share.legacy !== undefined) {
      await ctx.db.patch(share._id, { legacy: undefined });
    }
  },
});
"#;

/// earlier: the migrations deployed → base: deleted (and unrelated commits) → working: the field
/// made required and the legacy field removed.
fn repository() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    git(&root, &["init", "-q", "-b", "main"]);
    write(&root, "convex/schema.ts", &schema("    snapshotId: v.optional(v.string()),\n    legacy: v.optional(v.string()),\n"));
    write(&root, "convex/migrations.ts", MIGRATIONS);
    commit(&root, "migrations");
    std::fs::remove_file(root.join("convex/migrations.ts")).unwrap();
    commit(&root, "they ran: delete them");
    write(&root, "README.md", "unrelated\n");
    commit(&root, "docs");
    write(&root, "convex/schema.ts", &schema("    snapshotId: v.string(),\n"));
    (dir, root)
}

#[test]
fn a_migration_deleted_after_it_ran_is_a_warning_naming_its_commit() {
    let (_dir, root) = repository();
    let o = check(&root, &["--base", "HEAD"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("warning[backfill-unverified]: `shares.snapshotId` becomes required; the migration `migrations:backfillSnapshotId` was deployed at"), "{out}");
    assert!(out.contains("(2 commit(s) before the base) and deleted since"), "{out}");
    assert!(out.contains("`shares.legacy` is removed; the migration `migrations:clearLegacy` was deployed at"), "{out}");
    assert!(!out.contains("required-without-backfill") && !out.contains("removed-field"), "{out}");
    // Recorded in the ledger for the deployment: silent.
    write(&root, "convex-migrate.json", "{ \"verified\": { \"shares.snapshotId\": { \"deployment\": \"prod\", \"remaining\": 0 }, \"shares.legacy\": { \"deployment\": \"prod\", \"remaining\": 0 } } }\n");
    let out = stdout(&check(&root, &["--base", "HEAD"]));
    assert!(!out.contains("backfill-unverified"), "{out}");
    // The walk is bounded: with historyDepth 1 the migrations (2 commits back) are not found.
    write(&root, "convex-migrate.json", "{ \"historyDepth\": 1 }\n");
    let o = check(&root, &["--base", "HEAD"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("error[required-without-backfill]") && stdout(&o).contains("error[removed-field]"), "{}", stdout(&o));
}

#[test]
fn without_such_history_the_errors_stand() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    git(&root, &["init", "-q", "-b", "main"]);
    write(&root, "convex/schema.ts", &schema("    snapshotId: v.optional(v.string()),\n"));
    // A function that only mentions the field, in an app module: not a migration.
    write(&root, "convex/shares.ts", "import { query } from \"./_generated/server\";\nexport const get = query({ handler: async (ctx) => (await ctx.db.query(\"shares\").first())?.snapshotId });\n");
    commit(&root, "app");
    write(&root, "convex/shares.ts", "export {};\n");
    commit(&root, "gone");
    write(&root, "convex/schema.ts", &schema("    snapshotId: v.string(),\n"));
    let o = check(&root, &["--base", "HEAD"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("error[required-without-backfill]"), "{}", stdout(&o));
}

//! Schemas whose fields come from outside the functions folder (issue 14, class 5): a tsconfig
//! `paths` alias, a workspace package, a relative path out of the folder — on real git
//! repositories, the base read from the commit. An import that cannot be followed is named.

mod common;

use common::{git, write};

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_convex-migrate");

fn check(dir: &Path) -> Output {
    let mut command = Command::new(BIN);
    command.args(["check", "--base", "HEAD"]).current_dir(dir);
    for name in ["CI", "GITHUB_ACTIONS", "GITHUB_BASE_REF", "CI_MERGE_REQUEST_DIFF_BASE_SHA"] {
        command.env_remove(name);
    }
    command.output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn commit(root: &Path) {
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "deployed"]);
}

const FIELDS_BEFORE: &str =
    "import { v } from \"convex/values\";\nexport const userFields = { name: v.string(), role: v.optional(v.string()) };\n";
const FIELDS_AFTER: &str = "import { v } from \"convex/values\";\nexport const userFields = { name: v.string(), role: v.string() };\n";

fn schema(import: &str) -> String {
    format!("import {{ defineSchema, defineTable }} from \"convex/server\";\nimport {{ userFields }} from \"{import}\";\nexport default defineSchema({{ users: defineTable(userFields) }});\n")
}

#[test]
fn a_tsconfig_paths_alias_with_comments() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    write(
        root,
        "tsconfig.json",
        "{\n  // the app's aliases\n  \"compilerOptions\": { \"baseUrl\": \".\", \"paths\": { \"@/*\": [\"./src/*\"], }, },\n}\n",
    );
    write(root, "convex/schema.ts", &schema("@/shared/validators"));
    write(root, "src/shared/validators.ts", FIELDS_BEFORE);
    commit(root);
    write(root, "src/shared/validators.ts", FIELDS_AFTER);
    let o = check(root);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("error[required-without-backfill]: `users.role` becomes required")
            && stdout(&o).contains("--> src/shared/validators.ts:2"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_workspace_package_in_a_monorepo() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path();
    git(top, &["init", "-q", "-b", "main"]);
    write(top, "pnpm-workspace.yaml", "packages:\n  - \"packages/*\"\n  - apps/backend\n");
    write(top, "packages/shared/package.json", "{ \"name\": \"@acme/shared\", \"main\": \"./src/index.ts\" }\n");
    write(top, "packages/shared/src/index.ts", "export * from \"./fields\";\n");
    write(top, "packages/shared/src/fields.ts", FIELDS_BEFORE);
    write(top, "apps/backend/convex/schema.ts", &schema("@acme/shared"));
    commit(top);
    write(top, "packages/shared/src/fields.ts", FIELDS_AFTER);
    let app = top.join("apps/backend");
    let o = check(&app);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("--> ../../packages/shared/src/fields.ts:2"), "{}", stdout(&o));
    // Unchanged since the base: nothing to say.
    write(top, "packages/shared/src/fields.ts", FIELDS_BEFORE);
    let o = check(&app);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(!stdout(&o).contains("unmodelled-schema"), "{}", stdout(&o));
}

#[test]
fn a_relative_import_out_of_the_folder_and_one_that_cannot_be_followed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    write(root, "convex/schema.ts", &schema("../lib/validators"));
    write(root, "lib/validators.ts", FIELDS_BEFORE);
    commit(root);
    write(root, "lib/validators.ts", FIELDS_AFTER);
    let o = check(root);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("--> lib/validators.ts:2"), "{}", stdout(&o));
    // A package the resolver cannot follow: named, never dropped in silence.
    write(root, "convex/schema.ts", &schema("@acme/nowhere"));
    let o = check(root);
    assert!(stdout(&o).contains("warning[unmodelled-schema]") && stdout(&o).contains("userFields"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("No migration problems"), "{}", stdout(&o));
}

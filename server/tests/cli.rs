//! The `convex-migrate` binary as CI runs it: on real temporary git repositories, every output
//! format and exit code.

mod common;

use common::{git, stand_in_npx, write};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_convex-migrate");

fn git_out(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).output().expect("git runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn schema(role: &str) -> String {
    format!(
        "import {{ defineSchema, defineTable }} from \"convex/server\";\nimport {{ v }} from \"convex/values\";\n\nexport default defineSchema({{\n  users: defineTable({{\n    name: v.string(),\n    role: {role},\n  }}),\n}});\n"
    )
}

const BACKFILL: &str = r#"import { v } from "convex/values";
import { internalMutation } from "./_generated/server";
export const backfillUsersRole = internalMutation({
  args: { cursor: v.union(v.string(), v.null()) },
  handler: async (ctx, args) => {
    const { page } = await ctx.db.query("users").paginate({ cursor: args.cursor, numItems: 100 });
    for (const user of page) await ctx.db.patch(user._id, { role: "member" });
  },
});
"#;

/// A repository with two commits: the schema with `role` optional, then a deployed backfill.
/// The working tree makes `role` required.
fn repo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    git(&root, &["init", "-q", "-b", "main"]);
    write(&root, "package.json", "{ \"name\": \"app\" }\n");
    write(&root, "convex/schema.ts", &schema("v.optional(v.string())"));
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "schema"]);
    write(&root, "convex/migrations.ts", BACKFILL);
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "backfill"]);
    write(&root, "convex/schema.ts", &schema("v.string()"));
    (dir, root)
}

/// Runs the binary outside CI (the CI variables of the machine running the tests removed).
fn run(dir: &Path, args: &[&str]) -> Output {
    run_env(dir, args, &[])
}

/// Runs the binary with these environment variables set, and no others of CI's.
fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command.args(args).current_dir(dir);
    for name in ["CI", "GITHUB_ACTIONS", "GITHUB_BASE_REF", "CI_MERGE_REQUEST_DIFF_BASE_SHA"] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied()).output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn human_output_and_exit_codes_against_git_bases() {
    let (_dir, root) = repo();
    // HEAD has the backfill: a warning, exit 0.
    let o = run(&root, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("warning[backfill-unverified]"), "{}", stdout(&o));
    // HEAD~1 has no backfill: an error pointing at the field, exit 1.
    let o = run(&root, &["check", ".", "--base", "HEAD~1"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("error[required-without-backfill]: `users.role` becomes required"), "{out}");
    assert!(out.contains("--> convex/schema.ts:7:5"), "{out}");
    assert!(out.contains("7 |     role: v.string(),"), "{out}");
    assert!(out.contains("|     ^^^^"), "{out}");
    assert!(out.contains("= help: Make it `v.optional(...)` first"), "{out}");
    assert!(out.contains("1 error, 0 warnings"), "{out}");
    // Once recorded as verified, nothing is left.
    write(&root, "convex-migrate.json", r#"{ "verified": { "users.role": { "remaining": 0 } } }"#);
    let o = run(&root, &["check"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("No migration problems found."), "{}", stdout(&o));
}

#[test]
fn json_is_the_documented_contract() {
    let (_dir, root) = repo();
    let o = run(&root, &["check", "--base", "HEAD^", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
    let head1 = git_out(&root, &["rev-parse", "HEAD~1"]);
    assert_eq!(value["version"], 1);
    assert_eq!(value["base"], head1.as_str());
    let d = &value["diagnostics"][0];
    assert_eq!(d["path"], "convex/schema.ts");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(7), Some(5)));
    assert_eq!((d["endLine"].as_u64(), d["endColumn"].as_u64()), (Some(7), Some(9)));
    assert_eq!(d["severity"], "error");
    assert_eq!(d["rule"], "required-without-backfill");
    assert!(d["message"].as_str().unwrap().contains("Object is missing the required field `role`"));
    // The documented fields come first, unchanged; later fields were added without a bump.
    let keys: Vec<_> = d.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys[..8], ["path", "line", "column", "endLine", "endColumn", "severity", "rule", "message"], "{keys:?}");
    // No base: `base` is null.
    let o = run(&root, &["check", "--base-dir", ".", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(value["base"].is_null());
    assert_eq!(value["diagnostics"].as_array().unwrap().len(), 0);
}

/// A place at the base is shown with the base's own lines (a bug once: it was converted with the
/// working tree's text of the same path, which had moved on).
#[test]
fn base_side_places_are_converted_with_the_base_text() {
    let (_dir, root) = repo();
    // The backfill is deployed (HEAD) and gone from the working tree, whose migrations.ts now
    // holds other code on other lines.
    write(&root, "convex/migrations.ts", "// moved on\n\n\nexport const unrelated = 1;\n");
    let o = run(&root, &["check", "--base", "HEAD"]);
    let out = stdout(&o);
    // BACKFILL's `backfillUsersRole` name is on its line 3, column 14.
    assert!(out.contains("= note: the deployed backfill (at the base): convex/migrations.ts:3:14"), "{out}");
    let o = run(&root, &["check", "--base", "HEAD", "--format", "sarif"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let region = &value["runs"][0]["results"][0]["relatedLocations"][0]["physicalLocation"]["region"];
    assert_eq!((region["startLine"].as_u64(), region["startColumn"].as_u64()), (Some(3), Some(14)), "{region}");
}

#[test]
fn github_and_sarif_formats() {
    let (_dir, root) = repo();
    let o = run(&root, &["check", "--base", "HEAD~1", "--format", "github"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.starts_with(
            "::error file=convex/schema.ts,line=7,col=5,endLine=7,endColumn=9,title=convex-migrate required-without-backfill::`users.role`"
        ),
        "{out}"
    );
    let o = run(&root, &["check", "--base", "HEAD~1", "--format", "sarif"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("valid SARIF JSON");
    assert_eq!(value["version"], "2.1.0");
    let run0 = &value["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "convex-migrate");
    let result = &run0["results"][0];
    assert_eq!(result["ruleId"], "required-without-backfill");
    assert_eq!(result["level"], "error");
    let rule_index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(run0["tool"]["driver"]["rules"][rule_index]["id"], "required-without-backfill");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 7);
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "convex/schema.ts");
}

#[test]
fn config_base_and_project_in_a_subfolder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    write(root, "apps/web/convex/schema.ts", &schema("v.optional(v.string())"));
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "one"]);
    write(root, "README.md", "x\n");
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "two"]);
    write(root, "apps/web/convex/schema.ts", &schema("v.number()"));
    write(root, "apps/web/convex-migrate.json", r#"{ "base": "HEAD~1" }"#);
    let o = run(root, &["check", "apps/web", "--format", "github"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("file=apps/web/convex/schema.ts,line=7"), "{out}");
    // --base wins over the config.
    let o = run(root, &["check", "apps/web", "--base", "does-not-exist"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn cannot_run_is_exit_2_with_one_clear_line() {
    let (_dir, root) = repo();
    let o = run(&root, &["check", "--base", "origin/nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: unknown git revision `origin/nope`"), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");

    let empty = tempfile::tempdir().unwrap();
    let o = run(empty.path(), &["check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: no Convex project at"), "{}", stderr(&o));

    let o = run(&root, &["check", "no/such/folder"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: cannot read no/such/folder"), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1);

    let o = run(&root, &["check", "--base-dir", "nowhere"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: --base-dir: cannot read nowhere"), "{}", stderr(&o));

    let o = run(&root, &["check", "--format", "xml"]);
    assert_eq!(o.status.code(), Some(2));
}

/// No baseline is not a clean bill of health: exit 2, naming both ways out; `--no-base` runs
/// the rest and says, in every format, that the transition rules were off.
#[test]
fn without_a_baseline_check_refuses_unless_no_base() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "convex/schema.ts", &schema("v.string()"));
    write(dir.path(), "convex/broken.ts", "export const x = ;\n");
    let o = run(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: no baseline to compare with (not a git repository")
            && err.contains("--base-dir")
            && err.contains("--no-base"),
        "{err}"
    );
    assert!(stdout(&o).is_empty());

    let o = run(dir.path(), &["check", "--no-base"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("error[parse-error]"), "{out}");
    assert!(!out.contains("required-without-backfill"), "{out}");
    assert!(out.trim_end().ends_with("No base (no baseline (--no-base): transition rules are off): the transition rules were off; read 2 files, 1 table, 0 functions."), "{out}");
    let o = run(dir.path(), &["check", "--no-base", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(value["transitionRules"], false);
    assert_eq!(value["baseline"]["kind"], "none");
    assert!(value["base"].is_null());
    let o = run(dir.path(), &["check", "--no-base", "--format", "sarif"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(value["runs"][0]["properties"]["transitionRules"], false);
    let o = run(dir.path(), &["check", "--no-base", "--format", "github"]);
    assert!(stdout(&o).contains("::notice title=convex-migrate::No base"), "{}", stdout(&o));
}

#[test]
fn a_repository_without_commits_has_no_baseline() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), "convex/schema.ts", &schema("v.string()"));
    let o = run(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no commits yet") && stderr(&o).contains("--no-base"), "{}", stderr(&o));
    assert_eq!(run(dir.path(), &["check", "--no-base"]).status.code(), Some(0));
}

/// Every output says what it compared: the base's commit and what was read on each side.
#[test]
fn every_output_says_what_was_compared() {
    let (_dir, root) = repo();
    let head = git_out(&root, &["rev-parse", "HEAD"]);
    let o = run(&root, &["check", "--base", "HEAD"]);
    let out = stdout(&o);
    let last = out.trim_end().lines().last().unwrap();
    assert_eq!(
        last,
        format!("0 errors, 1 warning, 0 infos. Compared with HEAD ({}): read 2 files, 1 table, 1 function here and 2 files, 1 table, 1 function at the base; verifications counted for `prod`.", &head[..12])
    );
    let o = run(&root, &["check", "--base", "HEAD", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(value["baseline"], serde_json::json!({ "kind": "commit", "commit": head, "describedAs": "HEAD" }));
    assert_eq!(value["read"]["working"], serde_json::json!({ "files": 2, "tables": 1, "functions": 1 }));
    assert_eq!(value["read"]["base"], serde_json::json!({ "files": 2, "tables": 1, "functions": 1 }));
    assert_eq!(value["deployment"], "prod");
    let o = run(&root, &["check", "--base", "HEAD", "--format", "sarif"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(value["runs"][0]["properties"]["baseline"]["commit"], head.as_str());
}

/// In CI the base is the pull request's; a missing base branch (a shallow clone) and a clean
/// checkout compared with itself are refused.
#[test]
fn in_ci_the_base_comes_from_the_pull_request() {
    let (_dir, root) = repo();
    // `main` with the deployed backfill is what origin/main would be; the pull request branches
    // off the first commit.
    git(&root, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    let o = run_env(&root, &["check", "--format", "json"], &[("CI", "true"), ("GITHUB_BASE_REF", "main")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(value["baseline"]["describedAs"], "merge-base of HEAD and origin/main");
    // The base branch not fetched: say how to get it.
    let o = run_env(&root, &["check"], &[("CI", "true"), ("GITHUB_BASE_REF", "release")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("origin/release") && stderr(&o).contains("fetch-depth: 0") && stderr(&o).contains("--base"),
        "{}",
        stderr(&o)
    );
    // GitLab: the merge request's base commit.
    let first = git_out(&root, &["rev-parse", "HEAD~1"]);
    let o = run_env(&root, &["check", "--format", "json"], &[("GITLAB_CI", "true"), ("CI_MERGE_REQUEST_DIFF_BASE_SHA", &first)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(value["base"], first.as_str());
    let o = run_env(&root, &["check"], &[("CI_MERGE_REQUEST_DIFF_BASE_SHA", &"0".repeat(40))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("GIT_DEPTH"), "{}", stderr(&o));
    // A clean checkout in CI with no base: HEAD is the working tree itself.
    git(&root, &["commit", "-qam", "narrow"]);
    let o = run_env(&root, &["check"], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("comparing a commit with itself proves nothing") && stderr(&o).contains("--base"), "{}", stderr(&o));
    // Outside CI the same is a plain run; an explicit base is always taken.
    assert_eq!(run(&root, &["check"]).status.code(), Some(0));
    assert_eq!(run_env(&root, &["check", "--base", "HEAD~2"], &[("CI", "true")]).status.code(), Some(1));
}

/// A verification counts for the deployment it ran on.
#[test]
fn a_dev_verification_does_not_count_for_prod() {
    let (_dir, root) = repo();
    write(&root, "convex-migrate.json", r#"{ "verified": { "users.role": { "deployment": "dev", "remaining": 0 } } }"#);
    let o = run(&root, &["check", "--base", "HEAD"]);
    assert!(stdout(&o).contains("warning[backfill-unverified]"), "{}", stdout(&o));
    let o = run(&root, &["check", "--base", "HEAD", "--deployment", "dev"]);
    assert!(!stdout(&o).contains("backfill-unverified"), "{}", stdout(&o));
}

/// Nothing is skipped in silence: a file that is not UTF-8 is read and named; one too large to
/// read is an error, at the base too.
#[test]
fn unreadable_and_non_utf8_files_are_findings() {
    let (_dir, root) = repo();
    std::fs::write(root.join("convex/latin1.ts"), b"export const name = \"caf\xe9\";\n").unwrap();
    write(&root, "convex/huge.ts", &"// x\n".repeat(1_000_000));
    let o = run(&root, &["check", "--base", "HEAD", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let found: Vec<(String, String, String)> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "invalid-utf8" || d["rule"] == "unreadable-file")
        .map(|d| (d["rule"].as_str().unwrap().into(), d["path"].as_str().unwrap().into(), d["severity"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        found,
        [
            ("unreadable-file".to_string(), "convex/huge.ts".to_string(), "error".to_string()),
            ("invalid-utf8".to_string(), "convex/latin1.ts".to_string(), "warning".to_string())
        ]
    );
    let latin1 = value["diagnostics"].as_array().unwrap().iter().find(|d| d["rule"] == "invalid-utf8").unwrap();
    assert!(latin1["message"].as_str().unwrap().contains("from byte 24"), "{latin1}");
    // The same files committed: the base side says it too.
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "odd files"]);
    let o = run(&root, &["check", "--base", "HEAD", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let messages: Vec<&str> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "unreadable-file")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("at the base")), "{messages:?}");
}

#[test]
fn bundled_example_reports_what_readme_says() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/team-app");
    let o = run(&example, &["check", "working", "--base-dir", "deployed", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut rules: Vec<String> = value["diagnostics"].as_array().unwrap().iter().map(|d| d["rule"].as_str().unwrap().to_string()).collect();
    rules.sort();
    assert_eq!(rules, ["backfill-unverified", "backfill-unverified", "narrowed-type", "removed-table", "required-without-backfill"]);
}

#[test]
fn explain_prints_the_rule_doc() {
    let o = run(Path::new("."), &["explain", "required-without-backfill"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for section in ["## What it does", "## Why is this bad?", "## Example", "## Fix"] {
        assert!(out.contains(section), "{out}");
    }
    let o = run(Path::new("."), &["explain"]);
    assert!(stdout(&o).contains("narrowed-type"));
    let o = run(Path::new("."), &["explain", "nope"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn every_rule_doc_has_the_four_sections() {
    let o = run(Path::new("."), &["explain"]);
    let ids: Vec<String> =
        stdout(&o).lines().filter_map(|l| l.strip_prefix("  ")).filter_map(|l| l.split_whitespace().next().map(str::to_string)).collect();
    assert!(ids.len() >= 9, "{ids:?}");
    for id in ids {
        let out = stdout(&run(Path::new("."), &["explain", &id]));
        for section in ["## What it does", "## Why is this bad?", "## Example", "## Fix"] {
            assert!(out.contains(section), "{id} lacks {section}");
        }
    }
}

const VERIFY: &str = r#"import { v } from "convex/values";
import { internalQuery } from "./_generated/server";
export const verifyUsersRole = internalQuery({
  args: { cursor: v.union(v.string(), v.null()) },
  handler: async (ctx, args) => {
    const { page } = await ctx.db.query("users").paginate({ cursor: args.cursor, numItems: 500 });
    return { scanned: page.length, remaining: page.filter((doc) => doc.role === undefined).length };
  },
});
"#;

#[test]
fn verify_runs_the_verify_function_and_records_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root, "convex/schema.ts", &schema("v.optional(v.string())"));
    write(&root, "convex/migrations.ts", VERIFY);
    write(&root, "convex-migrate.json", "{ \"rules\": { \"removed-table\": \"off\" } }\n");
    let tools = tempfile::tempdir().unwrap();
    // Documents left: exit 1, the ledger unchanged.
    let (npx, log) = stand_in_npx(tools.path(), "{ remaining: 3, scanned: 250 }", 0);
    let o = run(&root, &["verify", "users.role", "--npx", npx.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("3 document(s) still need the migration"), "{}", stdout(&o));
    assert_eq!(std::fs::read_to_string(root.join("convex-migrate.json")).unwrap(), "{ \"rules\": { \"removed-table\": \"off\" } }\n");
    // Nothing left on production: recorded, the rest of the config kept.
    std::fs::remove_file(&log).unwrap();
    let (npx, log) = stand_in_npx(tools.path(), "{\n  \"remaining\": 0,\n  \"scanned\": 250\n}", 0);
    let o = run(&root, &["verify", "users.role", "--prod", "--npx", npx.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(std::fs::read_to_string(&log).unwrap().trim(), format!("{} convex run migrations:verifyUsersRole --prod", root.display()));
    let ledger = std::fs::read_to_string(root.join("convex-migrate.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&ledger).unwrap();
    assert_eq!(value["rules"]["removed-table"], "off");
    assert_eq!(value["verified"]["users.role"]["deployment"], "prod");
    assert_eq!(value["verified"]["users.role"]["remaining"], 0);
    assert!(stdout(&o).contains("users.role verified: nothing left (250 scanned)"));
    // A failed run leaves it as it was.
    let (npx, _) = stand_in_npx(tools.path(), "", 1);
    let o = run(&root, &["verify", "users.role", "--npx", npx.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(root.join("convex-migrate.json")).unwrap(), ledger);
}

#[test]
fn verify_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "convex/schema.ts", &schema("v.optional(v.string())"));
    for (field, expected) in [
        ("users", "is not `table.field`"),
        ("nope.role", "unknown table `nope`"),
        ("users.nope", "unknown field `nope` of `users`"),
        ("users.role", "no verify function for `users.role`"),
    ] {
        let o = run(dir.path(), &["verify", field]);
        assert_eq!(o.status.code(), Some(2), "{field}");
        assert!(stderr(&o).starts_with("error: ") && stderr(&o).contains(expected), "{field}: {}", stderr(&o));
    }
}

fn schema_with(fields: &str, validation: Option<bool>) -> String {
    let options = match validation {
        Some(v) => format!(", {{ schemaValidation: {v} }}"),
        None => String::new(),
    };
    format!("import {{ defineSchema, defineTable }} from \"convex/server\";\nimport {{ v }} from \"convex/values\";\n\nexport default defineSchema(\n  {{\n    users: defineTable({{\n{fields}    }}),\n  }}{options},\n);\n")
}

/// Turning validation back on: every field changed while it was off needs a verified migration;
/// the changes are those since the last commit whose schema had validation on.
#[test]
fn turning_validation_back_on_needs_a_verified_migration_for_what_changed_while_it_was_off() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    git(&root, &["init", "-q", "-b", "main"]);
    write(&root, "convex/schema.ts", &schema_with("      name: v.string(),\n      role: v.optional(v.string()),\n", None));
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "validated"]);
    let validated = git_out(&root, &["rev-parse", "HEAD"]);
    write(&root, "convex/schema.ts", &schema_with("      name: v.string(),\n      role: v.optional(v.string()),\n", Some(false)));
    git(&root, &["commit", "-qam", "validation off"]);
    // While it is off, `role` becomes required and `name` is removed (the push succeeds).
    write(&root, "convex/schema.ts", &schema_with("      role: v.string(),\n", Some(false)));
    git(&root, &["commit", "-qam", "changed while off"]);
    // The working tree turns validation back on, the schema otherwise as deployed.
    write(&root, "convex/schema.ts", &schema_with("      role: v.string(),\n", None));
    let o = run(&root, &["check", "--base", "HEAD", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let turned: Vec<&str> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "validation-turned-on")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(turned.len(), 2, "{turned:?}");
    assert!(
        turned.iter().any(|m| m.contains("`users.role` was made required while validation was off")
            && m.contains(&validated[..12])
            && m.contains("2 commit(s) before the base")),
        "{turned:?}"
    );
    assert!(turned.iter().any(|m| m.contains("`users.name` was removed")), "{turned:?}");
    // Verified on prod, `role` is covered; a dev verification of `name` does not count for prod.
    write(
        &root,
        "convex-migrate.json",
        r#"{ "verified": { "users.role": { "deployment": "prod", "remaining": 0 }, "users.name": { "deployment": "dev", "remaining": 0 } } }"#,
    );
    let o = run(&root, &["check", "--base", "HEAD", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let turned: Vec<&str> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "validation-turned-on")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(turned.len(), 1, "{turned:?}");
    assert!(turned[0].contains("`users.name`") && turned[0].contains("no migration for it exists"), "{turned:?}");

    // Validation off in every commit: the tool says it cannot tell what changed.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    git(&root, &["init", "-q"]);
    write(&root, "convex/schema.ts", &schema_with("      role: v.string(),\n", Some(false)));
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "off from the start"]);
    write(&root, "convex/schema.ts", &schema_with("      role: v.string(),\n", Some(true)));
    let o = run(&root, &["check", "--base", "HEAD"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("error[validation-turned-on]: schemaValidation is turned back on, and the tool cannot tell what changed while it was off (it was off in the only commit looked at)"), "{}", stdout(&o));
}

/// Two more places nothing was said: a deployed file the tool cannot parse (its backfills are not
/// seen at the base), and a functions folder that does not exist (nothing was checked).
#[test]
fn a_base_file_that_does_not_parse_and_a_missing_functions_folder_are_said() {
    let (_dir, root) = repo();
    write(&root, "convex/odd.ts", "export const x = ;\n");
    git(&root, &["add", "convex/odd.ts"]);
    git(&root, &["commit", "-qm", "odd"]);
    std::fs::remove_file(root.join("convex/odd.ts")).unwrap();
    let o = run(&root, &["check", "--base", "HEAD"]);
    let out = stdout(&o);
    assert!(
        out.contains("warning[parse-error]: at the base (what is deployed), `convex/odd.ts` does not parse for convex-migrate"),
        "{out}"
    );

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "convex.json", r#"{ "functions": "src/convex/" }"#);
    let o = run(dir.path(), &["check", "--no-base"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("the functions folder `src/convex` does not exist"), "{}", stderr(&o));
}

/// Runs the binary in a pseudo-terminal (`script`), as a person at a terminal does.
fn run_in_terminal(dir: &Path, command: &str, env: &[(&str, &str)]) -> String {
    let mut c = Command::new("script");
    c.args(["-qec", &format!("{BIN} {command}"), "/dev/null"]).current_dir(dir);
    for name in ["CI", "GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "CLICOLOR"] {
        c.env_remove(name);
    }
    c.env("TERM", "xterm-256color").envs(env.iter().copied());
    stdout(&c.output().expect("script runs"))
}

/// Colour on a terminal, none on a pipe; `--color` wins; NO_COLOR, FORCE_COLOR and CLICOLOR_FORCE.
#[test]
fn colour_on_a_terminal_none_on_a_pipe() {
    let (_dir, root) = repo();
    let esc = "\u{1b}[";
    let piped = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec![("NO_COLOR", ""), ("FORCE_COLOR", ""), ("CLICOLOR_FORCE", "")];
        all.extend_from_slice(env);
        stdout(&run_env(&root, args, &all))
    };
    assert!(!piped(&["check", "--base", "HEAD~1"], &[]).contains(esc));
    assert!(piped(&["check", "--base", "HEAD~1", "--color", "always"], &[]).contains(esc));
    assert!(piped(&["check", "--base", "HEAD~1"], &[("FORCE_COLOR", "1")]).contains(esc));
    assert!(piped(&["check", "--base", "HEAD~1"], &[("CLICOLOR_FORCE", "1")]).contains(esc));
    assert!(!piped(&["check", "--base", "HEAD~1"], &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]).contains(esc));
    assert!(!piped(&["check", "--base", "HEAD~1", "--color", "never"], &[("FORCE_COLOR", "1")]).contains(esc));
    // Machine formats are never coloured.
    assert!(!piped(&["check", "--base", "HEAD~1", "--format", "json", "--color", "always"], &[]).contains(esc));
    // A terminal.
    if Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success()) {
        let tty = run_in_terminal(&root, "check --base HEAD~1", &[]);
        assert!(tty.contains(esc) && tty.contains("required-without-backfill"), "{tty}");
        assert!(!run_in_terminal(&root, "check --base HEAD~1", &[("NO_COLOR", "1")]).contains(esc));
        assert!(!run_in_terminal(&root, "check --base HEAD~1 --color never", &[]).contains(esc));
        assert!(!run_in_terminal(&root, "check --base HEAD~1", &[("TERM", "dumb")]).contains(esc));
    }
    let o = run(&root, &["check", "--color", "sometimes"]);
    assert_eq!(o.status.code(), Some(2));
}

/// The snippet is annotate-snippets' (rustc's): a tab and wide characters before the range keep
/// the carets under it.
#[test]
fn carets_stay_under_the_range_after_tabs_and_wide_characters() {
    let (_dir, root) = repo();
    write(
        &root,
        "convex/schema.ts",
        "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\n\nexport default defineSchema({\n  users: defineTable({\n    name: v.string(),\n\t/* 役割 */ role: v.string(),\n  }),\n});\n",
    );
    let o = run(&root, &["check", "--base", "HEAD~1"]);
    let out = stdout(&o);
    let expected = "error[required-without-backfill]: `users.role` becomes required, but no backfill for it is deployed: the push will fail with `Object is missing the required field `role`` on every document written before. The backfill `migrations:backfillUsersRole` exists only in the working tree: it cannot run before this schema is pushed
 --> convex/schema.ts:7:11
  |
7 |     /* 役割 */ role: v.string(),
  |                ^^^^
  |
  = note: backfill, not yet deployed: convex/migrations.ts:3:14
  = help: Make it `v.optional(...)` first, deploy a backfill, run and verify it, then make `role` required
";
    assert!(out.starts_with(expected), "{out}");
}

/// `--max-warnings N` (exit 1 over N, ESLint's), `--quiet` (errors only).
#[test]
fn max_warnings_and_quiet() {
    let (_dir, root) = repo();
    // HEAD has the backfill: one warning.
    let o = run(&root, &["check", "--max-warnings", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&root, &["check", "--max-warnings", "0"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("note: 1 warning found, more than --max-warnings 0: exit 1"), "{}", stderr(&o));
    assert!(stdout(&o).contains("warning[backfill-unverified]"));
    let o = run(&root, &["check", "--max-warnings", "0", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    serde_json::from_str::<serde_json::Value>(&stdout(&o)).expect("stdout stays JSON");
    // --quiet: the warning is not shown, and the summary says so.
    let o = run(&root, &["check", "--quiet"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(!out.contains("warning["), "{out}");
    assert!(out.starts_with("No errors found (--quiet left out 1 warning or info). Compared with"), "{out}");
    let o = run(&root, &["check", "-q", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(value["diagnostics"].as_array().unwrap().len(), 0);
    // Warnings still count for --max-warnings under --quiet.
    assert_eq!(run(&root, &["check", "--quiet", "--max-warnings", "0"]).status.code(), Some(1));
    // Errors are shown under --quiet.
    let o = run(&root, &["check", "--quiet", "--base", "HEAD~1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("error[required-without-backfill]"));
}

/// A monorepo: two projects under `apps/`, the repository's top above them.
fn monorepo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    git(&root, &["init", "-q", "-b", "main"]);
    write(&root, "package.json", "{ \"name\": \"mono\", \"workspaces\": [\"apps/*\"] }\n");
    for app in ["api", "web"] {
        write(&root, &format!("apps/{app}/convex/schema.ts"), &schema("v.optional(v.string())"));
        write(&root, &format!("apps/{app}/src/deep/index.ts"), "export {};\n");
    }
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "one"]);
    write(&root, "apps/web/convex/schema.ts", &schema("v.string()"));
    (dir, root)
}

/// No path: the nearest project at or above the current folder; paths shown from there, and from
/// the repository's top in GitHub and SARIF output.
#[test]
fn the_project_is_found_upward_from_the_current_folder() {
    let (_dir, root) = monorepo();
    let deep = root.join("apps/web/src/deep");
    let o = run(&deep, &["check", "--base", "HEAD"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains(" --> ../../convex/schema.ts:7:5"), "{}", stdout(&o));
    let o = run(&deep, &["check", "--base", "HEAD", "--format", "github"]);
    assert!(stdout(&o).starts_with("::error file=apps/web/convex/schema.ts,line=7,col=5,"), "{}", stdout(&o));
    let o = run(&deep, &["check", "--base", "HEAD", "--format", "sarif"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let uri = &value["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "apps/web/convex/schema.ts");
    let o = run(&deep, &["check", "--base", "HEAD", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(value["diagnostics"][0]["path"], "convex/schema.ts", "JSON paths stay relative to the project root");
    assert_eq!(value["project"], serde_json::json!({ "path": "../..", "repositoryPath": "apps/web" }));
    // A project given by path from the top: GitHub paths from the repository's top as well.
    let o = run(&root.join("apps"), &["check", "web", "--base", "HEAD", "--format", "github"]);
    assert!(stdout(&o).starts_with("::error file=apps/web/convex/schema.ts,"), "{}", stdout(&o));
    // Not above the repository's top: a folder of the repository with no project above or below.
    write(&root, "tools/x.txt", "x\n");
    let o = run(&root.join("tools"), &["check", "--base", "HEAD"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: no Convex project at ."), "{}", stderr(&o));
}

/// Several projects under the folder: each is checked and named in every format; `--project`
/// picks some.
#[test]
fn a_monorepo_checks_every_project_or_the_one_named() {
    let (_dir, root) = monorepo();
    let o = run(&root, &["check", "--base", "HEAD"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains(" --> apps/web/convex/schema.ts:7:5"), "{out}");
    assert!(out.starts_with("apps/api: No migration problems found. Compared with HEAD"), "{out}");
    assert!(out.contains("\napps/web: 1 error, 0 warnings, 0 infos. Compared with HEAD"), "{out}");
    assert!(out.trim_end().ends_with("2 Convex projects checked: 1 error, 0 warnings, 0 infos in all."), "{out}");
    // The same from a folder named on the command line.
    let o = run(&root, &["check", "apps", "--base", "HEAD"]);
    assert!(stdout(&o).contains("apps/web: 1 error"), "{}", stdout(&o));
    // Named by an absolute path from elsewhere: each project by its own absolute place, not `.`.
    let elsewhere = tempfile::tempdir().unwrap();
    let apps = std::fs::canonicalize(root.join("apps")).unwrap();
    let o = run(elsewhere.path(), &["check", apps.to_str().unwrap(), "--base", "HEAD"]);
    let out = stdout(&o);
    assert!(out.starts_with(&format!("{}: No migration problems found.", apps.join("api").display())), "{out}");
    assert!(out.contains(&format!(" --> {}", apps.join("web/convex/schema.ts:7:5").display())), "{out}");

    let o = run(&root, &["check", "--base", "HEAD", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(value["version"], 1);
    let projects: Vec<_> = value["projects"].as_array().unwrap().iter().map(|p| p["project"]["path"].as_str().unwrap()).collect();
    assert_eq!(projects, ["apps/api", "apps/web"]);
    assert_eq!(value["diagnostics"][0]["project"], "apps/web");
    assert_eq!(value["diagnostics"][0]["path"], "convex/schema.ts");

    let o = run(&root, &["check", "--base", "HEAD", "--format", "github"]);
    let out = stdout(&o);
    assert!(out.contains("::notice title=convex-migrate apps/api::Compared with HEAD"), "{out}");
    assert!(out.contains("::notice title=convex-migrate apps/web::Compared with HEAD"), "{out}");
    assert!(out.contains("::error file=apps/web/convex/schema.ts,"), "{out}");

    let o = run(&root, &["check", "--base", "HEAD", "--format", "sarif"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let run0 = &value["runs"][0];
    assert_eq!(value["runs"].as_array().unwrap().len(), 1);
    assert_eq!(run0["results"][0]["properties"]["project"], "apps/web");
    let named: Vec<_> = run0["properties"]["projects"].as_array().unwrap().iter().map(|p| p["project"].clone()).collect();
    assert_eq!(named, ["apps/api", "apps/web"]);

    // --project: only that one, as if it were named alone.
    let o = run(&root, &["check", "--project", "apps/api", "--base", "HEAD"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("No migration problems found."), "{}", stdout(&o));
    let o = run(&root, &["check", "--project", "apps", "--base", "HEAD"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: no Convex project at apps"), "{}", stderr(&o));
    // A snapshot is one deployment's data: it needs one project.
    let o = run(&root, &["check", "--base", "HEAD", "--snapshot", "snapshot.zip"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: --snapshot is one deployment's data, and 2 Convex projects were found (apps/api, apps/web): name one with --project DIR"), "{}", stderr(&o));
    let o = run(&root, &["check", "--base-dir", "apps/web"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: --base-dir is one project's deployed copy, and 2 Convex projects"), "{}", stderr(&o));
    // A project that cannot run stops the run, named.
    let o = run(&root, &["check", "--base", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: apps/api: unknown git revision `nope`"), "{}", stderr(&o));
}

/// `--format json` carries each finding's help, related places, notes and fixes (titles and
/// edits), and the run's notes.
#[test]
fn json_carries_help_related_notes_and_fixes() {
    let (_dir, root) = repo();
    let o = run(&root, &["check", "--base", "HEAD~1", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let d = &value["diagnostics"][0];
    assert_eq!(d["help"], "Make it `v.optional(...)` first, deploy a backfill, run and verify it, then make `role` required");
    assert_eq!(d["side"], "working");
    assert_eq!(
        d["related"],
        serde_json::json!([{ "path": "convex/migrations.ts", "line": 3, "column": 14, "endLine": 3, "endColumn": 31,
            "side": "working", "message": "backfill, not yet deployed" }])
    );
    assert_eq!(d["notes"], serde_json::json!([]));
    let fixes = d["fixes"].as_array().unwrap();
    let titles: Vec<_> = fixes.iter().map(|f| f["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Make `role` optional first (v.optional)"), "{titles:?}");
    let optional = fixes.iter().find(|f| f["title"] == "Make `role` optional first (v.optional)").unwrap();
    assert_eq!(optional["kind"], "quickfix");
    assert_eq!(
        optional["files"],
        serde_json::json!([{ "path": "convex/schema.ts", "create": false, "delete": false, "edits": [
            { "start": { "line": 7, "column": 11 }, "end": { "line": 7, "column": 21 }, "newText": "v.optional(v.string())" }] }])
    );
    assert_eq!(value["project"], serde_json::json!({ "path": ".", "repositoryPath": "." }));
    assert_eq!(value["notes"], serde_json::json!([]));
    // The run's notes.
    std::fs::remove_file(root.join("convex/schema.ts")).unwrap();
    let o = run(&root, &["check", "--base", "HEAD", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let notes: Vec<_> = value["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    assert!(notes.contains(&"no convex/schema.ts: schema rules are off"), "{notes:?}");
}

/// SARIF: `helpUri`, `partialFingerprints` that survive moved lines, `fixes`, and tool
/// notifications for input that was skipped.
#[test]
fn sarif_has_help_uris_fingerprints_fixes_and_notifications() {
    let (_dir, root) = repo();
    let sarif = |root: &Path| -> serde_json::Value {
        serde_json::from_str(&stdout(&run(root, &["check", "--base", "HEAD~1", "--format", "sarif"]))).unwrap()
    };
    let value = sarif(&root);
    let run0 = &value["runs"][0];
    for rule in run0["tool"]["driver"]["rules"].as_array().unwrap() {
        assert!(rule["helpUri"].as_str().unwrap().starts_with("https://"), "{rule}");
    }
    let result = &run0["results"][0];
    let fingerprint = result["partialFingerprints"]["convexMigrate/v1"].as_str().unwrap().to_string();
    let fix =
        result["fixes"].as_array().unwrap().iter().find(|f| f["description"]["text"] == "Make `role` optional first (v.optional)").unwrap();
    assert_eq!(
        fix["artifactChanges"],
        serde_json::json!([{ "artifactLocation": { "uri": "convex/schema.ts" }, "replacements": [{
            "deletedRegion": { "startLine": 7, "startColumn": 11, "endLine": 7, "endColumn": 21 },
            "insertedContent": { "text": "v.optional(v.string())" } }] }])
    );
    assert_eq!(run0["invocations"][0]["executionSuccessful"], true);
    assert_eq!(run0["invocations"][0]["toolExecutionNotifications"], serde_json::json!([]));
    // Lines moved above: the same fingerprint.
    let text = std::fs::read_to_string(root.join("convex/schema.ts")).unwrap();
    write(&root, "convex/schema.ts", &format!("// a comment\n\n{text}"));
    let moved = sarif(&root);
    assert_eq!(moved["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"], 9);
    assert_eq!(moved["runs"][0]["results"][0]["partialFingerprints"]["convexMigrate/v1"], fingerprint.as_str());
    // A file that was skipped (too large to read) is a notification, with its place.
    write(&root, "convex/huge.ts", &"// x\n".repeat(1_000_000));
    let value = sarif(&root);
    let notes = value["runs"][0]["invocations"][0]["toolExecutionNotifications"].as_array().unwrap().clone();
    let skipped = notes.iter().find(|n| n["descriptor"]["id"] == "unreadable-file").expect("a notification for the skipped file");
    assert_eq!(skipped["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "convex/huge.ts");
    assert_eq!(skipped["level"], "error");
}

/// `info` is `info` in every format; SARIF's level enum has no info (`note` is its name for it)
/// and GitHub's commands have `notice`: both say `info` in their properties or title alongside.
#[test]
fn info_is_called_info_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    let two = "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\n\nexport default defineSchema({\n  users: defineTable({ name: v.string() }),\n  sessions: defineTable({ token: v.string() }),\n});\n";
    write(root, "convex/schema.ts", two);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "one"]);
    write(root, "convex/schema.ts", &two.replace("  sessions: defineTable({ token: v.string() }),\n", ""));
    let o = run(root, &["check"]);
    let out = stdout(&o);
    assert!(out.starts_with("info[removed-table]: table `sessions` leaves the schema"), "{out}");
    assert!(out.contains("0 errors, 0 warnings, 1 info. Compared with"), "{out}");
    let o = run(root, &["check", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(value["diagnostics"][0]["severity"], "info");
    let o = run(root, &["check", "--format", "sarif"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let result = &value["runs"][0]["results"][0];
    assert_eq!((result["level"].as_str(), result["properties"]["severity"].as_str()), (Some("note"), Some("info")));
    let rules = value["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let removed_table = rules.iter().find(|r| r["id"] == "removed-table").unwrap();
    assert_eq!(removed_table["properties"]["severity"], "info");
    let o = run(root, &["check", "--format", "github"]);
    assert!(stdout(&o).starts_with("::notice file=convex/schema.ts,"), "{}", stdout(&o));
}

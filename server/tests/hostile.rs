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

// ---- Reads and writes stay in the project (issue 18, part 2) ----

/// Runs the binary in `dir`; (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN).args(args).current_dir(dir).output().expect("binary runs");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn json_diagnostics(stdout: &str) -> Vec<serde_json::Value> {
    let json: serde_json::Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    json["diagnostics"].as_array().cloned().unwrap_or_default()
}

fn repository(root: &Path) {
    common::git(root, &["init", "-q", "-b", "main"]);
}

fn commit(root: &Path) {
    common::git(root, &["add", "-A"]);
    common::git(root, &["commit", "-qm", "base"]);
}

/// What a runner's file looks like to the tool: a schema that, read, would be parsed and quoted.
const SECRET: &str = "RUNNER_SECRET_TOKEN_4242";

fn secret_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("secret.ts");
    std::fs::write(&path, format!("export default defineSchema({{ {SECRET}: defineTable({{ {SECRET}: v.string( }}) }});\n")).unwrap();
    path
}

/// An absolute `functions` folder, or one that climbs out with `..`, is a configuration error:
/// exit 2 with one line on stderr, nothing read from there, `plan --apply` writes nothing there.
#[test]
fn a_functions_folder_outside_the_project_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let outside = root.join("outside");
    write(&outside, "schema.ts", &schema("v.optional(v.string())"));
    write(&outside, "users.ts", "import { mutation } from \"./_generated/server\";\nexport const create = mutation({ args: {}, handler: async (ctx) => { await ctx.db.insert(\"users\", { name: \"a\" }); } });\n");
    let before: Vec<_> = ["schema.ts", "users.ts"].iter().map(|f| std::fs::read_to_string(outside.join(f)).unwrap()).collect();
    for functions in [outside.display().to_string(), "../outside".to_string(), "convex/../../outside".to_string()] {
        let project = root.join("project");
        write(&project, "convex.json", &serde_json::json!({ "functions": functions }).to_string());
        write(&project, "convex/schema.ts", &schema("v.optional(v.string())"));
        let (code, stdout, stderr) = run(&project, &["check", "--no-base", "--format", "json"]);
        assert_eq!(code, Some(2), "{functions}: {stdout} {stderr}");
        assert!(stderr.contains("`functions` must be a folder inside the project"), "{functions}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        let (code, _, stderr) = run(&project, &["plan", "require", "users.role", "--default", "\"a\"", "--apply"]);
        assert_eq!(code, Some(2), "{functions}: {stderr}");
        let after: Vec<_> = ["schema.ts", "users.ts"].iter().map(|f| std::fs::read_to_string(outside.join(f)).unwrap()).collect();
        assert_eq!(after, before, "{functions}: nothing written outside");
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 2, "no file created outside");
    }
}

/// A `convex/schema.ts` linked to a file outside the checkout, a `convex.json` linked out, and a
/// `convex/` folder linked elsewhere are not read: each is an `unreadable-file` finding, and not
/// a word of the file they lead to is printed. Links inside the project keep working.
#[test]
fn symbolic_links_that_leave_the_project_are_not_read() {
    use std::os::unix::fs::symlink;
    let runner = tempfile::tempdir().unwrap();
    let secret = secret_file(runner.path());
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    repository(&root);
    write(&root, "convex/users.ts", "export const x = 1;\n");
    write(&root, "lib/inside.ts", "export const broken = (;\n");
    symlink(&secret, root.join("convex/schema.ts")).unwrap();
    symlink("../lib/inside.ts", root.join("convex/inside.ts")).unwrap();
    symlink(&secret, root.join("convex-migrate.json")).unwrap();
    // A link the tool would not read anyway (not a source file) is not a finding.
    symlink(&secret, root.join("convex/notes.md")).unwrap();
    let (code, stdout, stderr) = run(&root, &["check", "--no-base", "--format", "json"]);
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET), "the runner's file was printed: {stdout} {stderr}");
    assert_eq!(code, Some(1), "{stdout} {stderr}");
    let diagnostics = json_diagnostics(&stdout);
    let found = |path: &str, rule: &str| diagnostics.iter().find(|d| d["path"] == path && d["rule"] == rule).cloned();
    for path in ["convex/schema.ts", "convex-migrate.json"] {
        let d = found(path, "unreadable-file").unwrap_or_else(|| panic!("{path} not named: {diagnostics:#?}"));
        assert!(d["message"].as_str().unwrap().contains("leads outside the project"), "{d:#}");
    }
    assert!(!diagnostics.iter().any(|d| d["path"] == "convex/notes.md"), "{diagnostics:#?}");
    // The link inside the project is followed: its target's syntax error is found.
    assert!(found("convex/inside.ts", "parse-error").is_some(), "{diagnostics:#?}");
    for format in ["human", "github", "sarif"] {
        let (_, stdout, stderr) = run(&root, &["check", "--no-base", "--format", format]);
        assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET), "{format}: {stdout} {stderr}");
    }

    // The whole functions folder linked elsewhere.
    let other = tempfile::tempdir().unwrap();
    let project = other.path().canonicalize().unwrap();
    repository(&project);
    std::fs::copy(&secret, runner.path().join("schema.ts")).unwrap();
    symlink(runner.path(), project.join("convex")).unwrap();
    let (code, stdout, stderr) = run(&project, &["check", "--no-base", "--format", "json"]);
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET), "{stdout} {stderr}");
    assert_eq!(code, Some(1), "{stdout} {stderr}");
    let diagnostics = json_diagnostics(&stdout);
    assert!(
        diagnostics.iter().any(|d| d["path"] == "convex" && d["rule"] == "unreadable-file"),
        "the linked folder is named: {diagnostics:#?}"
    );
}

/// In the base commit: a link committed to a file outside the repository is not read (it is
/// named, at the base); a link inside the repository is read like the file it leads to.
#[test]
fn git_links_are_followed_inside_the_repository_only() {
    use std::os::unix::fs::symlink;
    let runner = tempfile::tempdir().unwrap();
    let secret = secret_file(runner.path());
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    repository(&root);
    write(&root, "shared/schema.ts", &schema("v.optional(v.string())"));
    symlink("../shared/schema.ts", root.join("convex/schema.ts")).unwrap_or_else(|_| {
        std::fs::create_dir_all(root.join("convex")).unwrap();
        symlink("../shared/schema.ts", root.join("convex/schema.ts")).unwrap();
    });
    symlink(&secret, root.join("convex/leak.ts")).unwrap();
    symlink(&secret, root.join("convex/notes.md")).unwrap();
    commit(&root);
    // The working tree makes the field required: the base's schema, read through its link, says
    // it was optional.
    write(&root, "shared/schema.ts", &schema("v.string()"));
    let (code, stdout, stderr) = run(&root, &["check", "--base", "HEAD", "--format", "json"]);
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET), "{stdout} {stderr}");
    assert_eq!(code, Some(1), "{stdout} {stderr}");
    let diagnostics = json_diagnostics(&stdout);
    assert!(
        diagnostics.iter().any(|d| d["path"] == "convex/schema.ts" && d["rule"] == "required-without-backfill"),
        "the base's linked schema was read: {diagnostics:#?}"
    );
    let leak: Vec<_> = diagnostics.iter().filter(|d| d["path"] == "convex/leak.ts" && d["rule"] == "unreadable-file").collect();
    assert!(leak.iter().any(|d| d["message"].as_str().unwrap().contains("outside the repository")), "{diagnostics:#?}");
    assert!(leak.iter().any(|d| d["message"].as_str().unwrap().contains("outside the project")), "{diagnostics:#?}");
    assert!(!diagnostics.iter().any(|d| d["path"] == "convex/notes.md"), "{diagnostics:#?}");
}

/// `check --fix` writes through a link that stays inside the project (the file it leads to
/// changes, the link stays a link), and refuses one that leads out.
#[test]
fn fixes_write_through_links_inside_the_project_only() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root, "base/convex/schema.ts", &schema("v.optional(v.string())"));
    write(&root, "work/shared/schema.ts", &schema("v.string()"));
    std::fs::create_dir_all(root.join("work/convex")).unwrap();
    symlink("../shared/schema.ts", root.join("work/convex/schema.ts")).unwrap();
    let (_, stdout, stderr) = run(&root, &["check", "work", "--base-dir", "base", "--fix"]);
    assert!(std::fs::symlink_metadata(root.join("work/convex/schema.ts")).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(root.join("work/shared/schema.ts")).unwrap(), schema("v.optional(v.string())"), "{stdout} {stderr}");
    let leftovers: Vec<_> = walk_names(&root).into_iter().filter(|n| n.contains(".convex-migrate-")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk_names(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        out.push(entry.file_name().to_string_lossy().into_owned());
        if entry.file_type().unwrap().is_dir() {
            out.extend(walk_names(&entry.path()));
        }
    }
    out
}

/// The language server reads the project with `read_dir_project`: a `functions` folder outside
/// the project is said once, on convex.json, and the `convex/` folder is analysed instead.
#[test]
fn the_language_server_says_a_functions_folder_outside_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root, "convex.json", r#"{ "functions": "/etc" }"#);
    write(&root, "convex/schema.ts", &schema("v.string()"));
    let mut notes = Vec::new();
    let project = convex_migrate::sources::read_dir_project(&root, &mut notes);
    assert_eq!(project.layout.functions_dir, "convex");
    let said: Vec<_> = project.unread.iter().filter(|u| u.path == "convex.json").collect();
    assert_eq!(said.len(), 1, "{:?}", project.unread);
    assert!(notes.is_empty(), "said once, not twice: {notes:?}");
    assert!(project.files.iter().all(|f| f.path.starts_with("convex/")));
}

// ---- Size checks before loading (issue 18, part 7) ----

/// The peak RSS of `convex-migrate ARGS` in `dir`, in KiB (GNU time), or `None` without it.
fn peak_kib(dir: &Path, args: &[&str]) -> Option<(u64, Option<i32>, String)> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let out = Command::new(time).arg("-f").arg("peak %M").arg(BIN).args(args).current_dir(dir).output().ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let peak = stderr.lines().rev().find_map(|l| l.strip_prefix("peak ")?.trim().parse().ok())?;
    Some((peak, out.status.code(), stderr))
}

/// A 64 MiB blob in the base commit's `convex/` (as a file, and behind a tree entry and a
/// symbolic link that claim it is something else) is said to be too large, or the base
/// unreadable, from the object's header alone: the blob is never decompressed.
#[test]
fn a_large_blob_in_the_base_is_not_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    repository(&root);
    write(&root, "convex/schema.ts", &schema("v.optional(v.string())"));
    std::fs::write(root.join("convex/data.ts"), vec![b'a'; 64 << 20]).unwrap();
    commit(&root);
    std::fs::remove_file(root.join("convex/data.ts")).unwrap();
    let Some((peak, code, stderr)) = peak_kib(&root, &["check", "--base", "HEAD", "--format", "json"]) else { return };
    assert_eq!(code, Some(1), "{stderr}");
    assert!(peak < 48 << 10, "the blob was loaded: peak {peak} KiB");

    // The same blob behind a tree entry (`convex` → the blob) and a link (`convex/schema.ts` → the
    // blob), hand-made: git itself would not write them.
    let blob =
        String::from_utf8(Command::new("git").args(["rev-parse", "HEAD:convex/data.ts"]).current_dir(&root).output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
    // A tree object written as raw bytes (`git mktree` checks the kinds): `MODE NAME\0ID`.
    let mktree = |mode: &str, name: &str, id: &str| {
        use std::io::Write as _;
        let mut bytes = format!("{mode} {name}\0").into_bytes();
        bytes.extend((0..id.len()).step_by(2).map(|i| u8::from_str_radix(&id[i..i + 2], 16).unwrap()));
        let mut child = Command::new("git")
            .args(["hash-object", "-t", "tree", "--literally", "-w", "--stdin"])
            .current_dir(&root)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&bytes).unwrap();
        let id = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap().trim().to_string();
        assert_eq!(id.len(), 40, "git hash-object wrote the tree");
        id
    };
    let commit_tree = |tree: &str| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@e", "commit-tree", tree, "-m", "hostile"])
            .current_dir(&root)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let as_tree = commit_tree(&mktree("40000", "convex", &blob));
    let link = mktree("120000", "schema.ts", &blob);
    let as_link = commit_tree(&mktree("40000", "convex", &link));
    for (what, commit) in [("a tree entry", as_tree), ("a symbolic link", as_link)] {
        assert_eq!(commit.len(), 40, "{what}: the commit was made");
        let (peak, code, stderr) = peak_kib(&root, &["check", "--base", &commit, "--format", "json"]).unwrap();
        assert!(code == Some(1) || code == Some(2), "{what}: {stderr}");
        assert!(peak < 48 << 10, "{what}: the blob was loaded: peak {peak} KiB ({stderr})");
    }
}

/// A file over 4 MiB on disk is said to be too large from its metadata, never read.
#[test]
fn a_large_file_on_disk_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root, "convex/schema.ts", &schema("v.string()"));
    let file = std::fs::File::create(root.join("convex/data.ts")).unwrap();
    file.set_len(256 << 20).unwrap(); // Sparse: 256 MiB that take no room.
    let Some((peak, code, stderr)) = peak_kib(&root, &["check", "--no-base", "--format", "json"]) else { return };
    assert_eq!(code, Some(1), "{stderr}");
    assert!(peak < 48 << 10, "the file was read: peak {peak} KiB");
}

/// An import from outside the functions folder is read from disk inside the repository; one
/// whose file is a link that leads out of it is not read, and is named.
#[test]
fn imports_through_links_out_of_the_repository_are_not_read() {
    use std::os::unix::fs::symlink;
    let runner = tempfile::tempdir().unwrap();
    let secret = secret_file(runner.path());
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    repository(&root);
    write(&root, "shared/ok.ts", "import { v } from \"convex/values\";\nexport const name = v.string();\n");
    std::fs::create_dir_all(root.join("shared")).unwrap();
    symlink(&secret, root.join("shared/leak.ts")).unwrap();
    write(
        &root,
        "app/convex/schema.ts",
        "import { defineSchema, defineTable } from \"convex/server\";\nimport { name } from \"../../shared/ok\";\nimport { leak } from \"../../shared/leak\";\nexport default defineSchema({ users: defineTable({ name, leak }) });\n",
    );
    let (_, stdout, stderr) = run(&root.join("app"), &["check", "--no-base", "--format", "json"]);
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET), "{stdout} {stderr}");
    let diagnostics = json_diagnostics(&stdout);
    assert!(
        diagnostics.iter().any(|d| d["path"] == "../shared/leak.ts"
            && d["rule"] == "unreadable-file"
            && d["message"].as_str().unwrap().contains("leads outside the project")),
        "{diagnostics:#?}"
    );
}

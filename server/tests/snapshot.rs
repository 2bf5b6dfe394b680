//! `--snapshot FILE.zip`: exports in the backend's real format (written by
//! `tests/snapshots/export.py`, committed under `tests/snapshots/zips/`) for the bundled example
//! and the `kinds` fixture, with known counts; what users see in each format (insta); every kind of
//! bad input as one `error:` line naming the file; truncated and corrupted zips never panic.

use std::path::{Path, PathBuf};
use std::process::Command;

use convex_migrate::analysis::data::{Ask, Question};
use convex_migrate::model::validator::Validator;
use convex_migrate::sources::snapshot;

const BIN: &str = env!("CARGO_BIN_EXE_convex-migrate");

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The fixture zips, copied into `tmp` with a fixed modification time (the time a download
/// without Convex's own file name is known by).
fn zips(tmp: &Path) {
    let from = repo_root().join("tests/snapshots/zips");
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        let to = tmp.join(entry.file_name());
        std::fs::copy(entry.path(), &to).unwrap();
        let file = std::fs::File::options().write(true).open(&to).unwrap();
        file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_608_000)).unwrap();
    }
    for (name, dir) in [("team-app", "examples/team-app"), ("kinds", "tests/snapshots/kinds")] {
        copy_dir(&repo_root().join(dir), &tmp.join(name));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn run(cwd: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).current_dir(cwd).env_remove("CI").env_remove("GITHUB_ACTIONS").output().expect("binary runs");
    format!(
        "$ convex-migrate {}\nexit: {:?}\n--- stdout\n{}--- stderr\n{}\n",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn check(project: &str, zip: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["check".to_string(), format!("{project}/working"), "--base-dir".into(), format!("{project}/deployed")];
    args.extend(["--snapshot".to_string(), zip.to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn run_check(tmp: &Path, project: &str, zip: &str, extra: &[&str]) -> String {
    let args = check(project, zip, extra);
    run(tmp, &args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The bundled example against an export where migrations are half done: each transition finding
/// counts (3 of 5 users lack `role`, 1 lacks `plan`, 3 hold `isPro`, 2 of 4 posts are archived,
/// 3 sessions stay), in every format.
#[test]
fn counts_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    zips(tmp);
    let mut out = String::new();
    for format in ["human", "json", "sarif", "github"] {
        let text = run_check(tmp, "team-app", "team-app.zip", &["--format", format]);
        // SARIF's rule list is long and unchanged: keep the results.
        let text = if format == "sarif" { sarif_results(&text) } else { text };
        out.push_str(&text);
    }
    insta::assert_snapshot!("team_app_half_done", out);
}

fn sarif_results(text: &str) -> String {
    let (head, rest) = text.split_once("--- stdout\n").unwrap();
    let (json, tail) = rest.split_once("--- stderr\n").unwrap();
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let results = serde_json::to_string_pretty(&value["runs"][0]["results"]).unwrap();
    format!("{head}--- stdout (runs[0].results)\n{results}\n--- stderr\n{tail}")
}

/// Every document already satisfies the new schema: the transition errors become notes that say
/// so and when the snapshot was taken (here from Convex's file name), and `check` passes.
#[test]
fn clean_data_turns_errors_into_notes() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    zips(tmp);
    std::fs::rename(tmp.join("team-app-clean.zip"), tmp.join("snapshot_happy-animal-123_1795000000000000000.zip")).unwrap();
    let out = run_check(tmp, "team-app", "snapshot_happy-animal-123_1795000000000000000.zip", &[]);
    insta::assert_snapshot!("team_app_clean", out);
}

/// One change per kind of validator, with all the sample ids: literals, `v.id` (another table's
/// id, not an id, an id into no table, a stored file's id), a nested required field, records,
/// int64 vs float64, NaN and Infinity, bytes, a removed field, a field made required, arrays, a
/// union table's variant.
#[test]
fn every_kind_of_validator() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    zips(tmp);
    let text = run_check(tmp, "kinds", "kinds.zip", &["--format", "json", "--samples", "100"]);
    let (_, rest) = text.split_once("--- stdout\n").unwrap();
    let (json, _) = rest.split_once("--- stderr\n").unwrap();
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    // The ids of `items`, in order, to name the documents by their index.
    let ids = item_ids(&tmp.join("kinds.zip"));
    let mut out = String::new();
    for d in value["diagnostics"].as_array().unwrap() {
        let samples: Vec<String> = d["data"]["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| ids.iter().position(|i| i == s.as_str().unwrap()).map(|i| i.to_string()).unwrap_or_else(|| s.to_string()))
            .collect();
        out.push_str(&format!(
            "{}:{} {} {}: {} of {} [{}]\n  {}\n",
            d["path"].as_str().unwrap(),
            d["line"],
            d["severity"].as_str().unwrap(),
            d["rule"].as_str().unwrap(),
            d["data"]["affected"],
            d["data"]["total"],
            samples.join(", "),
            d["message"].as_str().unwrap()
        ));
    }
    insta::assert_snapshot!("kinds", out);
}

fn item_ids(zip: &Path) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("items/documents.jsonl").unwrap(), &mut text).unwrap();
    text.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["_id"].as_str().unwrap().to_string()).collect()
}

/// Bad input is exit 2 with one `error:` line that names the file (and the table and line).
#[test]
fn bad_input_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    zips(tmp);
    std::fs::write(tmp.join("notes.zip"), "not a zip at all\n").unwrap();
    let whole = std::fs::read(tmp.join("team-app.zip")).unwrap();
    std::fs::write(tmp.join("truncated.zip"), &whole[..whole.len() / 2]).unwrap();
    std::fs::create_dir(tmp.join("folder.zip")).unwrap();
    let mut out = String::new();
    for zip in ["missing.zip", "notes.zip", "truncated.zip", "not-an-export.zip", "bad-line.zip", "legacy.zip", "folder.zip"] {
        out.push_str(&run_check(tmp, "team-app", zip, &[]));
    }
    insta::assert_snapshot!("bad_input", out);
}

/// The schema's tables are not in the export (another project's): the findings stay, and say so.
#[test]
fn tables_missing_from_the_snapshot_are_said() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    zips(tmp);
    let out = run_check(tmp, "team-app", "kinds.zip", &[]);
    insta::assert_snapshot!("tables_missing", out);
}

fn questions() -> Vec<Question> {
    vec![
        Question::fill("users", "role", &Validator::String),
        Question::unset("users", "isPro"),
        Question { table: "posts".into(), ask: Ask::Count },
        Question { table: "sessions".into(), ask: Ask::Count },
    ]
}

fn read(bytes: &[u8], dir: &Path) -> Result<convex_migrate::analysis::data::Snapshot, snapshot::SnapshotError> {
    let path = dir.join("cut.zip");
    std::fs::write(&path, bytes).unwrap();
    snapshot::read(&path, questions(), 5, &mut |_| std::ops::ControlFlow::Continue(()))
}

/// A zip cut short at any byte is an error, never a panic nor a partial count.
#[test]
fn truncated_zips_are_errors_at_every_offset() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(repo_root().join("tests/snapshots/zips/team-app.zip")).unwrap();
    let full = read(&whole, dir.path()).expect("the whole zip reads");
    assert_eq!(full.tables.values().sum::<u64>(), 12);
    for cut in 0..whole.len() {
        let result = std::panic::catch_unwind(|| read(&whole[..cut], dir.path()));
        match result {
            Ok(Err(_)) => {}
            Ok(Ok(_)) => panic!("a zip cut at byte {cut} of {} was read as if whole", whole.len()),
            Err(_) => panic!("a zip cut at byte {cut} panicked"),
        }
    }
}

/// A byte changed anywhere: an error, or (where the byte does not matter, e.g. in the README) the
/// same counts; never a panic and never other counts.
#[test]
fn corrupted_bytes_never_panic_nor_miscount() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(repo_root().join("tests/snapshots/zips/team-app.zip")).unwrap();
    let full = read(&whole, dir.path()).unwrap();
    // The compressed bytes of the entries read: a change there must be noticed (CRC-32).
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(whole.clone())).unwrap();
    let read_entries = ["_tables/documents.jsonl", "users/documents.jsonl", "posts/documents.jsonl", "sessions/documents.jsonl"];
    let ranges: Vec<std::ops::Range<usize>> = read_entries
        .iter()
        .map(|name| {
            let file = archive.by_name(name).unwrap();
            let start = file.data_start().unwrap() as usize;
            // The last byte may end in padding bits that mean nothing.
            start..start + file.compressed_size() as usize - 1
        })
        .collect();
    let mut errors = 0;
    let mut must = 0;
    for at in 0..whole.len() {
        let inside = ranges.iter().any(|r| r.contains(&at));
        must += inside as usize;
        let mut bytes = whole.clone();
        bytes[at] ^= 0x5a;
        match std::panic::catch_unwind(|| read(&bytes, dir.path())) {
            Ok(Err(_)) => errors += inside as usize,
            Ok(Ok(_)) if inside => panic!("byte {at}, in compressed data that was read, changed unnoticed"),
            Ok(Ok(snapshot)) => assert_eq!(
                (snapshot.tables.clone(), snapshot.answers.clone()),
                (full.tables.clone(), full.answers.clone()),
                "byte {at} changed the counts"
            ),
            Err(_) => panic!("a zip with byte {at} changed panicked"),
        }
    }
    assert_eq!(errors, must);
    assert!(must > 600, "{must}");
}

/// The committed zips are what `export.py` writes (their entries and contents).
#[test]
fn fixture_zips_match_the_generator() {
    let out = Command::new("python3")
        .arg(repo_root().join("tests/snapshots/export.py"))
        .arg("check")
        .output()
        .expect("python3 runs (tests/snapshots/export.py writes the fixtures)");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// `verify --snapshot`: unfinished (exit 1, ledger unchanged), no way to tell the deployment
/// (exit 2), clean (recorded with the snapshot's time and the count), the deployment told by
/// Convex's file name and `.env.local`, and a contradiction.
#[test]
fn verify_from_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    zips(tmp);
    let app = "team-app/working";
    std::fs::copy(tmp.join("team-app-clean.zip"), tmp.join("snapshot_happy-animal-123_1795608000000000000.zip")).unwrap();
    let mut out = String::new();
    out.push_str(&run(tmp, &["verify", "users.role", "-C", app, "--snapshot", "team-app.zip", "--deployment", "prod"]));
    out.push_str(&run(tmp, &["verify", "users.isPro", "-C", app, "--snapshot", "team-app.zip", "--deployment", "prod"]));
    out.push_str(&run(tmp, &["verify", "users.role", "-C", app, "--snapshot", "team-app-clean.zip"]));
    out.push_str(&run(tmp, &["verify", "users.role", "-C", app, "--snapshot", "team-app-clean.zip", "--deployment", "prod"]));
    std::fs::write(tmp.join(app).join(".env.local"), "CONVEX_DEPLOYMENT=dev:happy-animal-123 # team: t, project: p\n").unwrap();
    out.push_str(&run(tmp, &["verify", "users.plan", "-C", app, "--snapshot", "snapshot_happy-animal-123_1795608000000000000.zip"]));
    out.push_str(&run(
        tmp,
        &["verify", "users.plan", "-C", app, "--snapshot", "snapshot_happy-animal-123_1795608000000000000.zip", "--deployment", "prod"],
    ));
    out.push_str(&format!("--- convex-migrate.json\n{}", std::fs::read_to_string(tmp.join(app).join("convex-migrate.json")).unwrap()));
    // The recorded field is verified for `check`: backfill-unverified on `users.plan` is gone.
    out.push_str(
        &run(tmp, &["check", app, "--base-dir", "team-app/deployed"])
            .lines()
            .filter(|l| l.contains("[backfill-unverified]"))
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    insta::assert_snapshot!("verify", out);
}

/// `plan --snapshot`: the step that runs the backfill says how many documents are left (and is
/// done when none is), and the verify step offers `verify --snapshot`.
#[test]
fn plan_counts_what_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    zips(tmp);
    let mut out = String::new();
    for (change, zip) in
        [("require users.plan", "team-app.zip"), ("require users.plan", "team-app-clean.zip"), ("remove users.isPro", "team-app.zip")]
    {
        let mut args: Vec<&str> = vec!["plan"];
        args.extend(change.split(' '));
        args.extend(["-C", "team-app/working", "--base-dir", "team-app/deployed", "--snapshot", zip]);
        let text = run(tmp, &args);
        // The steps between the deploys.
        let between: String = text
            .lines()
            .skip_while(|l| !l.starts_with("After deploy 1"))
            .take_while(|l| !l.starts_with("Deploy 2"))
            .map(|l| format!("{l}\n"))
            .collect();
        out.push_str(&format!("$ convex-migrate {}\n{between}\n", args.join(" ")));
    }
    insta::assert_snapshot!("plan", out);
}

/// The ledger records `users.plan` verified, but the export shows a user without a plan: the
/// data wins, as an error; with clean data the verified field is silent again.
#[test]
fn data_that_contradicts_the_ledger_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    zips(tmp);
    std::fs::write(
        tmp.join("team-app/working/convex-migrate.json"),
        "{ \"verified\": { \"users.plan\": { \"deployment\": \"prod\", \"at\": \"2026-11-20T00:00:00Z\", \"remaining\": 0 } } }\n",
    )
    .unwrap();
    let plan_findings = |zip: &str| -> String {
        run_check(tmp, "team-app", zip, &[]).lines().filter(|l| l.contains("`users.plan`")).map(|l| format!("{l}\n")).collect()
    };
    let out = format!("-- team-app.zip\n{}-- team-app-clean.zip\n{}", plan_findings("team-app.zip"), plan_findings("team-app-clean.zip"));
    insta::assert_snapshot!("ledger_contradicted", out);
}

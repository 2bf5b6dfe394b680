//! Fuzzing on stable Rust, in the tree: a seeded mutation loop over the rule fixtures, through
//! everything the tool does with a project — parse, model, link, analyse, and build every fix of
//! every finding, every refactor offered at random places, and the plans of the schema's fields.
//! A panic is a crash; an execution over [`SLOW`] is a timeout. Each input derives from the seed
//! and its index alone, so a failure replays from the two numbers it prints.
//!
//! `tests/fuzz.sh` runs it for a bounded time (CI), and reports executions, crashes and timeouts.
//! Knobs: `CONVEX_MIGRATE_FUZZ_SECONDS` (default 5), `CONVEX_MIGRATE_FUZZ_SEED`,
//! `CONVEX_MIGRATE_FUZZ_THREADS` (default 2), `CONVEX_MIGRATE_FUZZ_REPLAY=INDEX` (one input,
//! printed). Crashes are written to `$CARGO_TARGET_TMPDIR/fuzz-crash-SEED-INDEX.json`; each one
//! found becomes a file of `tests/fixtures/fuzz/`, which every run replays first.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::fixture::{parse_fixture, rule_fixtures};
use convex_migrate::analysis::{Recipe, Workspace};
use convex_migrate::fixes::{self, plan::Change};
use convex_migrate::sources::load_files;

/// An execution slower than this counts as a timeout. A fixture takes milliseconds; the parse
/// budget bounds the costliest file to ~3 s in a release build, and swc is ~20 times slower in a
/// debug build.
const SLOW: Duration = Duration::from_secs(if cfg!(debug_assertions) { 120 } else { 10 });

type Files = Vec<(String, String)>;

/// xorshift64*: fast, seeded, no dependency.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Tokens that matter to the parser, the model and the rules.
const DICTIONARY: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    "=>",
    "`",
    "${",
    "\"",
    "'",
    "/",
    "/*",
    "*/",
    "//",
    "\\",
    ",",
    ";",
    ":",
    "?",
    "!",
    ".",
    "...",
    "\n",
    "\r",
    "\r\n",
    "\u{2028}",
    "\u{85}",
    "\u{c}",
    "é",
    "😀",
    "\u{feff}",
    "0",
    "-1",
    "1e309",
    "0x",
    "null",
    "undefined",
    "true",
    " as const",
    "<a>",
    "</a>",
    "async ",
    "await ",
    "typeof ",
    "new ",
    "function ",
    "class ",
    "return ",
    "export ",
    "export default ",
    "import ",
    "from \"./schema\"",
    "from \"../x\"",
    "v.optional(",
    "v.union(",
    "v.literal(\"a\")",
    "v.string()",
    "v.number()",
    "v.id(\"users\")",
    "v.object({",
    "v.array(",
    "v.record(",
    "v.nullable(",
    ".optional()",
    "defineTable(",
    "defineSchema(",
    "mutation({",
    "internalMutation({",
    "query({",
    "handler: async (ctx, args) => {",
    "ctx.db.patch(",
    "ctx.db.insert(\"users\", {",
    "ctx.db.replace(",
    "ctx.db.delete(",
    "ctx.db.query(\"users\")",
    ".withIndex(\"by_x\", (q) => q.eq(\"x\", 1))",
    ".filter((q) => q.eq(q.field(\"role\"), undefined))",
    ".paginate(args.paginationOpts)",
    ".take(100)",
    ".collect()",
    "for await (const d of ",
    "migrations.define({ table: \"users\", migrateOne: ",
    "{ role: undefined }",
    "...",
    "...fields, ",
    "role: ",
    "users: ",
    "\"users\"",
    "_id",
    "// convex-migrate-disable-next-line ",
    "// convex-migrate-disable-file narrowed-type -- r\n",
    " -- reason",
    "required-without-backfill",
    "schemaValidation: false",
];

/// One to four mutations of `text`: bytes and tokens inserted, ranges deleted, repeated (nesting),
/// wrapped in brackets, spliced from `other`.
fn mutate(rng: &mut Rng, text: &str, other: &str) -> String {
    let mut out = text.to_string();
    for _ in 0..1 + rng.below(4) {
        let at = boundary(&out, rng.below(out.len() + 1));
        match rng.below(10) {
            0..=2 => out.insert_str(at, DICTIONARY[rng.below(DICTIONARY.len())]),
            3 => {
                let end = boundary(&out, at + rng.below(40));
                out.replace_range(at..end, "");
            }
            4 => {
                let end = boundary(&out, at + rng.below(20));
                let piece = out[at..end].to_string();
                let times = if rng.below(8) == 0 { rng.below(3_000) } else { rng.below(8) };
                out.insert_str(at, &piece.repeat(times));
            }
            5 => {
                // Deep but balanced nesting, up to about the parser's limit and beyond it.
                let end = boundary(&out, at + rng.below(60));
                let depth = if rng.below(4) == 0 { rng.below(1_200) } else { rng.below(30) };
                let (open, close) = *rng.pick(&[("(", ")"), ("[", "]"), ("{a:", "}"), ("`${", "}`"), ("(<a>", ")"), ("a < (", ")")]);
                let inner = out[at..end].to_string();
                out.replace_range(at..end, &format!("{}{inner}{}", open.repeat(depth), close.repeat(depth)));
            }
            6 => {
                let start = boundary(other, rng.below(other.len() + 1));
                let end = boundary(other, start + rng.below(200));
                out.insert_str(at, &other[start..end]);
            }
            7 => {
                let byte = char::from_u32(rng.below(0x80) as u32).unwrap_or('?');
                out.insert(at, byte);
            }
            8 => out.truncate(at),
            _ => {
                // Swap two lines.
                let mut lines: Vec<&str> = out.split_inclusive('\n').collect();
                if lines.len() > 1 {
                    let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                    lines.swap(a, b);
                }
                out = lines.concat();
            }
        }
    }
    out
}

fn boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The seeds: every rule fixture's working and base files.
fn seeds() -> Vec<(String, Files, Files)> {
    rule_fixtures()
        .into_iter()
        .map(|(name, path)| {
            let f = parse_fixture(&std::fs::read_to_string(path).expect("fixture"));
            (name, f.working, f.base)
        })
        .collect()
}

/// The input of execution `index`: a seed's files, some mutated, some renamed, some added.
fn input(seeds: &[(String, Files, Files)], seed: u64, index: u64) -> (Files, Option<Files>) {
    let mut rng = Rng::new(seed ^ index.wrapping_mul(0xd1b5_4a32_d192_ed03));
    let (_, working, base) = rng.pick(seeds).clone();
    let (_, other, _) = rng.pick(seeds);
    let other_text = other.first().map(|(_, t)| t.clone()).unwrap_or_default();
    let side = |files: Files, rng: &mut Rng| -> Files {
        let mut files = files;
        for (path, text) in files.iter_mut() {
            if rng.below(3) != 0 {
                *text = mutate(rng, text, &other_text);
            }
            if rng.below(30) == 0 {
                let ext = *rng.pick(&["ts", "tsx", "js", "jsx", "mjs", "d.ts", "txt"]);
                *path = format!("{}.{ext}", path.rsplit_once('.').map(|(p, _)| p).unwrap_or(path));
            }
        }
        if rng.below(10) == 0 {
            files.push((format!("convex/extra{}.ts", rng.below(3)), mutate(rng, &other_text, &other_text)));
        }
        files
    };
    let working = side(working, &mut rng);
    let base = if base.is_empty() || rng.below(10) == 0 { None } else { Some(side(base, &mut rng)) };
    (working, base)
}

/// Everything the tool does with a workspace; returns how many fixes it built.
fn exercise(working: &Files, base: Option<&Files>, rng: &mut Rng) -> usize {
    let ws = load_files(working, base.map(Vec::as_slice));
    let analysis = ws.analyze();
    let mut built = 0;
    let mut build = |recipe: &Recipe, ws: &Workspace| {
        let _ = fixes::offer(recipe, ws);
        if let Some(fix) = fixes::build(recipe, ws) {
            for file in &fix.edits {
                let old = working.iter().find(|(p, _)| *p == file.path).map(|(_, t)| t.as_str()).unwrap_or("");
                let _ = fixes::apply(old, &file.edits);
            }
            built += 1;
        }
    };
    for finding in &analysis.findings {
        let _ = finding.deferred_to_typescript(&ws.config.config);
        for recipe in &finding.fixes {
            build(recipe, &ws);
        }
    }
    for (path, text) in working {
        for _ in 0..3 {
            let offset = boundary(text, rng.below(text.len() + 1)) as u32;
            for recipe in fixes::assists(&ws, path, offset) {
                build(&recipe, &ws);
            }
            let _ = convex_migrate::analysis::hover::at(&ws, path, offset);
        }
    }
    if let Some(schema) = ws.working.schema.as_ref() {
        for table in schema.tables.iter().take(3) {
            for field in table.fields.iter().take(3) {
                let (t, f) = (table.name.clone(), field.name.clone());
                let changes = [
                    Change::Require { table: t.clone(), field: f.clone(), value: None },
                    Change::Narrow { table: t.clone(), field: f.clone(), map: vec![("a".into(), "b".into())] },
                    Change::SplitFields {
                        table: t.clone(),
                        field: f.clone(),
                        into: vec![format!("{f}A")],
                        with: vec![(format!("{f}A"), "doc._id".into())],
                    },
                    Change::Remove { table: t.clone(), field: f.clone() },
                    Change::Rename { table: t.clone(), field: f.clone(), to: format!("{f}2") },
                    Change::Retype { table: t.clone(), field: f.clone(), to: format!("{f}N"), validator: "v.number()".into() },
                    Change::Split { table: t.clone(), field: f.clone(), into: format!("{t}{f}") },
                ];
                let _ = fixes::plan::plan(&ws, rng.pick(&changes));
            }
        }
    }
    built
}

fn env(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// A crash as a regression fixture: the exact files (JSON keeps every byte).
fn save(dir: &std::path::Path, name: &str, working: &Files, base: Option<&Files>) -> PathBuf {
    let path = dir.join(name);
    let json = serde_json::json!({ "working": working, "base": base });
    let _ = std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap_or_default());
    path
}

/// The crashes found so far, replayed: each must run clean.
fn regressions() -> Vec<(String, Files, Option<Files>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/fuzz");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).expect("a regression fixture");
            let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            let files = |v: &serde_json::Value| -> Option<Files> { serde_json::from_value(v.clone()).ok() };
            out.push((path.display().to_string(), files(&json["working"]).unwrap_or_default(), files(&json["base"])));
        }
    }
    out
}

#[test]
fn fuzz_the_pipeline() {
    // Runs on threads of the binaries' stack size, as `check` and the language server do.
    let seconds = env("CONVEX_MIGRATE_FUZZ_SECONDS").unwrap_or(5);
    let seed = env("CONVEX_MIGRATE_FUZZ_SEED").unwrap_or(0x00c0_ffee);
    let threads = env("CONVEX_MIGRATE_FUZZ_THREADS").unwrap_or(2).max(1);
    let replay = env("CONVEX_MIGRATE_FUZZ_REPLAY");
    let seeds = Arc::new(seeds());
    let crash_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    // Quiet the default hook: a panic is counted and saved, not printed by each thread.
    std::panic::set_hook(Box::new(|_| {}));

    let runner = std::thread::Builder::new().stack_size(convex_migrate::STACK_SIZE);
    let regressions = runner
        .spawn(|| {
            let mut failed = Vec::new();
            for (name, working, base) in regressions() {
                let mut rng = Rng::new(1);
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| exercise(&working, base.as_ref(), &mut rng))).is_err() {
                    failed.push(name);
                }
            }
            failed
        })
        .expect("thread")
        .join()
        .expect("no overflow");
    let _ = std::panic::take_hook();
    assert!(regressions.is_empty(), "regression fixtures crash again: {regressions:?}");
    std::panic::set_hook(Box::new(|_| {}));

    if let Some(index) = replay {
        let (working, base) = input(&seeds, seed, index);
        let _ = std::panic::take_hook();
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "working": working, "base": base })).unwrap_or_default());
        let mut rng = Rng::new(index);
        exercise(&working, base.as_ref(), &mut rng);
        return;
    }

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let executions = Arc::new(AtomicU64::new(0));
    let fixes_built = Arc::new(AtomicU64::new(0));
    let crashes: Arc<Mutex<Vec<(u64, PathBuf)>>> = Arc::default();
    let timeouts: Arc<Mutex<Vec<(u64, Duration)>>> = Arc::default();
    let slowest = Arc::new(Mutex::new((0u64, Duration::ZERO)));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    // What each thread runs now (index + 1, 0 when idle) and since when (ms after `started`).
    let busy: Arc<Vec<(AtomicU64, AtomicU64)>> = Arc::new((0..threads).map(|_| (AtomicU64::new(0), AtomicU64::new(0))).collect());
    {
        // The watchdog: an execution that hangs (swc cannot be interrupted) is saved and ends
        // the run, so a hang is a reported timeout, not a stuck job.
        let (busy, seeds, crash_dir) = (busy.clone(), seeds.clone(), crash_dir.clone());
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(250));
            let now = started.elapsed().as_millis() as u64;
            for (current, since) in busy.iter() {
                let index = current.load(Ordering::SeqCst);
                if index > 0 && now.saturating_sub(since.load(Ordering::SeqCst)) > 3 * SLOW.as_millis() as u64 {
                    let (working, base) = input(&seeds, seed, index - 1);
                    let path = save(&crash_dir, &format!("fuzz-hang-{seed}-{}.json", index - 1), &working, base.as_ref());
                    println!("fuzz: index {} runs for over {:?}: a hang, saved to {}", index - 1, 3 * SLOW, path.display());
                    std::process::exit(1);
                }
            }
        });
    }
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let busy = busy.clone();
            let (seeds, executions, fixes_built, crashes, timeouts, slowest, stop, crash_dir) = (
                seeds.clone(),
                executions.clone(),
                fixes_built.clone(),
                crashes.clone(),
                timeouts.clone(),
                slowest.clone(),
                stop.clone(),
                crash_dir.clone(),
            );
            std::thread::Builder::new()
                .stack_size(convex_migrate::STACK_SIZE)
                .spawn(move || {
                    let mut index = t;
                    while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
                        let (working, base) = input(&seeds, seed, index);
                        let mut rng = Rng::new(index);
                        let began = Instant::now();
                        busy[t as usize].1.store(started.elapsed().as_millis() as u64, Ordering::SeqCst);
                        busy[t as usize].0.store(index + 1, Ordering::SeqCst);
                        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| exercise(&working, base.as_ref(), &mut rng)));
                        busy[t as usize].0.store(0, Ordering::SeqCst);
                        let took = began.elapsed();
                        executions.fetch_add(1, Ordering::Relaxed);
                        match result {
                            Ok(n) => {
                                fixes_built.fetch_add(n as u64, Ordering::Relaxed);
                            }
                            Err(_) => {
                                let path = save(&crash_dir, &format!("fuzz-crash-{seed}-{index}.json"), &working, base.as_ref());
                                crashes.lock().unwrap().push((index, path));
                            }
                        }
                        if took > SLOW {
                            timeouts.lock().unwrap().push((index, took));
                        }
                        let mut s = slowest.lock().unwrap();
                        if took > s.1 {
                            *s = (index, took);
                        }
                        index += threads;
                    }
                })
                .expect("thread")
        })
        .collect();
    for h in handles {
        h.join().expect("a fuzzing thread survives (a stack overflow aborts the process: replay the last index printed)");
    }
    let _ = std::panic::take_hook();
    let elapsed = started.elapsed();
    let executions = executions.load(Ordering::Relaxed);
    let crashes = crashes.lock().unwrap().clone();
    let timeouts = timeouts.lock().unwrap().clone();
    let slowest = *slowest.lock().unwrap();
    println!(
        "fuzz: {executions} executions in {:.1} s ({:.0}/s) on {threads} threads, seed {seed}: {} crashes, {} timeouts (over {:?}), {} fixes built; slowest: index {} in {:.1?}",
        elapsed.as_secs_f64(),
        executions as f64 / elapsed.as_secs_f64(),
        crashes.len(),
        timeouts.len(),
        SLOW,
        fixes_built.load(Ordering::Relaxed),
        slowest.0,
        slowest.1,
    );
    assert!(crashes.is_empty(), "crashes (replay with CONVEX_MIGRATE_FUZZ_SEED={seed} CONVEX_MIGRATE_FUZZ_REPLAY=INDEX): {crashes:?}");
    assert!(timeouts.is_empty(), "timeouts: {timeouts:?}");
    assert!(executions > 0);
}

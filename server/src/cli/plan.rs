//! `convex-migrate plan CHANGE`: the migration checklist for one change, marked against this
//! project, and `--apply` for its next step.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use crate::cli::{Format, EXIT_ERROR, EXIT_OK};
use crate::fixes::plan::{plan, Change, Plan};
use crate::sources::{self, Base};

pub struct Args {
    pub verb: String,
    pub target: String,
    pub default: Option<String>,
    /// `rename --to NAME`, `retype --to 'v.number()'`.
    pub to: Option<String>,
    /// `retype --as NAME`: the new field (default: `<field>V2`).
    pub as_field: Option<String>,
    /// `split --into TABLE`.
    pub into: Option<String>,
    pub project: PathBuf,
    pub base: crate::cli::BaseArgs,
    pub format: Format,
    pub apply: bool,
}

pub fn run(args: Args) -> i32 {
    match run_plan(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_ERROR
        }
    }
}

fn parse_change(args: &Args) -> Result<Change, String> {
    let (table, field) = args
        .target
        .split_once('.')
        .filter(|(t, f)| !t.is_empty() && !f.is_empty() && !f.contains('.'))
        .ok_or_else(|| format!("`{}` is not `table.field` (e.g. `users.role`)", args.target))?;
    let (table, field) = (table.to_string(), field.to_string());
    match args.verb.as_str() {
        "require" => Ok(Change::Require { table, field, default: args.default.clone() }),
        "remove" => Ok(Change::Remove { table, field }),
        "rename" => {
            let to = args.to.clone().ok_or("rename needs --to NEW_NAME")?;
            Ok(Change::Rename { table, field, to })
        }
        "retype" => {
            let validator = args.to.clone().ok_or("retype needs --to 'v.number()' (the new validator)")?;
            let to = args.as_field.clone().unwrap_or_else(|| format!("{field}V2"));
            Ok(Change::Retype { table, field, to, validator })
        }
        "split" => {
            let into = args.into.clone().ok_or("split needs --into NEW_TABLE")?;
            Ok(Change::Split { table, field, into })
        }
        other => Err(format!("unknown change `{other}`: use require, remove, retype, rename or split")),
    }
}

fn run_plan(args: &Args) -> Result<i32, String> {
    let change = parse_change(args)?;
    let working = sources::read_working(&args.project).map_err(|e| e.to_string())?;
    let base = args.base.read(&working)?;
    let (base_project, base_note) = match &base {
        Base::Project { project, described_as, .. } => (Some(&**project), format!("base: {described_as}")),
        Base::Off { reason } => {
            return Err(format!("{reason}; a plan needs to know what is deployed (commit it, or give --base-dir)"));
        }
    };
    let package_json = sources::disk::read_optional(&working.root, "package.json").ok().flatten();
    let plan = plan(&working.project, base_project, &working.config, working.config_text.as_deref(), package_json.as_deref(), &change)?;
    let mut out = std::io::stdout().lock();
    if args.apply {
        return apply_next(&working, &plan, &mut out);
    }
    let text = match args.format {
        Format::Json => json(&working, &plan),
        _ => human(&working, &plan, &base_note),
    };
    let _ = out.write_all(text.as_bytes());
    Ok(EXIT_OK)
}

/// The text each file had when the plan was computed.
fn expected_text(working: &sources::Working, path: &str) -> Option<String> {
    if path == crate::config::FILE_NAME {
        return working.config_text.clone();
    }
    working.project.file_id(path).map(|id| working.project.file(id).text.to_string())
}

fn apply_next(working: &sources::Working, plan: &Plan, out: &mut impl std::io::Write) -> Result<i32, String> {
    let Some((number, step)) = plan.steps.iter().enumerate().find(|(_, s)| !s.done) else {
        let _ = writeln!(out, "Every step to {} is done.", plan.change);
        return Ok(EXIT_OK);
    };
    let Some(fix) = &step.fix else {
        let _ = writeln!(out, "Next: step {}. {} — done by hand:", number + 1, step.title);
        for line in step.detail.iter().chain(step.commands.iter()) {
            let _ = writeln!(out, "  {line}");
        }
        return Ok(EXIT_OK);
    };
    let changed = sources::disk::apply_fix(&working.root, fix, &|p| expected_text(working, p))?;
    let _ = writeln!(out, "Applied step {}. {} ({})", number + 1, step.title, fix.title);
    for path in changed {
        let _ = writeln!(out, "  changed {path}");
    }
    Ok(EXIT_OK)
}

fn human(working: &sources::Working, plan: &Plan, base_note: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Plan: {}  ({base_note})", plan.change);
    let mut phase = None;
    let next = plan.steps.iter().position(|s| !s.done);
    for (i, step) in plan.steps.iter().enumerate() {
        if phase != Some(step.phase) {
            let _ = writeln!(out, "\n{}", step.phase.title());
            phase = Some(step.phase);
        }
        let mark = if step.done { "✓" } else { "☐" };
        let here = if next == Some(i) { "   ← next" } else { "" };
        let _ = writeln!(out, "  {:>2}. {mark} {}{here}", i + 1, step.title);
        if step.done {
            continue;
        }
        for d in &step.detail {
            let _ = writeln!(out, "        {d}");
        }
        for c in &step.commands {
            let _ = writeln!(out, "        $ {c}");
        }
        if let Some(fix) = &step.fix {
            let _ = writeln!(out, "        `plan --apply` does it: {}", fix.title);
            for file in &fix.edits {
                for edit in file.edits.iter().filter(|e| !e.new_text.trim().is_empty()) {
                    let _ = writeln!(out, "        in {}:", file.path);
                    for line in edit.new_text.trim_matches('\n').lines() {
                        let _ = writeln!(out, "          | {line}");
                    }
                }
            }
        }
    }
    let _ = working;
    match next {
        Some(i) => {
            let _ = writeln!(out, "\nNext: step {}. {}", i + 1, plan.steps[i].title);
        }
        None => {
            let _ = writeln!(out, "\nEvery step is done.");
        }
    }
    out
}

fn json(working: &sources::Working, plan: &Plan) -> String {
    let steps: Vec<serde_json::Value> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let fix = s.fix.as_ref().map(|f| {
                let edits: Vec<serde_json::Value> = f
                    .edits
                    .iter()
                    .map(|e| {
                        let text = expected_text(working, &e.path).unwrap_or_default();
                        let index = crate::line_index::LineIndex::new(&text);
                        let pos = |o: u32| {
                            let lc = index.line_col(&text, o, crate::line_index::ColumnUnit::Chars);
                            serde_json::json!({ "line": lc.line + 1, "column": lc.col + 1 })
                        };
                        serde_json::json!({
                            "path": e.path,
                            "create": e.create,
                            "edits": e.edits.iter().map(|t| serde_json::json!({ "start": pos(t.range.start), "end": pos(t.range.end), "newText": t.new_text })).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                serde_json::json!({ "title": f.title, "files": edits })
            });
            serde_json::json!({
                "number": i + 1,
                "phase": s.phase,
                "title": s.title,
                "done": s.done,
                "detail": s.detail,
                "commands": s.commands,
                "fix": fix,
            })
        })
        .collect();
    let value = serde_json::json!({ "version": 1, "change": plan.change, "steps": steps, "next": plan.steps.iter().position(|s| !s.done).map(|i| i + 1) });
    format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default())
}

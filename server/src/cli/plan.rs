//! `convex-migrate plan [CHANGE FIELD]`: the migration path of one change, or of every change
//! between the base and the working tree, marked against this project; `--apply` takes its next
//! step when that step is an edit.

use std::path::{Path, PathBuf};

use crate::analysis::{Baseline, Side, Workspace};
use crate::cli::{EXIT_ERROR, EXIT_OK};
use crate::fixes::plan::{plan, plan_all, render, Change, Plan};
use crate::names::FieldRef;
use crate::sources;

/// `--apply` found nothing it can do: the next step is manual, blocked, or every step is done.
pub const EXIT_NOTHING_TO_APPLY: i32 = 3;

/// The formats `plan` writes.
#[derive(Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum PlanFormat {
    Human,
    Json,
}

pub struct Args {
    /// `require`, `remove`, `narrow`, `rename`, `retype`, `split`; `None`: every change.
    pub verb: Option<String>,
    pub target: Option<String>,
    pub default: Option<String>,
    /// `rename --to NAME`, `retype --to 'v.number()'`.
    pub to: Option<String>,
    /// `retype --as NAME`: the new field (default: `<field>V2`).
    pub as_field: Option<String>,
    /// `split --into TABLE` or `split --into a,b`.
    pub into: Option<String>,
    /// `narrow --map old=new` (repeated, or comma-separated).
    pub map: Vec<String>,
    /// `split --into a,b --with 'a=EXPR'` (repeated).
    pub with: Vec<String>,
    pub project: PathBuf,
    pub base: crate::cli::BaseArgs,
    pub format: PlanFormat,
    pub apply: bool,
    pub data: crate::cli::DataArgs,
}

pub fn run(args: Args) -> i32 {
    match run_plan(&args, &mut std::io::stdout().lock()) {
        Ok(code) => code,
        Err(message) => error(args.format == PlanFormat::Json, &message),
    }
}

/// The plan (or, with `apply`, what was applied) as the JSON of `--format json`, with the exit
/// code the command line would give (0, or [`EXIT_NOTHING_TO_APPLY`]): for the MCP server, from
/// the same path as the command line.
pub fn json(mut args: Args) -> Result<(serde_json::Value, i32), String> {
    args.format = PlanFormat::Json;
    let mut out = Vec::new();
    let code = run_plan(&args, &mut out)?;
    let value = serde_json::from_slice(&out).map_err(|e| format!("the JSON plan did not parse: {e}"))?;
    Ok((value, code))
}

/// An error, as JSON on stdout under `--format json` (and on stderr for people), exit 2.
pub fn error(json: bool, message: &str) -> i32 {
    if json {
        let value = serde_json::json!({ "version": 2, "error": { "message": message, "exitCode": EXIT_ERROR } });
        println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    }
    eprintln!("error: {message}");
    EXIT_ERROR
}

/// `a=b` pairs from repeated or comma-separated flags.
fn pairs(values: &[String], flag: &str, split_commas: bool) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for value in values {
        let parts: Vec<&str> = if split_commas { value.split(',').collect() } else { vec![value.as_str()] };
        for part in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("{flag} takes NAME=VALUE, not `{part}`"))?;
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok(out)
}

fn parse_change(args: &Args, verb: &str, target: &str) -> Result<Change, String> {
    let FieldRef { table, field } = FieldRef::parse(target)?;
    let unused = |flag: &str, given: bool| if given { Err(format!("{flag} does not apply to `plan {verb}`")) } else { Ok(()) };
    if verb != "narrow" {
        unused("--map", !args.map.is_empty())?;
    }
    if verb != "split" {
        unused("--with", !args.with.is_empty())?;
        unused("--into", args.into.is_some())?;
    }
    if verb != "require" {
        unused("--default", args.default.is_some())?;
    }
    match verb {
        "require" => Ok(Change::Require { table, field, value: args.default.clone() }),
        "remove" => Ok(Change::Remove { table, field }),
        "narrow" => Ok(Change::Narrow { table, field, map: pairs(&args.map, "--map", true)? }),
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
            let into = args.into.clone().ok_or("split needs --into NEW_TABLE, or --into a,b --with 'a=EXPR' for new fields")?;
            if into.contains(',') || !args.with.is_empty() {
                let into: Vec<String> = into.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                Ok(Change::SplitFields { table, field, into, with: pairs(&args.with, "--with", false)? })
            } else {
                Ok(Change::Split { table, field, into })
            }
        }
        other => Err(format!("unknown change `{other}`: use require, remove, narrow, rename, retype or split (or no change: every one)")),
    }
}

fn run_plan(args: &Args, out: &mut dyn std::io::Write) -> Result<i32, String> {
    let change = match (&args.verb, &args.target) {
        (Some(verb), Some(target)) => Some(parse_change(args, verb, target)?),
        (Some(verb), None) => return Err(format!("`plan {verb}` needs a field, as TABLE.FIELD")),
        _ => None,
    };
    let mut ws = sources::load(&args.project, &args.base.choice()).map_err(|e| e.to_string())?.for_deployment(&args.base.deployment);
    if let Some(snapshot) = &args.data.snapshot {
        crate::cli::data::attach_for(&mut ws, snapshot, args.data.samples, change.as_ref())?;
    }
    if let Baseline::Off { reason } = &ws.base {
        return Err(format!("{reason}; a plan needs to know what is deployed (commit it, or give --base-dir)"));
    }
    let root = sources::project_root(&args.project).map_err(|e| e.to_string())?;
    let plan = match &change {
        Some(change) => plan(&ws, change)?,
        None => plan_all(&ws)?,
    };
    let json = args.format == PlanFormat::Json;
    if args.apply {
        return apply_next(&ws, &root, &plan, json, out);
    }
    let text =
        if json { render::json(&ws, &plan, crate::cli::render::comparison_json(&ws)) } else { render::human(&plan, &base_note(&ws)) };
    let _ = out.write_all(text.as_bytes());
    Ok(EXIT_OK)
}

fn base_note(ws: &Workspace) -> String {
    use crate::analysis::BaseSource;
    match &ws.base {
        Baseline::Read { source: BaseSource::Commit { described_as, id }, .. } => {
            format!("base: {described_as} ({})", &id[..id.len().min(12)])
        }
        Baseline::Read { source: BaseSource::Folder { path }, .. } => format!("base: {path}"),
        Baseline::Read { source: BaseSource::Given, .. } => "base: given".to_string(),
        Baseline::Off { .. } => "no base".to_string(),
    }
}

/// Applies the next step's edit: exit 0 when it did, 3 (with the reason) when the next step is
/// not one it can take (manual, blocked, no edit) or every step is done.
fn apply_next(ws: &Workspace, root: &Path, plan: &Plan, json: bool, out: &mut dyn std::io::Write) -> Result<i32, String> {
    let Some((number, step)) = plan.steps.iter().enumerate().find(|(_, s)| !s.done) else {
        let reason = if plan.steps.is_empty() {
            format!("nothing to plan for {}", plan.change)
        } else {
            format!("every step to {} is done", plan.change)
        };
        return Ok(nothing(json, out, None, &reason));
    };
    let Some(fix) = step.fix.as_ref().filter(|_| step.blocked.is_none()) else {
        let reason = match (&step.blocked, &step.manual) {
            (Some(why), _) => format!("step {}. {} is blocked: {why}", number + 1, step.title),
            (None, Some(why)) => format!("step {}. {} is done by hand: {why}", number + 1, step.title),
            (None, None) => format!("step {}. {} has no edit the plan can make", number + 1, step.title),
        };
        if !json {
            let _ = writeln!(out, "{reason}");
            for line in &step.missing {
                let _ = writeln!(out, "  ✗ {line}");
            }
            for command in &step.commands {
                let _ = writeln!(out, "  $ {}", command.line());
            }
        }
        return Ok(nothing(json, out, Some(step), &reason));
    };
    let changed = sources::apply::apply_fix(root, fix, &|p| ws.text(Side::Working, p).map(str::to_string))?;
    if json {
        let value = serde_json::json!({ "version": 2, "applied": { "id": step.id, "number": number + 1, "title": step.title, "edit": fix.title, "changed": changed } });
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    } else {
        let _ = writeln!(out, "Applied step {}. {} ({})", number + 1, step.title, fix.title);
        for path in changed {
            let _ = writeln!(out, "  changed {path}");
        }
    }
    Ok(EXIT_OK)
}

fn nothing(json: bool, out: &mut dyn std::io::Write, step: Option<&crate::fixes::plan::Step>, reason: &str) -> i32 {
    if json {
        let value = serde_json::json!({ "version": 2, "applied": null, "reason": reason, "next": step.map(|s| s.id.clone()) });
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    } else if step.is_none() {
        let _ = writeln!(out, "{reason}");
    }
    EXIT_NOTHING_TO_APPLY
}

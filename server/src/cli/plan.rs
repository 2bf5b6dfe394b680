//! `convex-migrate plan CHANGE`: the migration checklist for one change, marked against this
//! project, and `--apply` for its next step.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::analysis::{BaseSource, Baseline, Side, Workspace};
use crate::cli::{Format, EXIT_ERROR, EXIT_OK};
use crate::fixes::plan::{plan, render, Change, Plan};
use crate::names::FieldRef;
use crate::sources;

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
    pub data: crate::cli::DataArgs,
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
    let FieldRef { table, field } = FieldRef::parse(&args.target)?;
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
    let mut ws = sources::load(&args.project, &args.base.choice()).map_err(|e| e.to_string())?;
    if let Some(snapshot) = &args.data.snapshot {
        crate::cli::data::attach_for(&mut ws, snapshot, args.data.samples, &change)?;
    }
    let base_note = match &ws.base {
        Baseline::Read { source: BaseSource::Commit { described_as, .. }, .. } => format!("base: {described_as}"),
        Baseline::Read { source: BaseSource::Folder { path }, .. } => format!("base: {path}"),
        Baseline::Read { source: BaseSource::Given, .. } => "base: given".to_string(),
        Baseline::Off { reason } => {
            return Err(format!("{reason}; a plan needs to know what is deployed (commit it, or give --base-dir)"));
        }
    };
    let root = sources::project_root(&args.project).map_err(|e| e.to_string())?;
    let package_json = sources::disk::read_optional(&root, "package.json").ok().flatten();
    let plan = plan(&ws, package_json.as_deref(), &change)?;
    let mut out = std::io::stdout().lock();
    if args.apply {
        return apply_next(&ws, &root, &plan, &mut out);
    }
    let text = match args.format {
        Format::Json => render::json(&ws, &plan),
        _ => render::human(&plan, &base_note),
    };
    let _ = out.write_all(text.as_bytes());
    Ok(EXIT_OK)
}

fn apply_next(ws: &Workspace, root: &Path, plan: &Plan, out: &mut impl std::io::Write) -> Result<i32, String> {
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
    let changed = sources::disk::apply_fix(root, fix, &|p| ws.text(Side::Working, p).map(str::to_string))?;
    let _ = writeln!(out, "Applied step {}. {} ({})", number + 1, step.title, fix.title);
    for path in changed {
        let _ = writeln!(out, "  changed {path}");
    }
    Ok(EXIT_OK)
}

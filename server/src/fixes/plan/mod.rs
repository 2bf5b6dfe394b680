//! `convex-migrate plan`: the widen → migrate → narrow path of a change, step by step, each step
//! marked done only on evidence (what the working tree holds, what is deployed at the base, what
//! the ledger records for the deployment, which tests call the migration), with the edit that does
//! it (the same builders as the code actions) and the exact commands, as the project runs them.
//!
//! One file per shape of change: [`require`] (a field becomes required), [`remove`] (a field goes),
//! [`narrow`] (a union loses members, the values mapped), [`moves`] (rename, retype through a new
//! field), [`split`] (into a table of its own, or into several fields). [`whole`] plans every
//! transition between the base and the working tree as one plan, in the order the migrations must
//! run; a per-field plan is the same steps for one field. [`steps`] holds the steps every shape
//! shares (deploy, run, verify, test, cleanup); [`render`] prints a plan for people and for tools.
//! Applying a step is the shell's (it writes files).

mod moves;
mod narrow;
mod remove;
pub mod render;
mod require;
mod split;
mod steps;
mod whole;

use serde::Serialize;

use crate::analysis::command::{shell_line, RunCommand};
use crate::analysis::Workspace;
use crate::fixes::{FileEdit, Fix, FixKind};
use crate::line_index::ColumnUnit;
use crate::project::{Loc, Project};

pub use whole::plan_all;

/// The backfills of other fields that read `table.field` and are not verified on the workspace's
/// deployment: `(function, the field it fills)`. Unsetting `field` before they ran loses data.
pub fn unverified_readers(ws: &Workspace, table: &str, field: &str) -> Vec<(String, String)> {
    remove::readers(ws, table, field).into_iter().filter(|(_, _, verified)| !verified).map(|(f, of, _)| (f.reference.clone(), of)).collect()
}

/// `verify` of a field being unset is refused while backfills that read it are not verified on
/// the workspace's deployment: recording it unset first would hide the values they still need.
pub fn refuse_unset_before_readers(ws: &Workspace, table: &str, field: &str) -> Result<(), String> {
    let pending = unverified_readers(ws, table, field);
    if pending.is_empty() {
        return Ok(());
    }
    let one = pending.len() == 1;
    Err(format!(
        "{} read `{field}` and {} not verified on {}: verify {} first (`convex-migrate verify {}`); recording `{table}.{field}` unset before would hide the values they still need",
        pending.iter().map(|(f, _)| format!("`{f}`")).collect::<Vec<_>>().join(", "),
        if one { "is" } else { "are" },
        ws.deployment,
        if one { "it" } else { "them" },
        pending.iter().map(|(_, of)| of.as_str()).collect::<Vec<_>>().join(" / "),
    ))
}

/// The change to plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Make `table.field` required (`value`: what the backfill and the inserts write, a TypeScript
    /// expression of `doc`; from `--default`).
    Require { table: String, field: String, value: Option<String> },
    /// Remove `table.field`.
    Remove { table: String, field: String },
    /// Narrow the union of `table.field` in place: each removed value is mapped to a kept one.
    Narrow { table: String, field: String, map: Vec<(String, String)> },
    /// Move `table.field` to `table.to` (same validator), through a dual-write.
    Rename { table: String, field: String, to: String },
    /// Move `table.field` to a new field `table.to` with the validator `validator` (code).
    Retype { table: String, field: String, to: String, validator: String },
    /// Move `table.field` into a table of its own, `into` (one row per value).
    Split { table: String, field: String, into: String },
    /// Move `table.field` into new fields of the same table, each derived from the document
    /// (`with`: field → expression of `doc`), through a dual-write; then remove `field`.
    SplitFields { table: String, field: String, into: Vec<String>, with: Vec<(String, String)> },
}

impl Change {
    pub fn describe(&self) -> String {
        match self {
            Change::Require { table, field, .. } => format!("make `{table}.{field}` required"),
            Change::Remove { table, field } => format!("remove `{table}.{field}`"),
            Change::Narrow { table, field, map } => {
                let map = map.iter().map(|(from, to)| format!("{from} → {to}")).collect::<Vec<_>>().join(", ");
                format!("narrow `{table}.{field}` ({map})")
            }
            Change::Rename { table, field, to } => format!("rename `{table}.{field}` to `{to}`"),
            Change::Retype { table, field, to, validator } => {
                format!("retype `{table}.{field}` as `{validator}` (in the new field `{to}`)")
            }
            Change::Split { table, field, into } => format!("split `{table}.{field}` into the table `{into}`"),
            Change::SplitFields { table, field, into, .. } => {
                format!("split `{table}.{field}` into {}", into.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "))
            }
        }
    }

    /// The table and the field the change starts from.
    pub fn subject(&self) -> (&str, &str) {
        match self {
            Change::Require { table, field, .. }
            | Change::Remove { table, field }
            | Change::Narrow { table, field, .. }
            | Change::Rename { table, field, .. }
            | Change::Retype { table, field, .. }
            | Change::Split { table, field, .. }
            | Change::SplitFields { table, field, .. } => (table, field),
        }
    }
}

/// What a step is, for tools that follow a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// A change to the code (`plan --apply` does it when it has an edit).
    Edit,
    /// `npx convex deploy`: yours to run; seen once the base holds it.
    Deploy,
    /// `npx convex run` of a migration, on the deployment.
    Run,
    /// `convex-migrate verify`: counts what is left and records it in the ledger.
    Verify,
    /// Migration code removed once it is done.
    Cleanup,
}

/// Where a step sits: before deploy `deploy` (the edits it must contain, and the deploy itself),
/// or after it (running and verifying what it deployed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Phase {
    pub deploy: u32,
    pub after: bool,
}

impl Phase {
    pub const fn before(deploy: u32) -> Phase {
        Phase { deploy, after: false }
    }

    pub const fn after(deploy: u32) -> Phase {
        Phase { deploy, after: true }
    }

    /// The same phase `offset` deploys later.
    pub fn shifted(self, offset: u32) -> Phase {
        Phase { deploy: self.deploy + offset, ..self }
    }

    pub fn title(self, last: u32) -> String {
        match (self.after, self.deploy) {
            (false, 1) => "Deploy 1: widen, write the new shape".to_string(),
            (false, n) if n == last => format!("Deploy {n}: narrow"),
            (false, n) => format!("Deploy {n}"),
            (true, n) if n == last => format!("After deploy {n}: clean up"),
            (true, n) => format!("After deploy {n}: run and verify"),
        }
    }
}

/// A command, as the project runs it: the argv to execute, and for a function run, the function
/// and its JSON arguments apart (what a test harness calls instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Command {
    pub argv: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args: Option<serde_json::Value>,
    /// The deployment it acts on (`prod`, `dev`, a name).
    pub deployment: String,
    /// What it is for, when a step has several (`dry run`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
}

impl Command {
    pub fn new(argv: Vec<String>, deployment: &str) -> Command {
        Command { argv, function: None, args: None, deployment: deployment.to_string(), purpose: None }
    }

    /// `npx convex run …` of `run`, on `deployment`.
    pub fn run(ws: &Workspace, run: RunCommand) -> Command {
        let run = run.on(&ws.deployment).via(ws.tools.runner);
        let args = run.args.as_deref().and_then(|a| serde_json::from_str(a).ok()).or(Some(serde_json::json!({})));
        Command { argv: run.command_line(), function: Some(run.function.clone()), args, deployment: ws.deployment.clone(), purpose: None }
    }

    pub fn purpose(mut self, purpose: &str) -> Command {
        self.purpose = Some(purpose.to_string());
        self
    }

    /// As typed in a shell.
    pub fn line(&self) -> String {
        shell_line(&self.argv)
    }
}

/// A fact a step's state rests on: what it is and whether it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub what: String,
    pub met: bool,
}

/// One step of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Stable across runs and views: `users.role/backfill`, `deploy-1`.
    pub id: String,
    pub kind: StepKind,
    pub phase: Phase,
    /// The field it is about (`users.role`); `None` for a deploy, which every field shares.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub title: String,
    pub done: bool,
    /// Why it is done (or what of it already is): where the code is, what the base holds, what
    /// the ledger records.
    pub evidence: Vec<String>,
    /// What is missing, where.
    pub missing: Vec<String>,
    /// Why it cannot be taken yet (another step must come first), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<String>,
    /// Why `plan --apply` cannot do it (a deploy, a run, a decision in code), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual: Option<String>,
    pub commands: Vec<Command>,
    /// The edit that does this step (`plan --apply`).
    #[serde(skip)]
    pub fix: Option<Fix>,
    /// For a deploy: what the base must hold (merged when plans share the deploy).
    #[serde(skip)]
    pub needs: Vec<Need>,
    /// Order among the steps of one phase (restores first, deploys last).
    #[serde(skip)]
    pub rank: u8,
}

/// Ranks within a phase.
pub(crate) const RANK_RESTORE: u8 = 0;
pub(crate) const RANK_EDIT: u8 = 1;
pub(crate) const RANK_RUN: u8 = 2;
pub(crate) const RANK_CLEANUP: u8 = 3;
pub(crate) const RANK_DEPLOY: u8 = 4;

impl Step {
    pub fn new(id: impl Into<String>, kind: StepKind, phase: Phase, title: impl Into<String>) -> Step {
        let rank = match kind {
            StepKind::Edit => RANK_EDIT,
            StepKind::Run | StepKind::Verify => RANK_RUN,
            StepKind::Cleanup => RANK_CLEANUP,
            StepKind::Deploy => RANK_DEPLOY,
        };
        let manual = match kind {
            StepKind::Deploy => Some("a deploy is yours to run; the plan sees it once the base (the deployed commit) holds it".to_string()),
            StepKind::Run => Some("a run acts on the deployment's data: yours to start".to_string()),
            StepKind::Verify => Some("verify runs against the deployment: yours to start".to_string()),
            _ => None,
        };
        Step {
            id: id.into(),
            kind,
            phase,
            field: None,
            title: title.into(),
            done: false,
            evidence: Vec::new(),
            missing: Vec::new(),
            blocked: None,
            manual,
            commands: Vec::new(),
            fix: None,
            needs: Vec::new(),
            rank,
        }
    }

    /// The step for `table.field`, its id prefixed with it.
    pub fn of(field: &str, name: &str, kind: StepKind, phase: Phase, title: impl Into<String>) -> Step {
        let mut step = Step::new(format!("{field}/{name}"), kind, phase, title);
        step.field = Some(field.to_string());
        step
    }

    pub fn done_because(mut self, done: bool, evidence: impl IntoIterator<Item = String>) -> Step {
        self.done = done;
        self.evidence.extend(evidence);
        self
    }

    /// Sets the edit; a step with an edit is not manual.
    pub fn with_fix(&mut self, fix: Option<Fix>) {
        if fix.is_some() {
            self.manual = None;
        }
        self.fix = fix;
    }

    /// Whether `plan --apply` can take it now.
    pub fn applicable(&self) -> bool {
        !self.done && self.blocked.is_none() && self.fix.is_some()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub change: String,
    /// The deployment the plan is for (its verifications, its commands).
    pub deployment: String,
    pub steps: Vec<Step>,
    /// What the plan noticed beyond its steps (nothing to plan, a field it cannot follow).
    pub notes: Vec<String>,
}

impl Plan {
    /// The first step not done yet.
    pub fn next(&self) -> Option<&Step> {
        self.steps.iter().find(|s| !s.done)
    }

    /// The number of the last deploy.
    pub fn last_deploy(&self) -> u32 {
        self.steps.iter().map(|s| s.phase.deploy).max().unwrap_or(1)
    }
}

/// `path:line` of a place in the working tree.
pub(crate) fn at(project: &Project, loc: Loc) -> String {
    let file = project.file(loc.file);
    let line = file.model.line_index.line_col(&file.text, loc.range.start, ColumnUnit::Utf8).line + 1;
    format!("{}:{line}", file.path)
}

/// Plans `change` on the working tree against its base, for the workspace's deployment.
pub fn plan(ws: &Workspace, change: &Change) -> Result<Plan, String> {
    if ws.working.schema.is_none() {
        return Err("no schema in this project (convex/schema.ts): nothing to plan".into());
    }
    let (table, field) = change.subject();
    let known = |p: &Project| p.schema.as_ref().and_then(|s| s.table(table)).is_some();
    if !known(&ws.working) && !ws.base().is_some_and(|b| known(b)) {
        return Err(format!("unknown table `{table}`: it is in neither the schema nor what is deployed"));
    }
    let mut notes = Vec::new();
    let steps = match change {
        Change::Require { value, .. } => require::steps(ws, table, field, value.as_deref(), 0, &mut notes)?,
        Change::Remove { .. } => remove::steps(ws, table, field, 0, &mut notes)?,
        Change::Narrow { map, .. } => narrow::steps(ws, table, field, map, &mut notes)?,
        Change::Rename { to, .. } => moves::move_steps(ws, table, field, to, None)?,
        Change::Retype { to, validator, .. } => moves::move_steps(ws, table, field, to, Some(validator))?,
        Change::Split { into, .. } => split::split_steps(ws, table, field, into)?,
        Change::SplitFields { into, with, .. } => split::split_fields(ws, table, field, into, with, &mut notes)?,
    };
    notes.extend(component_not_installed(ws));
    Ok(Plan { change: change.describe(), deployment: ws.deployment.clone(), steps: whole::order(steps), notes })
}

/// Several fixes as one (their edits, file by file, each edit once).
pub fn merge(fixes: Vec<Fix>, title: &str) -> Option<Fix> {
    if fixes.is_empty() {
        return None;
    }
    let mut edits: Vec<FileEdit> = Vec::new();
    for fix in fixes {
        for file in fix.edits {
            match edits.iter_mut().find(|e| e.path == file.path) {
                Some(e) if !e.delete && !file.delete => {
                    for edit in file.edits {
                        if !e.edits.contains(&edit) {
                            e.edits.push(edit);
                        }
                    }
                }
                Some(_) => {}
                None => edits.push(file),
            }
        }
    }
    Some(Fix { title: title.to_string(), kind: FixKind::Refactor, preferred: false, edits })
}

/// A project that depends on `@convex-dev/migrations` without installing it in
/// `convex.config.ts` gets hand-written migrations: said, with what would change that.
pub(crate) fn component_not_installed(ws: &Workspace) -> Option<String> {
    let depends = ws.tools.dependencies.as_ref().is_some_and(|d| d.contains("@convex-dev/migrations"));
    let component = &ws.working.migrations;
    (depends && component.installed.is_none() && component.instance.is_none()).then(|| {
        format!(
            "package.json depends on @convex-dev/migrations, but {}/convex.config.ts does not install it (`app.use(migrations)` of \"@convex-dev/migrations/convex.config\"): the generated migrations are paginated mutations; install the component (and run `npx convex dev` once) for `migrations.define`",
            ws.working.layout.functions_dir
        )
    })
}

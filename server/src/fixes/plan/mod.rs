//! `convex-migrate plan`: the widen → migrate → narrow checklist for one change, each step marked
//! done or to do on this project by the same analysis the editor uses, with the code for each
//! step from the same fix builders as the code actions, and the exact commands.
//!
//! One file per shape of change ([`require`], [`remove`], [`moves`] for rename and retype,
//! [`split`]); [`render`] prints a plan for people and for tools. Applying a step is the shell's
//! (it writes files).

mod moves;
mod remove;
pub mod render;
mod require;
mod split;

use serde::Serialize;

use crate::analysis::backfill::Goal;
use crate::analysis::command::RunCommand;
use crate::analysis::{Revision, Workspace};
use crate::fixes::{remove_finished_migration, FileEdit, Fix, FixKind, TextEdit};
use crate::line_index::{ColumnUnit, TextRange};
use crate::project::{Loc, Project};

/// The change to plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Make `table.field` required (`--default` gives the backfill's value).
    Require { table: String, field: String, default: Option<String> },
    /// Remove `table.field`.
    Remove { table: String, field: String },
    /// Move `table.field` to `table.to` (same validator), through a dual-write.
    Rename { table: String, field: String, to: String },
    /// Move `table.field` to a new field `table.to` with the validator `validator` (code).
    Retype { table: String, field: String, to: String, validator: String },
    /// Move `table.field` into a table of its own, `into` (one row per value).
    Split { table: String, field: String, into: String },
}

impl Change {
    pub fn describe(&self) -> String {
        match self {
            Change::Require { table, field, .. } => format!("make `{table}.{field}` required"),
            Change::Remove { table, field } => format!("remove `{table}.{field}`"),
            Change::Rename { table, field, to } => format!("rename `{table}.{field}` to `{to}`"),
            Change::Retype { table, field, to, validator } => {
                format!("retype `{table}.{field}` as `{validator}` (in the new field `{to}`)")
            }
            Change::Split { table, field, into } => format!("split `{table}.{field}` into the table `{into}`"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    #[serde(rename = "deploy-1")]
    Deploy1,
    BetweenDeploys,
    #[serde(rename = "deploy-2")]
    Deploy2,
    Cleanup,
}

impl Phase {
    pub fn title(self) -> &'static str {
        match self {
            Phase::Deploy1 => "Deploy 1: widen, write the new shape",
            Phase::BetweenDeploys => "Between deploys: run and verify",
            Phase::Deploy2 => "Deploy 2: narrow",
            Phase::Cleanup => "Cleanup",
        }
    }
}

/// One step of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub phase: Phase,
    pub title: String,
    pub done: bool,
    /// What is missing, where.
    pub detail: Vec<String>,
    /// Commands to run by hand (deploys, runs).
    pub commands: Vec<String>,
    /// The edit that does this step (`plan --apply`).
    #[serde(skip)]
    pub fix: Option<Fix>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub change: String,
    pub steps: Vec<Step>,
}

impl Plan {
    /// The first step not done yet.
    pub fn next(&self) -> Option<&Step> {
        self.steps.iter().find(|s| !s.done)
    }
}

fn step(phase: Phase, title: impl Into<String>, done: bool) -> Step {
    Step { phase, title: title.into(), done, detail: Vec::new(), commands: Vec::new(), fix: None }
}

fn at(project: &Project, loc: Loc) -> String {
    let file = project.file(loc.file);
    let line = file.model.line_index.line_col(&file.text, loc.range.start, ColumnUnit::Utf8).line + 1;
    format!("{}:{line}", file.path)
}

/// Plans `change` on the working tree against its base. `package_json` is the project's
/// `package.json` (the test step names the dev dependencies it lacks).
pub fn plan(ws: &Workspace, package_json: Option<&str>, change: &Change) -> Result<Plan, String> {
    let working = &ws.working;
    let base = ws.base();
    let schema = working.schema.as_ref().ok_or("no schema in this project")?;
    let (table, field) = match change {
        Change::Require { table, field, .. }
        | Change::Remove { table, field }
        | Change::Rename { table, field, .. }
        | Change::Retype { table, field, .. }
        | Change::Split { table, field, .. } => (table, field),
    };
    let t = schema.table(table).ok_or_else(|| format!("unknown table `{table}` in the schema"))?;
    let base_field = base.and_then(|b| b.schema.as_ref()).and_then(|s| s.table(table)).and_then(|bt| bt.field(field));
    let steps = match change {
        Change::Require { default, .. } => {
            let f = t.field(field).ok_or_else(|| format!("unknown field `{field}` of `{table}`: add it as `v.optional(...)` first"))?;
            let leftovers = !working.backfills(table, field, Goal::Fill).is_empty() || !working.verifies(table, field).is_empty();
            if !f.validator.is_optional() && base_field.is_some_and(|b| !b.validator.is_optional()) && !leftovers {
                return Err(format!(
                    "`{table}.{field}` is already required, here and in what is deployed, and no migration code is left: nothing to plan"
                ));
            }
            require::require_steps(ws, t, f, default.as_deref(), package_json)
        }
        Change::Remove { .. } => {
            if t.field(field).is_none() && base_field.is_none() {
                return Err(format!("`{table}.{field}` is in neither the schema nor what is deployed: nothing to plan"));
            }
            remove::remove_steps(ws, table, field, package_json)
        }
        Change::Rename { to, .. } | Change::Retype { to, .. } => {
            let validator = match change {
                Change::Retype { validator, .. } => Some(validator.as_str()),
                _ => None,
            };
            if !crate::fixes::codegen::is_identifier(to) || to == field {
                return Err(format!("`{to}` is not a new field name"));
            }
            moves::move_steps(ws, t, field, to, validator)?
        }
        Change::Split { into, .. } => split::split_steps(ws, t, field, into)?,
    };
    Ok(Plan { change: change.describe(), steps })
}

/// What the snapshot (`--snapshot`) says is left for a step "run the backfill": how many
/// documents, and the line that says so.
fn data_left(ws: &Workspace, question: &crate::analysis::data::Question, verb: (&str, &str), field: &str) -> (Option<u64>, Option<String>) {
    use crate::analysis::data::{counted, Data};
    match Data::of(ws, question) {
        Data::Counted { answer, snapshot, .. } => {
            let left = answer.missing.count + answer.rejected.count;
            let line = format!(
                "{snapshot}: {}, {left} left to migrate",
                counted(left, answer.total, &question.table, verb, &format!("`{field}`"))
            );
            (Some(left), Some(line))
        }
        Data::TableMissing { sentence } => (None, Some(sentence)),
        Data::None => (None, None),
    }
}

/// `convex-migrate verify … --snapshot FILE` when a snapshot was given.
fn verify_from_snapshot(ws: &Workspace, target: &str) -> Option<String> {
    ws.data.as_deref().map(|s| format!("convex-migrate verify {target} --snapshot {} --deployment prod", s.path))
}

fn run_commands(reference: &str) -> Vec<String> {
    let run = RunCommand::new(reference);
    vec![run.to_string(), run.prod().to_string()]
}

/// The last step: once the migration is done in what is deployed (`deployed`), its functions go
/// (the edit removes them) and so do their tests (named, for the user to delete).
pub(super) fn cleanup_step(
    working: &Revision,
    base: Option<&Project>,
    title: &str,
    deployed: bool,
    leftovers: &[&crate::project::Function],
) -> Step {
    let mut cleanup = step(Phase::Cleanup, title, deployed && leftovers.is_empty());
    if !cleanup.done && deployed {
        let removals: Vec<Fix> = leftovers.iter().filter_map(|f| remove_finished_migration(working, base, f)).collect();
        cleanup.fix = merge_removals(working, removals);
        cleanup.detail.extend(tests_of(working, leftovers));
    }
    cleanup
}

/// Several removals as one edit per file: each declaration deleted once, and the imports that
/// none of what stays uses removed once (each removal alone computed its own).
fn merge_removals(working: &Project, removals: Vec<Fix>) -> Option<Fix> {
    let merged = merge(removals, "Remove the finished migration code")?;
    let edits = merged
        .edits
        .into_iter()
        .map(|file_edit| {
            let Some(file) = working.file_id(&file_edit.path).map(|id| working.file(id)) else { return file_edit };
            let in_import = |r: TextRange| file.model.import_decls.iter().any(|d| d.range.start <= r.start && r.end <= d.range.end + 1);
            let mut deletions: Vec<TextEdit> = file_edit.edits.into_iter().filter(|e| !in_import(e.range)).collect();
            deletions.sort_by_key(|e| (e.range.start, e.range.end));
            deletions.dedup();
            let imports = crate::fixes::edits::unused_imports(file, &deletions);
            deletions.extend(imports);
            FileEdit { edits: deletions, ..file_edit }
        })
        .collect();
    Some(Fix { edits, ..merged })
}

/// The test files that exercise functions about to be removed (they go with them, by hand).
pub(super) fn tests_of(working: &Project, functions: &[&crate::project::Function]) -> Vec<String> {
    working
        .files
        .iter()
        .filter(|f| f.path.contains(".test.") && functions.iter().any(|func| contains_word(&f.text, &func.name)))
        .map(|f| format!("also delete {} (it tests the migration)", f.path))
        .collect()
}

/// Whether `text` holds `word` as a whole identifier (not `backfillUsersRole2` for `backfillUsersRole`).
fn contains_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// *Test the migration on sample data*: a convex-test test of the backfill (seed, run, verify,
/// check the narrowed shape), done once a test file of the functions folder names the backfill.
pub(super) fn test_step(
    working: &Revision,
    t: &crate::project::Table,
    field: &str,
    goal: Goal,
    package_json: Option<&str>,
    history: bool,
) -> Step {
    let backfill = working.backfills(&t.name, field, goal).into_iter().next();
    let tested = backfill.is_some_and(|b| {
        working
            .files
            .iter()
            .filter(|f| f.path.contains(".test.") && working.layout.module_path(&f.path).is_some())
            .any(|f| contains_word(&f.text, &b.name))
    });
    let mut test = step(Phase::Deploy1, "Test the migration on sample data (convex-test)", tested || history);
    if test.done {
        return test;
    }
    let Some(backfill) = backfill else {
        test.detail.push("once the backfill is written".into());
        return test;
    };
    let verify = working.verifies(&t.name, field).into_iter().next();
    test.fix = crate::fixes::testgen::migration_test(working, t, field, goal, backfill, verify);
    if test.fix.is_none() {
        test.detail.push(format!(
            "no test can be generated for `{}` (it takes arguments, or the table is not fully known): write one with convex-test",
            backfill.reference
        ));
    }
    let missing = crate::fixes::testgen::missing_packages(package_json);
    if !missing.is_empty() {
        test.detail.push(format!("install what it needs: npm install --save-dev {}", missing.join(" ")));
    }
    test
}

/// Several fixes as one (their edits, file by file).
pub(super) fn merge(fixes: Vec<Fix>, title: &str) -> Option<Fix> {
    if fixes.is_empty() {
        return None;
    }
    let mut edits: Vec<FileEdit> = Vec::new();
    for fix in fixes {
        for file in fix.edits {
            match edits.iter_mut().find(|e| e.path == file.path) {
                Some(e) => e.edits.extend(file.edits),
                None => edits.push(file),
            }
        }
    }
    Some(Fix { title: title.to_string(), kind: FixKind::Refactor, preferred: false, edits })
}

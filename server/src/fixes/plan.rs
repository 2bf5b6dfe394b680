//! `convex-migrate plan`: the widen → migrate → narrow checklist for one change, each step marked
//! done or to do on this project by the same analysis the editor uses, with the code for each
//! step from the same fix builders as the code actions, and the exact commands.

use serde::Serialize;

use crate::analysis::backfill::Goal;
use crate::analysis::state::{being_removed, field_state, verifies};
use crate::config::Config;
use crate::fixes::{codegen, make_optional, make_required, remove_finished_migration, FileEdit, Fix, FixKind, TextEdit};
use crate::line_index::{ColumnUnit, TextRange};
use crate::model::body::{TableRef, WriteOp, WrittenValue};
use crate::project::{Loc, Project, TableField};

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

/// Plans `change` on the working project against its base. `config_text` is the text of
/// `convex-migrate.json` (for the steps that edit it).
pub fn plan(
    working: &Project,
    base: Option<&Project>,
    config: &Config,
    config_text: Option<&str>,
    package_json: Option<&str>,
    change: &Change,
) -> Result<Plan, String> {
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
            let leftovers = !crate::analysis::backfill::backfills(working, table, field, Goal::Fill).is_empty()
                || !verifies(working, table, field).is_empty();
            if !f.validator.is_optional() && base_field.is_some_and(|b| !b.validator.is_optional()) && !leftovers {
                return Err(format!(
                    "`{table}.{field}` is already required, here and in what is deployed, and no migration code is left: nothing to plan"
                ));
            }
            require_steps(working, base, config, t, f, default.as_deref(), package_json)
        }
        Change::Remove { .. } => {
            if t.field(field).is_none() && base_field.is_none() {
                return Err(format!("`{table}.{field}` is in neither the schema nor what is deployed: nothing to plan"));
            }
            remove_steps(working, base, config, table, field, package_json)
        }
        Change::Rename { to, .. } | Change::Retype { to, .. } => {
            let validator = match change {
                Change::Retype { validator, .. } => Some(validator.as_str()),
                _ => None,
            };
            if !crate::fixes::codegen::is_identifier(to) || to == field {
                return Err(format!("`{to}` is not a new field name"));
            }
            move_steps(working, base, config, config_text, t, field, to, validator)?
        }
        Change::Split { into, .. } => split_steps(working, base, config, config_text, t, field, into)?,
    };
    Ok(Plan { change: change.describe(), steps })
}

fn run_commands(reference: &str) -> Vec<String> {
    vec![codegen::run_command(reference, None), format!("{} --prod", codegen::run_command(reference, None))]
}

fn require_steps(
    working: &Project,
    base: Option<&Project>,
    config: &Config,
    t: &crate::project::Table,
    f: &TableField,
    default: Option<&str>,
    package_json: Option<&str>,
) -> Vec<Step> {
    let (table, field) = (t.name.as_str(), f.name.as_str());
    let state = field_state(working, base, config, table, field);
    let deployed_optional = state.as_ref().and_then(|s| s.base.as_ref()).is_some_and(|b| b.is_optional());
    // Once the narrowing is deployed, every step before it is history.
    let deployed_required = state.as_ref().and_then(|s| s.base.as_ref()).is_some_and(|b| !b.is_optional());
    let working_required = !f.validator.is_optional();
    let verified = config.is_verified(table, field) || deployed_required;
    let backfills = state.as_ref().map(|s| s.backfills.clone()).unwrap_or_default();
    let deployed_backfill = backfills.iter().find(|b| b.deployed);
    let verify = verifies(working, table, field).first().map(|v| v.reference.clone());
    let mut steps = Vec::new();

    let mut widen = step(
        Phase::Deploy1,
        format!("Widen: `{field}` is `v.optional(...)` in the schema"),
        deployed_optional || deployed_required || !working_required,
    );
    if !widen.done {
        widen.fix = make_optional(working, f);
    }
    steps.push(widen);

    let inserts = state.as_ref().map(|s| s.inserts_without.clone()).unwrap_or_default();
    let mut writes = step(Phase::Deploy1, format!("New code writes `{field}` in every insert"), inserts.is_empty() || deployed_required);
    writes.detail = inserts.iter().map(|l| format!("insert without `{field}` at {}", at(working, *l))).collect();
    if !writes.done {
        let adds = working
            .functions
            .iter()
            .flat_map(|func| func.writes.iter())
            .filter(|w| inserts.iter().any(|l| l.file == w.file && l.range == w.item.method_range))
            .filter_map(|w| crate::fixes::add_field_to_insert(working, w, f))
            .collect::<Vec<_>>();
        // Helpers' inserts appear once per caller: one edit per place.
        let mut unique: Vec<Fix> = Vec::new();
        for fix in adds {
            if !unique.iter().any(|u| u.edits == fix.edits) {
                unique.push(fix);
            }
        }
        writes.fix = merge(unique, &format!("Write `{field}` in every insert"));
    }
    steps.push(writes);

    let mut backfill = step(Phase::Deploy1, format!("Add a backfill for `{table}.{field}`"), !backfills.is_empty() || deployed_required);
    if backfill.done || deployed_required {
        backfill.detail = backfills.iter().map(|b| format!("`{}`", b.reference)).collect();
    } else {
        backfill.fix = codegen::backfill_with(working, t, field, f.validator.required(), Goal::Fill, default);
        if backfill.fix.is_none() {
            backfill.detail.push(format!("no default value for `{}`: pass one with --default", f.validator.required()));
        }
    }
    steps.push(backfill);

    let mut verify_step =
        step(Phase::Deploy1, format!("Add a verify function for `{table}.{field}`"), verify.is_some() || deployed_required);
    if let Some(v) = &verify {
        verify_step.detail.push(format!("`{v}`"));
    } else if !verify_step.done {
        verify_step.fix = codegen::verify(working, t, field, Goal::Fill);
    }
    steps.push(verify_step);
    steps.push(test_step(working, t, field, Goal::Fill, package_json, deployed_required));

    let mut deploy = step(Phase::Deploy1, "Deploy the widened schema and the backfill", deployed_backfill.is_some() || deployed_required);
    deploy.commands = vec!["npx convex deploy".into()];
    steps.push(deploy);

    let mut run = step(Phase::BetweenDeploys, "Run the backfill to completion", verified);
    if let Some(b) = backfills.first() {
        run.commands = run_commands(&b.reference);
        if working.functions.iter().any(|f| f.reference == b.reference && f.kind == crate::project::FunctionKind::Migration) {
            run.commands.insert(0, format!("npx convex run {} '{{\"dryRun\": true}}'", b.reference));
        }
    }
    steps.push(run);

    let mut check = step(Phase::BetweenDeploys, format!("Verify that no document lacks `{field}`"), verified);
    check.commands = vec![format!("convex-migrate verify {table}.{field} --prod")];
    steps.push(check);

    let mut narrow = step(Phase::Deploy2, format!("Narrow: make `{field}` required"), working_required);
    if !narrow.done && verified {
        narrow.fix = make_required(working, f);
    } else if !narrow.done {
        narrow.detail.push("only once verified (the ledger records it)".into());
    }
    steps.push(narrow);

    let mut deploy2 = step(Phase::Deploy2, "Deploy the narrowed schema", deployed_required);
    deploy2.commands = vec!["npx convex deploy".into()];
    steps.push(deploy2);

    let leftovers: Vec<&crate::project::Function> = working
        .functions
        .iter()
        .filter(|f| {
            backfills.iter().any(|b| b.reference == f.reference)
                || verifies(working, table, field).iter().any(|v| v.reference == f.reference)
        })
        .map(|f| &**f)
        .collect();
    steps.push(cleanup_step(working, base, "Remove the backfill and verify functions", deployed_required, &leftovers));
    steps
}

fn remove_steps(
    working: &Project,
    base: Option<&Project>,
    config: &Config,
    table: &str,
    field: &str,
    package_json: Option<&str>,
) -> Vec<Step> {
    let schema = working.schema.as_ref();
    let t = schema.and_then(|s| s.table(table));
    let f = t.and_then(|t| t.field(field));
    let base_field = base.and_then(|b| b.schema.as_ref()).and_then(|s| s.table(table)).and_then(|bt| bt.field(field));
    let unsets: Vec<String> =
        crate::analysis::backfill::backfills(working, table, field, Goal::Unset).iter().map(|f| f.reference.clone()).collect();
    let deployed_unset = base.is_some_and(|b| !crate::analysis::backfill::backfills(b, table, field, Goal::Unset).is_empty());
    let verified = config.is_verified(table, field);
    let gone = f.is_none();
    let mut steps = Vec::new();

    let mut mark = step(
        Phase::Deploy1,
        format!("Keep `{field}` as `v.optional(...)`, marked deprecated"),
        gone || f.is_some_and(|f| being_removed(working, f)),
    );
    if let (false, Some(f)) = (mark.done, f) {
        mark.fix = mark_deprecated(working, f);
    }
    steps.push(mark);

    let writers: Vec<Loc> = working
        .functions
        .iter()
        .filter(|func| !unsets.contains(&func.reference) && func.kind != crate::project::FunctionKind::Migration)
        .flat_map(|func| func.writes.iter())
        .filter(|w| w.item.table == TableRef::Name(table.to_string()) && w.item.op != WriteOp::Delete)
        .filter(|w| w.item.object.as_ref().and_then(|o| o.field(field)).is_some_and(|wf| wf.value != WrittenValue::Undefined))
        .map(|w| Loc { file: w.file, range: w.item.method_range })
        .collect();
    let mut stop = step(Phase::Deploy1, format!("App code stops writing `{field}`"), writers.is_empty());
    stop.detail = writers.iter().map(|l| format!("writes `{field}` at {}", at(working, *l))).collect();
    steps.push(stop);

    let mut unset = step(Phase::Deploy1, format!("Add a migration that unsets `{table}.{field}`"), !unsets.is_empty() || gone);
    if let (false, Some(t), Some(f)) = (unset.done, t, f) {
        unset.fix = codegen::backfill(working, t, field, f.validator.required(), Goal::Unset);
    }
    unset.detail = unsets.iter().map(|r| format!("`{r}`")).collect();
    steps.push(unset);

    let verify = verifies(working, table, field).first().map(|v| v.reference.clone());
    let mut verify_step = step(Phase::Deploy1, format!("Add a verify function for `{table}.{field}`"), verify.is_some() || gone);
    if let (false, Some(t)) = (verify_step.done, t) {
        verify_step.fix = codegen::verify(working, t, field, Goal::Unset);
    }
    steps.push(verify_step);
    if let Some(t) = t {
        steps.push(test_step(working, t, field, Goal::Unset, package_json, gone));
    }

    let mut deploy = step(Phase::Deploy1, "Deploy the deprecated field and the migration", deployed_unset || base_field.is_none());
    deploy.commands = vec!["npx convex deploy".into()];
    steps.push(deploy);

    let mut run = step(Phase::BetweenDeploys, "Run the migration to completion", verified || base_field.is_none());
    if let Some(r) = unsets.first() {
        run.commands = run_commands(r);
    }
    steps.push(run);
    let mut check = step(Phase::BetweenDeploys, format!("Verify that no document holds `{field}`"), verified || base_field.is_none());
    check.commands = vec![format!("convex-migrate verify {table}.{field} --prod")];
    steps.push(check);

    let mut drop = step(Phase::Deploy2, format!("Remove `{field}` from the schema"), gone);
    if let (false, Some(f)) = (drop.done, f) {
        if verified {
            drop.fix = remove_field(working, f);
        } else {
            drop.detail.push("only once verified (the ledger records it)".into());
        }
    }
    steps.push(drop);
    let mut deploy2 = step(Phase::Deploy2, "Deploy the schema without it", base_field.is_none());
    deploy2.commands = vec!["npx convex deploy".into()];
    steps.push(deploy2);

    let leftovers: Vec<&crate::project::Function> =
        working.functions.iter().filter(|f| unsets.contains(&f.reference)).map(|f| &**f).collect();
    steps.push(cleanup_step(working, base, "Remove the migration and verify functions", base_field.is_none(), &leftovers));
    steps
}

/// The last step: once the migration is done in what is deployed (`deployed`), its functions go
/// (the edit removes them) and so do their tests (named, for the user to delete).
fn cleanup_step(working: &Project, base: Option<&Project>, title: &str, deployed: bool, leftovers: &[&crate::project::Function]) -> Step {
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
            let imports = crate::fixes::unused_imports(file, &deletions);
            deletions.extend(imports);
            FileEdit { edits: deletions, ..file_edit }
        })
        .collect();
    Some(Fix { edits, ..merged })
}

/// The test files that exercise functions about to be removed (they go with them, by hand).
fn tests_of(working: &Project, functions: &[&crate::project::Function]) -> Vec<String> {
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
fn test_step(working: &Project, t: &crate::project::Table, field: &str, goal: Goal, package_json: Option<&str>, history: bool) -> Step {
    let backfill = crate::analysis::backfill::backfills(working, &t.name, field, goal).into_iter().next();
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
    let verify = verifies(working, &t.name, field).into_iter().next();
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
fn merge(fixes: Vec<Fix>, title: &str) -> Option<Fix> {
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

/// Marks a field deprecated (the comment the editor also recognises), making it optional first.
pub fn mark_deprecated(project: &Project, field: &TableField) -> Option<Fix> {
    let file = project.file(field.loc.file);
    let (text, index) = (&*file.text, &file.model.line_index);
    let line = index.line_col(text, field.loc.range.start, ColumnUnit::Utf8).line;
    let line_range = index.line_range(text, line);
    let before = &text[line_range.start as usize..field.loc.range.start as usize];
    if !before.trim().is_empty() {
        return None; // Several fields on one line: mark it by hand.
    }
    let mut edits = vec![TextEdit {
        range: TextRange::empty(line_range.start),
        new_text: format!("{before}// Deprecated: kept optional until a migration unsets it everywhere, then removed.\n"),
    }];
    if let Some(optional) = make_optional(project, field) {
        edits.extend(optional.edits.into_iter().flat_map(|e| e.edits));
    }
    Some(Fix {
        title: format!("Mark `{}` deprecated (optional until it is unset everywhere)", field.name),
        kind: FixKind::Refactor,
        preferred: false,
        edits: vec![FileEdit { path: file.path.clone(), create: false, edits }],
    })
}

/// Deletes a field's line from the schema (with the comment lines right above it).
pub fn remove_field(project: &Project, field: &TableField) -> Option<Fix> {
    let file = project.file(field.loc.file);
    let (text, index) = (&*file.text, &file.model.line_index);
    let first = index.line_col(text, field.loc.range.start, ColumnUnit::Utf8).line;
    let last = index.line_col(text, field.value.range.end, ColumnUnit::Utf8).line;
    let line_range = index.line_range(text, first);
    let rest_of_last = &text[field.value.range.end as usize..index.line_range(text, last).end as usize];
    if !text[line_range.start as usize..field.loc.range.start as usize].trim().is_empty()
        || rest_of_last.trim() != "," && !rest_of_last.trim().is_empty()
    {
        return None; // Not alone on its lines: remove it by hand.
    }
    let mut start_line = first;
    while start_line > 0 && text[index.line_range(text, start_line - 1).as_usize_range()].trim_start().starts_with("//") {
        start_line -= 1;
    }
    let start = index.line_range(text, start_line).start;
    let end = (index.line_range(text, last).end + 1).min(text.len() as u32);
    Some(Fix {
        title: format!("Remove `{}` from the schema", field.name),
        kind: FixKind::Refactor,
        preferred: false,
        edits: vec![FileEdit {
            path: file.path.clone(),
            create: false,
            edits: vec![TextEdit { range: TextRange::new(start, end), new_text: String::new() }],
        }],
    })
}

/// The expression that converts `doc.<from>` (validated by `old`) into a value of `new`, where a
/// conversion is obvious; `None` otherwise.
fn conversion(value: &str, old: &crate::model::validator::Validator, new: &crate::model::validator::Validator) -> Option<String> {
    use crate::model::validator::Validator as V;
    let value = value.to_string();
    if crate::analysis::compat::narrowing(old.required(), new.required()).is_none() {
        return Some(value);
    }
    match (old.required(), new.required()) {
        (V::String, V::Number) => Some(format!("Number({value})")),
        (V::Number | V::Boolean | V::Int64, V::String) => Some(format!("String({value})")),
        (V::Int64, V::Number) => Some(format!("Number({value})")),
        (V::Number, V::Int64) => Some(format!("BigInt(Math.trunc({value}))")),
        _ => None,
    }
}

/// Rename and retype: a new field, a declared dual-write, a backfill from the old field, reads
/// switched, the new field made required, the old one removed.
#[allow(clippy::too_many_arguments)]
fn move_steps(
    working: &Project,
    base: Option<&Project>,
    config: &Config,
    config_text: Option<&str>,
    t: &crate::project::Table,
    field: &str,
    to: &str,
    new_validator: Option<&str>,
) -> Result<Vec<Step>, String> {
    use crate::analysis::dual_write::{readers, Pair, Side, Source};
    let table = t.name.as_str();
    let old = t.field(field);
    let new = t.field(to);
    let base_table = base.and_then(|b| b.schema.as_ref()).and_then(|s| s.table(table));
    let old_gone_everywhere = old.is_none() && base_table.is_some_and(|bt| bt.field(field).is_none());
    if old.is_none() && new.is_none() {
        return Err(format!("unknown field `{field}` of `{table}`"));
    }
    let pair = Pair {
        from: Side { table: table.to_string(), field: Some(field.to_string()) },
        to: Side { table: table.to_string(), field: Some(to.to_string()) },
        source: Source::Declared,
    };
    let mut steps = Vec::new();

    // 1. The new field, optional.
    let mut add = step(Phase::Deploy1, format!("Add `{to}` as `v.optional(...)`"), new.is_some());
    if let (None, Some(old)) = (new, old) {
        add.fix = add_field_after(working, old, to, new_validator);
        if add.fix.is_none() {
            add.detail.push(format!("add `{to}: v.optional(...)` next to `{field}` in the schema"));
        }
    }
    steps.push(add);

    // 2. The dual-write, declared so it outlives the base moving on.
    let declared = config.dual_writes.iter().any(|d| d.from == pair.from.to_string() && d.to == pair.to.to_string());
    let mut declare = step(
        Phase::Deploy1,
        format!("Declare the dual-write `{}` → `{}` in convex-migrate.json", pair.from, pair.to),
        declared || old_gone_everywhere,
    );
    if !declare.done {
        declare.fix = declare_pair(config_text, &pair.from.to_string(), &pair.to.to_string());
    }
    steps.push(declare);

    // 3. Every write reaches both.
    let one_sided = one_sided_writes(working, &pair);
    let mut both = step(Phase::Deploy1, format!("Every write of `{field}` also writes `{to}`"), one_sided.is_empty());
    both.detail = one_sided.iter().map(|l| format!("writes one side at {}", at(working, *l))).collect();
    if let (false, Some(old), Some(new)) = (both.done, old, new) {
        // Where the old field is written, write the new one next to it (converted).
        let mut fixes: Vec<Fix> = Vec::new();
        for w in working.functions.iter().flat_map(|f| f.writes.iter()) {
            if !one_sided.iter().any(|l| l.file == w.file && l.range == w.item.method_range) {
                continue;
            }
            let Some(object) = &w.item.object else { continue };
            let (Some(present), None) = (object.field(field), object.field(to)) else { continue };
            let file = working.file(w.file);
            let Some(expr) = file.text.get(present.value_range.as_usize_range()) else { continue };
            let Some(value) = conversion(expr, &old.validator, &new.validator) else { continue };
            let edit = TextEdit { range: TextRange::empty(present.value_range.end), new_text: format!(", {to}: {value}") };
            if !fixes.iter().any(|f| f.edits.iter().any(|e| e.path == file.path && e.edits.contains(&edit))) {
                fixes.push(Fix {
                    title: String::new(),
                    kind: FixKind::Refactor,
                    preferred: false,
                    edits: vec![FileEdit { path: file.path.clone(), create: false, edits: vec![edit] }],
                });
            }
        }
        both.fix = merge(fixes, &format!("Write `{to}` wherever `{field}` is written"));
    }
    steps.push(both);

    // 4–5. Backfill the new field from the old one, and verify it.
    let backfills = crate::analysis::backfill::backfills(working, table, to, Goal::Fill);
    let mut backfill =
        step(Phase::Deploy1, format!("Add a backfill that copies `{field}` into `{to}`"), !backfills.is_empty() || old_gone_everywhere);
    if let (false, Some(new), Some(old)) = (backfill.done, new, old) {
        match conversion(&format!("doc.{field}"), &old.validator, &new.validator) {
            Some(value) => backfill.fix = codegen::backfill_with(working, t, to, new.validator.required(), Goal::Fill, Some(&value)),
            None => backfill.detail.push(format!(
                "no obvious conversion from `{}` to `{}`: write it in the backfill",
                old.validator.required(),
                new.validator.required()
            )),
        }
    }
    steps.push(backfill);
    let verify = verifies(working, table, to);
    let mut verify_step =
        step(Phase::Deploy1, format!("Add a verify function for `{table}.{to}`"), !verify.is_empty() || old_gone_everywhere);
    if let (false, Some(_)) = (verify_step.done, new) {
        verify_step.fix = codegen::verify(working, t, to, Goal::Fill);
    }
    steps.push(verify_step);
    let deployed_new = base_table.is_some_and(|bt| bt.field(to).is_some());
    let deployed_backfill = base.is_some_and(|b| !crate::analysis::backfill::backfills(b, table, to, Goal::Fill).is_empty());
    let mut deploy = step(
        Phase::Deploy1,
        "Deploy the new field, the dual-writes and the backfill",
        (deployed_new && deployed_backfill) || old_gone_everywhere,
    );
    deploy.commands = vec!["npx convex deploy".into()];
    steps.push(deploy);

    // Between deploys.
    let verified = config.is_verified(table, to) || old_gone_everywhere;
    let mut run = step(Phase::BetweenDeploys, "Run the backfill to completion", verified);
    if let Some(b) = backfills.first() {
        run.commands = run_commands(&b.reference);
    }
    steps.push(run);
    let mut check = step(Phase::BetweenDeploys, format!("Verify that every document has `{to}`"), verified);
    check.commands = vec![format!("convex-migrate verify {table}.{to} --prod")];
    steps.push(check);

    // Deploy 2: reads switch, the new field is required, the old one retires.
    let old_readers: Vec<&crate::project::Function> = readers(working, &pair.from)
        .into_iter()
        .filter(|f| !backfills.iter().any(|b| b.reference == f.reference) && !verify.iter().any(|v| v.reference == f.reference))
        .collect();
    let mut switch = step(Phase::Deploy2, format!("Reads use `{to}` instead of `{field}`"), old_readers.is_empty());
    switch.detail = old_readers.iter().map(|f| format!("`{}` reads `{field}` ({})", f.reference, at(working, f.loc))).collect();
    steps.push(switch);
    let new_required = new.is_some_and(|n| !n.validator.is_optional());
    let mut require = step(Phase::Deploy2, format!("Make `{to}` required"), new_required);
    if let (false, Some(new), true) = (require.done, new, verified) {
        require.fix = make_required(working, new);
    }
    steps.push(require);
    let mut retire = step(Phase::Deploy2, format!("Remove `{field}`: convex-migrate plan remove {table}.{field}"), old_gone_everywhere);
    retire.commands = vec![format!("convex-migrate plan remove {table}.{field}")];
    steps.push(retire);

    // Cleanup.
    let mut cleanup = step(
        Phase::Cleanup,
        "Remove the backfill, the verify and the dual-write declaration",
        old_gone_everywhere && backfills.is_empty() && !declared,
    );
    if !cleanup.done && old_gone_everywhere {
        cleanup.fix = merge(
            backfills.iter().filter_map(|f| remove_finished_migration(working, base, f)).collect(),
            "Remove the finished migration code",
        );
        if declared {
            cleanup.detail.push(format!("remove {{ \"from\": \"{}\", \"to\": \"{}\" }} from `dualWrites`", pair.from, pair.to));
        }
    }
    steps.push(cleanup);
    Ok(steps)
}

/// Adds `to: v.optional(<validator>)` on the line after `field` (the same validator as `field`
/// for a rename; `validator` for a retype).
fn add_field_after(project: &Project, field: &TableField, to: &str, validator: Option<&str>) -> Option<Fix> {
    let file = project.file(field.loc.file);
    let (text, index) = (&*file.text, &file.model.line_index);
    let first = index.line_col(text, field.loc.range.start, ColumnUnit::Utf8).line;
    let last = index.line_col(text, field.value.range.end, ColumnUnit::Utf8).line;
    let line = index.line_range(text, first);
    let indent = &text[line.start as usize..field.loc.range.start as usize];
    if !indent.trim().is_empty() {
        return None;
    }
    let v = file.model.v_name.clone().unwrap_or_else(|| "v".into());
    let source = text.get(field.value.range.as_usize_range())?;
    let inner = match validator {
        Some(code) => code.to_string(),
        None if field.validator.is_optional() => return Some(insert_line(file, index, text, last, format!("{indent}{to}: {source},"), to)),
        None => source.to_string(),
    };
    Some(insert_line(file, index, text, last, format!("{indent}{to}: {v}.optional({inner}),"), to))
}

fn insert_line(
    file: &crate::project::SourceFile,
    index: &crate::line_index::LineIndex,
    text: &str,
    after_line: u32,
    line: String,
    to: &str,
) -> Fix {
    let end = index.line_range(text, after_line).end;
    Fix {
        title: format!("Add `{to}` to the schema"),
        kind: FixKind::Refactor,
        preferred: false,
        edits: vec![FileEdit {
            path: file.path.clone(),
            create: false,
            edits: vec![TextEdit { range: TextRange::empty(end), new_text: format!("\n{line}") }],
        }],
    }
}

/// The writes of functions that write one side of `pair` and not the other.
fn one_sided_writes(working: &Project, pair: &crate::analysis::dual_write::Pair) -> Vec<Loc> {
    crate::analysis::dual_write::sites(working, pair)
        .into_iter()
        .filter(|s| s.writes_from.is_empty() != s.writes_to.is_empty())
        .flat_map(|s| s.writes_from.into_iter().chain(s.writes_to))
        .collect()
}

/// The edit that declares a dual-write pair in convex-migrate.json (created when missing).
fn declare_pair(config_text: Option<&str>, from: &str, to: &str) -> Option<Fix> {
    let text = crate::ledger::add_dual_write(config_text, from, to).ok()?;
    let end = config_text.map(|t| t.len() as u32).unwrap_or(0);
    Some(Fix {
        title: format!("Declare the dual-write `{from}` → `{to}`"),
        kind: FixKind::Refactor,
        preferred: false,
        edits: vec![FileEdit {
            path: crate::config::FILE_NAME.to_string(),
            create: config_text.is_none(),
            edits: vec![TextEdit { range: TextRange::new(0, end), new_text: text }],
        }],
    })
}

/// Split: a new table, a declared dual-write, writes of both sides, a backfill that copies the
/// values into rows, reads switched, then the old field removed.
fn split_steps(
    working: &Project,
    base: Option<&Project>,
    config: &Config,
    config_text: Option<&str>,
    t: &crate::project::Table,
    field: &str,
    into: &str,
) -> Result<Vec<Step>, String> {
    use crate::analysis::dual_write::{readers, Pair, Side, Source};
    let table = t.name.as_str();
    if !codegen::is_identifier(into) {
        return Err(format!("`{into}` is not a table name"));
    }
    let schema = working.schema.as_ref().ok_or("no schema")?;
    let base_schema = base.and_then(|b| b.schema.as_ref());
    let old = t.field(field);
    let old_gone_everywhere = old.is_none() && base_schema.and_then(|s| s.table(table)).is_some_and(|bt| bt.field(field).is_none());
    if old.is_none() && !old_gone_everywhere {
        return Err(format!("unknown field `{field}` of `{table}`"));
    }
    let array = old.is_none_or(|f| matches!(f.validator.required(), crate::model::validator::Validator::Array(_)));
    let split = codegen::Split::new(table, field, into, array);
    let pair = Pair {
        from: Side { table: table.to_string(), field: Some(field.to_string()) },
        to: Side { table: into.to_string(), field: None },
        source: Source::Declared,
    };
    let mut steps = Vec::new();

    let new_table = schema.table(into);
    let mut add = step(
        Phase::Deploy1,
        format!("Add the table `{into}` ({} → `{table}`, {}, index `{}`)", split.parent, split.item, split.index()),
        new_table.is_some(),
    );
    if let (None, Some(old)) = (new_table, old) {
        add.fix = add_table_after(working, t, old, &split);
        if add.fix.is_none() {
            add.detail.push(format!(
                "add `{into}: defineTable({{ {}: v.id(\"{table}\"), {}: … }}).index(\"{}\", [\"{}\"])` to the schema",
                split.parent,
                split.item,
                split.index(),
                split.parent
            ));
        }
    }
    steps.push(add);

    let declared = config.dual_writes.iter().any(|d| d.from == pair.from.to_string() && d.to == pair.to.to_string());
    let mut declare = step(
        Phase::Deploy1,
        format!("Declare the dual-write `{}` → `{into}` in convex-migrate.json", pair.from),
        declared || old_gone_everywhere,
    );
    if !declare.done {
        declare.fix = declare_pair(config_text, &pair.from.to_string(), into);
    }
    steps.push(declare);

    let one_sided = one_sided_writes(working, &pair);
    let mut both = step(
        Phase::Deploy1,
        format!("Every write of `{table}.{field}` also writes `{into}` rows"),
        one_sided.is_empty() || old_gone_everywhere,
    );
    both.detail = one_sided.iter().map(|l| format!("writes one side at {}", at(working, *l))).collect();
    steps.push(both);

    let backfill_name = format!("backfill{}", codegen::pascal(&[into]));
    let has = |name: &str| working.functions.iter().any(|f| f.name == name);
    let mut backfill =
        step(Phase::Deploy1, format!("Add a backfill that copies `{field}` into `{into}`"), has(&backfill_name) || old_gone_everywhere);
    if !backfill.done && new_table.is_some() {
        backfill.fix = codegen::split_backfill(working, &split);
    } else if !backfill.done {
        backfill.detail.push(format!("once the table `{into}` is in the schema"));
    }
    steps.push(backfill);
    let verify_name = format!("verify{}", codegen::pascal(&[into]));
    let mut verify =
        step(Phase::Deploy1, format!("Add a verify function for `{table}.{field}` → `{into}`"), has(&verify_name) || old_gone_everywhere);
    if !verify.done && new_table.is_some() {
        verify.fix = codegen::split_verify(working, &split);
    }
    steps.push(verify);
    let deployed =
        base.is_some_and(|b| b.functions.iter().any(|f| f.name == backfill_name)) && base_schema.is_some_and(|s| s.table(into).is_some());
    let mut deploy = step(Phase::Deploy1, "Deploy the new table, the dual-writes and the backfill", deployed || old_gone_everywhere);
    deploy.commands = vec!["npx convex deploy".into()];
    steps.push(deploy);

    let verified = config.is_verified(table, field) || old_gone_everywhere;
    let mut run = step(Phase::BetweenDeploys, "Run the backfill to completion", verified);
    if let Some(f) = working.functions.iter().find(|f| f.name == backfill_name) {
        run.commands = run_commands(&f.reference);
    }
    steps.push(run);
    let mut check = step(Phase::BetweenDeploys, format!("Verify that every `{table}.{field}` is in `{into}`"), verified);
    check.commands = vec![format!("convex-migrate verify {table}.{field} --prod")];
    steps.push(check);

    let old_readers: Vec<&crate::project::Function> =
        readers(working, &pair.from).into_iter().filter(|f| f.name != backfill_name && !f.name.starts_with(&verify_name)).collect();
    let mut switch = step(Phase::Deploy2, format!("Reads use `{into}` instead of `{table}.{field}`"), old_readers.is_empty());
    switch.detail = old_readers.iter().map(|f| format!("`{}` reads `{field}` ({})", f.reference, at(working, f.loc))).collect();
    steps.push(switch);
    let mut retire = step(Phase::Deploy2, format!("Remove `{field}`: convex-migrate plan remove {table}.{field}"), old_gone_everywhere);
    retire.commands = vec![format!("convex-migrate plan remove {table}.{field}")];
    steps.push(retire);

    let leftovers: Vec<&crate::project::Function> =
        working.functions.iter().filter(|f| f.name == backfill_name || f.name.starts_with(&verify_name)).map(|f| &**f).collect();
    let mut cleanup = step(
        Phase::Cleanup,
        "Remove the backfill, the verify and the dual-write declaration",
        old_gone_everywhere && leftovers.is_empty() && !declared,
    );
    if !cleanup.done && old_gone_everywhere {
        cleanup.fix = merge(leftovers.iter().map(|f| delete_statement(working, f)).collect(), "Remove the finished migration code");
        cleanup.detail.extend(tests_of(working, &leftovers));
        if declared {
            cleanup.detail.push(format!("remove {{ \"from\": \"{}\", \"to\": \"{into}\" }} from `dualWrites`", pair.from));
        }
    }
    steps.push(cleanup);
    Ok(steps)
}

/// Deletes a function's declaration (with its comment block).
fn delete_statement(working: &Project, function: &crate::project::Function) -> Fix {
    let file = working.file(function.file);
    Fix {
        title: format!("Remove `{}`", function.name),
        kind: FixKind::Refactor,
        preferred: false,
        edits: vec![FileEdit {
            path: file.path.clone(),
            create: false,
            edits: vec![crate::fixes::deletion(file, function.statement.range)],
        }],
    }
}

/// Adds the split's table to `defineSchema({...})` right after the old table's entry.
fn add_table_after(project: &Project, t: &crate::project::Table, old: &TableField, split: &codegen::Split<'_>) -> Option<Fix> {
    let file = project.file(t.entry_value.file);
    let (text, index) = (&*file.text, &file.model.line_index);
    let key_line = index.line_col(text, t.loc.range.start, ColumnUnit::Utf8).line;
    let line = index.line_range(text, key_line);
    let indent = &text[line.start as usize..t.loc.range.start as usize];
    if !indent.trim().is_empty() {
        return None;
    }
    let v = file.model.v_name.clone().unwrap_or_else(|| "v".into());
    let element = match old.validator.required() {
        crate::model::validator::Validator::Array(inner) => inner.as_ref().clone(),
        other => other.clone(),
    };
    if element.has_unknown() {
        return None;
    }
    let element = crate::fixes::render_with_v(&element, &v);
    let definition = format!(
        "{indent}{}: defineTable({{ {}: {v}.id(\"{}\"), {}: {element} }}).index(\"{}\", [\"{}\"]),",
        split.into,
        split.parent,
        split.table,
        split.item,
        split.index(),
        split.parent
    );
    let end = t.entry_value.range.end as usize;
    let after = &text[end..];
    let comma = after.trim_start().starts_with(',');
    let (at, new_text) = if comma {
        let comma_at = end + after.find(',')? + 1;
        (comma_at as u32, format!("\n{definition}"))
    } else {
        (end as u32, format!(",\n{}", definition.trim_end_matches(',')))
    };
    Some(Fix {
        title: format!("Add the table `{}` to the schema", split.into),
        kind: FixKind::Refactor,
        preferred: false,
        edits: vec![FileEdit { path: file.path.clone(), create: false, edits: vec![TextEdit { range: TextRange::empty(at), new_text }] }],
    })
}

//! The migration state of one field: base vs working validator, where it stands on the
//! widen → migrate → narrow path, and the functions that migrate and verify it. Shown on hover.

use crate::analysis::backfill::{backfills, Goal};
use crate::config::Config;
use crate::model::body::{TableRef, WriteOp};
use crate::model::validator::Validator;
use crate::project::{Function, FunctionKind, Loc, Project};

/// One step of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub label: &'static str,
    pub done: bool,
    /// Why it is not done, or what is missing (e.g. the inserts that omit the field).
    pub note: Option<String>,
}

/// A function with its `npx convex run` reference and location (in the working tree when it is
/// there, else at the base).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    pub reference: String,
    pub path: String,
    pub loc: Option<Loc>,
    pub deployed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldState {
    pub table: String,
    pub field: String,
    /// `None`: the field (or its table) does not exist at the base; also `None` without a base.
    pub base: Option<Validator>,
    pub has_base: bool,
    pub working: Validator,
    /// Fill (the field becomes required) or unset (it is being removed).
    pub goal: Goal,
    pub phase: &'static str,
    pub steps: Vec<Step>,
    pub backfills: Vec<FunctionRef>,
    pub verifies: Vec<FunctionRef>,
    /// Inserts into the table that do not write the field.
    pub inserts_without: Vec<Loc>,
}

impl FieldState {
    /// Whether the field is on the migration path at all (hover says nothing otherwise): it
    /// changed since the base, or a backfill or verify function exists for it.
    pub fn in_transition(&self) -> bool {
        let changed = self.has_base && self.base.as_ref().map(ToString::to_string) != Some(self.working.to_string());
        changed || self.goal == Goal::Unset || !self.backfills.is_empty() || !self.verifies.is_empty()
    }
}

/// Verify functions for `table.field`: queries that read the table and test whether the field is
/// unset (`doc.f === undefined`, a filter on `q.field("f")` against `undefined`), and the action of
/// the same module that pages through them (`verifyXPage` → `verifyX`).
pub fn verifies<'p>(project: &'p Project, table: &str, field: &str) -> Vec<&'p Function> {
    project
        .verify_index()
        .by_field
        .get(&(table.to_string(), field.to_string()))
        .map(|list| list.iter().map(|&i| &*project.functions[i]).collect())
        .unwrap_or_default()
}

/// `(table, field)` → indexes into [`Project::functions`] of its verify functions; built once per
/// project.
#[derive(Debug, Default)]
pub struct VerifyIndex {
    by_field: std::collections::HashMap<(String, String), Vec<usize>>,
    /// Every function that verifies something.
    pub any: std::collections::HashSet<usize>,
}

impl VerifyIndex {
    pub fn build(functions: &[std::sync::Arc<Function>]) -> VerifyIndex {
        let mut index = VerifyIndex::default();
        for (me, f) in
            functions.iter().enumerate().filter(|(_, f)| f.kind == FunctionKind::Query && f.writes.is_empty() && !f.tests.is_empty())
        {
            // The action that pages through a `verifyXPage` query is the verify to run.
            let action = f
                .name
                .strip_suffix("Page")
                .and_then(|stem| functions.iter().position(|a| a.file == f.file && a.name == stem && a.kind == FunctionKind::Action));
            let chosen = action.unwrap_or(me);
            for (table, field) in &f.tests {
                if !f.reads.iter().any(|r| r.item.table == TableRef::Name(table.clone())) {
                    continue;
                }
                let list = index.by_field.entry((table.clone(), field.clone())).or_default();
                if !list.contains(&chosen) {
                    list.push(chosen);
                }
                index.any.insert(chosen);
                index.any.insert(me);
            }
        }
        index
    }
}

fn refs(working: &Project, base: Option<&Project>, found_working: &[&Function], found_base: &[&Function]) -> Vec<FunctionRef> {
    let mut out: Vec<FunctionRef> = found_working
        .iter()
        .map(|f| FunctionRef {
            reference: f.reference.clone(),
            path: working.path(f.file).to_string(),
            loc: Some(f.loc),
            deployed: found_base.iter().any(|b| b.reference == f.reference),
        })
        .collect();
    for b in found_base {
        if !out.iter().any(|o| o.reference == b.reference) {
            let path = base.map(|p| p.path(b.file).to_string()).unwrap_or_default();
            out.push(FunctionRef { reference: b.reference.clone(), path, loc: None, deployed: true });
        }
    }
    out
}

/// Whether a working-schema field is being removed: kept optional with a comment right above it
/// that says it is deprecated (what *Put back as optional* writes), or `deprecated` from
/// convex-helpers (`v.optional(v.any())`).
pub fn being_removed(project: &Project, field: &crate::project::TableField) -> bool {
    let file = project.file(field.loc.file);
    let (text, index) = (&*file.text, &file.model.line_index);
    let line = index.line_col(text, field.loc.range.start, crate::line_index::ColumnUnit::Utf8).line;
    let above = if line > 0 { &text[index.line_range(text, line - 1).as_usize_range()] } else { "" };
    let marked = above.trim_start().starts_with("//") && above.to_ascii_lowercase().contains("deprecated");
    let helper = text.get(field.value.range.as_usize_range()).is_some_and(|v| v.trim() == "deprecated");
    field.validator.is_optional() && (marked || helper)
}

/// What migrating `table.field` means now: fill it (it becomes required) or unset it (it is
/// being removed).
pub fn goal(project: &Project, table: &str, field: &str) -> Goal {
    let field = project.schema.as_ref().and_then(|s| s.table(table)).and_then(|t| t.field(field));
    match field {
        Some(f) if being_removed(project, f) => Goal::Unset,
        _ => Goal::Fill,
    }
}

/// The state of `table.field` of the working schema.
pub fn field_state(working: &Project, base: Option<&Project>, config: &Config, table: &str, field: &str) -> Option<FieldState> {
    let schema = working.schema.as_ref()?;
    let working_field = schema.table(table)?.field(field)?;
    let goal = goal(working, table, field);
    let base_field = base.and_then(|b| b.schema.as_ref()).and_then(|s| s.table(table)).and_then(|t| t.field(field));
    let working_backfills = backfills(working, table, field, goal);
    let base_backfills = base.map(|b| backfills(b, table, field, goal)).unwrap_or_default();
    let backfill_refs = refs(working, base, &working_backfills, &base_backfills);
    let verify_working = verifies(working, table, field);
    let verify_base = base.map(|b| verifies(b, table, field)).unwrap_or_default();
    let verify_refs = refs(working, base, &verify_working, &verify_base);
    let t = TableRef::Name(table.to_string());
    let inserts = working.functions.iter().flat_map(|f| f.writes.iter()).filter(|w| w.item.op == WriteOp::Insert && w.item.table == t);
    // Filling: inserts that omit the field; unsetting: inserts that still write it.
    let inserts_wrong: Vec<Loc> = inserts
        .filter(|w| match (&w.item.object, goal) {
            (Some(o), Goal::Fill) => !o.open && o.field(field).is_none(),
            (Some(o), Goal::Unset) => o.field(field).is_some(),
            (None, _) => false,
        })
        .map(|w| Loc { file: w.file, range: w.item.method_range })
        .collect();
    let verified = config.is_verified(table, field);
    let base_validator = base_field.map(|f| f.validator.clone());
    let (phase, steps) = match goal {
        Goal::Fill => fill_steps(
            base,
            base_validator.as_ref(),
            &working_field.validator,
            &working_backfills,
            &base_backfills,
            verified,
            &inserts_wrong,
        ),
        Goal::Unset => unset_steps(&working_backfills, &base_backfills, verified, &inserts_wrong),
    };
    Some(FieldState {
        table: table.to_string(),
        field: field.to_string(),
        has_base: base.and_then(|b| b.schema.as_ref()).is_some(),
        base: base_validator,
        working: working_field.validator.clone(),
        goal,
        phase,
        steps,
        backfills: backfill_refs,
        verifies: verify_refs,
        inserts_without: inserts_wrong,
    })
}

fn fill_steps(
    base: Option<&Project>,
    base_validator: Option<&Validator>,
    working: &Validator,
    working_backfills: &[&Function],
    base_backfills: &[&Function],
    verified: bool,
    inserts_without: &[Loc],
) -> (&'static str, Vec<Step>) {
    let base_optional_or_absent = base_validator.is_none_or(Validator::is_optional);
    let working_required = !working.is_optional();
    let steps = vec![
        Step {
            label: "widen: the field is optional (deployed)",
            done: base_validator.is_some_and(Validator::is_optional) || (!working_required && base.is_some()),
            note: None,
        },
        Step {
            label: "new code writes the field",
            done: inserts_without.is_empty(),
            note: (!inserts_without.is_empty()).then(|| format!("{} insert(s) omit it", inserts_without.len())),
        },
        Step { label: "backfill written", done: !working_backfills.is_empty() || !base_backfills.is_empty(), note: None },
        Step { label: "backfill deployed", done: !base_backfills.is_empty(), note: None },
        Step { label: "verified (no document left)", done: verified, note: None },
        Step { label: "narrowed: the field is required", done: working_required, note: None },
        Step { label: "migration code removed", done: !base_optional_or_absent && working_backfills.is_empty(), note: None },
    ];
    let phase = if !base_optional_or_absent && working_required {
        if working_backfills.is_empty() {
            "done"
        } else {
            "cleanup: the field is required everywhere; remove the backfill"
        }
    } else if working_required {
        if base_backfills.is_empty() {
            "narrowing too early: no backfill is deployed"
        } else if verified {
            "narrowing: verified, ready to deploy"
        } else {
            "narrowing: the backfill is deployed but not verified"
        }
    } else if base_backfills.is_empty() && working_backfills.is_empty() {
        "widened: write the field from all code, then add a backfill"
    } else if base_backfills.is_empty() {
        "widened: deploy the backfill"
    } else if verified {
        "migrated: verified; make the field required"
    } else {
        "migrating: run the backfill, then verify"
    };
    (phase, steps)
}

fn unset_steps(
    working_backfills: &[&Function],
    base_backfills: &[&Function],
    verified: bool,
    inserts_writing: &[Loc],
) -> (&'static str, Vec<Step>) {
    let steps = vec![
        Step { label: "kept optional and marked deprecated", done: true, note: None },
        Step {
            label: "new code stops writing the field",
            done: inserts_writing.is_empty(),
            note: (!inserts_writing.is_empty()).then(|| format!("{} insert(s) still write it", inserts_writing.len())),
        },
        Step { label: "unset migration written", done: !working_backfills.is_empty() || !base_backfills.is_empty(), note: None },
        Step { label: "unset migration deployed", done: !base_backfills.is_empty(), note: None },
        Step { label: "verified (no document holds it)", done: verified, note: None },
        Step { label: "removed from the schema", done: false, note: None },
        Step { label: "migration code removed", done: false, note: None },
    ];
    let phase = if base_backfills.is_empty() && working_backfills.is_empty() {
        "removing: stop writing the field, then add a migration that unsets it"
    } else if base_backfills.is_empty() {
        "removing: deploy the unset migration"
    } else if verified {
        "removing: verified; remove the field from the schema"
    } else {
        "removing: run the unset migration, then verify"
    };
    (phase, steps)
}

/// What a migration function does, for code lenses and hover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationRole {
    Backfill { table: String, field: String, goal: Goal },
    Verify { table: String, field: String },
}

/// The backfill and verify functions defined in `file` of the working project.
pub fn migration_functions<'p>(
    working: &'p Project,
    base: Option<&Project>,
    file: crate::project::FileId,
) -> Vec<(&'p Function, MigrationRole)> {
    let Some(schema) = working.schema.as_ref() else { return Vec::new() };
    let mut fields: Vec<(&str, &str)> =
        schema.tables.iter().flat_map(|t| t.fields.iter().map(move |f| (t.name.as_str(), f.name.as_str()))).collect();
    // Fields removed since the base: their unset migrations are backfills too.
    let removed: Vec<(String, String)> = base
        .and_then(|b| b.schema.as_ref())
        .map(|bs| {
            bs.tables
                .iter()
                .flat_map(|t| t.fields.iter().map(move |f| (t.name.clone(), f.name.clone())))
                .filter(|(t, f)| schema.table(t).is_some_and(|wt| wt.field(f).is_none()))
                .collect()
        })
        .unwrap_or_default();
    fields.extend(removed.iter().map(|(t, f)| (t.as_str(), f.as_str())));
    let mut out = Vec::new();
    for function in working.functions.iter().map(|f| &**f).filter(|f| f.file == file) {
        for (table, field) in &fields {
            for goal in [Goal::Fill, Goal::Unset] {
                if crate::analysis::backfill::is_backfill(function, table, field, goal) {
                    out.push((function, MigrationRole::Backfill { table: table.to_string(), field: field.to_string(), goal }));
                }
            }
        }
    }
    for (table, field) in &fields {
        for function in verifies(working, table, field) {
            if function.file == file && !out.iter().any(|(f, r)| std::ptr::eq(*f, function) && matches!(r, MigrationRole::Verify { .. })) {
                out.push((function, MigrationRole::Verify { table: table.to_string(), field: field.to_string() }));
            }
        }
    }
    out
}

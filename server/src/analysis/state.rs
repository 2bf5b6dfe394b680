//! The migration state of one field: base vs working validator, where it stands on the
//! widen → migrate → narrow path (a typed [`Phase`] and checklist), and the functions that migrate
//! and verify it. Computed here once for everything that shows it: hover, code lenses, `plan`,
//! `verify` and the transition rules.

use crate::analysis::backfill::{is_backfill, Goal};
use crate::analysis::{Location, Revision, Workspace};
use crate::model::body::{TableRef, WriteOp};
use crate::model::validator::Validator;
use crate::project::{FileId, Function, Loc, Project, TableField};

/// Where a field stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Required at the base and now; no migration code left.
    Done,
    /// Required at the base and now; the backfill is still in the code.
    Cleanup,
    /// Required now, but no backfill is deployed.
    NarrowingTooEarly,
    /// Required now; the deployed backfill is verified.
    NarrowingVerified,
    /// Required now; the deployed backfill is not verified.
    NarrowingUnverified,
    /// Optional; no backfill yet.
    Widened,
    /// Optional; a backfill only in the working tree.
    BackfillWritten,
    /// Optional; the backfill is deployed and verified.
    MigratedVerified,
    /// Optional; the backfill is deployed, not verified.
    Migrating,
    /// Being removed; no unset migration yet.
    Removing,
    /// Being removed; the unset migration only in the working tree.
    RemovingUnsetWritten,
    /// Being removed; the unset migration is deployed and verified.
    RemovingVerified,
    /// Being removed; the unset migration is deployed, not verified.
    RemovingUnverified,
}

impl Phase {
    /// In words, with the next step.
    pub fn describe(self) -> &'static str {
        match self {
            Phase::Done => "done",
            Phase::Cleanup => "cleanup: the field is required everywhere; remove the backfill",
            Phase::NarrowingTooEarly => "narrowing too early: no backfill is deployed",
            Phase::NarrowingVerified => "narrowing: verified, ready to deploy",
            Phase::NarrowingUnverified => "narrowing: the backfill is deployed but not verified",
            Phase::Widened => "widened: write the field from all code, then add a backfill",
            Phase::BackfillWritten => "widened: deploy the backfill",
            Phase::MigratedVerified => "migrated: verified; make the field required",
            Phase::Migrating => "migrating: run the backfill, then verify",
            Phase::Removing => "removing: stop writing the field, then add a migration that unsets it",
            Phase::RemovingUnsetWritten => "removing: deploy the unset migration",
            Phase::RemovingVerified => "removing: verified; remove the field from the schema",
            Phase::RemovingUnverified => "removing: run the unset migration, then verify",
        }
    }
}

/// One item of the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckKind {
    /// Fill: the field is optional (deployed). Unset: kept optional, marked deprecated.
    Widened,
    /// Fill: every insert writes the field. Unset: no insert writes it.
    NewCode,
    /// A backfill (or unset migration) exists, here or deployed.
    BackfillWritten,
    /// It is deployed.
    BackfillDeployed,
    /// The ledger records the field verified.
    Verified,
    /// Fill: the field is required. Unset: it is gone from the schema.
    Narrowed,
    /// The migration code is removed.
    Cleaned,
}

impl CheckKind {
    pub fn label(self, goal: Goal) -> &'static str {
        match (goal, self) {
            (Goal::Fill, CheckKind::Widened) => "widen: the field is optional (deployed)",
            (Goal::Fill, CheckKind::NewCode) => "new code writes the field",
            (Goal::Fill, CheckKind::BackfillWritten) => "backfill written",
            (Goal::Fill, CheckKind::BackfillDeployed) => "backfill deployed",
            (Goal::Fill, CheckKind::Verified) => "verified (no document left)",
            (Goal::Fill, CheckKind::Narrowed) => "narrowed: the field is required",
            (Goal::Unset, CheckKind::Widened) => "kept optional and marked deprecated",
            (Goal::Unset, CheckKind::NewCode) => "new code stops writing the field",
            (Goal::Unset, CheckKind::BackfillWritten) => "unset migration written",
            (Goal::Unset, CheckKind::BackfillDeployed) => "unset migration deployed",
            (Goal::Unset, CheckKind::Verified) => "verified (no document holds it)",
            (Goal::Unset, CheckKind::Narrowed) => "removed from the schema",
            (_, CheckKind::Cleaned) => "migration code removed",
        }
    }
}

/// One checked item, with what is missing when it is not done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub kind: CheckKind,
    pub done: bool,
    /// What is missing (e.g. the inserts that omit the field).
    pub note: Option<String>,
}

/// A function that migrates or verifies the field: where it is (in the working tree when it is
/// there, else at the base) and whether it is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    /// `migrations:backfillUsersRole`, as `npx convex run` takes it.
    pub reference: String,
    pub location: Location,
    pub deployed: bool,
}

impl FunctionRef {
    /// The command that runs it, with the arguments it requires, as the project runs it.
    pub fn run(&self, ws: &Workspace) -> crate::analysis::command::RunCommand {
        use crate::analysis::command::{run_of, RunCommand};
        let function = ws
            .working
            .functions
            .iter()
            .chain(ws.base().into_iter().flat_map(|b| b.functions.iter()))
            .find(|f| f.reference == self.reference);
        function.and_then(|f| run_of(f).ok()).unwrap_or_else(|| RunCommand::new(&self.reference)).via(ws.tools.runner)
    }
}

/// The migration state of a field of the working schema.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationState {
    pub table: String,
    pub field: String,
    /// The field at the base; `None` when it (or its table) is not there, or without a base.
    pub base: Option<Validator>,
    /// Whether there is a base with a schema to compare with.
    pub has_base: bool,
    /// The field in the working tree; `None` when it is gone from it (being removed).
    pub working: Option<Validator>,
    /// Fill (the field becomes required) or unset (it is being removed).
    pub goal: Goal,
    pub phase: Phase,
    pub checks: Vec<Check>,
    pub backfills: Vec<FunctionRef>,
    pub verifies: Vec<FunctionRef>,
    /// Filling: inserts that omit the field; unsetting: inserts that still write it.
    pub inserts_wrong: Vec<Loc>,
    /// Whether the ledger records the field verified on the workspace's deployment.
    pub verified: bool,
    /// The ledger's entries for the field, one per deployment.
    pub verifications: Vec<crate::config::Verified>,
    /// The test files (of the working tree) that import and call one of its backfills.
    pub tested_by: Vec<TestCall>,
}

/// A test file that calls a migration function: `t.mutation(internal.migrations.backfill, …)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCall {
    pub path: String,
    /// The function it calls, as `npx convex run` names it.
    pub function: String,
}

impl MigrationState {
    /// Whether the field is on the migration path at all (hover says nothing otherwise): it
    /// changed since the base, or it is being removed, or a backfill or verify exists for it.
    pub fn in_transition(&self) -> bool {
        let changed = self.has_base && self.base.as_ref().map(ToString::to_string) != self.working.as_ref().map(ToString::to_string);
        changed || self.goal == Goal::Unset || !self.backfills.is_empty() || !self.verifies.is_empty()
    }

    pub fn check(&self, kind: CheckKind) -> bool {
        self.checks.iter().any(|c| c.kind == kind && c.done)
    }

    /// The state of `table.field` of the working schema (`None`: no such field).
    pub fn of(ws: &Workspace, table: &str, field: &str) -> Option<MigrationState> {
        ws.working.schema.as_ref()?.table(table)?.field(field)?;
        MigrationState::for_goal(ws, table, field, goal(&ws.working, table, field))
    }

    /// The state of `table.field` on the way to `goal`, also when the field is gone from the
    /// working schema (a removal); `None` when neither side has the field and no migration code
    /// for it is left.
    pub fn for_goal(ws: &Workspace, table: &str, field: &str, goal: Goal) -> Option<MigrationState> {
        let working = &ws.working;
        let base = ws.base();
        let config = &ws.config.config;
        let working_field = working.schema.as_ref().and_then(|s| s.table(table)).and_then(|t| t.field(field));
        let base_field = base.and_then(|b| b.schema.as_ref()).and_then(|s| s.table(table)).and_then(|t| t.field(field));
        let working_backfills = working.backfills(table, field, goal);
        let base_backfills = base.map(|b| b.backfills(table, field, goal)).unwrap_or_default();
        let working_verifies = working.verifies(table, field);
        if working_field.is_none() && base_field.is_none() && working_backfills.is_empty() && working_verifies.is_empty() {
            return None;
        }
        let backfills = refs(working, base, &working_backfills, &base_backfills);
        let verifies = refs(working, base, &working_verifies, &base.map(|b| b.verifies(table, field)).unwrap_or_default());
        let t = TableRef::Name(table.to_string());
        let inserts = working.functions.iter().flat_map(|f| f.writes.iter()).filter(|w| w.item.op == WriteOp::Insert && w.item.table == t);
        let inserts_wrong: Vec<Loc> = inserts
            .filter(|w| match (&w.item.object, goal) {
                (Some(o), Goal::Fill) => !o.open && o.field(field).is_none(),
                (Some(o), Goal::Unset) => o.field(field).is_some(),
                (None, _) => false,
            })
            .map(|w| Loc { file: w.file, range: w.item.method_range })
            .collect();
        let verified = ws.is_verified(table, field);
        let base_validator = base_field.map(|f| f.validator.clone());
        let working_validator = working_field.map(|f| f.validator.clone());
        let facts = Facts {
            has_base: base.is_some(),
            base: base_validator.as_ref(),
            working: working_validator.as_ref(),
            written: !working_backfills.is_empty(),
            deployed: !base_backfills.is_empty(),
            verified,
            inserts_wrong: inserts_wrong.len(),
        };
        let (phase, checks) = match goal {
            Goal::Fill => facts.filling(),
            Goal::Unset => facts.unsetting(),
        };
        let tested_by = working_backfills.iter().flat_map(|b| tests_calling(working, b)).collect();
        Some(MigrationState {
            table: table.to_string(),
            field: field.to_string(),
            has_base: base.and_then(|b| b.schema.as_ref()).is_some(),
            base: base_validator,
            working: working_validator,
            goal,
            phase,
            checks,
            backfills,
            verifies,
            inserts_wrong,
            verified,
            verifications: config.verifications(table, field).to_vec(),
            tested_by,
        })
    }
}

/// The test files of `project` that import the generated `api` (or `internal`) and pass
/// `function` to a call: `t.mutation(internal.migrations.backfillUsersRole, {})`. A file that only
/// names the function (in a comment, a string, a title) does not count.
pub fn tests_calling(project: &Project, function: &Function) -> Vec<TestCall> {
    let Some((module, export)) = function.reference.split_once(':') else { return Vec::new() };
    let dotted = format!("{}.{export}", module.replace('/', "."));
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    project
        .files
        .iter()
        .filter(|f| f.path.contains(".test.") || f.path.contains(".spec."))
        .filter(|file| {
            let roots: Vec<&str> = file
                .model
                .imports
                .iter()
                .filter(|(_, i)| {
                    let m = i.module.trim_end_matches(".js");
                    (m.ends_with("_generated/api") || m == "_generated/api")
                        && matches!(&i.name, crate::model::ImportName::Named(n) if n == "api" || n == "internal")
                })
                .map(|(local, _)| local.as_str())
                .collect();
            roots.iter().any(|root| {
                let path = format!("{root}.{dotted}");
                file.text.match_indices(&path).any(|(i, _)| {
                    let before = file.text[..i].trim_end();
                    let after = file.text[i + path.len()..].chars().next();
                    let whole = !file.text[..i].chars().next_back().is_some_and(|c| ident(c) || c == '.') && !after.is_some_and(ident);
                    whole && (before.ends_with('(') || before.ends_with(','))
                })
            })
        })
        .map(|file| TestCall { path: file.path.clone(), function: function.reference.clone() })
        .collect()
}

/// What the phase and the checklist are computed from.
struct Facts<'a> {
    has_base: bool,
    base: Option<&'a Validator>,
    /// `None`: gone from the working schema.
    working: Option<&'a Validator>,
    /// A backfill exists in the working tree.
    written: bool,
    /// One is deployed.
    deployed: bool,
    verified: bool,
    inserts_wrong: usize,
}

impl Facts<'_> {
    fn filling(&self) -> (Phase, Vec<Check>) {
        let base_optional_or_absent = self.base.is_none_or(Validator::is_optional);
        let working_required = self.working.is_some_and(|w| !w.is_optional());
        let check = |kind, done| Check { kind, done, note: None };
        let checks = vec![
            check(CheckKind::Widened, self.base.is_some_and(Validator::is_optional) || (!working_required && self.has_base)),
            Check {
                kind: CheckKind::NewCode,
                done: self.inserts_wrong == 0,
                note: (self.inserts_wrong > 0).then(|| format!("{} insert(s) omit it", self.inserts_wrong)),
            },
            check(CheckKind::BackfillWritten, self.written || self.deployed),
            check(CheckKind::BackfillDeployed, self.deployed),
            check(CheckKind::Verified, self.verified),
            check(CheckKind::Narrowed, working_required),
            check(CheckKind::Cleaned, !base_optional_or_absent && !self.written),
        ];
        let phase = if !base_optional_or_absent && working_required {
            if self.written {
                Phase::Cleanup
            } else {
                Phase::Done
            }
        } else if working_required {
            if !self.deployed {
                Phase::NarrowingTooEarly
            } else if self.verified {
                Phase::NarrowingVerified
            } else {
                Phase::NarrowingUnverified
            }
        } else if !self.deployed && !self.written {
            Phase::Widened
        } else if !self.deployed {
            Phase::BackfillWritten
        } else if self.verified {
            Phase::MigratedVerified
        } else {
            Phase::Migrating
        };
        (phase, checks)
    }

    fn unsetting(&self) -> (Phase, Vec<Check>) {
        let check = |kind, done| Check { kind, done, note: None };
        let checks = vec![
            check(CheckKind::Widened, true),
            Check {
                kind: CheckKind::NewCode,
                done: self.inserts_wrong == 0,
                note: (self.inserts_wrong > 0).then(|| format!("{} insert(s) still write it", self.inserts_wrong)),
            },
            check(CheckKind::BackfillWritten, self.written || self.deployed),
            check(CheckKind::BackfillDeployed, self.deployed),
            check(CheckKind::Verified, self.verified),
            check(CheckKind::Narrowed, self.working.is_none()),
            check(CheckKind::Cleaned, self.working.is_none() && self.base.is_none() && !self.written),
        ];
        let phase = if !self.deployed && !self.written {
            Phase::Removing
        } else if !self.deployed {
            Phase::RemovingUnsetWritten
        } else if self.verified {
            Phase::RemovingVerified
        } else {
            Phase::RemovingUnverified
        };
        (phase, checks)
    }
}

fn refs(working: &Revision, base: Option<&Revision>, found_working: &[&Function], found_base: &[&Function]) -> Vec<FunctionRef> {
    let mut out: Vec<FunctionRef> = found_working
        .iter()
        .map(|f| FunctionRef {
            reference: f.reference.clone(),
            location: Location::working(working.path(f.file), f.loc.range),
            deployed: found_base.iter().any(|b| b.reference == f.reference),
        })
        .collect();
    for (b, base) in found_base.iter().filter_map(|b| Some((b, base?))) {
        if !out.iter().any(|o| o.reference == b.reference) {
            out.push(FunctionRef {
                reference: b.reference.clone(),
                location: Location::base(base.path(b.file), b.loc.range),
                deployed: true,
            });
        }
    }
    out
}

/// Whether a working-schema field is being removed: kept optional with a comment right above it
/// that says it is deprecated (what *Put back as optional* writes), or `deprecated` from
/// convex-helpers (`v.optional(v.any())`).
pub fn being_removed(project: &Project, field: &TableField) -> bool {
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

/// What a migration function does, for code lenses and hover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationRole {
    Backfill { table: String, field: String, goal: Goal },
    Verify { table: String, field: String },
}

/// The backfill and verify functions defined in `file` of the working project.
pub fn migration_functions(ws: &Workspace, file: FileId) -> Vec<(&Function, MigrationRole)> {
    let working = &ws.working;
    let Some(schema) = working.schema.as_ref() else { return Vec::new() };
    let mut fields: Vec<(&str, &str)> =
        schema.tables.iter().flat_map(|t| t.fields.iter().map(move |f| (t.name.as_str(), f.name.as_str()))).collect();
    // Fields removed since the base: their unset migrations are backfills too.
    let removed: Vec<(String, String)> = ws
        .base()
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
                if is_backfill(function, table, field, goal) {
                    out.push((function, MigrationRole::Backfill { table: table.to_string(), field: field.to_string(), goal }));
                }
            }
        }
    }
    for (table, field) in &fields {
        for function in working.verifies(table, field) {
            if function.file == file && !out.iter().any(|(f, r)| std::ptr::eq(*f, function) && matches!(r, MigrationRole::Verify { .. })) {
                out.push((function, MigrationRole::Verify { table: table.to_string(), field: field.to_string() }));
            }
        }
    }
    out
}

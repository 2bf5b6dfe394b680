//! `convex-migrate plan` without a change: every transition between the base and the working tree
//! planned at once. Each field's steps are the ones its own plan has (the same ids); the deploys
//! they share are one step each, and within a phase the steps keep the order the migrations must
//! run in: backfills before the migrations that unset what they read (whose run and verify are
//! blocked until those backfills are verified).

use super::{narrow, remove, require, steps, Plan, Step, StepKind};
use crate::analysis::backfill::Goal;
use crate::analysis::state::{being_removed, MigrationState};
use crate::analysis::Workspace;
use crate::model::validator::Validator;

/// Deploys shared by several fields merged into one step; every step in phase order, then in
/// rank order (restores first, deploys last), the fields' own order kept within.
pub(super) fn order(steps: Vec<Step>) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    for step in steps {
        if step.kind == StepKind::Deploy {
            if let Some(same) = out.iter_mut().find(|s| s.id == step.id) {
                for need in step.needs {
                    if !same.needs.contains(&need) {
                        same.needs.push(need);
                    }
                }
                continue;
            }
        }
        out.push(step);
    }
    out.sort_by_key(|s| (s.phase, s.rank));
    out
}

/// Every transition of the working tree against the base, as one plan.
pub fn plan_all(ws: &Workspace) -> Result<Plan, String> {
    let working = &ws.working;
    let schema = working.schema.as_ref().ok_or("no schema in this project (convex/schema.ts): nothing to plan")?;
    let base_schema = ws.base().and_then(|b| b.schema.as_ref());
    let mut notes = Vec::new();
    let mut fills: Vec<(String, String)> = Vec::new();
    let mut narrows: Vec<(String, String)> = Vec::new();
    let mut removals: Vec<(String, String)> = Vec::new();
    let mut unplanned: Vec<Step> = Vec::new();
    let push = |list: &mut Vec<(String, String)>, t: &str, f: &str| {
        if !list.iter().any(|(a, b)| a == t && b == f) {
            list.push((t.to_string(), f.to_string()));
        }
    };
    for t in &schema.tables {
        let bt = base_schema.and_then(|s| s.table(&t.name));
        for f in &t.fields {
            let bf = bt.and_then(|bt| bt.field(&f.name));
            let state = MigrationState::of(ws, &t.name, &f.name);
            if being_removed(working, f) {
                push(&mut removals, &t.name, &f.name);
                continue;
            }
            let required = !f.validator.is_optional();
            let became_required = required && bt.is_some() && bf.is_none_or(|b| b.validator.is_optional());
            let in_progress = state.as_ref().is_some_and(|s| s.goal == Goal::Fill && (!s.backfills.is_empty() || !s.verifies.is_empty()));
            if became_required || in_progress {
                push(&mut fills, &t.name, &f.name);
            }
            if let (Some(bl), Some(wl)) = (bf.and_then(|b| narrow::literals(&b.validator)), narrow::literals(&f.validator)) {
                let dropped: Vec<_> = bl.iter().filter(|l| !wl.contains(l)).collect();
                if !dropped.is_empty()
                    && ws.config.config.is_verified_without(
                        &t.name,
                        &f.name,
                        &ws.deployment,
                        &narrow::ledger_values(&bl.iter().filter(|l| !wl.contains(l)).cloned().collect::<Vec<_>>()),
                    )
                {
                    push(&mut narrows, &t.name, &f.name);
                } else if !dropped.is_empty() {
                    // What each dropped value becomes is the user's choice: until it is made, the
                    // plan restores the union and waits.
                    let id = format!("{}.{}", t.name, f.name);
                    let removed: Vec<_> = dropped.iter().map(|l| (*l).clone()).collect();
                    unplanned.push(narrow::restore(ws, &id, f, bf, &removed));
                    let values = removed.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                    let first = removed.first().map(|l| l.to_string().trim_matches('"').to_string()).unwrap_or_default();
                    let verb = if removed.len() == 1 { "becomes" } else { "become" };
                    let mut step = Step::of(
                        &id,
                        "choose-map",
                        StepKind::Edit,
                        super::Phase::before(1),
                        format!("Choose what {values} {verb} in `{id}`"),
                    );
                    step.missing.push(format!("documents may hold {values}: a migration must map them to values `{id}` keeps"));
                    step.manual = Some(format!("the new values are yours to choose: convex-migrate plan narrow {id} --map '{first}=…'"));
                    step.commands.push(super::Command::new(
                        ws.tools.convex_migrate(&["plan", "narrow", &id, "--map", &format!("{first}=…")]),
                        &ws.deployment,
                    ));
                    unplanned.push(step);
                }
            } else if let (Some(bf), false) = (bf, required && bf.is_some_and(|b| b.validator.is_optional())) {
                let (b, w) = (bf.validator.required(), f.validator.required());
                if b != w
                    && !matches!((b, w), (Validator::Unknown, _) | (_, Validator::Unknown))
                    && crate::analysis::compat::narrowing(b, w).is_some()
                {
                    notes.push(format!(
                        "`{}.{}` changes from `{b}` to `{w}`: plan it through a new field with `convex-migrate plan retype {}.{} --to '{w}'`",
                        t.name, f.name, t.name, f.name
                    ));
                }
            }
        }
        if let Some(bt) = bt {
            for bf in bt.fields.iter().filter(|bf| t.field(&bf.name).is_none()) {
                push(&mut removals, &t.name, &bf.name);
            }
        }
    }
    // Fields gone from both sides with migration code left.
    for (i, f) in working.functions.iter().enumerate() {
        if !working.is_migration_code(i) {
            continue;
        }
        for (t, field) in &f.mentions {
            let in_schema = |s: Option<&crate::project::Schema>| s.and_then(|s| s.table(t)).is_some_and(|tt| tt.field(field).is_some());
            if !in_schema(Some(schema)) && !in_schema(base_schema) && crate::analysis::backfill::is_backfill(f, t, field, Goal::Unset) {
                push(&mut removals, t, field);
            }
        }
    }
    let mut all = unplanned;
    for (t, f) in &fills {
        all.extend(require::steps(ws, t, f, None, 0, &mut notes)?);
    }
    for (t, f) in &narrows {
        all.extend(narrow::steps(ws, t, f, &[], &mut notes)?);
    }
    for (t, f) in &removals {
        all.extend(remove::steps(ws, t, f, 0, &mut notes)?);
    }
    let mut steps = order(all);
    for step in steps.iter_mut().filter(|s| s.kind == StepKind::Deploy) {
        steps::settle_deploy(ws, step);
    }
    if steps.is_empty() && notes.is_empty() {
        notes.push("no schema change between the base and the working tree needs a migration".into());
    }
    notes.extend(super::component_not_installed(ws));
    Ok(Plan { change: "every change between the base and the working tree".into(), deployment: ws.deployment.clone(), steps, notes })
}

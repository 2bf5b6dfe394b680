//! `plan require T.f`: make a field required over two deploys.

use super::{at, cleanup_step, merge, run_commands, step, test_step, Phase, Step};
use crate::analysis::backfill::Goal;
use crate::analysis::state::MigrationState;
use crate::analysis::Workspace;
use crate::fixes::{codegen, make_optional, make_required, Fix};
use crate::project::TableField;

pub(super) fn require_steps(
    ws: &Workspace,
    t: &crate::project::Table,
    f: &TableField,
    default: Option<&str>,
    package_json: Option<&str>,
) -> Vec<Step> {
    let working = &ws.working;
    let base = ws.base();
    let config = &ws.config.config;
    let (table, field) = (t.name.as_str(), f.name.as_str());
    let state = MigrationState::of(ws, table, field);
    let deployed_optional = state.as_ref().and_then(|s| s.base.as_ref()).is_some_and(|b| b.is_optional());
    // Once the narrowing is deployed, every step before it is history.
    let deployed_required = state.as_ref().and_then(|s| s.base.as_ref()).is_some_and(|b| !b.is_optional());
    let working_required = !f.validator.is_optional();
    let verified = config.is_verified(table, field) || deployed_required;
    let backfills = state.as_ref().map(|s| s.backfills.clone()).unwrap_or_default();
    let deployed_backfill = backfills.iter().find(|b| b.deployed);
    let verify = working.verifies(table, field).first().map(|v| v.reference.clone());
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

    let inserts = state.as_ref().map(|s| s.inserts_wrong.clone()).unwrap_or_default();
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

    let (left, data) = super::data_left(ws, &crate::analysis::data::Question::fill(table, field, &f.validator), ("lacks", "lack"), field);
    let mut run = step(Phase::BetweenDeploys, "Run the backfill to completion", verified || left == Some(0));
    run.detail.extend(data);
    if let Some(b) = backfills.first() {
        run.commands = run_commands(&b.reference);
        if working.functions.iter().any(|f| f.reference == b.reference && f.kind == crate::project::FunctionKind::Migration) {
            run.commands.insert(0, format!("npx convex run {} '{{\"dryRun\": true}}'", b.reference));
        }
    }
    steps.push(run);

    let mut check = step(Phase::BetweenDeploys, format!("Verify that no document lacks `{field}`"), verified);
    check.commands = vec![format!("convex-migrate verify {table}.{field} --prod")];
    check.commands.extend(super::verify_from_snapshot(ws, &format!("{table}.{field}")));
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
                || working.verifies(table, field).iter().any(|v| v.reference == f.reference)
        })
        .map(|f| &**f)
        .collect();
    steps.push(cleanup_step(working, base.map(|b| &*b.project), "Remove the backfill and verify functions", deployed_required, &leftovers));
    steps
}

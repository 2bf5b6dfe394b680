//! `plan require T.f`: make a field required over two deploys. Deploy 1 widens (the field
//! optional, every insert writing it, a backfill, a verify, a test); between the deploys the
//! backfill runs and `verify` records that no document lacks the field; deploy 2 narrows (the
//! field required, the migration code gone with it so that the deploy's type-check passes).

use super::steps::{self, base_name, ledger_evidence, place};
use super::{at, merge, Need, Phase, Step, StepKind, RANK_RESTORE};
use crate::analysis::backfill::Goal;
use crate::analysis::state::MigrationState;
use crate::analysis::Workspace;
use crate::fixes::{codegen, make_optional, make_required, Fix};

/// The steps, `offset` deploys later than a plan of their own (a split runs it after its first).
pub(super) fn steps(
    ws: &Workspace,
    table: &str,
    field: &str,
    value: Option<&str>,
    offset: u32,
    notes: &mut Vec<String>,
) -> Result<Vec<Step>, String> {
    let working = &ws.working;
    let t = working.schema.as_ref().and_then(|s| s.table(table));
    let f = t.and_then(|t| t.field(field));
    let Some(state) = MigrationState::for_goal(ws, table, field, Goal::Fill) else {
        return Err(format!("unknown field `{field}` of `{table}`: add it as `v.optional(...)` first"));
    };
    let Some(f) = f else {
        return Err(format!("`{table}.{field}` is not in the working schema: put it back as `v.optional(...)` first"));
    };
    let t = t.expect("the field's table");
    let id = format!("{table}.{field}");
    let base = base_name(ws);
    let deployed_required = state.base.as_ref().is_some_and(|b| !b.is_optional());
    let deployed_optional = state.base.as_ref().is_some_and(|b| b.is_optional());
    let working_required = !f.validator.is_optional();
    let verified = state.verified;
    if deployed_required && working_required && steps::leftovers(ws, &state).0.is_empty() {
        notes.push(format!("`{id}` is required in {base} and in the working tree, and no migration code is left: nothing left to do"));
    }
    let history = |what: &str| deployed_required.then(|| vec![format!("`{id}` is required in {base}: {what}")]);
    // Once verified on the deployment, the migration's own code has done its work.
    let ledger = ledger_evidence(ws, &state);
    let migrated = |what: &str| history(what).or_else(|| verified.then(|| ledger.clone()));
    let phase = |p: Phase| p.shifted(offset);
    let mut out = Vec::new();

    // 1. The working tree must stay deployable: optional until the data is migrated.
    let mut widen = Step::of(&id, "widen", StepKind::Edit, phase(Phase::before(1)), format!("Widen: `{field}` is `v.optional(...)`"));
    if let Some(evidence) = history("the data was migrated") {
        widen = widen.done_because(true, evidence);
    } else if !working_required {
        widen = widen.done_because(true, [format!("`{field}` is optional in {}", at(working, f.loc))]);
    } else if verified {
        widen = widen.done_because(true, ledger_evidence(ws, &state));
    } else {
        widen.title = format!("Restore a deployable state: make `{field}` optional again");
        widen.rank = RANK_RESTORE;
        widen.missing.push(format!(
            "the working tree makes `{field}` required ({}), but {base} has it {} and nothing records that every document has it: a deploy would fail",
            at(working, f.loc),
            if deployed_optional { "optional" } else { "absent" }
        ));
        widen.with_fix(make_optional(working, f));
    }
    out.push(widen);

    // 2. New documents get the field.
    let mut writes =
        Step::of(&id, "inserts", StepKind::Edit, phase(Phase::before(1)), format!("Every insert into `{table}` writes `{field}`"));
    if let Some(evidence) = history("every insert writes it") {
        writes = writes.done_because(true, evidence);
    } else if state.inserts_wrong.is_empty() {
        writes = writes.done_because(true, [format!("no insert into `{table}` omits `{field}`")]);
    } else {
        writes.missing = state.inserts_wrong.iter().map(|l| format!("insert without `{field}` at {}", at(working, *l))).collect();
        let adds: Vec<Fix> = working
            .functions
            .iter()
            .flat_map(|func| func.writes.iter())
            .filter(|w| state.inserts_wrong.iter().any(|l| l.file == w.file && l.range == w.item.method_range))
            .filter_map(|w| crate::fixes::add_field_to_insert(working, w, f, value))
            .collect();
        if adds.len() < state.inserts_wrong.len() {
            writes.missing.push(format!(
                "some inserts cannot be given `{field}` from `--default` (it reads fields they do not write): add it by hand"
            ));
        }
        writes.with_fix(merge(adds, &format!("Write `{field}` in every insert")));
        if writes.fix.is_none() {
            writes.manual = Some(format!("no value for `{field}` can be chosen here: pass --default, or add it by hand"));
        }
    }
    out.push(writes);

    // 3. The backfill.
    let mut backfill = Step::of(&id, "backfill", StepKind::Edit, phase(Phase::before(1)), format!("Add a backfill for `{id}`"));
    if !state.backfills.is_empty() {
        let evidence = state.backfills.iter().map(|b| format!("`{}` ({})", b.reference, place(ws, b)));
        backfill = backfill.done_because(true, evidence);
    } else if let Some(evidence) = migrated("no backfill is needed any more") {
        backfill = backfill.done_because(true, evidence);
    } else {
        backfill.missing.push(format!("no function goes over `{table}` and sets `{field}` where it is missing"));
        let chosen = codegen::choose(f.validator.required(), value);
        if let Some(choices) = chosen.as_ref().and_then(|c| c.choices.clone()) {
            backfill.missing.push(format!(
                "no value chosen: the backfill writes a placeholder that fails the type-check; choose one of {choices} (plan … --default VALUE)"
            ));
        }
        backfill.with_fix(codegen::backfill_with(working, t, field, f.validator.required(), Goal::Fill, value));
        if chosen.is_none() {
            backfill
                .missing
                .push(format!("`{}` has no obvious value: the backfill takes it as an argument (`value`)", f.validator.required()));
        }
    }
    out.push(backfill);

    // 4. The verify function.
    let mut verify_fn =
        Step::of(&id, "verify-function", StepKind::Edit, phase(Phase::before(1)), format!("Add a verify function for `{id}`"));
    if !state.verifies.is_empty() {
        verify_fn = verify_fn.done_because(true, state.verifies.iter().map(|v| format!("`{}` ({})", v.reference, place(ws, v))));
    } else if let Some(evidence) = migrated("nothing is left to verify") {
        verify_fn = verify_fn.done_because(true, evidence);
    } else {
        verify_fn.missing.push(format!("no query counts the documents of `{table}` without `{field}`"));
        verify_fn.with_fix(codegen::verify(working, t, field, Goal::Fill));
    }
    out.push(verify_fn);

    // 5. The test.
    let mut test = steps::test(ws, Some(t), &id, &state, value, migrated("the migration is history"));
    test.phase = phase(Phase::before(1));
    out.push(test);

    // 6. Deploy 1: the widened schema, the backfill and the verify at the base.
    let deployed_backfill = state.backfills.iter().find(|b| b.deployed);
    let mut needs = vec![Need { what: format!("`{id}` optional"), met: deployed_optional || deployed_required }];
    needs.push(Need {
        what: match deployed_backfill {
            Some(b) => format!("the backfill `{}`", b.reference),
            None => format!("a backfill for `{id}`"),
        },
        met: deployed_backfill.is_some() || deployed_required,
    });
    let verify_needed = !state.verifies.is_empty() || state.backfills.iter().all(|b| !is_component(ws, &b.reference));
    if verify_needed {
        let deployed_verify = state.verifies.iter().find(|v| v.deployed);
        needs.push(Need {
            what: match (deployed_verify, state.verifies.first()) {
                (Some(v), _) | (None, Some(v)) => format!("the verify function `{}`", v.reference),
                (None, None) => format!("a verify function for `{id}`"),
            },
            met: deployed_verify.is_some() || deployed_required,
        });
    }
    out.push(steps::deploy(ws, 1 + offset, "Deploy the widened schema, the backfill and the verify", needs));

    // 7–8. Run and verify, between the deploys.
    let recorded = (verified || deployed_required).then(|| {
        let mut evidence = ledger_evidence(ws, &state);
        if deployed_required {
            evidence.push(format!("`{id}` is required in {base}: Convex checked every document at that deploy"));
        }
        evidence
    });
    out.push(steps::run(ws, &id, phase(Phase::after(1)), &state, recorded.clone(), None));
    out.push(steps::verify(ws, &id, phase(Phase::after(1)), format!("Verify that no document lacks `{field}`"), &state, recorded, None));

    // 9. Narrow, with the migration code that the narrowed schema no longer type-checks.
    let mut narrow = Step::of(
        &id,
        "narrow",
        StepKind::Edit,
        phase(Phase::before(2)),
        format!("Narrow: make `{field}` required (the migration code goes with it)"),
    );
    let (functions, tests) = steps::leftovers(ws, &state);
    if working_required && (verified || deployed_required) {
        narrow = narrow.done_because(true, [format!("`{field}` is required in {}", at(working, f.loc))]);
    } else if working_required {
        narrow.blocked = Some("the working tree narrows too early: the first step makes it optional again".into());
        narrow.missing.push(format!("nothing records that every document has `{field}` on {}", ws.deployment));
    } else if !verified {
        narrow.blocked = Some(format!("only once the ledger records `{id}` verified on {}", ws.deployment));
        narrow.missing.push(format!("`{field}` is optional in {}", at(working, f.loc)));
    } else {
        narrow.missing.push(format!("`{field}` is optional in {}", at(working, f.loc)));
        let mut named = Vec::new();
        let removal = steps::remove_code(working, &functions, &tests, &mut named);
        narrow.missing.extend(named);
        narrow.with_fix(merge(
            make_required(working, f).into_iter().chain(removal).collect(),
            &format!("Make `{field}` required and remove its migration code"),
        ));
    }
    out.push(narrow);
    out.push(steps::cleanup(ws, &id, phase(Phase::before(2)), &state, verified || deployed_required));

    // 10. Deploy 2.
    out.push(steps::deploy(
        ws,
        2 + offset,
        "Deploy the narrowed schema",
        vec![Need { what: format!("`{id}` required"), met: deployed_required }],
    ));
    Ok(out)
}

fn is_component(ws: &Workspace, reference: &str) -> bool {
    ws.working
        .functions
        .iter()
        .chain(ws.base().map(|b| b.functions.iter()).into_iter().flatten())
        .any(|f| f.reference == reference && f.kind == crate::project::FunctionKind::Migration)
}

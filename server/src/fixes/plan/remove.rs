//! `plan remove T.f`: remove a field over two deploys. Deploy 1 keeps it optional and marked
//! deprecated, stops the app writing it, and adds a migration that unsets it (with its verify and
//! test); between the deploys the migration runs, after every backfill that reads the field is
//! verified, and `verify` records that no document holds it; deploy 2 removes it from the schema
//! and removes the migration code with it.

use super::steps::{self, base_name, ledger_evidence, place};
use super::{at, merge, Need, Phase, Step, StepKind, RANK_RESTORE};
use crate::analysis::backfill::{is_backfill, Goal};
use crate::analysis::state::{being_removed, MigrationState};
use crate::analysis::Workspace;
use crate::fixes::{codegen, make_optional, FileEdit, Fix, FixKind, TextEdit};
use crate::line_index::{ColumnUnit, TextRange};
use crate::model::body::{TableRef, WriteOp, WrittenValue};
use crate::project::{Function, Loc, Project, TableField};

/// The backfills of other fields of `table` that read `field` (a derived value), with whether the
/// ledger records each verified on the workspace's deployment: unsetting `field` before they ran
/// would lose what they read.
pub(super) fn readers<'w>(ws: &'w Workspace, table: &str, field: &str) -> Vec<(&'w Function, String, bool)> {
    let mut fields: Vec<String> = Vec::new();
    for project in std::iter::once(&*ws.working).chain(ws.base().map(|b| &**b)) {
        for t in project.schema.iter().flat_map(|s| s.tables.iter()).filter(|t| t.name == table) {
            for f in t.fields.iter().filter(|f| f.name != field) {
                if !fields.contains(&f.name) {
                    fields.push(f.name.clone());
                }
            }
        }
    }
    let mut out = Vec::new();
    for f in &ws.working.functions {
        if !f.mentions.iter().any(|(t, m)| t == table && m == field) {
            continue;
        }
        for other in &fields {
            if is_backfill(f, table, other, Goal::Fill) {
                out.push((&**f, format!("{table}.{other}"), ws.is_verified(table, other)));
            }
        }
    }
    out
}

/// What must wait for the backfills that read the field: `None` when none is unverified.
fn waits_for_readers(ws: &Workspace, table: &str, field: &str) -> Option<String> {
    let pending: Vec<String> = readers(ws, table, field)
        .into_iter()
        .filter(|(_, _, verified)| !verified)
        .map(|(f, of, _)| format!("`{}` (for `{of}`)", f.reference))
        .collect();
    (!pending.is_empty()).then(|| {
        format!(
            "{} read `{field}`: run and verify them on {} first; unsetting `{field}` before would lose what they read",
            pending.join(", "),
            ws.deployment
        )
    })
}

pub(super) fn steps(ws: &Workspace, table: &str, field: &str, offset: u32, notes: &mut Vec<String>) -> Result<Vec<Step>, String> {
    let working = &ws.working;
    let t = working.schema.as_ref().and_then(|s| s.table(table));
    let f = t.and_then(|t| t.field(field));
    let Some(state) = MigrationState::for_goal(ws, table, field, Goal::Unset) else {
        // Finished: gone from both sides, its code removed, and the ledger says it was unset here.
        if ws.base().is_some() && ws.is_verified(table, field) {
            notes.push(format!(
                "`{table}.{field}` is gone from {} and from the working tree, no migration code is left, and the ledger records it unset on {}: nothing left to do",
                base_name(ws),
                ws.deployment
            ));
            return Ok(Vec::new());
        }
        return Err(format!(
            "`{table}.{field}` is in neither the schema nor what is deployed, and no migration code for it is left: nothing to plan"
        ));
    };
    let id = format!("{table}.{field}");
    let base = base_name(ws);
    let gone = f.is_none();
    let deployed_gone = state.has_base && state.base.is_none();
    let verified = state.verified;
    if deployed_gone && gone && steps::leftovers(ws, &state).0.is_empty() {
        notes.push(format!("`{id}` is gone from {base} and from the working tree, and no migration code is left: nothing left to do"));
    }
    let history = |what: &str| deployed_gone.then(|| vec![format!("`{id}` is gone from {base}: {what}")]);
    let ledger = ledger_evidence(ws, &state);
    let migrated = |what: &str| history(what).or_else(|| verified.then(|| ledger.clone()));
    let phase = |p: Phase| p.shifted(offset);
    let waits = waits_for_readers(ws, table, field);
    let mut out = Vec::new();

    // 1. Deprecated and optional until unset everywhere; put back when removed too early.
    let mut mark = Step::of(
        &id,
        "deprecate",
        StepKind::Edit,
        phase(Phase::before(1)),
        format!("Keep `{field}` as `v.optional(...)`, marked deprecated"),
    );
    if let Some(evidence) = history("the data was migrated") {
        mark = mark.done_because(true, evidence);
    } else if let Some(f) = f.filter(|f| being_removed(working, f)) {
        mark = mark.done_because(true, [format!("`{field}` is optional and marked deprecated in {}", at(working, f.loc))]);
    } else if gone && verified {
        mark = mark.done_because(true, ledger_evidence(ws, &state));
    } else if gone {
        mark.title = format!("Restore a deployable state: put `{field}` back as optional, marked deprecated");
        mark.rank = RANK_RESTORE;
        mark.missing.push(format!(
            "the working tree removes `{field}`, but documents in {base} may hold it and nothing records them unset: a deploy would fail"
        ));
        let base_field = ws.base().and_then(|b| b.schema.as_ref()).and_then(|s| s.table(table)).and_then(|bt| bt.field(field));
        if let (Some(t), Some(bf)) = (t, base_field) {
            mark.with_fix(crate::fixes::edits::restore_optional(working, t, bf));
        }
    } else if let Some(f) = f {
        mark.missing.push(format!("`{field}` is not marked deprecated ({})", at(working, f.loc)));
        mark.with_fix(mark_deprecated(working, f));
    }
    out.push(mark);

    // 2. The app stops writing it.
    let unsets: Vec<String> = state.backfills.iter().map(|b| b.reference.clone()).collect();
    let writers: Vec<Loc> = working
        .functions
        .iter()
        .filter(|func| !unsets.contains(&func.reference) && func.kind != crate::project::FunctionKind::Migration)
        .flat_map(|func| func.writes.iter())
        .filter(|w| w.item.table == TableRef::Name(table.to_string()) && w.item.op != WriteOp::Delete)
        .filter(|w| w.item.object.as_ref().and_then(|o| o.field(field)).is_some_and(|wf| wf.value != WrittenValue::Undefined))
        .map(|w| Loc { file: w.file, range: w.item.method_range })
        .collect();
    let mut stop = Step::of(&id, "stop-writes", StepKind::Edit, phase(Phase::before(1)), format!("App code stops writing `{field}`"));
    if writers.is_empty() {
        stop = stop.done_because(true, [format!("no function writes `{field}` to `{table}`")]);
    } else {
        stop.missing = writers.iter().map(|l| format!("writes `{field}` at {}", at(working, *l))).collect();
        stop.manual = Some("what the app writes instead is a decision in its code".into());
    }
    out.push(stop);

    // 3. The unset migration.
    let mut unset = Step::of(&id, "unset", StepKind::Edit, phase(Phase::before(1)), format!("Add a migration that unsets `{id}`"));
    if !state.backfills.is_empty() {
        unset = unset.done_because(true, state.backfills.iter().map(|b| format!("`{}` ({})", b.reference, place(ws, b))));
    } else if let Some(evidence) = migrated("nothing is left to unset") {
        unset = unset.done_because(true, evidence);
    } else {
        unset.missing.push(format!("no function goes over `{table}` and unsets `{field}`"));
        match (t, f) {
            (Some(t), Some(f)) => unset.with_fix(codegen::backfill(working, t, field, f.validator.required(), Goal::Unset)),
            _ => unset.blocked = Some(format!("once `{field}` is back in the schema as optional")),
        }
    }
    out.push(unset);

    // 4. The verify function.
    let mut verify_fn =
        Step::of(&id, "verify-function", StepKind::Edit, phase(Phase::before(1)), format!("Add a verify function for `{id}`"));
    if !state.verifies.is_empty() {
        verify_fn = verify_fn.done_because(true, state.verifies.iter().map(|v| format!("`{}` ({})", v.reference, place(ws, v))));
    } else if let Some(evidence) = migrated("nothing is left to verify") {
        verify_fn = verify_fn.done_because(true, evidence);
    } else {
        verify_fn.missing.push(format!("no query counts the documents of `{table}` that hold `{field}`"));
        match t.filter(|_| f.is_some()) {
            Some(t) => verify_fn.with_fix(codegen::verify(working, t, field, Goal::Unset)),
            None => verify_fn.blocked = Some(format!("once `{field}` is back in the schema as optional")),
        }
    }
    out.push(verify_fn);

    // 5. The test.
    let mut test = steps::test(ws, t.filter(|_| f.is_some()), &id, &state, None, migrated("the migration is history"));
    test.phase = phase(Phase::before(1));
    out.push(test);

    // 6. Deploy 1.
    let deployed_unset = state.backfills.iter().find(|b| b.deployed);
    let deployed_verify = state.verifies.iter().find(|v| v.deployed);
    let base_deprecated = ws
        .base()
        .and_then(|b| b.schema.as_ref().and_then(|s| s.table(table)).and_then(|bt| bt.field(field)).map(|bf| bf.validator.is_optional()))
        .unwrap_or(false);
    let needs = vec![
        Need { what: format!("`{id}` optional"), met: base_deprecated || deployed_gone },
        Need {
            what: deployed_unset.map_or(format!("a migration that unsets `{id}`"), |b| format!("the migration `{}`", b.reference)),
            met: deployed_unset.is_some() || deployed_gone,
        },
        Need {
            what: deployed_verify
                .or(state.verifies.first())
                .map_or(format!("a verify function for `{id}`"), |v| format!("the verify function `{}`", v.reference)),
            met: deployed_verify.is_some() || deployed_gone,
        },
    ];
    out.push(steps::deploy(ws, 1 + offset, "Deploy the deprecated field and the migration", needs));

    // 7–8. Run (after the backfills that read the field) and verify.
    let recorded = (verified || deployed_gone).then(|| {
        let mut evidence = ledger_evidence(ws, &state);
        if deployed_gone {
            evidence.push(format!("`{id}` is gone from {base}: Convex checked every document at that deploy"));
        }
        evidence
    });
    out.push(steps::run(ws, &id, phase(Phase::after(1)), &state, recorded.clone(), waits.clone()));
    out.push(steps::verify(
        ws,
        &id,
        phase(Phase::after(1)),
        format!("Verify that no document holds `{field}`"),
        &state,
        recorded,
        waits.clone(),
    ));

    // 9. Remove it, and the code written for it.
    let mut drop = Step::of(
        &id,
        "remove",
        StepKind::Edit,
        phase(Phase::before(2)),
        format!("Remove `{field}` from the schema (the migration code goes with it)"),
    );
    let (functions, tests) = steps::leftovers(ws, &state);
    match f {
        None if verified || deployed_gone => drop = drop.done_because(true, [format!("`{field}` is not in the working schema")]),
        None => {
            drop.blocked = Some("the working tree removes it too early: the first step puts it back".into());
            drop.missing.push(format!("nothing records that no document holds `{field}` on {}", ws.deployment));
        }
        Some(f) if !verified => {
            drop.blocked = Some(format!("only once the ledger records `{id}` verified on {}", ws.deployment));
            drop.missing.push(format!("`{field}` is still in {}", at(working, f.loc)));
        }
        Some(f) => {
            drop.missing.push(format!("`{field}` is still in {}", at(working, f.loc)));
            let mut named = Vec::new();
            let removal = steps::remove_code(working, &functions, &tests, &mut named);
            drop.missing.extend(named);
            drop.blocked = waits.clone();
            drop.with_fix(merge(
                remove_field(working, f).into_iter().chain(removal).collect(),
                &format!("Remove `{field}` and its migration code"),
            ));
        }
    }
    out.push(drop);
    out.push(steps::cleanup(ws, &id, phase(Phase::before(2)), &state, verified || deployed_gone));
    out.push(steps::deploy(
        ws,
        2 + offset,
        "Deploy the schema without it",
        vec![Need { what: format!("`{id}` removed"), met: deployed_gone }],
    ));
    Ok(out)
}

/// Marks a field deprecated (the comment the editor also recognises), making it optional first.
/// A field that shares its line with others gets the comment on a line of its own before it.
pub fn mark_deprecated(project: &Project, field: &TableField) -> Option<Fix> {
    let file = project.file(field.loc.file);
    let comment = "// Deprecated: kept optional until a migration unsets it everywhere, then removed.";
    let (line_start, before) = crate::fixes::edits::line_start_and_indent(file, field.loc.range.start);
    let first_edit = match before {
        Some(indent) => TextEdit { range: TextRange::empty(line_start), new_text: format!("{indent}{comment}\n") },
        None => {
            // `defineTable({ a: v.string(), b: v.number() })`: break the line before the field.
            let indent: String = file.text[line_start as usize..].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
            let inner = format!("{indent}  ");
            TextEdit { range: TextRange::empty(field.loc.range.start), new_text: format!("\n{inner}{comment}\n{inner}") }
        }
    };
    let mut edits = vec![first_edit];
    if let Some(optional) = make_optional(project, field) {
        edits.extend(optional.edits.into_iter().flat_map(|e| e.edits));
    }
    Some(Fix {
        title: format!("Mark `{}` deprecated (optional until it is unset everywhere)", field.name),
        kind: FixKind::Refactor,
        preferred: false,
        edits: vec![FileEdit::edit(file.path.clone(), edits)],
    })
}

/// Deletes a field from the schema: its lines (with the comment lines right above it) when it has
/// lines of its own, else just the field and its comma.
pub fn remove_field(project: &Project, field: &TableField) -> Option<Fix> {
    let file = project.file(field.loc.file);
    let (text, index) = (&*file.text, &file.model.line_index);
    let first = index.line_col(text, field.loc.range.start, ColumnUnit::Utf8).line;
    let last = index.line_col(text, field.value.range.end, ColumnUnit::Utf8).line;
    let line_range = index.line_range(text, first);
    let rest_of_last = &text[field.value.range.end as usize..index.line_range(text, last).end as usize];
    let alone = text[line_range.start as usize..field.loc.range.start as usize].trim().is_empty()
        && (rest_of_last.trim() == "," || rest_of_last.trim().is_empty());
    let range = if alone {
        let mut start_line = first;
        while start_line > 0 && text[index.line_range(text, start_line - 1).as_usize_range()].trim_start().starts_with("//") {
            start_line -= 1;
        }
        let start = index.line_range(text, start_line).start;
        let end = (index.line_range(text, last).end + 1).min(text.len() as u32);
        TextRange::new(start, end)
    } else {
        // `{ a: v.string(), b: v.number() }`: the field, its comma and the space after it.
        let after = &text[field.value.range.end as usize..];
        let comma = after.len() - after.trim_start().len();
        let end = if after.trim_start().starts_with(',') {
            let rest = &after[comma + 1..];
            field.value.range.end as usize + comma + 1 + (rest.len() - rest.trim_start_matches([' ', '\t']).len())
        } else {
            // The last field: take the comma before it instead.
            let before = text[..field.loc.range.start as usize].trim_end();
            if before.ends_with(',') {
                return Some(single_removal(file, TextRange::new((before.len() - 1) as u32, field.value.range.end), field));
            }
            field.value.range.end as usize
        };
        TextRange::new(field.loc.range.start, end as u32)
    };
    Some(single_removal(file, range, field))
}

fn single_removal(file: &crate::project::SourceFile, range: TextRange, field: &TableField) -> Fix {
    Fix {
        title: format!("Remove `{}` from the schema", field.name),
        kind: FixKind::Refactor,
        preferred: false,
        edits: vec![FileEdit::edit(file.path.clone(), vec![TextEdit { range, new_text: String::new() }])],
    }
}

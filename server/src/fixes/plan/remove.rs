//! `plan remove T.f`: remove a field over two deploys (kept optional and deprecated, unset
//! everywhere, verified, then removed).

use super::{at, cleanup_step, run_commands, step, test_step, Phase, Step};
use crate::analysis::backfill::Goal;
use crate::analysis::state::being_removed;
use crate::analysis::Workspace;
use crate::fixes::{codegen, make_optional, FileEdit, Fix, FixKind, TextEdit};
use crate::line_index::{ColumnUnit, TextRange};
use crate::model::body::{TableRef, WriteOp, WrittenValue};
use crate::project::{Loc, Project, TableField};

pub(super) fn remove_steps(ws: &Workspace, table: &str, field: &str, package_json: Option<&str>) -> Vec<Step> {
    let working = &ws.working;
    let base = ws.base();
    let config = &ws.config.config;
    let schema = working.schema.as_ref();
    let t = schema.and_then(|s| s.table(table));
    let f = t.and_then(|t| t.field(field));
    let base_field = base.and_then(|b| b.schema.as_ref()).and_then(|s| s.table(table)).and_then(|bt| bt.field(field));
    let unsets: Vec<String> = working.backfills(table, field, Goal::Unset).iter().map(|f| f.reference.clone()).collect();
    let deployed_unset = base.is_some_and(|b| !b.backfills(table, field, Goal::Unset).is_empty());
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

    let verify = working.verifies(table, field).first().map(|v| v.reference.clone());
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

    let (left, data) = super::data_left(ws, &crate::analysis::data::Question::unset(table, field), ("holds", "hold"), field);
    let mut run = step(Phase::BetweenDeploys, "Run the migration to completion", verified || base_field.is_none() || left == Some(0));
    run.detail.extend(data);
    if let Some(r) = unsets.first() {
        run.commands = run_commands(r);
    }
    steps.push(run);
    let mut check = step(Phase::BetweenDeploys, format!("Verify that no document holds `{field}`"), verified || base_field.is_none());
    check.commands = vec![format!("convex-migrate verify {table}.{field} --prod")];
    check.commands.extend(super::verify_from_snapshot(ws, &format!("{table}.{field}")));
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
    steps.push(cleanup_step(
        working,
        base.map(|b| &*b.project),
        "Remove the migration and verify functions",
        base_field.is_none(),
        &leftovers,
    ));
    steps
}

/// Marks a field deprecated (the comment the editor also recognises), making it optional first.
pub fn mark_deprecated(project: &Project, field: &TableField) -> Option<Fix> {
    let file = project.file(field.loc.file);
    // Several fields on one line: mark it by hand.
    let (line_start, before) = crate::fixes::edits::line_start_and_indent(file, field.loc.range.start);
    let before = before?;
    let mut edits = vec![TextEdit {
        range: TextRange::empty(line_start),
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

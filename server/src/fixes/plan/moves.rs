//! `plan rename` and `plan retype`: move a field to a new one through a declared dual-write.

use super::{at, merge, run_commands, step, Phase, Step};
use crate::analysis::backfill::Goal;
use crate::analysis::Workspace;
use crate::fixes::{codegen, make_required, remove_finished_migration, FileEdit, Fix, FixKind, TextEdit};
use crate::line_index::{ColumnUnit, TextRange};
use crate::names::Place;
use crate::project::{Loc, Project, TableField};

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
pub(super) fn move_steps(
    ws: &Workspace,
    t: &crate::project::Table,
    field: &str,
    to: &str,
    new_validator: Option<&str>,
) -> Result<Vec<Step>, String> {
    use crate::analysis::dual_write::{readers, Pair, Source};
    let working = &ws.working;
    let base = ws.base();
    let config = &ws.config.config;
    let config_text = ws.config.text.as_deref();
    let table = t.name.as_str();
    let old = t.field(field);
    let new = t.field(to);
    let base_table = base.and_then(|b| b.schema.as_ref()).and_then(|s| s.table(table));
    let old_gone_everywhere = old.is_none() && base_table.is_some_and(|bt| bt.field(field).is_none());
    if old.is_none() && new.is_none() {
        return Err(format!("unknown field `{field}` of `{table}`"));
    }
    let pair = Pair {
        from: Place { table: table.to_string(), field: Some(field.to_string()) },
        to: Place { table: table.to_string(), field: Some(to.to_string()) },
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
        declare.fix = crate::fixes::edits::declare_dual_write(config_text, &pair.from.to_string(), &pair.to.to_string());
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
    let backfills = working.backfills(table, to, Goal::Fill);
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
    let verify = working.verifies(table, to);
    let mut verify_step =
        step(Phase::Deploy1, format!("Add a verify function for `{table}.{to}`"), !verify.is_empty() || old_gone_everywhere);
    if let (false, Some(_)) = (verify_step.done, new) {
        verify_step.fix = codegen::verify(working, t, to, Goal::Fill);
    }
    steps.push(verify_step);
    let deployed_new = base_table.is_some_and(|bt| bt.field(to).is_some());
    let deployed_backfill = base.is_some_and(|b| !b.backfills(table, to, Goal::Fill).is_empty());
    let mut deploy = step(
        Phase::Deploy1,
        "Deploy the new field, the dual-writes and the backfill",
        (deployed_new && deployed_backfill) || old_gone_everywhere,
    );
    deploy.commands = vec!["npx convex deploy".into()];
    steps.push(deploy);

    // Between deploys.
    let verified = ws.is_verified(table, to) || old_gone_everywhere;
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
            backfills.iter().filter_map(|f| remove_finished_migration(working, base.map(|b| &*b.project), f)).collect(),
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
    let last = index.line_col(text, field.value.range.end, ColumnUnit::Utf8).line;
    let indent = crate::fixes::edits::line_start_and_indent(file, field.loc.range.start).1?;
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
pub(super) fn one_sided_writes(working: &Project, pair: &crate::analysis::dual_write::Pair) -> Vec<Loc> {
    crate::analysis::dual_write::sites(working, pair)
        .into_iter()
        .filter(|s| s.writes_from.is_empty() != s.writes_to.is_empty())
        .flat_map(|s| s.writes_from.into_iter().chain(s.writes_to))
        .collect()
}

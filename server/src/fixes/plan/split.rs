//! `plan split T.f --into TABLE`: move a field's values into a table of their own.

use super::moves::one_sided_writes;
use super::{at, merge, run_commands, step, tests_of, Phase, Step};
use crate::analysis::Workspace;
use crate::fixes::{codegen, FileEdit, Fix, FixKind, TextEdit};
use crate::line_index::TextRange;
use crate::names::Place;
use crate::project::{Project, TableField};

/// Split: a new table, a declared dual-write, writes of both sides, a backfill that copies the
/// values into rows, reads switched, then the old field removed.
pub(super) fn split_steps(ws: &Workspace, t: &crate::project::Table, field: &str, into: &str) -> Result<Vec<Step>, String> {
    use crate::analysis::dual_write::{readers, Pair, Source};
    let working = &ws.working;
    let base = ws.base();
    let config = &ws.config.config;
    let config_text = ws.config.text.as_deref();
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
        from: Place { table: table.to_string(), field: Some(field.to_string()) },
        to: Place { table: into.to_string(), field: None },
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
        declare.fix = crate::fixes::edits::declare_dual_write(config_text, &pair.from.to_string(), into);
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

    let verified = ws.is_verified(table, field) || old_gone_everywhere;
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
            edits: vec![crate::fixes::edits::deletion(file, function.statement.range)],
        }],
    }
}

/// Adds the split's table to `defineSchema({...})` right after the old table's entry.
fn add_table_after(project: &Project, t: &crate::project::Table, old: &TableField, split: &codegen::Split<'_>) -> Option<Fix> {
    let file = project.file(t.entry_value.file);
    let text = &*file.text;
    let indent = crate::fixes::edits::line_start_and_indent(file, t.loc.range.start).1?;
    let v = file.model.v_name.clone().unwrap_or_else(|| "v".into());
    let element = match old.validator.required() {
        crate::model::validator::Validator::Array(inner) => inner.as_ref().clone(),
        other => other.clone(),
    };
    if element.has_unknown() {
        return None;
    }
    let element = crate::fixes::edits::render_with_v(&element, &v);
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

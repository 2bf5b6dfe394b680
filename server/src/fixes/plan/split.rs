//! `plan split T.f --into TABLE`: move a field's values into a table of their own; and
//! `plan split T.f --into a,b --with 'a=EXPR'`: into new fields of the same table.

use super::moves::one_sided_writes;
use super::{at, merge, Need, Phase, Step, StepKind};
use crate::analysis::Workspace;
use crate::fixes::{codegen, FileEdit, Fix, FixKind, TextEdit};
use crate::line_index::TextRange;
use crate::names::Place;
use crate::project::{Project, TableField};

/// `plan split T.f --into a,b --with 'a=EXPR'`: the field moved into new fields of the same table,
/// each derived from the document (the moves plan).
pub(super) fn split_fields(
    ws: &Workspace,
    table: &str,
    field: &str,
    into: &[String],
    with: &[(String, String)],
    _notes: &mut [String],
) -> Result<Vec<Step>, String> {
    let mut targets = Vec::new();
    for name in into {
        if !codegen::is_identifier(name) || name == field {
            return Err(format!("`{name}` is not a new field name"));
        }
        let value = with.iter().find(|(n, _)| n == name).map(|(_, e)| e.clone()).ok_or_else(|| {
            format!("how is `{name}` derived from a document? add --with '{name}=EXPR' (e.g. --with '{name}=doc.{field}.split(\" \")[0]')")
        })?;
        if !codegen::doc_reads(&value).iter().any(|r| r == field) {
            return Err(format!("`{name}={value}` does not read `doc.{field}`: a split derives each new field from the old one"));
        }
        targets.push(super::moves::Target { name: name.clone(), validator: None, value });
    }
    if let Some((extra, _)) = with.iter().find(|(n, _)| !into.contains(n)) {
        return Err(format!("--with names `{extra}`, which is not in --into"));
    }
    super::moves::moved(ws, table, field, &targets)
}

/// Split into a table: a new table, a declared dual-write, writes of both sides, a backfill that
/// copies the values into rows, reads switched, then the old field removed.
pub(super) fn split_steps(ws: &Workspace, table: &str, field: &str, into: &str) -> Result<Vec<Step>, String> {
    use crate::analysis::dual_write::{readers, Pair, Source};
    let working = &ws.working;
    let base = ws.base();
    let config = &ws.config.config;
    let config_text = ws.config.text.as_deref();
    if !codegen::is_identifier(into) {
        return Err(format!("`{into}` is not a table name"));
    }
    let schema = working.schema.as_ref().ok_or("no schema")?;
    let t = schema.table(table).ok_or_else(|| format!("unknown table `{table}` in the schema"))?;
    let base_schema = base.and_then(|b| b.schema.as_ref());
    let old = t.field(field);
    let old_gone_everywhere = old.is_none() && base_schema.and_then(|s| s.table(table)).is_some_and(|bt| bt.field(field).is_none());
    if old.is_none() && !old_gone_everywhere {
        return Err(format!("unknown field `{field}` of `{table}`"));
    }
    let id = format!("{table}.{field}");
    let array = old.is_none_or(|f| matches!(f.validator.required(), crate::model::validator::Validator::Array(_)));
    let split = codegen::Split::new(table, field, into, array);
    let pair = Pair {
        from: Place { table: table.to_string(), field: Some(field.to_string()) },
        to: Place { table: into.to_string(), field: None },
        source: Source::Declared,
    };
    let mut steps = Vec::new();
    let edit = |name: &str, phase: Phase, title: String| Step::of(&id, name, StepKind::Edit, phase, title);
    let done = |step: Step, why: String| step.done_because(true, [why]);

    let new_table = schema.table(into);
    let mut add = edit(
        "add-table",
        Phase::before(1),
        format!("Add the table `{into}` ({} → `{table}`, {}, index `{}`)", split.parent, split.item, split.index()),
    );
    if new_table.is_some() {
        add = done(add, format!("`{into}` is in the schema"));
    } else if let Some(old) = old {
        add.with_fix(add_table_after(working, t, old, &split));
        if add.fix.is_none() {
            add.manual = Some(format!(
                "add `{into}: defineTable({{ {}: v.id(\"{table}\"), {}: … }}).index(\"{}\", [\"{}\"])` to the schema by hand",
                split.parent,
                split.item,
                split.index(),
                split.parent
            ));
        }
    }
    steps.push(add);

    let declared = config.dual_writes.iter().any(|d| d.from == pair.from.to_string() && d.to == pair.to.to_string());
    let mut declare =
        edit("declare", Phase::before(1), format!("Declare the dual-write `{}` → `{into}` in convex-migrate.json", pair.from));
    if declared || old_gone_everywhere {
        declare = done(declare, format!("`dualWrites` declares `{}` → `{into}`", pair.from));
    } else {
        declare.with_fix(crate::fixes::edits::declare_dual_write(config_text, &pair.from.to_string(), into));
    }
    steps.push(declare);

    let one_sided = one_sided_writes(working, &pair);
    let mut both = edit("dual-write", Phase::before(1), format!("Every write of `{id}` also writes `{into}` rows"));
    if one_sided.is_empty() || old_gone_everywhere {
        both = done(both, format!("every write of `{id}` writes `{into}` rows"));
    } else {
        both.missing = one_sided.iter().map(|l| format!("writes one side at {}", at(working, *l))).collect();
        both.manual = Some(format!("writing `{into}` rows next to `{field}` is a decision in the app's code"));
    }
    steps.push(both);

    let backfill_name = format!("backfill{}", codegen::pascal(&[into]));
    let verify_name = format!("verify{}", codegen::pascal(&[into]));
    let find = |p: &crate::project::Project, name: &str| p.functions.iter().find(|f| f.name == name).map(|f| f.reference.clone());
    let mut backfill = edit("backfill", Phase::before(1), format!("Add a backfill that copies `{field}` into `{into}`"));
    if let Some(r) = find(working, &backfill_name) {
        backfill = done(backfill, format!("`{r}`"));
    } else if old_gone_everywhere {
        backfill = done(backfill, format!("`{id}` is gone from the base"));
    } else if new_table.is_some() {
        backfill.with_fix(codegen::split_backfill(working, &split));
    } else {
        backfill.blocked = Some(format!("once the table `{into}` is in the schema"));
    }
    steps.push(backfill);
    let mut verify = edit("verify-function", Phase::before(1), format!("Add a verify function for `{id}` → `{into}`"));
    if let Some(r) = find(working, &verify_name) {
        verify = done(verify, format!("`{r}`"));
    } else if old_gone_everywhere {
        verify = done(verify, format!("`{id}` is gone from the base"));
    } else if new_table.is_some() {
        verify.with_fix(codegen::split_verify(working, &split));
    } else {
        verify.blocked = Some(format!("once the table `{into}` is in the schema"));
    }
    steps.push(verify);
    let deployed_backfill = base.and_then(|b| find(b, &backfill_name));
    let deployed_verify = base.and_then(|b| find(b, &verify_name));
    let needs = vec![
        Need { what: format!("the table `{into}`"), met: base_schema.is_some_and(|s| s.table(into).is_some()) || old_gone_everywhere },
        Need { what: format!("the backfill `{backfill_name}`"), met: deployed_backfill.is_some() || old_gone_everywhere },
        Need { what: format!("the verify function `{verify_name}`"), met: deployed_verify.is_some() || old_gone_everywhere },
    ];
    steps.push(super::steps::deploy(ws, 1, "Deploy the new table, the dual-writes and the backfill", needs));

    let verified = ws.is_verified(table, field);
    let mut run = Step::of(&id, "run", StepKind::Run, Phase::after(1), format!("Run the backfill to completion on {}", ws.deployment));
    let mut check = Step::of(&id, "verify", StepKind::Verify, Phase::after(1), format!("Verify that every `{id}` is in `{into}`"));
    if verified || old_gone_everywhere {
        run = done(run, format!("the ledger records `{id}` verified on {}", ws.deployment));
        check = done(check, format!("the ledger records `{id}` verified on {}", ws.deployment));
    } else {
        match base.and_then(|b| b.functions.iter().find(|f| f.name == backfill_name)) {
            Some(f) => match crate::analysis::command::run_of(f) {
                Ok(command) => run.commands.push(super::Command::run(ws, command)),
                Err(why) => run.manual = Some(why),
            },
            None => run.blocked = Some("the backfill is not deployed yet".into()),
        }
        let flag: Vec<&str> = if ws.deployment == "prod" { vec!["--prod"] } else { vec!["--deployment", &ws.deployment] };
        let mut args = vec!["verify", id.as_str()];
        args.extend(flag);
        check.commands.push(super::Command::new(ws.tools.convex_migrate(&args), &ws.deployment));
        if deployed_verify.is_none() {
            check.blocked = Some("the verify function is not deployed yet".into());
        }
    }
    steps.push(run);
    steps.push(check);

    let old_readers: Vec<&crate::project::Function> =
        readers(working, &pair.from).into_iter().filter(|f| f.name != backfill_name && !f.name.starts_with(&verify_name)).collect();
    let mut switch = edit("switch-reads", Phase::before(2), format!("Reads use `{into}` instead of `{id}`"));
    if old_readers.is_empty() {
        switch = done(switch, format!("no function reads `{field}` but its migrations"));
    } else {
        switch.missing = old_readers.iter().map(|f| format!("`{}` reads `{field}` ({})", f.reference, at(working, f.loc))).collect();
        switch.manual = Some("how each read uses the new table is a decision in its code".into());
    }
    steps.push(switch);
    let mut retire = edit("retire", Phase::before(2), format!("Remove `{field}`: convex-migrate plan remove {id}"));
    if old_gone_everywhere {
        retire = done(retire, format!("`{id}` is gone from the schema and the base"));
    } else {
        retire.manual = Some(format!("follow `convex-migrate plan remove {id}` (its own two deploys)"));
        retire.commands.push(super::Command::new(ws.tools.convex_migrate(&["plan", "remove", &id]), &ws.deployment));
    }
    steps.push(retire);

    let leftovers: Vec<&crate::project::Function> =
        working.functions.iter().filter(|f| f.name == backfill_name || f.name.starts_with(&verify_name)).map(|f| &**f).collect();
    let mut cleanup =
        Step::of(&id, "cleanup", StepKind::Cleanup, Phase::after(2), "Remove the backfill, the verify and the dual-write declaration");
    if old_gone_everywhere && leftovers.is_empty() && !declared {
        cleanup = done(cleanup, "no migration code or declaration is left".into());
    } else if old_gone_everywhere {
        cleanup.missing = leftovers.iter().map(|f| format!("`{}` is still in the working tree", f.reference)).collect();
        let mut named = Vec::new();
        let tests: Vec<_> = leftovers.iter().flat_map(|f| crate::analysis::state::tests_calling(working, f)).collect();
        let mut fixes: Vec<Fix> = super::steps::remove_code(working, &leftovers, &tests, &mut named).into_iter().collect();
        cleanup.missing.extend(named);
        if declared {
            let text = crate::config::ledger::remove_dual_write(config_text, &pair.from.to_string(), into).ok();
            fixes.extend(text.map(|text| Fix {
                title: String::new(),
                kind: FixKind::Refactor,
                preferred: false,
                edits: vec![FileEdit::edit(
                    crate::config::FILE_NAME,
                    vec![TextEdit { range: TextRange::new(0, config_text.map_or(0, |t| t.len() as u32)), new_text: text }],
                )],
            }));
        }
        cleanup.with_fix(merge(fixes, "Remove the finished migration code"));
    } else {
        cleanup.blocked = Some(format!("once `{id}` is removed (the remove plan)"));
    }
    steps.push(cleanup);
    Ok(steps)
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
        edits: vec![FileEdit::edit(file.path.clone(), vec![TextEdit { range: TextRange::empty(at), new_text }])],
    })
}

//! `plan rename`, `plan retype` and `plan split --into a,b`: move a field to new ones through
//! declared dual-writes, each new field made required by the require plan (its backfill derived
//! from the document), then the old field removed by the remove plan, one deploy later.

use super::{at, merge, remove, require, Phase, Step, StepKind};
use crate::analysis::backfill::Goal;
use crate::analysis::Workspace;
use crate::fixes::{codegen, FileEdit, Fix, FixKind, TextEdit};
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

/// A new field a move writes: its name, its validator (code; `None`: the old field's), and the
/// value it gets from a document (an expression of `doc`).
pub(super) struct Target {
    pub name: String,
    pub validator: Option<String>,
    pub value: String,
}

/// Rename and retype: one new field, its value the old one's (converted for a retype).
pub(super) fn move_steps(ws: &Workspace, table: &str, field: &str, to: &str, validator: Option<&str>) -> Result<Vec<Step>, String> {
    if !codegen::is_identifier(to) || to == field {
        return Err(format!("`{to}` is not a new field name"));
    }
    let working = &ws.working;
    let t = working.schema.as_ref().and_then(|s| s.table(table)).ok_or_else(|| format!("unknown table `{table}` in the schema"))?;
    let old = t.field(field).or_else(|| base_field(ws, table, field));
    let value = match (old, validator) {
        (Some(old), Some(code)) => {
            let new = crate::model::validator_from_code(code)
                .ok_or_else(|| format!("`{code}` is not a validator (`v.number()`, `v.union(...)`)"))?;
            conversion(&format!("doc.{field}"), &old.validator, &new).ok_or_else(|| {
                format!(
                    "no obvious conversion from `{}` to `{code}`: plan it with `plan split {table}.{field} --into {to} --with '{to}=EXPR'`",
                    old.validator.required()
                )
            })?
        }
        _ => format!("doc.{field}"),
    };
    let targets = [Target { name: to.to_string(), validator: validator.map(str::to_string), value }];
    moved(ws, table, field, &targets)
}

fn base_field<'w>(ws: &'w Workspace, table: &str, field: &str) -> Option<&'w TableField> {
    ws.base()?.schema.as_ref()?.table(table)?.field(field)
}

/// Moves `table.field` into `targets` over three deploys: deploy 1 adds each target optional, the
/// dual-writes (declared), a backfill deriving each from the document, and their verifies; deploy 2
/// makes the targets required, reads switched to them, and the old field deprecated and no longer
/// written, with its unset migration (which runs only after the targets' backfills are verified:
/// they read it); deploy 3 removes the old field.
pub(super) fn moved(ws: &Workspace, table: &str, field: &str, targets: &[Target]) -> Result<Vec<Step>, String> {
    use crate::analysis::dual_write::{readers, Pair, Source};
    let working = &ws.working;
    let config = &ws.config.config;
    let config_text = ws.config.text.as_deref();
    let t = working.schema.as_ref().and_then(|s| s.table(table)).ok_or_else(|| format!("unknown table `{table}` in the schema"))?;
    let old = t.field(field);
    let old_anywhere = old.or_else(|| base_field(ws, table, field));
    if old_anywhere.is_none() && targets.iter().all(|target| t.field(&target.name).is_none()) {
        return Err(format!("unknown field `{field}` of `{table}`"));
    }
    let id = format!("{table}.{field}");
    let gone = old.is_none() && base_field(ws, table, field).is_none();
    let pairs: Vec<Pair> = targets
        .iter()
        .map(|target| Pair {
            from: Place { table: table.to_string(), field: Some(field.to_string()) },
            to: Place { table: table.to_string(), field: Some(target.name.clone()) },
            source: Source::Declared,
        })
        .collect();
    let mut out = Vec::new();

    // 1. The new fields, optional.
    for (i, target) in targets.iter().enumerate() {
        let tid = format!("{table}.{}", target.name);
        let mut add = Step::of(&tid, "add", StepKind::Edit, Phase::before(1), format!("Add `{}` as `v.optional(...)`", target.name));
        // After the new fields already added, in the order given.
        let anchor = targets[..i].iter().rev().find_map(|earlier| t.field(&earlier.name)).or(old);
        match (t.field(&target.name), anchor) {
            (Some(f), _) => add = add.done_because(true, [format!("`{}` is in {}", target.name, at(working, f.loc))]),
            (None, Some(anchor)) => {
                add.missing.push(format!("`{}` is not in the schema", target.name));
                add.with_fix(add_field_after(working, anchor, &target.name, target.validator.as_deref()));
                if add.fix.is_none() {
                    add.manual = Some(format!("add `{}: v.optional(...)` next to `{field}` by hand (it shares a line)", target.name));
                }
            }
            (None, None) => add.blocked = Some(format!("`{field}` is not in the working schema")),
        }
        out.push(add);
    }

    // 2. The dual-writes, declared so that they outlive the base moving on.
    let declared = |pair: &Pair| config.dual_writes.iter().any(|d| d.from == pair.from.to_string() && d.to == pair.to.to_string());
    let mut declare =
        Step::of(&id, "declare", StepKind::Edit, Phase::before(1), format!("Declare the dual-write of `{id}` in convex-migrate.json"));
    let undeclared: Vec<&Pair> = pairs.iter().filter(|p| !declared(p)).collect();
    // Deprecated, or out of the working schema (removed, the last deploy to come): the old field
    // is on its way out, and nothing writes both sides any more.
    let retired = old.is_none_or(|f| crate::analysis::state::being_removed(working, f));
    // Once the new fields are verified the declaration has done its work (the undeclare step
    // retires it): not declared again.
    let finished = targets.iter().all(|target| ws.is_verified(table, &target.name));
    if undeclared.is_empty() {
        declare = declare.done_because(
            true,
            pairs.iter().filter(|p| declared(p)).map(|p| format!("`dualWrites` declares `{}` → `{}`", p.from, p.to)).collect::<Vec<_>>(),
        );
    } else if retired {
        declare = declare.done_because(true, [format!("`{field}` is on its way out (deprecated or removed): the dual-write is retired")]);
    } else if finished {
        declare = declare.done_because(
            true,
            [format!("the ledger records {} verified on {}: the dual-write has done its work", names(targets), ws.deployment)],
        );
    } else {
        declare.missing = undeclared.iter().map(|p| format!("`{}` → `{}` is not declared", p.from, p.to)).collect();
        let mut text = config_text.map(str::to_string);
        for p in &undeclared {
            text = crate::config::ledger::add_dual_write(text.as_deref(), &p.from.to_string(), &p.to.to_string()).ok();
        }
        declare.with_fix(text.map(|text| whole_file_fix(config_text, text, "Declare the dual-writes")));
    }
    out.push(declare);

    // 3. Every write of the old field writes the new ones too.
    let mut both =
        Step::of(&id, "dual-write", StepKind::Edit, Phase::before(1), format!("Every write of `{field}` also writes {}", names(targets)));
    let one_sided: Vec<Loc> = pairs.iter().flat_map(|p| one_sided_writes(working, p)).collect();
    if one_sided.is_empty() || retired {
        both = both.done_because(true, [format!("every write of `{field}` writes {}", names(targets))]);
    } else {
        both.missing = one_sided.iter().map(|l| format!("writes one side at {}", at(working, *l))).collect();
        let mut fixes: Vec<Fix> = Vec::new();
        let mut by_hand = 0;
        for w in working.functions.iter().flat_map(|f| f.writes.iter()) {
            if !one_sided.iter().any(|l| l.file == w.file && l.range == w.item.method_range) {
                continue;
            }
            let Some(object) = &w.item.object else { continue };
            let file = working.file(w.file);
            let Some(present) = object.field(field) else { continue };
            let Some(expr) = file.text.get(present.value_range.as_usize_range()) else { continue };
            for target in targets.iter().filter(|target| object.field(&target.name).is_none()) {
                // `doc.<field>` is the written value here; other fields of `doc` must be written too.
                let value = substitute(&target.value, field, expr, object, &file.text);
                let Some(value) = value else {
                    by_hand += 1;
                    continue;
                };
                let edit = TextEdit { range: TextRange::empty(present.value_range.end), new_text: format!(", {}: {value}", target.name) };
                fixes.push(Fix {
                    title: String::new(),
                    kind: FixKind::Refactor,
                    preferred: false,
                    edits: vec![FileEdit::edit(file.path.clone(), vec![edit])],
                });
            }
        }
        if by_hand > 0 {
            both.missing.push(format!("{by_hand} write(s) need a value they do not hold: add the new fields by hand"));
        }
        both.with_fix(merge(fixes, &format!("Write {} wherever `{field}` is written", names(targets))));
        if both.fix.is_none() {
            both.manual = Some("the writes need values that the plan cannot derive: add them by hand".into());
        }
    }
    out.push(both);

    // 4. Each new field made required, from a backfill that derives it (the require plan).
    let mut notes = Vec::new();
    for target in targets {
        if t.field(&target.name).is_some() {
            out.extend(require::steps(ws, table, &target.name, Some(&target.value), 0, &mut notes)?);
        } else {
            let tid = format!("{table}.{}", target.name);
            let mut later =
                Step::of(&tid, "backfill", StepKind::Edit, Phase::before(1), format!("Backfill, verify and require `{}`", target.name));
            later.blocked = Some(format!("planned once `{}` is in the schema (the step that adds it)", target.name));
            out.push(later);
        }
    }

    // 5. Reads switch to the new fields, with their narrowing.
    let pair_from = Place { table: table.to_string(), field: Some(field.to_string()) };
    let migration_code: Vec<String> = targets
        .iter()
        .flat_map(|target| {
            working
                .backfills(table, &target.name, Goal::Fill)
                .into_iter()
                .chain(working.verifies(table, &target.name))
                .map(|f| f.reference.clone())
        })
        .collect();
    let old_readers: Vec<&crate::project::Function> = readers(working, &pair_from)
        .into_iter()
        .filter(|f| {
            !migration_code.contains(&f.reference)
                && !working.backfills(table, field, Goal::Unset).iter().any(|u| u.reference == f.reference)
        })
        // The verify of the old field's unset, with the page query it runs (`verify…Page`).
        .filter(|f| {
            !working
                .verifies(table, field)
                .iter()
                .any(|v| v.reference == f.reference || (v.file == f.file && f.name == format!("{}Page", v.name)))
        })
        .collect();
    let mut switch =
        Step::of(&id, "switch-reads", StepKind::Edit, Phase::before(2), format!("Reads use {} instead of `{field}`", names(targets)));
    if old_readers.is_empty() {
        switch = switch.done_because(true, [format!("no function reads `{field}` but its migrations")]);
    } else {
        switch.missing = old_readers.iter().map(|f| format!("`{}` reads `{field}` ({})", f.reference, at(working, f.loc))).collect();
        switch.manual = Some("how each read uses the new fields is a decision in its code".into());
    }
    out.push(switch);

    // 6. The old field stops being written and goes (the remove plan, one deploy later), with the
    // dual-write declarations retired when it stops being written.
    let mut undeclare =
        Step::of(&id, "undeclare", StepKind::Edit, Phase::before(2), format!("Retire the dual-write of `{id}` from convex-migrate.json"));
    let still: Vec<&Pair> = pairs.iter().filter(|p| declared(p)).collect();
    if still.is_empty() {
        undeclare = undeclare.done_because(true, [format!("`dualWrites` declares nothing for `{id}`")]);
    } else if !targets.iter().all(|target| ws.is_verified(table, &target.name)) {
        undeclare.blocked = Some(format!("only once {} are verified", names(targets)));
        undeclare.missing = still.iter().map(|p| format!("`{}` → `{}` is declared", p.from, p.to)).collect();
    } else {
        undeclare.missing = still.iter().map(|p| format!("`{}` → `{}` is declared", p.from, p.to)).collect();
        let mut text = config_text.map(str::to_string);
        for p in &still {
            text = crate::config::ledger::remove_dual_write(text.as_deref(), &p.from.to_string(), &p.to.to_string()).ok();
        }
        undeclare.with_fix(text.map(|text| whole_file_fix(config_text, text, "Retire the dual-writes")));
    }
    out.push(undeclare);
    if old_anywhere.is_some() || !gone {
        let mut removal = remove::steps(ws, table, field, 1, &mut notes)?;
        for step in removal.iter_mut().filter(|s| !s.done && s.phase.deploy == 2 && !s.phase.after) {
            if !targets.iter().all(|target| ws.is_verified(table, &target.name)) && step.blocked.is_none() {
                step.blocked = Some(format!("only once {} are verified: until then the app still writes `{field}`", names(targets)));
            }
        }
        out.extend(removal);
    }
    Ok(out)
}

/// A whole-file replacement of the config (created when there is none).
fn whole_file_fix(before: Option<&str>, text: String, title: &str) -> Fix {
    let edit = match before {
        None => FileEdit::create(crate::config::FILE_NAME, text),
        Some(b) => FileEdit::edit(crate::config::FILE_NAME, vec![TextEdit { range: TextRange::new(0, b.len() as u32), new_text: text }]),
    };
    Fix { title: title.to_string(), kind: FixKind::Refactor, preferred: false, edits: vec![edit] }
}

fn names(targets: &[Target]) -> String {
    targets.iter().map(|t| format!("`{}`", t.name)).collect::<Vec<_>>().join(", ")
}

/// `value` (of `doc`) where a write sets `field` to `expr`: `doc.field` becomes `(expr)`, any other
/// `doc.x` the write's own `x` (`None` when it writes no `x`).
fn substitute(value: &str, field: &str, expr: &str, object: &crate::model::body::WrittenObject, text: &str) -> Option<String> {
    let mut out = value.to_string();
    for source in codegen::doc_reads(value) {
        let with = if source == field {
            format!("({expr})")
        } else {
            let written = object.field(&source)?;
            format!("({})", text.get(written.value_range.as_usize_range())?)
        };
        out = out.replace(&format!("doc.{source}"), &with).replace(&format!("doc?.{source}"), &with);
    }
    Some(out)
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
        edits: vec![FileEdit::edit(file.path.clone(), vec![TextEdit { range: TextRange::empty(end), new_text: format!("\n{line}") }])],
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

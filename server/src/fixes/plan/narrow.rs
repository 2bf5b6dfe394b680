//! `plan narrow T.f --map 'old=new'`: a union of literals loses members in place. Deploy 1 keeps
//! the old values accepted, stops the app writing them, and adds a migration that maps each
//! removed value to a kept one (with its verify and test); between the deploys the migration runs
//! and `verify --without` records that no document holds a removed value, which is what makes
//! `narrowed-type` a note; deploy 2 narrows the union and removes the migration code.

use super::steps::{self, base_name, ledger_evidence, place};
use super::{at, merge, Need, Phase, Step, StepKind, RANK_RESTORE};
use crate::analysis::backfill::Goal;
use crate::analysis::state::MigrationState;
use crate::analysis::Workspace;
use crate::fixes::{codegen, edits, FileEdit, Fix, FixKind, TextEdit};
use crate::model::body::{TableRef, WrittenValue};
use crate::model::validator::{Literal, Validator};
use crate::project::{Loc, Project, TableField};

/// The literals of a union (see [`Validator::literals`]).
pub fn literals(validator: &Validator) -> Option<Vec<Literal>> {
    validator.literals()
}

/// The value a `--map` side names, among `choices`: `guest`, `"guest"`, `3`, `true`.
fn literal_named(name: &str, choices: &[Literal]) -> Option<Literal> {
    let name = name.trim();
    choices.iter().find(|l| l.to_string() == name || matches!(l, Literal::String(s) if s == name)).cloned()
}

/// The removed values as the ledger records them (`without`).
pub fn ledger_values(removed: &[Literal]) -> Vec<serde_json::Value> {
    removed.iter().map(Literal::json).collect()
}

pub(super) fn steps(
    ws: &Workspace,
    table: &str,
    field: &str,
    map: &[(String, String)],
    notes: &mut Vec<String>,
) -> Result<Vec<Step>, String> {
    let working = &ws.working;
    let id = format!("{table}.{field}");
    let base = base_name(ws);
    let t = working.schema.as_ref().and_then(|s| s.table(table)).ok_or_else(|| format!("unknown table `{table}` in the schema"))?;
    let f = t.field(field).ok_or_else(|| format!("unknown field `{field}` of `{table}` in the schema"))?;
    let base_field = ws.base().and_then(|b| b.schema.as_ref()).and_then(|s| s.table(table)).and_then(|bt| bt.field(field));
    let working_literals =
        literals(&f.validator).ok_or_else(|| format!("`{id}` is `{}`, not a union of literals: use `plan retype`", f.validator))?;
    let base_literals = base_field.and_then(|b| literals(&b.validator)).unwrap_or_default();
    let mut all: Vec<Literal> = base_literals.clone();
    all.extend(working_literals.iter().filter(|l| !base_literals.contains(l)).cloned());

    // What goes: the values the working tree already dropped, and the ones `--map` names.
    // A value gone from both sides that the ledger records verified gone: the narrowing is done.
    let gone_verified = |name: &str| {
        let name = name.trim();
        let literal = match name.parse::<f64>() {
            Ok(n) => Literal::Number(n),
            Err(_) => match name {
                "true" => Literal::Boolean(true),
                "false" => Literal::Boolean(false),
                other => Literal::String(other.trim_matches('"').to_string()),
            },
        };
        ws.config.config.is_verified_without(table, field, &ws.deployment, &[literal.json()]).then_some(literal)
    };
    let mut mapping: Vec<(Literal, Literal)> = Vec::new();
    for (from, to) in map {
        let from_l = literal_named(from, &all)
            .or_else(|| gone_verified(from))
            .ok_or_else(|| format!("`{from}` is not a value of `{id}` (its values: {})", list(&all)))?;
        let to_l = literal_named(to, &all).ok_or_else(|| format!("`{to}` is not a value of `{id}` (its values: {})", list(&all)))?;
        mapping.push((from_l, to_l));
    }
    let mut removed: Vec<Literal> = base_literals.iter().filter(|l| !working_literals.contains(l)).cloned().collect();
    for (from, _) in &mapping {
        if !removed.contains(from) {
            removed.push(from.clone());
        }
    }
    if removed.is_empty() {
        return Err(format!("nothing to narrow: name the values that go with --map 'old=new' (the values of `{id}`: {})", list(&all)));
    }
    for (from, to) in &mapping {
        if removed.contains(to) {
            return Err(format!("{from} maps to {to}, which goes too"));
        }
    }
    let target = f.validator.without(&removed);
    let state = MigrationState::for_goal(ws, table, field, Goal::Fill).ok_or("cannot read the field's state")?;
    let values = ledger_values(&removed);
    let verified = ws.config.config.is_verified_without(table, field, &ws.deployment, &values);
    let deployed_narrow = base_field.is_some_and(|b| literals(&b.validator).is_some_and(|bl| bl.iter().all(|l| !removed.contains(l))));
    let working_narrow = working_literals.iter().all(|l| !removed.contains(l));
    let migrations: Vec<&crate::project::Function> =
        working.functions.iter().filter(|func| maps(func, table, field, &removed)).map(|f| &**f).collect();
    let base_migrations: Vec<&crate::project::Function> =
        ws.base().map(|b| b.functions.iter().filter(|func| maps(func, table, field, &removed)).map(|f| &**f).collect()).unwrap_or_default();
    let verify_fns: Vec<&crate::project::Function> =
        working.verifies(table, field).into_iter().filter(|v| checks_values(working, v, &removed)).collect();
    let base_verifies: Vec<&crate::project::Function> =
        ws.base().map(|b| b.verifies(table, field).into_iter().filter(|v| checks_values(b, v, &removed)).collect()).unwrap_or_default();
    // A mapping is needed until the migration is written (or the data known clean).
    if !verified && !deployed_narrow && migrations.is_empty() && base_migrations.is_empty() {
        if let Some(r) = removed.iter().find(|r| !mapping.iter().any(|(from, _)| from == *r)) {
            return Err(format!("{r} has no new value: add --map '{}=…' (a value of {})", plain(r), list(&kept(&all, &removed))));
        }
    }
    if deployed_narrow && working_narrow && migrations.is_empty() && verify_fns.is_empty() {
        notes.push(format!(
            "`{id}` accepts none of {} in {base} nor in the working tree, and no migration code is left: nothing left to do",
            list(&removed)
        ));
    }
    let history = |what: &str| deployed_narrow.then(|| vec![format!("`{id}` accepts none of {} in {base}: {what}", list(&removed))]);
    let migrated = |what: &str| {
        history(what).or_else(|| verified.then(|| vec![format!("the ledger records none of {} left on {}", list(&removed), ws.deployment)]))
    };
    let mut out = Vec::new();

    // 1. Old values stay accepted until no document holds one.
    let mut widen =
        Step::of(&id, "widen", StepKind::Edit, Phase::before(1), format!("Keep accepting {} until no document holds them", list(&removed)));
    if let Some(evidence) = history("the data was migrated") {
        widen = widen.done_because(true, evidence);
    } else if !working_narrow {
        widen = widen.done_because(true, [format!("`{field}` still accepts them ({})", at(working, f.loc))]);
    } else if verified {
        widen = widen.done_because(true, ledger_evidence(ws, &state));
    } else {
        widen = restore(ws, &id, f, base_field, &removed);
    }
    out.push(widen);

    // 2. The app stops writing removed values (each replaced by the value it maps to).
    let writes: Vec<(Loc, &crate::model::body::WrittenField)> = working
        .functions
        .iter()
        .filter(|func| !migrations.iter().any(|m| m.reference == func.reference))
        .flat_map(|func| func.writes.iter())
        .filter(|w| w.item.table == TableRef::Name(table.to_string()))
        .filter_map(|w| Some((Loc { file: w.file, range: w.item.method_range }, w.item.object.as_ref()?.field(field)?)))
        .filter(|(_, wf)| matches!(&wf.value, WrittenValue::Literal(l) if removed.contains(l)))
        .collect();
    // A function that writes its own argument to the field, where the argument's validator still
    // accepts a removed value: the app can still write it (and the narrowed schema rejects that
    // write, and the insert stops type-checking). Which value it should take instead is the app's.
    let passed_on: Vec<(Loc, String, &crate::project::Function)> = working
        .functions
        .iter()
        .filter(|func| !migrations.iter().any(|m| m.reference == func.reference))
        .flat_map(|func| func.writes.iter().map(move |w| (func, w)))
        .filter(|(_, w)| w.item.table == TableRef::Name(table.to_string()))
        .filter_map(|(func, w)| {
            let wf = w.item.object.as_ref()?.field(field)?;
            let arg = argument_written(&working.file(w.file).text, wf)?;
            let (_, validator) = func.args.as_ref()?.iter().find(|(name, _)| *name == arg)?;
            let accepts = validator.required().literals()?;
            removed.iter().any(|r| accepts.contains(r)).then(|| (Loc { file: w.file, range: w.item.method_range }, arg, &**func))
        })
        .collect();
    let mut stop = Step::of(&id, "stop-writes", StepKind::Edit, Phase::before(1), format!("App code stops writing {}", list(&removed)));
    if !passed_on.is_empty() {
        stop.missing = passed_on
            .iter()
            .map(|(l, arg, func)| {
                format!(
                    "`{}` writes its argument `{arg}` at {}, and the argument still accepts {}",
                    func.reference,
                    at(working, *l),
                    list(&removed)
                )
            })
            .collect();
        stop.manual = Some(format!(
            "what the app takes instead of {} is a decision in its code: narrow the argument's validator (or map the value before writing it)",
            list(&removed)
        ));
    } else if writes.is_empty() {
        stop = stop.done_because(true, [format!("no function writes {} to `{id}`", list(&removed))]);
    } else {
        stop.missing = writes.iter().map(|(l, _)| format!("writes a removed value at {}", at(working, *l))).collect();
        let fixes: Vec<Fix> = writes
            .iter()
            .filter_map(|(loc, wf)| {
                let WrittenValue::Literal(l) = &wf.value else { return None };
                let to = &mapping.iter().find(|(from, _)| from == l)?.1;
                let path = working.path(loc.file);
                Some(Fix {
                    title: String::new(),
                    kind: FixKind::Refactor,
                    preferred: false,
                    edits: vec![FileEdit::edit(path, vec![TextEdit { range: wf.value_range, new_text: to.to_string() }])],
                })
            })
            .collect();
        stop.with_fix(merge(fixes, &format!("Write the new values instead of {}", list(&removed))));
    }
    out.push(stop);

    // 3. The mapping migration.
    let mut migration =
        Step::of(&id, "migration", StepKind::Edit, Phase::before(1), format!("Add a migration that maps {}", list(&removed)));
    if !migrations.is_empty() || !base_migrations.is_empty() {
        let evidence = migrations.iter().chain(base_migrations.iter()).map(|m| format!("`{}` maps them ({})", m.reference, m_place(ws, m)));
        migration = migration.done_because(true, evidence);
    } else if let Some(evidence) = migrated("nothing is left to map") {
        migration = migration.done_because(true, evidence);
    } else {
        migration.missing.push(format!("no function goes over `{table}` and rewrites {}", list(&removed)));
        let pairs: Vec<(Literal, Literal)> = removed.iter().filter_map(|r| mapping.iter().find(|(from, _)| from == r).cloned()).collect();
        migration.with_fix(codegen::map_backfill(working, t, field, &pairs));
    }
    out.push(migration);

    // 4. The verify function.
    let mut verify_fn =
        Step::of(&id, "verify-function", StepKind::Edit, Phase::before(1), format!("Add a verify function counting {}", list(&removed)));
    if !verify_fns.is_empty() {
        verify_fn = verify_fn.done_because(true, verify_fns.iter().map(|v| format!("`{}` ({})", v.reference, m_place(ws, v))));
    } else if let Some(evidence) = migrated("nothing is left to verify") {
        verify_fn = verify_fn.done_because(true, evidence);
    } else {
        verify_fn.missing.push(format!("no query counts the documents of `{table}` holding {}", list(&removed)));
        verify_fn.with_fix(codegen::map_verify(working, t, field, &removed));
    }
    out.push(verify_fn);

    // 5. The test.
    let mut test =
        Step::of(&id, "test", StepKind::Edit, Phase::before(1), format!("Test the migration of `{id}` on sample data (convex-test)"));
    let tests: Vec<crate::analysis::state::TestCall> =
        migrations.iter().flat_map(|m| crate::analysis::state::tests_calling(working, m)).collect();
    if let Some(evidence) = migrated("the migration is history") {
        test = test.done_because(true, evidence);
    } else if !tests.is_empty() {
        test = test.done_because(true, tests.iter().map(|c| format!("{} calls `{}`", c.path, c.function)));
    } else if let Some(m) = migrations.first() {
        test.missing.push(format!("no test file imports the generated api and calls `{}`", m.reference));
        let pairs: Vec<(Literal, Literal)> = mapping.iter().filter(|(from, _)| removed.contains(from)).cloned().collect();
        test.with_fix(crate::fixes::testgen::mapping_test(working, t, field, m, verify_fns.first().copied(), &pairs, target.required()));
        if test.fix.is_none() {
            test.manual = Some(format!("no test can be generated for `{}`: write one with convex-test", m.reference));
        }
    } else {
        test.blocked = Some("the migration is not written yet".into());
    }
    out.push(test);

    // 6. Deploy 1.
    let deployed_migration = base_migrations.first();
    let deployed_verify = base_verifies.first();
    let needs = vec![
        Need {
            what: format!("`{id}` accepting {}", list(&removed)),
            met: base_field.is_some_and(|b| literals(&b.validator).is_some_and(|bl| removed.iter().all(|r| bl.contains(r))))
                || deployed_narrow,
        },
        Need {
            what: deployed_migration
                .map_or(format!("a migration mapping {}", list(&removed)), |m| format!("the migration `{}`", m.reference)),
            met: deployed_migration.is_some() || deployed_narrow,
        },
        Need {
            what: deployed_verify
                .or(verify_fns.first())
                .map_or("a verify function counting them".to_string(), |v| format!("the verify function `{}`", v.reference)),
            met: deployed_verify.is_some() || deployed_narrow,
        },
    ];
    out.push(steps::deploy(ws, 1, "Deploy the migration and its verify (the union still wide)", needs));

    // 7–8. Run and verify.
    let recorded = (verified || deployed_narrow).then(|| {
        let mut evidence = ledger_evidence(ws, &state);
        evidence.retain(|_| verified);
        if verified {
            evidence.push(format!("the ledger records none of {} left", list(&removed)));
        }
        if deployed_narrow {
            evidence.push(format!("`{id}` accepts none of them in {base}: Convex checked every document at that deploy"));
        }
        evidence
    });
    let mut run =
        Step::of(&id, "run", StepKind::Run, Phase::after(1), format!("Run the migration of `{id}` to completion on {}", ws.deployment));
    if let Some(evidence) = recorded.clone() {
        run = run.done_because(true, evidence);
    } else {
        run.missing.push("no record that it ran to completion: the verify step records it".into());
        match deployed_migration {
            None => run.blocked = Some("the migration is not deployed yet".into()),
            Some(m) => match crate::analysis::command::run_of(m) {
                Ok(command) => run.commands.push(super::Command::run(ws, command)),
                Err(why) => run.manual = Some(why),
            },
        }
    }
    out.push(run);
    let without_arg = removed.iter().map(plain).collect::<Vec<_>>().join(",");
    let mut verify =
        steps::verify(ws, &id, Phase::after(1), format!("Verify that no document holds {}", list(&removed)), &state, recorded, None);
    if let Some(command) = verify.commands.first_mut() {
        command.argv.extend(["--without".to_string(), without_arg]);
    }
    if deployed_verify.is_none() && !verify.done {
        verify.blocked = Some("the verify function is not deployed yet".into());
    } else if !verify.done {
        verify.blocked = None;
    }
    out.push(verify);

    // 9. Narrow, with the migration code (which compares with the removed values) removed.
    let mut narrow = Step::of(
        &id,
        "narrow",
        StepKind::Edit,
        Phase::before(2),
        format!("Narrow `{field}` to `{}` (the migration code goes with it)", target.required()),
    );
    let mut leftover: Vec<&crate::project::Function> = migrations.clone();
    for v in &verify_fns {
        leftover.push(v);
        if let Some(page) = working.functions.iter().find(|p| p.file == v.file && p.name == format!("{}Page", v.name)) {
            leftover.push(page);
        }
    }
    let leftover_tests: Vec<crate::analysis::state::TestCall> =
        leftover.iter().flat_map(|f| crate::analysis::state::tests_calling(working, f)).collect();
    if working_narrow && !(verified || deployed_narrow) {
        narrow.blocked = Some("the working tree narrows too early: the first step accepts the old values again".into());
    } else if working_narrow {
        narrow = narrow.done_because(true, [format!("`{field}` accepts none of {} ({})", list(&removed), at(working, f.loc))]);
    } else if !verified {
        narrow.blocked = Some(format!("only once the ledger records none of {} left on {}", list(&removed), ws.deployment));
    } else {
        let mut named = Vec::new();
        let removal = steps::remove_code(working, &leftover, &leftover_tests, &mut named);
        narrow.missing.extend(named);
        let narrowing = replace_validator(working, f, &target, format!("Narrow `{field}`"));
        narrow.with_fix(merge(narrowing.into_iter().chain(removal).collect(), &format!("Narrow `{field}` and remove its migration code")));
    }
    out.push(narrow);
    let mut cleanup = Step::of(
        &id,
        "cleanup",
        StepKind::Cleanup,
        Phase::before(2),
        format!("Remove the migration code of `{id}` (migration, verify, their tests)"),
    );
    if leftover.is_empty() && leftover_tests.is_empty() {
        cleanup = cleanup.done_because(true, ["no migration code or test of it is left in the working tree".to_string()]);
    } else if verified || deployed_narrow {
        cleanup.missing = leftover.iter().map(|f| format!("`{}` is still in {}", f.reference, working.path(f.file))).collect();
        let mut named = Vec::new();
        cleanup.with_fix(steps::remove_code(working, &leftover, &leftover_tests, &mut named));
        cleanup.missing.extend(named);
    } else {
        cleanup.blocked = Some("only once the migration is verified".into());
    }
    out.push(cleanup);
    out.push(steps::deploy(
        ws,
        2,
        "Deploy the narrowed union",
        vec![Need { what: format!("`{id}` without {}", list(&removed)), met: deployed_narrow }],
    ));
    Ok(out)
}

/// *Restore a deployable state*: the working tree already drops `removed` from `f`, which
/// documents at the base may hold; the edit accepts them again (the base's validator).
pub(super) fn restore(ws: &Workspace, id: &str, f: &TableField, base_field: Option<&TableField>, removed: &[Literal]) -> Step {
    let mut widen =
        Step::of(id, "widen", StepKind::Edit, Phase::before(1), format!("Restore a deployable state: accept {} again", list(removed)));
    widen.rank = RANK_RESTORE;
    widen.missing.push(format!(
        "the working tree already drops them ({}), but documents in {} may hold them: a deploy would fail",
        at(&ws.working, f.loc),
        base_name(ws)
    ));
    let wide = base_field.map(|b| b.validator.clone()).unwrap_or_else(|| f.validator.clone());
    widen.with_fix(replace_validator(&ws.working, f, &wide, format!("Accept {} again in `{}`", list(removed), f.name)));
    widen
}

/// Whether `function` is a migration of `table.field` that writes a value in place of a removed
/// one: it tests the field against a removed value and writes the field.
fn maps(function: &crate::project::Function, table: &str, field: &str, removed: &[Literal]) -> bool {
    let writes_field = function.writes.iter().any(|w| {
        let on_table = match &w.item.table {
            TableRef::Name(t) => t == table,
            _ => function.migration_table.as_deref() == Some(table),
        };
        on_table
            && w.item
                .object
                .as_ref()
                .is_some_and(|o| o.field(field).is_some_and(|wf| matches!(&wf.value, WrittenValue::Literal(l) if !removed.contains(l))))
    });
    writes_field && crate::analysis::backfill::is_backfill(function, table, field, Goal::Fill)
}

/// Whether a verify function (or its page query) compares with every removed value.
fn checks_values(project: &Project, function: &crate::project::Function, removed: &[Literal]) -> bool {
    let text_of = |f: &crate::project::Function| {
        project.file(f.statement.file).text.get(f.statement.range.as_usize_range()).unwrap_or("").to_string()
    };
    let mut text = text_of(function);
    if let Some(page) = project.functions.iter().find(|p| p.file == function.file && p.name == format!("{}Page", function.name)) {
        text.push_str(&text_of(page));
    }
    removed.iter().all(|r| text.contains(&r.to_string()))
}

fn m_place(ws: &Workspace, f: &crate::project::Function) -> String {
    let r = crate::analysis::state::FunctionRef {
        reference: f.reference.clone(),
        location: crate::analysis::Location::working(ws.working.path(f.file), f.loc.range),
        deployed: false,
    };
    place(ws, &r)
}

/// The field's validator replaced by `validator` (rendered with the file's name for `v`).
fn replace_validator(project: &Project, field: &TableField, validator: &Validator, title: String) -> Option<Fix> {
    if validator.has_unknown() {
        return None;
    }
    let path = project.path(field.value.file);
    let v = project.file(field.value.file).model.v_name.clone().unwrap_or_else(|| "v".into());
    let text = edits::render_with_v(validator, &v);
    let shorthand = field.value.range == field.loc.range;
    let new_text = if shorthand { format!("{}: {text}", field.name) } else { text };
    Some(Fix {
        title,
        kind: FixKind::Refactor,
        preferred: false,
        edits: vec![FileEdit::edit(path, vec![TextEdit { range: field.value.range, new_text }])],
    })
}

fn list(values: &[Literal]) -> String {
    values.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

fn plain(l: &Literal) -> String {
    match l {
        Literal::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn kept(all: &[Literal], removed: &[Literal]) -> Vec<Literal> {
    all.iter().filter(|l| !removed.contains(l)).cloned().collect()
}

/// The argument a written value is, when it is one as written (`args.role`, or `role` from a
/// destructured `{ role }`): its name.
fn argument_written(text: &str, wf: &crate::model::body::WrittenField) -> Option<String> {
    let value = text.get(wf.value_range.as_usize_range())?.trim();
    let ident = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    match value.split_once('.') {
        Some((object, name)) if ident(object) && ident(name) => Some(name.to_string()),
        None if ident(value) => Some(value.to_string()),
        _ => None,
    }
}

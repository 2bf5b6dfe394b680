//! `backfill-unverified`: a field becomes required (or is removed) with a deployed backfill that
//! nobody has recorded as verified.

use crate::analysis::backfill::Goal;
use crate::analysis::data::{counted, Data, Question};
use crate::analysis::diff::Change;
use crate::config::Severity;
use crate::analysis::state::FunctionRef;
use crate::analysis::{Context, Finding, Recipe, Rule, Side, Subject};

pub const DOC: &str = r#"# backfill-unverified (warning)

## What it does
Flags a field that becomes required (or is removed, or narrows while a migration that rewrites its values is deployed) while a backfill for it is deployed at the base, but the ledger (`verified` in `convex-migrate.json`) does not record that the backfill finished on the deployment checked (`--deployment`, default `prod`; in the editor the `deployment` setting, default `dev`): that no document is left to migrate there. A verification on `dev` does not count for `prod`. The same holds when the base lacks the migration but the base's first-parent history deployed one and deleted it since (searched back `historyDepth` commits, default 300): the finding names that commit.

## Why is this bad?
A deployed backfill is not a finished one. If it has not been run, stopped halfway, or new documents were inserted without the field since, the push fails just the same: ``Object is missing the required field `role` `` (or ``Object contains extra field `isPro` `` for a removed field).

## Example
```ts
// base: role: v.optional(v.string()), and migrations.ts has backfillUsersRole
// working:
role: v.string(),
```

## Fix
Run the backfill (`npx convex run migrations:backfillUsersRole`, add `--prod` for production), then let `convex-migrate verify users.role --prod` check that no document is left and record it (one entry per deployment):
```json
{ "verified": { "users.role": { "deployment": "prod", "at": "2026-11-25T12:00:00Z", "remaining": 0 } } }
```
"#;

/// The finding for a transition whose migration ran from an earlier commit and was deleted since:
/// silent once the ledger records it; else a warning naming the commit (an error when a snapshot
/// shows documents left, a note when it shows none).
fn deleted(
    cx: &Context<'_>,
    change: &Change<'_>,
    historic: &crate::analysis::Historic,
    loc: crate::project::Loc,
    what: &str,
    data: &Data,
    verb: (&str, &str),
) -> Option<Finding> {
    let (table, field) = (&historic.table, &historic.field);
    let name = format!("{table}.{field}");
    if cx.ws.is_verified(table, field) {
        return None;
    }
    let commit = &historic.commit[..historic.commit.len().min(7)];
    let back = historic.commits_back;
    let subject = match (historic.goal, change) {
        (Goal::Unset, _) => Subject::Table { table: table.clone() },
        _ => Subject::Field { table: table.clone(), field: field.clone() },
    };
    let mut finding = Finding::new(
        Rule::BackfillUnverified,
        cx.at(loc),
        subject,
        format!(
            "`{name}` {what}; the migration `{}` was deployed at {commit} ({back} commit(s) before the base) and deleted since, but nothing records that it finished on {}",
            historic.reference, cx.ws.deployment
        ),
    )
    .help(format!(
        "If it ran to completion there, record it: `convex-migrate verify {name} --deployment {}` (with a verify function), `convex-migrate verify {name} --snapshot FILE.zip`, or an entry under `verified` in convex-migrate.json",
        cx.ws.deployment
    ));
    match data {
        Data::Counted { answer, snapshot, .. } if answer.missing.count + answer.rejected.count == 0 => {
            finding.message.push_str(&format!("; {snapshot} shows it finished: {}", counted(0, answer.total, table, verb, &format!("`{field}`"))));
            finding = finding.data(data.facts(&[], Some(Severity::Info)));
        }
        Data::Counted { answer, snapshot, .. } => {
            let left = answer.missing.count + answer.rejected.count;
            finding.message.push_str(&format!("; in {snapshot}, {}: the push will fail", counted(left, answer.total, table, verb, &format!("`{field}`"))));
            finding = finding.data(data.facts(&[&answer.missing, &answer.rejected], Some(Severity::Error)));
        }
        Data::TableMissing { sentence } => finding.message.push_str(&format!(". {sentence}")),
        Data::None => {}
    }
    Some(cx.transition(finding))
}

/// Whether a migration deployed at the base rewrites `table.field` across the table (what makes a
/// narrowing the safe last step of widen → migrate → narrow, once verified).
pub(super) fn rewritten(cx: &Context<'_>, table: &str, field: &str) -> bool {
    let rewrites = |base: &crate::analysis::Revision| {
        base.backfills(table, field, Goal::Fill).iter().any(|f| !keeps_old_value(&base.project, f, field))
    };
    cx.base.is_some_and(rewrites) || cx.ws.historic(table, field, Goal::Fill).is_some()
}

/// Whether every value `function` writes to `field` spreads the field's old value first
/// (`{ ...notifications, general: false }`, `{ ...doc.settings, theme }`): what the narrowing
/// removed from it stays (corpus theanthonybrooks/salconvex), so it is not the migration of the
/// narrowing.
fn keeps_old_value(project: &crate::project::Project, function: &crate::project::Function, field: &str) -> bool {
    let written: Vec<&str> = function
        .writes
        .iter()
        .filter_map(|w| Some((w.file, w.item.object.as_ref()?.field(field)?)))
        .chain(function.returns.iter().filter_map(|r| Some((r.file, r.item.field(field)?))))
        .filter_map(|(file, f)| project.file(file).text.get(f.value_range.as_usize_range()))
        .collect();
    !written.is_empty()
        && written.iter().all(|code| {
            let inner = code.trim().strip_prefix('{').map(str::trim_start);
            inner.and_then(|rest| rest.strip_prefix("...")).is_some_and(|spread| {
                let operand: String = spread.chars().take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '.' | '?')).collect();
                let last = operand.rsplit(['.', '?']).next().unwrap_or(&operand);
                last == field
            })
        })
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(base) = cx.base else { return out };
    for change in &cx.changes {
        let (table, field, loc, goal, what) = match change {
            Change::BecameRequired { table, field, .. } => (*table, field.name.as_str(), field.loc, Goal::Fill, "becomes required"),
            Change::Removed { table, base: field } => (*table, field.name.as_str(), table.loc, Goal::Unset, "is removed"),
            // A narrowing whose values a deployed migration rewrites: the same treatment.
            Change::Narrowed { table, field, .. } if rewritten(cx, &table.name, &field.name) => {
                (*table, field.name.as_str(), field.loc, Goal::Fill, "narrows")
            }
            _ => continue,
        };
        // A field made required has its migration state; a removed one is gone from the working
        // schema, so its unset migrations are looked up at the base.
        let backfill = match goal {
            Goal::Fill => cx.state(&table.name, field).and_then(|s| s.backfills.into_iter().find(|b| b.deployed)),
            Goal::Unset => base.backfills(&table.name, field, goal).first().map(|b| FunctionRef {
                reference: b.reference.clone(),
                location: match cx.working.functions.iter().find(|f| f.reference == b.reference) {
                    Some(now) => cx.at(now.loc),
                    None => cx.at_base(b.loc).unwrap_or_else(|| cx.at(b.loc)),
                },
                deployed: true,
            }),
        };
        let data = Data::of(cx.ws, &Question::of_change(change));
        let verb = match goal {
            Goal::Fill => ("lacks", "lack"),
            Goal::Unset => ("holds", "hold"),
        };
        let Some(backfill) = backfill else {
            // Deleted since it ran: the history holds it.
            if let Some(historic) = cx.ws.historic(&table.name, field, goal) {
                if let Some(finding) = deleted(cx, change, historic, loc, what, &data, verb) {
                    out.push(finding);
                }
            }
            continue;
        };
        let left = |answer: &crate::analysis::data::Answer| answer.missing.count + answer.rejected.count;
        let name = format!("{}.{field}", table.name);
        let verified = cx.ws.is_verified(&table.name, field);
        // The ledger says done, the data says otherwise: documents written since lack it.
        if let (true, Data::Counted { answer, snapshot, .. }) = (verified, &data) {
            if left(answer) > 0 {
                let subject = match goal {
                    Goal::Fill => Subject::Field { table: table.name.clone(), field: field.to_string() },
                    Goal::Unset => Subject::Table { table: table.name.clone() },
                };
                let finding = Finding::new(
                    Rule::BackfillUnverified,
                    cx.at(loc),
                    subject,
                    format!(
                        "`{name}` {what} and is recorded verified in convex-migrate.json, but in {snapshot} {}: documents written since the verification, or the verification was wrong; the push will fail",
                        counted(left(answer), answer.total, &table.name, verb, &format!("`{field}`"))
                    ),
                )
                .help(format!("Run the backfill again, make every write keep `{field}` right, then verify again"))
                .data(data.facts(&[&answer.missing, &answer.rejected], Some(if cx.validation_off() { Severity::Warning } else { Severity::Error })));
                out.push(cx.transition(finding));
            }
            continue;
        }
        if verified {
            continue;
        }
        let consequence = match (goal, change) {
            (_, Change::Narrowed { .. }) => {
                "if any document still holds a value the new validator rejects, the push will fail with `Value does not match validator`".to_string()
            }
            (Goal::Fill, _) => format!("if any document still lacks `{field}`, the push will fail with `Object is missing the required field `{field}``"),
            (Goal::Unset, _) => format!("if any document still holds `{field}`, the push will fail with `Object contains extra field `{field}` that is not in the validator`"),
        };
        let subject = match goal {
            Goal::Fill => Subject::Field { table: table.name.clone(), field: field.to_string() },
            // The field is gone from the working schema: the finding is about its table there.
            Goal::Unset => Subject::Table { table: table.name.clone() },
        };
        let mut finding = Finding::new(
            Rule::BackfillUnverified,
            cx.at(loc),
            subject,
            format!("`{name}` {what}; the backfill `{}` is deployed but not verified: {consequence}", backfill.reference),
        )
        .help(format!(
            "Run `npx convex run {}` (add `--prod` for production), then `convex-migrate verify {name} --deployment {}` checks that no document is left and records it",
            backfill.reference, cx.ws.deployment
        ));
        // Point at the backfill as the working tree has it, else as it was deployed.
        let note = match backfill.location.side {
            Side::Working => "the deployed backfill",
            Side::Base => "the deployed backfill (at the base)",
        };
        finding = finding.related(backfill.location, note);
        match &data {
            Data::Counted { answer, snapshot, .. } if left(answer) == 0 => {
                finding.message = format!(
                    "`{name}` {what}; the backfill `{}` is deployed and {snapshot} shows it finished: {}",
                    backfill.reference,
                    counted(0, answer.total, &table.name, verb, &format!("`{field}`"))
                );
                finding.help = Some(format!("Record it in the ledger: `convex-migrate verify {name} --snapshot FILE.zip` (with the snapshot's file)"));
                finding = finding.data(data.facts(&[], Some(Severity::Info)));
            }
            Data::Counted { answer, snapshot, .. } => {
                finding.message = format!(
                    "`{name}` {what}; the backfill `{}` is deployed but has not finished: in {snapshot}, {}: the push will fail with `{}`",
                    backfill.reference,
                    counted(left(answer), answer.total, &table.name, verb, &format!("`{field}`")),
                    match goal {
                        Goal::Fill => format!("Object is missing the required field `{field}`"),
                        Goal::Unset => format!("Object contains extra field `{field}` that is not in the validator"),
                    }
                );
                let severity = if cx.validation_off() { Severity::Warning } else { Severity::Error };
                finding = finding.data(data.facts(&[&answer.missing, &answer.rejected], Some(severity)));
            }
            Data::TableMissing { sentence } => finding.message.push_str(&format!(". {sentence}")),
            Data::None => {}
        }
        out.push(finding);
    }
    out
}

/// For a field made required: make it optional again, write a verify.
pub fn fixes(finding: &Finding, _: &Context<'_>) -> Vec<Recipe> {
    let Subject::Field { table, field } = &finding.subject else { return Vec::new() };
    vec![
        Recipe::MakeOptional { table: table.clone(), field: field.clone() },
        Recipe::GenerateVerify { table: table.clone(), field: field.clone(), goal: Goal::Fill },
    ]
}

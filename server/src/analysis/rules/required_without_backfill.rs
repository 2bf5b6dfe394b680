//! `required-without-backfill`: a field becomes required with no deployed backfill.

use crate::analysis::backfill::Goal;
use crate::analysis::data::{counted, Data, Question};
use crate::analysis::diff::Change;
use crate::config::Severity;
use crate::analysis::state::CheckKind;
use crate::analysis::{Context, Finding, Recipe, Rule, Subject};

pub const DOC: &str = r#"# required-without-backfill (error)

## What it does
Flags a field of an existing table that becomes required (it was absent or `v.optional` at the base) while no backfill for it exists at the base, that is, in what is deployed.

## Why is this bad?
Convex checks every stored document against the new schema when it is pushed. Documents written before the change lack the field, so `npx convex deploy` fails with ``Object is missing the required field `role`. Consider wrapping the field validator in `v.optional(...)` ``. A backfill written in the same change cannot help: it is deployed together with the schema, so it cannot run before the schema is checked.

## Example
```ts
// base:    role: v.optional(v.union(v.literal("admin"), v.literal("member"))),
// working:
role: v.union(v.literal("admin"), v.literal("member")),
```

## Fix
Widen, migrate, narrow, over two deploys:
1. Keep the field `v.optional(...)`, make every insert write it, and add a backfill (a mutation that pages through the table with a cursor and patches the field). Deploy.
2. Run the backfill (`npx convex run migrations:backfillUsersRole`) and verify no document lacks the field.
3. Make the field required. Deploy. Remove the backfill.
"#;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if cx.base.is_none() {
        return out;
    }
    for change in &cx.changes {
        let Change::BecameRequired { table, field, base: base_field } = change else { continue };
        let Some(state) = cx.state(&table.name, &field.name) else { continue };
        // Deployed, or deployed earlier and deleted since: `backfill-unverified` speaks then.
        if state.check(CheckKind::BackfillDeployed) || cx.ws.historic(&table.name, &field.name, crate::analysis::backfill::Goal::Fill).is_some() {
            continue;
        }
        let name = format!("{}.{}", table.name, field.name);
        let before = match base_field {
            None => "is new and required",
            Some(_) => "becomes required",
        };
        let mut finding = Finding::new(
            Rule::RequiredWithoutBackfill,
            cx.at(field.loc),
            Subject::Field { table: table.name.clone(), field: field.name.clone() },
            format!(
                "`{name}` {before}, but no backfill for it is deployed: the push will fail with `Object is missing the required field `{}`` on every document written before",
                field.name
            ),
        );
        if let Some(backfill) = state.backfills.first() {
            finding.message.push_str(&format!(
                ". The backfill `{}` exists only in the working tree: it cannot run before this schema is pushed",
                backfill.reference
            ));
            finding = finding.related(backfill.location.clone(), "backfill, not yet deployed");
        }
        let mut finding = finding
            .help(format!("Make it `v.optional(...)` first, deploy a backfill, run and verify it, then make `{}` required", field.name));
        // What the data says: the documents that lack the field (or hold a value it rejects).
        let data = Data::of(cx.ws, &Question::of_change(change));
        match &data {
            Data::Counted { answer, snapshot, .. } if answer.missing.count + answer.rejected.count == 0 => {
                finding.message = format!(
                    "`{name}` {before} and no backfill for it is deployed, but {} in {snapshot}: the push will pass on that data (a document inserted since without `{}` would still fail it)",
                    counted(0, answer.total, &table.name, ("lacks", "lack"), &format!("`{}`", field.name)),
                    field.name
                );
                finding = finding.data(data.facts(&[], Some(Severity::Info)));
            }
            Data::Counted { answer, snapshot, .. } => {
                finding.message.push_str(&format!(
                    ". In {snapshot}, {}",
                    counted(answer.missing.count, answer.total, &table.name, ("lacks", "lack"), &format!("`{}`", field.name))
                ));
                if answer.rejected.count > 0 {
                    let rejects = format!("a value `{}` rejects", field.validator.required());
                    let holds = counted(answer.rejected.count, answer.total, &table.name, ("holds", "hold"), &rejects);
                    finding.message.push_str(&format!(", and {holds}"));
                }
                finding = finding.data(data.facts(&[&answer.missing, &answer.rejected], None));
            }
            Data::TableMissing { sentence } => finding.message.push_str(&format!(". {sentence}")),
            Data::None => {}
        }
        out.push(cx.transition(finding));
    }
    out
}

/// Make it optional first; write the backfill and the verify.
pub fn fixes(finding: &Finding, _: &Context<'_>) -> Vec<Recipe> {
    let Subject::Field { table, field } = &finding.subject else { return Vec::new() };
    let (table, field) = (table.clone(), field.clone());
    vec![
        Recipe::MakeOptional { table: table.clone(), field: field.clone() },
        Recipe::GenerateBackfill { table: table.clone(), field: field.clone(), goal: Goal::Fill },
        Recipe::GenerateVerify { table, field, goal: Goal::Fill },
    ]
}

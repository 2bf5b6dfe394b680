//! `removed-field`: a field leaves a table while documents may still hold it.

use crate::analysis::backfill::Goal;
use crate::analysis::data::{counted, Data, Question};
use crate::analysis::diff::Change;
use crate::config::Severity;
use crate::analysis::{Context, Finding, Recipe, Rule, Subject};

pub const DOC: &str = r#"# removed-field (error)

## What it does
Flags a field of an existing table that is removed from the schema while no migration that unsets it (`ctx.db.patch(doc._id, { field: undefined })` over the table) exists at the base.

## Why is this bad?
Documents written before still hold the field. When the schema is pushed, Convex rejects them: ``Object contains extra field `isPro` that is not in the validator.`` The deploy fails.

## Example
```ts
// base:    isPro: v.optional(v.boolean()),
// working: (field deleted)
users: defineTable({ name: v.string() }),
```

## Fix
1. Put the field back as `v.optional(...)` (mark it deprecated), stop writing it, and deploy a migration that patches `isPro: undefined` on every document.
2. Run it and verify that no document holds the field.
3. Remove the field. Deploy. Remove the migration.
"#;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(base) = cx.base else { return out };
    for change in &cx.changes {
        let Change::Removed { table, base: field } = change else { continue };
        if !base.backfills(&table.name, &field.name, Goal::Unset).is_empty() || cx.ws.historic(&table.name, &field.name, Goal::Unset).is_some() {
            continue;
        }
        let name = format!("{}.{}", table.name, field.name);
        let mut finding = Finding::new(
            Rule::RemovedField,
            cx.at(table.loc),
            Subject::Field { table: table.name.clone(), field: field.name.clone() },
            format!(
                "`{name}` is removed from the schema, but no migration that unsets it is deployed: if any document still holds `{}`, the push will fail with `Object contains extra field `{}` that is not in the validator`",
                field.name, field.name
            ),
        )
        .help(format!(
            "Put `{}: v.optional({})` back, deploy a migration that patches `{}: undefined` on every document, run and verify it, then remove the field",
            field.name,
            field.validator.required(),
            field.name
        ));
        let data = Data::of(cx.ws, &Question::of_change(change));
        let holds = format!("`{}`", field.name);
        match &data {
            Data::Counted { answer, snapshot, .. } if answer.rejected.count == 0 => {
                finding.message = format!(
                    "`{name}` is removed from the schema and no migration that unsets it is deployed, but {} in {snapshot}: the push will pass on that data (a document written since with `{}` would still fail it)",
                    counted(0, answer.total, &table.name, ("holds", "hold"), &holds),
                    field.name
                );
                finding = finding.data(data.facts(&[], Some(Severity::Info)));
            }
            Data::Counted { answer, snapshot, .. } => {
                finding.message.push_str(&format!(
                    ". In {snapshot}, {}",
                    counted(answer.rejected.count, answer.total, &table.name, ("holds", "hold"), &holds)
                ));
                finding = finding.data(data.facts(&[&answer.rejected], None));
            }
            Data::TableMissing { sentence } => finding.message.push_str(&format!(". {sentence}")),
            Data::None => {}
        }
        out.push(cx.transition(finding));
    }
    out
}

/// Put the field back as optional, marked deprecated.
pub fn fixes(finding: &Finding, _: &Context<'_>) -> Vec<Recipe> {
    let Subject::Field { table, field } = &finding.subject else { return Vec::new() };
    vec![Recipe::RestoreOptional { table: table.clone(), field: field.clone() }]
}

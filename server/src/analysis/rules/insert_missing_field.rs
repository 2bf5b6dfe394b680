//! `insert-missing-field`: an insert omits a required field, or a field being migrated.

use std::collections::HashSet;

use crate::analysis::backfill::Goal;
use crate::analysis::{Context, Finding, Recipe, Rule, Subject};
use crate::config::Severity;
use crate::model::body::{TableRef, WriteOp};
use crate::model::validator::Validator;
use crate::project::Loc;

pub const DOC: &str = r#"# insert-missing-field (error / warning)

## What it does
Flags an insert (an object literal without spreads, into a table whose shape is fully known) that omits a required field (error), or omits a field that is being migrated: optional now and the target of a backfill, here or deployed (warning). A new optional field that some inserts write and others omit is just optional: nothing says it will become required.

## Why is this bad?
An insert without a required field fails at run time (``Object is missing the required field `role` ``). An insert without a migrating field keeps creating documents the backfill must fix: the backfill never finishes, and the field can never be made required.

## Example
```ts
// schema: role: v.optional(v.union(v.literal("admin"), v.literal("member"))), being backfilled
await ctx.db.insert("users", { name });
```

## Fix
Write the field in every insert (the quick fix adds it with the backfill's default value).
"#;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(schema) = cx.working.schema.as_ref() else { return out };
    let mut seen: HashSet<(Loc, String)> = HashSet::new();
    for function in &cx.working.functions {
        if function.kind == crate::project::FunctionKind::Migration {
            continue;
        }
        for write in function.writes.iter().filter(|w| w.item.op == WriteOp::Insert) {
            let (TableRef::Name(table), Some(object)) = (&write.item.table, &write.item.object) else { continue };
            let Some(table) = schema.table(table).filter(|t| t.is_fully_known()) else { continue };
            if object.open {
                continue;
            }
            for field in &table.fields {
                if object.field(&field.name).is_some() || matches!(field.validator, Validator::Unknown | Validator::Ref(_)) {
                    continue;
                }
                let loc = Loc { file: write.file, range: write.item.method_range };
                let required = !field.validator.is_optional();
                // Being migrated: a backfill targets it (the field is on its way to required). A new
                // optional field some inserts write and others omit is just optional.
                let migrating = !required && {
                    !cx.working.backfills(&table.name, &field.name, Goal::Fill).is_empty()
                        || cx.base.is_some_and(|b| !b.backfills(&table.name, &field.name, Goal::Fill).is_empty())
                };
                if !(required || migrating) || !seen.insert((loc, field.name.clone())) {
                    continue;
                }
                let subject = Subject::Write { table: table.name.clone(), field: Some(field.name.clone()) };
                let mut finding = if required {
                    Finding::new(
                        Rule::InsertMissingField,
                        cx.at(loc),
                        subject,
                        cx.write_message(
                            format!("this insert into `{}` omits the required field `{}`", table.name, field.name),
                            &format!("it fails at run time with `Object is missing the required field `{}``", field.name),
                            "the document lacks a field the schema requires",
                        ),
                    )
                } else {
                    Finding::new(
                        Rule::InsertMissingField,
                        cx.at(loc),
                        subject,
                        format!(
                            "this insert into `{}` omits `{}`, which is being migrated: new documents keep arriving without it, so the backfill never finishes and `{}` can never be made required",
                            table.name, field.name, field.name
                        ),
                    )
                };
                if required {
                    finding = cx.write_severity(finding.reported_by_typescript());
                } else {
                    finding.severity = Severity::Warning;
                }
                out.push(finding.help(format!("Write `{}` in this insert", field.name)));
            }
        }
    }
    out
}

/// Add the field to the insert, with the value a backfill would write.
pub fn fixes(finding: &Finding, _: &Context<'_>) -> Vec<Recipe> {
    let Subject::Write { table, field: Some(field) } = &finding.subject else { return Vec::new() };
    vec![Recipe::AddFieldToInsert {
        path: finding.location.path.clone(),
        write: finding.location.range,
        table: table.clone(),
        field: field.clone(),
    }]
}

//! `invalid-value`: a write sets a field to a value its working-tree validator rejects.

use std::collections::HashSet;

use crate::analysis::compat::accepts_written;
use crate::analysis::{Context, Finding, Recipe, Rule, Subject};
use crate::model::body::{TableRef, WriteOp, WrittenValue};
use crate::project::Loc;

pub const DOC: &str = r#"# invalid-value (error)

## What it does
Flags a write (insert, patch, replace, or a `migrateOne`'s returned patch) that sets a field to a value its validator in the working schema statically rejects: a literal outside a union, the wrong primitive, `null` where the field is not nullable, or `undefined` for a required field.

## Why is this bad?
Convex validates every write against the schema: the mutation fails at run time with `Value does not match validator`. In a backfill the whole batch fails. `patch(id, { field: undefined })` removes the field; TypeScript accepts it (patch values admit `undefined`), but on a required field the write fails — typically app code that still unsets a field that just became required.

## Example
```ts
// schema: role: v.union(v.literal("admin"), v.literal("member"))
await ctx.db.patch(user._id, { role: "owner" });
await ctx.db.patch(user._id, { role: undefined });
```

## Fix
Write a value the validator accepts (the quick fix offers the first literal of a union), or widen the validator first.
"#;

/// What is wrong with a value, in words.
fn describe(value: &WrittenValue) -> String {
    match value {
        WrittenValue::Undefined => "`undefined` (which removes it)".into(),
        WrittenValue::Null => "`null`".into(),
        WrittenValue::Literal(l) => format!("`{l}`"),
        WrittenValue::Object => "an object".into(),
        WrittenValue::Array => "an array".into(),
        WrittenValue::Other => "this value".into(),
    }
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(schema) = cx.working.schema.as_ref() else { return out };
    let mut seen: HashSet<(Loc, String)> = HashSet::new();
    for function in &cx.working.functions {
        let returns =
            function.returns.iter().map(|r| (r.file, WriteOp::Patch, function.migration_table.clone().map(TableRef::Name), &r.item));
        let writes = function.writes.iter().filter_map(|w| Some((w.file, w.item.op, Some(w.item.table.clone()), w.item.object.as_ref()?)));
        let returns = returns.filter(|_| function.kind == crate::project::FunctionKind::Migration);
        for (file, op, table, object) in writes.chain(returns) {
            let Some(TableRef::Name(table)) = table else { continue };
            let Some(table) = schema.table(&table) else { continue };
            for written in &object.fields {
                let Some(field) = table.field(&written.name) else { continue };
                if accepts_written(&field.validator, &written.value) != Some(false) {
                    continue;
                }
                let loc = Loc { file, range: written.range };
                if !seen.insert((loc, written.name.clone())) {
                    continue;
                }
                let what = match (op, &written.value) {
                    (WriteOp::Patch, WrittenValue::Undefined) => "this patch removes it",
                    _ => "the write fails",
                };
                let finding = Finding::new(
                    Rule::InvalidValue,
                    cx.at(loc),
                    Subject::Write { table: table.name.clone(), field: Some(written.name.clone()) },
                    cx.write_message(
                        format!("`{}.{}` does not accept {} (its validator is `{}`)", table.name, written.name, describe(&written.value), field.validator),
                        &format!("{what} at run time with `Value does not match validator`"),
                        "the document is stored against its declared type, no longer matching it",
                    ),
                )
                .help(match &written.value {
                    WrittenValue::Undefined => {
                        format!("Write a value for `{}` (it is required), or make it `v.optional(...)` while it is migrating", written.name)
                    }
                    _ => format!("Write a value that `{}` accepts, or widen the validator first", field.validator),
                });
                // TypeScript accepts `undefined` in a patch (it removes the field); the rest it rejects too.
                let finding = if op == WriteOp::Patch && written.value == WrittenValue::Undefined {
                    finding
                } else {
                    finding.reported_by_typescript()
                };
                out.push(cx.write_severity(finding));
            }
        }
    }
    out
}

/// Write the first value the field accepts instead.
pub fn fixes(finding: &Finding, _: &Context<'_>) -> Vec<Recipe> {
    let Subject::Write { table, field: Some(field) } = &finding.subject else { return Vec::new() };
    vec![Recipe::WriteAcceptedValue {
        path: finding.location.path.clone(),
        key: finding.location.range,
        table: table.clone(),
        field: field.clone(),
    }]
}

//! `narrowed-type`: a field's validator accepts less than it did at the base.

use crate::analysis::data::{counted, Data, Question};
use crate::analysis::diff::Change;
use crate::config::Severity;
use crate::analysis::{Context, Finding, Rule, Subject};

pub(super) use super::no_fixes as fixes;

/// The literals a union lost, when losing literals is all that changed; `None` otherwise.
fn removed_literals(base: &crate::model::validator::Validator, working: &crate::model::validator::Validator) -> Option<Vec<crate::model::validator::Literal>> {
    let (b, w) = (base.literals()?, working.literals()?);
    let removed: Vec<_> = b.iter().filter(|l| !w.contains(l)).cloned().collect();
    let rebuilt = base.without(&removed);
    (!removed.is_empty() && rebuilt.required() == working.required()).then_some(removed)
}

pub const DOC: &str = r#"# narrowed-type (error)

## What it does
Flags a field (or a table's document validator) that accepts less than at the base: `v.string()` → `v.number()`, a union member or literal removed, `v.id("a")` → `v.id("b")`, a nested object or array narrowed, `v.nullable(x)` → `x`. Widening (a new union member, a new optional field) is silent.

## Why is this bad?
Documents written under the old validator may hold values the new one rejects. When the schema is pushed, Convex checks them all and fails with `Value does not match validator.`

## Example
```ts
// base:    status: v.union(v.literal("draft"), v.literal("published"), v.literal("archived")),
// working:
status: v.union(v.literal("draft"), v.literal("published")),
```

## Fix
Widen first (accept the old and the new values), make the code write the new shape, migrate the existing documents with a backfill, verify none hold an old value, then narrow. For a union of literals, `convex-migrate plan narrow TABLE.FIELD --map 'old=new'` writes each step: the value-mapping migration, its verify and test; `convex-migrate verify TABLE.FIELD --without old` records that no document holds a removed value on the deployment, and the finding becomes a note. Other narrowings go through a new field: `convex-migrate plan retype`.
"#;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for change in &cx.changes {
        let (name, subject, loc, reason, old, new, table_name, what) = match change {
            Change::Narrowed { table, field, base, reason } => (
                format!("{}.{}", table.name, field.name),
                Subject::Field { table: table.name.clone(), field: field.name.clone() },
                field.loc,
                reason,
                base.validator.required().to_string(),
                field.validator.required().to_string(),
                &table.name,
                (("holds", "hold"), format!("a value in `{}` that the new validator rejects", field.name)),
            ),
            Change::TableNarrowed { table, base, reason } => (
                format!("table `{}`", table.name),
                Subject::Table { table: table.name.clone() },
                table.loc,
                reason,
                base.validator.to_string(),
                table.validator.to_string(),
                &table.name,
                (("is", "are"), "rejected by the new document validator".to_string()),
            ),
            _ => continue,
        };
        let name = if name.starts_with("table") { name } else { format!("`{name}`") };
        // A union that only lost literals: verified gone from every document on the deployment
        // (the ledger's `without`), the push accepts them all.
        let removed = match change {
            Change::Narrowed { base, field, .. } => removed_literals(&base.validator, &field.validator),
            _ => None,
        };
        if let (Some(removed), Change::Narrowed { table, field, .. }) = (&removed, change) {
            let values: Vec<serde_json::Value> = removed.iter().map(|l| l.json()).collect();
            if cx.config.is_verified_without(&table.name, &field.name, &cx.ws.deployment, &values) {
                let list = removed.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                out.push(
                    Finding::new(
                        Rule::NarrowedType,
                        cx.at(loc),
                        subject,
                        format!(
                            "{name} narrows ({reason}); the ledger records no document holding {list} on {}, so the push accepts them all",
                            cx.ws.deployment
                        ),
                    )
                    .severity(Severity::Info),
                );
                continue;
            }
        }
        // A deployed migration rewrites the field's values: `backfill-unverified` says what is left.
        if let Change::Narrowed { table, field, .. } = change {
            if super::backfill_unverified::rewritten(cx, &table.name, &field.name) {
                continue;
            }
        }
        let help = match (&removed, change) {
            (Some(removed), Change::Narrowed { table, field, .. }) => format!(
                "Keep accepting the old values, map them with a migration and verify none is left: `convex-migrate plan narrow {}.{} --map '{}=…'`",
                table.name,
                field.name,
                removed.first().map(|l| l.to_string()).unwrap_or_default().trim_matches('"')
            ),
            _ => format!("Widen first (accept both `{old}` and `{new}`), migrate the documents, verify none hold an old value, then narrow"),
        };
        let mut finding = Finding::new(
            Rule::NarrowedType,
            cx.at(loc),
            subject,
            format!("{name} narrows ({reason}): a document holding an old value makes the push fail with `Value does not match validator`"),
        )
        .help(help);
        let data = Data::of(cx.ws, &Question::of_change(change));
        let (verb, rest) = what;
        match &data {
            Data::Counted { answer, snapshot, .. } if answer.rejected.count == 0 => {
                finding.message = format!(
                    "{name} narrows ({reason}), but {} in {snapshot}: the push will pass on that data",
                    counted(0, answer.total, table_name, verb, &rest)
                );
                finding = finding.data(data.facts(&[], Some(Severity::Info)));
            }
            Data::Counted { answer, snapshot, .. } => {
                finding.message.push_str(&format!(". In {snapshot}, {}", counted(answer.rejected.count, answer.total, table_name, verb, &rest)));
                finding = finding.data(data.facts(&[&answer.rejected], None));
            }
            Data::TableMissing { sentence } => finding.message.push_str(&format!(". {sentence}")),
            Data::None => {}
        }
        out.push(cx.transition(finding));
    }
    out
}

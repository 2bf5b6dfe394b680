//! `validation-turned-on`: the change turns `schemaValidation` back on, so the next push validates
//! every stored document; each field that changed while validation was off needs a verified
//! migration.

use crate::analysis::backfill::Goal;
use crate::analysis::diff::{self, Change};
use crate::analysis::{Context, Finding, Rule, Subject, Validated};
use crate::line_index::TextRange;
use crate::project::Loc;

pub(super) use super::no_fixes as fixes;

pub const DOC: &str = r#"# validation-turned-on (error)

## What it does
When a change turns schema validation back on (`defineSchema(…, { schemaValidation: false })` at the base, `true` or absent now), compares the schema with the last one documents were validated against (the newest commit before the base whose schema had validation on) and flags every field that changed while validation was off — made required, removed, narrowed — unless the ledger records a verified migration for it on the deployment checked. When validation was off in every commit it looks at, it says so once.

## Why is this bad?
With validation off, Convex checked neither pushes nor writes: documents were stored against whatever the code wrote. Turning it on makes the next push check every stored document against the new schema; one that does not match fails the push. A migration that ran but was never verified (or was deleted since) proves nothing.

## Example
```ts
// deployed:  defineSchema({ users: defineTable({ name: v.string(), role: v.string() }) }, { schemaValidation: false })
//            (and, while it was off, `role` went from optional to required)
// working:
export default defineSchema({ users: defineTable({ name: v.string(), role: v.string() }) });
```

## Fix
For each field named, run its backfill (or write one), verify that no document is left (`convex-migrate verify users.role --prod`), and turn validation on once the ledger records every one.
"#;

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let (Some(validated), Some(schema)) = (&cx.ws.validated, cx.working.schema.as_ref()) else { return out };
    let at_schema = Loc { file: schema.loc.file, range: TextRange::new(schema.loc.range.start, schema.loc.range.start + 12) };
    let (revision, commit, back) = match validated {
        Validated::At { revision, commit, commits_back } => (revision, commit, commits_back),
        Validated::Never { walked } => {
            let looked = match walked {
                0 => "the base has no history to look back in".to_string(),
                1 => "it was off in the only commit looked at".to_string(),
                n => format!("it was off in all {n} commits looked at"),
            };
            out.push(
                Finding::new(
                    Rule::ValidationTurnedOn,
                    cx.at(at_schema),
                    Subject::File,
                    format!("schemaValidation is turned back on, and the tool cannot tell what changed while it was off ({looked}): the next push validates every stored document against this schema, and any that does not match fails it"),
                )
                .help("Check the stored data against this schema first (export a snapshot), or keep validation off until every migration is verified"),
            );
            return out;
        }
    };
    let Some(validated_schema) = revision.schema.as_ref() else { return out };
    for change in diff::changes(validated_schema, schema) {
        let (table, field, loc, goal, what) = match &change {
            Change::BecameRequired { table, field, .. } => (&table.name, field.name.as_str(), field.loc, Goal::Fill, "was made required"),
            Change::Removed { table, base } => (&table.name, base.name.as_str(), table.loc, Goal::Unset, "was removed"),
            Change::Narrowed { table, field, .. } => (&table.name, field.name.as_str(), field.loc, Goal::Fill, "was narrowed"),
            _ => continue,
        };
        if cx.ws.is_verified(table, field) {
            continue;
        }
        let migrations: Vec<String> = [Some(cx.working), cx.base]
            .into_iter()
            .flatten()
            .flat_map(|r| r.backfills(table, field, goal))
            .map(|f| format!("`{}`", f.reference))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let covered = match migrations.as_slice() {
            [] => "no migration for it exists".to_string(),
            some => format!("{} exists but is not verified on `{}`", some.join(", "), cx.ws.deployment),
        };
        out.push(
            Finding::new(
                Rule::ValidationTurnedOn,
                cx.at(loc),
                Subject::Field { table: table.clone(), field: field.to_string() },
                format!(
                    "schemaValidation is turned back on: the next push validates every stored document. `{table}.{field}` {what} while validation was off (since {}, {back} commit(s) before the base), and {covered}: a document that does not match fails the push",
                    short(commit)
                ),
            )
            .help(format!("Run and verify a migration of `{table}.{field}` (`convex-migrate verify {table}.{field} --deployment {}`) before turning validation on", cx.ws.deployment)),
        );
    }
    out
}

//! `backfill-unverified`: a field becomes required (or is removed) with a deployed backfill that
//! nobody has recorded as verified.

use crate::analysis::backfill::{backfills, Goal};
use crate::analysis::diff::Change;
use crate::analysis::{Context, Finding, Rule};
use crate::project::Loc;

pub const DOC: &str = r#"# backfill-unverified (warning)

## What it does
Flags a field that becomes required (or is removed) while a backfill for it is deployed at the base, but the ledger (`verified` in `convex-migrate.json`) does not record that the backfill finished: that no document is left to migrate.

## Why is this bad?
A deployed backfill is not a finished one. If it has not been run, stopped halfway, or new documents were inserted without the field since, the push fails just the same: ``Object is missing the required field `role` `` (or ``Object contains extra field `isPro` `` for a removed field).

## Example
```ts
// base: role: v.optional(v.string()), and migrations.ts has backfillUsersRole
// working:
role: v.string(),
```

## Fix
Run the backfill (`npx convex run migrations:backfillUsersRole`, add `--prod` for production), verify that no document is left, and record it:
```json
{ "verified": { "users.role": { "deployment": "prod", "at": "2026-11-25T12:00:00Z", "remaining": 0 } } }
```
"#;

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(base) = cx.base else { return };
    for change in &cx.changes {
        let (table, field, loc, goal, what) = match change {
            Change::BecameRequired { table, field, .. } => (*table, field.name.as_str(), field.loc, Goal::Fill, "becomes required"),
            Change::Removed { table, base: field } => (*table, field.name.as_str(), table.loc, Goal::Unset, "is removed"),
            _ => continue,
        };
        let deployed = backfills(base, &table.name, field, goal);
        let Some(backfill) = deployed.first() else { continue };
        if cx.config.is_verified(&table.name, field) {
            continue;
        }
        let name = format!("{}.{field}", table.name);
        let consequence = match goal {
            Goal::Fill => format!("if any document still lacks `{field}`, the push will fail with `Object is missing the required field `{field}``"),
            Goal::Unset => format!("if any document still holds `{field}`, the push will fail with `Object contains extra field `{field}` that is not in the validator`"),
        };
        let mut finding = Finding::new(
            Rule::BackfillUnverified,
            cx.working,
            loc,
            format!("`{name}` {what}; the backfill `{}` is deployed but not verified: {consequence}", backfill.reference),
        )
        .help(format!(
            "Run `npx convex run {}` (add `--prod` for production), check that no document is left, then record `\"{name}\"` under `verified` in convex-migrate.json",
            backfill.reference
        ));
        // Point at the backfill as the working tree has it, else as it was deployed.
        if let Some(now) = cx.working.functions.iter().find(|f| f.reference == backfill.reference) {
            finding = finding.related(cx.working, now.loc, "the deployed backfill");
        } else {
            let loc = Loc { file: backfill.loc.file, range: backfill.loc.range };
            finding.related.push(crate::analysis::Related {
                path: base.path(loc.file).to_string(),
                range: loc.range,
                message: "the deployed backfill (at the base)".into(),
            });
        }
        out.push(finding);
    }
}

//! `unpaginated-migration`: a backfill that re-reads the same documents, or scans the whole table,
//! every batch.

use crate::analysis::{Context, Finding, Recipe, Rule, Subject};
use crate::model::body::{Origin, Terminal};
use crate::project::{FunctionKind, Loc};

pub const DOC: &str = r#"# unpaginated-migration (warning)

## What it does
Flags a backfill that reads its batch with `.take(n)` and no cursor, that scans with `.filter(...)` for documents not yet migrated, or that pages from a fixed cursor.

## Why is this bad?
`.take(n)` returns the same first n documents every time: a batch that does not change them (or one that hits an error) loops forever, and the documents after the first n are never reached. A `.filter` for unmigrated documents reads the whole table again for each batch: it hits the 32,000-document scan limit on large tables, and costs a full scan per batch. A widely copied batch example has this bug.

## Example
```ts
const users = await ctx.db.query("users").filter((q) => q.eq(q.field("role"), undefined)).take(100);
for (const user of users) await ctx.db.patch(user._id, { role: "member" });
```

## Fix
Page with a cursor: `.paginate({ cursor: args.cursor, numItems: 100 })`, patch the page, and schedule the next batch with `continueCursor` until `isDone` (the *Generate backfill* code action writes this shape), or use `@convex-dev/migrations`.
"#;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, function) in cx.working.functions.iter().enumerate().filter(|(_, f)| f.kind == FunctionKind::Mutation) {
        if !cx.working.is_backfill(index) {
            continue;
        }
        let batch_reads: Vec<usize> = function
            .writes
            .iter()
            .filter_map(|w| match w.item.target {
                Origin::Read(i) => Some(i),
                _ => None,
            })
            .collect();
        for (_, read) in function.reads.iter().enumerate().filter(|(i, _)| batch_reads.contains(i)) {
            let problem = match (&read.item.terminal, read.item.filter_undefined) {
                (_, true) => "scans the whole table with `.filter` on every batch to find documents not yet migrated",
                // An index range on the migrated field moves on by itself: migrated documents leave it.
                (Terminal::Take(_), false) if read.item.index_fields.is_empty() => {
                    "reads its batch with `.take(n)` and no cursor: every run returns the same first documents"
                }
                (Terminal::Paginate { cursor: false }, _) => "pages from a fixed cursor: every run reads the same first page",
                _ => continue,
            };
            let finding = Finding::new(
                Rule::UnpaginatedMigration,
                cx.at(Loc { file: read.file, range: read.item.range }),
                Subject::Function { reference: function.reference.clone() },
                format!("the backfill `{}` {problem}", function.reference),
            )
            .help("Page with a cursor (`.paginate({ cursor: args.cursor, numItems: 100 })`) and schedule the next batch with `continueCursor` until `isDone`");
            out.push(finding);
        }
    }
    out
}

/// Rewrite it with a cursor, keeping its loop body.
pub fn fixes(finding: &Finding, _: &Context<'_>) -> Vec<Recipe> {
    let Subject::Function { reference } = &finding.subject else { return Vec::new() };
    vec![Recipe::RewritePaginated { function: reference.clone() }]
}

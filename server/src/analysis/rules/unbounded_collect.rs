//! `unbounded-collect`: `.collect()` over a whole table in a backfill or verify function.

use crate::analysis::{Context, Finding, Recipe, Rule, Subject};
use crate::model::body::Terminal;
use crate::project::Loc;

pub const DOC: &str = r#"# unbounded-collect (warning)

## What it does
Flags `.collect()` over a whole table (no index range) in a backfill or a verify function. With `"unbounded-collect": "all"` in `rules`, in every function.

## Why is this bad?
A query or mutation may read at most 32,000 documents and 16 MiB. A migration or a verification exists precisely because the table is large: `.collect()` on it works on the development deployment and fails in production.

## Example
```ts
const users = await ctx.db.query("users").collect();
return { remaining: users.filter((u) => u.role === undefined).length };
```

## Fix
Page through the table: `.paginate({ cursor, numItems })` in a loop driven by an action (the *Generate verify* code action writes this shape), or read an index range.
"#;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, function) in cx.working.functions.iter().enumerate() {
        let unbounded: Vec<_> =
            function.reads.iter().filter(|r| r.item.terminal == Terminal::Collect && r.item.index_fields.is_empty()).collect();
        if unbounded.is_empty() || !(cx.config.options.get("unbounded-collect").is_some_and(|level| level == "all") || cx.working.is_migration_code(index)) {
            continue;
        }
        for read in unbounded {
            let table = match &read.item.table {
                crate::model::body::TableRef::Name(t) => format!("`{t}`"),
                _ => "the table".to_string(),
            };
            out.push(
                Finding::new(
                    Rule::UnboundedCollect,
                    cx.at(Loc { file: read.file, range: read.item.range }),
                    Subject::Function { reference: function.reference.clone() },
                    format!("`{}` collects all of {table}: past 32,000 documents or 16 MiB it fails", function.reference),
                )
                .help("Page through the table with `.paginate(...)` in batches (driven by an action or scheduled mutations)"),
            );
        }
    }
    out
}

/// A collecting verify: replace it with the paginated one.
pub fn fixes(finding: &Finding, _: &Context<'_>) -> Vec<Recipe> {
    let Subject::Function { reference } = &finding.subject else { return Vec::new() };
    vec![Recipe::ReplaceVerify { function: reference.clone() }]
}

//! `dual-write-one-side`: a function writes one side of a dual-write pair and not the other.

use crate::analysis::dual_write::{pairs, sites, Source};
use crate::analysis::{Context, Finding, Recipe, Rule, Subject};
use crate::names::Place;

pub const DOC: &str = r#"# dual-write-one-side (warning)

## What it does
While a structure moves (`posts.tags` → a `postTags` table, `users.email` → `users.normalizedEmail`), flags every function that writes one side of the pair and not the other. Pairs are declared in `convex-migrate.json` (`"dualWrites": [{ "from": "posts.tags", "to": "postTags" }]`) or inferred: a function writes an old place and a new one (new since the base) whose names relate. Writes made through project helpers that receive `ctx` count; backfills and migrations do not.

## Why is this bad?
The backfill copies what exists when it runs. A mutation that keeps writing only the old side after that leaves data the new side never gets, and it is lost when reads switch over; one that writes only the new side leaves the old readers stale.

## Example
```ts
export const createPost = mutation({ handler: async (ctx, { title, tags }) => {
  const post = await ctx.db.insert("posts", { title, tags });
  for (const tag of tags) await ctx.db.insert("postTags", { post, tag });
}});
export const updateTags = mutation({ handler: async (ctx, { id, tags }) => {
  await ctx.db.patch(id, { tags }); // postTags is not updated
}});
```

## Fix
Write both sides in every function until reads have switched to the new side (write both, read old → migrate → read new, write both → write new only). Declare an inferred pair in `convex-migrate.json` so it outlives the base moving on.
"#;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for pair in pairs(cx.working, cx.base.map(|b| &**b), cx.config) {
        let sites = sites(cx.working, &pair);
        let example = sites.iter().find(|s| !s.writes_from.is_empty() && !s.writes_to.is_empty());
        let source = match &pair.source {
            Source::Declared => "declared in convex-migrate.json".to_string(),
            Source::Inferred { function, .. } => format!("inferred from `{function}`, which writes both"),
        };
        for site in &sites {
            let (written, missing, locs) = match (site.writes_from.is_empty(), site.writes_to.is_empty()) {
                (false, true) => (&pair.from, &pair.to, &site.writes_from),
                (true, false) => (&pair.to, &pair.from, &site.writes_to),
                _ => continue,
            };
            for loc in locs {
                let subject = Subject::DualWrite {
                    from: pair.from.to_string(),
                    to: pair.to.to_string(),
                    inferred: matches!(pair.source, Source::Inferred { .. }),
                };
                let mut finding = Finding::new(
                    Rule::DualWriteOneSide,
                    cx.at(*loc),
                    subject,
                    format!(
                        "`{}` writes `{written}` but not `{missing}`, while `{}` moves to `{}` ({source}): what it writes here is missed on the other side",
                        site.function.reference, pair.from, pair.to
                    ),
                )
                .help(format!("Write `{missing}` here too, until reads have switched to `{}` and the old side is retired", pair.to));
                if let Some(example) = example {
                    finding = finding.related(cx.at(example.function.loc), format!("`{}` writes both", example.function.reference));
                }
                out.push(finding);
            }
        }
    }
    out
}

/// Declare an inferred pair; where both sides are fields of the written document, write the
/// missing one next to the other.
pub fn fixes(finding: &Finding, cx: &Context<'_>) -> Vec<Recipe> {
    let Subject::DualWrite { from, to, inferred } = &finding.subject else { return Vec::new() };
    let mut out = Vec::new();
    if *inferred {
        out.push(Recipe::DeclareDualWrite { from: from.clone(), to: to.clone() });
    }
    let (Some(from), Some(to)) = (Place::parse(from), Place::parse(to)) else { return out };
    let (Some(ff), Some(tf)) = (&from.field, &to.field) else { return out };
    if from.table != to.table {
        return out;
    }
    let here = &finding.location;
    let write = cx
        .working
        .functions
        .iter()
        .flat_map(|f| f.writes.iter())
        .find(|w| cx.working.path(w.file) == here.path && w.item.method_range == here.range);
    let Some(object) = write.and_then(|w| w.item.object.as_ref()) else { return out };
    let (present, missing) = match (object.field(ff), object.field(tf)) {
        (Some(p), None) => (p, tf),
        (None, Some(p)) => (p, ff),
        _ => return out,
    };
    out.push(Recipe::AlsoWrite { path: here.path.clone(), write: here.range, present: present.name.clone(), missing: missing.clone() });
    out
}

//! `unmodelled-schema`: a schema, or parts of it, that the tool cannot model, so it cannot check
//! what changes there.

use crate::analysis::{Context, Finding, Related, Rule, Side, Subject};
use crate::project::Project;

pub(super) use super::no_fixes as fixes;

pub const DOC: &str = r#"# unmodelled-schema (warning)

## What it does
Names, in one finding per schema, what convex-migrate could not model: a `schema.ts` whose default export is not `defineSchema(...)` (a builder of another library, a function the tool cannot follow), tables that are not `defineTable(...)`, tables or fields spread in from a package or built by a function, validators it cannot read. It says the same of the schema at the base.

## Why is this bad?
What the tool cannot model, it cannot compare: a field made required or removed there goes unnoticed, and the push may fail anyway. A clean result would claim more than was checked; this finding says how much less.

## Example
```ts
export default defineSchema({
  ...authTables,                          // from @convex-dev/auth/server
  users: defineTable(zodToConvex(userSchema)),
});
```

## Fix
Write the parts you want checked with `defineTable` and `v` (validators in consts and spreads of field objects are followed across files), or accept that they are not checked and turn the rule off for the project (`"rules": { "unmodelled-schema": "off" }`).
"#;

/// At most this many constructs are named in the message; the related places list them all.
const NAMED: usize = 6;

fn describe(what: &[String]) -> String {
    let mut list: Vec<String> = what.iter().take(NAMED).cloned().collect();
    if what.len() > NAMED {
        list.push(format!("and {} more", what.len() - NAMED));
    }
    list.join("; ")
}

/// What an unmodelled construct is about, without the code it is written as (`the validator of
/// `plans.prices``): the base's, written differently, is the same one.
fn subject(what: &str) -> &str {
    what.split_once(": `").map_or(what, |(subject, _)| subject)
}

/// `skip`: constructs already named for the working tree (the base's same ones add nothing).
fn schema_findings(cx: &Context<'_>, side: Side, project: &Project, skip: &[String], out: &mut Vec<Finding>) {
    let location = |loc: crate::project::Loc| match side {
        Side::Working => cx.at(loc),
        Side::Base => cx.at_base(loc).unwrap_or_else(|| cx.at(loc)),
    };
    let where_ = if side == Side::Base { "at the base (what is deployed), " } else { "" };
    if let Some(issue) = &project.schema_issue {
        let consequence = match side {
            Side::Working => "no table is checked: the transition rules and the rules about writes are off for this project",
            Side::Base => "the working tree cannot be compared with it: the transition rules are off",
        };
        out.push(
            Finding::new(
                Rule::UnmodelledSchema,
                location(issue.loc),
                Subject::File,
                format!("{where_}the tool does not understand the schema in `{}`: {}; {consequence}", project.path(issue.loc.file), issue.what),
            )
            .help("Write the schema with `defineSchema` and `defineTable` from `convex/server`, or turn this rule off if it is meant to be unchecked"),
        );
    }
    let Some(schema) = &project.schema else { return };
    let unresolved: Vec<&crate::project::Unresolved> =
        schema.unresolved.iter().filter(|u| !skip.iter().any(|s| subject(s) == subject(&u.what))).collect();
    if unresolved.is_empty() {
        return;
    }
    let what: Vec<String> = unresolved.iter().map(|u| u.what.clone()).collect();
    // Point at `defineSchema`, as removed-table does (the call spans the whole schema).
    let at = crate::project::Loc { file: schema.loc.file, range: crate::line_index::TextRange::new(schema.loc.range.start, schema.loc.range.start + 12) };
    let mut finding = Finding::new(
        Rule::UnmodelledSchema,
        location(at),
        Subject::File,
        format!("{where_}parts of this schema cannot be modelled, so changes to them are not checked: {}", describe(&what)),
    )
    .help("Write them with `defineTable` and `v` to have them checked, or turn this rule off if they are meant to be unchecked");
    finding.related = unresolved.iter().map(|u| Related { location: location(u.loc), message: u.what.clone() }).collect();
    out.push(finding);
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    schema_findings(cx, Side::Working, cx.working, &[], &mut out);
    if let Some(base) = cx.base {
        // The base matters only where the working tree has a schema to compare with it.
        if let Some(schema) = &cx.working.schema {
            let named: Vec<String> = schema.unresolved.iter().map(|u| u.what.clone()).collect();
            schema_findings(cx, Side::Base, base, &named, &mut out);
        }
    }
    out
}

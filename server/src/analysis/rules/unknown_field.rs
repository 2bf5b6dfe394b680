//! `unknown-field`: a write sets a field the table's validator does not have.

use std::collections::HashSet;

use crate::analysis::{Context, Finding, Recipe, Rule, Subject};
use crate::model::body::TableRef;
use crate::project::Loc;

pub const DOC: &str = r#"# unknown-field (error)

## What it does
Flags an insert, patch or replace that writes a field the table's validator does not have. Only where the table's shape is fully known: an object validator without spreads that could not be resolved.

## Why is this bad?
Convex rejects the write at run time: ``Object contains extra field `rol` that is not in the validator.`` Often a typo, or code still writing a field that was just removed from the schema.

## Example
```ts
// schema: users: defineTable({ name: v.string(), role: v.string() })
await ctx.db.patch(user._id, { rol: "admin" });
```

## Fix
Use the field's name as the schema has it (the quick fix offers the nearest one), or add the field to the schema (as `v.optional(...)`).
"#;

/// Levenshtein distance, for *Did you mean …?*.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(row[j]).min(row[j + 1]) };
            prev = cur;
        }
    }
    row[b.len()]
}

/// The table field nearest to `name`, when it is near enough to be a typo.
pub fn nearest<'t>(names: impl Iterator<Item = &'t str>, name: &str) -> Option<&'t str> {
    names
        .map(|n| (distance(&n.to_ascii_lowercase(), &name.to_ascii_lowercase()), n))
        .filter(|(d, n)| *d <= (n.len().max(name.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(schema) = cx.working.schema.as_ref() else { return out };
    let mut seen: HashSet<(Loc, String)> = HashSet::new();
    for function in &cx.working.functions {
        // A helper that writes, through one parameter a caller binds to a table, some objects
        // that table holds and some it does not is generic over tables (`anonymize(ctx, kind,
        // id)` patching contacts or activities by `kind`): its other writes are for other tables.
        let fits = |write: &crate::project::Located<crate::model::body::Write>| {
            let (TableRef::Name(table), Some(object)) = (&write.item.table, &write.item.object) else { return false };
            schema.table(table).is_some_and(|t| {
                object.fields.iter().all(|f| f.name.starts_with('_') || t.field(&f.name).is_some() || t.edges.contains(&f.name))
            })
        };
        let generic = |bound: &Option<(u32, crate::line_index::TextRange, usize)>| {
            bound.is_some() && function.writes.iter().any(|other| other.item.bound == *bound && fits(other))
        };
        for write in &function.writes {
            let (TableRef::Name(table), Some(object)) = (&write.item.table, &write.item.object) else { continue };
            let Some(table) = schema.table(table).filter(|t| t.is_fully_known()) else { continue };
            if generic(&write.item.bound) && !fits(write) {
                continue;
            }
            for written in &object.fields {
                // Setting an absent field to `undefined` removes it: how removal migrations work.
                let removes = written.value == crate::model::body::WrittenValue::Undefined;
                // A convex-ents many:many edge is written by its name, into its edge table.
                let edge = table.edges.contains(&written.name);
                if removes || edge || written.name.starts_with('_') || table.field(&written.name).is_some() {
                    continue;
                }
                let loc = Loc { file: write.file, range: written.range };
                if !seen.insert((loc, written.name.clone())) {
                    continue;
                }
                let guess = nearest(table.fields.iter().map(|f| f.name.as_str()), &written.name);
                let mut finding = Finding::new(
                    Rule::UnknownField,
                    cx.at(loc),
                    Subject::Write { table: table.name.clone(), field: Some(written.name.clone()) },
                    cx.write_message(
                        format!("`{}` has no field `{}`", table.name, written.name),
                        &format!("the write fails at run time with `Object contains extra field `{}` that is not in the validator`", written.name),
                        "the document holds a field the schema does not declare",
                    ),
                );
                finding = match guess {
                    Some(g) => finding.help(format!("Did you mean `{g}`?")),
                    None => finding
                        .help(format!("Add `{}` to the `{}` table (as `v.optional(...)`), or stop writing it", written.name, table.name)),
                };
                out.push(cx.write_severity(finding.reported_by_typescript()));
            }
        }
    }
    out
}

/// *Did you mean …?*: the nearest field of the table.
pub fn fixes(finding: &Finding, cx: &Context<'_>) -> Vec<Recipe> {
    let Subject::Write { table, field: Some(written) } = &finding.subject else { return Vec::new() };
    let Some(table) = cx.working.schema.as_ref().and_then(|s| s.table(table)) else { return Vec::new() };
    match nearest(table.fields.iter().map(|f| f.name.as_str()), written) {
        Some(guess) => vec![Recipe::RenameWrittenField {
            path: finding.location.path.clone(),
            key: finding.location.range,
            to: guess.to_string(),
        }],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        assert_eq!(distance("rol", "role"), 1);
        assert_eq!(nearest(["name", "role", "email"].into_iter(), "rol"), Some("role"));
        assert_eq!(nearest(["name", "role"].into_iter(), "createdAt"), None);
    }
}

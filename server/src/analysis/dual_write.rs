//! Dual-write pairs: while a structure moves (`posts.tags` → a `postTags` table, `users.email` →
//! `users.normalizedEmail`), every write must reach both sides. Pairs are declared in the config or
//! inferred from a function that writes an old side and a new one (new since the base) whose names
//! relate; each write site is then classified.

use crate::analysis::backfill::{is_backfill, Goal};
use crate::config::Config;
use crate::model::body::{TableRef, WriteOp};
use crate::names::Place;
use crate::project::{Function, FunctionKind, Loc, Project};

/// Where a pair comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Declared,
    /// Inferred from this function, which writes both sides.
    Inferred {
        function: String,
        loc: Loc,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// The old place.
    pub from: Place,
    /// The new place.
    pub to: Place,
    pub source: Source,
}

/// The write sites of one side in one function.
fn writes_side<'f>(function: &'f Function, side: &Place) -> Vec<&'f crate::project::Located<crate::model::body::Write>> {
    function
        .writes
        .iter()
        .filter(|w| w.item.table == TableRef::Name(side.table.clone()))
        .filter(|w| match &side.field {
            None => true,
            Some(field) => w.item.op != WriteOp::Delete && w.item.object.as_ref().is_some_and(|o| o.field(field).is_some()),
        })
        .collect()
}

/// Whether the function is a migration of a side (a backfill, a migration definition): not app code.
fn is_migration(function: &Function, pair: &Pair) -> bool {
    if function.kind == FunctionKind::Migration {
        return true;
    }
    [&pair.from, &pair.to].iter().any(|side| match &side.field {
        Some(field) => [Goal::Fill, Goal::Unset].iter().any(|g| is_backfill(function, &side.table, field, *g)),
        None => false,
    }) || {
        // A function that reads the old side's table in bulk and writes the new side: a backfill
        // into a new table.
        function.reads.iter().any(|r| {
            r.item.table == TableRef::Name(pair.from.table.clone())
                && matches!(
                    r.item.terminal,
                    crate::model::body::Terminal::Paginate { .. }
                        | crate::model::body::Terminal::Collect
                        | crate::model::body::Terminal::Iterate
                )
        }) && !writes_side(function, &pair.to).is_empty()
            && writes_side(function, &pair.from).is_empty()
    }
}

/// Names relate when one (lowercased) contains the other: `tags` ~ `postTags`, `email` ~
/// `normalizedEmail`.
fn related(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    a.len() >= 3 && b.len() >= 3 && (a.contains(&b) || b.contains(&a))
}

/// The pairs of a project: declared ones, then inferred ones (a function writes an old side and a
/// new one whose names relate; new = not in the base schema).
pub fn pairs(working: &Project, base: Option<&Project>, config: &Config) -> Vec<Pair> {
    let mut out: Vec<Pair> = config
        .dual_writes
        .iter()
        .filter_map(|d| Some(Pair { from: Place::parse(&d.from)?, to: Place::parse(&d.to)?, source: Source::Declared }))
        .collect();
    let (Some(schema), Some(base_schema)) = (working.schema.as_ref(), base.and_then(|b| b.schema.as_ref())) else { return out };
    if base_schema.open || schema.open {
        return out;
    }
    let is_new = |side: &Place| match &side.field {
        None => base_schema.table(&side.table).is_none() && schema.table(&side.table).is_some(),
        Some(f) => {
            base_schema.table(&side.table).is_some_and(|t| !t.open && t.field(f).is_none())
                && schema.table(&side.table).is_some_and(|t| t.field(f).is_some())
        }
    };
    let existed = |side: &Place| match &side.field {
        None => base_schema.table(&side.table).is_some(),
        Some(f) => base_schema.table(&side.table).is_some_and(|t| t.field(f).is_some()),
    };
    // The new sides, found once: most projects have none, and then nothing is inferred.
    let new_tables: Vec<&str> = schema.tables.iter().filter(|t| base_schema.table(&t.name).is_none()).map(|t| t.name.as_str()).collect();
    let new_fields: Vec<(&str, &str)> = schema
        .tables
        .iter()
        .filter_map(|t| Some((t, base_schema.table(&t.name).filter(|bt| !bt.open)?)))
        .flat_map(|(t, bt)| t.fields.iter().filter(move |f| bt.field(&f.name).is_none()).map(move |f| (t.name.as_str(), f.name.as_str())))
        .collect();
    if new_tables.is_empty() && new_fields.is_empty() {
        return out;
    }
    let writes_something_new = |function: &Function| {
        function.writes.iter().any(|w| {
            let TableRef::Name(table) = &w.item.table else { return false };
            new_tables.contains(&table.as_str())
                || w.item.object.as_ref().is_some_and(|o| o.fields.iter().any(|f| new_fields.contains(&(table.as_str(), f.name.as_str()))))
        })
    };
    let phased_out = |side: &Place| {
        let Some(field) = &side.field else { return false };
        let optional =
            |schema: &crate::project::Schema| schema.table(&side.table).and_then(|t| t.field(field)).map(|f| f.validator.is_optional());
        optional(base_schema) == Some(false) && optional(schema) == Some(true)
    };
    for function in &working.functions {
        if function.kind == FunctionKind::Migration || !writes_something_new(function) {
            continue;
        }
        // The sides this function writes: tables (inserted into, or patched) and fields.
        let mut sides: Vec<Place> = Vec::new();
        for w in &function.writes {
            let TableRef::Name(table) = &w.item.table else { continue };
            if w.item.op == WriteOp::Delete {
                continue;
            }
            sides.push(Place { table: table.clone(), field: None });
            if let Some(object) = &w.item.object {
                sides.extend(object.fields.iter().map(|f| Place { table: table.clone(), field: Some(f.name.clone()) }));
            }
        }
        sides.sort();
        sides.dedup();
        for to in sides.iter().filter(|s| is_new(s)) {
            let to_name = to.field.as_deref().unwrap_or(&to.table);
            let from = sides.iter().find(|from| {
                from.field.as_deref().is_some_and(|f| related(f, to_name))
                    && existed(from)
                    && (to.field.is_none() || from.table == to.table)
                    && *from != to
            });
            // Two fields of one table whose names relate are a move only on evidence: the new
            // one is written from what the old one is (`normalizedEmail: normalize(args.email)`
            // beside `email: args.email`), or the old one is being phased out (required at the
            // base, optional now). `status` and a new `expiryStatus` written with values of
            // their own are two fields.
            let from = from.filter(|from| match (&from.field, &to.field) {
                (Some(old), Some(new)) => carries(working, function, &to.table, old, new) || phased_out(from),
                _ => true,
            });
            if let Some(from) = from {
                let pair = Pair {
                    from: from.clone(),
                    to: to.clone(),
                    source: Source::Inferred { function: function.reference.clone(), loc: function.loc },
                };
                if is_migration(function, &pair) {
                    continue;
                }
                if !out.iter().any(|p| p.from == pair.from && p.to == pair.to) {
                    out.push(pair);
                }
            }
        }
    }
    out
}

/// Whether a write of `function` sets `new` from what it sets `old` to: the old value's
/// expression (not a literal) appears, as a whole name, in the new one's.
fn carries(project: &Project, function: &Function, table: &str, old: &str, new: &str) -> bool {
    function.writes.iter().filter(|w| w.item.table == TableRef::Name(table.to_string())).any(|w| {
        let Some(object) = &w.item.object else { return false };
        let (Some(o), Some(n)) = (object.field(old), object.field(new)) else { return false };
        let text = &project.file(w.file).text;
        let (Some(o), Some(n)) = (text.get(o.value_range.as_usize_range()), text.get(n.value_range.as_usize_range())) else {
            return false;
        };
        let o = o.trim();
        let literal = o.is_empty()
            || o.starts_with(['"', '\'', '`'])
            || o.starts_with(|c: char| c.is_ascii_digit())
            || matches!(o, "true" | "false" | "null" | "undefined");
        !literal && crate::syntax::mentions_name(n, o)
    })
}

/// How one function relates to a pair.
#[derive(Debug)]
pub struct Site<'p> {
    pub function: &'p Function,
    pub writes_from: Vec<Loc>,
    pub writes_to: Vec<Loc>,
}

/// Every app function that writes a side of the pair (migrations excepted).
pub fn sites<'p>(working: &'p Project, pair: &Pair) -> Vec<Site<'p>> {
    working
        .functions
        .iter()
        .filter(|f| !is_migration(f, pair))
        .filter_map(|f| {
            let loc = |w: &&crate::project::Located<crate::model::body::Write>| Loc { file: w.file, range: w.item.method_range };
            let writes_from: Vec<Loc> = writes_side(f, &pair.from).iter().map(loc).collect();
            let writes_to: Vec<Loc> = writes_side(f, &pair.to).iter().map(loc).collect();
            (!writes_from.is_empty() || !writes_to.is_empty()).then_some(Site { function: f, writes_from, writes_to })
        })
        .collect()
}

/// Functions that read a side: query the table, or test or read the field.
pub fn readers<'p>(working: &'p Project, side: &Place) -> Vec<&'p Function> {
    working
        .functions
        .iter()
        .filter(|f| match &side.field {
            None => f.reads.iter().any(|r| r.item.table == TableRef::Name(side.table.clone())),
            Some(field) => f.mentions.iter().any(|(t, m)| *t == side.table && m == field),
        })
        .map(|f| &**f)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_relate() {
        assert!(related("tags", "postTags") && related("email", "normalizedEmail") && !related("isPro", "plan"));
    }
}

/// Where a pair stands: who writes both or one side, who reads each, and the step it is at.
#[derive(Debug)]
pub struct Phase<'p> {
    pub both: Vec<&'p Function>,
    pub only_from: Vec<&'p Function>,
    pub only_to: Vec<&'p Function>,
    pub read_from: Vec<&'p Function>,
    pub read_to: Vec<&'p Function>,
    pub step: &'static str,
}

pub fn phase<'p>(working: &'p Project, pair: &Pair) -> Phase<'p> {
    let sites = sites(working, pair);
    let pick = |f: &dyn Fn(&Site<'_>) -> bool| sites.iter().filter(|s| f(s)).map(|s| s.function).collect::<Vec<_>>();
    let both = pick(&|s| !s.writes_from.is_empty() && !s.writes_to.is_empty());
    let only_from = pick(&|s| !s.writes_from.is_empty() && s.writes_to.is_empty());
    let only_to = pick(&|s| s.writes_from.is_empty() && !s.writes_to.is_empty());
    let read_from = readers(working, &pair.from);
    let read_to = readers(working, &pair.to);
    let step = if !only_from.is_empty() || !only_to.is_empty() {
        "1. write both: some functions still write one side"
    } else if read_to.is_empty() {
        "2. every write reaches both; reads use the old side: backfill the new side, verify, then switch reads"
    } else if !read_from.is_empty() {
        "3. reads are switching to the new side; when none read the old side, stop writing it"
    } else {
        "4. reads use the new side only: stop writing the old side, then remove it"
    };
    Phase { both, only_from, only_to, read_from, read_to, step }
}

//! Recognising verify functions: queries that read a table and test whether a field is unset
//! (`doc.f === undefined`, a filter on `q.field("f")` against `undefined`), and the action of the
//! same module that pages through them (`verifyXPage` → `verifyX`), which is the one to run.
//!
//! Every function is looked at once per project: [`VerifyIndex`] is built once per
//! [`crate::analysis::Revision`].

use std::collections::{HashMap, HashSet};

use crate::model::body::TableRef;
use crate::project::{Function, FunctionKind};

/// Whether a query that tests fields for being unset is there to count what a migration left (a
/// verify), not an app query that lists documents: it returns a count (`remaining`, `missing`,
/// `left`), or it is named or placed as a check (`verify…`, `check…`, `count…`, a `migrations`
/// module).
fn counts(f: &Function) -> bool {
    let name = f.name.to_ascii_lowercase();
    let module = f.reference.split(':').next().unwrap_or("").to_ascii_lowercase();
    f.returns.iter().any(|r| ["remaining", "missing", "left"].iter().any(|k| r.item.field(k).is_some()))
        || ["verify", "check", "count", "remaining", "missing"].iter().any(|hint| name.contains(hint))
        || module.split('/').any(|part| part.starts_with("migration"))
}

/// `(table, field)` → indexes into the project's functions of its verify functions.
#[derive(Debug, Default)]
pub struct VerifyIndex {
    by_field: HashMap<(String, String), Vec<usize>>,
    /// Every function that verifies something (the page queries included).
    any: HashSet<usize>,
}

impl VerifyIndex {
    pub fn build(functions: &[std::sync::Arc<Function>]) -> VerifyIndex {
        let mut index = VerifyIndex::default();
        for (me, f) in functions
            .iter()
            .enumerate()
            .filter(|(_, f)| f.kind == FunctionKind::Query && f.writes.is_empty() && !f.tests.is_empty() && counts(f))
        {
            // The action that pages through a `verifyXPage` query is the verify to run.
            let action = f
                .name
                .strip_suffix("Page")
                .and_then(|stem| functions.iter().position(|a| a.file == f.file && a.name == stem && a.kind == FunctionKind::Action));
            let chosen = action.unwrap_or(me);
            for (table, field) in &f.tests {
                if !f.reads.iter().any(|r| r.item.table == TableRef::Name(table.clone())) {
                    continue;
                }
                let list = index.by_field.entry((table.clone(), field.clone())).or_default();
                if !list.contains(&chosen) {
                    list.push(chosen);
                }
                index.any.insert(chosen);
                index.any.insert(me);
            }
        }
        index
    }

    /// Indexes into the project's functions of the verify functions of `table.field`.
    pub fn of(&self, table: &str, field: &str) -> &[usize] {
        self.by_field.get(&(table.to_string(), field.to_string())).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether function `index` verifies something.
    pub fn is_any(&self, index: usize) -> bool {
        self.any.contains(&index)
    }
}

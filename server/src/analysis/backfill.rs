//! Recognising backfills: functions that go over the documents of a table that may lack a field
//! and write it (or, for a removed field, unset it). An app mutation that sets the field on one
//! document, or on a range chosen by other conditions, is not a backfill.
//!
//! Every function is looked at once per project: [`BackfillIndex`] is built once per
//! [`crate::analysis::Revision`].

use std::collections::HashMap;

use crate::model::body::{Origin, TableRef, Terminal, WriteOp, WrittenObject, WrittenValue};
use crate::project::{Function, FunctionKind};

/// What the backfill must do to the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    /// Write a defined value (the field becomes required).
    Fill,
    /// Remove it: `patch(id, { f: undefined })` (the field is removed from the schema).
    Unset,
}

/// `(table, field, goal)` → indexes into [`Project::functions`] of its backfills.
#[derive(Debug, Default)]
pub struct BackfillIndex {
    by_field: HashMap<(String, String, Goal), Vec<usize>>,
    /// Every function that is a backfill of something.
    any: std::collections::HashSet<usize>,
}

impl BackfillIndex {
    /// Indexes every backfill of a project's functions.
    pub fn build(functions: &[std::sync::Arc<Function>]) -> BackfillIndex {
        let mut index = BackfillIndex::default();
        let scheduling = functions.iter().any(|f| !f.schedules.is_empty());
        let by_reference: HashMap<&str, &Function> =
            if scheduling { functions.iter().map(|f| (f.reference.as_str(), &**f)).collect() } else { HashMap::new() };
        for (i, function) in functions.iter().enumerate() {
            let mut fields = backfilled_fields(function);
            if scheduling && !function.schedules.is_empty() {
                fields.extend(chained(function, &by_reference).into_iter().filter(|f| !fields.contains(f)).collect::<Vec<_>>());
            }
            for (table, field, goal) in fields {
                let list = index.by_field.entry((table, field, goal)).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
                index.any.insert(i);
            }
        }
        index
    }
}

impl BackfillIndex {
    /// Whether function `index` of the project is a backfill of any field.
    pub fn is_any(&self, index: usize) -> bool {
        self.any.contains(&index)
    }

    /// Indexes into the project's functions of the backfills for `table.field`.
    pub fn of(&self, table: &str, field: &str, goal: Goal) -> &[usize] {
        self.by_field.get(&(table.to_string(), field.to_string(), goal)).map(Vec::as_slice).unwrap_or(&[])
    }
}

fn goal_of(value: &WrittenValue) -> Goal {
    match value {
        WrittenValue::Undefined => Goal::Unset,
        _ => Goal::Fill,
    }
}

fn fields_of(object: &WrittenObject) -> impl Iterator<Item = (&str, Goal)> {
    object.fields.iter().map(|f| (f.name.as_str(), goal_of(&f.value)))
}

/// Every `(table, field, goal)` a function is a backfill for.
fn backfilled_fields(function: &Function) -> Vec<(String, String, Goal)> {
    let mut out = Vec::new();
    match function.kind {
        FunctionKind::Migration => {
            let Some(table) = function.migration_table.as_deref() else { return out };
            let patched = function
                .writes
                .iter()
                .filter(|w| matches!(w.item.op, WriteOp::Patch | WriteOp::Replace) && w.item.target == Origin::MigrateOne)
                .filter_map(|w| w.item.object.as_ref());
            let returned = function.returns.iter().map(|r| &r.item);
            for object in patched.chain(returned) {
                out.extend(fields_of(object).map(|(f, g)| (table.to_string(), f.to_string(), g)));
            }
        }
        FunctionKind::Mutation => {
            for w in &function.writes {
                let (Origin::Read(read), TableRef::Name(table)) = (w.item.target, &w.item.table) else { continue };
                let Some(read) = function.reads.get(read) else { continue };
                let scans =
                    matches!(read.item.terminal, Terminal::Collect | Terminal::Take(_) | Terminal::Paginate { .. } | Terminal::Iterate);
                if !matches!(w.item.op, WriteOp::Patch | WriteOp::Replace) || read.item.table != w.item.table || !scans {
                    continue;
                }
                let Some(object) = &w.item.object else { continue };
                for (field, goal) in fields_of(object) {
                    if read.item.scans_for(field) && migrates(function, &read.item, table, field, goal) {
                        out.push((table.clone(), field.to_string(), goal));
                    }
                }
            }
        }
        _ => {}
    }
    out
}

/// Whether a mutation that scans `table` and writes `field` is migrating it rather than running
/// app logic over the table (enable one provider and disable the others, a game loop's tick, an
/// admin action that picks one document from a collected list): it unsets the field everywhere; it
/// pages through the table with a cursor it is given; it selects or tests the documents where the
/// field is missing; or it is named or placed as a migration (`backfill…`, `migrate…`, `unset…`,
/// a `migrations` module).
fn migrates(function: &Function, read: &crate::model::body::Read, table: &str, field: &str, goal: Goal) -> bool {
    let name = function.name.to_ascii_lowercase();
    let module = function.reference.split(':').next().unwrap_or("").to_ascii_lowercase();
    let named = ["backfill", "migrat", "unset"].iter().any(|hint| name.contains(hint))
        || module.split('/').any(|part| part.starts_with("migration"));
    if named {
        return true;
    }
    // A function that schedules itself again after a while, or without a cursor to go on from,
    // is a loop (a game's tick, a periodic job): whatever it writes, it is app code.
    if loops_itself(function) {
        return false;
    }
    goal == Goal::Unset
        || matches!(read.terminal, Terminal::Paginate { cursor: true })
        || (read.filter_undefined && read.filter_fields.iter().any(|f| f == field))
        || function.tests.iter().any(|(t, f)| t == table && f == field)
}

/// Whether `function` schedules itself with a delay or without passing a cursor on.
fn loops_itself(function: &Function) -> bool {
    let (module, name) = function.reference.split_once(':').unwrap_or(("", &function.reference));
    let own = format!("{}.{name}", module.replace('/', "."));
    function.schedules.iter().any(|s| {
        let target = s.target.strip_prefix("internal.").or_else(|| s.target.strip_prefix("api.")).unwrap_or(&s.target);
        !s.now && target == own && (s.delay.is_none_or(|d| d > 0.0) || !s.cursor)
    })
}

/// The reference a scheduled `internal.a.b.fn` names: `a/b:fn`.
fn reference_of(target: &str) -> Option<String> {
    let path = target.strip_prefix("internal.").or_else(|| target.strip_prefix("api."))?;
    let (module, name) = path.rsplit_once('.')?;
    Some(format!("{}:{name}", module.replace('.', "/")))
}

/// A backfill split over functions (corpus get-convex/chef): a mutation pages through `table`
/// with a cursor, tests documents for `field` being unset, and schedules (directly, or through an
/// action's `runMutation`) a function that writes `field` on the document whose id it is given.
/// The `(table, field, goal)`s `function` backfills that way.
fn chained(function: &Function, by_reference: &HashMap<&str, &Function>) -> Vec<(String, String, Goal)> {
    let mut out = Vec::new();
    if function.kind != FunctionKind::Mutation {
        return out;
    }
    let paged: Vec<&str> = function
        .reads
        .iter()
        .filter(|r| matches!(r.item.terminal, Terminal::Paginate { cursor: true }))
        .filter_map(|r| match &r.item.table {
            TableRef::Name(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    if paged.is_empty() {
        return out;
    }
    // What the functions it schedules write, two calls deep (a mutation, or an action calling one).
    let mut reached: Vec<&Function> = Vec::new();
    let mut frontier: Vec<&Function> =
        function.schedules.iter().filter_map(|s| by_reference.get(reference_of(&s.target)?.as_str()).copied()).collect();
    for _ in 0..2 {
        let mut next = Vec::new();
        for f in frontier {
            if std::ptr::eq(f, function) || reached.iter().any(|r| std::ptr::eq(*r, f)) {
                continue;
            }
            reached.push(f);
            next.extend(f.schedules.iter().filter_map(|s| by_reference.get(reference_of(&s.target)?.as_str()).copied()));
        }
        frontier = next;
    }
    for (table, field) in &function.tests {
        if !paged.contains(&table.as_str()) {
            continue;
        }
        let writes = reached
            .iter()
            .flat_map(|f| f.writes.iter())
            .filter(|w| matches!(w.item.op, WriteOp::Patch | WriteOp::Replace) && w.item.table == TableRef::Name(table.clone()));
        for w in writes {
            if let Some(written) = w.item.object.as_ref().and_then(|o| o.field(field)) {
                let item = (table.clone(), field.clone(), goal_of(&written.value));
                if !out.contains(&item) {
                    out.push(item);
                }
            }
        }
    }
    out
}

/// Whether `function` is a backfill for `table.field`.
pub fn is_backfill(function: &Function, table: &str, field: &str, goal: Goal) -> bool {
    backfilled_fields(function).iter().any(|(t, f, g)| t == table && f == field && *g == goal)
}

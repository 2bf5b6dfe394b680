//! Recognising backfills: functions that go over the documents of a table that may lack a field
//! and write it (or, for a removed field, unset it). An app mutation that sets the field on one
//! document, or on a range chosen by other conditions, is not a backfill.

use crate::model::body::{Origin, TableRef, Terminal, WriteOp, WrittenValue};
use crate::project::{Function, FunctionKind, Project};

/// What the backfill must do to the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// Write a defined value (the field becomes required).
    Fill,
    /// Remove it: `patch(id, { f: undefined })` (the field is removed from the schema).
    Unset,
}

/// The backfills for `table.field` in a project.
pub fn backfills<'p>(project: &'p Project, table: &str, field: &str, goal: Goal) -> Vec<&'p Function> {
    project.functions.iter().filter(|f| is_backfill(f, table, field, goal)).collect()
}

fn writes_goal(value: Option<&WrittenValue>, goal: Goal) -> bool {
    match (value, goal) {
        (Some(WrittenValue::Undefined), Goal::Unset) => true,
        (Some(WrittenValue::Undefined), Goal::Fill) | (None, _) => false,
        (Some(_), Goal::Fill) => true,
        (Some(_), Goal::Unset) => false,
    }
}

/// Whether `function` is a backfill for `table.field`.
pub fn is_backfill(function: &Function, table: &str, field: &str, goal: Goal) -> bool {
    let table_ref = TableRef::Name(table.to_string());
    match function.kind {
        FunctionKind::Migration => {
            if function.migration_table.as_deref() != Some(table) {
                return false;
            }
            let patches = function.writes.iter().any(|w| {
                matches!(w.item.op, WriteOp::Patch | WriteOp::Replace)
                    && w.item.target == Origin::MigrateOne
                    && writes_goal(w.item.object.as_ref().and_then(|o| o.field(field)).map(|f| &f.value), goal)
            });
            let returns = function.returns.iter().any(|r| writes_goal(r.item.field(field).map(|f| &f.value), goal));
            patches || returns
        }
        FunctionKind::Mutation => function.writes.iter().any(|w| {
            let Origin::Read(read) = w.item.target else { return false };
            let Some(read) = function.reads.get(read) else { return false };
            matches!(w.item.op, WriteOp::Patch | WriteOp::Replace)
                && w.item.table == table_ref
                && read.item.table == table_ref
                && read.item.scans_for(field)
                && matches!(read.item.terminal, Terminal::Collect | Terminal::Take(_) | Terminal::Paginate { .. } | Terminal::Iterate)
                && writes_goal(w.item.object.as_ref().and_then(|o| o.field(field)).map(|f| &f.value), goal)
        }),
        _ => false,
    }
}

//! The schema diff: what changed between the base schema and the working one, field by field.

use crate::analysis::compat::narrowing;
use crate::project::{Schema, Table, TableField};

/// One change that Convex checks against existing documents when the schema is pushed.
#[derive(Debug)]
pub enum Change<'a> {
    /// A field is required now, and was absent (`base: None`) or optional at the base.
    BecameRequired { table: &'a Table, field: &'a TableField, base: Option<&'a TableField> },
    /// A field of the base is gone.
    Removed { table: &'a Table, base: &'a TableField },
    /// A field's validator accepts less than at the base.
    Narrowed { table: &'a Table, field: &'a TableField, base: &'a TableField, reason: String },
    /// A table whose document validator is not an object accepts less than at the base.
    TableNarrowed { table: &'a Table, base: &'a Table, reason: String },
    /// A table of the base is not in the schema any more.
    TableRemoved { base: &'a Table },
}

/// Every change from `base` to `working`, in schema order.
pub fn changes<'a>(base: &'a Schema, working: &'a Schema) -> Vec<Change<'a>> {
    let mut out = Vec::new();
    for table in &working.tables {
        let Some(base_table) = base.table(&table.name) else { continue };
        if table.is_object && base_table.is_object {
            field_changes(base_table, table, &mut out);
        } else if let Some(reason) = narrowing(&base_table.validator, &table.validator) {
            out.push(Change::TableNarrowed { table, base: base_table, reason });
        }
    }
    if !working.open {
        for base_table in &base.tables {
            if working.table(&base_table.name).is_none() {
                out.push(Change::TableRemoved { base: base_table });
            }
        }
    }
    out
}

fn field_changes<'a>(base: &'a Table, table: &'a Table, out: &mut Vec<Change<'a>>) {
    for field in &table.fields {
        // A validator we could not read may well be optional: say nothing about it.
        if matches!(field.validator, crate::model::validator::Validator::Unknown | crate::model::validator::Validator::Ref(_)) {
            continue;
        }
        let base_field = base.field(&field.name);
        match base_field {
            None if base.open => {}
            None => {
                if !field.validator.is_optional() {
                    out.push(Change::BecameRequired { table, field, base: None });
                }
            }
            Some(base_field) => {
                if base_field.validator.is_optional() && !field.validator.is_optional() {
                    out.push(Change::BecameRequired { table, field, base: Some(base_field) });
                }
                if let Some(reason) = narrowing(base_field.validator.required(), field.validator.required()) {
                    out.push(Change::Narrowed { table, field, base: base_field, reason });
                }
            }
        }
    }
    if !table.open {
        for base_field in &base.fields {
            if table.field(&base_field.name).is_none() {
                out.push(Change::Removed { table, base: base_field });
            }
        }
    }
}

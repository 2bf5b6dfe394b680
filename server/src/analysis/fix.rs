//! Fixes as the rules decide them: a recipe names what to do and to what (a field, a function,
//! a write at a place), as plain data. The fixes layer turns a recipe into a titled edit, only
//! when someone asks (a code action, `plan --apply`, `check --fix`); the language server carries
//! recipes in its messages and builds the edit on `codeAction/resolve`.

use serde::{Deserialize, Serialize};

use crate::analysis::backfill::Goal;
use crate::line_index::TextRange;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "recipe", rename_all = "camelCase")]
pub enum Recipe {
    /// Wrap the field's validator in `v.optional(...)`.
    MakeOptional { table: String, field: String },
    /// Unwrap `v.optional(...)` once the ledger records the field verified.
    MakeRequired { table: String, field: String },
    /// Put a field removed since the base back as optional, marked deprecated.
    RestoreOptional { table: String, field: String },
    /// A backfill (or, for [`Goal::Unset`], a migration that unsets the field).
    GenerateBackfill { table: String, field: String, goal: Goal },
    /// A verify function that pages through the table and counts what is left.
    GenerateVerify { table: String, field: String, goal: Goal },
    /// Declare an inferred dual-write pair in `convex-migrate.json`.
    DeclareDualWrite { from: String, to: String },
    /// Write `missing` next to `present` in the object of the write at `path`/`write`.
    AlsoWrite { path: String, write: TextRange, present: String, missing: String },
    /// Replace the written value at `path`/`value` by the first literal the field accepts.
    WriteAcceptedValue { path: String, key: TextRange, table: String, field: String },
    /// Rename the written key at `path`/`key` to the nearest field of the table.
    RenameWrittenField { path: String, key: TextRange, to: String },
    /// Add `field` with its default value to the insert whose method is at `path`/`write`.
    AddFieldToInsert { path: String, write: TextRange, table: String, field: String },
    /// Rewrite a backfill that re-reads its batch as one that pages with a cursor.
    RewritePaginated { function: String },
    /// Replace a verify function that collects its table with the paginated one.
    ReplaceVerify { function: String },
    /// Delete a backfill or verify whose migration is done in what is deployed.
    RemoveFinishedMigration { function: String },
    /// `// convex-migrate-disable-next-line RULE -- reason` above the line of `at`.
    DisableLine { path: String, at: TextRange, rule: String },
    /// `// convex-migrate-disable-file RULE -- reason` at the top of the file.
    DisableFile { path: String, rule: String },
}

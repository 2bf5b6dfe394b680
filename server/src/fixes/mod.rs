//! Recipes → text edits: the safe next step as values, for code actions, `plan --apply` and
//! `check --fix`. A recipe (decided by a rule, see [`crate::analysis::fix`]) is offered by title
//! cheaply ([`offer`]) and built into edits only when asked ([`build`]). Every edit is minimal and
//! keeps the surrounding formatting; nothing here writes files.
//!
//! [`edits`] holds the edit builders, [`codegen`] the one renderer of generated TypeScript,
//! [`testgen`] the generated convex-test tests, [`plan`] the migration plans.

pub mod codegen;
pub mod edits;
pub mod plan;
pub mod testgen;

use serde::{Deserialize, Serialize};

use crate::analysis::{Recipe, Revision, Workspace};
use crate::line_index::TextRange;
use crate::model::body::{TableRef, Write, WrittenValue};
use crate::model::validator::Validator;
use crate::project::{Function, Located, Table};

pub use edits::{add_field_to_insert, field_at, make_optional, make_required, remove_finished_migration};

/// A replacement of a byte range of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextEdit {
    pub range: TextRange,
    pub new_text: String,
}

/// Edits to one file (relative to the project root); `create` when the file does not exist yet,
/// `delete` when the file goes (a generated test of a migration that is done).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEdit {
    pub path: String,
    pub create: bool,
    #[serde(default)]
    pub delete: bool,
    pub edits: Vec<TextEdit>,
}

impl FileEdit {
    /// Edits to an existing file.
    pub fn edit(path: impl Into<String>, edits: Vec<TextEdit>) -> FileEdit {
        FileEdit { path: path.into(), create: false, delete: false, edits }
    }

    /// A new file holding `text`.
    pub fn create(path: impl Into<String>, text: String) -> FileEdit {
        FileEdit { path: path.into(), create: true, delete: false, edits: vec![TextEdit { range: TextRange::empty(0), new_text: text }] }
    }

    /// The file deleted.
    pub fn delete(path: impl Into<String>) -> FileEdit {
        FileEdit { path: path.into(), create: false, delete: true, edits: Vec::new() }
    }

    /// The edits as clients are given them: a new file's text in one edit (the pieces it was
    /// built from, kept apart so merged changes add shared imports once, are the tool's
    /// business); an existing file's edits as they are.
    pub fn presented(&self) -> Vec<TextEdit> {
        match self.create {
            true => vec![TextEdit { range: TextRange::empty(0), new_text: apply("", &self.edits) }],
            false => self.edits.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FixKind {
    QuickFix,
    Refactor,
}

/// One fix: a title for the menu and the edits it makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub title: String,
    pub kind: FixKind,
    pub preferred: bool,
    pub edits: Vec<FileEdit>,
}

impl Fix {
    fn single(title: String, kind: FixKind, path: &str, edit: TextEdit) -> Fix {
        Fix { title, kind, preferred: false, edits: vec![FileEdit::edit(path.to_string(), vec![edit])] }
    }

    fn offer(&self) -> Offer {
        Offer { title: self.title.clone(), kind: self.kind, preferred: self.preferred }
    }
}

/// A fix as a menu shows it, before its edits are built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub title: String,
    pub kind: FixKind,
    pub preferred: bool,
}

/// Applies edits to a text (edits must not overlap); out-of-range edits are clamped.
pub fn apply(text: &str, edits: &[TextEdit]) -> String {
    // From the end, so offsets stay valid; inserts at one offset end up in the order given (as
    // LSP applies them).
    let mut edits: Vec<(usize, &TextEdit)> = edits.iter().enumerate().collect();
    edits.sort_by_key(|(i, e)| std::cmp::Reverse((e.range.start, *i)));
    let edits = edits.into_iter().map(|(_, e)| e);
    let mut out = text.to_string();
    for e in edits {
        let end = (e.range.end as usize).min(out.len());
        let start = (e.range.start as usize).min(end);
        if out.is_char_boundary(start) && out.is_char_boundary(end) {
            out.replace_range(start..end, &e.new_text);
        }
    }
    out
}

/// A recipe's title and kind without its edits: `None` when it does not apply to the workspace
/// as it is (the field is already optional, the function is gone, …). Generated code is not
/// rendered here.
pub fn offer(recipe: &Recipe, ws: &Workspace) -> Option<Offer> {
    let working = &ws.working;
    let quick = |title| Offer { title, kind: FixKind::QuickFix, preferred: false };
    match recipe {
        Recipe::GenerateBackfill { table, field, goal } => {
            let (t, f) = working_field(working, table, field)?;
            codegen::backfill_spec(working, t, &f.name, f.validator.required(), *goal, None).map(|s| quick(s.title()))
        }
        Recipe::GenerateVerify { table, field, goal } => {
            let (t, f) = working_field(working, table, field)?;
            codegen::verify_spec(working, t, &f.name, *goal).map(|s| quick(s.title()))
        }
        _ => build(recipe, ws).map(|fix| fix.offer()),
    }
}

/// A recipe's fix with its edits (`None` when it does not apply).
pub fn build(recipe: &Recipe, ws: &Workspace) -> Option<Fix> {
    let working = &ws.working;
    match recipe {
        Recipe::MakeOptional { table, field } => make_optional(working, working_field(working, table, field)?.1),
        Recipe::MakeRequired { table, field } => make_required(working, working_field(working, table, field)?.1),
        Recipe::RestoreOptional { table, field } => {
            let working_table = working.schema.as_ref()?.table(table)?;
            let gone = ws.base()?.schema.as_ref()?.table(table)?.field(field)?;
            edits::restore_optional(working, working_table, gone)
        }
        Recipe::GenerateBackfill { table, field, goal } => {
            let (t, f) = working_field(working, table, field)?;
            codegen::backfill(working, t, &f.name, f.validator.required(), *goal)
        }
        Recipe::GenerateVerify { table, field, goal } => {
            let (t, f) = working_field(working, table, field)?;
            codegen::verify(working, t, &f.name, *goal)
        }
        Recipe::DeclareDualWrite { from, to } => {
            let mut fix = edits::declare_dual_write(ws.config.text.as_deref(), from, to)?;
            fix.title = format!("Declare the dual-write `{from}` → `{to}` in {}", crate::config::FILE_NAME);
            fix.kind = FixKind::QuickFix;
            Some(fix)
        }
        Recipe::AlsoWrite { path, write, present, missing } => {
            let write = write_at(working, path, |w| w.item.method_range == *write)?;
            let present = write.item.object.as_ref()?.field(present)?;
            let file = working.file(write.file);
            let value = file.text.get(present.value_range.as_usize_range())?;
            Some(Fix::single(
                format!("Also write `{missing}` here (from `{}`; adjust the value)", present.name),
                FixKind::QuickFix,
                &file.path,
                TextEdit { range: TextRange::empty(present.value_range.end), new_text: format!(", {missing}: {value}") },
            ))
        }
        Recipe::WriteAcceptedValue { path, key, table, field } => {
            let write = write_at(working, path, |w| has_key(w, *key))?;
            let written = write.item.object.as_ref()?.fields.iter().find(|f| f.range == *key)?;
            let field = working.schema.as_ref()?.table(table)?.field(field)?;
            let literal = match field.validator.required() {
                l @ Validator::Literal(_) => codegen::default_value(l),
                Validator::Union(members) => members.iter().find(|m| matches!(m, Validator::Literal(_))).and_then(codegen::default_value),
                _ => None,
            }?;
            if written.value == WrittenValue::Undefined {
                return None;
            }
            Some(Fix::single(
                format!("Write `{literal}` (a value `{}` accepts)", field.name),
                FixKind::QuickFix,
                working.path(write.file),
                TextEdit { range: written.value_range, new_text: literal },
            ))
        }
        Recipe::RenameWrittenField { path, key, to } => {
            let write = write_at(working, path, |w| has_key(w, *key))?;
            let written = write.item.object.as_ref()?.fields.iter().find(|f| f.range == *key)?;
            let shorthand = written.range == written.value_range;
            let new_text = if shorthand { format!("{to}: {}", written.name) } else { to.clone() };
            let mut fix = Fix::single(
                format!("Did you mean `{to}`?"),
                FixKind::QuickFix,
                working.path(write.file),
                TextEdit { range: written.range, new_text },
            );
            fix.preferred = true;
            Some(fix)
        }
        Recipe::AddFieldToInsert { path, write, table, field } => {
            let write = write_at(working, path, |w| w.item.method_range == *write)?;
            let TableRef::Name(written_table) = &write.item.table else { return None };
            let (t, f) = working_field(working, table, field)?;
            (written_table == &t.name && write.item.object.as_ref()?.field(field).is_none()).then_some(())?;
            add_field_to_insert(working, write, f, None)
        }
        Recipe::RewritePaginated { function } => codegen::paginated_rewrite(working, function_named(working, function)?),
        Recipe::ReplaceVerify { function } => replace_verify(working, function_named(working, function)?),
        Recipe::RemoveFinishedMigration { function } => {
            remove_finished_migration(working, ws.base().map(|b| &*b.project), function_named(working, function)?)
        }
        Recipe::DisableLine { path, at, rule } => {
            let file = working.file(working.file_id(path)?);
            Some(edits::disable_next_line(file, *at, rule))
        }
        Recipe::DisableFile { path, rule } => {
            working.file_id(path)?;
            Some(edits::disable_file(path, rule))
        }
    }
}

/// The refactors offered where the cursor is (byte `offset` of the working file `path`), beside
/// the fixes of the findings there: removing a finished migration under the cursor; for a schema
/// field on the migration path, making it required once verified and generating its backfill and
/// verify when it has none.
pub fn assists(ws: &Workspace, path: &str, offset: u32) -> Vec<Recipe> {
    let working = &ws.working;
    let mut out = Vec::new();
    if let Some(file) = working.file_id(path) {
        for function in working.functions.iter().filter(|f| f.file == file && f.statement.range.contains(offset)) {
            out.push(Recipe::RemoveFinishedMigration { function: function.reference.clone() });
        }
    }
    if let Some((table, field)) = field_at(working, path, TextRange::empty(offset)) {
        let (t, f) = (table.name.clone(), field.name.clone());
        if field.validator.is_optional() && ws.is_verified(&t, &f) {
            out.push(Recipe::MakeRequired { table: t.clone(), field: f.clone() });
        }
        if let Some(state) = crate::analysis::state::MigrationState::of(ws, &t, &f).filter(|s| s.in_transition()) {
            if state.backfills.is_empty() {
                out.push(Recipe::GenerateBackfill { table: t.clone(), field: f.clone(), goal: state.goal });
            }
            if state.verifies.is_empty() {
                out.push(Recipe::GenerateVerify { table: t, field: f, goal: state.goal });
            }
        }
    }
    out
}

fn working_field<'p>(working: &'p Revision, table: &str, field: &str) -> Option<(&'p Table, &'p crate::project::TableField)> {
    let t = working.schema.as_ref()?.table(table)?;
    Some((t, t.field(field)?))
}

fn function_named<'p>(working: &'p Revision, reference: &str) -> Option<&'p Function> {
    working.functions.iter().find(|f| f.reference == reference).map(|f| &**f)
}

/// The first write of a working file that `is` picks (a helper's write appears once per caller).
fn write_at<'p>(working: &'p Revision, path: &str, is: impl Fn(&Located<Write>) -> bool) -> Option<&'p Located<Write>> {
    working.functions.iter().flat_map(|f| f.writes.iter()).find(|w| working.path(w.file) == path && is(w))
}

fn has_key(write: &Located<Write>, key: TextRange) -> bool {
    write.item.object.as_ref().is_some_and(|o| o.fields.iter().any(|f| f.range == key))
}

/// For a verify function that collects its table: the generated paginated verify instead.
fn replace_verify(working: &Revision, function: &Function) -> Option<Fix> {
    let schema = working.schema.as_ref()?;
    let (table, field) = schema.tables.iter().find_map(|t| {
        t.fields.iter().find(|f| working.verifies(&t.name, &f.name).iter().any(|v| v.reference == function.reference)).map(|f| (t, f))
    })?;
    let goal = crate::analysis::state::goal(working, &table.name, &field.name);
    let mut fix = codegen::verify(working, table, &field.name, goal)?;
    let file = working.file(function.file);
    let removal = edits::deletion(file, function.statement.range);
    match fix.edits.iter_mut().find(|e| e.path == file.path) {
        Some(edit) => edit.edits.push(removal),
        None => fix.edits.push(FileEdit::edit(file.path.clone(), vec![removal])),
    }
    fix.title = format!("Replace `{}` with a paginated verify ({})", function.name, fix.title.trim_start_matches("Generate verify "));
    Some(fix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_edits_back_to_front() {
        let edits = vec![
            TextEdit { range: TextRange::new(0, 1), new_text: "A".into() },
            TextEdit { range: TextRange::new(2, 3), new_text: "CC".into() },
            TextEdit { range: TextRange::new(99, 99), new_text: "!".into() },
        ];
        assert_eq!(apply("abc", &edits), "AbCC!");
    }
}

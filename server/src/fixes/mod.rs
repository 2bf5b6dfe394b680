//! Findings → text edits: the safe next step as values (code actions in the editor, `plan --apply`
//! later). Every edit is minimal and keeps the surrounding formatting; nothing here writes files.

pub mod codegen;
pub mod plan;
pub mod testgen;

use serde::{Deserialize, Serialize};

use crate::analysis::{Finding, Rule};
use crate::line_index::{ColumnUnit, TextRange};
use crate::model::validator::Validator;
use crate::project::{Project, Table, TableField};

/// A replacement of a byte range of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextEdit {
    pub range: TextRange,
    pub new_text: String,
}

/// Edits to one file (relative to the project root); `create` when the file does not exist yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEdit {
    pub path: String,
    pub create: bool,
    pub edits: Vec<TextEdit>,
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
        Fix { title, kind, preferred: false, edits: vec![FileEdit { path: path.to_string(), create: false, edits: vec![edit] }] }
    }
}

/// Applies edits to a text (edits must not overlap); out-of-range edits are clamped.
pub fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut edits: Vec<&TextEdit> = edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
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

/// What fixes may need besides the working project.
#[derive(Clone, Copy)]
pub struct FixContext<'a> {
    pub base: Option<&'a Project>,
    pub config: &'a crate::config::Config,
    /// The text of `convex-migrate.json`, when it exists.
    pub config_text: Option<&'a str>,
}

/// The fixes for a finding of the working project.
pub fn for_finding(project: &Project, cx: &FixContext<'_>, finding: &Finding) -> Vec<Fix> {
    let base = cx.base;
    let mut fixes = Vec::new();
    match finding.rule {
        Rule::RequiredWithoutBackfill | Rule::BackfillUnverified => {
            if let Some((table, field)) = field_at(project, &finding.path, finding.range) {
                fixes.extend(make_optional(project, field));
                if finding.rule == Rule::RequiredWithoutBackfill {
                    fixes.extend(codegen::backfill(project, table, &field.name, field.validator.required(), codegen::Goal::Fill));
                }
                fixes.extend(codegen::verify(project, table, &field.name, codegen::Goal::Fill));
            }
        }
        Rule::RemovedField => {
            if let (Some(base), Some(table)) = (base, table_at(project, &finding.path, finding.range)) {
                let working_names: Vec<&str> = table.fields.iter().map(|f| f.name.as_str()).collect();
                if let Some(base_table) = base.schema.as_ref().and_then(|s| s.table(&table.name)) {
                    for gone in base_table.fields.iter().filter(|f| !working_names.contains(&f.name.as_str())) {
                        if finding.message.contains(&format!("`{}.{}`", table.name, gone.name)) {
                            fixes.extend(restore_optional(project, table, gone));
                        }
                    }
                }
            }
        }
        Rule::DualWriteOneSide => fixes.extend(dual_write_fixes(project, cx, finding)),
        Rule::InvalidValue | Rule::UnknownField | Rule::InsertMissingField => fixes.extend(write_fixes(project, finding)),
        Rule::UnpaginatedMigration => {
            let function = project
                .functions
                .iter()
                .find(|f| f.reads.iter().any(|r| project.path(r.file) == finding.path && r.item.range == finding.range));
            fixes.extend(function.and_then(|f| codegen::paginated_rewrite(project, f)));
        }
        Rule::UnboundedCollect => {
            let function = project
                .functions
                .iter()
                .find(|f| f.reads.iter().any(|r| project.path(r.file) == finding.path && r.item.range == finding.range));
            fixes.extend(function.and_then(|f| replace_verify(project, f)));
        }
        _ => {}
    }
    if finding.path.ends_with(".json") {
        return fixes;
    }
    if let Some(file) = project.file_id(&finding.path).map(|id| project.file(id)) {
        fixes.push(disable_next_line(file, finding.range, finding.rule));
        fixes.push(disable_file(&file.path, finding.rule));
    }
    fixes
}

fn table_at<'p>(project: &'p Project, path: &str, range: TextRange) -> Option<&'p Table> {
    let schema = project.schema.as_ref()?;
    schema.tables.iter().find(|t| project.path(t.loc.file) == path && t.loc.range == range)
}

/// For `dual-write-one-side`: declare an inferred pair in the config; where the other side is a
/// field of the same document, add it to the written object (with the same value, to adjust).
fn dual_write_fixes(project: &Project, cx: &FixContext<'_>, finding: &Finding) -> Vec<Fix> {
    use crate::analysis::dual_write::{pairs, Source};
    let mut out = Vec::new();
    let write = project
        .functions
        .iter()
        .flat_map(|f| f.writes.iter())
        .find(|w| project.path(w.file) == finding.path && w.item.method_range == finding.range);
    for pair in pairs(project, cx.base, cx.config) {
        let (from, to) = (pair.from.to_string(), pair.to.to_string());
        if !finding.message.contains(&format!("`{from}` moves to `{to}`")) {
            continue;
        }
        if let Source::Inferred { .. } = pair.source {
            if let Ok(text) = crate::ledger::add_dual_write(cx.config_text, &from, &to) {
                let (create, end) = match cx.config_text {
                    Some(old) => (false, old.len() as u32),
                    None => (true, 0),
                };
                out.push(Fix {
                    title: format!("Declare the dual-write `{from}` → `{to}` in {}", crate::config::FILE_NAME),
                    kind: FixKind::QuickFix,
                    preferred: false,
                    edits: vec![FileEdit {
                        path: crate::config::FILE_NAME.to_string(),
                        create,
                        edits: vec![TextEdit { range: TextRange::new(0, end), new_text: text }],
                    }],
                });
            }
        }
        // Both sides fields of the same table: add the missing one next to the written one.
        let (Some(write), Some(ff), Some(tf)) = (write, &pair.from.field, &pair.to.field) else { continue };
        if pair.from.table != pair.to.table {
            continue;
        }
        let Some(object) = &write.item.object else { continue };
        let (present, missing) = match (object.field(ff), object.field(tf)) {
            (Some(p), None) => (p, tf),
            (None, Some(p)) => (p, ff),
            _ => continue,
        };
        let file = project.file(write.file);
        let Some(value) = file.text.get(present.value_range.as_usize_range()) else { continue };
        out.push(Fix::single(
            format!("Also write `{missing}` here (from `{}`; adjust the value)", present.name),
            FixKind::QuickFix,
            &file.path,
            TextEdit { range: TextRange::empty(present.value_range.end), new_text: format!(", {missing}: {value}") },
        ));
    }
    out
}

/// For a verify function that collects its table: the generated paginated verify instead.
fn replace_verify(project: &Project, function: &crate::project::Function) -> Option<Fix> {
    let schema = project.schema.as_ref()?;
    let (table, field) = schema.tables.iter().find_map(|t| {
        t.fields
            .iter()
            .find(|f| crate::analysis::state::verifies(project, &t.name, &f.name).iter().any(|v| v.reference == function.reference))
            .map(|f| (t, f))
    })?;
    let goal = crate::analysis::state::goal(project, &table.name, &field.name);
    let mut fix = codegen::verify(project, table, &field.name, goal)?;
    let file = project.file(function.file);
    let removal = deletion(file, function.statement.range);
    match fix.edits.iter_mut().find(|e| e.path == file.path) {
        Some(edit) => edit.edits.push(removal),
        None => fix.edits.push(FileEdit { path: file.path.clone(), create: false, edits: vec![removal] }),
    }
    fix.title = format!("Replace `{}` with a paginated verify ({})", function.name, fix.title.trim_start_matches("Generate verify "));
    Some(fix)
}

/// The write a finding points at (its method, or one of its written keys), with its table.
fn write_at<'p>(project: &'p Project, finding: &Finding) -> Option<(&'p crate::project::Located<crate::model::body::Write>, &'p Table)> {
    let write = project.functions.iter().flat_map(|f| f.writes.iter()).find(|w| {
        project.path(w.file) == finding.path
            && (w.item.method_range == finding.range
                || w.item.object.as_ref().is_some_and(|o| o.fields.iter().any(|f| f.range == finding.range)))
    })?;
    let crate::model::body::TableRef::Name(table) = &write.item.table else { return None };
    Some((write, project.schema.as_ref()?.table(table)?))
}

/// Fixes for the write rules: the first valid literal (`invalid-value`), *Did you mean*
/// (`unknown-field`), the missing field with the backfill's default value (`insert-missing-field`).
fn write_fixes(project: &Project, finding: &Finding) -> Vec<Fix> {
    let mut out = Vec::new();
    let Some((write, table)) = write_at(project, finding) else { return out };
    let Some(object) = &write.item.object else { return out };
    let file = project.file(write.file);
    match finding.rule {
        Rule::InvalidValue => {
            let Some(written) = object.fields.iter().find(|f| f.range == finding.range) else { return out };
            let Some(field) = table.field(&written.name) else { return out };
            let literal = match field.validator.required() {
                l @ crate::model::validator::Validator::Literal(_) => codegen::default_value(l),
                crate::model::validator::Validator::Union(members) => {
                    members.iter().find(|m| matches!(m, crate::model::validator::Validator::Literal(_))).and_then(codegen::default_value)
                }
                _ => None,
            };
            if let (Some(literal), false) = (literal, written.value == crate::model::body::WrittenValue::Undefined) {
                out.push(Fix::single(
                    format!("Write `{literal}` (a value `{}` accepts)", field.name),
                    FixKind::QuickFix,
                    &file.path,
                    TextEdit { range: written.value_range, new_text: literal },
                ));
            }
        }
        Rule::UnknownField => {
            let Some(written) = object.fields.iter().find(|f| f.range == finding.range) else { return out };
            let names = table.fields.iter().map(|f| f.name.as_str());
            if let Some(guess) = crate::analysis::rules::unknown_field::nearest(names, &written.name) {
                let shorthand = written.range == written.value_range;
                let new_text = if shorthand { format!("{guess}: {}", written.name) } else { guess.to_string() };
                let mut fix = Fix::single(
                    format!("Did you mean `{guess}`?"),
                    FixKind::QuickFix,
                    &file.path,
                    TextEdit { range: written.range, new_text },
                );
                fix.preferred = true;
                out.push(fix);
            }
        }
        Rule::InsertMissingField => {
            let missing = table
                .fields
                .iter()
                .filter(|f| object.field(&f.name).is_none())
                .find(|f| finding.message.contains(&format!("`{}`", f.name)));
            out.extend(missing.and_then(|field| add_field_to_insert(project, write, field)));
        }
        _ => {}
    }
    out
}

/// Adds `field: <its default value>` to an insert's object literal.
pub fn add_field_to_insert(
    project: &Project,
    write: &crate::project::Located<crate::model::body::Write>,
    field: &TableField,
) -> Option<Fix> {
    let object = write.item.object.as_ref()?;
    let value = codegen::default_value(field.validator.required())?;
    let file = project.file(write.file);
    let text = &*file.text;
    let close = object.range.end.saturating_sub(1);
    let before = text.get(object.range.start as usize..close as usize)?.trim_end();
    let (at, new_text) = if before.ends_with('{') {
        (close, format!(" {}: {value} ", field.name))
    } else if before.ends_with(',') {
        (object.range.start + before.len() as u32, format!(" {}: {value},", field.name))
    } else {
        (object.range.start + before.len() as u32, format!(", {}: {value}", field.name))
    };
    Some(Fix::single(
        format!("Add `{}: {value}` to this insert", field.name),
        FixKind::QuickFix,
        &file.path,
        TextEdit { range: TextRange::empty(at), new_text },
    ))
}

/// The table field whose name is at `range` of `path`.
pub fn field_at<'p>(project: &'p Project, path: &str, range: TextRange) -> Option<(&'p Table, &'p TableField)> {
    let schema = project.schema.as_ref()?;
    schema.tables.iter().find_map(|t| {
        t.fields
            .iter()
            .find(|f| project.path(f.loc.file) == path && f.loc.range.start <= range.start && range.start <= f.loc.range.end)
            .map(|f| (t, f))
    })
}

/// The name `v` has in a file (`import { v as val } from "convex/values"`), default `v`.
fn v_name(project: &Project, path: &str) -> String {
    project.file_id(path).and_then(|id| project.file(id).model.v_name.clone()).unwrap_or_else(|| "v".to_string())
}

/// *Make field optional first*: wraps the validator in `v.optional(...)`; never twice.
pub fn make_optional(project: &Project, field: &TableField) -> Option<Fix> {
    if field.validator.is_optional() {
        return None;
    }
    let path = project.path(field.value.file);
    let text = &project.file(field.value.file).text;
    let value = text.get(field.value.range.as_usize_range())?;
    let v = v_name(project, path);
    let shorthand = field.value.range == field.loc.range;
    let new_text = if shorthand { format!("{value}: {v}.optional({value})") } else { format!("{v}.optional({value})") };
    let mut fix = Fix::single(
        format!("Make `{}` optional first (v.optional)", field.name),
        FixKind::QuickFix,
        path,
        TextEdit { range: field.value.range, new_text },
    );
    fix.preferred = true;
    Some(fix)
}

/// *Make field required*: unwraps `v.optional(x)` (or `x.optional()`) to `x`.
pub fn make_required(project: &Project, field: &TableField) -> Option<Fix> {
    if !field.validator.is_optional() {
        return None;
    }
    let path = project.path(field.value.file);
    let text = &project.file(field.value.file).text;
    let value = text.get(field.value.range.as_usize_range())?;
    let inner = unwrap_optional_text(value, &v_name(project, path))?;
    Some(Fix::single(
        format!("Make `{}` required (verified)", field.name),
        FixKind::Refactor,
        path,
        TextEdit { range: field.value.range, new_text: inner.to_string() },
    ))
}

/// `v.optional(x)` → `x`; `x.optional()` → `x`.
fn unwrap_optional_text<'t>(value: &'t str, v: &str) -> Option<&'t str> {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix(&format!("{v}.optional(")) {
        let inner = rest.strip_suffix(')')?.trim();
        return Some(inner.trim_end_matches(',').trim_end());
    }
    value.strip_suffix(".optional()")
}

/// For `removed-field`: puts the base field back as `v.optional(<base validator>)`, marked deprecated.
pub fn restore_optional(project: &Project, table: &Table, gone: &TableField) -> Option<Fix> {
    let first = table.fields.first()?;
    let path = project.path(first.loc.file);
    let text = &project.file(first.loc.file).text;
    let index = &project.file(first.loc.file).model.line_index;
    let validator = gone.validator.required();
    if validator.has_unknown() {
        return None;
    }
    let v = v_name(project, path);
    let rendered = render_with_v(validator, &v);
    let line = index.line_col(text, first.loc.range.start, ColumnUnit::Utf8).line;
    let line_start = index.line_range(text, line).start;
    let before = &text[line_start as usize..first.loc.range.start as usize];
    let (at, indent, newline) = if before.trim().is_empty() {
        (line_start, before.to_string(), "\n")
    } else {
        // Fields on one line (`defineTable({ a: v.string() })`): insert inline.
        (first.loc.range.start, String::new(), " ")
    };
    let comment = if newline == "\n" {
        format!("{indent}// Deprecated: kept optional until a migration unsets it everywhere, then removed.\n")
    } else {
        String::new()
    };
    let new_text = format!("{comment}{indent}{}: {v}.optional({rendered}),{newline}", gone.name);
    Some(Fix::single(
        format!("Put `{}` back as optional until it is unset everywhere", gone.name),
        FixKind::QuickFix,
        path,
        TextEdit { range: TextRange::empty(at), new_text },
    ))
}

/// A validator as code, with the file's own name for `v`.
pub fn render_with_v(validator: &Validator, v: &str) -> String {
    let text = validator.to_string();
    if v == "v" {
        text
    } else {
        text.replace("v.", &format!("{v}."))
    }
}

/// *Disable RULE for this line*: the suppression comment above the line, with a reason to fill in.
pub fn disable_next_line(file: &crate::project::SourceFile, range: TextRange, rule: Rule) -> Fix {
    let (path, text, index) = (&file.path, &*file.text, &file.model.line_index);
    let line = index.line_col(text, range.start, ColumnUnit::Utf8).line;
    let line_range = index.line_range(text, line);
    let line_text = &text[line_range.as_usize_range()];
    let indent: String = line_text.chars().take_while(|c| c.is_whitespace()).collect();
    Fix::single(
        format!("Disable {} for this line", rule.id()),
        FixKind::QuickFix,
        path,
        TextEdit {
            range: TextRange::empty(line_range.start),
            new_text: format!("{indent}// convex-migrate-disable-next-line {} -- {}\n", rule.id(), REASON_PLACEHOLDER),
        },
    )
}

/// The reason text a suppression is inserted with (the editor selects it for the user to replace).
pub const REASON_PLACEHOLDER: &str = "reason";

/// *Disable RULE for this file*.
pub fn disable_file(path: &str, rule: Rule) -> Fix {
    Fix::single(
        format!("Disable {} for this file", rule.id()),
        FixKind::QuickFix,
        path,
        TextEdit {
            range: TextRange::empty(0),
            new_text: format!("// convex-migrate-disable-file {} -- {}\n", rule.id(), REASON_PLACEHOLDER),
        },
    )
}

/// *Remove finished migration*: on a backfill or verify function whose migration is done in what
/// is deployed (a filled field required at the base and now; an unset field gone from the schema at
/// the base and now), deletes its declaration with the comment block right above it. For a verify,
/// its page query goes too.
pub fn remove_finished_migration(working: &Project, base: Option<&Project>, function: &crate::project::Function) -> Option<Fix> {
    use crate::analysis::backfill::{is_backfill, Goal};
    use crate::analysis::state::verifies;
    let base_schema = base?.schema.as_ref()?;
    let schema = working.schema.as_ref()?;
    let mut candidates: Vec<(&str, &str)> = Vec::new();
    for t in base_schema.tables.iter().chain(schema.tables.iter()) {
        for f in &t.fields {
            if !candidates.contains(&(t.name.as_str(), f.name.as_str())) {
                candidates.push((t.name.as_str(), f.name.as_str()));
            }
        }
    }
    // Fields no schema has any more: those the function writes or tests (or its page query tests).
    let page = working.functions.iter().find(|p| p.file == function.file && p.name == format!("{}Page", function.name));
    let mentioned: Vec<(String, String)> = function.mentions.iter().chain(page.iter().flat_map(|p| p.mentions.iter())).cloned().collect();
    let written: Vec<(String, String)> = function
        .writes
        .iter()
        .filter_map(|w| match &w.item.table {
            crate::model::body::TableRef::Name(t) => Some((t.clone(), w.item.object.as_ref()?)),
            _ => Some((function.migration_table.clone()?, w.item.object.as_ref()?)),
        })
        .flat_map(|(t, o)| o.fields.iter().map(move |f| (t.clone(), f.name.clone())))
        .collect();
    for (t, f) in mentioned.iter().chain(written.iter()) {
        if !candidates.contains(&(t.as_str(), f.as_str())) {
            candidates.push((t.as_str(), f.as_str()));
        }
    }
    for (table, field) in candidates {
        let (Some(bt), Some(wt)) = (base_schema.table(table), schema.table(table)) else { continue };
        let required = |f: Option<&crate::project::TableField>| f.is_some_and(|f| !f.validator.is_optional());
        let goal = if required(bt.field(field)) && required(wt.field(field)) {
            Goal::Fill
        } else if bt.field(field).is_none() && wt.field(field).is_none() && !bt.open && !wt.open {
            Goal::Unset
        } else {
            continue;
        };
        let done = match goal {
            Goal::Fill => "is required in what is deployed",
            Goal::Unset => "is removed in what is deployed",
        };
        if is_backfill(function, table, field, goal) {
            let title = format!("Remove finished migration `{}` (`{table}.{field}` {done})", function.name);
            return Some(delete_functions(working, &[function], title));
        }
        let verify = verifies(working, table, field).into_iter().find(|v| {
            v.reference == function.reference || (v.file == function.file && function.name.strip_suffix("Page") == Some(v.name.as_str()))
        });
        if let Some(verify) = verify {
            let page = working.functions.iter().find(|p| p.file == verify.file && p.name == format!("{}Page", verify.name));
            let mut doomed = vec![verify];
            doomed.extend(page.map(|p| &**p));
            let title = format!("Remove finished verify `{}` (`{table}.{field}` {done})", verify.name);
            return Some(delete_functions(working, &doomed, title));
        }
    }
    None
}

/// Deletes whole function declarations (with the comment block right above each), and the
/// imports that only they used.
fn delete_functions(working: &Project, functions: &[&crate::project::Function], title: String) -> Fix {
    let file = working.file(functions[0].statement.file);
    let mut edits: Vec<TextEdit> =
        functions.iter().filter(|f| f.statement.file == functions[0].statement.file).map(|f| deletion(file, f.statement.range)).collect();
    edits.extend(unused_imports(file, &edits));
    Fix { title, kind: FixKind::Refactor, preferred: false, edits: vec![FileEdit { path: file.path.clone(), create: false, edits }] }
}

/// The edits that remove imports nothing uses once `deletions` are applied: the whole declaration
/// when none of its specifiers is used, else its list written again with the ones still used.
pub(crate) fn unused_imports(file: &crate::project::SourceFile, deletions: &[TextEdit]) -> Vec<TextEdit> {
    let text = &*file.text;
    let decls = &file.model.import_decls;
    // The text that stays, without the import declarations themselves.
    let mut cuts: Vec<TextRange> = deletions.iter().map(|d| d.range).chain(decls.iter().map(|d| d.range)).collect();
    cuts.sort_by_key(|r| r.start);
    let mut kept = String::with_capacity(text.len());
    let mut at = 0usize;
    for cut in cuts {
        let (start, end) = ((cut.start as usize).min(text.len()), (cut.end as usize).min(text.len()));
        if start >= at {
            kept.push_str(&text[at..start]);
        }
        at = at.max(end);
    }
    kept.push_str(&text[at.min(text.len())..]);
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let used = |name: &str| {
        kept.match_indices(name)
            .any(|(i, _)| !kept[..i].chars().next_back().is_some_and(ident) && !kept[i + name.len()..].chars().next().is_some_and(ident))
    };
    let mut out = Vec::new();
    for decl in decls.iter().filter(|d| !d.specifiers.is_empty()) {
        let unused = decl.specifiers.iter().filter(|(name, _)| !used(name)).count();
        if unused == 0 {
            continue;
        }
        if unused == decl.specifiers.len() {
            let mut end = decl.range.end as usize + usize::from(text[decl.range.end as usize..].starts_with('\n'));
            // The file's only import, at its top: the blank line after it goes too.
            if decl.range.start == 0 && decls.len() == 1 && text[end..].starts_with('\n') {
                end += 1;
            }
            out.push(TextEdit { range: TextRange::new(decl.range.start, end as u32), new_text: String::new() });
            continue;
        }
        let (first, last) = (decl.specifiers[0].1.start, decl.specifiers[decl.specifiers.len() - 1].1.end);
        let kept: Vec<&str> = decl.specifiers.iter().filter(|(n, _)| used(n)).filter_map(|(_, r)| text.get(r.as_usize_range())).collect();
        out.push(TextEdit { range: TextRange::new(first, last), new_text: kept.join(", ") });
    }
    out
}

/// The edit that deletes the lines of `statement`, the comment block right above it, and a blank
/// line when the removal would leave two.
pub(crate) fn deletion(file: &crate::project::SourceFile, statement: TextRange) -> TextEdit {
    let (text, index) = (&*file.text, &file.model.line_index);
    let first_line = index.line_col(text, statement.start, ColumnUnit::Utf8).line;
    let last_line = index.line_col(text, statement.end, ColumnUnit::Utf8).line;
    let mut start_line = first_line;
    while start_line > 0 {
        let above = text[index.line_range(text, start_line - 1).as_usize_range()].trim_start();
        if above.starts_with("//") || above.starts_with("/*") || above.starts_with('*') {
            start_line -= 1;
        } else {
            break;
        }
    }
    let start = index.line_range(text, start_line).start as usize;
    let mut end = index.line_range(text, last_line).end as usize;
    if text[end..].starts_with("\r\n") {
        end += 2;
    } else if text[end..].starts_with('\n') {
        end += 1;
    }
    if text[..start].ends_with("\n\n") && text[end..].starts_with('\n') {
        end += 1;
    }
    TextEdit { range: TextRange::new(start as u32, end as u32), new_text: String::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_both_optional_forms() {
        assert_eq!(unwrap_optional_text("v.optional(v.string())", "v"), Some("v.string()"));
        assert_eq!(unwrap_optional_text("v.optional(\n  v.string(),\n)", "v"), Some("v.string()"));
        assert_eq!(unwrap_optional_text("v.string().optional()", "v"), Some("v.string()"));
        assert_eq!(unwrap_optional_text("vv.optional(x)", "vv"), Some("x"));
        assert_eq!(unwrap_optional_text("v.string()", "v"), None);
    }

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

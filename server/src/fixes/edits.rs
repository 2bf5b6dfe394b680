//! The edit builders: minimal edits that keep the surrounding formatting, each a value. Schema
//! edits (make a field optional or required, put a removed field back), edits of writes (add a
//! field to an insert), suppression comments, and deletions (a function with the comment above
//! it, and the imports only it used).

use crate::analysis::Revision;
use crate::fixes::{codegen, FileEdit, Fix, FixKind, TextEdit};
use crate::line_index::{ColumnUnit, TextRange};
use crate::model::body::Write;
use crate::model::validator::Validator;
use crate::project::{Function, Located, Project, SourceFile, Table, TableField};

/// Adds `field: <value>` to an insert's object literal: `given` (`plan --default`), with each
/// `doc.x` it reads replaced by what the insert writes to `x` (`None` when it writes no `x`), else
/// the value codegen chooses (a placeholder naming the choices for a union of literals).
pub fn add_field_to_insert(project: &Project, write: &Located<Write>, field: &TableField, given: Option<&str>) -> Option<Fix> {
    let object = write.item.object.as_ref()?;
    let chosen = codegen::choose(field.validator.required(), given)?;
    let file = project.file(write.file);
    let text = &*file.text;
    let mut value = chosen.code.clone();
    for source in &chosen.reads {
        let written = object.field(source)?;
        let expr = text.get(written.value_range.as_usize_range())?;
        value = replace_doc_read(&value, source, &format!("({expr})"));
    }
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

/// `code` with each `doc.source` / `doc?.source` replaced by `with`.
fn replace_doc_read(code: &str, source: &str, with: &str) -> String {
    let mut out = code.to_string();
    for form in [format!("doc?.{source}"), format!("doc.{source}")] {
        let mut result = String::new();
        let mut rest = out.as_str();
        while let Some(i) = rest.find(&form) {
            let after = rest[i + form.len()..].chars().next();
            let before = rest[..i].chars().next_back();
            let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
            result.push_str(&rest[..i]);
            if after.is_some_and(ident) || before.is_some_and(|c| ident(c) || c == '.') {
                result.push_str(&form);
            } else {
                result.push_str(with);
            }
            rest = &rest[i + form.len()..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// Where the line holding byte `offset` of `file` starts, and its indentation when only white
/// space stands before `offset` on it (`None`: something else does, e.g. fields on one line).
pub(crate) fn line_start_and_indent(file: &SourceFile, offset: u32) -> (u32, Option<&str>) {
    let (text, index) = (&*file.text, &file.model.line_index);
    let line = index.line_col(text, offset, ColumnUnit::Utf8).line;
    let start = index.line_range(text, line).start;
    let before = text.get(start as usize..offset as usize).unwrap_or("");
    (start, before.trim().is_empty().then_some(before))
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
    let validator = gone.validator.required();
    if validator.has_unknown() {
        return None;
    }
    let v = v_name(project, path);
    let rendered = render_with_v(validator, &v);
    let (at, indent, newline) = match line_start_and_indent(project.file(first.loc.file), first.loc.range.start) {
        (line_start, Some(indent)) => (line_start, indent.to_string(), "\n"),
        (_, None) => {
            // Fields on one line (`defineTable({ a: v.string() })`): insert inline.
            (first.loc.range.start, String::new(), " ")
        }
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
pub fn disable_next_line(file: &SourceFile, range: TextRange, rule: &str) -> Fix {
    let (path, text, index) = (&file.path, &*file.text, &file.model.line_index);
    let line = index.line_col(text, range.start, ColumnUnit::Utf8).line;
    let line_range = index.line_range(text, line);
    let line_text = &text[line_range.as_usize_range()];
    let indent: String = line_text.chars().take_while(|c| c.is_whitespace()).collect();
    Fix::single(
        format!("Disable {rule} for this line"),
        FixKind::QuickFix,
        path,
        TextEdit {
            range: TextRange::empty(line_range.start),
            new_text: format!("{indent}// convex-migrate-disable-next-line {rule} -- {REASON_PLACEHOLDER}\n"),
        },
    )
}

/// The reason text a suppression is inserted with (the editor selects it for the user to replace).
pub const REASON_PLACEHOLDER: &str = "reason";

/// *Disable RULE for this file*.
pub fn disable_file(path: &str, rule: &str) -> Fix {
    Fix::single(
        format!("Disable {rule} for this file"),
        FixKind::QuickFix,
        path,
        TextEdit { range: TextRange::empty(0), new_text: format!("// convex-migrate-disable-file {rule} -- {REASON_PLACEHOLDER}\n") },
    )
}

/// *Remove finished migration*: on a backfill or verify function whose migration is done in what
/// is deployed (a filled field required at the base and now; an unset field gone from the schema at
/// the base and now), deletes its declaration with the comment block right above it. For a verify,
/// its page query goes too.
pub fn remove_finished_migration(working: &Revision, base: Option<&Project>, function: &Function) -> Option<Fix> {
    use crate::analysis::backfill::{is_backfill, Goal};
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
        let required = |f: Option<&TableField>| f.is_some_and(|f| !f.validator.is_optional());
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
        let verify = working.verifies(table, field).into_iter().find(|v| {
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
fn delete_functions(working: &Project, functions: &[&Function], title: String) -> Fix {
    let file = working.file(functions[0].statement.file);
    let mut edits: Vec<TextEdit> =
        functions.iter().filter(|f| f.statement.file == functions[0].statement.file).map(|f| deletion(file, f.statement.range)).collect();
    edits.extend(unused_imports(file, &edits));
    Fix { title, kind: FixKind::Refactor, preferred: false, edits: vec![FileEdit::edit(file.path.clone(), edits)] }
}

/// The edits that remove imports nothing uses once `deletions` are applied: the whole declaration
/// when none of its specifiers is used, else its list written again with the ones still used.
pub(crate) fn unused_imports(file: &SourceFile, deletions: &[TextEdit]) -> Vec<TextEdit> {
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
pub(crate) fn deletion(file: &SourceFile, statement: TextRange) -> TextEdit {
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

/// The config file's text with the dual-write pair declared (the file created when missing), as
/// one edit of the whole file; titled for `plan`.
pub fn declare_dual_write(config_text: Option<&str>, from: &str, to: &str) -> Option<Fix> {
    let text = crate::config::ledger::add_dual_write(config_text, from, to).ok()?;
    let end = config_text.map(|t| t.len() as u32).unwrap_or(0);
    Some(Fix {
        title: format!("Declare the dual-write `{from}` → `{to}`"),
        kind: FixKind::Refactor,
        preferred: false,
        edits: vec![match config_text {
            None => FileEdit::create(crate::config::FILE_NAME, text),
            Some(_) => FileEdit::edit(crate::config::FILE_NAME, vec![TextEdit { range: TextRange::new(0, end), new_text: text }]),
        }],
    })
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
}

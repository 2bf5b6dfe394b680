//! Reporters: the same findings as rustc-style text, JSON (the stable contract), GitHub workflow
//! commands and SARIF 2.1.0. Lines and columns are 1-based; columns count Unicode characters.

use std::fmt::Write;

use serde_json::json;

use crate::analysis::{Finding, Rule};
use crate::cli::Format;
use crate::config::{Severity, FILE_NAME};
use crate::line_index::{ColumnUnit, LineCol, LineIndex, TextRange};
use crate::sources::Working;

/// 1-based start and end positions of a range in a file.
struct Span {
    start: LineCol,
    end: LineCol,
}

/// The text of a file the findings point into.
fn text_of<'a>(working: &'a Working, path: &str) -> Option<&'a str> {
    if path == FILE_NAME {
        return working.config_text.as_deref();
    }
    working.project.file_id(path).map(|id| &*working.project.file(id).text)
}

fn span(text: Option<&str>, range: TextRange) -> Span {
    let Some(text) = text else {
        return Span { start: LineCol { line: 1, col: 1 }, end: LineCol { line: 1, col: 1 } };
    };
    let index = LineIndex::new(text);
    let one = |p: LineCol| LineCol { line: p.line + 1, col: p.col + 1 };
    Span { start: one(index.line_col(text, range.start, ColumnUnit::Chars)), end: one(index.line_col(text, range.end, ColumnUnit::Chars)) }
}

pub fn render(format: Format, working: &Working, base: Option<&str>, findings: &[Finding]) -> String {
    match format {
        Format::Human => human(working, findings),
        Format::Json => json(working, base, findings),
        Format::Github => github(working, findings),
        Format::Sarif => sarif(working, findings),
    }
}

/// The path as the user named it from where they ran the command (for GitHub and SARIF, whose
/// paths are relative to the repository checkout, where CI runs).
fn display_path(working: &Working, path: &str) -> String {
    let root = working.root.to_string_lossy();
    let root = root.trim_start_matches("./").trim_end_matches('/');
    if root.is_empty() || root == "." || working.root.is_absolute() {
        path.to_string()
    } else {
        format!("{root}/{path}")
    }
}

fn human(working: &Working, findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        let text = text_of(working, &finding.path);
        let s = span(text, finding.range);
        let _ = writeln!(out, "{}[{}]: {}", finding.severity.as_str(), finding.rule.id(), finding.message);
        let gutter = s.start.line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{pad}--> {}:{}:{}", display_path(working, &finding.path), s.start.line, s.start.col);
        if let Some(text) = text {
            let index = LineIndex::new(text);
            let line_range = index.line_range(text, s.start.line - 1);
            let line = &text[line_range.as_usize_range()];
            let width = if s.end.line == s.start.line {
                (s.end.col - s.start.col).max(1)
            } else {
                (line.chars().count() as u32 + 1).saturating_sub(s.start.col).max(1)
            };
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{} | {}", s.start.line, line.replace('\t', " "));
            let _ = writeln!(out, "{pad} | {}{}", " ".repeat(s.start.col as usize - 1), "^".repeat(width as usize));
        }
        for related in &finding.related {
            let rs = span(text_of(working, &related.path), related.range);
            let _ = writeln!(
                out,
                "{pad} = note: {}: {}:{}:{}",
                related.message,
                display_path(working, &related.path),
                rs.start.line,
                rs.start.col
            );
        }
        if let Some(help) = &finding.help {
            let _ = writeln!(out, "{pad} = help: {help}");
        }
        let _ = writeln!(out);
    }
    let count = |sev: Severity| findings.iter().filter(|f| f.severity == sev).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if findings.is_empty() {
        out.push_str("No migration problems found.\n");
    } else {
        let _ = writeln!(
            out,
            "{}, {}, {}",
            plural(count(Severity::Error), "error"),
            plural(count(Severity::Warning), "warning"),
            plural(count(Severity::Info) + count(Severity::Hint), "note")
        );
    }
    out
}

fn json(working: &Working, base: Option<&str>, findings: &[Finding]) -> String {
    let diagnostics: Vec<_> = findings
        .iter()
        .map(|f| {
            let s = span(text_of(working, &f.path), f.range);
            json!({
                "path": f.path,
                "line": s.start.line,
                "column": s.start.col,
                "endLine": s.end.line,
                "endColumn": s.end.col,
                "severity": f.severity.as_str(),
                "rule": f.rule.id(),
                "message": f.full_message(),
            })
        })
        .collect();
    let value = json!({ "version": 1, "base": base, "diagnostics": diagnostics });
    format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default())
}

/// Escapes per GitHub's workflow-command rules.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github(working: &Working, findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let s = span(text_of(working, &f.path), f.range);
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info | Severity::Hint => "notice",
        };
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&display_path(working, &f.path)),
            s.start.line,
            s.start.col,
            s.end.line,
            s.end.col,
            escape_property(&format!("convex-migrate {}", f.rule.id())),
            escape_data(&f.full_message())
        );
    }
    out
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

fn sarif(working: &Working, findings: &[Finding]) -> String {
    let rules: Vec<_> = Rule::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "name": r.id(),
                "shortDescription": { "text": r.summary() },
                "fullDescription": { "text": r.summary() },
                "help": { "text": r.doc(), "markdown": r.doc() },
                "defaultConfiguration": { "level": sarif_level(r.default_severity()) },
            })
        })
        .collect();
    let location = |path: &str, range: TextRange| {
        let s = span(text_of(working, path), range);
        json!({
            "physicalLocation": {
                "artifactLocation": { "uri": display_path(working, path) },
                "region": { "startLine": s.start.line, "startColumn": s.start.col, "endLine": s.end.line, "endColumn": s.end.col },
            }
        })
    };
    let results: Vec<_> = findings
        .iter()
        .map(|f| {
            let related: Vec<_> = f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut l = location(&r.path, r.range);
                    l["id"] = json!(i);
                    l["message"] = json!({ "text": r.message });
                    l
                })
                .collect();
            json!({
                "ruleId": f.rule.id(),
                "ruleIndex": Rule::ALL.iter().position(|r| *r == f.rule),
                "level": sarif_level(f.severity),
                "message": { "text": f.full_message() },
                "locations": [location(&f.path, f.range)],
                "relatedLocations": related,
            })
        })
        .collect();
    let value = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "convex-migrate",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_commands() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}

//! Reporters: the same findings as rustc-style text, JSON (the stable contract), GitHub workflow
//! commands and SARIF 2.1.0. Lines and columns are 1-based; columns count Unicode characters.

use std::fmt::Write;

use serde_json::json;

use std::path::Path;

use crate::analysis::{BaseSource, Baseline, Counts, Finding, Location, Rule, Workspace};
use crate::cli::Format;
use crate::config::Severity;
use crate::line_index::{ColumnUnit, LineCol, LineIndex, TextRange};

/// 1-based start and end positions of a range in a file.
struct Span {
    start: LineCol,
    end: LineCol,
}

fn span(text: Option<&str>, range: TextRange) -> Span {
    let Some(text) = text else {
        return Span { start: LineCol { line: 1, col: 1 }, end: LineCol { line: 1, col: 1 } };
    };
    let index = LineIndex::new(text);
    let one = |p: LineCol| LineCol { line: p.line + 1, col: p.col + 1 };
    Span { start: one(index.line_col(text, range.start, ColumnUnit::Chars)), end: one(index.line_col(text, range.end, ColumnUnit::Chars)) }
}

/// The 1-based span of a location, converted with the text of its own side.
fn span_of(ws: &Workspace, location: &Location) -> Span {
    span(ws.text(location.side, &location.path), location.range)
}

/// `root` is the project root as the user named it (paths in GitHub and SARIF output start there).
pub fn render(format: Format, ws: &Workspace, root: &Path, findings: &[Finding]) -> String {
    let out = Out { ws, root };
    match format {
        Format::Human => out.human(findings),
        Format::Json => out.json(findings),
        Format::Github => out.github(findings),
        Format::Sarif => out.sarif(findings),
    }
}

struct Out<'a> {
    ws: &'a Workspace,
    root: &'a Path,
}

/// The path as the user named it from where they ran the command (for GitHub and SARIF, whose
/// paths are relative to the repository checkout, where CI runs).
fn display_path(root_path: &Path, path: &str) -> String {
    let root = root_path.to_string_lossy();
    let root = root.trim_start_matches("./").trim_end_matches('/');
    if root.is_empty() || root == "." || root_path.is_absolute() {
        path.to_string()
    } else {
        format!("{root}/{path}")
    }
}

fn counted(c: Counts) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!("{}, {}, {}", plural(c.files, "file"), plural(c.tables, "table"), plural(c.functions, "function"))
}

/// What was compared, in one sentence: the base (the commit it resolved to, or the folder) and
/// what was read on each side, or that there was no base and the transition rules were off.
pub fn comparison(ws: &Workspace) -> String {
    let here = counted(ws.working.counts());
    let judged = format!("verifications counted for `{}`", ws.deployment);
    match &ws.base {
        Baseline::Read { revision, source } => {
            let base = match source {
                BaseSource::Commit { id, described_as } => format!("{described_as} ({})", &id[..id.len().min(12)]),
                BaseSource::Folder { path } => format!("the folder {path}"),
                BaseSource::Given => "the given base".to_string(),
            };
            let off = if ws.transition_rules() { "" } else { "; no schema on both sides, so the transition rules were off" };
            format!("Compared with {base}: read {here} here and {} at the base{off}; {judged}.", counted(revision.counts()))
        }
        Baseline::Off { reason } => format!("No base ({reason}): the transition rules were off; read {here}."),
    }
}

/// The same, as data (JSON's top level, SARIF's run properties).
pub fn comparison_json(ws: &Workspace) -> serde_json::Value {
    let baseline = match &ws.base {
        Baseline::Read { source: BaseSource::Commit { id, described_as }, .. } => {
            json!({ "kind": "commit", "commit": id, "describedAs": described_as })
        }
        Baseline::Read { source: BaseSource::Folder { path }, .. } => json!({ "kind": "folder", "path": path }),
        Baseline::Read { source: BaseSource::Given, .. } => json!({ "kind": "given" }),
        Baseline::Off { reason } => json!({ "kind": "none", "reason": reason }),
    };
    json!({
        "baseline": baseline,
        "transitionRules": ws.transition_rules(),
        "deployment": ws.deployment,
        "read": { "working": ws.working.counts(), "base": ws.base().map(|b| b.counts()) },
    })
}

/// Escapes per GitHub's workflow-command rules.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

impl Out<'_> {
    fn human(&self, findings: &[Finding]) -> String {
        let mut out = String::new();
        for finding in findings {
            let here = &finding.location;
            let text = self.ws.text(here.side, &here.path);
            let s = span(text, here.range);
            let _ = writeln!(out, "{}[{}]: {}", finding.severity.as_str(), finding.rule.id(), finding.message);
            let gutter = s.start.line.to_string().len();
            let pad = " ".repeat(gutter);
            let _ = writeln!(out, "{pad}--> {}:{}:{}", display_path(self.root, &here.path), s.start.line, s.start.col);
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
                let rs = span_of(self.ws, &related.location);
                let _ = writeln!(
                    out,
                    "{pad} = note: {}: {}:{}:{}",
                    related.message,
                    display_path(self.root, &related.location.path),
                    rs.start.line,
                    rs.start.col
                );
            }
            if let Some(data) = &finding.data {
                let _ = writeln!(out, "{pad} = data: {}", data_line(data));
            }
            if let Some(help) = &finding.help {
                let _ = writeln!(out, "{pad} = help: {help}");
            }
            let _ = writeln!(out);
        }
        let count = |sev: Severity| findings.iter().filter(|f| f.severity == sev).count();
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        if findings.is_empty() {
            let _ = writeln!(out, "No migration problems found. {}", comparison(self.ws));
        } else {
            let _ = writeln!(
                out,
                "{}, {}, {}. {}",
                plural(count(Severity::Error), "error"),
                plural(count(Severity::Warning), "warning"),
                plural(count(Severity::Info) + count(Severity::Hint), "note"),
                comparison(self.ws)
            );
        }
        out
    }

    fn json(&self, findings: &[Finding]) -> String {
        let diagnostics: Vec<_> = findings
            .iter()
            .map(|f| {
                let s = span_of(self.ws, &f.location);
                let mut d = json!({
                    "path": f.location.path,
                    "line": s.start.line,
                    "column": s.start.col,
                    "endLine": s.end.line,
                    "endColumn": s.end.col,
                    "severity": f.severity.as_str(),
                    "rule": f.rule.id(),
                    "message": f.full_message(),
                });
                if let Some(data) = &f.data {
                    d["data"] = data_json(data);
                }
                d
            })
            .collect();
        let mut value = json!({ "version": 1, "base": self.ws.base.commit() });
        if let (Some(map), serde_json::Value::Object(more)) = (value.as_object_mut(), comparison_json(self.ws)) {
            map.extend(more);
            map.insert("diagnostics".into(), serde_json::Value::Array(diagnostics));
        }
        if let Some(snapshot) = self.ws.data.as_deref() {
            value["snapshot"] = snapshot_json(snapshot);
        }
        format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default())
    }

    fn github(&self, findings: &[Finding]) -> String {
        let mut out = String::new();
        for f in findings {
            let s = span_of(self.ws, &f.location);
            let command = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info | Severity::Hint => "notice",
            };
            let _ = writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&display_path(self.root, &f.location.path)),
                s.start.line,
                s.start.col,
                s.end.line,
                s.end.col,
                escape_property(&format!("convex-migrate {}", f.rule.id())),
                escape_data(&f.full_message())
            );
        }
        // What was compared, as a notice of the run (no file): every format says it.
        let _ = writeln!(out, "::notice title=convex-migrate::{}", escape_data(&comparison(self.ws)));
        out
    }

    fn sarif(&self, findings: &[Finding]) -> String {
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
        let location = |location: &Location| {
            let s = span_of(self.ws, location);
            json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": display_path(self.root, &location.path) },
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
                        let mut l = location(&r.location);
                        l["id"] = json!(i);
                        l["message"] = json!({ "text": r.message });
                        l
                    })
                    .collect();
                let mut result = json!({
                    "ruleId": f.rule.id(),
                    "ruleIndex": Rule::ALL.iter().position(|r| *r == f.rule),
                    "level": sarif_level(f.severity),
                    "message": { "text": f.full_message() },
                    "locations": [location(&f.location)],
                    "relatedLocations": related,
                });
                if let Some(data) = &f.data {
                    result["properties"] = json!({ "data": data_json(data) });
                }
                result
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
            "properties": comparison_json(self.ws),
                "results": results,
            }],
        });
        format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default())
    }
}

/// A finding's counts: `{ "total", "affected", "samples" }` (and when the snapshot was taken).
fn data_json(data: &crate::analysis::data::DataFacts) -> serde_json::Value {
    let mut value = json!({ "table": data.table, "total": data.total, "affected": data.affected, "samples": data.samples });
    if let Some(taken) = &data.taken {
        value["snapshotTakenAt"] = json!(taken);
    }
    value
}

/// The snapshot read: its file, when it was taken, the tables read with their documents.
fn snapshot_json(snapshot: &crate::analysis::data::Snapshot) -> serde_json::Value {
    json!({
        "path": snapshot.path,
        "takenAt": snapshot.taken.as_ref().map(|t| t.at.clone()),
        "deployment": snapshot.deployment,
        "tables": snapshot.tables,
    })
}

/// `3 of 5 documents affected (e.g. jd7…, jd8…)`.
fn data_line(data: &crate::analysis::data::DataFacts) -> String {
    let mut line = format!("{} of {} document{} affected", data.affected, data.total, if data.total == 1 { "" } else { "s" });
    if !data.samples.is_empty() {
        let more = if (data.samples.len() as u64) < data.affected { ", …" } else { "" };
        line.push_str(&format!(" (e.g. {}{more})", data.samples.join(", ")));
    }
    line
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

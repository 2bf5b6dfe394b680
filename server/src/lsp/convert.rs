//! Between the core's plain data and the protocol's types: byte ranges ↔ positions (in the
//! negotiated encoding), paths ↔ URIs, findings → diagnostics (with the key that finds the
//! finding again for its code actions).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position, Range, Uri,
};

use crate::analysis::{Finding, Side, Subject, Workspace};
use crate::config::Severity;
use crate::line_index::{ColumnUnit, LineCol, LineIndex, TextRange};

pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

pub fn uri_of(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

/// Converts byte ranges of one text to protocol ranges and back.
pub struct Converter<'a> {
    text: &'a str,
    index: std::borrow::Cow<'a, LineIndex>,
    unit: ColumnUnit,
}

impl<'a> Converter<'a> {
    pub fn new(text: &'a str, unit: ColumnUnit) -> Converter<'a> {
        Converter { text, index: std::borrow::Cow::Owned(LineIndex::new(text)), unit }
    }

    /// For a file of one side of a workspace: reuses the line index its model already has.
    pub fn for_file(ws: &'a Workspace, side: Side, path: &str, unit: ColumnUnit) -> Converter<'a> {
        Converter { text: ws.text(side, path).unwrap_or(""), index: ws.line_index(side, path), unit }
    }

    pub fn position(&self, offset: u32) -> Position {
        let lc = self.index.line_col(self.text, offset, self.unit);
        Position::new(lc.line, lc.col)
    }

    pub fn range(&self, r: TextRange) -> Range {
        Range { start: self.position(r.start), end: self.position(r.end) }
    }

    pub fn offset(&self, position: Position) -> u32 {
        self.index.offset(self.text, LineCol { line: position.line, col: position.character }, self.unit)
    }
}

/// What finds a finding again from its diagnostic: rule, place and subject (never the message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingKey {
    pub rule: String,
    pub start: u32,
    pub end: u32,
    pub subject: Subject,
}

impl FindingKey {
    pub fn of(finding: &Finding) -> FindingKey {
        FindingKey {
            rule: finding.rule.id().to_string(),
            start: finding.location.range.start,
            end: finding.location.range.end,
            subject: finding.subject.clone(),
        }
    }

    pub fn matches(&self, finding: &Finding) -> bool {
        *self == FindingKey::of(finding)
    }
}

/// A finding as a diagnostic. Related places on the working side link to their file; a place at
/// the base (a file the editor does not have at that revision) is named in the message and links
/// to the finding's own place.
pub fn diagnostic(ws: &Workspace, root: &Path, finding: &Finding, unit: ColumnUnit, docs: Option<Uri>) -> Diagnostic {
    let here = &finding.location;
    let range = Converter::for_file(ws, here.side, &here.path, unit).range(here.range);
    let related: Vec<DiagnosticRelatedInformation> = finding
        .related
        .iter()
        .filter_map(|r| match r.location.side {
            Side::Working => {
                let uri = uri_of(&root.join(&r.location.path))?;
                let range = Converter::for_file(ws, Side::Working, &r.location.path, unit).range(r.location.range);
                Some(DiagnosticRelatedInformation { location: Location { uri, range }, message: r.message.clone() })
            }
            Side::Base => {
                let uri = uri_of(&root.join(&here.path))?;
                let line =
                    Converter::for_file(ws, Side::Base, &r.location.path, ColumnUnit::Utf8).position(r.location.range.start).line + 1;
                Some(DiagnosticRelatedInformation {
                    location: Location { uri, range },
                    message: format!("{}: {}:{line}", r.message, r.location.path),
                })
            }
        })
        .collect();
    let mut message = finding.message.clone();
    if let Some(help) = &finding.help {
        message.push_str(".\n");
        message.push_str(help);
    }
    Diagnostic {
        range,
        severity: Some(severity(finding.severity)),
        code: Some(NumberOrString::String(finding.rule.id().to_string())),
        code_description: docs.map(|href| CodeDescription { href }),
        source: Some("convex-migrate".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        data: serde_json::to_value(serde_json::json!({ "key": FindingKey::of(finding) })).ok(),
        ..Diagnostic::default()
    }
}

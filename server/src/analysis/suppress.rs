//! Suppression comments, ESLint's habit with a required reason:
//! `// convex-migrate-disable-next-line RULE[, RULE] -- reason` and
//! `// convex-migrate-disable-file RULE -- reason`.
//!
//! A suppression without a reason still suppresses but is reported; one that suppresses nothing
//! is reported as unused.

use crate::analysis::{Finding, Recipe, Side};
use crate::line_index::{ColumnUnit, TextRange};
use crate::project::{Project, SourceFile};

const NEXT_LINE: &str = "convex-migrate-disable-next-line";
const FILE: &str = "convex-migrate-disable-file";

/// One suppression comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub range: TextRange,
    /// `Some(line)` (0-based) for next-line, `None` for the whole file.
    pub line: Option<u32>,
    pub rules: Vec<String>,
    pub reason: Option<String>,
}

/// The suppression comments of a file.
pub fn directives(file: &SourceFile) -> Vec<Directive> {
    let text = &*file.text;
    let index = &file.model.line_index;
    file.model
        .comments
        .iter()
        .filter_map(|comment| {
            let body = comment.text.trim().trim_start_matches('*').trim();
            let (line, rest) = if let Some(rest) = body.strip_prefix(NEXT_LINE) {
                let end_line = index.line_col(text, comment.range.end, ColumnUnit::Utf8).line;
                (Some(end_line + 1), rest)
            } else if let Some(rest) = body.strip_prefix(FILE) {
                (None, rest)
            } else {
                return None;
            };
            if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
                return None;
            }
            let (rules, reason) = match rest.split_once("--") {
                Some((rules, reason)) => (rules, Some(reason.trim().to_string()).filter(|r| !r.is_empty())),
                None => (rest, None),
            };
            let rules = rules.split(',').map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect();
            Some(Directive { range: comment.range, line, rules, reason })
        })
        .collect()
}

/// Which suppressions of each file suppressed something.
#[derive(Debug, Default)]
pub struct Usage {
    files: Vec<(String, Vec<Directive>, Vec<bool>)>,
}

impl Usage {
    /// Every suppression comment of the project, with its file and whether it was used.
    pub fn directives(&self) -> impl Iterator<Item = (&str, &Directive, bool)> {
        self.files.iter().flat_map(|(path, directives, used)| directives.iter().zip(used).map(move |(d, u)| (path.as_str(), d, *u)))
    }
}

/// Drops suppressed findings, and says which suppressions were used.
pub fn apply(project: &Project, findings: Vec<Finding>) -> (Vec<Finding>, Usage) {
    let mut out = Vec::with_capacity(findings.len());
    let mut per_file: Vec<(&SourceFile, Vec<Directive>, Vec<bool>)> = project
        .files
        .iter()
        .map(|f| {
            let d = directives(f);
            let used = vec![false; d.len()];
            (f, d, used)
        })
        .filter(|(_, d, _)| !d.is_empty())
        .collect();
    'findings: for finding in findings {
        // Comments suppress what they sit above in the working tree; a place at the base has other lines.
        let here = finding.location.side == Side::Working;
        if let Some((file, directives, used)) = per_file.iter_mut().find(|(f, _, _)| here && f.path == finding.location.path) {
            let line = file.model.line_index.line_col(&file.text, finding.location.range.start, ColumnUnit::Utf8).line;
            for (i, d) in directives.iter().enumerate() {
                let applies = d.line.is_none_or(|l| l == line) && d.rules.iter().any(|r| r == finding.rule.id());
                if applies {
                    used[i] = true;
                    continue 'findings;
                }
            }
        }
        out.push(finding);
    }
    let usage = Usage { files: per_file.into_iter().map(|(f, d, u)| (f.path.clone(), d, u)).collect() };
    (out, usage)
}

/// *Disable RULE for this line / file*, for a finding in a source file of the project.
pub fn recipes(project: &Project, finding: &Finding) -> Vec<Recipe> {
    let path = &finding.location.path;
    if finding.location.side != Side::Working || path.ends_with(".json") || project.file_id(path).is_none() {
        return Vec::new();
    }
    let rule = finding.rule.id().to_string();
    vec![
        Recipe::DisableLine { path: path.clone(), at: finding.location.range, rule: rule.clone() },
        Recipe::DisableFile { path: path.clone(), rule },
    ]
}

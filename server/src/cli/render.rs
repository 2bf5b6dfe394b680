//! Reporters: the same findings as rustc-style text, JSON (the stable contract), GitHub workflow
//! commands and SARIF 2.1.0. Lines and columns are 1-based; columns count Unicode characters.

use std::fmt::Write;
use std::path::Path;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use serde_json::json;

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

/// Where a project's report puts its paths, whether it is coloured, and what it says of the run.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The project root as the user reaches it from where the command ran (`.`, `apps/web`,
    /// `..`): paths in the human report start there.
    pub shown_root: String,
    /// The project root relative to the repository's top level (`apps/web`; `.` at the top),
    /// when the project is in a git repository: paths in GitHub annotations and SARIF start there,
    /// so they land on the right files when the project is in a subfolder.
    pub repository_root: Option<String>,
    /// Colour the human report (ANSI).
    pub color: bool,
    /// The project's name in the report, when several are checked at once.
    pub name: Option<String>,
    /// What the run has to say besides findings (a rule family off, files not read, `--fix`):
    /// JSON's `notes`, SARIF's tool notifications.
    pub notes: Vec<String>,
    /// How many findings `--quiet` left out (the human summary says so).
    pub hidden: usize,
}

impl Context {
    /// The paths as the user named the root (`root` relative to the current folder, or absolute).
    pub fn for_root(root: &Path) -> Context {
        let shown = root.to_string_lossy();
        let shown = shown.trim_start_matches("./").trim_end_matches('/');
        let shown = if shown.is_empty() || root.is_absolute() { "." } else { shown };
        Context { shown_root: shown.to_string(), ..Context::default() }
    }
}

/// One project's report: its workspace, the findings to show, and where its paths start.
pub struct Report<'a> {
    pub ws: &'a Workspace,
    pub findings: &'a [Finding],
    pub ctx: Context,
}

/// `root` is the project root as the user named it (every path of the report starts there).
/// One project, uncoloured, no notes: for callers that render a workspace they loaded.
#[allow(dead_code)]
pub fn render(format: Format, ws: &Workspace, root: &Path, findings: &[Finding]) -> String {
    render_projects(format, &[Report { ws, findings, ctx: Context::for_root(root) }])
}

/// The report of one project, or of several (a monorepo): each named; JSON then lists them under
/// `projects` (and every diagnostic under `diagnostics` with its `project`), SARIF puts them in one
/// run with each result's `properties.project`.
pub fn render_projects(format: Format, reports: &[Report<'_>]) -> String {
    let outs: Vec<Out<'_>> = reports.iter().map(|r| Out { ws: r.ws, ctx: &r.ctx }).collect();
    // Several (or none): each named, JSON under `projects`; one: the single-project shapes.
    let several = reports.len() != 1;
    match format {
        Format::Human => {
            let mut text: String = outs.iter().zip(reports).map(|(o, r)| o.human(r.findings)).collect::<Vec<_>>().join("\n");
            if several {
                let all: Vec<&Finding> = reports.iter().flat_map(|r| r.findings.iter()).collect();
                let count = |sev: Severity, one: &str, many: &str| {
                    let n = all.iter().filter(|f| f.severity == sev).count();
                    format!("{n} {}", if n == 1 { one } else { many })
                };
                let _ = writeln!(
                    text,
                    "\n{} Convex projects checked: {}, {}, {} in all.",
                    reports.len(),
                    count(Severity::Error, "error", "errors"),
                    count(Severity::Warning, "warning", "warnings"),
                    count(Severity::Info, "info", "infos")
                );
            }
            text
        }
        Format::Github => outs.iter().zip(reports).map(|(o, r)| o.github(r.findings)).collect(),
        Format::Json if !several => pretty(&outs.iter().zip(reports).map(|(o, r)| o.json(r.findings)).next().unwrap_or_default()),
        Format::Json => {
            let projects: Vec<serde_json::Value> = outs.iter().zip(reports).map(|(o, r)| o.json(r.findings)).collect();
            let diagnostics: Vec<serde_json::Value> = projects
                .iter()
                .flat_map(|p| {
                    let name = p["project"]["path"].clone();
                    p["diagnostics"].as_array().cloned().unwrap_or_default().into_iter().map(move |mut d| {
                        d["project"] = name.clone();
                        d
                    })
                })
                .collect();
            pretty(&json!({ "version": 1, "projects": projects, "diagnostics": diagnostics }))
        }
        Format::Sarif => sarif(&outs, reports),
    }
}

fn pretty(value: &serde_json::Value) -> String {
    format!("{}\n", serde_json::to_string_pretty(value).unwrap_or_default())
}

struct Out<'a> {
    ws: &'a Workspace,
    ctx: &'a Context,
}

/// `root/path`, or `path` when the root is `.`.
fn join(root: &str, path: &str) -> String {
    if root.is_empty() || root == "." {
        path.to_string()
    } else {
        format!("{}/{path}", root.trim_end_matches('/'))
    }
}

/// How many lines of a range the human report shows at most (a longer range is shown to the end
/// of its first line, as before).
const SNIPPET_LINES: u32 = 12;

/// The lines a range spans, for a snippet: the 1-based number of the first, the byte range of
/// those lines in `text`, and the range within them (at least one character wide where the line
/// has one).
fn snippet_range(text: &str, range: TextRange) -> Option<(usize, std::ops::Range<usize>, std::ops::Range<usize>)> {
    let index = LineIndex::new(text);
    let start = index.line_col(text, range.start, ColumnUnit::Utf8);
    let mut end = index.line_col(text, range.end.max(range.start), ColumnUnit::Utf8);
    if end.line > start.line + SNIPPET_LINES {
        let first = index.line_range(text, start.line);
        end = LineCol { line: start.line, col: first.len() };
    }
    let first = index.line_range(text, start.line);
    let last = index.line_range(text, end.line);
    let lines = first.start as usize..last.end as usize;
    let from = first.start as usize + start.col as usize;
    let mut to = index.line_range(text, end.line).start as usize + end.col as usize;
    if to <= from {
        // An empty range: one caret under the character there (or the line's end).
        to = text[from..lines.end].chars().next().map_or(from, |c| from + c.len_utf8());
    }
    text.get(lines.clone())?;
    Some((start.line as usize + 1, lines.clone(), from - lines.start..to - lines.start))
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
        let renderer = if self.ctx.color { Renderer::styled() } else { Renderer::plain() };
        let mut out = String::new();
        for finding in findings {
            let _ = writeln!(out, "{}\n", renderer.render(&[self.human_group(finding)]));
        }
        let count = |sev: Severity| findings.iter().filter(|f| f.severity == sev).count();
        let plural = |n: usize, word: &str, many: &str| format!("{n} {}", if n == 1 { word } else { many });
        let named = self.ctx.name.as_deref().map(|n| format!("{n}: ")).unwrap_or_default();
        let hidden = self.ctx.hidden;
        let left_out = format!("--quiet left out {}", plural(hidden, "warning or info", "warnings and infos"));
        if findings.is_empty() && hidden > 0 {
            let _ = writeln!(out, "{named}No errors found ({left_out}). {}", comparison(self.ws));
        } else if findings.is_empty() {
            let _ = writeln!(out, "{named}No migration problems found. {}", comparison(self.ws));
        } else {
            let hints = count(Severity::Hint);
            let mut hints = if hints > 0 { format!(", {}", plural(hints, "hint", "hints")) } else { String::new() };
            if hidden > 0 {
                hints.push_str(&format!(" ({left_out})"));
            }
            let _ = writeln!(
                out,
                "{named}{}, {}, {}{hints}. {}",
                plural(count(Severity::Error), "error", "errors"),
                plural(count(Severity::Warning), "warning", "warnings"),
                plural(count(Severity::Info), "info", "infos"),
                comparison(self.ws)
            );
        }
        out
    }

    /// One finding as rustc shows a diagnostic: the title with the rule, the snippet with carets
    /// under the range (annotate-snippets aligns them under tabs and wide characters), then its
    /// related places, data and help.
    fn human_group<'f>(&'f self, finding: &'f Finding) -> Group<'f> {
        let level = match finding.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
            Severity::Info => Level::INFO,
            Severity::Hint => Level::INFO.with_name("hint"),
        };
        let here = &finding.location;
        let path = self.shown_path(&here.path);
        let title = level.primary_title(finding.message.as_str()).id(finding.rule.id());
        let mut group = match self.ws.text(here.side, &here.path).and_then(|text| snippet_range(text, here.range)) {
            Some((line, slice, span)) => {
                let text = self.ws.text(here.side, &here.path).unwrap_or_default();
                title.element(Snippet::source(&text[slice]).line_start(line).path(path).annotation(AnnotationKind::Primary.span(span)))
            }
            None => {
                let s = span_of(self.ws, here);
                title.element(Origin::path(path).line(s.start.line as usize).char_column(s.start.col as usize))
            }
        };
        for related in &finding.related {
            let rs = span_of(self.ws, &related.location);
            let place = format!("{}:{}:{}", self.shown_path(&related.location.path), rs.start.line, rs.start.col);
            group = group.element(Level::NOTE.message(format!("{}: {place}", related.message)));
        }
        if let Some(data) = &finding.data {
            group = group.element(Level::NOTE.with_name("data").message(data_line(data)));
        }
        if let Some(help) = &finding.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        group
    }

    /// A path of the project as the human report shows it: from where the command ran.
    fn shown_path(&self, path: &str) -> String {
        join(&self.ctx.shown_root, path)
    }

    /// A path of the project as GitHub and SARIF name it: from the repository's top level when
    /// the project is in one, else as shown.
    fn repository_path(&self, path: &str) -> String {
        join(self.ctx.repository_root.as_deref().unwrap_or(&self.ctx.shown_root), path)
    }

    /// A place as JSON: its path (relative to the project root), 1-based start and end.
    fn place_json(&self, location: &Location) -> serde_json::Value {
        let s = span_of(self.ws, location);
        json!({
            "path": location.path,
            "line": s.start.line,
            "column": s.start.col,
            "endLine": s.end.line,
            "endColumn": s.end.col,
        })
    }

    /// The fixes a finding's rule offers, built: title, kind, whether preferred, and the edits of
    /// each file (1-based positions), as `plan --format json` gives a step's edit.
    fn fixes(&self, finding: &Finding) -> Vec<crate::fixes::Fix> {
        finding.fixes.iter().filter_map(|recipe| crate::fixes::build(recipe, self.ws)).collect()
    }

    fn json(&self, findings: &[Finding]) -> serde_json::Value {
        let diagnostics: Vec<_> = findings
            .iter()
            .map(|f| {
                let mut d = self.place_json(&f.location);
                let more = json!({
                    "severity": f.severity.as_str(),
                    "rule": f.rule.id(),
                    "message": f.full_message(),
                });
                if let (Some(d), serde_json::Value::Object(more)) = (d.as_object_mut(), more) {
                    d.extend(more);
                }
                if let Some(data) = &f.data {
                    d["data"] = data_json(data);
                }
                // Added in version 1 without a bump: readers of the fields above are unaffected.
                d["side"] = json!(f.location.side);
                d["help"] = json!(f.help);
                d["related"] = f
                    .related
                    .iter()
                    .map(|r| {
                        let mut place = self.place_json(&r.location);
                        place["side"] = json!(r.location.side);
                        place["message"] = json!(r.message);
                        place
                    })
                    .collect();
                d["notes"] = json!(f.data.as_ref().map(data_line).into_iter().collect::<Vec<_>>());
                d["fixes"] = self
                    .fixes(f)
                    .iter()
                    .map(|fix| {
                        let mut value = crate::fixes::plan::render::fix_json(self.ws, fix);
                        value["kind"] = json!(match fix.kind {
                            crate::fixes::FixKind::QuickFix => "quickfix",
                            crate::fixes::FixKind::Refactor => "refactor",
                        });
                        value["preferred"] = json!(fix.preferred);
                        value
                    })
                    .collect();
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
        value["project"] = json!({ "path": self.ctx.shown_root, "repositoryPath": self.ctx.repository_root });
        value["notes"] = json!(self.ctx.notes);
        value
    }

    fn github(&self, findings: &[Finding]) -> String {
        let mut out = String::new();
        for f in findings {
            let s = span_of(self.ws, &f.location);
            // GitHub's levels are error, warning and notice: an info (or hint) is a notice.
            let command = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info | Severity::Hint => "notice",
            };
            let _ = writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&self.repository_path(&f.location.path)),
                s.start.line,
                s.start.col,
                s.end.line,
                s.end.col,
                escape_property(&format!("convex-migrate {}", f.rule.id())),
                escape_data(&f.full_message())
            );
        }
        // What was compared, as a notice of the run (no file): every format says it.
        let title = match &self.ctx.name {
            Some(name) => format!("convex-migrate {name}"),
            None => "convex-migrate".into(),
        };
        let _ = writeln!(out, "::notice title={}::{}", escape_property(&title), escape_data(&comparison(self.ws)));
        out
    }

    /// A place as SARIF's `physicalLocation`, its path from the repository's top level.
    fn sarif_location(&self, location: &Location) -> serde_json::Value {
        let s = span_of(self.ws, location);
        json!({
            "physicalLocation": {
                "artifactLocation": { "uri": self.repository_path(&location.path) },
                "region": { "startLine": s.start.line, "startColumn": s.start.col, "endLine": s.end.line, "endColumn": s.end.col },
            }
        })
    }

    fn sarif_results(&self, findings: &[Finding], several: bool) -> Vec<serde_json::Value> {
        let mut seen: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
        findings
            .iter()
            .map(|f| {
                let related: Vec<_> = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let mut l = self.sarif_location(&r.location);
                        l["id"] = json!(i);
                        l["message"] = json!({ "text": r.message });
                        l
                    })
                    .collect();
                // Stable across edits that move lines: the rule, the file and what the finding
                // is about (its subject), numbered when one file has several alike.
                let key = fingerprint(&[
                    f.rule.id(),
                    &self.repository_path(&f.location.path),
                    &serde_json::to_string(&f.subject).unwrap_or_default(),
                ]);
                let nth = seen.entry(key).or_insert(0);
                *nth += 1;
                let fixes: Vec<serde_json::Value> = self.fixes(f).iter().filter_map(|fix| self.sarif_fix(fix)).collect();
                let mut properties = json!({ "severity": f.severity.as_str() });
                if let Some(data) = &f.data {
                    properties["data"] = data_json(data);
                }
                if several {
                    properties["project"] = json!(self.ctx.name.as_deref().unwrap_or(&self.ctx.shown_root));
                }
                json!({
                    "ruleId": f.rule.id(),
                    "ruleIndex": Rule::ALL.iter().position(|r| *r == f.rule),
                    "level": sarif_level(f.severity),
                    "message": { "text": f.full_message() },
                    "locations": [self.sarif_location(&f.location)],
                    "relatedLocations": related,
                    "partialFingerprints": { "convexMigrate/v1": format!("{key:016x}:{nth}") },
                    "fixes": fixes,
                    "properties": properties,
                })
            })
            .collect()
    }

    /// A fix as SARIF's `fix`: each file's replacements (a created file is inserted at its start;
    /// a fix that deletes a file has no SARIF form and is left out).
    fn sarif_fix(&self, fix: &crate::fixes::Fix) -> Option<serde_json::Value> {
        if fix.edits.iter().any(|e| e.delete) {
            return None;
        }
        let changes: Vec<serde_json::Value> = fix
            .edits
            .iter()
            .map(|file| {
                let text = if file.create { "" } else { self.ws.text(crate::analysis::Side::Working, &file.path).unwrap_or_default() };
                let replacements: Vec<serde_json::Value> = file
                    .presented()
                    .iter()
                    .map(|e| {
                        let s = span(Some(text), e.range);
                        json!({
                            "deletedRegion": { "startLine": s.start.line, "startColumn": s.start.col, "endLine": s.end.line, "endColumn": s.end.col },
                            "insertedContent": { "text": e.new_text },
                        })
                    })
                    .collect();
                json!({ "artifactLocation": { "uri": self.repository_path(&file.path) }, "replacements": replacements })
            })
            .collect();
        Some(json!({ "description": { "text": fix.title }, "artifactChanges": changes }))
    }

    /// What the run could not read or model, and its notes, as SARIF tool notifications: the
    /// files skipped (`unreadable-file`) with their places, then the notes.
    fn sarif_notifications(&self, findings: &[Finding]) -> Vec<serde_json::Value> {
        let skipped = findings.iter().filter(|f| f.rule.id() == "unreadable-file").map(|f| {
            json!({
                "level": sarif_level(f.severity),
                "message": { "text": f.full_message() },
                "locations": [self.sarif_location(&f.location)],
                "descriptor": { "id": f.rule.id() },
                "properties": { "severity": f.severity.as_str() },
            })
        });
        let notes =
            self.ctx.notes.iter().map(|note| json!({ "level": "note", "message": { "text": note }, "properties": { "severity": "info" } }));
        skipped.chain(notes).collect()
    }
}

/// One SARIF run for every project: the rule catalogue, each project's results, the tool's
/// notifications; the run's properties say what was compared (per project, when several).
fn sarif(outs: &[Out<'_>], reports: &[Report<'_>]) -> String {
    let several = reports.len() != 1;
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
                "helpUri": help_uri(r.id()),
                "properties": { "severity": r.default_severity().as_str() },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = outs.iter().zip(reports).flat_map(|(o, r)| o.sarif_results(r.findings, several)).collect();
    let notifications: Vec<serde_json::Value> = outs.iter().zip(reports).flat_map(|(o, r)| o.sarif_notifications(r.findings)).collect();
    let properties = if several {
        let projects: Vec<serde_json::Value> = outs
            .iter()
            .map(|o| {
                let mut p = comparison_json(o.ws);
                p["project"] = json!(o.ctx.name.as_deref().unwrap_or(&o.ctx.shown_root));
                p
            })
            .collect();
        json!({ "projects": projects })
    } else {
        outs.first().map(|o| comparison_json(o.ws)).unwrap_or_default()
    };
    let value = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "convex-migrate",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "invocations": [{ "executionSuccessful": true, "toolExecutionNotifications": notifications }],
            "columnKind": "unicodeCodePoints",
            "properties": properties,
            "results": results,
        }],
    });
    pretty(&value)
}

/// Where convex-migrate is documented on the web: the npm package's page (its README), unless
/// the build names a folder of rule pages (`CONVEX_MIGRATE_DOCS_URL`, e.g. a release's
/// `docs/rules/`).
const INFORMATION_URI: &str = "https://www.npmjs.com/package/convex-migrate";

/// A rule's `helpUri`: `CONVEX_MIGRATE_DOCS_URL/RULE` when the build set it, else the package's
/// page. The rule's whole documentation is also in SARIF's `help` (what GitHub shows) and in
/// `convex-migrate explain RULE`.
fn help_uri(rule: &str) -> String {
    match option_env!("CONVEX_MIGRATE_DOCS_URL") {
        Some(base) if !base.is_empty() => format!("{}/{rule}", base.trim_end_matches('/')),
        _ => INFORMATION_URI.to_string(),
    }
}

/// FNV-1a, 64 bits, over the parts (each ended by a NUL): the same on every machine and version.
fn fingerprint(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
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
    fn snippets_cover_the_range_lines() {
        let text = "a\n\tb役c\nd\n";
        // `役` (3 bytes) on line 2: the slice is that line, the span the character.
        assert_eq!(snippet_range(text, TextRange::new(4, 7)), Some((2, 2..8, 2..5)));
        // An empty range is one character wide (or empty at a line's end).
        assert_eq!(snippet_range(text, TextRange::new(3, 3)), Some((2, 2..8, 1..2)));
        assert_eq!(snippet_range(text, TextRange::new(1, 1)), Some((1, 0..1, 1..1)));
        // A range over more lines than a snippet shows is cut at the end of its first line.
        let long = "x = [\n".to_string() + &"1,\n".repeat(40) + "];\n";
        let (line, lines, span) = snippet_range(&long, TextRange::new(4, long.len() as u32 - 1)).unwrap();
        assert_eq!((line, lines, span), (1, 0..5, 4..5));
    }

    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&["a", "b"]));
        assert_ne!(fingerprint(&["ab", ""]), fingerprint(&["a", "b"]));
        assert_eq!(fingerprint(&[]), 0xcbf2_9ce4_8422_2325);
    }

    #[test]
    fn escapes_workflow_commands() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}

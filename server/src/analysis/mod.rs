//! Base vs working: the schema diff, the migration state of each field, and the rules that turn
//! them into findings. Pure: projects and config in, findings out.

pub mod backfill;
pub mod compat;
pub mod diff;
pub mod dual_write;
pub mod rules;
pub mod state;
pub mod suppress;

use crate::config::{Config, ConfigError, Level, Severity};
use crate::line_index::TextRange;
use crate::project::{Loc, Project};

pub use rules::Rule;

/// A place a finding refers to besides its own (e.g. the backfill function).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub path: String,
    pub range: TextRange,
    pub message: String,
}

/// One finding of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    /// Relative to the project root, `/`-separated.
    pub path: String,
    pub range: TextRange,
    /// What is wrong and what will happen at deploy.
    pub message: String,
    /// The next step.
    pub help: Option<String>,
    pub related: Vec<Related>,
    /// Whether TypeScript itself reports this in a `.ts` file (Convex's types flow from the
    /// schema): the editor then leaves it to TypeScript (`deferToTypeScript`).
    pub typescript_reports: bool,
}

impl Finding {
    pub fn new(rule: Rule, project: &Project, loc: Loc, message: String) -> Finding {
        Finding {
            rule,
            severity: rule.default_severity(),
            path: project.path(loc.file).to_string(),
            range: loc.range,
            message,
            help: None,
            related: Vec::new(),
            typescript_reports: false,
        }
    }

    /// Marks a finding TypeScript also reports in `.ts` files.
    pub fn reported_by_typescript(mut self) -> Finding {
        self.typescript_reports = true;
        self
    }

    /// Whether the editor leaves this finding to TypeScript: a TypeScript file, and TypeScript
    /// reports it.
    pub fn deferred_to_typescript(&self, config: &Config) -> bool {
        let ts = [".ts", ".tsx", ".mts", ".cts"].iter().any(|e| self.path.ends_with(e));
        self.typescript_reports && ts && config.defer_to_typescript.unwrap_or(true)
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn related(mut self, project: &Project, loc: Loc, message: impl Into<String>) -> Finding {
        self.related.push(Related { path: project.path(loc.file).to_string(), range: loc.range, message: message.into() });
        self
    }

    /// The message with its next step, in one line (JSON, SARIF, GitHub).
    pub fn full_message(&self) -> String {
        match &self.help {
            Some(help) => format!("{}. {}", self.message.trim_end_matches('.'), help),
            None => self.message.clone(),
        }
    }
}

/// What the analysis is given.
pub struct Input<'a> {
    pub working: &'a Project,
    /// The baseline; `None` turns the transition rules off.
    pub base: Option<&'a Project>,
    pub config: &'a Config,
    /// The config file's path (relative to the root) and its errors, when there is one.
    pub config_errors: Option<(&'a str, &'a [ConfigError])>,
}

/// What the rules see.
pub struct Context<'a> {
    pub working: &'a Project,
    pub base: Option<&'a Project>,
    pub config: &'a Config,
    /// The schema changes, when both sides have a schema.
    pub changes: Vec<diff::Change<'a>>,
}

impl Context<'_> {
    /// Whether the working schema turns validation off (transition errors become warnings).
    pub fn validation_off(&self) -> bool {
        self.working.schema.as_ref().is_some_and(|s| !s.validation)
    }

    /// Adjusts a transition finding for `schemaValidation: false`.
    pub fn transition(&self, mut finding: Finding) -> Finding {
        if self.validation_off() && finding.severity == Severity::Error {
            finding.severity = Severity::Warning;
            finding
                .message
                .push_str(" (schemaValidation is false: the push succeeds, but the documents silently stop matching their types)");
        }
        finding
    }
}

/// The result: findings sorted by place, and notes for the user (e.g. why transition rules are off).
#[derive(Debug, Default)]
pub struct Analysis {
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
}

impl Analysis {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Runs every rule.
pub fn analyze(input: &Input<'_>) -> Analysis {
    let mut notes = Vec::new();
    let changes = match (input.base.map(|b| b.schema.as_ref()), input.working.schema.as_ref()) {
        (Some(Some(base)), Some(working)) => diff::changes(base, working),
        (Some(None), Some(_)) => {
            notes.push("no schema at the base: transition rules are off".to_string());
            Vec::new()
        }
        _ => Vec::new(),
    };
    let cx = Context { working: input.working, base: input.base, config: input.config, changes };
    let mut findings = Vec::new();
    rules::required_without_backfill::check(&cx, &mut findings);
    rules::backfill_unverified::check(&cx, &mut findings);
    rules::removed_field::check(&cx, &mut findings);
    rules::narrowed_type::check(&cx, &mut findings);
    rules::removed_table::check(&cx, &mut findings);
    rules::dual_write_one_side::check(&cx, &mut findings);
    rules::unpaginated_migration::check(&cx, &mut findings);
    rules::unbounded_collect::check(&cx, &mut findings);
    rules::invalid_value::check(&cx, &mut findings);
    rules::unknown_field::check(&cx, &mut findings);
    rules::insert_missing_field::check(&cx, &mut findings);
    rules::parse_error::check(&cx, &mut findings);
    if let Some((path, errors)) = input.config_errors {
        rules::invalid_config::check(path, errors, &mut findings);
    }
    let mut findings = suppress::apply(input.working, findings);
    apply_levels(input.config, &mut findings);
    findings.sort_by(|a, b| (&a.path, a.range.start, a.rule).cmp(&(&b.path, b.range.start, b.rule)));
    findings.dedup();
    Analysis { findings, notes }
}

/// The `rules` of the config: severities and `off`.
fn apply_levels(config: &Config, findings: &mut Vec<Finding>) {
    findings.retain_mut(|finding| match config.rules.get(finding.rule.id()) {
        Some(Level::Off) => false,
        Some(Level::On(severity)) => {
            finding.severity = *severity;
            true
        }
        None => true,
    });
}

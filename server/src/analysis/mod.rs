//! Base vs working: the schema diff, the migration state of each field, the dual-write pairs, and
//! the rules that turn them into findings. Pure: a [`Workspace`] in, an [`Analysis`] out; the
//! indexes it needs ([`Revision`]) it builds itself from the projects.

pub mod backfill;
pub mod command;
pub mod compat;
pub mod data;
pub mod diff;
pub mod dual_write;
mod finding;
pub mod fix;
pub mod hover;
mod revision;
pub mod rules;
pub mod state;
pub mod suppress;
pub mod verify;
mod workspace;

pub use finding::{Finding, Location, Related, Side, Subject};
pub use fix::Recipe;
pub use revision::{Counts, Revision};
pub use rules::Rule;
pub use workspace::{BaseSource, Baseline, Historic, Validated, Workspace, DEFAULT_DEPLOYMENT};

use crate::config::{Config, Level, Severity};
use crate::project::Loc;

/// What the rules see.
pub struct Context<'a> {
    pub ws: &'a Workspace,
    pub working: &'a Revision,
    pub base: Option<&'a Revision>,
    pub config: &'a Config,
    /// The schema changes, when both sides have a schema.
    pub changes: Vec<diff::Change<'a>>,
    /// Which suppression comments suppressed something (for the rules that run after them).
    suppressions: Option<suppress::Usage>,
}

impl<'a> Context<'a> {
    pub fn new(ws: &'a Workspace) -> Context<'a> {
        let changes = match (ws.base().and_then(|b| b.schema.as_ref()), ws.working.schema.as_ref()) {
            (Some(base), Some(working)) => diff::changes(base, working),
            _ => Vec::new(),
        };
        Context { ws, working: &ws.working, base: ws.base(), config: &ws.config.config, changes, suppressions: None }
    }

    /// A place in the working tree.
    pub fn at(&self, loc: Loc) -> Location {
        Location::working(self.working.path(loc.file), loc.range)
    }

    /// A place at the base (`None` without one).
    pub fn at_base(&self, loc: Loc) -> Option<Location> {
        Some(Location::base(self.base?.path(loc.file), loc.range))
    }

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

    /// The message of a finding about a write Convex rejects at run time (`stem: fails`); with
    /// validation off it does not reject it, and the message says what happens instead.
    pub fn write_message(&self, stem: String, fails: &str, unchecked: &str) -> String {
        if self.validation_off() {
            format!("{stem}, but schemaValidation is false: Convex does not check writes, so the write succeeds and {unchecked}")
        } else {
            format!("{stem}: {fails}")
        }
    }

    /// A write finding's severity with validation off: a warning (nothing fails, the data drifts).
    pub fn write_severity(&self, mut finding: Finding) -> Finding {
        if self.validation_off() && finding.severity == Severity::Error {
            finding.severity = Severity::Warning;
        }
        finding
    }

    /// The migration state of a field of the working schema.
    pub fn state(&self, table: &str, field: &str) -> Option<state::MigrationState> {
        state::MigrationState::of(self.ws, table, field)
    }

    /// Which suppressions were used; set once the suppressions are applied.
    pub fn suppression_usage(&self) -> Option<&suppress::Usage> {
        self.suppressions.as_ref()
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

impl Workspace {
    /// Runs every rule: the rules, then the suppressions, then the rules about suppressions; the
    /// config's levels; each finding gets its rule's fixes.
    pub fn analyze(&self) -> Analysis {
        let mut notes = Vec::new();
        if let (Some(base), Some(_)) = (self.base(), self.working.schema.as_ref()) {
            if base.schema.is_none() {
                notes.push("no schema at the base: transition rules are off".to_string());
            }
        }
        let mut cx = Context::new(self);
        let mut findings = Vec::new();
        for rule in Rule::ALL.iter().filter(|r| !r.after_suppressions()) {
            findings.extend(rule.check(&cx));
        }
        let (mut findings, usage) = suppress::apply(&self.working, findings);
        cx.suppressions = Some(usage);
        for rule in Rule::ALL.iter().filter(|r| r.after_suppressions()) {
            findings.extend(rule.check(&cx));
        }
        apply_levels(cx.config, &mut findings);
        data::settle(&mut findings);
        findings
            .sort_by(|a, b| (&a.location.path, a.location.range.start, a.rule).cmp(&(&b.location.path, b.location.range.start, b.rule)));
        findings.dedup();
        for finding in &mut findings {
            finding.fixes = finding.rule.fixes(finding, &cx);
            finding.fixes.extend(suppress::recipes(&self.working, finding));
        }
        Analysis { findings, notes }
    }
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

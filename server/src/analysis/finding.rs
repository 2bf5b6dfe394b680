//! A finding: the one currency between the rules and everything that shows them (the terminal
//! reporters, the language server, `plan`). It says which rule, how severe, where (in which
//! revision: a base-side place is converted with the base's text), what it is about (a typed
//! subject, so nothing downstream reads the message to learn it), and the fixes its rule offers.

use crate::analysis::fix::Recipe;
use crate::analysis::rules::Rule;
use crate::config::Severity;
use crate::line_index::TextRange;

/// Which revision a place is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The working tree (with the editor's buffers on top), and the config file.
    Working,
    /// The baseline: what is deployed.
    Base,
}

/// A place in a file of one revision.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub side: Side,
    /// Relative to the project root, `/`-separated.
    pub path: String,
    pub range: TextRange,
}

impl Location {
    pub fn working(path: impl Into<String>, range: TextRange) -> Location {
        Location { side: Side::Working, path: path.into(), range }
    }

    pub fn base(path: impl Into<String>, range: TextRange) -> Location {
        Location { side: Side::Base, path: path.into(), range }
    }
}

/// A place a finding refers to besides its own (e.g. the backfill function).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Subject {
    /// A field of a table (in the working schema, or the base's for a removed field).
    Field { table: String, field: String },
    /// A table (a removed one, or one whose document validator narrows).
    Table { table: String },
    /// A Convex function, by its `npx convex run` reference.
    Function { reference: String },
    /// A write (insert, patch, replace) into `table`, about `field` of it when it names one.
    Write { table: String, field: Option<String> },
    /// A dual-write pair, `from` → `to` (`table` or `table.field`); `inferred` when no config
    /// declares it.
    DualWrite { from: String, to: String, inferred: bool },
    /// A file as a whole (it does not parse) or a comment in it (a suppression).
    File,
    /// A setting of `convex-migrate.json`.
    Config,
}

/// One finding of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    pub location: Location,
    pub subject: Subject,
    /// What is wrong and what will happen at deploy.
    pub message: String,
    /// The next step.
    pub help: Option<String>,
    pub related: Vec<Related>,
    /// Whether TypeScript itself reports this in a `.ts` file (Convex's types flow from the
    /// schema): the editor then leaves it to TypeScript (`deferToTypeScript`).
    pub typescript_reports: bool,
    /// What its rule offers to fix it, as recipes: the fixes layer turns them into titled edits,
    /// when asked.
    pub fixes: Vec<Recipe>,
    /// What a snapshot of the data says: how many documents the change breaks.
    pub data: Option<crate::analysis::data::DataFacts>,
}

impl Finding {
    pub fn new(rule: Rule, location: Location, subject: Subject, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: rule.default_severity(),
            location,
            subject,
            message: message.into(),
            help: None,
            related: Vec::new(),
            typescript_reports: false,
            fixes: Vec::new(),
            data: None,
        }
    }

    /// Marks a finding TypeScript also reports in `.ts` files.
    pub fn reported_by_typescript(mut self) -> Finding {
        self.typescript_reports = true;
        self
    }

    /// Whether the editor leaves this finding to TypeScript: a TypeScript file, and TypeScript
    /// reports it.
    pub fn deferred_to_typescript(&self, config: &crate::config::Config) -> bool {
        let ts = [".ts", ".tsx", ".mts", ".cts"].iter().any(|e| self.location.path.ends_with(e));
        self.typescript_reports && ts && config.defer_to_typescript.unwrap_or(true)
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn related(mut self, location: Location, message: impl Into<String>) -> Finding {
        self.related.push(Related { location, message: message.into() });
        self
    }

    /// Attaches what a snapshot says (see [`crate::analysis::data`]).
    pub fn data(mut self, facts: Option<crate::analysis::data::DataFacts>) -> Finding {
        self.data = facts;
        self
    }

    pub fn severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
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

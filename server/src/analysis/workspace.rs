//! What one analysis looks at: the working revision, the baseline (or why there is none), and
//! the project's config. Built by the loader (`sources::workspace`) from disk and git, by the
//! language server from its buffers, and by tests from fixtures; nothing here does I/O.

use std::sync::Arc;

use crate::analysis::{Revision, Side};
use crate::config::{ConfigFile, FILE_NAME};

/// Where the baseline came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseSource {
    /// A git commit: its full id, and how it was chosen (`HEAD`, `origin/main`, `merge-base of …`).
    Commit { id: String, described_as: String },
    /// A folder holding a copy of the deployed project (`--base-dir`).
    Folder { path: String },
    /// Files handed in directly (tests).
    Given,
}

/// The baseline ("what is deployed"), or why there is none.
#[derive(Debug, Clone)]
pub enum Baseline {
    Read {
        revision: Arc<Revision>,
        source: BaseSource,
    },
    /// Transition rules are off; `reason` says why, for the user.
    Off {
        reason: String,
    },
}

impl Baseline {
    pub fn revision(&self) -> Option<&Revision> {
        match self {
            Baseline::Read { revision, .. } => Some(revision),
            Baseline::Off { .. } => None,
        }
    }

    /// The commit id, when the base is a git commit.
    pub fn commit(&self) -> Option<&str> {
        match self {
            Baseline::Read { source: BaseSource::Commit { id, .. }, .. } => Some(id),
            _ => None,
        }
    }
}

/// When the working schema turns `schemaValidation` back on (it is off at the base): the schema
/// that stored documents were last validated against.
#[derive(Debug, Clone)]
pub enum Validated {
    /// The newest first-parent ancestor of the base whose schema had validation on, `commits_back`
    /// commits before the base.
    At { revision: Arc<Revision>, commit: String, commits_back: usize },
    /// Validation was off in every commit looked at (`walked` of them; 0: no history to look in,
    /// e.g. a `--base-dir` folder).
    Never { walked: usize },
}

/// A migration found in the base's first-parent history and deleted since: it was deployed at
/// `commit`, so a field it migrated may be done — only the ledger says whether it finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Historic {
    pub table: String,
    pub field: String,
    pub goal: crate::analysis::backfill::Goal,
    /// `migrations:backfillUsersRole`, as it was named then.
    pub reference: String,
    /// The newest commit before the base that held it (full id).
    pub commit: String,
    /// How many first-parent commits before the base.
    pub commits_back: usize,
}

/// A project ready to analyse.
pub struct Workspace {
    pub working: Revision,
    pub base: Baseline,
    pub config: ConfigFile,
    /// What reading the project noticed, for the user (a malformed convex.json, skipped files).
    pub notes: Vec<String>,
    /// The deployment the verdict is for (`prod`, `dev`, a deployment name): a verification in the
    /// ledger counts only for the deployment it ran on.
    pub deployment: String,
    /// Set when this change turns schema validation back on (see [`Validated`]).
    pub validated: Option<Validated>,
    /// How the project's developers run its tools (printed commands use it).
    pub tools: crate::analysis::command::Tools,
    /// Migrations the base's history holds for fields whose migration the base lacks (see
    /// [`Historic`]); looked up by the loader for the transitions that need one.
    pub history: Vec<Historic>,
    /// What a snapshot export says about the stored documents (`--snapshot`), when one was read.
    pub data: Option<Arc<crate::analysis::data::Snapshot>>,
}

/// The deployment `check` and `plan` judge by default: production, the safe side.
pub const DEFAULT_DEPLOYMENT: &str = "prod";

impl Workspace {
    pub fn new(working: Revision, base: Baseline, config: ConfigFile) -> Workspace {
        Workspace {
            working,
            base,
            config,
            notes: Vec::new(),
            deployment: DEFAULT_DEPLOYMENT.to_string(),
            validated: None,
            tools: Default::default(),
            history: Vec::new(),
            data: None,
        }
    }

    /// The same workspace, judged for `deployment`.
    pub fn for_deployment(mut self, deployment: impl Into<String>) -> Workspace {
        self.deployment = deployment.into();
        self
    }

    /// Whether this change turns schema validation back on: off in the base schema, on (or not
    /// set) in the working one.
    pub fn turns_validation_on(&self) -> bool {
        let base_off = self.base().and_then(|b| b.schema.as_ref()).is_some_and(|s| !s.validation);
        base_off && self.working.schema.as_ref().is_some_and(|s| s.validation)
    }

    /// Whether the transition rules ran: there is a baseline with a schema to compare with.
    pub fn transition_rules(&self) -> bool {
        self.base().is_some_and(|b| b.schema.is_some()) && self.working.schema.is_some()
    }

    /// Whether the baseline holds the same source files as the working tree, to the byte.
    pub fn base_is_working_tree(&self) -> bool {
        let Some(base) = self.base() else { return false };
        base.files.len() == self.working.files.len()
            && base.files.iter().zip(&self.working.files).all(|(b, w)| b.path == w.path && b.text == w.text)
    }

    /// The migration of `table.field` toward `goal` that the base's history held, if any.
    pub fn historic(&self, table: &str, field: &str, goal: crate::analysis::backfill::Goal) -> Option<&Historic> {
        self.history.iter().find(|h| h.table == table && h.field == field && h.goal == goal)
    }

    /// The transitions whose migration the base lacks, as `(table, field, goal)`: the questions
    /// the base's history may answer (a field made required or narrowed: a fill; removed: an
    /// unset).
    pub fn history_questions(&self) -> Vec<(String, String, crate::analysis::backfill::Goal)> {
        use crate::analysis::backfill::Goal;
        use crate::analysis::diff::Change;
        let (Some(base), Some(bs), Some(ws)) = (self.base(), self.base().and_then(|b| b.schema.as_ref()), self.working.schema.as_ref())
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for change in crate::analysis::diff::changes(bs, ws) {
            let (table, field, goal) = match change {
                Change::BecameRequired { table, field, .. } | Change::Narrowed { table, field, .. } => {
                    (&table.name, &field.name, Goal::Fill)
                }
                Change::Removed { table, base } => (&table.name, &base.name, Goal::Unset),
                _ => continue,
            };
            let q = (table.clone(), field.clone(), goal);
            if base.backfills(table, field, goal).is_empty() && !out.contains(&q) {
                out.push(q);
            }
        }
        out
    }

    /// Whether the ledger records `table.field` verified on this workspace's deployment.
    pub fn is_verified(&self, table: &str, field: &str) -> bool {
        self.config.config.is_verified(table, field, &self.deployment)
    }

    pub fn base(&self) -> Option<&Revision> {
        self.base.revision()
    }

    /// The revision of a side (`None`: the base side without a baseline).
    pub fn revision(&self, side: Side) -> Option<&Revision> {
        match side {
            Side::Working => Some(&self.working),
            Side::Base => self.base(),
        }
    }

    /// The text of a file of one side as the analysis saw it (the config file is on the working
    /// side).
    pub fn text(&self, side: Side, path: &str) -> Option<&str> {
        if side == Side::Working && path == FILE_NAME {
            return self.config.text.as_deref();
        }
        let revision = self.revision(side)?;
        revision.file_id(path).map(|id| &*revision.file(id).text)
    }

    /// The line index of a file of one side (built when the file is not a project file).
    pub fn line_index(&self, side: Side, path: &str) -> std::borrow::Cow<'_, crate::line_index::LineIndex> {
        if let Some(revision) = self.revision(side).filter(|_| !(side == Side::Working && path == FILE_NAME)) {
            if let Some(id) = revision.file_id(path) {
                return std::borrow::Cow::Borrowed(&revision.file(id).model.line_index);
            }
        }
        std::borrow::Cow::Owned(crate::line_index::LineIndex::new(self.text(side, path).unwrap_or("")))
    }
}

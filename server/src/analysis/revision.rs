//! A project at one revision (the working tree, or the baseline) with the indexes the analysis
//! builds from it: which functions are backfills of which field, which verify it. The project
//! layer knows nothing of them; they are built here, once per revision, on first use.

use std::sync::{Arc, OnceLock};

use crate::analysis::backfill::{BackfillIndex, Goal};
use crate::analysis::verify::VerifyIndex;
use crate::project::{Function, Project};

/// How much of a revision was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub files: usize,
    pub tables: usize,
    pub functions: usize,
}

/// A project and its analysis indexes. Derefs to the [`Project`].
#[derive(Debug)]
pub struct Revision {
    pub project: Arc<Project>,
    backfills: OnceLock<BackfillIndex>,
    verifies: OnceLock<VerifyIndex>,
}

impl std::ops::Deref for Revision {
    type Target = Project;

    fn deref(&self) -> &Project {
        &self.project
    }
}

impl Revision {
    pub fn new(project: impl Into<Arc<Project>>) -> Revision {
        Revision { project: project.into(), backfills: OnceLock::new(), verifies: OnceLock::new() }
    }

    pub fn backfill_index(&self) -> &BackfillIndex {
        self.backfills.get_or_init(|| BackfillIndex::build(&self.project.functions))
    }

    pub fn verify_index(&self) -> &VerifyIndex {
        self.verifies.get_or_init(|| VerifyIndex::build(&self.project.functions))
    }

    /// The backfills for `table.field` (or, for [`Goal::Unset`], the migrations that unset it).
    pub fn backfills(&self, table: &str, field: &str, goal: Goal) -> Vec<&Function> {
        self.backfill_index().of(table, field, goal).iter().map(|&i| &*self.project.functions[i]).collect()
    }

    /// The verify functions for `table.field` (the actions to run, where a page query has one).
    pub fn verifies(&self, table: &str, field: &str) -> Vec<&Function> {
        self.verify_index().of(table, field).iter().map(|&i| &*self.project.functions[i]).collect()
    }

    /// Whether function `index` of the project is a backfill of something.
    pub fn is_backfill(&self, index: usize) -> bool {
        self.backfill_index().is_any(index)
    }

    /// What was read: files, tables of the schema, Convex functions.
    pub fn counts(&self) -> Counts {
        Counts {
            files: self.project.files.len(),
            tables: self.project.schema.as_ref().map_or(0, |s| s.tables.len()),
            functions: self.project.functions.len(),
        }
    }

    /// Whether function `index` of the project is migration code: a backfill or a verify.
    pub fn is_migration_code(&self, index: usize) -> bool {
        self.is_backfill(index) || self.verify_index().is_any(index)
    }
}

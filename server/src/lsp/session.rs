//! Everything the server knows between requests: the client's capabilities and settings, the
//! workspace folders and their Convex projects, the open documents.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use dashmap::DashMap;
use tower_lsp_server::ls_types::Uri;

use crate::line_index::ColumnUnit;
use crate::lsp::document::Document;
use crate::lsp::workspace::{ProjectState, Settings};
use crate::sources::BaseCache;

/// What the client said it can do (from `initialize`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Capabilities {
    /// Workspace edits may create files.
    pub create_files: bool,
    /// Workspace edits may delete files.
    pub delete_files: bool,
    /// `codeAction/resolve` fills in `edit` (and code actions keep their `data`).
    pub resolve_edits: bool,
    /// The client takes watchers registered at run time.
    pub dynamic_watchers: bool,
    /// The client takes `window/workDoneProgress/create` (server-initiated progress).
    pub work_done_progress: bool,
    /// The client takes `workspace/applyEdit`.
    pub apply_edit: bool,
}

#[derive(Default)]
pub struct Session {
    unit: RwLock<Option<ColumnUnit>>,
    pub folders: RwLock<Vec<PathBuf>>,
    pub projects: RwLock<Vec<Arc<ProjectState>>>,
    pub documents: DashMap<PathBuf, Document>,
    settings: RwLock<Settings>,
    pub base_cache: BaseCache,
    capabilities: RwLock<Capabilities>,
    /// Counts command runs (progress tokens).
    pub runs: std::sync::atomic::AtomicU64,
    /// Where each rule's documentation was written, for `codeDescription` links.
    pub rule_docs: RwLock<HashMap<&'static str, Uri>>,
}

impl Session {
    pub fn unit(&self) -> ColumnUnit {
        self.unit.read().ok().and_then(|u| *u).unwrap_or(ColumnUnit::Utf16)
    }

    pub fn set_unit(&self, unit: ColumnUnit) {
        if let Ok(mut u) = self.unit.write() {
            *u = Some(unit);
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings.read().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn set_settings(&self, settings: Settings) {
        if let Ok(mut s) = self.settings.write() {
            *s = settings;
        }
    }

    pub fn capabilities(&self) -> Capabilities {
        self.capabilities.read().map(|c| *c).unwrap_or_default()
    }

    pub fn set_capabilities(&self, capabilities: Capabilities) {
        if let Ok(mut c) = self.capabilities.write() {
            *c = capabilities;
        }
    }

    pub fn projects(&self) -> Vec<Arc<ProjectState>> {
        self.projects.read().map(|p| p.clone()).unwrap_or_default()
    }

    /// The innermost project holding `path`.
    pub fn project_for(&self, path: &Path) -> Option<Arc<ProjectState>> {
        let projects = self.projects.read().ok()?;
        projects.iter().filter(|p| path.starts_with(&p.root)).max_by_key(|p| p.root.components().count()).cloned()
    }

    pub fn rule_doc(&self, rule: &str) -> Option<Uri> {
        self.rule_docs.read().ok().and_then(|d| d.get(rule).cloned())
    }
}

//! The Convex projects of the editor's workspace: finding them, keeping their files (disk plus
//! open buffers), and analysing one project at a time against its baseline.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::analysis::{analyze, Analysis, Input, Rule};
use crate::config::{Config, ConfigError, FILE_NAME};
use crate::project::{Layout, Project, SourceFile};
use crate::sources::{self, disk, Base, BaseCache};

/// How deep below a workspace folder projects are looked for (`apps/web`, `packages/x/app`).
const MAX_DEPTH: usize = 5;

/// Convex project roots under `folder`: folders holding `convex.json` or `convex/`. A root's own
/// subfolders are not searched further; `node_modules`, hidden and build folders are skipped.
pub fn discover(folder: &Path) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    let mut stack = vec![(folder.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        if sources::project_root(&dir).is_ok() {
            roots.push(dir);
            continue;
        }
        if depth >= MAX_DEPTH {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !kind.is_dir() || name.starts_with('.') || matches!(name.as_ref(), "node_modules" | "dist" | "build" | "target" | "out") {
                continue;
            }
            stack.push((entry.path(), depth + 1));
        }
    }
    roots.sort();
    roots
}

/// Settings from the editor (`initializationOptions`, `workspace/didChangeConfiguration`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// The base revision, unless the project's config sets one.
    pub base: Option<String>,
    /// Rule severities, overridden by the project's `convex-migrate.json`.
    #[serde(default)]
    pub rules: HashMap<String, String>,
    /// The `npx` that runs migrations (default: `npx` on PATH).
    pub npx_path: Option<String>,
}

/// What one analysis saw and found.
pub struct Snapshot {
    pub working: Project,
    pub base: Option<Arc<Project>>,
    pub base_note: Option<String>,
    pub config: Config,
    pub config_text: Option<String>,
    pub analysis: Analysis,
    /// Versions of the open documents the analysis read, by project-relative path.
    pub versions: HashMap<String, i32>,
}

/// The baseline as last read: the project (none when off) and a note for the user.
type BaseState = (Option<Arc<Project>>, Option<String>);

/// A Convex project of the workspace.
pub struct ProjectState {
    pub root: PathBuf,
    pub layout: Mutex<Layout>,
    /// Files of the functions folder as on disk, by project-relative path (models cached).
    disk: Mutex<HashMap<String, SourceFile>>,
    /// The baseline, until git or the settings move it.
    base: Mutex<Option<BaseState>>,
    pub generation: AtomicU64,
    pub last: Mutex<Option<Arc<Snapshot>>>,
    /// Files that have diagnostics in the editor now.
    pub published: Mutex<Vec<String>>,
}

/// An open buffer's text and version, handed to the analysis.
pub struct Overlay {
    pub path: String,
    pub version: i32,
    pub source: SourceFile,
}

impl ProjectState {
    pub fn new(root: PathBuf) -> ProjectState {
        ProjectState {
            root,
            layout: Mutex::new(Layout::default()),
            disk: Mutex::new(HashMap::new()),
            base: Mutex::new(None),
            generation: AtomicU64::new(0),
            last: Mutex::new(None),
            published: Mutex::new(Vec::new()),
        }
    }

    /// The path of `file` relative to the root, `/`-separated, if it is inside.
    pub fn relative(&self, file: &Path) -> Option<String> {
        let rel = file.strip_prefix(&self.root).ok()?;
        let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
        Some(parts?.join("/"))
    }

    /// Reads every file of the functions folder from disk (at start, and when convex.json changes).
    pub fn load(&self) {
        let mut notes = Vec::new();
        let text = disk::read_optional(&self.root, "convex.json").ok().flatten();
        let (layout, note) = Layout::from_convex_json(text.as_deref());
        notes.extend(note);
        let project = sources::read_dir_project(&self.root, &mut notes);
        let files = project.files.into_iter().map(|f| (f.path.clone(), f)).collect();
        if let Ok(mut l) = self.layout.lock() {
            *l = layout;
        }
        if let Ok(mut d) = self.disk.lock() {
            *d = files;
        }
    }

    /// Re-reads one file after the watcher reported it created, changed or deleted.
    pub fn refresh(&self, rel: &str) {
        let layout = self.layout.lock().map(|l| l.clone()).unwrap_or_default();
        if !layout.is_source(rel) {
            return;
        }
        let text = disk::read_optional(&self.root, rel).ok().flatten();
        if let Ok(mut d) = self.disk.lock() {
            match text {
                Some(text) => {
                    if d.get(rel).is_none_or(|f| *f.text != *text) {
                        d.insert(rel.to_string(), SourceFile::new(rel.to_string(), Arc::from(text)));
                    }
                }
                None => {
                    d.remove(rel);
                }
            }
        }
    }

    /// Forgets the baseline (git moved, or the base setting changed).
    pub fn reset_base(&self) {
        if let Ok(mut b) = self.base.lock() {
            *b = None;
        }
    }

    fn base(&self, spec: Option<&str>, cache: &BaseCache) -> BaseState {
        if let Ok(b) = self.base.lock() {
            if let Some(known) = &*b {
                return known.clone();
            }
        }
        let result = match sources::read_git_base(&self.root, spec, Some(cache)) {
            Ok(Base::Project { project, .. }) => {
                let note = project.schema.is_none().then(|| "no schema at the base: transition rules are off".to_string());
                (Some(project), note)
            }
            Ok(Base::Off { reason }) => (None, Some(reason)),
            Err(e) => (None, Some(format!("{e}: transition rules are off"))),
        };
        if let Ok(mut b) = self.base.lock() {
            *b = Some(result.clone());
        }
        result
    }

    /// Analyses the project with the open buffers over the disk files.
    pub fn analyse(&self, overlays: Vec<Overlay>, settings: &Settings, cache: &BaseCache) -> Snapshot {
        let layout = self.layout.lock().map(|l| l.clone()).unwrap_or_default();
        let mut files: HashMap<String, SourceFile> = self.disk.lock().map(|d| d.clone()).unwrap_or_default();
        let mut versions = HashMap::new();
        let mut config_text = disk::read_optional(&self.root, FILE_NAME).ok().flatten();
        for overlay in overlays {
            versions.insert(overlay.path.clone(), overlay.version);
            if overlay.path == FILE_NAME {
                config_text = Some(overlay.source.text.to_string());
            } else if layout.is_source(&overlay.path) {
                files.insert(overlay.path.clone(), overlay.source);
            }
        }
        let (mut config, config_errors): (Config, Option<Vec<ConfigError>>) = match &config_text {
            Some(text) => {
                let (c, e) = Config::parse(text, &Rule::is_known);
                (c, Some(e))
            }
            None => (Config::default(), None),
        };
        for (rule, level) in &settings.rules {
            if let Some(level) = crate::config::Level::parse(level) {
                config.rules.entry(rule.clone()).or_insert(level);
            }
        }
        let spec = config.base.clone().or_else(|| settings.base.clone());
        let (base, base_note) = self.base(spec.as_deref(), cache);
        let previous = self.last.lock().ok().and_then(|l| l.clone());
        let working = Project::rebuild(layout, files.into_values().collect(), previous.as_ref().map(|s| &s.working));
        let analysis = analyze(&Input {
            working: &working,
            base: base.as_deref(),
            config: &config,
            config_errors: config_errors.as_deref().map(|e| (FILE_NAME, e)),
        });
        Snapshot { working, base, base_note, config, config_text, analysis, versions }
    }

    pub fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn is_current(&self, generation: u64) -> bool {
        self.generation.load(Ordering::SeqCst) == generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovers_monorepo_projects() {
        let dir = tempfile::tempdir().unwrap();
        for p in ["apps/web/convex", "packages/api/convex", "node_modules/x/convex", ".cache/convex", "apps/web/convex/nested/convex"] {
            std::fs::create_dir_all(dir.path().join(p)).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("tools/custom")).unwrap();
        std::fs::write(dir.path().join("tools/custom/convex.json"), "{}").unwrap();
        let roots: Vec<String> =
            discover(dir.path()).iter().map(|r| r.strip_prefix(dir.path()).unwrap().to_string_lossy().to_string()).collect();
        assert_eq!(roots, ["apps/web", "packages/api", "tools/custom"]);
    }
}

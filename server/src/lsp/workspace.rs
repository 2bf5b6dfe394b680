//! The Convex projects of the editor's workspace: finding them, keeping their files (disk plus
//! open buffers), and analysing one project at a time against its baseline.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::analysis::{Analysis, Baseline, Revision, Rule, Workspace};
use crate::config::{ConfigFile, FILE_NAME};
use crate::project::{Layout, Project, SourceFile, Unread};
use crate::sources::{self, disk, BaseCache};

/// Convex project roots under `folder` (see [`sources::discover::projects_under`]).
pub fn discover(folder: &Path) -> Vec<PathBuf> {
    sources::discover::projects_under(folder)
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
    /// The deployment whose verifications count in the editor (default `dev`, the one a
    /// developer runs migrations on first).
    pub deployment: Option<String>,
    /// A snapshot export of the deployment's data (`npx convex export --path FILE.zip`), relative
    /// to the project root: the transition findings and hover count its documents.
    pub snapshot: Option<String>,
}

/// What one analysis saw and found.
pub struct Snapshot {
    pub ws: Workspace,
    pub analysis: Analysis,
    /// Why transition rules are off, said once on the schema (no git, no schema at the base).
    pub base_note: Option<String>,
    /// Versions of the open documents the analysis read, by project-relative path.
    pub versions: HashMap<String, i32>,
}

/// An open buffer of the project, as the analysis reads it.
pub enum Overlay {
    /// A source file of the functions folder, modelled.
    Source { version: i32, source: SourceFile },
    /// `convex-migrate.json`.
    Config { version: i32, text: String },
}

/// A Convex project of the workspace.
/// A question asked of the base's history: (base commit, table, field, goal).
type HistoryQuestion = (String, String, String, crate::analysis::backfill::Goal);

pub struct ProjectState {
    pub root: PathBuf,
    pub layout: Mutex<Layout>,
    /// Files of the functions folder as on disk, by project-relative path (models cached).
    disk: Mutex<HashMap<String, SourceFile>>,
    /// `convex-migrate.json` as on disk: read when the project is loaded and when the watcher
    /// says it changed, not on every keystroke.
    config: Mutex<ConfigFile>,
    /// The files of the project, and the config, that could not be read as they are on disk.
    unread: Mutex<(Vec<Unread>, Vec<Unread>)>,
    /// The baseline, until git or the settings move it.
    base: Mutex<Option<(Baseline, Option<String>)>>,
    /// For a working tree that turns schema validation back on: the last validated schema before
    /// the base, looked up once per base.
    validated: Mutex<Option<Option<crate::analysis::Validated>>>,
    /// How the project runs its tools (package manager, convex-migrate installed), read once.
    tools: crate::analysis::command::Tools,
    /// Deleted migrations found in the base's history, by base commit and question: history does
    /// not change while the base stays.
    history: Mutex<HashMap<HistoryQuestion, Option<crate::analysis::Historic>>>,
    pub generation: AtomicU64,
    pub last: Mutex<Option<Arc<Snapshot>>>,
    /// What the editor shows now: the diagnostics last published for each file that has some,
    /// or is open.
    pub published: Mutex<HashMap<String, Published>>,
    /// The `snapshot` setting's export, as last read.
    data: crate::lsp::data::DataCache,
}

/// The diagnostics last published for a file, with the document version they were for.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub version: Option<i32>,
    pub diagnostics: Vec<tower_lsp_server::ls_types::Diagnostic>,
}

impl ProjectState {
    /// The base's deleted migrations for the transitions the working tree makes, each question
    /// asked of git once per base commit.
    fn attach_history(&self, ws: &mut Workspace) {
        let Some(commit) = ws.base.commit().map(str::to_string) else { return };
        let questions = ws.history_questions();
        let Ok(mut cache) = self.history.lock() else { return };
        let key = |(t, f, g): &(String, String, crate::analysis::backfill::Goal)| (commit.clone(), t.clone(), f.clone(), *g);
        let unknown: Vec<_> = questions.iter().filter(|q| !cache.contains_key(&key(q))).cloned().collect();
        if !unknown.is_empty() {
            let depth = ws.config.config.history_depth.unwrap_or(sources::history::DEFAULT_DEPTH);
            let found = sources::history::deleted_migrations(&self.root, ws, &unknown, depth).map(|(f, _)| f).unwrap_or_default();
            for q in &unknown {
                let hit = found.iter().find(|h| h.table == q.0 && h.field == q.1 && h.goal == q.2).cloned();
                cache.insert(key(q), hit);
            }
        }
        ws.history = questions.iter().filter_map(|q| cache.get(&key(q)).cloned().flatten()).collect();
    }

    pub fn new(root: PathBuf) -> ProjectState {
        ProjectState {
            tools: sources::tools(&root),
            history: Mutex::new(HashMap::new()),
            root,
            layout: Mutex::new(Layout::default()),
            disk: Mutex::new(HashMap::new()),
            config: Mutex::new(ConfigFile::default()),
            unread: Mutex::new((Vec::new(), Vec::new())),
            base: Mutex::new(None),
            validated: Mutex::new(None),
            generation: AtomicU64::new(0),
            last: Mutex::new(None),
            published: Mutex::new(HashMap::new()),
            data: Default::default(),
        }
    }

    /// The path of `file` relative to the root, `/`-separated, if it is inside.
    pub fn relative(&self, file: &Path) -> Option<String> {
        let rel = file.strip_prefix(&self.root).ok()?;
        let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
        Some(parts?.join("/"))
    }

    pub fn layout(&self) -> Layout {
        self.layout.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Reads every file of the functions folder and the config from disk (at start, and when
    /// convex.json changes).
    pub fn load(&self) {
        let mut notes = Vec::new();
        let project = sources::read_dir_project(&self.root, &mut notes);
        // With its module map (tsconfig aliases, workspace packages) and the files it imports
        // from outside the functions folder, read here and when convex.json changes.
        let layout = project.layout.clone();
        let files = project.files.iter().map(|f| (f.path.clone(), f.clone())).collect();
        if let Ok(mut u) = self.unread.lock() {
            u.0 = project.unread.clone();
        }
        if let Ok(mut l) = self.layout.lock() {
            *l = layout;
        }
        if let Ok(mut d) = self.disk.lock() {
            *d = files;
        }
        self.reload_config();
    }

    /// Reads `convex-migrate.json` again (the watcher reported it).
    pub fn reload_config(&self) {
        let mut unread = Vec::new();
        let config = sources::read_config(&self.root, &mut unread);
        if let Ok(mut c) = self.config.lock() {
            *c = config;
        }
        if let Ok(mut u) = self.unread.lock() {
            u.1 = unread;
        }
    }

    /// Re-reads one file after the watcher reported it created, changed or deleted.
    pub fn refresh(&self, rel: &str) {
        if rel == FILE_NAME {
            return self.reload_config();
        }
        let layout = self.layout();
        if !layout.is_source(rel) {
            return;
        }
        let read = disk::read_optional(&self.root, rel);
        if let Ok(mut u) = self.unread.lock() {
            // What could not be read (a link that leads out of the project, too large) is said.
            u.0.retain(|un| un.path != rel || !matches!(un.problem, crate::project::ReadProblem::Unreadable { .. }));
            if let Err(e) = &read {
                u.0.push(Unread { path: rel.to_string(), problem: crate::project::ReadProblem::Unreadable { reason: e.to_string() } });
            }
        }
        let text = read.ok().flatten();
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
        if let Ok(mut v) = self.validated.lock() {
            *v = None;
        }
    }

    fn base(&self, spec: Option<&str>, cache: &BaseCache) -> (Baseline, Option<String>) {
        if let Ok(b) = self.base.lock() {
            if let Some(known) = &*b {
                return known.clone();
            }
        }
        let result = match sources::read_git_base(&self.root, spec, Some(cache)) {
            Ok(base @ Baseline::Read { .. }) => {
                let note = base
                    .revision()
                    .is_some_and(|r| r.schema.is_none())
                    .then(|| "no schema at the base: transition rules are off".to_string());
                (base, note)
            }
            Ok(Baseline::Off { reason }) => (Baseline::Off { reason: reason.clone() }, Some(reason)),
            Err(e) => {
                let reason = format!("{e}: transition rules are off");
                (Baseline::Off { reason: reason.clone() }, Some(reason))
            }
        };
        if let Ok(mut b) = self.base.lock() {
            *b = Some(result.clone());
        }
        result
    }

    /// Analyses the project with the open buffers over the disk files. `stale()` says whether a
    /// newer edit has come in meanwhile: then the work stops and `None` is returned (the newer
    /// analysis is on its way).
    pub fn analyse(
        &self,
        overlays: HashMap<String, Overlay>,
        settings: &Settings,
        cache: &BaseCache,
        stale: &dyn Fn() -> bool,
    ) -> Option<Snapshot> {
        let layout = self.layout();
        let mut files: HashMap<String, SourceFile> = self.disk.lock().map(|d| d.clone()).unwrap_or_default();
        let mut config = self.config.lock().map(|c| c.clone()).unwrap_or_default();
        let mut versions = HashMap::new();
        for (path, overlay) in overlays {
            match overlay {
                Overlay::Config { version, text } => {
                    versions.insert(path, version);
                    config = ConfigFile::parse(Some(text), &Rule::config_levels);
                }
                Overlay::Source { version, source } => {
                    versions.insert(path.clone(), version);
                    if layout.is_source(&path) {
                        files.insert(path, source);
                    }
                }
            }
        }
        for (rule, level) in &settings.rules {
            if let Some(level) = crate::config::Level::parse(level) {
                config.config.rules.entry(rule.clone()).or_insert(level);
            }
        }
        let spec = config.config.base.clone().or_else(|| settings.base.clone());
        let (base, mut base_note) = self.base(spec.as_deref(), cache);
        if stale() {
            return None;
        }
        let previous = self.last.lock().ok().and_then(|l| l.clone());
        let unread = self.unread.lock().map(|u| u.0.iter().chain(&u.1).cloned().collect()).unwrap_or_default();
        let working =
            Project::rebuild(layout, files.into_values().collect(), previous.as_ref().map(|s| &*s.ws.working.project)).with_unread(unread);
        if stale() {
            return None;
        }
        let mut ws = Workspace::new(Revision::new(working), base, config).for_deployment(settings.deployment.as_deref().unwrap_or("dev"));
        ws.tools = self.tools.clone();
        self.attach_history(&mut ws);
        let data_note = self.data.attach(&mut ws, &self.root, settings.snapshot.as_deref(), stale).ok()?;
        if let Some(note) = data_note {
            base_note = Some(match base_note {
                Some(b) => format!("{b}; {note}"),
                None => note,
            });
        }
        if stale() {
            return None;
        }
        if ws.turns_validation_on() {
            let known = self.validated.lock().ok().and_then(|v| v.clone());
            ws.validated = match known {
                Some(validated) => validated,
                None => {
                    let validated = sources::validated_base(&self.root, &ws).ok().flatten();
                    if let Ok(mut v) = self.validated.lock() {
                        *v = Some(validated.clone());
                    }
                    validated
                }
            };
        }
        let analysis = ws.analyze();
        Some(Snapshot { ws, analysis, base_note, versions })
    }

    pub fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn is_current(&self, generation: u64) -> bool {
        self.generation.load(Ordering::SeqCst) == generation
    }
}

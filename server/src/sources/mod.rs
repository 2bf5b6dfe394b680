//! Where project files come from: the disk (working tree, `--base-dir`) and git objects (the
//! baseline). The only I/O of the analysis: it feeds [`crate::project`], and [`load`] assembles
//! the [`Workspace`] that `check`, `plan` and `verify` analyse.

pub mod apply;
pub mod discover;
pub mod disk;
pub mod git;
pub mod history;
pub mod imports;
pub mod snapshot;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::analysis::{BaseSource, Baseline, Revision, Rule, Validated, Workspace};
use crate::config::{ConfigFile, FILE_NAME};
use crate::project::{Layout, Project, ReadProblem, SourceFile, Unread};

pub use git::Skipped;

/// Why a project could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("no Convex project at {0} (no convex.json and no convex/ folder)")]
    NotAProject(PathBuf),
    #[error(transparent)]
    Git(#[from] git::GitError),
    #[error("--base-dir: {0}")]
    BaseDir(Box<SourceError>),
    #[error("{0}")]
    FunctionsOutside(String),
    #[error("the functions folder `{0}` does not exist (convex.json's `functions`, or `convex/`): there is nothing to check")]
    NoFunctionsFolder(String),
}

/// Checks that `path` is a Convex project root: it holds `convex.json` or a `convex/` folder.
pub fn project_root(path: &Path) -> Result<PathBuf, SourceError> {
    let meta = std::fs::metadata(path).map_err(|e| SourceError::Unreadable { path: path.to_path_buf(), reason: e.to_string() })?;
    if !meta.is_dir() {
        return Err(SourceError::Unreadable { path: path.to_path_buf(), reason: "not a folder".into() });
    }
    if path.join("convex.json").is_file() || path.join("convex").is_dir() {
        Ok(path.to_path_buf())
    } else {
        Err(SourceError::NotAProject(path.to_path_buf()))
    }
}

fn layout_from_disk(root: &Path, notes: &mut Vec<String>, unread: &mut Vec<Unread>) -> Layout {
    let text = match disk::read_optional(root, "convex.json") {
        Ok(text) => text,
        Err(e) => {
            unread.push(Unread { path: "convex.json".into(), problem: ReadProblem::Unreadable { reason: e.to_string() } });
            None
        }
    };
    let (layout, note) = Layout::from_convex_json(text.as_deref());
    if let Some(outside) = crate::project::layout::convex_json_outside(text.as_deref()) {
        // The language server says it once, on convex.json; `load` refuses to run.
        unread.push(Unread {
            path: "convex.json".into(),
            problem: ReadProblem::Unreadable { reason: format!("{outside}; the `convex/` folder is analysed instead") },
        });
    } else {
        notes.extend(note);
    }
    layout
}

/// What the analysis must be told about files read: those skipped, and those that were not
/// UTF-8 (read lossily).
fn unread(skipped: Vec<Skipped>, lossy: impl Iterator<Item = (String, Option<usize>)>) -> Vec<Unread> {
    let mut out: Vec<Unread> =
        skipped.into_iter().map(|s| Unread { path: s.path, problem: ReadProblem::Unreadable { reason: s.reason } }).collect();
    out.extend(lossy.filter_map(|(path, at)| Some(Unread { path, problem: ReadProblem::InvalidUtf8 { offset: at? } })));
    out
}

/// Parses and models files, in parallel on the machine's cores: one shared queue, largest files
/// first, so no core waits while another has a long chunk left. The order of `files` is kept.
pub fn model_files(files: Vec<(String, String)>) -> Vec<SourceFile> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8);
    if threads <= 1 || files.len() < 32 {
        return files.into_iter().map(|(p, t)| SourceFile::new(p, Arc::from(t))).collect();
    }
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(files[i].1.len()));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<(String, String)>>> = files.into_iter().map(|f| std::sync::Mutex::new(Some(f))).collect();
    let done: Vec<std::sync::OnceLock<SourceFile>> = (0..slots.len()).map(|_| std::sync::OnceLock::new()).collect();
    let work = || loop {
        let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(&i) = order.get(at) else { break };
        let taken = slots[i].lock().map(|mut slot| slot.take()).unwrap_or(None);
        if let Some((path, text)) = taken {
            let _ = done[i].set(SourceFile::new(path, Arc::from(text)));
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..threads {
            // A thread that cannot be started leaves its share to the others.
            let _ = std::thread::Builder::new().stack_size(crate::STACK_SIZE).spawn_scoped(scope, work);
        }
    });
    // Every thread failing to start would leave files unparsed: parse what is left here (on a
    // thread of the parser's stack size, as the rest).
    let left: Vec<(String, String)> = slots.into_iter().filter_map(|s| s.into_inner().ok().flatten()).collect();
    let mut out: Vec<SourceFile> = done.into_iter().filter_map(|d| d.into_inner()).collect();
    if !left.is_empty() {
        out.extend(left.into_iter().map(|(p, t)| SourceFile::new(p, Arc::from(t))));
    }
    out
}

/// [`model_files`], taking from `known` (the working tree, read a moment ago) every file whose
/// text is the same: a base file unchanged since is parsed once, not twice.
pub fn model_files_reusing(files: Vec<(String, String)>, known: Option<&Project>) -> Vec<SourceFile> {
    let Some(known) = known else { return model_files(files) };
    let mut reused = Vec::new();
    let mut fresh = Vec::new();
    for (path, text) in files {
        match known.file_id(&path).map(|id| known.file(id)) {
            Some(same) if *same.text == *text => reused.push(same.clone()),
            _ => fresh.push((path, text)),
        }
    }
    reused.extend(model_files(fresh));
    reused
}

/// Reads a project folder from disk (the working tree, or a `--base-dir` copy).
pub fn read_dir_project(root: &Path, notes: &mut Vec<String>) -> Project {
    read_dir_project_reusing(root, notes, None)
}

/// [`read_dir_project`], sharing the models of `known`'s files whose text is the same.
fn read_dir_project_reusing(root: &Path, notes: &mut Vec<String>, known: Option<&Project>) -> Project {
    let mut problems = Vec::new();
    let layout = layout_from_disk(root, notes, &mut problems);
    let (files, skipped) = disk::read_tree(root, &layout.functions_dir, &|path, is_dir| {
        if is_dir {
            let name = path.rsplit('/').next().unwrap_or(path);
            name != "node_modules" && name != "_generated" && !name.starts_with('.')
        } else {
            layout.is_source(path)
        }
    });
    problems.extend(unread(skipped, files.iter().map(|f| (f.path.clone(), f.invalid_utf8_at))));
    let mut layout = layout;
    layout.modules = imports::module_map(root, &layout.functions_dir);
    let mut sources = model_files_reusing(files.into_iter().map(|f| (f.path, f.text)).collect(), known);
    let (outside, refused) = imports::imported_from_disk(root, &sources, &layout.modules, known);
    sources.extend(outside);
    problems.extend(refused);
    // Linked anew only where the files differ from `known`'s (for a base: what the change touched).
    Project::rebuild(layout, sources, known).with_unread(problems)
}

/// Reads `convex-migrate.json` at `root`; a file that cannot be read is said in `unread`, and
/// the defaults apply.
pub fn read_config(root: &Path, unread: &mut Vec<Unread>) -> ConfigFile {
    let text = match disk::read_optional(root, FILE_NAME) {
        Ok(text) => text,
        Err(e) => {
            unread.push(Unread {
                path: FILE_NAME.into(),
                problem: ReadProblem::Unreadable { reason: format!("{e}; the defaults are used instead") },
            });
            None
        }
    };
    ConfigFile::parse(text, &Rule::config_levels)
}

/// Where the baseline comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BaseChoice {
    /// The config's `base`, else the merge-base with the upstream branch, else HEAD.
    #[default]
    Default,
    /// A git revision, as `git rev-parse` takes it.
    Git(String),
    /// A folder holding a copy of the deployed project.
    Folder(PathBuf),
    /// No baseline (`--no-base`, and what needs none, like `verify`).
    Off,
    /// A pull request's base branch (`origin/main`): the base is its merge-base with HEAD.
    PullRequest(String),
}

/// The loader: the project at `root` (its working tree and `convex-migrate.json`) and its
/// baseline, ready to analyse. What `check`, `plan` and `verify` run on; the language server
/// builds its working tree from its buffers and reads the base with [`read_git_base`].
pub fn load(root: &Path, base: &BaseChoice) -> Result<Workspace, SourceError> {
    let root = project_root(root)?;
    refuse_functions_outside(&root)?;
    apply::recover(&root);
    let mut notes = Vec::new();
    let mut config_unread = Vec::new();
    let config = read_config(&root, &mut config_unread);
    let at = match base {
        BaseChoice::Git(spec) => Some(BaseAt::Spec(spec)),
        BaseChoice::Default => Some(config.config.base.as_deref().map_or(BaseAt::Default, BaseAt::Spec)),
        BaseChoice::PullRequest(target) => Some(BaseAt::MergeBase(target)),
        BaseChoice::Folder(_) | BaseChoice::Off => None,
    };
    // The git base is read (objects found and inflated) while the working tree is parsed; its
    // files are parsed after, sharing the working tree's models where the text is the same.
    let (mut project, git_files) = std::thread::scope(|scope| {
        let reading = at.map(|at| scope.spawn(|| read_git_base_files(&root, at, None)));
        let project = read_dir_project(&root, &mut notes);
        let git_files =
            reading.map(|r| r.join().unwrap_or_else(|_| Err(SourceError::Git(git::GitError::Read("reading the git base failed".into())))));
        (project, git_files)
    });
    if !root.join(&project.layout.functions_dir).is_dir() {
        return Err(SourceError::NoFunctionsFolder(project.layout.functions_dir.clone()));
    }
    project.unread.extend(config_unread);
    let baseline = match (base, git_files) {
        (BaseChoice::Folder(dir), _) => read_base_dir(dir, Some(&project)).map_err(|e| SourceError::BaseDir(Box::new(e)))?,
        (_, Some(files)) => model_git_base(&root, files?, None, Some(&project))?,
        _ => Baseline::Off { reason: "no baseline (--no-base): transition rules are off".into() },
    };
    let mut ws = Workspace::new(Revision::new(project), baseline, config);
    ws.notes = notes;
    ws.validated = validated_base(&root, &ws)?;
    ws.tools = tools(&root);
    attach_history(&root, &mut ws);
    Ok(ws)
}

/// How the project runs its tools: `package.json` in the root, the lockfiles in the root or a
/// folder above it, up to the repository's root (a monorepo's lockfile sits at its top).
pub fn tools(root: &Path) -> crate::analysis::command::Tools {
    let package_json = disk::read_optional(root, "package.json").ok().flatten();
    let exists = |name: &str| {
        for dir in root.ancestors().take(16) {
            if dir.join(name).is_file() {
                return true;
            }
            if dir.join(".git").exists() {
                break;
            }
        }
        false
    };
    crate::analysis::command::Tools::from_package_json(package_json.as_deref(), &exists)
}

/// The deleted migrations of the base's history for the transitions whose migration the base
/// lacks (see [`history`]). History that cannot be read is said in a note, not an error: the
/// transitions then stand as they are.
pub fn attach_history(root: &Path, ws: &mut Workspace) {
    let questions = ws.history_questions();
    let depth = ws.config.config.history_depth.unwrap_or(history::DEFAULT_DEPTH);
    match history::deleted_migrations(root, ws, &questions, depth) {
        Ok((found, _)) => ws.history = found,
        Err(e) => ws.notes.push(format!("the base's history was not searched for deleted migrations: {e}")),
    }
}

/// How far back along the base's first-parent history the last validated schema is looked for.
pub const HISTORY_LIMIT: usize = 500;

/// For a workspace whose change turns schema validation back on: the newest ancestor of the base
/// commit whose schema had validation on (what stored documents were last checked against), read
/// as a revision. Only the schema file is read at each commit on the way; the project is read
/// whole at the one found.
pub fn validated_base(root: &Path, ws: &Workspace) -> Result<Option<Validated>, SourceError> {
    if !ws.turns_validation_on() {
        return Ok(None);
    }
    let Some(commit) = ws.base.commit() else { return Ok(Some(Validated::Never { walked: 0 })) };
    let Some(repo) = git::GitRepo::discover(root)? else { return Ok(Some(Validated::Never { walked: 0 })) };
    let layout = ws.base().map(|b| b.layout.clone()).unwrap_or_default();
    let schema_paths = layout.schema_paths();
    let dir = layout.functions_dir.clone();
    let history = repo.first_parents(commit, HISTORY_LIMIT)?;
    for (back, id) in history.iter().enumerate().skip(1) {
        let (files, _) = repo.read_files(id, root, &|path, is_dir| {
            if is_dir {
                path == dir || dir.starts_with(&format!("{path}/"))
            } else {
                schema_paths.iter().any(|p| p == path)
            }
        })?;
        let validation_off = files.iter().any(|f| {
            let model = crate::model::FileModel::build(&f.path, &f.text);
            model.bindings.values().any(|b| matches!(&b.value, crate::model::value::Value::Schema(s) if s.schema_validation == Some(false)))
        });
        if !validation_off {
            let Baseline::Read { revision, .. } = read_git_base(root, Some(id), None)? else { break };
            return Ok(Some(Validated::At { revision, commit: id.clone(), commits_back: back }));
        }
    }
    Ok(Some(Validated::Never { walked: history.len() }))
}

/// A `convex.json` whose `functions` folder lies outside the project (absolute, or climbing with
/// `..`) is a configuration error: nothing is read from there, nothing written.
fn refuse_functions_outside(root: &Path) -> Result<(), SourceError> {
    let text = disk::read_optional(root, "convex.json").ok().flatten();
    match crate::project::layout::convex_json_outside(text.as_deref()) {
        Some(message) => Err(SourceError::FunctionsOutside(message)),
        None => Ok(()),
    }
}

/// The baseline from a folder (`--base-dir`).
/// `known`: the working tree just read, whose models the base's unchanged files share.
pub fn read_base_dir(dir: &Path, known: Option<&Project>) -> Result<Baseline, SourceError> {
    let dir = project_root(dir)?;
    refuse_functions_outside(&dir)?;
    let mut notes = Vec::new();
    let project = read_dir_project_reusing(&dir, &mut notes, known);
    Ok(Baseline::Read { revision: Arc::new(Revision::new(project)), source: BaseSource::Folder { path: dir.display().to_string() } })
}

/// A project handed in as files (path relative to the root, text): its `convex.json`, its
/// `convex-migrate.json` and its sources, modelled like files read from disk.
fn project_from_files(files: &[(String, String)]) -> (Project, Option<String>) {
    let text_of = |name: &str| files.iter().find(|(p, _)| p == name).map(|(_, t)| t.clone());
    let (layout, _) = Layout::from_convex_json(text_of("convex.json").as_deref());
    let sources = files.iter().filter(|(p, _)| layout.is_source(p)).map(|(p, t)| (p.clone(), t.clone())).collect();
    (Project::build(layout, model_files(sources)), text_of(FILE_NAME))
}

/// The loader for files held in memory (tests, fixtures): the working files and, when given, the
/// base's, assembled as [`load`] assembles a project on disk.
pub fn load_files(working: &[(String, String)], base: Option<&[(String, String)]>) -> Workspace {
    let (project, config_text) = project_from_files(working);
    let baseline = match base {
        Some(files) => Baseline::Read { revision: Arc::new(Revision::new(project_from_files(files).0)), source: BaseSource::Given },
        None => Baseline::Off { reason: "no baseline was given".into() },
    };
    Workspace::new(Revision::new(project), baseline, ConfigFile::parse(config_text, &Rule::config_levels))
}

/// Baseline projects already read, by project root and commit id: the base moves rarely (a
/// commit, a checkout), while the language server re-analyses on every keystroke.
#[derive(Default)]
pub struct BaseCache {
    entries: Mutex<HashMap<(PathBuf, String), Arc<Revision>>>,
}

impl BaseCache {
    fn get(&self, root: &Path, commit: &str) -> Option<Arc<Revision>> {
        self.entries.lock().ok()?.get(&(root.to_path_buf(), commit.to_string())).cloned()
    }

    fn put(&self, root: &Path, commit: &str, project: Arc<Revision>) {
        if let Ok(mut entries) = self.entries.lock() {
            // A handful of bases per project at most; keep memory bounded all the same.
            if entries.len() >= 16 {
                entries.clear();
            }
            entries.insert((root.to_path_buf(), commit.to_string()), project);
        }
    }
}

/// The baseline from git: `spec` (from `--base` or the config) or the default base.
/// No repository, or a repository without commits when no spec was given: the base is off.
/// An unknown spec is an error. With a cache, a commit already read is not read again.
pub fn read_git_base(root: &Path, spec: Option<&str>, cache: Option<&BaseCache>) -> Result<Baseline, SourceError> {
    read_git_base_at(root, spec.map_or(BaseAt::Default, BaseAt::Spec), cache, None)
}

/// Which commit of the repository is the base.
enum BaseAt<'a> {
    Default,
    Spec(&'a str),
    MergeBase(&'a str),
}

/// `known`: the working tree just read, whose models the base's unchanged files share.
fn read_git_base_at(root: &Path, at: BaseAt<'_>, cache: Option<&BaseCache>, known: Option<&Project>) -> Result<Baseline, SourceError> {
    model_git_base(root, read_git_base_files(root, at, cache)?, cache, known)
}

/// A git base as read, before its files are parsed: what [`read_git_base_files`] gives (it can
/// run while the working tree is parsed) and [`model_git_base`] finishes.
enum GitBaseFiles {
    /// No base to parse: transition rules off, or the base already in the cache.
    Done(Baseline),
    Read(Box<GitBaseRead>),
}

struct GitBaseRead {
    repo: git::GitRepo,
    commit: String,
    source: BaseSource,
    layout: Layout,
    files: Vec<(String, String)>,
    problems: Vec<Unread>,
}

/// Resolves the base commit and reads its functions folder's files.
fn read_git_base_files(root: &Path, at: BaseAt<'_>, cache: Option<&BaseCache>) -> Result<GitBaseFiles, SourceError> {
    let spec = match at {
        BaseAt::Spec(s) | BaseAt::MergeBase(s) => Some(s),
        BaseAt::Default => None,
    };
    let Some(repo) = git::GitRepo::discover(root)? else {
        if let Some(spec) = spec {
            return Err(SourceError::Git(git::GitError::UnknownRef {
                spec: spec.to_string(),
                reason: "the project is not in a git repository".into(),
            }));
        }
        return Ok(GitBaseFiles::Done(Baseline::Off { reason: "not a git repository: transition rules are off".into() }));
    };
    let resolved = match at {
        BaseAt::MergeBase(target) => repo.merge_base_with(target),
        _ => repo.resolve(spec),
    };
    let resolved = match resolved {
        Ok(r) => r,
        Err(git::GitError::NoCommits { .. }) if spec.is_none() => {
            return Ok(GitBaseFiles::Done(Baseline::Off {
                reason: "the git repository has no commits yet: transition rules are off".into(),
            }))
        }
        Err(e) => return Err(e.into()),
    };
    let source = BaseSource::Commit { id: resolved.commit.clone(), described_as: resolved.described_as.clone() };
    if let Some(revision) = cache.and_then(|c| c.get(root, &resolved.commit)) {
        return Ok(GitBaseFiles::Done(Baseline::Read { revision, source }));
    }
    let (meta, meta_skipped) = repo.read_files(&resolved.commit, root, &|path, is_dir| !is_dir && path == "convex.json")?;
    let (layout, _) = Layout::from_convex_json(meta.first().map(|f| f.text.as_str()));
    let dir = layout.functions_dir.clone();
    let (files, skipped) = repo.read_files(&resolved.commit, root, &|path, is_dir| {
        let inside = path == dir || path.starts_with(&format!("{dir}/"));
        let on_the_way = dir.starts_with(&format!("{path}/"));
        if is_dir {
            let name = path.rsplit('/').next().unwrap_or(path);
            (inside || on_the_way) && name != "node_modules" && name != "_generated"
        } else {
            inside && layout.is_source(path)
        }
    })?;
    let mut problems = unread(meta_skipped, std::iter::empty());
    problems.extend(unread(skipped, files.iter().map(|f| (f.path.clone(), f.invalid_utf8_at))));
    let files = files.into_iter().map(|f| (f.path, f.text)).collect();
    Ok(GitBaseFiles::Read(Box::new(GitBaseRead { repo, commit: resolved.commit, source, layout, files, problems })))
}

/// Parses a base read by [`read_git_base_files`] (sharing `known`'s models where the text is the
/// same), with what its files import from outside the functions folder, and links it.
fn model_git_base(root: &Path, read: GitBaseFiles, cache: Option<&BaseCache>, known: Option<&Project>) -> Result<Baseline, SourceError> {
    let GitBaseRead { repo, commit, source, mut layout, files, problems } = match read {
        GitBaseFiles::Done(baseline) => return Ok(baseline),
        GitBaseFiles::Read(read) => *read,
    };
    // Imports from outside the functions folder, as the base commit holds them; the module map
    // is the working tree's (aliases and workspace layout rarely change with a migration).
    layout.modules = imports::module_map(root, &layout.functions_dir);
    let mut sources = model_files_reusing(files, known);
    let tree = repo.tree_at(&commit, root)?;
    let outside = imports::imported(&sources, &layout.modules, known, &mut |candidates| {
        let (found, _) = tree.read_paths(candidates).ok()?;
        found.into_iter().next().map(|f| (f.path, f.text))
    });
    sources.extend(outside);
    // Linked anew only where the files differ from the working tree's.
    let project = Project::rebuild(layout, sources, known).with_unread(problems);
    let revision = Arc::new(Revision::new(project));
    if let Some(cache) = cache {
        cache.put(root, &commit, revision.clone());
    }
    Ok(Baseline::Read { revision, source })
}

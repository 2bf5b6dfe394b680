//! Reads the baseline ("what is deployed") from git objects with gix: no checkout, no `git` process.
//!
//! The baseline is the project's files at a git revision (DESIGN.md §2, "The baseline"). This module
//! finds the repository that contains a project folder, turns a revision (or the default: the
//! merge-base of HEAD with its upstream, else HEAD) into a commit id, and reads the project's files
//! from that commit's tree straight out of the object database.
//!
//! Everything that comes from git or from the user is untrusted: odd tree entry names, huge blobs,
//! symlinks, submodules, missing objects and non-UTF-8 content become [`Skipped`] entries or
//! [`GitError`] values, never panics.

use std::path::{Path, PathBuf};

use gix::bstr::{BStr, BString, ByteSlice};
use gix::objs::tree::EntryKind;
use gix::ObjectId;

/// Blobs larger than this are left out of the baseline (and reported as [`Skipped`]).
pub const MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// At most this many tree entries are visited under the project folder. It protects against
/// "git bombs" (trees that reference the same subtree many times over), not against real projects.
const MAX_ENTRIES: usize = 1_000_000;

/// Why the baseline could not be read. Every message is one line a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The project folder does not exist or cannot be read.
    #[error("cannot read the project folder {}: {reason}", .path.display())]
    Folder { path: PathBuf, reason: String },
    /// The repository around the project folder could not be opened.
    #[error("cannot open the git repository for {}: {reason}", .path.display())]
    Open { path: PathBuf, reason: String },
    /// A revision given by the user (or the config) does not name a commit.
    #[error("unknown git revision `{spec}`: {reason}")]
    UnknownRef { spec: String, reason: String },
    /// HEAD is unborn: the repository has no commit yet, so there is no baseline.
    #[error("the git repository at {} has no commits yet, so there is no baseline to compare with", .workdir.display())]
    NoCommits { workdir: PathBuf },
    /// The project folder is not inside the repository's working tree.
    #[error("the project folder {} is not inside the git working tree {}", .project.display(), .workdir.display())]
    OutsideWorkdir { project: PathBuf, workdir: PathBuf },
    /// Reading objects or references failed (corrupt or unreadable repository, resource limits).
    #[error("cannot read the git repository: {0}")]
    Read(String),
}

/// A git repository with a working tree, opened from a project folder inside it.
///
/// Holds only paths, so a `GitRepo` is `Send + Sync` and can be shared by the language server's
/// handlers. (gix's repository handles are `Rc`-based without its `parallel` feature, so each call
/// opens the repository afresh: a few file reads, and it sees refs and config as they are now.)
pub struct GitRepo {
    /// The working tree, canonicalized (symlinks resolved), so project paths can be made relative to it.
    workdir: PathBuf,
    /// The `.git` directory of this working tree (holds `HEAD`).
    git_dir: PathBuf,
    /// The directory holding the shared refs and objects (differs from `git_dir` in linked worktrees).
    common_dir: PathBuf,
}

/// A file of the project at the base: `path` relative to the project root, '/'-separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseFile {
    pub path: String,
    pub text: String,
    /// The byte offset of the first byte that is not UTF-8, when the blob is not text: it was
    /// decoded lossily (each bad sequence a U+FFFD) and is analysed all the same.
    pub invalid_utf8_at: Option<usize>,
}

/// How the base commit was chosen, for messages: e.g. "merge-base of HEAD and origin/main", "HEAD", "origin/main".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedBase {
    /// The full hex id of the commit.
    pub commit: String,
    /// What the user would recognise: the spec as given, "HEAD", or "merge-base of HEAD and origin/main".
    pub described_as: String,
}

/// A file under the project folder that was left out of the baseline, and why.
///
/// Reasons: too large (over [`MAX_FILE_SIZE`]), not UTF-8, a symlink, a submodule, an unreadable
/// entry name, or an object missing from the local database (e.g. a partial clone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Relative to the project root, '/'-separated (lossily decoded if the name is not UTF-8).
    pub path: String,
    pub reason: String,
}

impl GitRepo {
    /// Finds the repository containing `project_root` (walking up). Ok(None) when there is none,
    /// and also for a bare repository (it has no working tree a project could live in).
    ///
    /// `project_root` must exist; it may be relative (to the current directory) or go through symlinks.
    pub fn discover(project_root: &Path) -> Result<Option<GitRepo>, GitError> {
        let start = canonicalize_project(project_root)?;
        let repo = match gix::discover(&start) {
            Ok(repo) => repo,
            Err(err) if is_no_repository(&err) => return Ok(None),
            Err(err) => return Err(GitError::Open { path: start, reason: one_line(&err) }),
        };
        let Some(workdir) = repo.workdir() else {
            return Ok(None);
        };
        let workdir = canonicalize(workdir).map_err(|reason| GitError::Open { path: workdir.to_path_buf(), reason })?;
        let git_dir = canonicalize_or_keep(repo.git_dir());
        let common_dir = canonicalize_or_keep(repo.common_dir());
        Ok(Some(GitRepo { workdir, git_dir, common_dir }))
    }

    /// The `.git` directory (for watching HEAD and refs later).
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// The directory with the shared refs (`refs/`, `packed-refs`): the same as [`Self::git_dir`]
    /// except in a linked worktree (`git worktree add`), where branch refs live in the main `.git`.
    pub fn common_dir(&self) -> &Path {
        &self.common_dir
    }

    /// The working tree root, canonicalized.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// `spec` takes what `git rev-parse` would: branch, tag, remote branch, full/short sha, `HEAD~1`, `x^`.
    /// `None` = the default base: the merge-base of HEAD with its upstream branch
    /// (`branch.<name>.remote` + `.merge` config) when one is set and resolvable, else HEAD
    /// (then `described_as` says why when an upstream was configured, e.g. "HEAD (upstream origin/main not found)").
    ///
    /// Errors: an unknown revision or one that is not a commit ([`GitError::UnknownRef`]);
    /// a repository with no commits yet ([`GitError::NoCommits`]).
    pub fn resolve(&self, spec: Option<&str>) -> Result<ResolvedBase, GitError> {
        let repo = self.open()?;
        match spec {
            Some(spec) => Ok(ResolvedBase { commit: self.commit_of(&repo, spec)?.to_string(), described_as: spec.to_string() }),
            None => self.default_base(&repo),
        }
    }

    /// Every blob under the project's folder (the folder `project_root` relative to the repo's workdir)
    /// in that commit's tree, for which `want(path_relative_to_project_root, is_dir)` is true
    /// (directories: return false to not descend; a submodule is asked about as a directory).
    /// Paths '/'-separated, relative to the project root. Returns the files (sorted by path) and the
    /// skipped ones. `commit` is usually [`ResolvedBase::commit`], but any revision is accepted.
    /// If the project folder does not exist in that commit: Ok with empty files.
    pub fn read_files(
        &self,
        commit: &str,
        project_root: &Path,
        want: &dyn Fn(&str, bool) -> bool,
    ) -> Result<(Vec<BaseFile>, Vec<Skipped>), GitError> {
        let repo = self.open()?;
        let prefix = self.project_prefix(project_root)?;
        let commit_id = self.commit_of(&repo, commit)?;
        let root_tree = tree_of_commit(&repo, commit_id)?;
        let mut out = Collected::default();
        if let Some(project_tree) = descend(&repo, root_tree, &prefix)? {
            let prefix: Vec<String> = prefix.iter().map(|c| c.to_str_lossy().to_string()).collect();
            walk(&repo, Links { root_tree, prefix: &prefix }, project_tree, want, &mut out)?;
        }
        // A hand-made tree can list a name twice; like a checkout, keep one of them.
        out.files.sort_by(|a, b| a.path.cmp(&b.path));
        out.files.dedup_by(|a, b| a.path == b.path);
        out.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        Ok((out.files, out.skipped))
    }

    /// Resolves `spec` to a commit id, peeling annotated tags.
    fn commit_of(&self, repo: &gix::Repository, spec: &str) -> Result<ObjectId, GitError> {
        let unknown = |reason: String| GitError::UnknownRef { spec: spec.to_string(), reason };
        if spec.trim().is_empty() {
            return Err(unknown("the revision is empty".into()));
        }
        let id = match repo.rev_parse_single(spec) {
            Ok(id) => id,
            Err(_) if head_is_unborn(repo) => return Err(self.no_commits()),
            Err(err) => return Err(unknown(one_line(&err))),
        };
        let header = repo.find_header(id.detach()).map_err(|err| unknown(one_line(&err)))?;
        if header.size() > MAX_OBJECT_SIZE {
            return Err(unknown(format!("it names a {} of {} bytes; not loading it", header.kind(), header.size())));
        }
        let object = id.object().map_err(|err| unknown(one_line(&err)))?;
        let kind = object.kind;
        match object.peel_to_commit() {
            Ok(commit) => Ok(commit.id),
            Err(_) => Err(unknown(format!("it names a {kind}, not a commit"))),
        }
    }

    /// The default base: merge-base of HEAD and its upstream when there is one, else HEAD.
    fn default_base(&self, repo: &gix::Repository) -> Result<ResolvedBase, GitError> {
        let mut head = repo.head().map_err(|err| read_error(&err))?;
        if head.is_unborn() {
            return Err(self.no_commits());
        }
        let head_id = head.peel_to_commit().map_err(|err| GitError::UnknownRef { spec: "HEAD".into(), reason: one_line(&err) })?.id;
        let head_base = |described_as: String| ResolvedBase { commit: head_id.to_string(), described_as };
        let Some(upstream) = upstream_ref_name(repo, &head) else {
            return Ok(head_base("HEAD".into()));
        };
        let shown = upstream.shorten().to_string();
        let Some(upstream_id) = peeled_commit_of_ref(repo, &upstream) else {
            return Ok(head_base(format!("HEAD (upstream {shown} not found)")));
        };
        match repo.merge_base(head_id, upstream_id) {
            Ok(Some(base)) => {
                Ok(ResolvedBase { commit: base.detach().to_string(), described_as: format!("merge-base of HEAD and {shown}") })
            }
            Ok(None) => Ok(head_base(format!("HEAD (no common history with {shown})"))),
            // E.g. a shallow clone whose history stops before the fork point.
            Err(err) => Ok(head_base(format!("HEAD (no merge-base with {shown}: {})", one_line(&err)))),
        }
    }

    /// The files at `paths` in `commit` (see [`CommitTree::read_paths`]).
    pub fn read_paths(&self, commit: &str, project_root: &Path, paths: &[String]) -> Result<(Vec<BaseFile>, Vec<Skipped>), GitError> {
        self.tree_at(commit, project_root)?.read_paths(paths)
    }

    /// `commit`'s tree, opened once for many reads (an import graph asks for one file at a time).
    pub fn tree_at(&self, commit: &str, project_root: &Path) -> Result<CommitTree, GitError> {
        let repo = self.open()?;
        let prefix: Vec<String> = self.project_prefix(project_root)?.iter().map(|c| c.to_str_lossy().to_string()).collect();
        let commit_id = self.commit_of(&repo, commit)?;
        let root_tree = tree_of_commit(&repo, commit_id)?;
        Ok(CommitTree { repo, prefix, root_tree })
    }

    /// The id of the tree at `dir` (relative to the project root, `/`-separated) in `commit`;
    /// `None` when the folder is not there. Cheap: it reads only the trees on the way, so a walk
    /// over history can skip the commits that did not touch the folder.
    pub fn folder_tree(&self, commit: &str, project_root: &Path, dir: &str) -> Result<Option<String>, GitError> {
        let repo = self.open()?;
        let mut prefix = self.project_prefix(project_root)?;
        prefix.extend(dir.split('/').filter(|c| !c.is_empty()).map(|c| BString::from(c.as_bytes())));
        let commit_id = self.commit_of(&repo, commit)?;
        let root_tree = tree_of_commit(&repo, commit_id)?;
        Ok(descend(&repo, root_tree, &prefix)?.map(|id| id.to_string()))
    }

    /// `commit` and its first-parent ancestors, newest first, at most `limit` of them (the walk
    /// stops early at a root commit or where a shallow clone's history ends).
    pub fn first_parents(&self, commit: &str, limit: usize) -> Result<Vec<String>, GitError> {
        let repo = self.open()?;
        let mut id = self.commit_of(&repo, commit)?;
        let mut out = vec![id.to_string()];
        while out.len() < limit {
            let Ok(found) = repo.find_commit(id) else { break };
            let Some(parent) = found.parent_ids().next() else { break };
            id = parent.detach();
            if repo.find_header(id).is_err() {
                break; // A shallow clone: the parent is not here.
            }
            out.push(id.to_string());
        }
        Ok(out)
    }

    /// The merge-base of HEAD and `target` (a pull request's base branch, `origin/main`): what the
    /// pull request changes. `target` missing from the clone (a shallow checkout) or no common
    /// history is an error that says how to get it.
    pub fn merge_base_with(&self, target: &str) -> Result<ResolvedBase, GitError> {
        let repo = self.open()?;
        let missing = |reason: String| GitError::UnknownRef { spec: target.to_string(), reason };
        let head_id = self.commit_of(&repo, "HEAD")?;
        let target_id = match repo.rev_parse_single(target) {
            Ok(id) => id.object().map_err(|e| missing(one_line(&e)))?.peel_to_commit().map_err(|e| missing(one_line(&e)))?.id,
            Err(_) => {
                return Err(missing(
                    "it is not in this clone (a shallow checkout?): fetch the full history (actions/checkout with `fetch-depth: 0`), or pass --base".into(),
                ))
            }
        };
        match repo.merge_base(head_id, target_id) {
            Ok(Some(base)) => {
                Ok(ResolvedBase { commit: base.detach().to_string(), described_as: format!("merge-base of HEAD and {target}") })
            }
            Ok(None) => Err(missing("HEAD and it share no history; pass --base".into())),
            Err(err) => Err(missing(format!(
                "no merge-base with HEAD ({}): the clone is probably shallow; fetch the full history (`fetch-depth: 0`), or pass --base",
                one_line(&err)
            ))),
        }
    }

    /// The components of `project_root` relative to the working tree, as git tree entry names.
    fn project_prefix(&self, project_root: &Path) -> Result<Vec<BString>, GitError> {
        let project = canonicalize_project(project_root)?;
        let outside = || GitError::OutsideWorkdir { project: project.clone(), workdir: self.workdir.clone() };
        let relative = project.strip_prefix(&self.workdir).map_err(|_| outside())?;
        relative
            .components()
            .map(|component| match component {
                std::path::Component::Normal(name) => gix::path::os_str_into_bstr(name)
                    .map(BStr::to_owned)
                    .map_err(|_| GitError::Read(format!("the project path {} is not valid UTF-8", project.display()))),
                _ => Err(outside()),
            })
            .collect()
    }

    /// Opens the repository found by [`Self::discover`] again (see the note on [`GitRepo`]).
    fn open(&self) -> Result<gix::Repository, GitError> {
        gix::open(&self.git_dir).map_err(|err| GitError::Open { path: self.git_dir.clone(), reason: one_line(&err) })
    }

    fn no_commits(&self) -> GitError {
        GitError::NoCommits { workdir: self.workdir.clone() }
    }
}

/// One commit's tree, for reading files by path: see [`GitRepo::tree_at`].
pub struct CommitTree {
    repo: gix::Repository,
    /// The project's folder from the repository's top.
    prefix: Vec<String>,
    root_tree: ObjectId,
}

impl CommitTree {
    /// The files at `paths` (relative to the project root, `/`-separated; `../` may lead out of
    /// the project, never out of the repository), those that exist as regular files of reasonable
    /// size. What was asked for and is not a readable file is in the skipped list.
    pub fn read_paths(&self, paths: &[String]) -> Result<(Vec<BaseFile>, Vec<Skipped>), GitError> {
        let (repo, root_tree) = (&self.repo, self.root_tree);
        let mut out = Collected::default();
        for path in paths {
            // The path from the repository's top: the project's folder, then `path` normalised.
            let mut parts: Vec<String> = self.prefix.clone();
            let mut inside = true;
            for component in path.split('/') {
                match component {
                    "" | "." => {}
                    ".." => inside &= parts.pop().is_some(),
                    c => parts.push(c.to_string()),
                }
            }
            let Some((name, dirs)) = parts.split_last().filter(|_| inside) else { continue };
            let dirs: Vec<BString> = dirs.iter().map(|d| BString::from(d.as_bytes())).collect();
            let Some(tree) = descend(repo, root_tree, &dirs)? else { continue };
            let data = tree_data(repo, tree)?;
            let entries = decode_tree(&data, tree)?;
            let Some(entry) = entries.iter().find(|e| e.filename == name.as_bytes().as_bstr()) else { continue };
            match entry.mode.kind() {
                EntryKind::Blob | EntryKind::BlobExecutable => read_blob(repo, entry.oid.to_owned(), path.clone(), &mut out),
                EntryKind::Link => match follow_link(repo, root_tree, dirs_of(&parts), entry.oid.to_owned()) {
                    Ok((EntryKind::Blob | EntryKind::BlobExecutable, id)) => read_blob(repo, id, path.clone(), &mut out),
                    Ok(_) => {}
                    Err(reason) => out.skip(path.clone(), reason),
                },
                _ => {}
            }
        }
        Ok((out.files, out.skipped))
    }
}

/// What [`walk`] gathers.
#[derive(Default)]
struct Collected {
    files: Vec<BaseFile>,
    skipped: Vec<Skipped>,
    entries_seen: usize,
}

impl Collected {
    fn skip(&mut self, path: String, reason: impl Into<String>) {
        self.skipped.push(Skipped { path, reason: reason.into() });
    }
}

/// Where the walk is in the repository, to follow symbolic links: the commit's root tree and the
/// project folder's path in it.
#[derive(Clone, Copy)]
struct Links<'a> {
    root_tree: ObjectId,
    prefix: &'a [String],
}

/// The folders of a repository path (all but its last component).
fn dirs_of(parts: &[String]) -> Vec<String> {
    parts.split_last().map(|(_, dirs)| dirs.to_vec()).unwrap_or_default()
}

/// At most this many links are followed to resolve one (a loop ends there).
const MAX_LINK_HOPS: usize = 16;

/// Where the symbolic link `link` (a blob holding its target) in the folder `dir` (components
/// from the repository's top) leads in the tree `root_tree`: the entry's kind and id. A link that
/// leads outside the repository (absolute, or climbing above its top), to nothing, or through
/// too many links is an error saying so; nothing outside the repository is ever looked at.
fn follow_link(repo: &gix::Repository, root_tree: ObjectId, dir: Vec<String>, link: ObjectId) -> Result<(EntryKind, ObjectId), String> {
    const OUTSIDE: &str = "a symbolic link that leads outside the repository: not followed, not read";
    let mut link = link;
    let mut dir = dir;
    for _ in 0..MAX_LINK_HOPS {
        let header =
            repo.find_header(link).map_err(|e| format!("its link target is missing from the local git objects ({})", one_line(&e)))?;
        if header.kind() != gix::objs::Kind::Blob || header.size() > 4096 {
            return Err("a symbolic link whose target is not a path".into());
        }
        let mut blob = repo.find_blob(link).map_err(|e| format!("cannot read the symbolic link ({})", one_line(&e)))?;
        let target = String::from_utf8(blob.take_data()).map_err(|_| "a symbolic link whose target is not UTF-8".to_string())?;
        if target.starts_with('/') || target.contains('\0') || target.is_empty() {
            return Err(OUTSIDE.into());
        }
        let mut parts = dir.clone();
        for component in target.split('/') {
            match component {
                "" | "." => {}
                ".." => {
                    parts.pop().ok_or_else(|| OUTSIDE.to_string())?;
                }
                c => parts.push(c.to_string()),
            }
        }
        // Down from the top, following the links met on the way.
        let mut current = root_tree;
        let mut at: Vec<String> = Vec::new();
        let mut found = None;
        let mut hops = 0;
        let mut rest: std::collections::VecDeque<String> = parts.into();
        while let Some(component) = rest.pop_front() {
            let data = tree_data(repo, current).map_err(|e| e.to_string())?;
            let entries = decode_tree(&data, current).map_err(|e| e.to_string())?;
            let Some(entry) = entries.iter().find(|e| e.filename == component.as_bytes().as_bstr()) else {
                return Err("a symbolic link to nothing (its target is not in the commit)".into());
            };
            let kind = entry.mode.kind();
            let id = entry.oid.to_owned();
            if rest.is_empty() {
                found = Some((kind, id, at.clone()));
                break;
            }
            match kind {
                EntryKind::Tree => {
                    current = id;
                    at.push(component);
                }
                EntryKind::Link => {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return Err("a symbolic link through too many links (a loop?)".into());
                    }
                    let (kind, id) = follow_link(repo, root_tree, at.clone(), id)?;
                    if kind != EntryKind::Tree {
                        return Err("a symbolic link to nothing (its target is not in the commit)".into());
                    }
                    current = id;
                    at.push(component);
                }
                _ => return Err("a symbolic link to nothing (its target is not in the commit)".into()),
            }
        }
        match found {
            Some((EntryKind::Link, id, at)) => {
                link = id;
                dir = at;
            }
            Some((kind, id, _)) => return Ok((kind, id)),
            // The target is the repository's top.
            None => return Ok((EntryKind::Tree, root_tree)),
        }
    }
    Err("a symbolic link through too many links (a loop?)".into())
}

/// Visits the tree `root` depth-first (with an explicit stack: deep trees cannot overflow ours),
/// collecting the wanted blobs and reporting what cannot be read as text. Symbolic links are
/// followed inside the repository (a folder reached through a link is entered once).
fn walk(
    repo: &gix::Repository,
    links: Links<'_>,
    root: ObjectId,
    want: &dyn Fn(&str, bool) -> bool,
    out: &mut Collected,
) -> Result<(), GitError> {
    let mut entered = std::collections::HashSet::new();
    let mut pending = vec![(root, String::new())];
    while let Some((tree_id, dir)) = pending.pop() {
        let data = tree_data(repo, tree_id)?;
        let entries = decode_tree(&data, tree_id)?;
        out.entries_seen += entries.len();
        if out.entries_seen > MAX_ENTRIES {
            return Err(GitError::Read(format!("the project folder has more than {MAX_ENTRIES} entries in git; giving up")));
        }
        for entry in entries {
            let Some(name) = valid_name(entry.filename) else {
                let path = join_str(&dir, &entry.filename.to_str_lossy());
                out.skip(path, "the name in the git tree is not a valid UTF-8 file name");
                continue;
            };
            let path = join_str(&dir, name);
            match entry.mode.kind() {
                EntryKind::Tree => {
                    if want(&path, true) {
                        pending.push((entry.oid.to_owned(), path));
                    }
                }
                EntryKind::Commit => {
                    if want(&path, true) {
                        out.skip(path, "a git submodule: its files are in another repository");
                    }
                }
                EntryKind::Link => {
                    if !want(&path, false) && !want(&path, true) {
                        continue;
                    }
                    let mut dir: Vec<String> = links.prefix.to_vec();
                    dir.extend(path.split('/').map(str::to_string));
                    dir.pop();
                    match follow_link(repo, links.root_tree, dir, entry.oid.to_owned()) {
                        Ok((EntryKind::Blob | EntryKind::BlobExecutable, id)) if want(&path, false) => read_blob(repo, id, path, out),
                        Ok((EntryKind::Tree, id)) if want(&path, true) => {
                            if entered.insert(id) {
                                pending.push((id, path));
                            }
                        }
                        Ok((EntryKind::Commit, _)) if want(&path, true) => {
                            out.skip(path, "a symbolic link to a git submodule: its files are in another repository")
                        }
                        Ok(_) => {}
                        // What it leads to is unknown: named when it would be read as a file, or
                        // as a folder when its name has no extension.
                        Err(reason) => {
                            let folder_like = !path.rsplit('/').next().unwrap_or(&path).contains('.');
                            if want(&path, false) || (folder_like && want(&path, true)) {
                                out.skip(path, reason);
                            }
                        }
                    }
                }
                EntryKind::Blob | EntryKind::BlobExecutable => {
                    if want(&path, false) {
                        read_blob(repo, entry.oid.to_owned(), path, out);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Reads one blob as text into `out`, or records why it was skipped. The size is checked from
/// the object header first, so an oversized blob is never loaded.
fn read_blob(repo: &gix::Repository, id: ObjectId, path: String, out: &mut Collected) {
    let header = match repo.find_header(id) {
        Ok(header) => header,
        Err(err) => return out.skip(path, format!("its content is missing from the local git objects ({})", one_line(&err))),
    };
    if header.kind() != gix::objs::Kind::Blob {
        return out.skip(path, format!("the git tree points to a {}, not a file", header.kind()));
    }
    if header.size() > MAX_FILE_SIZE {
        return out.skip(path, format!("too large ({} bytes; the limit is 4 MiB)", header.size()));
    }
    match repo.find_blob(id) {
        Ok(mut blob) => {
            let (text, invalid_utf8_at) = super::disk::decode(blob.take_data());
            out.files.push(BaseFile { path, text, invalid_utf8_at });
        }
        Err(err) => out.skip(path, format!("cannot read its content ({})", one_line(&err))),
    }
}

/// Follows `prefix` down from `root`; `None` when a component is missing or is not a directory.
fn descend(repo: &gix::Repository, root: ObjectId, prefix: &[BString]) -> Result<Option<ObjectId>, GitError> {
    let mut current = root;
    for component in prefix {
        let data = tree_data(repo, current)?;
        let entries = decode_tree(&data, current)?;
        let next = entries.iter().find(|entry| entry.filename == component.as_bstr() && entry.mode.kind() == EntryKind::Tree);
        match next {
            Some(entry) => current = entry.oid.to_owned(),
            None => return Ok(None),
        }
    }
    Ok(Some(current))
}

/// Trees, commits and tags larger than this are not loaded (a real tree of 100,000 entries
/// holds ~4 MiB): an object is only decompressed after its header says what and how big it is.
pub const MAX_OBJECT_SIZE: u64 = 32 * 1024 * 1024;

/// Checks `id`'s header (kind and size, read without decompressing the object) before it is
/// loaded: it must be a `kind` of at most [`MAX_OBJECT_SIZE`] bytes.
fn check_header(repo: &gix::Repository, id: ObjectId, kind: gix::objs::Kind) -> Result<(), GitError> {
    let header = repo.find_header(id).map_err(|err| read_error(&err))?;
    if header.kind() != kind {
        return Err(GitError::Read(format!("the git object {id} is a {}, not a {kind}", header.kind())));
    }
    if header.size() > MAX_OBJECT_SIZE {
        return Err(GitError::Read(format!(
            "the git {kind} {id} holds {} bytes, more than the {MAX_OBJECT_SIZE} read; not loading it",
            header.size()
        )));
    }
    Ok(())
}

/// The id of the root tree of `commit`.
fn tree_of_commit(repo: &gix::Repository, commit: ObjectId) -> Result<ObjectId, GitError> {
    check_header(repo, commit, gix::objs::Kind::Commit)?;
    let commit = repo.find_commit(commit).map_err(|err| read_error(&err))?;
    commit.tree_id().map(gix::Id::detach).map_err(|err| read_error(&err))
}

/// The raw bytes of the tree `id` (decoded separately, since the entries borrow from them).
fn tree_data(repo: &gix::Repository, id: ObjectId) -> Result<Vec<u8>, GitError> {
    check_header(repo, id, gix::objs::Kind::Tree)?;
    let mut tree = repo.find_tree(id).map_err(|err| read_error(&err))?;
    Ok(tree.take_data())
}

fn decode_tree(data: &[u8], id: ObjectId) -> Result<Vec<gix::objs::tree::EntryRef<'_>>, GitError> {
    gix::objs::TreeRef::from_bytes(data, id.kind())
        .map(|tree| tree.entries)
        .map_err(|err| GitError::Read(format!("the git tree {id} is malformed: {err}")))
}

/// The name as a UTF-8 path component, or `None` for names no checkout would produce
/// (non-UTF-8, empty, `.`, `..`, containing a separator).
fn valid_name(name: &BStr) -> Option<&str> {
    let name = name.to_str().ok()?;
    let bad = name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']);
    (!bad).then_some(name)
}

fn join_str(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The full name of the ref HEAD's branch tracks (`refs/remotes/origin/main`, or a local branch for
/// `branch.<name>.remote = .`), if configured. Detached HEAD has no upstream.
fn upstream_ref_name(repo: &gix::Repository, head: &gix::Head<'_>) -> Option<gix::refs::FullName> {
    use gix::remote::Direction;
    let branch = head.referent_name()?;
    let remote = repo.branch_remote_name(branch.shorten(), Direction::Fetch)?;
    if remote.as_bstr() == "." {
        return repo.branch_remote_ref_name(branch, Direction::Fetch)?.ok();
    }
    repo.branch_remote_tracking_ref_name(branch, Direction::Fetch)?.ok()
}

/// The commit a ref points to (following tags), or `None` if it does not exist or is not a commit.
fn peeled_commit_of_ref(repo: &gix::Repository, name: &gix::refs::FullName) -> Option<ObjectId> {
    let mut reference = repo.try_find_reference(name.as_ref()).ok()??;
    reference.peel_to_commit().ok().map(|commit| commit.id)
}

fn head_is_unborn(repo: &gix::Repository) -> bool {
    repo.head().is_ok_and(|head| head.is_unborn())
}

/// True when discovery failed only because there is no repository above the folder.
fn is_no_repository(err: &gix::Error) -> bool {
    use gix::discover::upwards::Error as Upwards;
    matches!(
        err.downcast_any_ref::<Upwards>(),
        Some(Upwards::NoGitRepository { .. } | Upwards::NoGitRepositoryWithinCeiling { .. } | Upwards::NoGitRepositoryWithinFs { .. })
    )
}

/// A gix error as one line for users: its most specific cause (e.g. `The ref partially named
/// "origin/mian" could not be found` rather than the generic `couldn't parse revision`).
fn one_line(err: &gix::Error) -> String {
    let text = err.probable_cause().to_string();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn read_error(err: &gix::Error) -> GitError {
    GitError::Read(one_line(err))
}

fn canonicalize(path: &Path) -> Result<PathBuf, String> {
    std::fs::canonicalize(path).map_err(|err| err.to_string())
}

fn canonicalize_project(project_root: &Path) -> Result<PathBuf, GitError> {
    canonicalize(project_root).map_err(|reason| GitError::Folder { path: project_root.to_path_buf(), reason })
}

fn canonicalize_or_keep(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::process::{Command, Stdio};
    use tempfile::TempDir;

    /// Runs `git` in `dir` with a fixed identity and no user/system config; returns trimmed stdout.
    fn git_in(dir: &Path, args: &[&str]) -> String {
        git_with_stdin(dir, args, None)
    }

    fn git_with_stdin(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> String {
        use std::io::Write;
        let mut command = Command::new("git");
        command
            .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("git runs");
        if let Some(bytes) = stdin {
            child.stdin.take().expect("stdin").write_all(bytes).expect("write stdin");
        }
        drop(child.stdin.take());
        let output = child.wait_with_output().expect("git finishes");
        assert!(output.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// A temporary repository on branch `main`, driven with the real `git` CLI.
    struct TestRepo {
        dir: TempDir,
    }

    impl TestRepo {
        fn new() -> Self {
            let dir = TempDir::new().expect("tempdir");
            git_in(dir.path(), &["init", "-q", "-b", "main"]);
            TestRepo { dir }
        }

        fn path(&self) -> &Path {
            self.dir.path()
        }

        fn git(&self, args: &[&str]) -> String {
            git_in(self.path(), args)
        }

        fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
            let path = self.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, content).expect("write");
        }

        /// Stages everything and commits; returns the new commit id.
        fn commit(&self, message: &str) -> String {
            self.git(&["add", "-A"]);
            self.git(&["commit", "-q", "--allow-empty", "-m", message]);
            self.git(&["rev-parse", "HEAD"])
        }

        fn open(&self) -> GitRepo {
            GitRepo::discover(self.path()).expect("discover").expect("a repository")
        }
    }

    fn everything(_: &str, _: bool) -> bool {
        true
    }

    fn read_all(repo: &GitRepo, commit: &str, root: &Path) -> (Vec<BaseFile>, Vec<Skipped>) {
        repo.read_files(commit, root, &everything).expect("read_files")
    }

    fn paths(files: &[BaseFile]) -> Vec<&str> {
        files.iter().map(|file| file.path.as_str()).collect()
    }

    fn text_of<'a>(files: &'a [BaseFile], path: &str) -> Option<&'a str> {
        files.iter().find(|file| file.path == path).map(|file| file.text.as_str())
    }

    /// Three commits on main, a branch `feature` at the second, an annotated tag `v1` at the first.
    fn history() -> (TestRepo, [String; 3]) {
        let repo = TestRepo::new();
        repo.write("convex/schema.ts", "// one\n");
        let c1 = repo.commit("one");
        repo.git(&["tag", "-a", "v1", "-m", "release one"]);
        repo.write("convex/schema.ts", "// two\n");
        let c2 = repo.commit("two");
        repo.git(&["branch", "feature"]);
        repo.write("convex/schema.ts", "// three\n");
        let c3 = repo.commit("three");
        (repo, [c1, c2, c3])
    }

    #[test]
    fn resolves_the_revisions_git_rev_parse_takes() {
        let (test, [c1, c2, c3]) = history();
        let repo = test.open();
        let short = &c2[..7];
        let cases = [
            ("HEAD", &c3),
            ("HEAD~1", &c2),
            ("HEAD~2", &c1),
            ("main", &c3),
            ("feature", &c2),
            ("feature^", &c1),
            ("v1", &c1),
            (short, &c2),
            (c3.as_str(), &c3),
        ];
        for (spec, expected) in cases {
            let base = repo.resolve(Some(spec)).expect(spec);
            assert_eq!(&base.commit, expected, "spec {spec}");
            assert_eq!(base.described_as, spec);
        }
    }

    #[test]
    fn unknown_or_non_commit_revisions_are_errors() {
        let (test, _) = history();
        let repo = test.open();
        match repo.resolve(Some("origin/mian")) {
            Err(err @ GitError::UnknownRef { .. }) => {
                let message = err.to_string();
                assert!(message.starts_with("unknown git revision `origin/mian`: "), "{message}");
                assert!(!message.contains('\n'), "{message}");
            }
            other => panic!("expected UnknownRef, got {:?}", other.map(|b| b.commit)),
        }
        match repo.resolve(Some("HEAD^{tree}")) {
            Err(GitError::UnknownRef { reason, .. }) => {
                assert!(reason.contains("not a commit"), "{reason}")
            }
            other => panic!("expected UnknownRef, got {:?}", other.map(|b| b.commit)),
        }
        assert!(matches!(repo.resolve(Some("  ")), Err(GitError::UnknownRef { .. })));
        assert!(matches!(repo.resolve(Some("HEAD~9")), Err(GitError::UnknownRef { .. })));
    }

    #[test]
    fn default_base_is_head_without_upstream() {
        let (test, [_, _, c3]) = history();
        let base = test.open().resolve(None).expect("resolve");
        assert_eq!(base.commit, c3);
        assert_eq!(base.described_as, "HEAD");
    }

    #[test]
    fn default_base_is_the_merge_base_with_the_upstream_branch() {
        let remote = TempDir::new().expect("tempdir");
        git_in(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
        let remote_url = remote.path().to_str().expect("utf-8 temp path");

        let local = TestRepo::new();
        local.write("convex/schema.ts", "// deployed\n");
        let pushed = local.commit("deployed");
        local.git(&["remote", "add", "origin", remote_url]);
        local.git(&["push", "-q", "-u", "origin", "main"]);
        local.write("convex/schema.ts", "// local work\n");
        let ahead = local.commit("local work");

        // Someone else moves the remote on; after a fetch, origin/main is neither HEAD nor the merge-base.
        let other = TempDir::new().expect("tempdir");
        git_in(other.path(), &["clone", "-q", remote_url, "."]);
        std::fs::write(other.path().join("other.txt"), "x").expect("write");
        git_in(other.path(), &["add", "-A"]);
        git_in(other.path(), &["commit", "-q", "-m", "other"]);
        git_in(other.path(), &["push", "-q", "origin", "main"]);
        local.git(&["fetch", "-q", "origin"]);
        let upstream = local.git(&["rev-parse", "origin/main"]);
        assert_ne!(upstream, pushed);

        let repo = local.open();
        let remote_branch = repo.resolve(Some("origin/main")).expect("remote branch");
        assert_eq!(remote_branch.commit, upstream);

        let base = repo.resolve(None).expect("resolve");
        assert_eq!(base.commit, pushed);
        assert_ne!(base.commit, ahead);
        assert_eq!(base.described_as, "merge-base of HEAD and origin/main");
    }

    #[test]
    fn default_base_follows_a_local_upstream_branch() {
        let (test, [_, _, c3]) = history();
        test.git(&["checkout", "-q", "-b", "topic"]);
        test.git(&["branch", "-q", "--set-upstream-to=feature"]);
        test.write("convex/schema.ts", "// topic\n");
        test.commit("topic");
        let base = test.open().resolve(None).expect("resolve");
        let feature = test.git(&["rev-parse", "feature"]);
        assert_eq!(base.commit, feature);
        assert_ne!(base.commit, c3);
        assert_eq!(base.described_as, "merge-base of HEAD and feature");
    }

    #[test]
    fn default_base_is_head_when_the_upstream_is_not_fetched() {
        let (test, [_, _, c3]) = history();
        test.git(&["config", "branch.main.remote", "origin"]);
        test.git(&["config", "branch.main.merge", "refs/heads/main"]);
        test.git(&["config", "remote.origin.url", "/nonexistent"]);
        test.git(&["config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"]);
        let base = test.open().resolve(None).expect("resolve");
        assert_eq!(base.commit, c3);
        assert_eq!(base.described_as, "HEAD (upstream origin/main not found)");
    }

    #[test]
    fn files_come_from_the_commit_not_the_working_tree() {
        let (test, [c1, _, _]) = history();
        test.write("convex/schema.ts", "// uncommitted edit\n");
        test.write("convex/new.ts", "// untracked\n");
        let repo = test.open();

        let head = repo.resolve(Some("HEAD")).expect("resolve").commit;
        let (files, skipped) = read_all(&repo, &head, test.path());
        assert_eq!(paths(&files), ["convex/schema.ts"]);
        assert_eq!(text_of(&files, "convex/schema.ts"), Some("// three\n"));
        assert!(skipped.is_empty(), "{skipped:?}");

        let (old, _) = read_all(&repo, &c1, test.path());
        assert_eq!(text_of(&old, "convex/schema.ts"), Some("// one\n"));
        let (by_tag, _) = read_all(&repo, "v1", test.path());
        assert_eq!(text_of(&by_tag, "convex/schema.ts"), Some("// one\n"));
    }

    #[test]
    fn reads_a_project_in_a_subfolder_also_through_a_symlinked_path() {
        let test = TestRepo::new();
        test.write("apps/web/convex/schema.ts", "// web schema\n");
        test.write("apps/web/convex/posts.ts", "// posts\n");
        test.write("apps/web/package.json", "{}\n");
        test.write("apps/other/convex/schema.ts", "// other\n");
        test.write("README.md", "root\n");
        let head = test.commit("monorepo");

        let project = test.path().join("apps/web");
        let repo = GitRepo::discover(&project).expect("discover").expect("repository");
        let (files, _) = read_all(&repo, &head, &project);
        assert_eq!(paths(&files), ["convex/posts.ts", "convex/schema.ts", "package.json"]);
        assert_eq!(text_of(&files, "convex/schema.ts"), Some("// web schema\n"));

        let links = TempDir::new().expect("tempdir");
        let link = links.path().join("web-link");
        std::os::unix::fs::symlink(&project, &link).expect("symlink");
        let via_link = GitRepo::discover(&link).expect("discover").expect("repository");
        let (linked_files, _) = read_all(&via_link, &head, &link);
        assert_eq!(linked_files, files);
    }

    #[test]
    fn want_prunes_directories_and_filters_files() {
        let test = TestRepo::new();
        test.write("convex/schema.ts", "// schema\n");
        test.write("convex/_generated/api.d.ts", "// generated\n");
        test.write("convex/notes.md", "notes\n");
        test.write("node_modules/convex/index.js", "// dependency\n");
        let head = test.commit("project");
        let repo = test.open();

        let asked = RefCell::new(Vec::new());
        let want = |path: &str, is_dir: bool| {
            asked.borrow_mut().push((path.to_string(), is_dir));
            let name = path.rsplit('/').next().unwrap_or(path);
            if is_dir {
                name != "node_modules" && name != "_generated"
            } else {
                name.ends_with(".ts")
            }
        };
        let (files, skipped) = repo.read_files(&head, test.path(), &want).expect("read_files");
        assert_eq!(paths(&files), ["convex/schema.ts"]);
        assert!(skipped.is_empty(), "{skipped:?}");

        let asked = asked.into_inner();
        assert!(asked.contains(&("node_modules".to_string(), true)));
        assert!(asked.contains(&("convex/_generated".to_string(), true)));
        assert!(asked.contains(&("convex/notes.md".to_string(), false)));
        assert!(
            !asked.iter().any(|(path, _)| path.starts_with("node_modules/") || path.starts_with("convex/_generated/")),
            "descended into a pruned directory: {asked:?}"
        );
    }

    #[test]
    fn large_blobs_symlinks_submodules_and_binary_files_are_skipped_and_reported() {
        let test = TestRepo::new();
        test.write("convex/schema.ts", "// schema\n");
        test.write("convex/huge.ts", vec![b'a'; 5 * 1024 * 1024]);
        test.write("convex/binary.ts", [0xff, 0xfe, 0x00, 0x01]);
        std::os::unix::fs::symlink("schema.ts", test.path().join("convex/link.ts")).expect("symlink");
        test.git(&["add", "-A"]);
        let gitlink = format!("160000,{},convex/vendor", "1".repeat(40));
        test.git(&["update-index", "--add", "--cacheinfo", &gitlink]);
        test.git(&["commit", "-q", "-m", "hostile"]);
        let repo = test.open();

        let (files, skipped) = read_all(&repo, "HEAD", test.path());
        // A link inside the repository is followed.
        assert_eq!(paths(&files), ["convex/binary.ts", "convex/link.ts", "convex/schema.ts"]);
        assert_eq!(text_of(&files, "convex/link.ts"), Some("// schema\n"));
        assert_eq!(files[0].invalid_utf8_at, Some(0), "decoded lossily, the bad byte named");
        let reason_of = |path: &str| {
            skipped
                .iter()
                .find(|skip| skip.path == path)
                .map(|skip| skip.reason.clone())
                .unwrap_or_else(|| panic!("{path} not reported in {skipped:?}"))
        };
        assert!(reason_of("convex/huge.ts").starts_with("too large (5242880 bytes"));
        assert!(reason_of("convex/vendor").contains("submodule"));
        assert_eq!(skipped.len(), 2, "{skipped:?}");
    }

    #[test]
    fn non_utf8_entry_names_are_skipped() {
        let test = TestRepo::new();
        test.write("convex/schema.ts", "// schema\n");
        let head = test.commit("base");
        let blob = test.git(&["rev-parse", "HEAD:convex/schema.ts"]);
        let mut listing = format!("100644 blob {blob}\tok.ts\n").into_bytes();
        listing.extend_from_slice(format!("100644 blob {blob}\t").as_bytes());
        listing.extend_from_slice(b"bad\xff.ts\n");
        let convex = git_with_stdin(test.path(), &["mktree"], Some(&listing));
        let root = git_with_stdin(test.path(), &["mktree"], Some(format!("040000 tree {convex}\tconvex\n").as_bytes()));
        let commit = test.git(&["commit-tree", &root, "-p", &head, "-m", "hostile names"]);

        let (files, skipped) = read_all(&test.open(), &commit, test.path());
        assert_eq!(paths(&files), ["convex/ok.ts"]);
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert!(skipped[0].path.starts_with("convex/bad"), "{skipped:?}");
        assert!(skipped[0].reason.contains("not a valid UTF-8 file name"));
    }

    #[test]
    fn a_project_folder_missing_at_the_base_reads_as_empty() {
        let test = TestRepo::new();
        test.write("README.md", "root\n");
        let head = test.commit("before the project existed");
        test.write("apps/new/convex/schema.ts", "// new\n");
        let project = test.path().join("apps/new");
        let repo = GitRepo::discover(&project).expect("discover").expect("repository");
        let (files, skipped) = read_all(&repo, &head, &project);
        assert!(files.is_empty(), "{files:?}");
        assert!(skipped.is_empty(), "{skipped:?}");
    }

    #[test]
    fn a_repository_without_commits_is_a_clear_error() {
        let test = TestRepo::new();
        test.write("convex/schema.ts", "// not committed\n");
        let repo = test.open();
        for spec in [None, Some("HEAD")] {
            match repo.resolve(spec) {
                Err(err @ GitError::NoCommits { .. }) => {
                    assert!(err.to_string().contains("has no commits yet"), "{err}")
                }
                other => panic!("expected NoCommits for {spec:?}, got {:?}", other.map(|b| b.commit)),
            }
        }
    }

    #[test]
    fn discover_outside_a_repository_is_none_and_a_missing_folder_is_an_error() {
        let plain = TempDir::new().expect("tempdir");
        assert!(GitRepo::discover(plain.path()).expect("discover").is_none());
        let missing = plain.path().join("does-not-exist");
        assert!(matches!(GitRepo::discover(&missing), Err(GitError::Folder { .. })));
    }

    #[test]
    fn works_in_a_linked_worktree() {
        let (test, [_, c2, _]) = history();
        let trees = TempDir::new().expect("tempdir");
        let worktree = trees.path().join("wt");
        let worktree_arg = worktree.to_str().expect("utf-8 temp path");
        test.git(&["worktree", "add", "-q", worktree_arg, "feature"]);
        std::fs::write(worktree.join("convex/schema.ts"), "// edited in worktree\n").expect("write");

        let repo = GitRepo::discover(&worktree).expect("discover").expect("repository");
        assert_ne!(repo.git_dir(), repo.common_dir());
        assert!(repo.git_dir().join("HEAD").is_file());
        assert!(repo.common_dir().join("refs").is_dir());
        let base = repo.resolve(None).expect("resolve");
        assert_eq!(base.commit, c2);
        let (files, _) = read_all(&repo, &base.commit, &worktree);
        assert_eq!(text_of(&files, "convex/schema.ts"), Some("// two\n"));
    }

    #[test]
    fn git_dir_is_the_dot_git_folder_and_outside_paths_are_rejected() {
        let (test, _) = history();
        let repo = test.open();
        fn shareable<T: Send + Sync>(_: &T) {}
        shareable(&repo);
        assert!(repo.git_dir().ends_with(".git"), "{}", repo.git_dir().display());
        assert!(repo.git_dir().join("HEAD").is_file());
        assert_eq!(repo.common_dir(), repo.git_dir());

        let elsewhere = TempDir::new().expect("tempdir");
        match repo.read_files("HEAD", elsewhere.path(), &everything) {
            Err(err @ GitError::OutsideWorkdir { .. }) => {
                assert!(err.to_string().contains("not inside"))
            }
            other => panic!("expected OutsideWorkdir, got {other:?}"),
        }
    }
}

//! Finding Convex projects on disk: the nearest one above a folder (up to the repository's top),
//! every one below a folder (a monorepo), and the repository's top level that paths in CI
//! reports are relative to.

use std::path::{Path, PathBuf};

/// How deep below a folder projects are looked for (`apps/web`, `packages/x/app`).
const MAX_DEPTH: usize = 5;

/// Whether `dir` is a Convex project root: it holds `convex.json` or a `convex/` folder.
pub fn is_project(dir: &Path) -> bool {
    dir.join("convex.json").is_file() || dir.join("convex").is_dir()
}

/// Convex project roots under `folder` (itself included): folders holding `convex.json` or
/// `convex/`. A root's own subfolders are not searched further; `node_modules`, hidden and build
/// folders are skipped. Sorted.
pub fn projects_under(folder: &Path) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    let mut stack = vec![(folder.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        if is_project(&dir) {
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

/// The nearest project root at or above `start`, not above the top of the repository `start` is
/// in (the folder holding `.git`); without a repository, up to the filesystem's root. `start`
/// should be absolute.
pub fn project_upward(start: &Path) -> Option<PathBuf> {
    for dir in start.ancestors() {
        if is_project(dir) {
            return Some(dir.to_path_buf());
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

/// The top level of the git working tree holding `path` (canonical), if any.
pub fn repository_top(path: &Path) -> Option<PathBuf> {
    super::git::GitRepo::discover(path).ok().flatten().map(|repo| repo.workdir().to_path_buf())
}

/// `path` relative to `from` (both absolute, canonical), `/`-separated, with `..` where `path` is
/// not below `from`; `.` for the same folder.
pub fn relative_to(path: &Path, from: &Path) -> String {
    let path: Vec<_> = path.components().collect();
    let from: Vec<_> = from.components().collect();
    let common = path.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), from.len() - common).collect();
    parts.extend(path[common..].iter().map(|c| c.as_os_str().to_string_lossy().to_string()));
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_monorepo_projects() {
        let dir = tempfile::tempdir().unwrap();
        for p in ["apps/web/convex", "packages/api/convex", "node_modules/x/convex", ".cache/convex", "apps/web/convex/nested/convex"] {
            std::fs::create_dir_all(dir.path().join(p)).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("tools/custom")).unwrap();
        std::fs::write(dir.path().join("tools/custom/convex.json"), "{}").unwrap();
        let roots: Vec<String> =
            projects_under(dir.path()).iter().map(|r| r.strip_prefix(dir.path()).unwrap().to_string_lossy().to_string()).collect();
        assert_eq!(roots, ["apps/web", "packages/api", "tools/custom"]);
    }

    #[test]
    fn upward_stops_at_the_repository_top() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("repo");
        std::fs::create_dir_all(top.join("apps/web/convex")).unwrap();
        std::fs::create_dir_all(top.join("apps/web/src/deep")).unwrap();
        std::fs::create_dir_all(top.join(".git")).unwrap();
        std::fs::create_dir_all(top.join("tools")).unwrap();
        // A project above the repository is not this repository's.
        std::fs::create_dir_all(dir.path().join("convex")).unwrap();
        assert_eq!(project_upward(&top.join("apps/web/src/deep")), Some(top.join("apps/web")));
        assert_eq!(project_upward(&top.join("apps/web")), Some(top.join("apps/web")));
        assert_eq!(project_upward(&top.join("tools")), None);
    }

    #[test]
    fn relative_paths() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(relative_to(&p("/a/b/c"), &p("/a")), "b/c");
        assert_eq!(relative_to(&p("/a"), &p("/a")), ".");
        assert_eq!(relative_to(&p("/a/b"), &p("/a/c/d")), "../../b");
    }
}

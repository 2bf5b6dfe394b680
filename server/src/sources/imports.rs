//! The files a project imports from outside its functions folder, the way monorepos write it:
//! a tsconfig `paths` alias or `baseUrl`, a workspace package (package.json `workspaces`,
//! pnpm-workspace.yaml), a relative path that leaves the folder. The loader reads them, so that a
//! schema whose fields live in `packages/shared` is checked like one whose fields live next to
//! it. Reading stays inside the workspace (the repository, or the folder holding the workspace
//! config), never in `node_modules`, and is bounded.

use std::path::{Path, PathBuf};

use crate::project::modules::{join_relative, normalize, read_tsconfig, with_extensions, ModuleMap, Package};
use crate::project::SourceFile;
use crate::sources::disk;

/// At most this many files are read from outside the functions folder.
const MAX_IMPORTED: usize = 256;

/// The module map of the project at `root`: its tsconfig (`tsconfig.json` at the root, else the
/// functions folder's, following relative `extends`), and the workspace's packages.
pub fn module_map(root: &Path, functions_dir: &str) -> ModuleMap {
    let mut map = ModuleMap::default();
    let boundary = boundary(root);
    for start in ["tsconfig.json".to_string(), format!("{functions_dir}/tsconfig.json")] {
        let mut next = Some(start);
        let mut seen = 0;
        while let Some(path) = next.take() {
            seen += 1;
            if seen > 8 {
                break;
            }
            let Ok(Some(text)) = read_inside(&boundary, root, &path) else { break };
            let dir = path.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
            let Some((base_url, paths, extends)) = read_tsconfig(&text, &dir) else { break };
            if map.base_url.is_none() {
                map.base_url = base_url;
            }
            for (pattern, targets) in paths {
                if !map.paths.iter().any(|(p, _)| *p == pattern) {
                    map.paths.push((pattern, targets));
                }
            }
            next = extends;
        }
        if !map.paths.is_empty() || map.base_url.is_some() {
            break;
        }
    }
    map.packages = workspace_packages(root);
    map
}

/// The packages of the workspace the project is in: the nearest folder above (or at) `root`
/// with a package.json `workspaces` or a pnpm-workspace.yaml, its patterns (`packages/*`, a
/// folder) expanded one level.
fn workspace_packages(root: &Path) -> Vec<Package> {
    let Some((top, patterns)) = workspace(root) else { return Vec::new() };
    let mut packages = Vec::new();
    for pattern in patterns {
        let pattern = pattern.trim().trim_start_matches("./").trim_end_matches('/');
        if pattern.starts_with('!') {
            continue;
        }
        let dirs: Vec<PathBuf> = match pattern.strip_suffix("/*").or_else(|| pattern.strip_suffix("/**")) {
            Some(parent) => std::fs::read_dir(top.join(parent))
                .map(|entries| entries.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())).map(|e| e.path()).collect())
                .unwrap_or_default(),
            None => vec![top.join(pattern)],
        };
        for dir in dirs.into_iter().take(512) {
            let Ok(Some(text)) = disk::read_within(&top, &dir.join("package.json")) else { continue };
            let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
            let Some(name) = json.get("name").and_then(|n| n.as_str()) else { continue };
            let entry = ["types", "module", "main"]
                .iter()
                .find_map(|k| json.get(k).and_then(|v| v.as_str()))
                .map(|e| e.trim_start_matches("./").to_string());
            if let Some(rel) = relative(root, &dir) {
                packages.push(Package { name: name.to_string(), dir: rel, entry });
            }
        }
    }
    packages
}

/// The workspace folder and its package patterns.
fn workspace(root: &Path) -> Option<(PathBuf, Vec<String>)> {
    let root = root.canonicalize().ok()?;
    for dir in root.ancestors().take(8) {
        if let Ok(Some(text)) = disk::read_optional(dir, "pnpm-workspace.yaml") {
            let patterns = text
                .lines()
                .map(str::trim)
                .filter_map(|l| l.strip_prefix("- "))
                .map(|p| p.trim().trim_matches(['"', '\'']).to_string())
                .collect();
            return Some((dir.to_path_buf(), patterns));
        }
        if let Ok(Some(text)) = disk::read_optional(dir, "package.json") {
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
                let list = json.get("workspaces").and_then(|w| w.as_array().or_else(|| w.get("packages").and_then(|p| p.as_array())));
                if let Some(list) = list {
                    return Some((dir.to_path_buf(), list.iter().filter_map(|p| p.as_str().map(str::to_string)).collect()));
                }
            }
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    None
}

/// `target` relative to `root` (`../packages/shared`); `None` when they share no folder.
fn relative(root: &Path, target: &Path) -> Option<String> {
    let root = root.canonicalize().ok()?;
    let target = target.canonicalize().ok()?;
    let common = root.ancestors().find(|a| target.starts_with(a))?;
    let ups = root.strip_prefix(common).ok()?.components().count();
    let down = target.strip_prefix(common).ok()?;
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), ups).collect();
    parts.extend(down.components().map(|c| c.as_os_str().to_string_lossy().to_string()));
    Some(parts.join("/"))
}

/// The folder reading may not leave: the workspace's, else the repository's, else the project's.
fn boundary(root: &Path) -> PathBuf {
    if let Some((top, _)) = workspace(root) {
        return top;
    }
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    root.ancestors().take(16).find(|d| d.join(".git").exists()).unwrap_or(&root).to_path_buf()
}

/// A file at `rel` (from the project root, possibly `../`) inside the boundary, not through
/// `node_modules`: its text. `Err` when a symbolic link on the way leads outside the boundary
/// (nothing of it is read).
fn read_inside(boundary: &Path, root: &Path, rel: &str) -> Result<Option<String>, String> {
    let rel = normalize(rel);
    if rel.split('/').any(|c| c == "node_modules") {
        return Ok(None);
    }
    disk::read_within(boundary, &root.join(&rel)).map_err(|e| e.to_string())
}

/// Reads the first of some candidate paths that exists: its path and text.
pub type ReadFirst<'a> = dyn FnMut(&[String]) -> Option<(String, String)> + 'a;

/// The files `files` import that are not among them, and what those import in turn (bounded),
/// each read by `read` (candidate paths in order → the first file found among them), parsed once.
pub fn imported(
    files: &[SourceFile],
    map: &ModuleMap,
    known: Option<&crate::project::Project>,
    read: &mut ReadFirst<'_>,
) -> Vec<SourceFile> {
    let mut seen: std::collections::HashSet<String> = files.iter().map(|f| f.path.clone()).collect();
    let mut out: Vec<SourceFile> = Vec::new();
    // Breadth first: each round reads what the files found last round import, then parses them
    // together (on every core, sharing `known`'s model of a file whose text is the same).
    let mut frontier: Vec<SourceFile> = files.to_vec();
    while !frontier.is_empty() && out.len() < MAX_IMPORTED {
        let mut texts: Vec<(String, String)> = Vec::new();
        for file in &frontier {
            let model = &file.model;
            let mut specs: Vec<&str> = model.imports.values().map(|i| i.module.as_str()).collect();
            specs.extend(model.exports.iter().filter_map(|e| match e {
                crate::model::Export::From { module, .. } | crate::model::Export::All { module } => Some(module.as_str()),
                _ => None,
            }));
            specs.sort_unstable();
            specs.dedup();
            for spec in specs {
                if out.len() + texts.len() >= MAX_IMPORTED {
                    break;
                }
                let bases = if spec.starts_with("./") || spec.starts_with("../") {
                    vec![join_relative(&file.path, spec)]
                } else {
                    map.candidates(spec)
                };
                let candidates: Vec<String> = bases.iter().flat_map(|b| with_extensions(b)).collect();
                if candidates.is_empty() || candidates.iter().any(|c| seen.contains(c)) {
                    continue;
                }
                let source_like = |c: &String| {
                    crate::syntax::Language::from_path(c).is_some() && !c.split('/').any(|p| p == "node_modules" || p == "_generated")
                };
                let wanted: Vec<String> = candidates.into_iter().filter(source_like).collect();
                if let Some((path, text)) = read(&wanted) {
                    seen.insert(path.clone());
                    texts.push((path, text));
                }
            }
        }
        frontier = super::model_files_reusing(texts, known);
        out.extend(frontier.iter().cloned());
    }
    out
}

/// [`imported`] from the working tree on disk, and the files it would not read: those a
/// symbolic link leads to outside the workspace.
pub fn imported_from_disk(
    root: &Path,
    files: &[SourceFile],
    map: &ModuleMap,
    known: Option<&crate::project::Project>,
) -> (Vec<SourceFile>, Vec<crate::project::Unread>) {
    let mut refused = Vec::new();
    let boundary = boundary(root);
    let found = imported(files, map, known, &mut |candidates| {
        candidates.iter().find_map(|c| match read_inside(&boundary, root, c) {
            Ok(text) => text.map(|text| (c.clone(), text)),
            Err(reason) => {
                refused.push(crate::project::Unread {
                    path: normalize(c),
                    problem: crate::project::ReadProblem::Unreadable { reason: reason.clone() },
                });
                None
            }
        })
    });
    (found, refused)
}

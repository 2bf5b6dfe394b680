//! Migrations that ran and were deleted: the normal end of a migration. For each transition whose
//! migration the base lacks (a field made required or narrowed, a field removed), the base's
//! first-parent history is walked back, bounded, for the newest commit whose functions held a
//! migration of that field. A commit whose functions folder is the tree already seen is skipped
//! without reading it; one whose files never name the field is not linked; a file already parsed
//! (same path and text) is not parsed again.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::analysis::backfill::Goal;
use crate::analysis::{Historic, Revision, Workspace};
use crate::project::{Layout, Project, SourceFile};
use crate::sources::{git, SourceError};

/// How far back along the base's first-parent history deleted migrations are looked for, unless
/// the config's `historyDepth` says otherwise.
pub const DEFAULT_DEPTH: usize = 300;

/// The deleted migrations that answer `questions` (`(table, field, goal)`), newest first for each,
/// and how many commits were looked at. Nothing to ask, no git base or no repository: nothing.
pub fn deleted_migrations(
    root: &Path,
    ws: &Workspace,
    questions: &[(String, String, Goal)],
    depth: usize,
) -> Result<(Vec<Historic>, usize), SourceError> {
    if questions.is_empty() || depth == 0 {
        return Ok((Vec::new(), 0));
    }
    let Some(commit) = ws.base.commit() else { return Ok((Vec::new(), 0)) };
    let Some(repo) = git::GitRepo::discover(root)? else { return Ok((Vec::new(), 0)) };
    let layout: Layout = ws.base().map(|b| b.layout.clone()).unwrap_or_default();
    let dir = layout.functions_dir.clone();
    let history = repo.first_parents(commit, depth + 1)?;
    let mut open: Vec<&(String, String, Goal)> = questions.iter().collect();
    let mut found = Vec::new();
    let mut parsed: HashMap<(String, Arc<str>), SourceFile> = HashMap::new();
    let mut last_tree: Option<String> = repo.folder_tree(commit, root, &dir)?;
    let mut walked = 0;
    for (back, id) in history.iter().enumerate().skip(1) {
        if open.is_empty() {
            break;
        }
        walked = back;
        let tree = repo.folder_tree(id, root, &dir)?;
        if tree.is_none() || tree == last_tree {
            last_tree = tree;
            continue;
        }
        last_tree = tree;
        let (files, _) = repo.read_files(id, root, &|path, is_dir| {
            let inside = path == dir || path.starts_with(&format!("{dir}/"));
            if is_dir {
                let name = path.rsplit('/').next().unwrap_or(path);
                (inside || dir.starts_with(&format!("{path}/"))) && name != "node_modules" && name != "_generated"
            } else {
                inside && layout.is_source(path)
            }
        })?;
        // Link only when some file names a field still asked about.
        if !open.iter().any(|(_, field, _)| files.iter().any(|f| f.text.contains(field.as_str()))) {
            continue;
        }
        let sources: Vec<SourceFile> = files
            .into_iter()
            .map(|f| {
                let text: Arc<str> = Arc::from(f.text);
                parsed.entry((f.path.clone(), text.clone())).or_insert_with(|| SourceFile::new(f.path, text)).clone()
            })
            .collect();
        let revision = Revision::new(Project::build(layout.clone(), sources));
        open.retain(|(table, field, goal)| {
            let Some(migration) = revision.backfills(table, field, *goal).into_iter().next() else { return true };
            found.push(Historic {
                table: table.clone(),
                field: field.clone(),
                goal: *goal,
                reference: migration.reference.clone(),
                commit: id.clone(),
                commits_back: back,
            });
            false
        });
        // Files seen long ago are not kept forever: the cache holds one project's worth or so.
        if parsed.len() > 4096 {
            parsed.clear();
        }
    }
    Ok((found, walked))
}

//! Writing a fix into the project, all or nothing: `plan --apply` and `check --fix`.
//!
//! Every path must stay inside the project (relative, no `..`, no symbolic link on the way); every
//! file must still hold the text the fix was computed from (a file changed meanwhile is refused);
//! files that are not UTF-8 are never rewritten. New texts go to temporary files next to their
//! targets first (with the target's permissions, synced to disk); only when all are written are
//! the originals, checked once more, swapped for them, and a failure on the way puts back what was
//! swapped. Temporary files a crashed run left behind are removed on the next.

use std::path::{Component, Path, PathBuf};

use crate::fixes::Fix;
use crate::sources::git::MAX_FILE_SIZE;

/// The marker in the names of the temporary files this writes.
const MARK: &str = ".convex-migrate-";

/// One file's change, ready to swap in.
struct Planned {
    rel: String,
    path: PathBuf,
    /// What the file holds now (`None`: it does not exist).
    before: Option<String>,
    /// What it will hold (`None`: it is deleted).
    after: Option<String>,
    /// The new text, written beside the target.
    temp: Option<PathBuf>,
    /// Where the original was moved while swapping.
    backup: Option<PathBuf>,
}

/// Applies `fix` under `root`. `expected(path)` is the text each file had when the fix was
/// computed (`None`: it did not exist). Returns the paths changed; on an error nothing is changed.
pub fn apply_fix(root: &Path, fix: &Fix, expected: &dyn Fn(&str) -> Option<String>) -> Result<Vec<String>, String> {
    let root = root.canonicalize().map_err(|e| format!("cannot read the project folder {}: {e}", root.display()))?;
    let mut planned: Vec<Planned> = Vec::new();
    for file in &fix.edits {
        let path = inside(&root, &file.path)?;
        if planned.iter().any(|p| p.rel == file.path) {
            return Err(format!("the fix edits {} twice", file.path));
        }
        let before = read_text(&path, &file.path)?;
        let then = if file.create { None } else { expected(&file.path) };
        if before != then {
            return Err(match (&before, file.create) {
                (Some(_), true) => format!("{} already exists; not overwriting it", file.path),
                _ => format!("{} changed since it was read; run the plan again", file.path),
            });
        }
        let after = if file.delete { None } else { Some(crate::fixes::apply(before.as_deref().unwrap_or(""), &file.edits)) };
        planned.push(Planned { rel: file.path.clone(), path, before, after, temp: None, backup: None });
    }
    for dir in planned.iter().filter_map(|p| p.path.parent()) {
        remove_stale_temps(dir);
    }
    if let Err(e) = write_temps(&mut planned) {
        discard(&planned);
        return Err(e);
    }
    if let Err(e) = swap(&mut planned) {
        roll_back(&planned);
        discard(&planned);
        return Err(e);
    }
    for p in &planned {
        if let Some(backup) = &p.backup {
            let _ = std::fs::remove_file(backup);
        }
        if let Some(dir) = p.path.parent() {
            sync_dir(dir);
        }
    }
    Ok(planned.iter().filter(|p| p.before != p.after).map(|p| p.rel.clone()).collect())
}

/// `rel` under `root`, refused when it would leave the project: absolute, `..`, or through a
/// symbolic link (the file itself or a folder on the way).
fn inside(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let relative = Path::new(rel);
    if relative.as_os_str().is_empty() || !relative.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(format!("{rel}: not a path inside the project; not writing it"));
    }
    let mut at = root.to_path_buf();
    for component in relative.components() {
        at.push(component);
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(format!("{rel}: {} is a symbolic link; not writing through it", at.display()));
            }
            _ => {}
        }
    }
    Ok(at)
}

/// The file's text (`None`: it does not exist); an error for what must not be rewritten.
fn read_text(path: &Path, rel: &str) -> Result<Option<String>, String> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => return Err(format!("{rel} is not a regular file; not writing it")),
        Ok(meta) if meta.len() > MAX_FILE_SIZE => {
            return Err(format!("{rel} is too large ({} bytes; the limit is {MAX_FILE_SIZE}); not editing it", meta.len()))
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {rel}: {e}")),
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {rel}: {e}"))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| format!("{rel} is not valid UTF-8 (at byte {}); not rewriting it, edit it by hand", e.utf8_error().valid_up_to()))
}

fn temp_name(path: &Path, kind: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    path.with_file_name(format!(".{name}{MARK}{}.{kind}", std::process::id()))
}

/// Writes each new text beside its target, with the target's permissions, synced.
fn write_temps(planned: &mut [Planned]) -> Result<(), String> {
    use std::io::Write as _;
    for p in planned.iter_mut() {
        let Some(text) = &p.after else { continue };
        if let Some(dir) = p.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the folder of {}: {e}", p.rel))?;
        }
        let temp = temp_name(&p.path, "tmp");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| format!("cannot write beside {}: {e}", p.rel))?;
        p.temp = Some(temp.clone());
        file.write_all(text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", p.rel))?;
        if let Ok(meta) = std::fs::metadata(&p.path) {
            let _ = file.set_permissions(meta.permissions());
        }
        file.sync_all().map_err(|e| format!("cannot write {}: {e}", p.rel))?;
    }
    Ok(())
}

/// Moves each original aside (after checking it once more) and its new text into place.
fn swap(planned: &mut [Planned]) -> Result<(), String> {
    for p in planned.iter_mut() {
        if read_text(&p.path, &p.rel)? != p.before {
            return Err(format!("{} changed while the fix was being written; nothing was changed", p.rel));
        }
        if p.before.is_some() {
            let backup = temp_name(&p.path, "bak");
            std::fs::rename(&p.path, &backup).map_err(|e| format!("cannot replace {}: {e}", p.rel))?;
            p.backup = Some(backup);
        }
        if let Some(temp) = p.temp.take() {
            if let Err(e) = std::fs::rename(&temp, &p.path) {
                p.temp = Some(temp);
                return Err(format!("cannot replace {}: {e}", p.rel));
            }
        }
    }
    Ok(())
}

/// Puts back every original moved aside, removing the new files that took their place.
fn roll_back(planned: &[Planned]) {
    for p in planned {
        match &p.backup {
            Some(backup) => {
                let _ = std::fs::rename(backup, &p.path);
            }
            None if p.before.is_none() && p.temp.is_none() && p.after.is_some() => {
                // A new file already moved into place.
                let _ = std::fs::remove_file(&p.path);
            }
            None => {}
        }
    }
}

fn discard(planned: &[Planned]) {
    for temp in planned.iter().filter_map(|p| p.temp.as_ref()) {
        let _ = std::fs::remove_file(temp);
    }
}

/// Removes the temporary files of runs that did not finish (any process): `.NAME.convex-migrate-PID.tmp`.
fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let ours = name.starts_with('.') && name.contains(MARK) && (name.ends_with(".tmp") || name.ends_with(".bak"));
        let pid_alive = name
            .rsplit_once(MARK)
            .and_then(|(_, rest)| rest.split('.').next()?.parse::<u32>().ok())
            .is_some_and(|pid| pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists());
        if ours && !pid_alive && entry.file_type().is_ok_and(|t| t.is_file()) {
            if name.ends_with(".bak") {
                // An original a crashed run moved aside: put it back unless the file is there.
                let target = dir.join(name.trim_start_matches('.').split(MARK).next().unwrap_or(""));
                if !target.exists() {
                    let _ = std::fs::rename(entry.path(), target);
                    continue;
                }
            }
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixes::{FileEdit, FixKind, TextEdit};
    use crate::line_index::TextRange;

    fn fix(edits: Vec<FileEdit>) -> Fix {
        Fix { title: "t".into(), kind: FixKind::Refactor, preferred: false, edits }
    }

    fn insert(path: &str, text: &str) -> FileEdit {
        FileEdit::edit(path, vec![TextEdit { range: TextRange::empty(0), new_text: text.into() }])
    }

    #[test]
    fn all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.ts"), "a\n").unwrap();
        std::fs::write(root.join("b.ts"), "b\n").unwrap();
        let expected = |p: &str| std::fs::read_to_string(root.join(p)).ok();
        // b.ts changed since: nothing is written, a.ts included.
        let stale = |p: &str| if p == "b.ts" { Some("old\n".to_string()) } else { expected(p) };
        let err = apply_fix(root, &fix(vec![insert("a.ts", "1"), insert("b.ts", "2")]), &stale).unwrap_err();
        assert!(err.contains("b.ts changed"), "{err}");
        assert_eq!(std::fs::read_to_string(root.join("a.ts")).unwrap(), "a\n");
        let changed =
            apply_fix(root, &fix(vec![insert("a.ts", "1"), FileEdit::delete("b.ts"), FileEdit::create("c/d.ts", "d".into())]), &expected)
                .unwrap();
        assert_eq!(changed, ["a.ts", "b.ts", "c/d.ts"]);
        assert_eq!(std::fs::read_to_string(root.join("a.ts")).unwrap(), "1a\n");
        assert!(!root.join("b.ts").exists());
        assert_eq!(std::fs::read_to_string(root.join("c/d.ts")).unwrap(), "d");
        let leftovers: Vec<_> =
            std::fs::read_dir(root).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().contains(MARK)).collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn stays_inside_the_project() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::os::unix::fs::symlink(outside.path(), root.join("link")).unwrap();
        std::fs::write(root.join("bin.ts"), b"\xff\xfe").unwrap();
        let none = |_: &str| None;
        for (path, says) in [("../x.ts", "not a path inside"), ("/etc/x", "not a path inside"), ("link/x.ts", "symbolic link")] {
            let err = apply_fix(root, &fix(vec![FileEdit::create(path, "x".into())]), &none).unwrap_err();
            assert!(err.contains(says), "{path}: {err}");
        }
        assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
        let err = apply_fix(root, &fix(vec![insert("bin.ts", "x")]), &|_| Some(String::new())).unwrap_err();
        assert!(err.contains("not valid UTF-8"), "{err}");
        let err = apply_fix(root, &fix(vec![FileEdit::create("bin.ts", "x".into())]), &none).unwrap_err();
        assert!(err.contains("not valid UTF-8") || err.contains("already exists"), "{err}");
    }

    #[test]
    fn keeps_permissions_and_cleans_stale_temps() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("run.sh"), "x\n").unwrap();
        std::fs::set_permissions(root.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(root.join(format!(".run.sh{MARK}999999999.tmp")), "stale").unwrap();
        let expected = |p: &str| std::fs::read_to_string(root.join(p)).ok();
        apply_fix(root, &fix(vec![insert("run.sh", "#")]), &expected).unwrap();
        let mode = std::fs::metadata(root.join("run.sh")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755);
        assert!(!root.join(format!(".run.sh{MARK}999999999.tmp")).exists());
    }
}

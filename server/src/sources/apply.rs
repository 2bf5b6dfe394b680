//! Writing a fix into the project, all or nothing: `plan --apply` and `check --fix`.
//!
//! Every path must stay inside the project: relative, no `..`, and a symbolic link on the way is
//! followed only when it leads to a place inside the project (the file it leads to is written;
//! the link stays). Every file must still hold the text the fix was computed from (a file changed
//! meanwhile is refused); files that are not UTF-8 are never rewritten.
//!
//! The protocol, so that a run killed at any moment or racing another writer loses nothing:
//! 1. a journal (`.convex-migrate-apply-PID.journal` at the project root, synced) names every
//!    target, its temporary file and where its original will be moved;
//! 2. the new texts go to temporary files beside their targets (the target's permissions,
//!    synced);
//! 3. each new file swaps names with its original atomically (Linux `renameat2`
//!    `RENAME_EXCHANGE`: the target is never missing), and what was swapped out is checked
//!    against the text the fix was computed from; elsewhere the original is moved aside (a
//!    rename: from then on nobody can open it by its name), checked, and the new file linked into
//!    its place without replacing anything (a file someone created there meanwhile stays);
//! 4. the originals moved aside are checked once more (a writer that held one open), the journal
//!    is marked committed, and they are removed.
//!
//! A failure on the way puts back what was swapped. A run that died leaves its journal: the next
//! run (or the next `check`, `plan`, `verify`) rolls it back — or, once committed, finishes
//! removing what it moved aside — and removes its temporary files.

use std::path::{Component, Path, PathBuf};

use crate::fixes::Fix;
use crate::sources::disk::{resolve_within, LEADS_OUTSIDE};
use crate::sources::git::MAX_FILE_SIZE;

/// The marker in the names of the temporary files this writes.
const MARK: &str = ".convex-migrate-";
/// The journal's name: `.convex-migrate-apply-PID.journal` at the project root.
const JOURNAL: &str = ".convex-migrate-apply-";

/// One file's change, ready to swap in.
struct Planned {
    rel: String,
    /// The file written: inside the project, every symbolic link resolved.
    path: PathBuf,
    /// What the file holds now (`None`: it does not exist).
    before: Option<String>,
    /// What it will hold (`None`: it is deleted).
    after: Option<String>,
    /// The new text, written beside the target.
    temp: PathBuf,
    /// Where the original is moved while swapping.
    backup: PathBuf,
    /// Whether the original has been moved aside.
    moved: bool,
    /// Whether the new text is in place.
    placed: bool,
}

/// Applies `fix` under `root`. `expected(path)` is the text each file had when the fix was
/// computed (`None`: it did not exist). Returns the paths changed; on an error nothing is changed.
pub fn apply_fix(root: &Path, fix: &Fix, expected: &dyn Fn(&str) -> Option<String>) -> Result<Vec<String>, String> {
    let root = root.canonicalize().map_err(|e| format!("cannot read the project folder {}: {e}", root.display()))?;
    recover(&root);
    let mut planned: Vec<Planned> = Vec::new();
    for file in &fix.edits {
        let path = inside(&root, &file.path)?;
        if planned.iter().any(|p| p.rel == file.path || p.path == path) {
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
        if before == after {
            continue;
        }
        let (temp, backup) = (temp_name(&path, "tmp"), temp_name(&path, "bak"));
        planned.push(Planned { rel: file.path.clone(), path, before, after, temp, backup, moved: false, placed: false });
    }
    for dir in planned.iter().filter_map(|p| p.path.parent()) {
        remove_stale_temps(dir);
    }
    let journal = journal_path(&root, std::process::id());
    write_journal(&journal, &planned, false)?;
    let result = write_temps(&mut planned).and_then(|()| swap(&mut planned)).and_then(|()| recheck(&planned));
    if let Err(e) = result {
        roll_back(&mut planned);
        discard(&planned);
        let _ = std::fs::remove_file(&journal);
        sync_dir(&root);
        return Err(e);
    }
    // The swaps on disk before the journal says they are done.
    for dir in folders(&planned) {
        sync_dir(&dir);
    }
    // Committed: from here on a crash finishes the change instead of undoing it.
    if let Err(e) = write_journal(&journal, &planned, true) {
        roll_back(&mut planned);
        discard(&planned);
        let _ = std::fs::remove_file(&journal);
        return Err(e);
    }
    for p in planned.iter().filter(|p| p.moved) {
        let _ = std::fs::remove_file(&p.backup);
    }
    for dir in folders(&planned) {
        sync_dir(&dir);
    }
    let _ = std::fs::remove_file(&journal);
    sync_dir(&root);
    Ok(planned.iter().map(|p| p.rel.clone()).collect())
}

/// Where a fix may write `rel` under `root`: the file itself, every symbolic link resolved, or
/// why not (absolute, `..`, a link on the way that leads outside the project). The language
/// server checks the workspace edits it computes with it.
pub fn target(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let root = root.canonicalize().map_err(|e| format!("cannot read the project folder {}: {e}", root.display()))?;
    inside(&root, rel)
}

/// `rel` under `root` (canonical), refused when it would leave the project: absolute, `..`, or a
/// symbolic link on the way (the file itself or a folder) that leads outside. Links that stay
/// inside are followed: the path returned has none.
fn inside(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let relative = Path::new(rel);
    if relative.as_os_str().is_empty() || !relative.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(format!("{rel}: not a path inside the project; not writing it"));
    }
    let mut at = root.to_path_buf();
    for component in relative.components() {
        at.push(component);
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => match resolve_within(root, &at) {
                Ok(Some(real)) => at = real,
                Ok(None) => return Err(format!("{rel}: {} is a dangling symbolic link; not writing through it", at.display())),
                Err(_) => return Err(format!("{rel}: {LEADS_OUTSIDE}; not writing through it")),
            },
            _ => {}
        }
    }
    if !at.starts_with(root) {
        return Err(format!("{rel}: not a path inside the project; not writing it"));
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

fn journal_path(root: &Path, pid: u32) -> PathBuf {
    root.join(format!("{JOURNAL}{pid}.journal"))
}

/// FNV-1a: enough to recognise the text this run wrote.
fn fingerprint(text: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}-{}", text.len())
}

/// Writes the journal (through a temporary file, synced): every target, its temporary file,
/// where its original goes, and a fingerprint of the new text.
fn write_journal(journal: &Path, planned: &[Planned], committed: bool) -> Result<(), String> {
    use std::io::Write as _;
    let entries: Vec<serde_json::Value> = planned
        .iter()
        .map(|p| {
            serde_json::json!({
                "target": p.path.to_string_lossy(),
                "temp": p.temp.to_string_lossy(),
                "backup": p.backup.to_string_lossy(),
                "existed": p.before.is_some(),
                "after": p.after.as_ref().map(|t| fingerprint(t.as_bytes())),
            })
        })
        .collect();
    let text = serde_json::json!({ "committed": committed, "entries": entries }).to_string();
    let temp = journal.with_extension("journal-tmp");
    let written = (|| {
        let _ = std::fs::remove_file(&temp);
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, journal)
    })();
    if let Some(dir) = journal.parent() {
        sync_dir(dir);
    }
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot write the journal {}: {e}", journal.display())
    })
}

/// Writes each new text beside its target, with the target's permissions, synced.
fn write_temps(planned: &mut [Planned]) -> Result<(), String> {
    use std::io::Write as _;
    for p in planned.iter_mut() {
        let Some(text) = &p.after else { continue };
        if let Some(dir) = p.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the folder of {}: {e}", p.rel))?;
        }
        let _ = std::fs::remove_file(&p.temp); // Ours by name: left by a run with this pid that died.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p.temp)
            .map_err(|e| format!("cannot write beside {}: {e}", p.rel))?;
        file.write_all(text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", p.rel))?;
        if let Ok(meta) = std::fs::metadata(&p.path) {
            let _ = file.set_permissions(meta.permissions());
        }
        file.sync_all().map_err(|e| format!("cannot write {}: {e}", p.rel))?;
    }
    for dir in folders(planned) {
        sync_dir(&dir);
    }
    Ok(())
}

/// The folders of the planned files, each once.
fn folders(planned: &[Planned]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = planned.iter().filter_map(|p| p.path.parent().map(Path::to_path_buf)).collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

/// For each file: the new text put in place of the original, the original checked. Where the
/// system can swap two names atomically (Linux's `renameat2(RENAME_EXCHANGE)`), the file is never
/// missing, not even for a moment, and what was swapped out (the original, or a file a writer
/// renamed there meanwhile) is kept aside and checked. Elsewhere the original is moved aside,
/// checked, and the new file linked into its place without replacing anything.
fn swap(planned: &mut [Planned]) -> Result<(), String> {
    let changed = |rel: &str| format!("{rel} changed while the fix was being written; nothing was changed");
    for p in planned.iter_mut() {
        if let (Some(before), Some(_)) = (&p.before, &p.after) {
            let _ = std::fs::remove_file(&p.backup);
            if exchange(&p.temp, &p.path).is_ok() {
                p.placed = true;
                // What was at the target now bears the temporary name: keep it as the backup.
                if let Err(e) = std::fs::rename(&p.temp, &p.backup) {
                    // Still ours to undo: swap back.
                    let _ = exchange(&p.temp, &p.path);
                    p.placed = false;
                    return Err(format!("cannot replace {}: {e}", p.rel));
                }
                p.moved = true;
                if std::fs::read(&p.backup).ok().as_deref() != Some(before.as_bytes()) {
                    return Err(changed(&p.rel));
                }
                continue;
            }
        }
        if let Some(before) = &p.before {
            let _ = std::fs::remove_file(&p.backup);
            std::fs::rename(&p.path, &p.backup).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => changed(&p.rel),
                _ => format!("cannot replace {}: {e}", p.rel),
            })?;
            p.moved = true;
            // Nobody can open the original by its name now: what it holds is final.
            if std::fs::read(&p.backup).ok().as_deref() != Some(before.as_bytes()) {
                return Err(changed(&p.rel));
            }
        }
        if p.after.is_some() {
            // A link does not replace: a file someone created here meanwhile stays theirs.
            link_or_rename(&p.temp, &p.path).map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists if p.before.is_none() => format!("{} already exists; not overwriting it", p.rel),
                std::io::ErrorKind::AlreadyExists => changed(&p.rel),
                _ => format!("cannot replace {}: {e}", p.rel),
            })?;
            p.placed = true;
            let _ = std::fs::remove_file(&p.temp);
        }
    }
    Ok(())
}

/// Swaps the files at `a` and `b` atomically (both must exist).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt as _;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: two valid NUL-terminated paths; the call reads nothing else.
    let r = unsafe { libc::syscall(libc::SYS_renameat2, libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Puts `from` at `to` without replacing a file there: a hard link (then `from` is removed by the
/// caller), or, on a file system without hard links, a rename.
fn link_or_rename(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(from, to) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists && std::fs::symlink_metadata(to).is_err() => std::fs::rename(from, to),
        other => other,
    }
}

/// The originals once more: a writer that held one open may have written to it after it was
/// moved aside.
fn recheck(planned: &[Planned]) -> Result<(), String> {
    for p in planned.iter().filter(|p| p.moved) {
        if std::fs::read(&p.backup).ok().as_deref() != p.before.as_deref().map(str::as_bytes) {
            return Err(format!("{} changed while the fix was being written; nothing was changed", p.rel));
        }
    }
    Ok(())
}

/// Puts back every original moved aside, removing the new texts that took their place (only
/// where the file still holds this run's text: what another writer put there stays).
fn roll_back(planned: &mut [Planned]) {
    for p in planned.iter_mut().rev() {
        let ours = p.after.as_deref().map(str::as_bytes);
        match (p.placed, p.moved) {
            (true, true) => restore(&p.backup, &p.path, ours),
            (true, false) => {
                if std::fs::read(&p.path).ok().as_deref() == ours {
                    let _ = std::fs::remove_file(&p.path);
                }
            }
            (false, true) => put_back(&p.backup, &p.path),
            (false, false) => {}
        }
        p.placed = false;
        p.moved = false;
    }
}

/// The original at `backup` back at `path`, where `path` holds `ours` (this run's text): swapped
/// back atomically where the system can, else `ours` removed and the original linked back. What
/// another writer put at `path` stays.
fn restore(backup: &Path, path: &Path, ours: Option<&[u8]>) {
    if std::fs::read(path).ok().as_deref() == ours && ours.is_some() {
        if exchange(backup, path).is_ok() {
            let _ = std::fs::remove_file(backup);
            return;
        }
        let _ = std::fs::remove_file(path);
    }
    put_back(backup, path);
}

/// Moves `backup` back to `path` unless something is there now (then that is newer, and stays).
fn put_back(backup: &Path, path: &Path) {
    if link_or_rename(backup, path).is_ok() || std::fs::symlink_metadata(path).is_ok() {
        let _ = std::fs::remove_file(backup);
    }
}

fn discard(planned: &[Planned]) {
    for p in planned {
        let _ = std::fs::remove_file(&p.temp);
    }
}

/// Whether the process `pid` (another one) is running.
fn alive(pid: u32) -> bool {
    pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists()
}

/// Finishes what runs that died left at `root` (canonical or not): a journal not committed is
/// rolled back (each original put back, the new texts this run wrote removed), a committed one
/// finished (the originals moved aside removed); their temporary files go. Only paths inside the
/// project, with this tool's temporary names, are touched. Returns how many runs it cleaned up.
pub fn recover(root: &Path) -> usize {
    let Ok(root) = root.canonicalize() else { return 0 };
    let Ok(entries) = std::fs::read_dir(&root) else { return 0 };
    let mut recovered = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix(JOURNAL) else { continue };
        let Some((pid, kind)) = rest.split_once('.') else { continue };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if alive(pid) || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        if kind == "journal-tmp" {
            let _ = std::fs::remove_file(entry.path());
            continue;
        }
        if kind != "journal" {
            continue;
        }
        let text = std::fs::read(entry.path()).ok().filter(|t| t.len() as u64 <= MAX_FILE_SIZE);
        let journal: Option<serde_json::Value> = text.and_then(|t| serde_json::from_slice(&t).ok());
        if let Some(journal) = journal {
            let committed = journal["committed"].as_bool().unwrap_or(false);
            for e in journal["entries"].as_array().into_iter().flatten() {
                recover_entry(&root, e, committed);
            }
        }
        let _ = std::fs::remove_file(entry.path());
        recovered += 1;
    }
    if recovered > 0 {
        sync_dir(&root);
    }
    recovered
}

fn recover_entry(root: &Path, entry: &serde_json::Value, committed: bool) {
    let path_of = |key: &str| -> Option<PathBuf> {
        let path = PathBuf::from(entry[key].as_str()?);
        let clean = path.is_absolute() && path.components().all(|c| matches!(c, Component::RootDir | Component::Normal(_)));
        (clean && path.starts_with(root)).then_some(path)
    };
    let (Some(target), Some(temp), Some(backup)) = (path_of("target"), path_of("temp"), path_of("backup")) else { return };
    let ours = |p: &Path| p.parent() == target.parent() && p.file_name().is_some_and(|n| n.to_string_lossy().contains(MARK));
    if !ours(&temp) || !ours(&backup) {
        return;
    }
    let existed = entry["existed"].as_bool().unwrap_or(false);
    let after = entry["after"].as_str();
    let fingerprint_of = |p: &Path| std::fs::read(p).ok().map(|t| fingerprint(&t));
    match fingerprint_of(&temp) {
        // Not this run's text: the original, swapped out of its place and not yet renamed to
        // its backup name. It is the backup.
        Some(f) if existed && Some(f.as_str()) != after && !backup.exists() => {
            let _ = std::fs::rename(&temp, &backup);
        }
        Some(_) => {
            let _ = std::fs::remove_file(&temp);
        }
        None => {}
    }
    if committed {
        if existed {
            let _ = std::fs::remove_file(&backup);
        }
        return;
    }
    let holds_ours = || std::fs::read(&target).ok().is_some_and(|t| Some(fingerprint(&t).as_str()) == after);
    if existed {
        if backup.exists() {
            if holds_ours() {
                // Swapped back atomically where possible, so the file is never missing.
                if exchange(&backup, &target).is_ok() {
                    let _ = std::fs::remove_file(&backup);
                    return;
                }
                let _ = std::fs::remove_file(&target);
            }
            put_back(&backup, &target);
        }
    } else if after.is_some() && holds_ours() {
        let _ = std::fs::remove_file(&target);
    }
}

/// Removes the temporary files of runs that did not finish (any process that is not running):
/// `.NAME.convex-migrate-PID.tmp`; an original such a run moved aside (`.bak`) goes back when
/// its file is missing.
fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let ours = name.starts_with('.') && name.contains(MARK) && (name.ends_with(".tmp") || name.ends_with(".bak"));
        let pid_alive = name.rsplit_once(MARK).and_then(|(_, rest)| rest.split('.').next()?.parse::<u32>().ok()).is_some_and(alive);
        if ours && !pid_alive && entry.file_type().is_ok_and(|t| t.is_file()) {
            if name.ends_with(".bak") {
                let target = dir.join(name.trim_start_matches('.').split(MARK).next().unwrap_or(""));
                put_back(&entry.path(), &target);
                continue;
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

    #[test]
    fn a_run_that_died_mid_swap_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("a.ts"), "new a").unwrap(); // swapped in
        std::fs::write(root.join(format!(".a.ts{MARK}999999999.tmp")), "old a").unwrap(); // swapped out
        std::fs::write(root.join("b.ts"), "new b").unwrap(); // swapped in, original moved aside
        std::fs::write(root.join(format!(".b.ts{MARK}999999999.bak")), "old b").unwrap();
        std::fs::write(root.join("c.ts"), "old c").unwrap(); // not reached
        std::fs::write(root.join(format!(".c.ts{MARK}999999999.tmp")), "new c").unwrap();
        std::fs::write(root.join("d.ts"), "new d").unwrap(); // created
        let entry = |name: &str, existed: bool, after: &str| {
            serde_json::json!({
                "target": root.join(name).to_string_lossy(),
                "temp": root.join(format!(".{name}{MARK}999999999.tmp")).to_string_lossy(),
                "backup": root.join(format!(".{name}{MARK}999999999.bak")).to_string_lossy(),
                "existed": existed,
                "after": fingerprint(after.as_bytes()),
            })
        };
        let journal = serde_json::json!({ "committed": false, "entries": [
            entry("a.ts", true, "new a"), entry("b.ts", true, "new b"), entry("c.ts", true, "new c"), entry("d.ts", false, "new d"),
            // Never outside the project.
            { "target": "/etc/passwd", "temp": "/etc/.passwd.convex-migrate-1.tmp", "backup": "/etc/.passwd.convex-migrate-1.bak", "existed": true },
        ]});
        std::fs::write(journal_path(&root, 999_999_999), journal.to_string()).unwrap();
        assert_eq!(recover(&root), 1);
        for (name, text) in [("a.ts", "old a"), ("b.ts", "old b"), ("c.ts", "old c")] {
            assert_eq!(std::fs::read_to_string(root.join(name)).unwrap(), text, "{name}");
        }
        assert!(!root.join("d.ts").exists());
        let left: Vec<_> = std::fs::read_dir(&root).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left.len(), 3, "{left:?}");
    }
}

//! Reading a project's files from disk: the working tree, or a folder given with `--base-dir`.

use std::path::Path;

use crate::sources::git::{Skipped, MAX_FILE_SIZE};

/// A file read from disk, its path relative to the project root.
pub struct DiskFile {
    pub path: String,
    pub text: String,
    /// Where the first byte that is not UTF-8 is, when the file is not text (see [`decode`]).
    pub invalid_utf8_at: Option<usize>,
}

/// A file's bytes as text: UTF-8 as is; anything else decoded lossily (each bad sequence a
/// U+FFFD, so the text before it keeps its offsets), with the offset of the first bad byte.
pub fn decode(bytes: Vec<u8>) -> (String, Option<usize>) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some(at))
        }
    }
}

/// Why a path is not read or written: a symbolic link on the way leads outside the project.
pub const LEADS_OUTSIDE: &str = "a symbolic link that leads outside the project: not followed, not read";

/// `path` with every symbolic link resolved, when it exists: `Ok(None)` when it does not (or is
/// a dangling link), an error when it resolves outside `boundary`.
pub fn resolve_within(boundary: &Path, path: &Path) -> std::io::Result<Option<std::path::PathBuf>> {
    let real = match path.canonicalize() {
        Ok(real) => real,
        // `a.json/index.ts` when `a.json` is a file (an import's candidate paths): not there.
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => return Ok(None),
        Err(e) => return Err(e),
    };
    let boundary = boundary.canonicalize().unwrap_or_else(|_| boundary.to_path_buf());
    if real.starts_with(&boundary) {
        Ok(Some(real))
    } else {
        Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, LEADS_OUTSIDE))
    }
}

/// Reads `rel` (relative to `root`) if it is a regular file of reasonable size. `Ok(None)` when it
/// does not exist. A symbolic link is followed only when it leads to a place inside `root`; one
/// that leads outside is an error ([`LEADS_OUTSIDE`]), and nothing of its target is read. The
/// size is checked before anything is read.
pub fn read_optional(root: &Path, rel: &str) -> std::io::Result<Option<String>> {
    read_within(root, &root.join(rel))
}

/// Reads the file at `path` as [`read_optional`] does, when it lies inside `boundary`.
pub fn read_within(boundary: &Path, path: &Path) -> std::io::Result<Option<String>> {
    let Some(path) = resolve_within(boundary, path)? else { return Ok(None) };
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() && meta.len() <= MAX_FILE_SIZE => {}
        Ok(meta) if meta.is_file() => {
            return Err(std::io::Error::other(format!("too large ({} bytes; the limit is 4 MiB)", meta.len())));
        }
        Ok(_) => return Ok(None),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => return Ok(None),
        Err(e) => return Err(e),
    }
    let bytes = read_bounded(&path)?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Reads at most [`MAX_FILE_SIZE`] bytes (a file that grew since its size was checked is cut
/// there and said to be too large).
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(std::io::Error::other("too large (it grew past 4 MiB while being read; the limit is 4 MiB)"));
    }
    Ok(bytes)
}

/// Every file below `root/dir` that `want(path, is_dir)` accepts. Symbolic links are followed
/// when they lead to a place inside `root` (a folder at most once, so a link loop cannot hang
/// it); one that leads outside is not read and is reported, as are unreadable entries and files
/// over the size limit (checked before reading).
pub fn read_tree(root: &Path, dir: &str, want: &dyn Fn(&str, bool) -> bool) -> (Vec<DiskFile>, Vec<Skipped>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let boundary = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut visited = std::collections::HashSet::new();
    match resolve_within(&boundary, &root.join(dir)) {
        Ok(Some(real)) => {
            visited.insert(real);
        }
        Ok(None) => return (files, skipped),
        Err(e) => {
            skipped.push(Skipped { path: dir.to_string(), reason: e.to_string() });
            return (files, skipped);
        }
    }
    let mut stack = vec![dir.to_string()];
    while let Some(rel) = stack.pop() {
        let entries = match std::fs::read_dir(root.join(&rel)) {
            Ok(entries) => entries,
            Err(e) => {
                if rel != dir || e.kind() != std::io::ErrorKind::NotFound {
                    skipped.push(Skipped { path: rel.clone(), reason: e.to_string() });
                }
                continue;
            }
        };
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                skipped
                    .push(Skipped { path: format!("{rel}/{}", entry.file_name().to_string_lossy()), reason: "name is not UTF-8".into() });
                continue;
            };
            let path = format!("{rel}/{name}");
            let is_link = entry.file_type().map(|t| t.is_symlink()).unwrap_or(false);
            let mut real = entry.path();
            if is_link {
                match resolve_within(&boundary, &entry.path()) {
                    Ok(Some(target)) => real = target,
                    Ok(None) => continue, // A dangling link: nothing there.
                    Err(e) => {
                        // Reported when the tool would read what it names (the kind of its
                        // target from its metadata alone: nothing of it is read).
                        let as_dir = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
                        if want(&path, as_dir) {
                            skipped.push(Skipped { path, reason: e.to_string() });
                        }
                        continue;
                    }
                }
            }
            let meta = match std::fs::metadata(&real) {
                Ok(meta) => meta,
                Err(e) => {
                    if want(&path, false) {
                        skipped.push(Skipped { path, reason: format!("cannot read it ({e})") });
                    }
                    continue;
                }
            };
            if meta.is_dir() {
                let key = real.canonicalize().unwrap_or(real);
                if want(&path, true) && visited.insert(key) {
                    stack.push(path);
                }
                continue;
            }
            if !meta.is_file() || !want(&path, false) {
                continue;
            }
            if meta.len() > MAX_FILE_SIZE {
                skipped.push(Skipped { path, reason: format!("too large ({} bytes; the limit is 4 MiB)", meta.len()) });
                continue;
            }
            match read_bounded(&real) {
                Ok(bytes) => {
                    let (text, invalid_utf8_at) = decode(bytes);
                    files.push(DiskFile { path, text, invalid_utf8_at });
                }
                Err(e) => skipped.push(Skipped { path, reason: e.to_string() }),
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    (files, skipped)
}

/// Writes `text` to `path` atomically: a temporary file in the same folder (with the file's
/// permissions, synced to disk), then a rename, so a crash or a full disk never leaves a
/// half-written file. A symbolic link is written through only when it leads to a place inside
/// the file's folder (the project root, for the ledger); one that leads outside is refused.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let target = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => match resolve_within(dir, path) {
            Ok(Some(real)) => real,
            Ok(None) => {
                return Err(std::io::Error::other(format!("{} is a dangling symbolic link; not writing through it", path.display())))
            }
            Err(_) => return Err(std::io::Error::other(format!("{}: {LEADS_OUTSIDE}; not writing through it", path.display()))),
        },
        _ => path.to_path_buf(),
    };
    let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.convex-migrate-{}.tmp", std::process::id()));
    // A name only this process uses: what is there is left from a run that died.
    let _ = std::fs::remove_file(&tmp);
    let written = (|| {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(text.as_bytes())?;
        if let Ok(meta) = std::fs::metadata(&target) {
            let _ = file.set_permissions(meta.permissions());
        }
        file.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_is_written_through_links_inside_only() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(outside.path().join("x.json"), "outside").unwrap();
        std::os::unix::fs::symlink(outside.path().join("x.json"), root.join("out.json")).unwrap();
        let err = write_atomic(&root.join("out.json"), "{}").unwrap_err();
        assert!(err.to_string().contains("leads outside the project"), "{err}");
        assert_eq!(std::fs::read_to_string(outside.path().join("x.json")).unwrap(), "outside");
        std::fs::create_dir(root.join("real")).unwrap();
        std::fs::write(root.join("real/ledger.json"), "old").unwrap();
        std::os::unix::fs::symlink("real/ledger.json", root.join("ledger.json")).unwrap();
        write_atomic(&root.join("ledger.json"), "new").unwrap();
        assert!(std::fs::symlink_metadata(root.join("ledger.json")).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(root.join("real/ledger.json")).unwrap(), "new");
        assert_eq!(read_optional(root, "ledger.json").unwrap().as_deref(), Some("new"));
        assert!(read_optional(root, "out.json").is_err());
    }

    /// An import's candidate under a file (`translation.json/index.ts`) is not there, not an
    /// unreadable file (corpus: 696 such findings on 12Mosch/Cognify and others).
    #[test]
    fn a_path_under_a_file_is_absent() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("translation.json"), "{}").unwrap();
        assert_eq!(read_optional(dir.path(), "translation.json/index.ts").unwrap(), None);
        assert_eq!(read_optional(dir.path(), "missing/index.ts").unwrap(), None);
    }
}

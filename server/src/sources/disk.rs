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

/// Reads `rel` (relative to `root`) if it is a regular file of reasonable size. `Ok(None)` when it
/// does not exist.
pub fn read_optional(root: &Path, rel: &str) -> std::io::Result<Option<String>> {
    let path = root.join(rel);
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_file() && meta.len() <= MAX_FILE_SIZE => {}
        Ok(meta) if meta.is_file() => {
            return Err(std::io::Error::other(format!("too large ({} bytes; the limit is 4 MiB)", meta.len())));
        }
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    let bytes = std::fs::read(&path)?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Every file below `root/dir` that `want(path, is_dir)` accepts, without following symbolic
/// links to folders (a link loop cannot hang it). Unreadable entries are skipped and reported.
pub fn read_tree(root: &Path, dir: &str, want: &dyn Fn(&str, bool) -> bool) -> (Vec<DiskFile>, Vec<Skipped>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
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
            let meta = match std::fs::metadata(entry.path()) {
                Ok(meta) => meta,
                Err(e) => {
                    if want(&path, false) {
                        skipped.push(Skipped { path, reason: format!("cannot read it ({e})") });
                    }
                    continue;
                }
            };
            let is_link = entry.file_type().map(|t| t.is_symlink()).unwrap_or(false);
            if meta.is_dir() {
                if !is_link && want(&path, true) {
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
            match std::fs::read(entry.path()) {
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

/// Writes `text` to `path` atomically: a temporary file in the same folder, then a rename, so a
/// crash or a full disk never leaves a half-written file. Refuses to follow a symbolic link.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(std::io::Error::other(format!("{} is a symbolic link; not writing through it", path.display())));
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.convex-migrate-{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

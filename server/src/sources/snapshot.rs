//! Reading a snapshot export (`npx convex export --path snapshot.zip`): the zip's layout, its
//! tables streamed line by line into [`crate::analysis::data`]'s counters. I/O only: what a
//! document means is decided there.
//!
//! The layout, as the Convex backend writes it (`crates/exports/src/lib.rs`, `zip_uploader.rs`
//! and `export_storage.rs` of get-convex/convex-backend; `npx convex import`'s help: "ZIP files
//! must have one directory per table, containing <table>/documents.jsonl"):
//! - `README.md`;
//! - `_tables/documents.jsonl`: the app's tables, one `{"name": "users", "id": 10001}` a line
//!   (the table numbers that ids encode);
//! - `<table>/documents.jsonl`: one document a line, in the export JSON format, every table
//!   listed, empty ones included; `<table>/generated_schema.jsonl`: `"uniform"` since 2026-03,
//!   before that an inferred shape (the "legacy" format, whose values were written differently);
//! - `_storage/documents.jsonl` and `_storage/<id>[.ext]` with `--include-file-storage`;
//! - `_components/<name>/…`: the same for each component (its tables are the component's, not
//!   the app's: skipped here).
//!
//! Entries are deflated with data descriptors (streamed). Their timestamps are zero in current
//! exports (the backend's `async_zip` sets none); the download's name carries the deployment and
//! the snapshot's timestamp, `snapshot_<deployment>_<nanoseconds>.zip` (`crates/application`),
//! so that, the entries' times (older exports) or the file's modification time tell when it was
//! taken. Memory stays constant in the number of documents: one line at a time.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::analysis::data::{self, Question, Snapshot, TableCount, TableNumbers, Taken, TakenFrom, Wanted};

/// Why a snapshot could not be read. Each names the file (and the entry and line).
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read the snapshot {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{path} is not a zip file, or it is truncated ({reason})")]
    NotZip { path: PathBuf, reason: String },
    #[error("{path} is a zip file but not a Convex snapshot export: it has no _tables/documents.jsonl (make one with `npx convex export --path {path}`)")]
    NotExport { path: PathBuf },
    #[error("{path}: cannot read {entry}: {reason} (the file is truncated or corrupt; export it again)")]
    Entry { path: PathBuf, entry: String, reason: String },
    #[error("{path}: {entry} line {line}{table}: {reason}")]
    Line { path: PathBuf, entry: String, table: String, line: u64, reason: String },
    #[error("{path}: `_tables` lists the table `{table}`, but the zip has no {table}/documents.jsonl (the export is incomplete)")]
    Incomplete { path: PathBuf, table: String },
    #[error("{path}: the table `{table}` is in the export format Convex wrote before March 2026, where int64, bytes and special float values were written as strings; they cannot be told apart exactly: export again (`npx convex export`)")]
    Legacy { path: PathBuf, table: String },
    #[error("reading {path} was cancelled")]
    Cancelled { path: PathBuf },
}

/// How far the reading is, for a progress bar.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    pub table: &'a str,
    /// Uncompressed bytes of `documents.jsonl` entries read so far, of `total`.
    pub done: u64,
    pub total: u64,
    /// Documents read so far, in every table.
    pub documents: u64,
}

/// Reads the snapshot at `path` (named `shown` in messages) and answers `questions`, keeping
/// `samples` ids per count. `progress` is called every few thousand documents; `Break` cancels.
pub fn read(
    path: &Path,
    questions: Vec<Question>,
    samples: usize,
    progress: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> Result<Snapshot, SnapshotError> {
    let shown = path.to_path_buf();
    let file = File::open(path).map_err(|e| SnapshotError::Unreadable { path: shown.clone(), reason: e.to_string() })?;
    let meta = file.metadata().map_err(|e| SnapshotError::Unreadable { path: shown.clone(), reason: e.to_string() })?;
    if meta.is_dir() {
        return Err(SnapshotError::Unreadable { path: shown, reason: "it is a folder; give the .zip file".into() });
    }
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| SnapshotError::NotZip { path: shown.clone(), reason: e.to_string() })?;
    let names: Vec<String> = archive.file_names().map(str::to_string).collect();
    let has = |name: &str| names.iter().any(|n| n == name);
    if !has("_tables/documents.jsonl") {
        return Err(SnapshotError::NotExport { path: shown });
    }

    // The app's tables and their numbers.
    let mut numbers = TableNumbers::default();
    let mut listed: Vec<String> = Vec::new();
    for_each_line(&mut archive, &shown, "_tables/documents.jsonl", "", &mut |line, _| {
        let entry: TableEntry = serde_json::from_slice(line).map_err(|e| format!("not a table entry ({e})"))?;
        numbers.insert(entry.id, entry.name.clone());
        listed.push(entry.name);
        Ok(())
    })?;
    if has("_storage/documents.jsonl") {
        let mut first = None;
        for_each_line(&mut archive, &shown, "_storage/documents.jsonl", "", &mut |line, _| {
            if first.is_none() {
                let doc = data::parse_document(line, &Wanted::Fields(Vec::new()))?;
                first = doc.id.as_deref().and_then(data::id_table_number);
            }
            Ok(())
        })?;
        numbers.storage = first;
    }
    let mut components: Vec<String> = names
        .iter()
        .filter_map(|n| n.strip_prefix("_components/").and_then(|rest| rest.split('/').next()))
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    components.sort();
    components.dedup();

    // The tables asked about, by name.
    let mut asked: Vec<String> = questions.iter().map(|q| q.table.clone()).collect();
    asked.sort();
    asked.dedup();
    let mut total = 0u64;
    for table in &asked {
        if let Some(i) = archive.index_for_name(&format!("{table}/documents.jsonl")) {
            total += archive.by_index_raw(i).map(|f| f.size()).unwrap_or(0);
        }
    }
    let mut answers: Vec<Option<data::Answer>> = vec![None; questions.len()];
    let mut tables = BTreeMap::new();
    let mut done = 0u64;
    for table in &asked {
        let entry = format!("{table}/documents.jsonl");
        if !has(&entry) {
            if listed.contains(table) {
                return Err(SnapshotError::Incomplete { path: shown, table: table.clone() });
            }
            continue;
        }
        check_format(&mut archive, &shown, table)?;
        let Some(mut count) = TableCount::new(&questions, table, samples) else { continue };
        let wanted = count.wanted.clone();
        let mut documents = 0u64;
        let before: u64 = tables.values().sum();
        let mut cancelled = false;
        let mut doc = data::Document { id: None, fields: Vec::new() };
        for_each_line(&mut archive, &shown, &entry, table, &mut |line, _| {
            data::parse_document_into(line, &wanted, &mut doc)?;
            if doc.id.is_none() {
                return Err("a document without `_id`".into());
            }
            count.feed(&doc, &numbers);
            documents += 1;
            done += line.len() as u64 + 1;
            if documents % 4096 == 0 && progress(&Progress { table, done, total, documents: before + documents }).is_break() {
                cancelled = true;
                return Err(String::new());
            }
            Ok(())
        })
        .map_err(|e| if cancelled { SnapshotError::Cancelled { path: shown.clone() } } else { e })?;
        if progress(&Progress { table, done, total, documents: before + documents }).is_break() {
            return Err(SnapshotError::Cancelled { path: shown });
        }
        tables.insert(table.clone(), documents);
        for (i, answer) in count.finish() {
            answers[i] = Some(answer);
        }
    }
    let (deployment, taken) = from_file_name(path);
    let taken = taken.or_else(|| entries_time(&mut archive)).or_else(|| modified(&meta));
    Ok(Snapshot { path: path.display().to_string(), taken, deployment, tables, components, questions, answers, samples })
}

#[derive(serde::Deserialize)]
struct TableEntry {
    name: String,
    id: u32,
}

/// What is done with each line (and its 1-based number); an error names what is wrong.
type OnLine<'a> = dyn FnMut(&[u8], u64) -> Result<(), String> + 'a;

/// Streams the lines of one entry (without their newline) to `each`, with their 1-based number;
/// an error of `each` becomes a [`SnapshotError::Line`].
fn for_each_line<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    path: &Path,
    entry: &str,
    table: &str,
    each: &mut OnLine<'_>,
) -> Result<(), SnapshotError> {
    let entry_error = |reason: String| SnapshotError::Entry { path: path.to_path_buf(), entry: entry.to_string(), reason };
    let file = archive.by_name(entry).map_err(|e| entry_error(e.to_string()))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut line = Vec::with_capacity(1 << 12);
    let mut number = 0u64;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(|e| entry_error(e.to_string()))?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        let mut text: &[u8] = &line;
        if let Some(rest) = text.strip_suffix(b"\n") {
            text = rest.strip_suffix(b"\r").unwrap_or(rest);
        }
        each(text, number).map_err(|reason| SnapshotError::Line {
            path: path.to_path_buf(),
            entry: entry.to_string(),
            table: if table.is_empty() { String::new() } else { format!(" (table `{table}`)") },
            line: number,
            reason,
        })?;
    }
}

/// A table in the legacy format (an inferred shape in `generated_schema.jsonl`) is read only when
/// its values cannot be mistaken: no int64, bytes, special floats or unknown values, no overrides.
fn check_format<R: Read + std::io::Seek>(archive: &mut zip::ZipArchive<R>, path: &Path, table: &str) -> Result<(), SnapshotError> {
    let entry = format!("{table}/generated_schema.jsonl");
    if archive.index_for_name(&entry).is_none() {
        return Ok(());
    }
    let mut lines: Vec<String> = Vec::new();
    for_each_line(archive, path, &entry, table, &mut |line, _| {
        if lines.len() < 2 {
            lines.push(String::from_utf8_lossy(line).into_owned());
        }
        Ok(())
    })?;
    let first: Option<String> = lines.first().and_then(|l| serde_json::from_str(l).ok());
    match first.as_deref() {
        Some("uniform") | None => Ok(()),
        Some(shape) if lines.len() == 1 && !ambiguous(shape) => Ok(()),
        Some(_) => Err(SnapshotError::Legacy { path: path.to_path_buf(), table: table.to_string() }),
    }
}

/// Whether a legacy shape (`{"name": string, "n": int64}`) holds a type whose values the legacy
/// format wrote as strings or could not tell (quoted names and literals aside).
fn ambiguous(shape: &str) -> bool {
    let mut outside = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in shape.chars() {
        match (quoted, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => quoted = false,
            (true, false, _) => {}
            (false, _, '"') => {
                quoted = true;
                outside.push(' ');
            }
            (false, _, c) => outside.push(c),
        }
    }
    outside
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|word| matches!(word, "int64" | "float64" | "inf" | "NaN" | "bytes" | "unknown" | "0"))
}

/// `snapshot_<deployment>_<nanoseconds>.zip`, the name Convex gives the download.
fn from_file_name(path: &Path) -> (Option<String>, Option<Taken>) {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let Some(stem) = name.strip_prefix("snapshot_").and_then(|s| s.strip_suffix(".zip")) else { return (None, None) };
    let (deployment, ts) = match stem.rsplit_once('_') {
        Some((d, ts)) => (Some(d.to_string()).filter(|d| !d.is_empty()), ts),
        None => (None, stem),
    };
    let taken = ts
        .parse::<u64>()
        .ok()
        .map(|ns| ns / 1_000_000_000)
        .filter(|s| (946_684_800..4_102_444_800).contains(s))
        .map(|s| Taken { at: crate::config::ledger::rfc3339(s), from: TakenFrom::FileName });
    (deployment, taken)
}

/// The latest time an entry records (older exports set them; current ones leave them zero).
fn entries_time<R: Read + std::io::Seek>(archive: &mut zip::ZipArchive<R>) -> Option<Taken> {
    let mut latest: Option<(u16, u8, u8, u8, u8, u8)> = None;
    for i in 0..archive.len() {
        let Ok(file) = archive.by_index_raw(i) else { continue };
        let Some(t) = file.last_modified() else { continue };
        if t.month() == 0 || t.day() == 0 || t.year() < 1990 {
            continue;
        }
        let key = (t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second());
        if latest.is_none_or(|l| key > l) {
            latest = Some(key);
        }
    }
    let (y, mo, d, h, mi, s) = latest?;
    Some(Taken { at: format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"), from: TakenFrom::Entries })
}

fn modified(meta: &std::fs::Metadata) -> Option<Taken> {
    let seconds = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(Taken { at: crate::config::ledger::rfc3339(seconds), from: TakenFrom::FileModified })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tell_the_deployment_and_the_time() {
        let (d, t) = from_file_name(Path::new("/x/snapshot_happy-animal-123_1795608000000000000.zip"));
        assert_eq!(d.as_deref(), Some("happy-animal-123"));
        assert_eq!(t, Some(Taken { at: "2026-11-25T12:00:00Z".into(), from: TakenFrom::FileName }));
        assert_eq!(from_file_name(Path::new("export.zip")), (None, None));
        assert_eq!(from_file_name(Path::new("snapshot_x_12.zip")).1, None);
    }

    #[test]
    fn legacy_shapes_with_ambiguous_values() {
        assert!(!ambiguous("never"));
        assert!(!ambiguous(r#"{"_creationTime": normalfloat64, "_id": id<info>, "name": string, "int64": "bytes"}"#));
        for shape in [
            r#"{"n": int64}"#,
            r#"{"n": float64}"#,
            r#"{"n": -inf}"#,
            r#"{"b": bytes}"#,
            r#"{"x": unknown}"#,
            r#"{"z": -0}"#,
            r#"{"f": NaN}"#,
        ] {
            assert!(ambiguous(shape), "{shape}");
        }
    }
}

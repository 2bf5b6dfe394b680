//! `--snapshot FILE.zip` for `check`, `plan` and `verify`: reads the export for the questions the
//! analysis asks, with a progress line on a terminal.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::analysis::data::{Question, Snapshot};
use crate::analysis::Workspace;
use crate::sources::snapshot::{self, Progress};

/// Reads `path` for `questions`; the error is the one-line message for `error: …`.
pub fn read(path: &Path, questions: Vec<Question>, samples: usize) -> Result<Snapshot, String> {
    let tty = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut last = Instant::now();
    let mut shown = false;
    let mut progress = |p: &Progress| {
        // Only for reads long enough to wait for, ten times a second.
        if tty && started.elapsed() > Duration::from_millis(300) && last.elapsed() > Duration::from_millis(100) {
            last = Instant::now();
            shown = true;
            let percent = if p.total > 0 { p.done * 100 / p.total } else { 100 };
            let _ = write!(std::io::stderr(), "\rreading {}: `{}`, {percent}% ({} documents)\x1b[K", path.display(), p.table, p.documents);
        }
        ControlFlow::Continue(())
    };
    let result = snapshot::read(path, questions, samples, &mut progress);
    if shown {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
    result.map_err(|e| e.to_string())
}

/// Reads the snapshot for everything the analysis of `ws` asks, into `ws.data`.
pub fn attach(ws: &mut Workspace, path: &Path, samples: usize) -> Result<(), String> {
    let questions = crate::analysis::data::questions(ws);
    ws.data = Some(Arc::new(read(path, questions, samples)?));
    Ok(())
}

/// What `check` says about the snapshot on stderr: what was read, and what was not.
pub fn notes(snapshot: &Snapshot) -> Vec<String> {
    let mut notes = Vec::new();
    let documents: u64 = snapshot.tables.values().sum();
    let when = match &snapshot.taken {
        Some(t) if t.from == crate::analysis::data::TakenFrom::FileModified => format!(", file modified {}", t.at),
        Some(t) => format!(", taken {}", t.at),
        None => String::new(),
    };
    let from = snapshot.deployment.as_ref().map(|d| format!(" of `{d}`")).unwrap_or_default();
    notes.push(format!(
        "snapshot {}{from}{when}: {} table{} read, {documents} document{}",
        snapshot.path,
        snapshot.tables.len(),
        if snapshot.tables.len() == 1 { "" } else { "s" },
        if documents == 1 { "" } else { "s" }
    ));
    if !snapshot.components.is_empty() {
        notes.push(format!(
            "snapshot: the tables of the component{} {} are the component's, not the app's: not read",
            if snapshot.components.len() == 1 { "" } else { "s" },
            snapshot.components.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    let mut missing: Vec<&str> =
        snapshot.questions.iter().zip(&snapshot.answers).filter(|(_, a)| a.is_none()).map(|(q, _)| q.table.as_str()).collect();
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        notes.push(format!(
            "snapshot: no table {} in {}: their findings are not counted (is it this project's export?)",
            missing.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "),
            snapshot.path
        ));
    }
    notes
}

//! The `snapshot` setting: a snapshot export, its answers kept per question until the file
//! changes (its size or modification time). An edit that asks something new (a schema change)
//! reads only the tables of the new questions; a read that a newer edit overtakes stops.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::analysis::data::{questions, Answer, Snapshot};
use crate::analysis::Workspace;
use crate::sources::snapshot::{self, SnapshotError};

/// One project's snapshot, as read so far.
#[derive(Default)]
pub struct DataCache {
    last: Mutex<Option<Read>>,
}

struct Read {
    path: PathBuf,
    stamp: (u64, Option<SystemTime>),
    /// What the file says besides the answers (when it was taken, the tables read, …), or why it
    /// cannot be read.
    about: Result<Snapshot, String>,
    /// By question key; `None`: the table is not in the snapshot.
    answers: HashMap<String, Option<Answer>>,
}

impl DataCache {
    /// Sets `ws.data` from the snapshot at `setting` (relative to `root`, or absolute). Returns a
    /// note for the user when it cannot be read, and `Err(())` when `stale()` stopped the read.
    pub fn attach(&self, ws: &mut Workspace, root: &Path, setting: Option<&str>, stale: &dyn Fn() -> bool) -> Result<Option<String>, ()> {
        let Some(setting) = setting.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
        let path = root.join(setting);
        // A path relative to the project (a workspace's settings travel with the repository)
        // stays in it: neither `..` nor a link may lead the read elsewhere.
        if Path::new(setting).is_relative() {
            if let Err(e) = crate::sources::disk::resolve_within(root, &path) {
                return Ok(Some(format!("the snapshot setting: `{setting}`: {e}; the findings are not counted")));
            }
        }
        let stamp = std::fs::metadata(&path).map(|m| (m.len(), m.modified().ok())).unwrap_or((0, None));
        let asked = questions(ws);
        let Ok(mut last) = self.last.lock() else { return Ok(None) };
        if last.as_ref().is_some_and(|r| r.path != path || r.stamp != stamp) {
            *last = None;
        }
        let missing: Vec<_> = match last.as_ref() {
            Some(Read { about: Err(_), .. }) => Vec::new(),
            Some(read) => asked.iter().filter(|q| !read.answers.contains_key(&q.key())).cloned().collect(),
            None => asked.clone(),
        };
        if last.is_none() || !missing.is_empty() {
            let mut progress = |_: &snapshot::Progress| if stale() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) };
            match snapshot::read(&path, missing, crate::analysis::data::DEFAULT_SAMPLES, &mut progress) {
                Ok(mut read) => {
                    let entry = last.get_or_insert_with(|| Read { path, stamp, about: Err(String::new()), answers: HashMap::new() });
                    for (q, a) in read.questions.iter().zip(read.answers.drain(..)) {
                        entry.answers.insert(q.key(), a);
                    }
                    let mut tables = entry.about.as_ref().map(|s| s.tables.clone()).unwrap_or_default();
                    tables.append(&mut read.tables);
                    entry.about = Ok(Snapshot { path: setting.to_string(), tables, questions: Vec::new(), answers: Vec::new(), ..read });
                }
                Err(SnapshotError::Cancelled { .. }) => return Err(()),
                Err(e) => *last = Some(Read { path, stamp, about: Err(e.to_string()), answers: HashMap::new() }),
            }
        }
        let Some(read) = last.as_ref() else { return Ok(None) };
        match &read.about {
            Ok(about) => {
                let answers = asked.iter().map(|q| read.answers.get(&q.key()).cloned().flatten()).collect();
                ws.data = Some(Arc::new(Snapshot { questions: asked, answers, ..about.clone() }));
                Ok(None)
            }
            Err(message) => Ok(Some(format!("the snapshot setting: {message}; the findings are not counted"))),
        }
    }
}

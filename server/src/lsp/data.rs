//! The `snapshot` setting: a snapshot export read once for the questions of the analysis and kept
//! until the file changes (its size or modification time) or the analysis asks something new (a
//! schema edit); a read that a newer edit overtakes stops.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::analysis::data::{questions, Snapshot};
use crate::analysis::Workspace;
use crate::sources::snapshot::{self, SnapshotError};

/// One project's snapshot, as last read.
#[derive(Default)]
pub struct DataCache {
    last: Mutex<Option<Read>>,
}

struct Read {
    path: PathBuf,
    stamp: (u64, Option<SystemTime>),
    keys: Vec<String>,
    result: Result<Arc<Snapshot>, String>,
}

impl DataCache {
    /// Sets `ws.data` from the snapshot at `setting` (relative to `root`, or absolute). Returns a
    /// note for the user when it cannot be read, and `Err(())` when `stale()` stopped the read.
    pub fn attach(&self, ws: &mut Workspace, root: &Path, setting: Option<&str>, stale: &dyn Fn() -> bool) -> Result<Option<String>, ()> {
        let Some(setting) = setting.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
        let path = root.join(setting);
        let stamp = std::fs::metadata(&path).map(|m| (m.len(), m.modified().ok())).unwrap_or((0, None));
        let asked = questions(ws);
        let keys: Vec<String> = asked.iter().map(|q| q.key()).collect();
        let cached = self
            .last
            .lock()
            .ok()
            .and_then(|last| last.as_ref().filter(|r| r.path == path && r.stamp == stamp && r.keys == keys).map(|r| r.result.clone()));
        let result = match cached {
            Some(result) => result,
            None => {
                let mut progress = |_: &snapshot::Progress| if stale() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) };
                let result = match snapshot::read(&path, asked, crate::analysis::data::DEFAULT_SAMPLES, &mut progress) {
                    Ok(snapshot) => Ok(Arc::new(Snapshot { path: setting.to_string(), ..snapshot })),
                    Err(SnapshotError::Cancelled { .. }) => return Err(()),
                    Err(e) => Err(e.to_string()),
                };
                if let Ok(mut last) = self.last.lock() {
                    *last = Some(Read { path, stamp, keys, result: result.clone() });
                }
                result
            }
        };
        match result {
            Ok(snapshot) => {
                ws.data = Some(snapshot);
                Ok(None)
            }
            Err(message) => Ok(Some(format!("the snapshot setting: {message}; the findings are not counted"))),
        }
    }
}

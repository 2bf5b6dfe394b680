//! The analysis worker: one thread, off the async runtime, that parses and analyses. Handlers
//! only mark a project dirty; a burst of edits is coalesced (the worker takes every request that
//! is waiting, once per project, and reads the newest buffers), and an analysis that a newer edit
//! overtakes stops at its next checkpoint. Finished snapshots go to the publisher task. When the
//! server stops (`shutdown`, `exit`, the end of stdin), the analysis in flight stops at its next
//! checkpoint too, and no other starts.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

use crate::config::FILE_NAME;
use crate::lsp::session::Session;
use crate::lsp::workspace::{Overlay, ProjectState, Snapshot};

/// An analysis done: the project, its snapshot, and the generation it was made for.
pub struct Done {
    pub project: Arc<ProjectState>,
    pub snapshot: Arc<Snapshot>,
    pub generation: u64,
}

/// Stops the worker, from any thread.
#[derive(Clone, Default)]
pub struct Stop {
    stopped: Arc<AtomicBool>,
    /// The client sent `shutdown` (an `exit` after it ends the server with code 0).
    shut_down: Arc<AtomicBool>,
}

impl Stop {
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    pub fn was_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::SeqCst)
    }
}

/// The handle handlers use: `schedule` marks a project dirty.
#[derive(Clone)]
pub struct Worker {
    requests: mpsc::Sender<Arc<ProjectState>>,
    stop: Stop,
}

impl Worker {
    /// Starts the worker thread; finished analyses are sent to `done`. The thread ends when every
    /// handle is dropped (the server stops) or `done` is closed.
    pub fn start(session: std::sync::Weak<Session>, done: tokio::sync::mpsc::UnboundedSender<Result<Done, String>>) -> Worker {
        let (requests, inbox) = mpsc::channel::<Arc<ProjectState>>();
        let stop = Stop::default();
        let stopped = stop.clone();
        let spawned = std::thread::Builder::new()
            .name("convex-migrate-analysis".into())
            .stack_size(crate::STACK_SIZE)
            .spawn(move || run(inbox, session, done, stopped));
        if let Err(e) = spawned {
            eprintln!("convex-migrate: cannot start the analysis thread: {e}");
        }
        Worker { requests, stop }
    }

    /// Asks for a fresh analysis of `project`; returns at once.
    pub fn schedule(&self, project: Arc<ProjectState>) {
        if self.stop.is_stopped() {
            return;
        }
        project.next_generation();
        let _ = self.requests.send(project);
    }

    /// What stops this worker.
    pub fn stop_handle(&self) -> Stop {
        self.stop.clone()
    }

    /// The client sent `shutdown`: stop analysing.
    pub fn shut_down(&self) {
        self.stop.shut_down.store(true, Ordering::SeqCst);
        self.stop.stop();
    }
}

fn run(
    inbox: mpsc::Receiver<Arc<ProjectState>>,
    session: std::sync::Weak<Session>,
    done: tokio::sync::mpsc::UnboundedSender<Result<Done, String>>,
    stop: Stop,
) {
    while let Ok(first) = inbox.recv() {
        // Coalesce: every project asked for while we were busy, once each.
        let mut queue = vec![first];
        while let Ok(more) = inbox.try_recv() {
            if !queue.iter().any(|p| Arc::ptr_eq(p, &more)) {
                queue.push(more);
            }
        }
        for project in queue {
            if stop.is_stopped() {
                return;
            }
            let Some(session) = session.upgrade() else { return };
            let generation = project.generation.load(std::sync::atomic::Ordering::SeqCst);
            let overlays = overlays(&session, &project);
            let settings = session.settings();
            let stale = || stop.is_stopped() || !project.is_current(generation);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                project.analyse(overlays, &settings, &session.base_cache, &stale)
            }));
            let snapshot = match result {
                Ok(Some(snapshot)) => Arc::new(snapshot),
                // Overtaken by a newer edit: that one is queued and will be analysed.
                Ok(None) => continue,
                Err(_) => {
                    let _ = done.send(Err(format!("convex-migrate: the analysis of {} failed", project.root.display())));
                    continue;
                }
            };
            if !project.is_current(generation) {
                continue;
            }
            if let Ok(mut last) = project.last.lock() {
                *last = Some(snapshot.clone());
            }
            if done.send(Ok(Done { project, snapshot, generation })).is_err() {
                return;
            }
        }
    }
}

/// The project's open buffers, modelled outside the documents' locks (each lock is held only to
/// clone the rope), the models kept for the next analysis of the same version.
fn overlays(session: &Session, project: &ProjectState) -> HashMap<String, Overlay> {
    let layout = project.layout();
    let taken: Vec<(std::path::PathBuf, String, crate::lsp::document::Taken)> = session
        .documents
        .iter()
        .filter_map(|entry| {
            let rel = project.relative(entry.key())?;
            (rel == FILE_NAME || layout.is_source(&rel)).then(|| (entry.key().clone(), rel, entry.value().take()))
        })
        .collect();
    let mut out = HashMap::new();
    for (path, rel, taken) in taken {
        let version = taken.version;
        if rel == FILE_NAME {
            out.insert(rel, Overlay::Config { version, text: taken.rope.to_string() });
            continue;
        }
        let cached = taken.source.as_ref().is_some_and(|s| s.path == rel);
        let source = taken.source(&rel);
        if !cached {
            if let Some(mut doc) = session.documents.get_mut(&path) {
                doc.keep(version, source.clone());
            }
        }
        out.insert(rel, Overlay::Source { version, source });
    }
    out
}

//! `convex-migrate lsp`: the language server on stdio. A thin shell: the handlers below update
//! the session and hand work to the analysis worker or answer from the latest snapshot; the
//! conversions live in [`convert`], the answers in [`actions`], the runs in [`commands`].

mod actions;
mod commands;
pub(crate) mod convert;
mod data;
mod document;
mod framing;
mod session;
mod worker;
mod workspace;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;
use tower_lsp_server::jsonrpc::Result as RpcResult;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use crate::analysis::Side;
use crate::line_index::{ColumnUnit, TextRange};
use crate::lsp::workspace::Published;
use convert::{path_of, uri_of, Converter};
use document::Document;
use session::{Capabilities, Session};
use worker::{Done, Worker};
use workspace::{ProjectState, Settings};

pub use workspace::discover;

/// How long tower-lsp-server may take to wind down after `exit` or the end of stdin before the
/// server stops anyway (a handler may be waiting on a client that will never answer).
const WIND_DOWN: Duration = Duration::from_millis(250);
/// How long the last frames may take to reach stdout.
const FLUSH: Duration = Duration::from_millis(200);
/// How long the server waits for the client to answer one of its own requests.
pub(crate) const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// A request to the client, answered within [`CLIENT_TIMEOUT`] (or `timeout`): `None` when the
/// client answered with an error, or not in time.
pub(crate) async fn ask<T>(timeout: Duration, request: impl Future<Output = RpcResult<T>>) -> Option<T> {
    tokio::time::timeout(timeout, request).await.ok()?.ok()
}

/// Runs the server on stdin/stdout until the client exits or closes stdin: exit code 0, or 1 for
/// an `exit` that came without `shutdown` (as LSP asks).
pub fn run_stdio() -> i32 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(4)
        .thread_stack_size(crate::STACK_SIZE)
        .enable_all()
        .build();
    let Ok(runtime) = runtime else {
        eprintln!("error: cannot start the async runtime");
        return crate::EXIT_ERROR;
    };
    let code = runtime.block_on(serve_stdio());
    // Do not wait for work in flight, such as a disk read of a project being discovered.
    runtime.shutdown_timeout(Duration::from_millis(50));
    code
}

/// stdin → [`framing::relay`] → tower-lsp-server → [`framing::write_out`] → stdout.
async fn serve_stdio() -> i32 {
    let (service, socket) = LspService::new(Backend::new);
    let stop = service.inner().worker.stop_handle();
    let (to_server, from_client) = tokio::io::duplex(64 * 1024);
    let (to_writer, from_server) = tokio::io::duplex(64 * 1024);
    let (replies, replies_rx) = tokio::sync::mpsc::channel(64);
    let writer = tokio::spawn(framing::write_out(from_server, replies_rx, tokio::io::stdout()));
    let mut relay = tokio::spawn(framing::relay(tokio::io::stdin(), to_server, replies));
    let mut serve = Box::pin(Server::new(from_client, to_writer, socket).serve(service));
    let mut ended = None;
    tokio::select! {
        _ = &mut serve => {}
        how = &mut relay => {
            ended = how.ok();
            // Stop the analysis in flight; let tower-lsp-server finish what it can.
            stop.stop();
            let _ = tokio::time::timeout(WIND_DOWN, &mut serve).await;
        }
    }
    stop.stop();
    // Dropping the server drops the session (and the private folder of rule docs).
    drop(serve);
    let _ = tokio::time::timeout(FLUSH, writer).await;
    match ended {
        Some(framing::Ended::Exit) if !stop.was_shut_down() => 1,
        _ => 0,
    }
}

/// The server: its client connection, its session, and the analysis worker.
pub struct Backend {
    client: Client,
    session: Arc<Session>,
    worker: Worker,
    /// The private folder the rule docs were written to, removed when the server stops.
    rule_docs_dir: std::sync::Mutex<Option<tempfile::TempDir>>,
}

/// Writes every rule's documentation (the text `convex-migrate explain` prints) to a private
/// folder, so diagnostics can link to it: created anew for each server (a random name, mode
/// 0700, in `$XDG_RUNTIME_DIR` when there is one, else the temporary directory), its files
/// created only if they do not exist. Nothing is read or written through a path another user
/// could have planted (a fixed folder in the shared temporary directory was).
fn write_rule_docs() -> Option<(tempfile::TempDir, HashMap<&'static str, Uri>)> {
    use std::io::Write;
    let parent = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from).filter(|d| d.is_dir()).unwrap_or_else(std::env::temp_dir);
    let mut builder = tempfile::Builder::new();
    builder.prefix("convex-migrate-rules-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    let dir = builder.tempdir_in(parent).ok()?;
    let mut out = HashMap::new();
    for rule in crate::analysis::Rule::ALL {
        let path = dir.path().join(format!("{}.md", rule.id()));
        let written =
            std::fs::OpenOptions::new().write(true).create_new(true).open(&path).and_then(|mut f| f.write_all(rule.doc().as_bytes()));
        if written.is_ok() {
            if let Some(uri) = uri_of(&path) {
                out.insert(rule.id(), uri);
            }
        }
    }
    Some((dir, out))
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        let session = Arc::new(Session::default());
        let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<Result<Done, String>>();
        let worker = Worker::start(Arc::downgrade(&session), done_tx);
        let publisher = (client.clone(), session.clone());
        tokio::spawn(async move {
            let (client, session) = publisher;
            while let Some(done) = done_rx.recv().await {
                match done {
                    Ok(done) => publish(&client, &session, &done).await,
                    Err(message) => client.log_message(MessageType::ERROR, message).await,
                }
            }
        });
        Backend { client, session, worker, rule_docs_dir: std::sync::Mutex::new(None) }
    }

    fn schedule_all(&self) {
        for project in self.session.projects() {
            self.worker.schedule(project);
        }
    }

    /// Finds the projects of the workspace folders (on a blocking thread: it reads the disk),
    /// keeping those already known.
    async fn discover_projects(&self) {
        let session = self.session.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let folders = session.folders.read().map(|f| f.clone()).unwrap_or_default();
            let roots: Vec<PathBuf> = folders.iter().flat_map(|f| discover(f)).collect();
            let known = session.projects();
            let mut next: Vec<Arc<ProjectState>> = known.into_iter().filter(|p| roots.contains(&p.root)).collect();
            for root in roots {
                if !next.iter().any(|p| p.root == root) {
                    let state = ProjectState::new(root);
                    state.load();
                    next.push(Arc::new(state));
                }
            }
            if let Ok(mut projects) = session.projects.write() {
                *projects = next;
            }
        })
        .await;
    }

    /// Registers the file watchers, when the client takes watchers at run time (a client that does
    /// not would answer with an error, or never), on a task of its own: the answer is awaited at
    /// most [`CLIENT_TIMEOUT`], and no handler waits for it.
    fn register_watchers(&self) {
        if !self.session.capabilities().dynamic_watchers {
            return;
        }
        let globs = ["**/convex/**", "**/convex.json", "**/convex-migrate.json", "**/.git/HEAD", "**/.git/refs/**", "**/.git/packed-refs"];
        let mut watchers: Vec<FileSystemWatcher> =
            globs.iter().map(|g| FileSystemWatcher { glob_pattern: GlobPattern::String(g.to_string()), kind: None }).collect();
        // The snapshot export of the `snapshot` setting: re-read when it changes.
        if let Some(name) = self.session.settings().snapshot.as_deref().and_then(|s| std::path::Path::new(s).file_name()) {
            watchers.push(FileSystemWatcher { glob_pattern: GlobPattern::String(format!("**/{}", name.to_string_lossy())), kind: None });
        }
        // Custom functions folders (`convex.json`'s `functions`).
        for project in self.session.projects() {
            let dir = project.layout().functions_dir;
            if dir != "convex" {
                watchers.push(FileSystemWatcher { glob_pattern: GlobPattern::String(format!("**/{dir}/**")), kind: None });
            }
        }
        let options = DidChangeWatchedFilesRegistrationOptions { watchers };
        let registration = Registration {
            id: "convex-migrate-watch".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(options).ok(),
        };
        let client = self.client.clone();
        tokio::spawn(async move {
            if ask(CLIENT_TIMEOUT, client.register_capability(vec![registration])).await.is_none() {
                client.log_message(MessageType::WARNING, "convex-migrate: the editor did not accept the file watchers").await;
            }
        });
    }
}

/// Publishes a snapshot's diagnostics, unless a newer analysis of the project started meanwhile.
async fn publish(client: &Client, session: &Session, done: &Done) {
    let Done { project, snapshot, generation } = done;
    let unit = session.unit();
    let ws = &snapshot.ws;
    let mut by_path: HashMap<String, Vec<Diagnostic>> = HashMap::new();
    for finding in snapshot.analysis.findings.iter().filter(|f| !f.deferred_to_typescript(&ws.config.config)) {
        let diagnostic = convert::diagnostic(ws, &project.root, finding, unit, session.rule_doc(finding.rule.id()));
        by_path.entry(finding.location.path.clone()).or_default().push(diagnostic);
    }
    if let (Some(note), Some(schema)) = (&snapshot.base_note, ws.working.schema.as_ref()) {
        let rel = ws.working.path(schema.loc.file).to_string();
        let range =
            Converter::for_file(ws, Side::Working, &rel, unit).range(TextRange::new(schema.loc.range.start, schema.loc.range.start + 12));
        by_path.entry(rel).or_default().push(Diagnostic {
            range,
            severity: Some(DiagnosticSeverity::INFORMATION),
            source: Some("convex-migrate".into()),
            message: format!("convex-migrate: {note}"),
            ..Diagnostic::default()
        });
    }
    // What the editor shows now, by file: a closed file's sent again only where it changes (an
    // edit in one file seldom changes another's diagnostics; resending them all delays the
    // edited file's).
    let mut shown: HashMap<String, Published> = project.published.lock().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default();
    // Files with findings, files that had some, and every open document of the project (so the
    // editor learns that its current version was analysed, even when it is clean).
    let mut all: Vec<String> = by_path.keys().cloned().collect();
    all.extend(shown.keys().cloned());
    all.extend(snapshot.versions.keys().cloned());
    all.sort();
    all.dedup();
    for rel in all {
        if !project.is_current(*generation) {
            break;
        }
        let path = project.root.join(&rel);
        let Some(uri) = uri_of(&path) else { continue };
        // Never publish for a version the analysis did not see.
        let open_version = session.documents.get(&path).map(|d| d.version);
        let seen = snapshot.versions.get(&rel).copied();
        if open_version.is_some() && open_version != seen {
            continue;
        }
        let diagnostics = by_path.remove(&rel).unwrap_or_default();
        let now = Published { version: open_version, diagnostics };
        // An open document hears after every analysis (so its editor knows the analysis saw
        // it, changed or not); a closed file only when its diagnostics change.
        if open_version.is_none() && shown.get(&rel) == Some(&now) {
            continue;
        }
        client.publish_diagnostics(uri, now.diagnostics.clone(), open_version).await;
        if now.diagnostics.is_empty() && open_version.is_none() {
            shown.remove(&rel);
        } else {
            shown.insert(rel, now);
        }
    }
    if let Ok(mut p) = project.published.lock() {
        *p = shown;
    }
}

/// Runs a request's computation; a panic becomes an error answer and the server keeps serving.
fn guarded<T>(f: impl FnOnce() -> T) -> RpcResult<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| tower_lsp_server::jsonrpc::Error::internal_error())
}

fn read_settings(value: &Json) -> Option<Settings> {
    // Accept `{ "convexMigrate": {...} }` (VS Code's section) or the settings object itself.
    let inner = value.get("convexMigrate").unwrap_or(value);
    serde_json::from_value(inner.clone()).ok()
}

/// What the client can do, from its `initialize` capabilities.
fn capabilities(params: &InitializeParams) -> Capabilities {
    let caps = &params.capabilities;
    let resource_ops = caps.workspace.as_ref().and_then(|w| w.workspace_edit.as_ref()).and_then(|e| e.resource_operations.as_ref());
    let create_files = resource_ops.is_some_and(|ops| ops.contains(&ResourceOperationKind::Create));
    let delete_files = resource_ops.is_some_and(|ops| ops.contains(&ResourceOperationKind::Delete));
    let code_action = caps.text_document.as_ref().and_then(|t| t.code_action.as_ref());
    let resolve_edits = code_action.is_some_and(|c| {
        c.data_support == Some(true) && c.resolve_support.as_ref().is_some_and(|r| r.properties.iter().any(|p| p == "edit"))
    });
    let dynamic_watchers =
        caps.workspace.as_ref().and_then(|w| w.did_change_watched_files.as_ref()).and_then(|d| d.dynamic_registration).unwrap_or(false);
    // Server-initiated requests the client must have said it takes (LSP 3.17: `window.workDoneProgress`
    // for `window/workDoneProgress/create`, `workspace.applyEdit` for `workspace/applyEdit`).
    let work_done_progress = caps.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false);
    let apply_edit = caps.workspace.as_ref().and_then(|w| w.apply_edit).unwrap_or(false);
    Capabilities { create_files, delete_files, resolve_edits, dynamic_watchers, work_done_progress, apply_edit }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> RpcResult<InitializeResult> {
        let offered = params.capabilities.general.as_ref().and_then(|g| g.position_encodings.clone()).unwrap_or_default();
        let (unit, encoding) = if offered.contains(&PositionEncodingKind::UTF8) {
            (ColumnUnit::Utf8, PositionEncodingKind::UTF8)
        } else {
            (ColumnUnit::Utf16, PositionEncodingKind::UTF16)
        };
        self.session.set_unit(unit);
        let capabilities = capabilities(&params);
        self.session.set_capabilities(capabilities);
        let mut folders: Vec<PathBuf> = params.workspace_folders.unwrap_or_default().iter().filter_map(|f| path_of(&f.uri)).collect();
        #[allow(deprecated)]
        if folders.is_empty() {
            if let Some(root) = params.root_uri.as_ref().and_then(path_of) {
                folders.push(root);
            }
        }
        if let Ok(mut f) = self.session.folders.write() {
            *f = folders;
        }
        if let Some(settings) = params.initialization_options.as_ref().and_then(read_settings) {
            self.session.set_settings(settings);
        }
        Ok(InitializeResult {
            offset_encoding: None,
            server_info: Some(ServerInfo { name: "convex-migrate".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
            capabilities: ServerCapabilities {
                position_encoding: Some(encoding),
                text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    ..TextDocumentSyncOptions::default()
                })),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![commands::RUN.to_string(), commands::VERIFY.to_string()],
                    ..ExecuteCommandOptions::default()
                }),
                code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                    code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::REFACTOR]),
                    resolve_provider: Some(capabilities.resolve_edits),
                    ..CodeActionOptions::default()
                })),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                ..ServerCapabilities::default()
            },
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        if let Ok(Some((dir, docs))) = tokio::task::spawn_blocking(write_rule_docs).await {
            if let Ok(mut d) = self.session.rule_docs.write() {
                *d = docs;
            }
            if let Ok(mut kept) = self.rule_docs_dir.lock() {
                *kept = Some(dir);
            }
        }
        self.discover_projects().await;
        self.register_watchers();
        self.schedule_all();
    }

    async fn shutdown(&self) -> RpcResult<()> {
        // No analysis is wanted any more: the one in flight stops at its next checkpoint.
        self.worker.shut_down();
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let Some(path) = path_of(&params.text_document.uri) else { return };
        self.session.documents.insert(path.clone(), Document::new(&params.text_document.text, params.text_document.version));
        if let Some(project) = self.session.project_for(&path) {
            self.worker.schedule(project);
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let Some(path) = path_of(&params.text_document.uri) else { return };
        let unit = self.session.unit();
        match self.session.documents.get_mut(&path) {
            Some(mut doc) => doc.apply(params.content_changes, params.text_document.version, unit),
            None => return,
        }
        if let Some(project) = self.session.project_for(&path) {
            self.worker.schedule(project);
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let Some(path) = path_of(&params.text_document.uri) else { return };
        self.session.documents.remove(&path);
        if let Some(project) = self.session.project_for(&path) {
            if let Some(rel) = project.relative(&path) {
                let project = project.clone();
                let _ = tokio::task::spawn_blocking(move || project.refresh(&rel)).await;
            }
            self.worker.schedule(project);
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let mut touched: Vec<Arc<ProjectState>> = Vec::new();
        let mut rediscover = false;
        let mut refresh: Vec<(Arc<ProjectState>, String, bool)> = Vec::new();
        for event in params.changes {
            let Some(path) = path_of(&event.uri) else { continue };
            let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let in_git = path.components().any(|c| c.as_os_str() == ".git");
            if in_git {
                // A commit, checkout or pull: every project's base may have moved.
                for p in self.session.projects() {
                    p.reset_base();
                    if !touched.iter().any(|t| Arc::ptr_eq(t, &p)) {
                        touched.push(p);
                    }
                }
                continue;
            }
            if name == "convex.json" || (event.typ != FileChangeType::CHANGED && path.is_dir()) {
                rediscover = true;
            }
            if let Some(project) = self.session.project_for(&path) {
                if let Some(rel) = project.relative(&path) {
                    if name == "convex.json" || !self.session.documents.contains_key(&path) {
                        refresh.push((project.clone(), rel, name == "convex.json"));
                    }
                }
                if !touched.iter().any(|t| Arc::ptr_eq(t, &project)) {
                    touched.push(project);
                }
            } else if event.typ == FileChangeType::CREATED {
                rediscover = true;
            }
        }
        // Disk reads off the async threads.
        let _ = tokio::task::spawn_blocking(move || {
            for (project, rel, reload) in refresh {
                if reload {
                    project.load();
                } else {
                    project.refresh(&rel);
                }
            }
        })
        .await;
        if rediscover {
            self.discover_projects().await;
            touched = self.session.projects();
        }
        for project in touched {
            self.worker.schedule(project);
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        if let Some(settings) = read_settings(&params.settings) {
            self.session.set_settings(settings);
            for p in self.session.projects() {
                p.reset_base();
            }
            self.schedule_all();
        }
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        if let Ok(mut folders) = self.session.folders.write() {
            let removed: Vec<PathBuf> = params.event.removed.iter().filter_map(|f| path_of(&f.uri)).collect();
            folders.retain(|f| !removed.contains(f));
            folders.extend(params.event.added.iter().filter_map(|f| path_of(&f.uri)));
        }
        self.discover_projects().await;
        self.schedule_all();
    }

    async fn hover(&self, params: HoverParams) -> RpcResult<Option<Hover>> {
        guarded(|| actions::hover(&self.session, params))
    }

    async fn code_action(&self, params: CodeActionParams) -> RpcResult<Option<CodeActionResponse>> {
        guarded(|| actions::code_actions(&self.session, params))
    }

    async fn code_action_resolve(&self, action: CodeAction) -> RpcResult<CodeAction> {
        use tower_lsp_server::jsonrpc::Error;
        guarded(|| actions::resolve(&self.session, action))?.map_err(Error::invalid_params)
    }

    async fn code_lens(&self, params: CodeLensParams) -> RpcResult<Option<Vec<CodeLens>>> {
        guarded(|| actions::code_lenses(&self.session, params))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> RpcResult<Option<LSPAny>> {
        commands::execute(&self.client, &self.session, params).await
    }
}

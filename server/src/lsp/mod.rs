//! `convex-migrate lsp`: the language server on stdio. A thin shell over the analysis: it keeps
//! documents, finds projects, and turns findings, fixes and states into protocol messages.

mod commands;
mod document;
mod hover;
mod workspace;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use dashmap::DashMap;
use serde_json::Value as Json;
use tower_lsp_server::jsonrpc::Result as RpcResult;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use crate::analysis::Finding;
use crate::config::{Severity, FILE_NAME};
use crate::fixes::{self, Fix, FixKind};
use crate::line_index::{ColumnUnit, LineIndex, TextRange};
use crate::project::Loc;
use document::Document;
use workspace::{Overlay, ProjectState, Settings, Snapshot};

pub use workspace::discover;

/// Runs the server on stdin/stdout until the client exits.
pub fn run_stdio() -> i32 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(4)
        .thread_stack_size(crate::STACK_SIZE)
        .enable_all()
        .build();
    let Ok(runtime) = runtime else {
        eprintln!("error: cannot start the async runtime");
        return crate::cli::EXIT_ERROR;
    };
    runtime.block_on(async {
        let (service, socket) = LspService::new(Backend::new);
        Server::new(tokio::io::stdin(), tokio::io::stdout(), socket).serve(service).await;
    });
    // The client is gone (exit, or its end of the pipe closed): do not wait for work in flight,
    // such as a request to the client that will never be answered.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    0
}

/// The server: its client connection and its session.
pub struct Backend {
    client: Client,
    session: Arc<Session>,
}

/// Everything the server knows between requests.
#[derive(Default)]
struct Session {
    unit: RwLock<Option<ColumnUnit>>,
    folders: RwLock<Vec<PathBuf>>,
    projects: RwLock<Vec<Arc<ProjectState>>>,
    documents: DashMap<PathBuf, Document>,
    settings: RwLock<Settings>,
    base_cache: crate::sources::BaseCache,
    /// Whether the client can create files in a workspace edit.
    can_create_files: RwLock<bool>,
    /// Counts command runs (progress tokens).
    runs: std::sync::atomic::AtomicU64,
    /// Where each rule's documentation was written, for `codeDescription` links.
    rule_docs: RwLock<HashMap<&'static str, Uri>>,
}

/// Writes every rule's documentation (the text `convex-migrate explain` prints) to a folder of the
/// temporary directory, so diagnostics can link to it; the server's own files only.
fn write_rule_docs() -> HashMap<&'static str, Uri> {
    let dir = std::env::temp_dir().join(format!("convex-migrate-{}", env!("CARGO_PKG_VERSION"))).join("rules");
    let mut out = HashMap::new();
    if std::fs::create_dir_all(&dir).is_err() {
        return out;
    }
    for rule in crate::analysis::Rule::ALL {
        let path = dir.join(format!("{}.md", rule.id()));
        let fresh = std::fs::read_to_string(&path).is_ok_and(|t| t == rule.doc());
        if fresh || std::fs::write(&path, rule.doc()).is_ok() {
            if let Some(uri) = uri_of(&path) {
                out.insert(rule.id(), uri);
            }
        }
    }
    out
}

fn path_of(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

fn uri_of(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

/// Converts byte ranges of one text to protocol ranges.
struct Converter<'a> {
    text: &'a str,
    index: std::borrow::Cow<'a, LineIndex>,
    unit: ColumnUnit,
}

impl<'a> Converter<'a> {
    fn new(text: &'a str, unit: ColumnUnit) -> Converter<'a> {
        Converter { text, index: std::borrow::Cow::Owned(LineIndex::new(text)), unit }
    }

    /// For a file of a snapshot: reuses the line index its model already has.
    fn for_file(snapshot: &'a Snapshot, rel: &str, unit: ColumnUnit) -> Converter<'a> {
        match snapshot.working.file_id(rel) {
            Some(id) => {
                let file = snapshot.working.file(id);
                Converter { text: &file.text, index: std::borrow::Cow::Borrowed(&file.model.line_index), unit }
            }
            None => Converter::new(Session::snapshot_text(snapshot, rel).unwrap_or(""), unit),
        }
    }

    fn position(&self, offset: u32) -> Position {
        let lc = self.index.line_col(self.text, offset, self.unit);
        Position::new(lc.line, lc.col)
    }

    fn range(&self, r: TextRange) -> Range {
        Range { start: self.position(r.start), end: self.position(r.end) }
    }
}

impl Session {
    fn unit(&self) -> ColumnUnit {
        self.unit.read().ok().and_then(|u| *u).unwrap_or(ColumnUnit::Utf16)
    }

    fn project_for(&self, path: &Path) -> Option<Arc<ProjectState>> {
        let projects = self.projects.read().ok()?;
        projects.iter().filter(|p| path.starts_with(&p.root)).max_by_key(|p| p.root.components().count()).cloned()
    }

    /// The text of a project file as the latest snapshot saw it.
    fn snapshot_text<'s>(snapshot: &'s Snapshot, rel: &str) -> Option<&'s str> {
        if rel == FILE_NAME {
            return snapshot.config_text.as_deref();
        }
        snapshot.working.file_id(rel).map(|id| &*snapshot.working.file(id).text)
    }

    fn overlays(&self, project: &ProjectState) -> Vec<Overlay> {
        let mut out = Vec::new();
        for mut entry in self.documents.iter_mut() {
            let path = entry.key().clone();
            let Some(rel) = project.relative(&path) else { continue };
            let version = entry.version;
            let source = entry.value_mut().source(&rel);
            out.push(Overlay { path: rel, version, source });
        }
        out
    }
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend { client, session: Arc::new(Session::default()) }
    }

    /// Analyses one project in the background and publishes its diagnostics, unless a newer
    /// analysis of the project started meanwhile.
    async fn analyse(&self, project: Arc<ProjectState>) {
        let generation = project.next_generation();
        let overlays = self.session.overlays(&project);
        let settings = self.session.settings.read().map(|s| s.clone()).unwrap_or_default();
        let session = self.session.clone();
        let p = project.clone();
        let snapshot = tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.analyse(overlays, &settings, &session.base_cache)))
        })
        .await;
        let snapshot = match snapshot {
            Ok(Ok(s)) => Arc::new(s),
            _ => {
                self.client
                    .log_message(MessageType::ERROR, format!("convex-migrate: the analysis of {} failed", project.root.display()))
                    .await;
                return;
            }
        };
        if !project.is_current(generation) {
            return;
        }
        if let Ok(mut last) = project.last.lock() {
            *last = Some(snapshot.clone());
        }
        self.publish(&project, &snapshot, generation).await;
    }

    async fn publish(&self, project: &ProjectState, snapshot: &Snapshot, generation: u64) {
        let unit = self.session.unit();
        let mut by_path: HashMap<String, Vec<Diagnostic>> = HashMap::new();
        for finding in snapshot.analysis.findings.iter().filter(|f| !f.deferred_to_typescript(&snapshot.config)) {
            let diagnostic = self.diagnostic(project, snapshot, finding, unit);
            by_path.entry(finding.path.clone()).or_default().push(diagnostic);
        }
        if let Some(note) = &snapshot.base_note {
            if let Some(schema) = snapshot.working.schema.as_ref() {
                let rel = snapshot.working.path(schema.loc.file).to_string();
                let text = Session::snapshot_text(snapshot, &rel).unwrap_or("");
                let range = Converter::new(text, unit).range(TextRange::new(schema.loc.range.start, schema.loc.range.start + 12));
                by_path.entry(rel).or_default().push(Diagnostic {
                    range,
                    severity: Some(DiagnosticSeverity::INFORMATION),
                    source: Some("convex-migrate".into()),
                    message: format!("convex-migrate: {note}"),
                    ..Diagnostic::default()
                });
            }
        }
        let previous: Vec<String> = project.published.lock().map(|p| p.clone()).unwrap_or_default();
        let mut now: Vec<String> = Vec::new();
        // Files with findings, files that had some, and every open document of the project (so
        // the editor learns that its current version was analysed, even when it is clean).
        let mut all: Vec<String> = by_path.keys().cloned().collect();
        all.extend(previous.iter().cloned());
        all.extend(snapshot.versions.keys().cloned());
        all.sort();
        all.dedup();
        for rel in all {
            if !project.is_current(generation) {
                return;
            }
            let path = project.root.join(&rel);
            let Some(uri) = uri_of(&path) else { continue };
            // Never publish for a version the analysis did not see.
            let open_version = self.session.documents.get(&path).map(|d| d.version);
            let seen = snapshot.versions.get(&rel).copied();
            if open_version.is_some() && open_version != seen {
                if by_path.contains_key(&rel) {
                    now.push(rel);
                }
                continue;
            }
            let diagnostics = by_path.remove(&rel).unwrap_or_default();
            if !diagnostics.is_empty() {
                now.push(rel);
            }
            self.client.publish_diagnostics(uri, diagnostics, open_version).await;
        }
        if let Ok(mut p) = project.published.lock() {
            *p = now;
        }
    }

    fn diagnostic(&self, project: &ProjectState, snapshot: &Snapshot, finding: &Finding, unit: ColumnUnit) -> Diagnostic {
        let range = Converter::for_file(snapshot, &finding.path, unit).range(finding.range);
        let related: Vec<DiagnosticRelatedInformation> = finding
            .related
            .iter()
            .filter_map(|r| {
                let uri = uri_of(&project.root.join(&r.path))?;
                let range = Converter::for_file(snapshot, &r.path, unit).range(r.range);
                Some(DiagnosticRelatedInformation { location: Location { uri, range }, message: r.message.clone() })
            })
            .collect();
        let cx =
            fixes::FixContext { base: snapshot.base.as_deref(), config: &snapshot.config, config_text: snapshot.config_text.as_deref() };
        let fixes = fixes::for_finding(&snapshot.working, &cx, finding);
        let mut message = finding.message.clone();
        if let Some(help) = &finding.help {
            message.push_str(".\n");
            message.push_str(help);
        }
        Diagnostic {
            range,
            severity: Some(severity(finding.severity)),
            code: Some(NumberOrString::String(finding.rule.id().to_string())),
            code_description: self
                .session
                .rule_docs
                .read()
                .ok()
                .and_then(|d| d.get(finding.rule.id()).cloned())
                .map(|href| CodeDescription { href }),
            source: Some("convex-migrate".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            data: serde_json::to_value(serde_json::json!({ "fixes": fixes })).ok(),
            ..Diagnostic::default()
        }
    }

    /// A workspace edit for a fix, converted with the texts of the snapshot it was made from.
    fn workspace_edit(&self, project: &ProjectState, snapshot: &Snapshot, fix: &Fix) -> Option<WorkspaceEdit> {
        let unit = self.session.unit();
        let mut operations = Vec::new();
        let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
        let can_create = self.session.can_create_files.read().map(|c| *c).unwrap_or(false);
        for file in &fix.edits {
            let uri = uri_of(&project.root.join(&file.path))?;
            let text = if file.create { "" } else { Session::snapshot_text(snapshot, &file.path)? };
            let conv = Converter::new(text, unit);
            let edits: Vec<TextEdit> =
                file.edits.iter().map(|e| TextEdit { range: conv.range(e.range), new_text: e.new_text.clone() }).collect();
            if file.create {
                if !can_create {
                    return None;
                }
                operations.push(DocumentChangeOperation::Op(ResourceOp::Create(CreateFile {
                    uri: uri.clone(),
                    options: Some(CreateFileOptions { overwrite: Some(false), ignore_if_exists: Some(true) }),
                    annotation_id: None,
                })));
                operations.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier { uri, version: None },
                    edits: edits.into_iter().map(OneOf::Left).collect(),
                }));
            } else {
                changes.entry(uri).or_default().extend(edits);
            }
        }
        if operations.is_empty() {
            return Some(WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() });
        }
        for (uri, edits) in changes {
            operations.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier { uri, version: None },
                edits: edits.into_iter().map(OneOf::Left).collect(),
            }));
        }
        Some(WorkspaceEdit { document_changes: Some(DocumentChanges::Operations(operations)), ..WorkspaceEdit::default() })
    }

    fn code_action(
        &self,
        project: &ProjectState,
        snapshot: &Snapshot,
        fix: &Fix,
        diagnostic: Option<&Diagnostic>,
    ) -> Option<CodeActionOrCommand> {
        let edit = self.workspace_edit(project, snapshot, fix)?;
        Some(CodeActionOrCommand::CodeAction(CodeAction {
            title: fix.title.clone(),
            kind: Some(match fix.kind {
                FixKind::QuickFix => CodeActionKind::QUICKFIX,
                FixKind::Refactor => CodeActionKind::REFACTOR,
            }),
            diagnostics: diagnostic.map(|d| vec![d.clone()]),
            edit: Some(edit),
            is_preferred: fix.preferred.then_some(true),
            ..CodeAction::default()
        }))
    }

    /// The project and latest snapshot for a document, with its project-relative path and the
    /// byte offset of `pos` (only when the snapshot saw the document's current version).
    fn locate(&self, uri: &Uri, pos: Option<Position>) -> Option<(Arc<ProjectState>, Arc<Snapshot>, String, u32)> {
        let path = path_of(uri)?;
        let project = self.session.project_for(&path)?;
        let rel = project.relative(&path)?;
        let snapshot = project.last.lock().ok()?.clone()?;
        let offset = match (pos, self.session.documents.get(&path)) {
            (Some(pos), Some(doc)) => {
                if snapshot.versions.get(&rel) != Some(&doc.version) {
                    return None;
                }
                doc.offset(pos, self.session.unit())
            }
            (Some(pos), None) => {
                let text = Session::snapshot_text(&snapshot, &rel)?;
                LineIndex::new(text).offset(text, crate::line_index::LineCol { line: pos.line, col: pos.character }, self.session.unit())
            }
            (None, _) => 0,
        };
        Some((project, snapshot, rel, offset))
    }

    /// Records `field` as verified in the project's config through `workspace/applyEdit`, so the
    /// editor owns the change (and its undo).
    async fn record_verified(&self, project: &ProjectState, field: &str, prod: bool) -> bool {
        let path = project.root.join(FILE_NAME);
        let open_text = self.session.documents.get(&path).map(|d| d.text());
        let disk_text = crate::sources::disk::read_optional(&project.root, FILE_NAME).ok().flatten();
        let exists = open_text.is_some() || disk_text.is_some();
        let current = open_text.or(disk_text);
        let entry = crate::config::Verified {
            deployment: Some(if prod { "prod" } else { "dev" }.to_string()),
            at: Some(crate::ledger::now()),
            remaining: Some(0),
        };
        let text = match crate::ledger::record(current.as_deref(), field, &entry) {
            Ok(text) => text,
            Err(e) => {
                self.client.show_message(MessageType::ERROR, format!("convex-migrate: cannot record the verification: {e}")).await;
                return false;
            }
        };
        let Some(uri) = uri_of(&path) else { return false };
        let edit = if exists {
            let old = current.unwrap_or_default();
            let end = Converter::new(&old, self.session.unit()).position(old.len() as u32);
            let mut changes = HashMap::new();
            changes.insert(uri, vec![TextEdit { range: Range { start: Position::new(0, 0), end }, new_text: text }]);
            WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() }
        } else {
            WorkspaceEdit {
                document_changes: Some(DocumentChanges::Operations(vec![
                    DocumentChangeOperation::Op(ResourceOp::Create(CreateFile {
                        uri: uri.clone(),
                        options: Some(CreateFileOptions { overwrite: Some(false), ignore_if_exists: Some(true) }),
                        annotation_id: None,
                    })),
                    DocumentChangeOperation::Edit(TextDocumentEdit {
                        text_document: OptionalVersionedTextDocumentIdentifier { uri, version: None },
                        edits: vec![OneOf::Left(TextEdit { range: Range::default(), new_text: text })],
                    }),
                ])),
                ..WorkspaceEdit::default()
            }
        };
        match self.client.apply_edit(edit).await {
            Ok(response) if response.applied => true,
            Ok(response) => {
                let reason = response.failure_reason.unwrap_or_else(|| "the editor did not apply it".into());
                self.client.show_message(MessageType::ERROR, format!("convex-migrate: the ledger edit was not applied: {reason}")).await;
                false
            }
            Err(e) => {
                self.client.show_message(MessageType::ERROR, format!("convex-migrate: the ledger edit failed: {e}")).await;
                false
            }
        }
    }

    fn code_actions(&self, params: CodeActionParams) -> Option<CodeActionResponse> {
        let (project, snapshot, rel, offset) = self.locate(&params.text_document.uri, Some(params.range.start))?;
        let mut actions = Vec::new();
        for diagnostic in &params.context.diagnostics {
            let fixes: Vec<Fix> = diagnostic
                .data
                .as_ref()
                .and_then(|d| d.get("fixes"))
                .and_then(|f| serde_json::from_value(f.clone()).ok())
                .unwrap_or_default();
            for fix in &fixes {
                actions.extend(self.code_action(&project, &snapshot, fix, Some(diagnostic)));
            }
        }
        // Refactors where the cursor is: a finished backfill…
        if let Some(file) = snapshot.working.file_id(&rel) {
            for function in snapshot.working.functions.iter().filter(|f| f.file == file && f.statement.range.contains(offset)) {
                if let Some(fix) = fixes::remove_finished_migration(&snapshot.working, snapshot.base.as_deref(), function) {
                    actions.extend(self.code_action(&project, &snapshot, &fix, None));
                }
            }
        }
        // …or a schema field on the migration path.
        if let Some((table, field)) = fixes::field_at(&snapshot.working, &rel, TextRange::empty(offset)) {
            let mut refactors = Vec::new();
            if field.validator.is_optional() && snapshot.config.is_verified(&table.name, &field.name) {
                refactors.extend(fixes::make_required(&snapshot.working, field));
            }
            let state = crate::analysis::state::field_state(
                &snapshot.working,
                snapshot.base.as_deref(),
                &snapshot.config,
                &table.name,
                &field.name,
            );
            if let Some(state) = state.filter(|s| s.in_transition()) {
                if state.backfills.is_empty() {
                    refactors.extend(fixes::codegen::backfill(
                        &snapshot.working,
                        table,
                        &field.name,
                        field.validator.required(),
                        state.goal,
                    ));
                }
                if state.verifies.is_empty() {
                    refactors.extend(fixes::codegen::verify(&snapshot.working, table, &field.name, state.goal));
                }
            }
            for mut fix in refactors {
                let duplicate = actions.iter().any(|a| matches!(a, CodeActionOrCommand::CodeAction(c) if c.title == fix.title));
                if !duplicate {
                    fix.kind = FixKind::Refactor;
                    actions.extend(self.code_action(&project, &snapshot, &fix, None));
                }
            }
        }
        (!actions.is_empty()).then_some(actions)
    }

    fn code_lenses(&self, params: CodeLensParams) -> Option<Vec<CodeLens>> {
        let (project, snapshot, rel, _) = self.locate(&params.text_document.uri, None)?;
        let path = path_of(&params.text_document.uri)?;
        if let Some(doc) = self.session.documents.get(&path) {
            if snapshot.versions.get(&rel) != Some(&doc.version) {
                return None;
            }
        }
        let file = snapshot.working.file_id(&rel)?;
        let text = &*snapshot.working.file(file).text;
        let conv = Converter::new(text, self.session.unit());
        let lenses: Vec<CodeLens> = crate::analysis::state::migration_functions(&snapshot.working, snapshot.base.as_deref(), file)
            .into_iter()
            .map(|(function, role)| {
                let (command, title, field) = match &role {
                    crate::analysis::state::MigrationRole::Backfill { table, field, .. } => {
                        (commands::RUN, format!("▶ Run backfill of {table}.{field}: npx convex run {}", function.reference), None)
                    }
                    crate::analysis::state::MigrationRole::Verify { table, field } => (
                        commands::VERIFY,
                        format!("✓ Verify {table}.{field}: npx convex run {}", function.reference),
                        Some(format!("{table}.{field}")),
                    ),
                };
                let args = commands::RunArgs { root: project.root.clone(), function: function.reference.clone(), field, prod: false };
                CodeLens {
                    range: conv.range(function.loc.range),
                    command: Some(Command {
                        title,
                        command: command.to_string(),
                        arguments: serde_json::to_value(args).ok().map(|a| vec![a]),
                    }),
                    data: None,
                }
            })
            .collect();
        Some(lenses)
    }

    async fn analyse_all(&self) {
        let projects: Vec<Arc<ProjectState>> = self.session.projects.read().map(|p| p.clone()).unwrap_or_default();
        for project in projects {
            self.analyse(project).await;
        }
    }

    /// Finds the projects of the workspace folders (on a blocking thread: it reads the disk),
    /// keeping those already known.
    async fn discover_projects(&self) {
        let session = self.session.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let folders = session.folders.read().map(|f| f.clone()).unwrap_or_default();
            let roots: Vec<PathBuf> = folders.iter().flat_map(|f| discover(f)).collect();
            let known: Vec<Arc<ProjectState>> = session.projects.read().map(|p| p.clone()).unwrap_or_default();
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

    async fn register_watchers(&self) {
        let globs = ["**/convex/**", "**/convex.json", "**/convex-migrate.json", "**/.git/HEAD", "**/.git/refs/**", "**/.git/packed-refs"];
        let mut watchers: Vec<FileSystemWatcher> =
            globs.iter().map(|g| FileSystemWatcher { glob_pattern: GlobPattern::String(g.to_string()), kind: None }).collect();
        // Custom functions folders (`convex.json`'s `functions`).
        let projects: Vec<Arc<ProjectState>> = self.session.projects.read().map(|p| p.clone()).unwrap_or_default();
        for project in projects {
            let dir = project.layout.lock().map(|l| l.functions_dir.clone()).unwrap_or_default();
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
        let _ = self.client.register_capability(vec![registration]).await;
    }
}

/// The hover at `offset` of `rel`: a schema field in transition, a backfill or verify function
/// (its field's state), or a table read or written (the migrations in flight on it).
fn hover_at(snapshot: &Snapshot, rel: &str, offset: u32, unit: ColumnUnit) -> Option<Hover> {
    use crate::analysis::state::{field_state, migration_functions, MigrationRole};
    let working = &snapshot.working;
    let text = Session::snapshot_text(snapshot, rel)?;
    let conv = Converter::new(text, unit);
    let locate = |path: &str, loc: Option<Loc>| match loc {
        Some(loc) => {
            let text = Session::snapshot_text(snapshot, path).unwrap_or("");
            format!("{path}:{}", Converter::new(text, unit).position(loc.range.start).line + 1)
        }
        None => format!("{path} at the base"),
    };
    let state_of = |table: &str, field: &str| field_state(working, snapshot.base.as_deref(), &snapshot.config, table, field);
    let markdown = |value: String, range: TextRange| Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value }),
        range: Some(conv.range(range)),
    };
    let schema = working.schema.as_ref()?;
    // A schema field.
    let field = schema.tables.iter().find_map(|t| {
        t.fields
            .iter()
            .find(|f| working.path(f.loc.file) == rel && f.loc.range.start <= offset && offset <= f.loc.range.end)
            .map(|f| (t, f))
    });
    let pairs = crate::analysis::dual_write::pairs(working, snapshot.base.as_deref(), &snapshot.config);
    let locate_fn = |f: &crate::project::Function| locate(working.path(f.file), Some(f.loc));
    let pair_text = |pair: &crate::analysis::dual_write::Pair| {
        hover::pair_markdown(pair, &crate::analysis::dual_write::phase(working, pair), &locate_fn)
    };
    if let Some((table, field)) = field {
        let side = |s: &crate::analysis::dual_write::Side| s.table == table.name && s.field.as_deref() == Some(field.name.as_str());
        let mut value: Vec<String> = pairs.iter().filter(|p| side(&p.from) || side(&p.to)).map(&pair_text).collect();
        if let Some(state) = state_of(&table.name, &field.name).filter(|s| s.in_transition()) {
            value.insert(0, hover::field_markdown(&state, &locate));
        }
        return (!value.is_empty()).then(|| markdown(value.join("\n---\n\n"), field.loc.range));
    }
    let file = working.file_id(rel)?;
    // A write of a dual-write pair.
    for pair in &pairs {
        for site in crate::analysis::dual_write::sites(working, pair) {
            if let Some(loc) = site.writes_from.iter().chain(&site.writes_to).find(|l| l.file == file && l.range.contains(offset)) {
                return Some(markdown(pair_text(pair), loc.range));
            }
        }
    }
    // A backfill or verify function's name.
    for (function, role) in migration_functions(working, snapshot.base.as_deref(), file) {
        if !function.loc.range.contains(offset) {
            continue;
        }
        let (what, table, field) = match &role {
            MigrationRole::Backfill { table, field, .. } => ("Backfill", table, field),
            MigrationRole::Verify { table, field } => ("Verify", table, field),
        };
        let mut value = format!("{what} of `{table}.{field}`\n\n");
        if let Some(state) = state_of(table, field) {
            value.push_str(&hover::field_markdown(&state, &locate));
        }
        return Some(markdown(value, function.loc.range));
    }
    // A table read or written here.
    for function in working.functions.iter() {
        let reads = function.reads.iter().filter(|r| r.file == file).map(|r| (&r.item.table, r.item.range));
        let writes = function.writes.iter().filter(|w| w.file == file).map(|w| (&w.item.table, w.item.method_range));
        for (table, range) in reads.chain(writes) {
            let crate::model::body::TableRef::Name(table) = table else { continue };
            if !range.contains(offset) {
                continue;
            }
            let fields: Vec<String> = schema
                .table(table)?
                .fields
                .iter()
                .filter_map(|f| state_of(table, &f.name).filter(|s| s.in_transition()))
                .map(|s| format!("- `{}.{}`: {}", s.table, s.field, s.phase))
                .collect();
            if fields.is_empty() {
                return None;
            }
            return Some(markdown(format!("**Migrations in flight on `{table}`**\n\n{}\n", fields.join("\n")), range));
        }
    }
    None
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

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> RpcResult<InitializeResult> {
        let offered = params.capabilities.general.as_ref().and_then(|g| g.position_encodings.clone()).unwrap_or_default();
        let (unit, encoding) = if offered.contains(&PositionEncodingKind::UTF8) {
            (ColumnUnit::Utf8, PositionEncodingKind::UTF8)
        } else {
            (ColumnUnit::Utf16, PositionEncodingKind::UTF16)
        };
        if let Ok(mut u) = self.session.unit.write() {
            *u = Some(unit);
        }
        let create = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.workspace_edit.as_ref())
            .and_then(|e| e.resource_operations.as_ref())
            .is_some_and(|ops| ops.contains(&ResourceOperationKind::Create));
        if let Ok(mut c) = self.session.can_create_files.write() {
            *c = create;
        }
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
            if let Ok(mut s) = self.session.settings.write() {
                *s = settings;
            }
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
        let docs = tokio::task::spawn_blocking(write_rule_docs).await.unwrap_or_default();
        if let Ok(mut d) = self.session.rule_docs.write() {
            *d = docs;
        }
        self.discover_projects().await;
        self.register_watchers().await;
        self.analyse_all().await;
    }

    async fn shutdown(&self) -> RpcResult<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let Some(path) = path_of(&params.text_document.uri) else { return };
        self.session.documents.insert(path.clone(), Document::new(&params.text_document.text, params.text_document.version));
        if let Some(project) = self.session.project_for(&path) {
            self.analyse(project).await;
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let Some(path) = path_of(&params.text_document.uri) else { return };
        // Apply the edit before any await: handlers run concurrently.
        let unit = self.session.unit();
        if let Some(mut doc) = self.session.documents.get_mut(&path) {
            doc.apply(params.content_changes, params.text_document.version, unit);
        } else {
            return;
        }
        if let Some(project) = self.session.project_for(&path) {
            self.analyse(project).await;
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let Some(path) = path_of(&params.text_document.uri) else { return };
        self.session.documents.remove(&path);
        if let Some(project) = self.session.project_for(&path) {
            if let Some(rel) = project.relative(&path) {
                project.refresh(&rel);
            }
            self.analyse(project).await;
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let mut touched: Vec<Arc<ProjectState>> = Vec::new();
        let mut rediscover = false;
        for event in params.changes {
            let Some(path) = path_of(&event.uri) else { continue };
            let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let in_git = path.components().any(|c| c.as_os_str() == ".git");
            if in_git {
                // A commit, checkout or pull: every project's base may have moved.
                let projects: Vec<Arc<ProjectState>> = self.session.projects.read().map(|p| p.clone()).unwrap_or_default();
                for p in projects {
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
                    if name == "convex.json" {
                        project.load();
                    } else if !self.session.documents.contains_key(&path) {
                        project.refresh(&rel);
                    }
                }
                if !touched.iter().any(|t| Arc::ptr_eq(t, &project)) {
                    touched.push(project);
                }
            } else if event.typ == FileChangeType::CREATED {
                rediscover = true;
            }
        }
        if rediscover {
            self.discover_projects().await;
            touched = self.session.projects.read().map(|p| p.clone()).unwrap_or_default();
        }
        for project in touched {
            self.analyse(project).await;
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        if let Some(settings) = read_settings(&params.settings) {
            if let Ok(mut s) = self.session.settings.write() {
                *s = settings;
            }
            let projects: Vec<Arc<ProjectState>> = self.session.projects.read().map(|p| p.clone()).unwrap_or_default();
            for p in &projects {
                p.reset_base();
            }
            self.analyse_all().await;
        }
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        if let Ok(mut folders) = self.session.folders.write() {
            let removed: Vec<PathBuf> = params.event.removed.iter().filter_map(|f| path_of(&f.uri)).collect();
            folders.retain(|f| !removed.contains(f));
            folders.extend(params.event.added.iter().filter_map(|f| path_of(&f.uri)));
        }
        self.discover_projects().await;
        self.analyse_all().await;
    }

    async fn hover(&self, params: HoverParams) -> RpcResult<Option<Hover>> {
        let position = params.text_document_position_params;
        let Some((_, snapshot, rel, offset)) = self.locate(&position.text_document.uri, Some(position.position)) else {
            return Ok(None);
        };
        let unit = self.session.unit();
        guarded(|| hover_at(&snapshot, &rel, offset, unit))
    }

    async fn code_action(&self, params: CodeActionParams) -> RpcResult<Option<CodeActionResponse>> {
        guarded(|| self.code_actions(params))
    }

    async fn code_lens(&self, params: CodeLensParams) -> RpcResult<Option<Vec<CodeLens>>> {
        guarded(|| self.code_lenses(params))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> RpcResult<Option<LSPAny>> {
        use tower_lsp_server::jsonrpc::Error;
        if params.command != commands::RUN && params.command != commands::VERIFY {
            return Err(Error::invalid_params(format!("unknown command `{}`", params.command)));
        }
        let args: Option<commands::RunArgs> = params.arguments.first().and_then(|a| serde_json::from_value(a.clone()).ok());
        let Some(args) = args else {
            return Err(Error::invalid_params("expected one argument { root, function, field?, prod? }"));
        };
        let project = self.session.projects.read().ok().and_then(|p| p.iter().find(|p| p.root == args.root).cloned());
        let Some(project) = project else {
            return Err(Error::invalid_params(format!("{} is not a Convex project of this workspace", args.root.display())));
        };
        if !commands::valid_reference(&args.function) {
            return Err(Error::invalid_params(format!("`{}` is not a Convex function reference", args.function)));
        }
        let verify_field = if params.command == commands::VERIFY {
            match args.field.as_deref().filter(|f| f.split('.').count() == 2) {
                Some(f) => Some(f.to_string()),
                None => return Err(Error::invalid_params("verify needs `field` as `table.field`")),
            }
        } else {
            None
        };
        let npx = self.session.settings.read().ok().and_then(|s| s.npx_path.clone()).unwrap_or_else(|| "npx".to_string());
        let token = self.session.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let line = commands::command_line(&args);
        let output = match commands::run(&self.client, &npx, &args, token).await {
            Ok(output) => output,
            Err(e) => {
                let message =
                    format!("convex-migrate: cannot run `{line}` ({npx}: {e}). Is Node.js installed, or set convexMigrate.npxPath?");
                self.client.show_message(MessageType::ERROR, &message).await;
                return Err(Error { code: tower_lsp_server::jsonrpc::ErrorCode::InternalError, message: message.into(), data: None });
            }
        };
        if !output.success {
            let last = output.stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("see the output log");
            self.client.show_message(MessageType::ERROR, format!("convex-migrate: `{line}` failed: {last}")).await;
            return Ok(Some(serde_json::json!({ "success": false, "output": output.stdout, "error": output.stderr })));
        }
        let Some(field) = verify_field else {
            self.client.show_message(MessageType::INFO, format!("convex-migrate: `{line}` finished")).await;
            return Ok(Some(serde_json::json!({ "success": true, "output": output.stdout })));
        };
        let result = crate::ledger::parse_verify_output(&output.stdout);
        let Some(result) = result else {
            self.client
                .show_message(
                    MessageType::WARNING,
                    format!("convex-migrate: `{line}` did not return {{ remaining }}; the ledger is unchanged"),
                )
                .await;
            return Ok(Some(serde_json::json!({ "success": true, "recorded": false, "output": output.stdout })));
        };
        if result.remaining > 0 {
            self.client
                .show_message(
                    MessageType::WARNING,
                    format!(
                        "convex-migrate: {} documents still need the migration of {field}; run the backfill again. The ledger is unchanged",
                        result.remaining
                    ),
                )
                .await;
            return Ok(Some(serde_json::json!({ "success": true, "recorded": false, "remaining": result.remaining })));
        }
        let recorded = self.record_verified(&project, &field, args.prod).await;
        if recorded {
            self.client
                .show_message(MessageType::INFO, format!("convex-migrate: {field} verified (nothing left); recorded in {FILE_NAME}"))
                .await;
        }
        Ok(Some(serde_json::json!({ "success": true, "recorded": recorded, "remaining": 0, "scanned": result.scanned })))
    }
}

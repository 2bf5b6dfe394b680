//! Requests answered from the latest snapshot: code actions (the findings' fixes and the
//! refactors at the cursor, offered by title and built on `codeAction/resolve`), hover and code
//! lenses. Each converts between the protocol and the core, and nothing more.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::*;

use crate::analysis::command::RunCommand;
use crate::analysis::state::{migration_functions, MigrationRole};
use crate::analysis::{Recipe, Side};
use crate::fixes::{self, Fix, FixKind, Offer};
use crate::lsp::commands;
use crate::lsp::convert::{path_of, uri_of, Converter, FindingKey};
use crate::lsp::session::Session;
use crate::lsp::workspace::{ProjectState, Snapshot};

/// What a code action carries until it is resolved: where it was asked, and its recipe.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    uri: Uri,
    version: Option<i32>,
    recipe: Recipe,
    refactor: bool,
}

/// The project and latest snapshot for a document, with its project-relative path, only when the
/// snapshot saw the document's current version.
pub fn locate(session: &Session, uri: &Uri) -> Option<(Arc<ProjectState>, Arc<Snapshot>, String)> {
    let path = path_of(uri)?;
    let project = session.project_for(&path)?;
    let rel = project.relative(&path)?;
    let snapshot = project.last.lock().ok()?.clone()?;
    if let Some(doc) = session.documents.get(&path) {
        if snapshot.versions.get(&rel) != Some(&doc.version) {
            return None;
        }
    }
    Some((project, snapshot, rel))
}

/// The byte offset of a client position in a located document.
fn offset(session: &Session, snapshot: &Snapshot, rel: &str, position: Position) -> u32 {
    Converter::for_file(&snapshot.ws, Side::Working, rel, session.unit()).offset(position)
}

pub fn code_actions(session: &Session, params: CodeActionParams) -> Option<CodeActionResponse> {
    let uri = params.text_document.uri;
    let (project, snapshot, rel) = locate(session, &uri)?;
    let version = snapshot.versions.get(&rel).copied();
    let ws = &snapshot.ws;
    let eager = !session.capabilities().resolve_edits;
    let mut actions: Vec<CodeActionOrCommand> = Vec::new();
    let offer = |recipe: &Recipe, offered: Offer, diagnostic: Option<&Diagnostic>, refactor: bool| -> Option<CodeActionOrCommand> {
        let kind = if refactor { FixKind::Refactor } else { offered.kind };
        let mut action = CodeAction {
            title: offered.title,
            kind: Some(match kind {
                FixKind::QuickFix => CodeActionKind::QUICKFIX,
                FixKind::Refactor => CodeActionKind::REFACTOR,
            }),
            diagnostics: diagnostic.map(|d| vec![d.clone()]),
            is_preferred: offered.preferred.then_some(true),
            ..CodeAction::default()
        };
        if eager {
            action.edit = Some(fixes::build(recipe, ws).and_then(|fix| workspace_edit(session, &project, &snapshot, &fix))?);
        } else {
            let pending = Pending { uri: uri.clone(), version, recipe: recipe.clone(), refactor };
            action.data = serde_json::to_value(pending).ok();
        }
        Some(CodeActionOrCommand::CodeAction(action))
    };
    for diagnostic in &params.context.diagnostics {
        let key: Option<FindingKey> =
            diagnostic.data.as_ref().and_then(|d| d.get("key")).and_then(|k| serde_json::from_value(k.clone()).ok());
        let Some(key) = key else { continue };
        let Some(finding) = snapshot.analysis.findings.iter().find(|f| f.location.path == rel && key.matches(f)) else { continue };
        for recipe in &finding.fixes {
            if let Some(offered) = fixes::offer(recipe, ws) {
                actions.extend(offer(recipe, offered, Some(diagnostic), false));
            }
        }
    }
    let at = offset(session, &snapshot, &rel, params.range.start);
    for recipe in fixes::assists(ws, &rel, at) {
        let Some(offered) = fixes::offer(&recipe, ws) else { continue };
        if actions.iter().any(|a| matches!(a, CodeActionOrCommand::CodeAction(c) if c.title == offered.title)) {
            continue;
        }
        actions.extend(offer(&recipe, offered, None, true));
    }
    (!actions.is_empty()).then_some(actions)
}

/// `codeAction/resolve`: builds the edit of an action offered earlier, from the snapshot of the
/// same document version; an error when the document changed since.
pub fn resolve(session: &Session, mut action: CodeAction) -> Result<CodeAction, String> {
    let pending: Pending = action
        .data
        .as_ref()
        .and_then(|d| serde_json::from_value(d.clone()).ok())
        .ok_or("this code action was not offered by convex-migrate")?;
    let stale = || "the document changed since this code action was offered; ask for code actions again".to_string();
    let (project, snapshot, rel) = locate(session, &pending.uri).ok_or_else(stale)?;
    if snapshot.versions.get(&rel).copied() != pending.version {
        return Err(stale());
    }
    let fix = fixes::build(&pending.recipe, &snapshot.ws).ok_or_else(stale)?;
    action.edit = Some(workspace_edit(session, &project, &snapshot, &fix).ok_or("the editor cannot create the files this fix needs")?);
    Ok(action)
}

/// A workspace edit for a fix, converted with the texts of the snapshot it was made from.
pub fn workspace_edit(session: &Session, project: &ProjectState, snapshot: &Snapshot, fix: &Fix) -> Option<WorkspaceEdit> {
    let unit = session.unit();
    let mut operations = Vec::new();
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    let can_create = session.capabilities().create_files;
    for file in &fix.edits {
        // Never an edit outside the project, nor through a link that leads out of it.
        crate::sources::apply::target(&project.root, &file.path).ok()?;
        let uri = uri_of(&project.root.join(&file.path))?;
        if file.delete {
            if !session.capabilities().delete_files {
                return None;
            }
            operations.push(DocumentChangeOperation::Op(ResourceOp::Delete(DeleteFile {
                uri,
                options: Some(DeleteFileOptions { recursive: Some(false), ignore_if_not_exists: Some(true) }),
                annotation_id: None,
            })));
            continue;
        }
        let text = if file.create { "" } else { snapshot.ws.text(Side::Working, &file.path)? };
        let conv = Converter::new(text, unit);
        let edits: Vec<TextEdit> =
            file.presented().into_iter().map(|e| TextEdit { range: conv.range(e.range), new_text: e.new_text }).collect();
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

pub fn hover(session: &Session, params: HoverParams) -> Option<Hover> {
    let position = params.text_document_position_params;
    let (_, snapshot, rel) = locate(session, &position.text_document.uri)?;
    let at = offset(session, &snapshot, &rel, position.position);
    let found = crate::analysis::hover::at(&snapshot.ws, &rel, at)?;
    let conv = Converter::for_file(&snapshot.ws, Side::Working, &rel, session.unit());
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: found.markdown }),
        range: Some(conv.range(found.range)),
    })
}

/// A lens over each backfill and verify function: the command that runs it.
pub fn code_lenses(session: &Session, params: CodeLensParams) -> Option<Vec<CodeLens>> {
    let (project, snapshot, rel) = locate(session, &params.text_document.uri)?;
    let file = snapshot.ws.working.file_id(&rel)?;
    let conv = Converter::for_file(&snapshot.ws, Side::Working, &rel, session.unit());
    let lenses = migration_functions(&snapshot.ws, file)
        .into_iter()
        .map(|(function, role)| {
            let run = crate::analysis::command::run_of(function)
                .unwrap_or_else(|_| RunCommand::new(&function.reference))
                .via(snapshot.ws.tools.runner);
            let (command, title, field) = match &role {
                MigrationRole::Backfill { table, field, .. } => (commands::RUN, format!("▶ Run backfill of {table}.{field}: {run}"), None),
                MigrationRole::Verify { table, field } => {
                    (commands::VERIFY, format!("✓ Verify {table}.{field}: {run}"), Some(format!("{table}.{field}")))
                }
            };
            let args = commands::RunArgs {
                root: project.root.clone(),
                function: function.reference.clone(),
                field,
                prod: false,
                deployment: None,
                args: run.args.clone(),
            };
            CodeLens {
                range: conv.range(function.loc.range),
                command: Some(Command { title, command: command.to_string(), arguments: serde_json::to_value(args).ok().map(|a| vec![a]) }),
                data: None,
            }
        })
        .collect();
    Some(lenses)
}

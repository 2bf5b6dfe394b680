//! `workspace/executeCommand`: running a backfill or a verify function with `npx convex run`,
//! only when the user invokes it, streaming its output to the client.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader};
use tower_lsp_server::jsonrpc::Result as RpcResult;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::Client;

use crate::analysis::command::RunCommand;
use crate::config::FILE_NAME;
use crate::lsp::convert::{uri_of, Converter};
use crate::lsp::session::Session;
use crate::lsp::workspace::ProjectState;

/// How long the server waits for the editor to apply the ledger edit.
const APPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

pub const RUN: &str = "convex-migrate.run";
pub const VERIFY: &str = "convex-migrate.verify";

/// The argument of both commands.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RunArgs {
    /// The project root (absolute).
    pub root: PathBuf,
    /// `migrations:backfillUsersRole`.
    pub function: String,
    /// `users.role`, for verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Against production (`--prod`).
    #[serde(default)]
    pub prod: bool,
    /// Against another deployment (`--deployment NAME`); without it and `prod`, the developer's dev
    /// deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    /// The JSON arguments the function requires (`{"cursor": null}`); only a JSON object is passed on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<String>,
}

impl RunArgs {
    /// The deployment the run is against, as the ledger names it.
    pub fn deployment(&self) -> &str {
        match (&self.deployment, self.prod) {
            (_, true) => "prod",
            (Some(d), false) => d,
            (None, false) => "dev",
        }
    }
}

/// What a run produced.
pub struct RunOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Whether a function reference is one `npx convex run` takes (and nothing that looks like a flag).
pub fn valid_reference(reference: &str) -> bool {
    !reference.is_empty()
        && !reference.starts_with('-')
        && reference.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | ':' | '.' | '-'))
}

/// The command a run makes.
pub fn run_command(args: &RunArgs) -> RunCommand {
    let run = RunCommand::new(&args.function).on(args.deployment());
    match args.args.as_deref().filter(|a| serde_json::from_str::<serde_json::Value>(a).is_ok_and(|v| v.is_object())) {
        Some(json) => run.args(json),
        None => run,
    }
}

/// The command line, as shown to the user.
pub fn command_line(args: &RunArgs) -> String {
    run_command(args).to_string()
}

/// Runs `npx convex run FUNCTION [--prod]` in the project root, streaming each output line to the
/// client's log and progress.
/// Progress is shown only to a client that takes `window/workDoneProgress/create`.
pub async fn run(client: &Client, npx: &str, args: &RunArgs, token: u64, with_progress: bool) -> std::io::Result<RunOutput> {
    let mut command = tokio::process::Command::new(npx);
    command.args(run_command(args).argv());
    command.current_dir(&args.root).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = command.spawn()?;
    let title = command_line(args);
    let token = NumberOrString::String(format!("convex-migrate/run/{token}"));
    // A client that does not answer gets no progress, not a run that waits for it.
    let asked = if with_progress {
        crate::lsp::ask(crate::lsp::CLIENT_TIMEOUT, client.create_work_done_progress(token.clone())).await
    } else {
        None
    };
    let progress = match asked {
        Some(()) => Some(client.progress(token, title.clone()).begin().await),
        None => None,
    };
    client.log_message(MessageType::INFO, format!("$ {title}  (in {})", args.root.display())).await;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let mut out_lines = stdout.map(|s| BufReader::new(s).lines());
    let mut err_lines = stderr.map(|s| BufReader::new(s).lines());
    let (mut out, mut err) = (String::new(), String::new());
    loop {
        tokio::select! {
            line = async { match out_lines.as_mut() { Some(l) => l.next_line().await, None => Ok(None) } }, if out_lines.is_some() => {
                match line {
                    Ok(Some(line)) => {
                        client.log_message(MessageType::INFO, &line).await;
                        if let Some(p) = &progress { p.report(line.clone()).await; }
                        out.push_str(&line);
                        out.push('\n');
                    }
                    _ => out_lines = None,
                }
            }
            line = async { match err_lines.as_mut() { Some(l) => l.next_line().await, None => Ok(None) } }, if err_lines.is_some() => {
                match line {
                    Ok(Some(line)) => {
                        client.log_message(MessageType::LOG, &line).await;
                        err.push_str(&line);
                        err.push('\n');
                    }
                    _ => err_lines = None,
                }
            }
            else => break,
        }
    }
    let status = child.wait().await?;
    if let Some(p) = progress {
        p.finish_with_message(if status.success() { "done" } else { "failed" }).await;
    }
    Ok(RunOutput { success: status.success(), stdout: out, stderr: err })
}

/// `workspace/executeCommand`: runs a backfill or a verify function (only when the user invokes
/// it), streams its output, and for a verify with nothing left records the field in the ledger.
pub async fn execute(client: &Client, session: &Session, params: ExecuteCommandParams) -> RpcResult<Option<LSPAny>> {
    use tower_lsp_server::jsonrpc::Error;
    if params.command != RUN && params.command != VERIFY {
        return Err(Error::invalid_params(format!("unknown command `{}`", params.command)));
    }
    let args: Option<RunArgs> = params.arguments.first().and_then(|a| serde_json::from_value(a.clone()).ok());
    let Some(args) = args else {
        return Err(Error::invalid_params("expected one argument { root, function, field?, prod? }"));
    };
    let project = session.projects().into_iter().find(|p| p.root == args.root);
    let Some(project) = project else {
        return Err(Error::invalid_params(format!("{} is not a Convex project of this workspace", args.root.display())));
    };
    if !valid_reference(&args.function) {
        return Err(Error::invalid_params(format!("`{}` is not a Convex function reference", args.function)));
    }
    let verify_field = if params.command == VERIFY {
        match args.field.as_deref().map(crate::names::FieldRef::parse) {
            Some(Ok(f)) => Some(f.to_string()),
            _ => return Err(Error::invalid_params("verify needs `field` as `table.field`")),
        }
    } else {
        None
    };
    let npx = session.settings().npx_path.unwrap_or_else(|| "npx".to_string());
    let token = session.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let line = command_line(&args);
    let output = match run(client, &npx, &args, token, session.capabilities().work_done_progress).await {
        Ok(output) => output,
        Err(e) => {
            let message = format!("convex-migrate: cannot run `{line}` ({npx}: {e}). Is Node.js installed, or set convexMigrate.npxPath?");
            client.show_message(MessageType::ERROR, &message).await;
            return Err(Error { code: tower_lsp_server::jsonrpc::ErrorCode::InternalError, message: message.into(), data: None });
        }
    };
    if !output.success {
        let last = output.stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("see the output log");
        client.show_message(MessageType::ERROR, format!("convex-migrate: `{line}` failed: {last}")).await;
        return Ok(Some(serde_json::json!({ "success": false, "output": output.stdout, "error": output.stderr })));
    }
    let Some(field) = verify_field else {
        client.show_message(MessageType::INFO, format!("convex-migrate: `{line}` finished")).await;
        return Ok(Some(serde_json::json!({ "success": true, "output": output.stdout })));
    };
    let result = crate::config::ledger::parse_verify_output(&output.stdout);
    let Some(result) = result else {
        client
            .show_message(MessageType::WARNING, format!("convex-migrate: `{line}` did not return {{ remaining }}; the ledger is unchanged"))
            .await;
        return Ok(Some(serde_json::json!({ "success": true, "recorded": false, "output": output.stdout })));
    };
    if result.remaining > 0 {
        client
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
    let recorded = record_verified(client, session, &project, &field, args.deployment()).await;
    if recorded {
        client.show_message(MessageType::INFO, format!("convex-migrate: {field} verified (nothing left); recorded in {FILE_NAME}")).await;
    }
    Ok(Some(serde_json::json!({ "success": true, "recorded": recorded, "remaining": 0, "scanned": result.scanned })))
}

/// Records `field` as verified in the project's config through `workspace/applyEdit`, so the
/// editor owns the change (and its undo).
async fn record_verified(client: &Client, session: &Session, project: &ProjectState, field: &str, deployment: &str) -> bool {
    if !session.capabilities().apply_edit {
        let command = format!("convex-migrate verify {field} --deployment {deployment}");
        client
            .show_message(
                MessageType::WARNING,
                format!("convex-migrate: {field} is verified (nothing left), but this editor takes no workspace edits: the ledger is unchanged; record it with `{command}`, or in {FILE_NAME} by hand"),
            )
            .await;
        return false;
    }
    let path = project.root.join(FILE_NAME);
    let open_text = session.documents.get(&path).map(|d| d.text());
    let disk_text = crate::sources::disk::read_optional(&project.root, FILE_NAME).ok().flatten();
    let exists = open_text.is_some() || disk_text.is_some();
    let current = open_text.or(disk_text);
    let entry = crate::config::Verified::now_on(deployment);
    let text = match crate::config::ledger::record(current.as_deref(), field, &entry) {
        Ok(text) => text,
        Err(e) => {
            client.show_message(MessageType::ERROR, format!("convex-migrate: cannot record the verification: {e}")).await;
            return false;
        }
    };
    if let Err(e) = crate::sources::apply::target(&project.root, FILE_NAME) {
        client.show_message(MessageType::ERROR, format!("convex-migrate: cannot record the verification: {e}")).await;
        return false;
    }
    let Some(uri) = uri_of(&path) else { return false };
    let edit = if exists {
        let old = current.unwrap_or_default();
        let end = Converter::new(&old, session.unit()).position(old.len() as u32);
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
    // The editor may ask its user first: a minute, then the server gives up waiting.
    match tokio::time::timeout(APPLY_TIMEOUT, client.apply_edit(edit)).await {
        Err(_) => {
            client
                .show_message(MessageType::ERROR, "convex-migrate: the editor did not answer the ledger edit; the ledger may be unchanged")
                .await;
            false
        }
        Ok(Ok(response)) if response.applied => true,
        Ok(Ok(response)) => {
            let reason = response.failure_reason.unwrap_or_else(|| "the editor did not apply it".into());
            client.show_message(MessageType::ERROR, format!("convex-migrate: the ledger edit was not applied: {reason}")).await;
            false
        }
        Ok(Err(e)) => {
            client.show_message(MessageType::ERROR, format!("convex-migrate: the ledger edit failed: {e}")).await;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_checked() {
        assert!(valid_reference("migrations:backfillUsersRole"));
        assert!(valid_reference("admin/users:fix"));
        assert!(!valid_reference("--prod"));
        assert!(!valid_reference("a b"));
        assert!(!valid_reference("x;rm -rf /"));
        assert!(!valid_reference(""));
    }
}

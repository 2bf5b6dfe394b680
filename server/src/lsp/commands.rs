//! `workspace/executeCommand`: running a backfill or a verify function with `npx convex run`,
//! only when the user invokes it, streaming its output to the client.

use std::path::PathBuf;
use std::process::Stdio;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader};
use tower_lsp_server::ls_types::{MessageType, NumberOrString};
use tower_lsp_server::Client;

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
    #[serde(default)]
    pub prod: bool,
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

/// The command line, as shown to the user.
pub fn command_line(args: &RunArgs) -> String {
    let mut line = format!("npx convex run {}", args.function);
    if args.prod {
        line.push_str(" --prod");
    }
    line
}

/// Runs `npx convex run FUNCTION [--prod]` in the project root, streaming each output line to the
/// client's log and progress.
pub async fn run(client: &Client, npx: &str, args: &RunArgs, token: u64) -> std::io::Result<RunOutput> {
    let mut command = tokio::process::Command::new(npx);
    command.arg("convex").arg("run").arg(&args.function);
    if args.prod {
        command.arg("--prod");
    }
    command.current_dir(&args.root).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = command.spawn()?;
    let title = command_line(args);
    let token = NumberOrString::String(format!("convex-migrate/run/{token}"));
    let progress = match client.create_work_done_progress(token.clone()).await {
        Ok(()) => Some(client.progress(token, title.clone()).begin().await),
        Err(_) => None,
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

//! Zed extension: starts `convex-migrate lsp` for TypeScript and JavaScript files, with the project's
//! own binary (`node_modules/.bin/convex-migrate` of the worktree, as `npm i -D convex-migrate`
//! installs it), else `lsp.convex-migrate.binary.path` in Zed's settings, else `convex-migrate` on
//! the worktree's PATH, and passes `lsp.convex-migrate.initialization_options` / `settings` on.

use zed_extension_api::{self as zed, serde_json, settings::LspSettings, LanguageServerId, Result};

struct ConvexMigrate;

impl zed::Extension for ConvexMigrate {
    fn new() -> Self {
        ConvexMigrate
    }

    fn language_server_command(&mut self, id: &LanguageServerId, worktree: &zed::Worktree) -> Result<zed::Command> {
        let binary = LspSettings::for_worktree(id.as_ref(), worktree).ok().and_then(|s| s.binary);
        let path = project_binary(worktree)
            .or_else(|| binary.as_ref().and_then(|b| b.path.clone()))
            .or_else(|| worktree.which("convex-migrate"))
            .ok_or_else(|| {
                "convex-migrate was not found: add it to the project with `npm i -D convex-migrate`, install it with \
                 `cargo install --path server` from the convex-migrate repository (so it is on PATH), or set \
                 lsp.convex-migrate.binary.path in Zed's settings"
                    .to_string()
            })?;
        let args = binary.as_ref().and_then(|b| b.arguments.clone()).unwrap_or_else(|| vec!["lsp".to_string()]);
        let mut env = worktree.shell_env();
        if let Some(extra) = binary.and_then(|b| b.env) {
            env.extend(extra);
        }
        Ok(zed::Command { command: path, args, env })
    }

    fn language_server_initialization_options(
        &mut self,
        id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        let settings = LspSettings::for_worktree(id.as_ref(), worktree).ok();
        Ok(settings.and_then(|s| s.initialization_options.or(s.settings)))
    }

    fn language_server_workspace_configuration(
        &mut self,
        id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<serde_json::Value>> {
        Ok(LspSettings::for_worktree(id.as_ref(), worktree).ok().and_then(|s| s.settings))
    }
}

/// The worktree's own `node_modules/.bin/convex-migrate` (npm's launcher, a script: an extension
/// sees files only through the worktree, so it is found by reading it).
fn project_binary(worktree: &zed::Worktree) -> Option<String> {
    const LAUNCHER: &str = "node_modules/.bin/convex-migrate";
    worktree.read_text_file(LAUNCHER).ok()?;
    Some(format!("{}/{LAUNCHER}", worktree.root_path().trim_end_matches('/')))
}

zed::register_extension!(ConvexMigrate);

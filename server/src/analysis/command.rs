//! The one way to run a Convex function from a terminal: `npx convex run`, as data (the
//! function, its JSON arguments, the deployment, a component) so that every place that shows it,
//! runs it or writes it into a comment renders it the same way; and the project's package
//! manager ([`Runner`]), so that a printed command is the one the project's developers type.

use std::fmt;

/// How the project runs the binaries of its packages (`npx convex …`, `pnpm exec convex …`),
/// from its `packageManager` field or lockfile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Runner {
    #[default]
    Npm,
    Pnpm,
    Yarn,
    Bun,
}

impl Runner {
    /// The words before a package binary's name.
    pub fn prefix(self) -> &'static [&'static str] {
        match self {
            Runner::Npm => &["npx"],
            Runner::Pnpm => &["pnpm", "exec"],
            Runner::Yarn => &["yarn"],
            Runner::Bun => &["bunx"],
        }
    }

    /// From `package.json`'s `packageManager` (`"pnpm@9.1.0"`), else from the lockfiles present
    /// (`exists(name)`, in the project root or a folder above it up to the repository's root).
    pub fn detect(package_manager: Option<&str>, exists: &dyn Fn(&str) -> bool) -> Runner {
        let by_field = package_manager.and_then(|pm| match pm.split('@').next().unwrap_or("").trim() {
            "pnpm" => Some(Runner::Pnpm),
            "yarn" => Some(Runner::Yarn),
            "bun" => Some(Runner::Bun),
            "npm" => Some(Runner::Npm),
            _ => None,
        });
        by_field.unwrap_or_else(|| {
            if exists("bun.lock") || exists("bun.lockb") {
                Runner::Bun
            } else if exists("pnpm-lock.yaml") {
                Runner::Pnpm
            } else if exists("yarn.lock") {
                Runner::Yarn
            } else {
                Runner::Npm
            }
        })
    }

    /// The full command line of a package binary: `["pnpm", "exec", "convex", "deploy"]`.
    pub fn command(self, binary_and_args: &[String]) -> Vec<String> {
        self.prefix().iter().map(|s| s.to_string()).chain(binary_and_args.iter().cloned()).collect()
    }
}

/// The project's tools, as its developers run them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tools {
    pub runner: Runner,
    /// Whether `convex-migrate` is a dependency of the project (then it is run through the
    /// package manager, `npx convex-migrate`; else as `convex-migrate` on the PATH).
    pub convex_migrate_installed: bool,
    /// The packages `package.json` lists in any dependency section; `None`: no package.json
    /// (or one that does not parse).
    pub dependencies: Option<std::collections::BTreeSet<String>>,
}

impl Tools {
    /// From `package.json`'s text and the lockfiles present.
    pub fn from_package_json(text: Option<&str>, exists: &dyn Fn(&str) -> bool) -> Tools {
        let parsed: Option<serde_json::Value> = text.and_then(|t| serde_json::from_str(t).ok());
        let dependencies = parsed.as_ref().map(|json| {
            ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"]
                .iter()
                .filter_map(|section| json.get(section)?.as_object())
                .flat_map(|deps| deps.keys().cloned())
                .collect::<std::collections::BTreeSet<String>>()
        });
        let package_manager = parsed.as_ref().and_then(|j| j.get("packageManager")?.as_str().map(str::to_string));
        Tools {
            runner: Runner::detect(package_manager.as_deref(), exists),
            convex_migrate_installed: dependencies.as_ref().is_some_and(|d| d.contains("convex-migrate")),
            dependencies,
        }
    }

    /// Whether the project depends on `package`.
    pub fn has_package(&self, package: &str) -> bool {
        self.dependencies.as_ref().is_some_and(|d| d.contains(package))
    }

    /// `convex-migrate ARGS…` as the project runs it.
    pub fn convex_migrate(&self, args: &[&str]) -> Vec<String> {
        let own: Vec<String> = std::iter::once("convex-migrate").chain(args.iter().copied()).map(str::to_string).collect();
        if self.convex_migrate_installed {
            self.runner.command(&own)
        } else {
            own
        }
    }

    /// `convex ARGS…` (the Convex CLI of the project's `convex` package).
    pub fn convex(&self, args: &[&str]) -> Vec<String> {
        let own: Vec<String> = std::iter::once("convex").chain(args.iter().copied()).map(str::to_string).collect();
        self.runner.command(&own)
    }

    /// The deploy to `deployment`: `npx convex deploy` for production, `npx convex dev --once`
    /// for the developer's own dev deployment, `npx convex deploy` with the deployment named in
    /// `CONVEX_DEPLOY_KEY` otherwise (the CLI picks it from the key).
    pub fn deploy(&self, deployment: &str) -> Vec<String> {
        match deployment {
            "dev" => self.convex(&["dev", "--once"]),
            _ => self.convex(&["deploy"]),
        }
    }
}

/// The command that runs `function` as printed, with the arguments its validator requires: `null`
/// for each required argument that accepts it (`{"cursor": null}`: start from the first page),
/// nothing for optional ones. A `migrations.define` migration (`@convex-dev/migrations`) is called
/// directly and takes none. `Err` names what cannot be chosen for the user (an argument that must
/// be a value, arguments that are not known), for a step that is then done by hand.
pub fn run_of(function: &crate::project::Function) -> Result<RunCommand, String> {
    use crate::model::validator::Validator;
    let run = RunCommand::new(&function.reference);
    if function.kind == crate::project::FunctionKind::Migration {
        return Ok(run);
    }
    let Some(args) = &function.args else {
        return Err(format!("the arguments of `{}` are not known: pass them as JSON", function.reference));
    };
    let accepts_null = |v: &Validator| match v {
        Validator::Null => true,
        Validator::Union(members) => members.iter().any(|m| matches!(m, Validator::Null)),
        _ => false,
    };
    let mut required = Vec::new();
    let mut unknown = Vec::new();
    for (name, validator) in args {
        if validator.is_optional() {
            continue;
        }
        if accepts_null(validator) {
            required.push(format!("{}: null", serde_json::Value::String(name.clone())));
        } else {
            unknown.push(format!("`{name}` ({validator})"));
        }
    }
    if !unknown.is_empty() {
        return Err(format!("`{}` needs {}: pass the value as JSON", function.reference, unknown.join(", ")));
    }
    Ok(if required.is_empty() { run } else { run.args(format!("{{{}}}", required.join(", "))) })
}

/// A command line as a POSIX shell reads it back: words quoted only when they need it.
pub fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|w| {
            let plain = !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
            if plain {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `npx convex run [--component C] FUNCTION [--prod | --deployment D] ['ARGS']`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunCommand {
    /// `migrations:backfillUsersRole`, as `npx convex run` takes it.
    pub function: String,
    /// The JSON arguments, as written (`{"cursor": null}`); `None` for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<String>,
    /// Run in a component (`--component migrations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// The deployment (`--prod` for `prod`, `--deployment NAME` otherwise); `None`: the CLI's
    /// default, the developer's own dev deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    /// How the project runs `convex` (shown; what runs it is the caller's `npx`).
    #[serde(default, skip_serializing_if = "is_npm")]
    pub runner: Runner,
}

fn is_npm(runner: &Runner) -> bool {
    *runner == Runner::Npm
}

impl RunCommand {
    pub fn new(function: impl Into<String>) -> RunCommand {
        RunCommand { function: function.into(), args: None, component: None, deployment: None, runner: Runner::Npm }
    }

    /// The same command as the project runs its binaries (`pnpm exec convex run …`).
    pub fn via(mut self, runner: Runner) -> RunCommand {
        self.runner = runner;
        self
    }

    pub fn args(mut self, args: impl Into<String>) -> RunCommand {
        self.args = Some(args.into());
        self
    }

    pub fn component(mut self, component: impl Into<String>) -> RunCommand {
        self.component = Some(component.into());
        self
    }

    /// The same command against production.
    pub fn prod(self) -> RunCommand {
        self.on("prod")
    }

    /// The same command against `deployment` (`dev` is the CLI's default and needs no flag).
    pub fn on(mut self, deployment: &str) -> RunCommand {
        self.deployment = (deployment != "dev").then(|| deployment.to_string());
        self
    }

    fn deployment_flag(&self) -> Vec<String> {
        match self.deployment.as_deref() {
            None => Vec::new(),
            Some("prod") => vec!["--prod".into()],
            Some(other) => vec!["--deployment".into(), other.to_string()],
        }
    }

    /// The arguments to `npx`: `convex run …`.
    pub fn argv(&self) -> Vec<String> {
        let mut argv = vec!["convex".to_string(), "run".to_string()];
        if let Some(component) = &self.component {
            argv.extend(["--component".to_string(), component.clone()]);
        }
        argv.push(self.function.clone());
        argv.extend(self.deployment_flag());
        argv.extend(self.args.clone());
        argv
    }

    /// The whole command line, the runner's words first: `["npx", "convex", "run", …]`.
    pub fn command_line(&self) -> Vec<String> {
        self.runner.command(&self.argv())
    }
}

/// As a user types it: `npx convex run migrations:backfillUsersRole --prod '{"cursor": null}'`.
impl fmt::Display for RunCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} convex run", self.runner.prefix().join(" "))?;
        if let Some(component) = &self.component {
            write!(f, " --component {component}")?;
        }
        write!(f, " {}", self.function)?;
        for part in self.deployment_flag() {
            write!(f, " {part}")?;
        }
        if let Some(args) = &self.args {
            write!(f, " '{args}'")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_runs_the_same_command() {
        let command = RunCommand::new("migrations:backfill").args("{\"cursor\": null}").prod();
        assert_eq!(command.to_string(), "npx convex run migrations:backfill --prod '{\"cursor\": null}'");
        assert_eq!(command.argv(), ["convex", "run", "migrations:backfill", "--prod", "{\"cursor\": null}"]);
        let status = RunCommand::new("lib:getStatus").component("migrations").args("{\"names\":[\"m\"]}");
        assert_eq!(status.to_string(), "npx convex run --component migrations lib:getStatus '{\"names\":[\"m\"]}'");
        assert_eq!(RunCommand::new("m:f").on("staging").argv(), ["convex", "run", "m:f", "--deployment", "staging"]);
        assert_eq!(RunCommand::new("m:f").on("dev").to_string(), "npx convex run m:f");
        let pnpm = RunCommand::new("m:f").args("{\"cursor\": null}").via(Runner::Pnpm).prod();
        assert_eq!(pnpm.to_string(), "pnpm exec convex run m:f --prod '{\"cursor\": null}'");
        assert_eq!(shell_line(&pnpm.command_line()), pnpm.to_string());
    }

    #[test]
    fn finds_the_package_manager() {
        let none = |_: &str| false;
        assert_eq!(Runner::detect(None, &none), Runner::Npm);
        assert_eq!(Runner::detect(None, &|n| n == "pnpm-lock.yaml"), Runner::Pnpm);
        assert_eq!(Runner::detect(None, &|n| n == "yarn.lock"), Runner::Yarn);
        assert_eq!(Runner::detect(None, &|n| n == "bun.lockb" || n == "package-lock.json"), Runner::Bun);
        assert_eq!(Runner::detect(Some("yarn@4.1.0"), &|n| n == "package-lock.json"), Runner::Yarn);
        let tools = Tools::from_package_json(Some(r#"{"devDependencies": {"convex-migrate": "0.1.0"}}"#), &|n| n == "yarn.lock");
        assert!(tools.has_package("convex-migrate") && !tools.has_package("convex"));
        assert_eq!(tools.convex_migrate(&["verify", "users.role"]), ["yarn", "convex-migrate", "verify", "users.role"]);
        assert_eq!(tools.deploy("dev"), ["yarn", "convex", "dev", "--once"]);
        assert_eq!(shell_line(&["a b".into(), "it's".into()]), "'a b' 'it'\\''s'");
    }
}

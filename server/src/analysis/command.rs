//! The one way to run a Convex function from a terminal: `npx convex run`, as data (the
//! function, its JSON arguments, the deployment, a component) so that every place that shows it,
//! runs it or writes it into a comment renders it the same way.

use std::fmt;

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
}

impl RunCommand {
    pub fn new(function: impl Into<String>) -> RunCommand {
        RunCommand { function: function.into(), args: None, component: None, deployment: None }
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
}

/// As a user types it: `npx convex run migrations:backfillUsersRole --prod '{"cursor": null}'`.
impl fmt::Display for RunCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("npx convex run")?;
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
    }
}

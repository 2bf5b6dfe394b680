//! The one way to run a Convex function from a terminal: `npx convex run`, as data (the
//! function, its JSON arguments, the deployment, a component) so that every place that shows it,
//! runs it or writes it into a comment renders it the same way.

use std::fmt;

/// `npx convex run [--component C] FUNCTION [--prod] ['ARGS']`.
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
    /// Against the production deployment (`--prod`).
    #[serde(default)]
    pub prod: bool,
}

impl RunCommand {
    pub fn new(function: impl Into<String>) -> RunCommand {
        RunCommand { function: function.into(), args: None, component: None, prod: false }
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
    pub fn prod(mut self) -> RunCommand {
        self.prod = true;
        self
    }

    /// The arguments to `npx`: `convex run …`.
    pub fn argv(&self) -> Vec<String> {
        let mut argv = vec!["convex".to_string(), "run".to_string()];
        if let Some(component) = &self.component {
            argv.extend(["--component".to_string(), component.clone()]);
        }
        argv.push(self.function.clone());
        if self.prod {
            argv.push("--prod".into());
        }
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
        if self.prod {
            f.write_str(" --prod")?;
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
    }
}

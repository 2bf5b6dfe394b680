//! The terminal shell: arguments in, findings out. Knows nothing the analysis does not tell it.

mod check;
mod data;
mod explain;
mod plan;
mod render;
mod verify;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub use crate::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};

#[derive(Parser)]
#[command(
    name = "convex-migrate",
    version,
    about = "Safe Convex schema migrations: widen → migrate → narrow, checked in your editor and in CI"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Github,
    Sarif,
}

/// Where the baseline ("what is deployed") comes from.
#[derive(clap::Args, Clone, Default)]
pub struct BaseArgs {
    /// The git revision that is deployed (branch, tag, sha, HEAD~1). Default: the config's
    /// `base`, else the merge-base with the upstream branch, else HEAD.
    #[arg(long, conflicts_with = "base_dir")]
    pub base: Option<String>,
    /// Take the baseline from a folder (a copy of the deployed project) instead of git.
    #[arg(long, value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
}

impl BaseArgs {
    /// Where the baseline comes from: `--base-dir`, else git at `--base`, else the default (the
    /// config's `base`, the merge-base with the upstream branch, HEAD).
    pub fn choice(&self) -> crate::sources::BaseChoice {
        use crate::sources::BaseChoice;
        match (&self.base_dir, &self.base) {
            (Some(dir), _) => BaseChoice::Folder(dir.clone()),
            (None, Some(spec)) => BaseChoice::Git(spec.clone()),
            (None, None) => BaseChoice::Default,
        }
    }
}

/// A snapshot export of the deployment's data, for counts.
#[derive(clap::Args, Clone, Default)]
pub struct DataArgs {
    /// A snapshot export (`npx convex export --path FILE.zip`): count the documents each change
    /// breaks, from the data.
    #[arg(long, value_name = "FILE.zip")]
    pub snapshot: Option<PathBuf>,
    /// How many sample `_id`s to show per count.
    #[arg(long, value_name = "N", default_value_t = crate::analysis::data::DEFAULT_SAMPLES, requires = "snapshot")]
    pub samples: usize,
}

#[derive(Subcommand)]
enum Command {
    /// Compare the project with what is deployed (a git base) and report unsafe schema changes.
    Check {
        /// The project root (holding convex.json or convex/). Default: the current folder.
        path: Option<PathBuf>,
        #[command(flatten)]
        base: BaseArgs,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Plan a migration: `require users.role`, `remove users.isPro`. Prints the steps over two
    /// deploys, each marked done or to do on this project; `--apply` does the next step's edits.
    Plan {
        /// The change: require, remove, rename, retype, split.
        change: String,
        /// The field, as `table.field`.
        field: String,
        /// The value the backfill writes (a TypeScript expression), for `require`.
        #[arg(long)]
        default: Option<String>,
        /// `rename … --to NEW_NAME`; `retype … --to 'v.number()'` (the new validator).
        #[arg(long)]
        to: Option<String>,
        /// `retype … --as NAME`: the new field's name (default: the field's name + `V2`).
        #[arg(long = "as")]
        as_field: Option<String>,
        /// `split … --into NEW_TABLE`.
        #[arg(long)]
        into: Option<String>,
        /// The project root. Default: the current folder.
        #[arg(long, short = 'C', default_value = ".")]
        project: PathBuf,
        #[command(flatten)]
        base: BaseArgs,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Apply the next step's edits (atomic writes; refuses if a file changed meanwhile).
        #[arg(long)]
        apply: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Run the language server on stdin/stdout (for editors).
    Lsp {
        /// Accepted and ignored: stdio is the only transport (some clients add this flag).
        #[arg(long)]
        stdio: bool,
    },
    /// Run a field's verify function (`npx convex run`) and, when nothing is left, record it in
    /// convex-migrate.json's `verified` ledger.
    Verify {
        /// The field, as `table.field`.
        field: String,
        /// The project root. Default: the current folder.
        #[arg(long, short = 'C', default_value = ".")]
        project: PathBuf,
        /// Verify the production deployment (`npx convex run --prod`).
        #[arg(long)]
        prod: bool,
        /// The `npx` to run.
        #[arg(long, default_value = "npx")]
        npx: String,
        /// Count from a snapshot export (`npx convex export --path FILE.zip`) instead of running
        /// the verify function; records the result for the deployment it came from.
        #[arg(long, value_name = "FILE.zip", conflicts_with = "prod")]
        snapshot: Option<PathBuf>,
        /// With --snapshot: the deployment it came from (`prod`, `dev`, …), when its file name does
        /// not say (Convex names downloads `snapshot_<deployment>_<time>.zip`).
        #[arg(long, value_name = "NAME", requires = "snapshot")]
        deployment: Option<String>,
    },
    /// Print a rule's documentation (all rules without an argument).
    Explain { rule: Option<String> },
}

/// Runs the command line; returns the process exit code.
pub fn run(args: Vec<std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Check { path, base, format, data } => {
            check::run(check::Args { path: path.unwrap_or_else(|| PathBuf::from(".")), base, format, data })
        }
        Command::Explain { rule } => explain::run(rule.as_deref()),
        Command::Lsp { .. } => crate::lsp::run_stdio(),
        Command::Plan { change, field, default, to, as_field, into, project, base, format, apply, data } => {
            plan::run(plan::Args { verb: change, target: field, default, to, as_field, into, project, base, format, apply, data })
        }
        Command::Verify { field, project, prod, npx, snapshot, deployment } => {
            verify::run(verify::Args { field, project, prod, npx, snapshot, deployment })
        }
    }
}

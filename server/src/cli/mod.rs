//! The terminal shell: arguments in, findings out. Knows nothing the analysis does not tell it.

mod check;
mod color;
mod data;
mod explain;
mod mcp;
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
    #[arg(long, value_name = "DIR", conflicts_with = "no_base")]
    pub base_dir: Option<PathBuf>,
    /// Compare with nothing: run only the rules that need no baseline (the transition rules are
    /// off, and every output says so).
    #[arg(long, conflicts_with = "base")]
    pub no_base: bool,
    /// The deployment whose verifications count (`prod`, `dev`, a deployment name): a backfill
    /// verified on dev does not count for prod.
    #[arg(long, value_name = "NAME", default_value = crate::analysis::DEFAULT_DEPLOYMENT)]
    pub deployment: String,
}

impl BaseArgs {
    /// Where the baseline comes from: `--base-dir`, else git at `--base`, else the default (the
    /// config's `base`, the merge-base with the upstream branch, HEAD).
    pub fn choice(&self) -> crate::sources::BaseChoice {
        use crate::sources::BaseChoice;
        match (&self.base_dir, &self.base) {
            _ if self.no_base => BaseChoice::Off,
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
        /// A project root (holding convex.json or convex/), or a folder with several (a monorepo:
        /// each is checked). Default: the nearest project at or above the current folder (up to
        /// the repository's top), else every project below it.
        #[arg(conflicts_with = "project")]
        path: Option<PathBuf>,
        /// Check this project root only (repeat for several), e.g. `--project apps/web`.
        #[arg(long, value_name = "DIR")]
        project: Vec<PathBuf>,
        #[command(flatten)]
        base: BaseArgs,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Colour the human report: `auto` on a terminal (honouring NO_COLOR, FORCE_COLOR and
        /// CLICOLOR_FORCE), `always`, `never`.
        #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
        color: color::ColorChoice,
        /// Exit 1 when there are more than N warnings (ESLint's `--max-warnings`), even with no error.
        #[arg(long, value_name = "N")]
        max_warnings: Option<usize>,
        /// Report errors only (warnings and infos are still counted for `--max-warnings`).
        #[arg(long, short = 'q')]
        quiet: bool,
        /// First apply the quick fixes that need no decision (make a field optional first, put a
        /// removed field back as optional), then report what is left.
        #[arg(long)]
        fix: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Plan a migration: `require users.role`, `remove users.isPro`, `narrow users.role --map
    /// guest=member`; without a change, every change between the base and the working tree. Each
    /// step is marked done only on evidence; `--apply` does the next step when it is an edit.
    Plan {
        /// The change: require, remove, narrow, rename, retype, split (none: every change).
        change: Option<String>,
        /// The field, as `table.field`.
        field: Option<String>,
        /// The value written to the field (a TypeScript expression; `doc.x` reads the document):
        /// by the backfill, the inserts and the dual-writes.
        #[arg(long)]
        default: Option<String>,
        /// `rename … --to NEW_NAME`; `retype … --to 'v.number()'` (the new validator).
        #[arg(long)]
        to: Option<String>,
        /// `retype … --as NAME`: the new field's name (default: the field's name + `V2`).
        #[arg(long = "as")]
        as_field: Option<String>,
        /// `split … --into NEW_TABLE`, or `split … --into a,b` (new fields, each `--with`).
        #[arg(long)]
        into: Option<String>,
        /// `narrow … --map OLD=NEW`: what each removed value becomes (repeat, or comma-separate).
        #[arg(long, value_name = "OLD=NEW")]
        map: Vec<String>,
        /// `split … --with FIELD=EXPR`: how a new field is derived from `doc` (repeat per field).
        #[arg(long, value_name = "FIELD=EXPR")]
        with: Vec<String>,
        /// The project root. Default: the current folder.
        #[arg(long, short = 'C', default_value = ".")]
        project: PathBuf,
        #[command(flatten)]
        base: BaseArgs,
        #[arg(long, value_enum, default_value = "human")]
        format: plan::PlanFormat,
        /// Apply the next step's edit (all files or none; refuses if a file changed meanwhile).
        /// Exit 0 when it applied one, 3 when the next step is not an edit it can make.
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
    /// Run the MCP server on stdin/stdout (for agents): the tools check, plan and explain.
    Mcp,
    /// Run a field's verify function (`npx convex run`) and, when nothing is left, record it in
    /// convex-migrate.json's `verified` ledger.
    Verify {
        /// The field, as `table.field`.
        field: String,
        /// The project root. Default: the current folder.
        #[arg(long, short = 'C', default_value = ".")]
        project: PathBuf,
        /// Verify the production deployment (`npx convex run --prod`); the same as `--deployment prod`.
        #[arg(long, conflicts_with = "deployment")]
        prod: bool,
        /// The deployment to verify (`dev`, `prod`, a deployment name); the ledger records the result
        /// for it. Default: `dev`, the Convex CLI's own default. With --snapshot: the deployment it
        /// came from, when its file name does not say (`snapshot_<deployment>_<time>.zip`).
        #[arg(long, value_name = "NAME")]
        deployment: Option<String>,
        /// The `npx` to run.
        #[arg(long, default_value = "npx")]
        npx: String,
        /// For a narrowing (`plan narrow`): the removed values, verified gone from every document;
        /// the ledger records them, and `narrowed-type` becomes a note.
        #[arg(long, value_name = "VALUE,...")]
        without: Vec<String>,
        /// Count from a snapshot export (`npx convex export --path FILE.zip`) instead of running
        /// the verify function; records the result for the deployment it came from.
        #[arg(long, value_name = "FILE.zip", conflicts_with = "prod")]
        snapshot: Option<PathBuf>,
    },
    /// Print a rule's documentation (all rules without an argument).
    Explain { rule: Option<String> },
}

/// Whether the arguments ask for JSON (`--format json`, `--format=json`): a usage error is then
/// JSON too, for the tools that parse the output.
fn json_requested(args: &[std::ffi::OsString]) -> bool {
    args.windows(2).any(|w| w[0] == "--format" && w[1] == "json") || args.iter().any(|a| a == "--format=json")
}

/// Whether a command line (without the program's name) parses, without running it: for the tests
/// of documented commands (skills/convex-migrate/SKILL.md). `--help` and `--version` parse.
pub fn parses(args: &[String]) -> Result<(), String> {
    match Cli::try_parse_from(std::iter::once("convex-migrate".to_string()).chain(args.iter().cloned())) {
        Ok(_) => Ok(()),
        Err(e) if !e.use_stderr() => Ok(()),
        Err(e) => Err(e.to_string().lines().next().unwrap_or("does not parse").to_string()),
    }
}

/// Runs the command line; returns the process exit code.
pub fn run(args: Vec<std::ffi::OsString>) -> i32 {
    let wants_json = json_requested(&args);
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() && wants_json => {
            return plan::error(true, e.to_string().lines().next().unwrap_or("bad arguments").trim_start_matches("error: "));
        }
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Check { path, project, base, format, color, max_warnings, quiet, fix, data } => {
            check::run(check::Args { path, projects: project, base, format, fix, data, color, max_warnings, quiet })
        }
        Command::Explain { rule } => explain::run(rule.as_deref()),
        Command::Lsp { .. } => crate::lsp::run_stdio(),
        Command::Mcp => mcp::run_stdio(),
        Command::Plan { change, field, default, to, as_field, into, map, with, project, base, format, apply, data } => {
            plan::run(plan::Args {
                verb: change,
                target: field,
                default,
                to,
                as_field,
                into,
                map,
                with,
                project,
                base,
                format,
                apply,
                data,
            })
        }
        Command::Verify { field, project, prod, deployment, npx, without, snapshot } => {
            let named_deployment = if prod { Some("prod".to_string()) } else { deployment };
            let deployment = named_deployment.clone().unwrap_or_else(|| "dev".to_string());
            verify::run(verify::Args { field, project, deployment, npx, without, snapshot, named_deployment })
        }
    }
}

//! `convex-migrate check`: the analysis for CI and terminals. It never compares nothing in
//! silence: no baseline is exit 2 unless `--no-base` is given; in CI the base comes from the pull
//! (merge) request, and a base that is the working tree itself is exit 2; every output says what
//! was compared.

use std::io::Write;
use std::path::PathBuf;

use crate::analysis::Baseline;
use crate::cli::render;
use crate::cli::{BaseArgs, Format, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::sources::{self, BaseChoice};

pub struct Args {
    pub path: PathBuf,
    pub base: BaseArgs,
    pub format: Format,
    /// Apply the quick fixes that need no decision first, as `eslint --fix` does.
    pub fix: bool,
    pub data: crate::cli::DataArgs,
}

pub fn run(args: Args) -> i32 {
    let (mut stdout, mut stderr) = (std::io::stdout().lock(), std::io::stderr().lock());
    match check(&args, &|name| std::env::var(name).ok(), &mut stdout, &mut stderr) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_ERROR
        }
    }
}

/// `--fix`: the quick fixes that are safe without a decision (*Make field optional first*, *Put
/// back as optional*), written all at once; the project read again. `None`: nothing to fix.
fn apply_safe_fixes(
    ws: &crate::analysis::Workspace,
    path: &std::path::Path,
    findings: &[crate::analysis::Finding],
    choice: &BaseChoice,
) -> Result<Option<(crate::analysis::Workspace, usize, Vec<String>)>, String> {
    use crate::analysis::Recipe;
    let mut recipes: Vec<&Recipe> = Vec::new();
    for recipe in findings.iter().flat_map(|f| f.fixes.iter()) {
        if matches!(recipe, Recipe::MakeOptional { .. } | Recipe::RestoreOptional { .. }) && !recipes.contains(&recipe) {
            recipes.push(recipe);
        }
    }
    let fixes: Vec<crate::fixes::Fix> = recipes.iter().filter_map(|r| crate::fixes::build(r, ws)).collect();
    let count = fixes.len();
    let Some(fix) = crate::fixes::plan::merge(fixes, "convex-migrate check --fix") else { return Ok(None) };
    let root = sources::project_root(path).map_err(|e| e.to_string())?;
    let changed = sources::apply::apply_fix(&root, &fix, &|p| ws.text(crate::analysis::Side::Working, p).map(str::to_string))?;
    let fixed = sources::load(path, choice).map_err(|e| e.to_string())?.for_deployment(&ws.deployment);
    Ok(Some((fixed, count, changed)))
}

/// Where the base comes from in a CI job when none was given: a GitHub pull request's base
/// branch, or a GitLab merge request's base commit.
enum CiBase {
    GithubPullRequest(String),
    GitlabMergeRequest(String),
}

fn ci_base(env: &dyn Fn(&str) -> Option<String>) -> Option<CiBase> {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if let Some(branch) = set("GITHUB_BASE_REF") {
        return Some(CiBase::GithubPullRequest(format!("origin/{}", branch.trim())));
    }
    set("CI_MERGE_REQUEST_DIFF_BASE_SHA").map(|sha| CiBase::GitlabMergeRequest(sha.trim().to_string()))
}

/// Whether this runs in CI (`CI` or `GITHUB_ACTIONS` set, and not to `false`/`0`).
fn in_ci(env: &dyn Fn(&str) -> Option<String>) -> bool {
    ["CI", "GITHUB_ACTIONS"].iter().any(|name| env(name).is_some_and(|v| !matches!(v.trim(), "" | "false" | "0")))
}

/// The report as the JSON of `--format json`, with the notes the command line writes on stderr:
/// for the MCP server, from the same path as the command line.
pub fn json(mut args: Args) -> Result<(serde_json::Value, Vec<String>), String> {
    args.format = Format::Json;
    let (mut out, mut notes) = (Vec::new(), Vec::new());
    check(&args, &|name| std::env::var(name).ok(), &mut out, &mut notes)?;
    let value = serde_json::from_slice(&out).map_err(|e| format!("the JSON report did not parse: {e}"))?;
    let notes = String::from_utf8_lossy(&notes).lines().map(|l| l.trim_start_matches("note: ").to_string()).collect();
    Ok((value, notes))
}

fn check(args: &Args, env: &dyn Fn(&str) -> Option<String>, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32, String> {
    // An explicit choice wins; then the pull request of a CI job; then the default.
    let explicit = args.base.no_base || args.base.base.is_some() || args.base.base_dir.is_some();
    let ci = if explicit { None } else { ci_base(env) };
    let choice = match &ci {
        Some(CiBase::GithubPullRequest(target)) => BaseChoice::PullRequest(target.clone()),
        Some(CiBase::GitlabMergeRequest(sha)) => BaseChoice::Git(sha.clone()),
        None => args.base.choice(),
    };
    let mut ws = match sources::load(&args.path, &choice) {
        Ok(ws) => ws.for_deployment(&args.base.deployment),
        Err(e) => {
            return Err(match &ci {
                Some(CiBase::GitlabMergeRequest(sha)) => format!(
                    "{e}. The merge request's base commit {sha} (CI_MERGE_REQUEST_DIFF_BASE_SHA) must be in the clone: set `GIT_DEPTH: 0` (or fetch it), or pass --base"
                ),
                _ => e.to_string(),
            })
        }
    };
    if let Baseline::Off { reason } = &ws.base {
        if !args.base.no_base {
            return Err(format!(
                "no baseline to compare with ({reason}); give --base-dir DIR (a copy of what is deployed), or --no-base to run only the rules that need no base"
            ));
        }
    }
    if !explicit && ci.is_none() && in_ci(env) && ws.base_is_working_tree() {
        let base = match &ws.base {
            Baseline::Read { source: crate::analysis::BaseSource::Commit { described_as, .. }, .. } => described_as.clone(),
            _ => "the default base".into(),
        };
        return Err(format!(
            "in CI with no base given, the base would be {base}, which holds the same files as the working tree: comparing a commit with itself proves nothing; pass --base (the revision that is deployed, e.g. the pull request's base), or run on a pull request"
        ));
    }
    if let Some(snapshot) = &args.data.snapshot {
        crate::cli::data::attach(&mut ws, snapshot, args.data.samples)?;
    }
    let mut notes = ws.notes.clone();
    notes.extend(ws.data.as_deref().map(crate::cli::data::notes).unwrap_or_default());
    if ws.working.schema.is_none() && ws.working.schema_issue.is_none() {
        notes.push(format!("no {}/schema.ts: schema rules are off", ws.working.layout.functions_dir));
    }
    let mut analysis = ws.analyze();
    let ws = if args.fix {
        match apply_safe_fixes(&ws, &args.path, &analysis.findings, &choice)? {
            Some((mut fixed, count, changed)) => {
                fixed.data = ws.data.clone();
                notes.push(format!("--fix: applied {count} fix(es) to {}", changed.join(", ")));
                analysis = fixed.analyze();
                fixed
            }
            None => ws,
        }
    } else {
        ws
    };
    notes.extend(analysis.notes.iter().cloned());

    for note in &notes {
        let _ = writeln!(stderr, "note: {note}");
    }
    let out = render::render(args.format, &ws, &args.path, &analysis.findings);
    if stdout.write_all(out.as_bytes()).and_then(|_| stdout.flush()).is_err() {
        return Err("cannot write the report to standard output".into());
    }
    Ok(if analysis.has_errors() { EXIT_FINDINGS } else { EXIT_OK })
}

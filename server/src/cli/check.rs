//! `convex-migrate check`: the analysis for CI and terminals. It never compares nothing in
//! silence: no baseline is exit 2 unless `--no-base` is given; in CI the base comes from the pull
//! (merge) request, and a base that is the working tree itself is exit 2; every output says what
//! was compared.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::analysis::Baseline;
use crate::cli::color::ColorChoice;
use crate::cli::render;
use crate::cli::{BaseArgs, Format, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::sources::{self, discover, BaseChoice};

pub struct Args {
    /// A project root, or a folder holding several; `None`: found from the current folder.
    pub path: Option<PathBuf>,
    /// `--project DIR`: these project roots only.
    pub projects: Vec<PathBuf>,
    pub base: BaseArgs,
    pub format: Format,
    /// Apply the quick fixes that need no decision first, as `eslint --fix` does.
    pub fix: bool,
    pub data: crate::cli::DataArgs,
    pub color: ColorChoice,
    /// Exit 1 when more warnings than this are found (ESLint's `--max-warnings`).
    pub max_warnings: Option<usize>,
    /// Report errors only.
    pub quiet: bool,
}

pub fn run(args: Args) -> i32 {
    let (mut stdout, mut stderr) = (std::io::stdout().lock(), std::io::stderr().lock());
    match check_all(&args, &|name| std::env::var(name).ok(), &mut stdout, &mut stderr, Finish::Exit) {
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
    check_all(&args, &|name| std::env::var(name).ok(), &mut out, &mut notes, Finish::Serve)?;
    let value = serde_json::from_slice(&out).map_err(|e| format!("the JSON report did not parse: {e}"))?;
    let notes = String::from_utf8_lossy(&notes).lines().map(|l| l.trim_start_matches("note: ").to_string()).collect();
    Ok((value, notes))
}

/// A project to check: where to read it, and how the report names it.
struct Target {
    root: PathBuf,
    shown: String,
}

/// The projects to check: `--project DIR`s; else PATH when it is a project, the projects below
/// it (a monorepo), or the one above it; without PATH the nearest project at or above the
/// current folder (not above the repository's top), else every project below it.
fn targets(args: &Args) -> Result<Vec<Target>, String> {
    let named = |root: &Path| Target { root: root.to_path_buf(), shown: render::Context::for_root(root).shown_root };
    if !args.projects.is_empty() {
        return args.projects.iter().map(|p| sources::project_root(p).map(|_| named(p)).map_err(|e| e.to_string())).collect();
    }
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?;
    let given = args.path.clone();
    let folder = given.clone().unwrap_or_else(|| PathBuf::from("."));
    match sources::project_root(&folder) {
        Ok(_) => return Ok(vec![named(&folder)]),
        Err(sources::SourceError::NotAProject(_)) => {}
        Err(e) => return Err(e.to_string()),
    }
    let upward = || {
        let start = std::fs::canonicalize(&folder).ok()?;
        let root = discover::project_upward(&start)?;
        let here = std::fs::canonicalize(&cwd).unwrap_or(cwd.clone());
        Some(Target { shown: discover::relative_to(&root, &here), root })
    };
    // Projects found below a folder are told apart by their place: relative to the current
    // folder when they are under it, else absolute (each `.` would not say which is which).
    let below = || {
        let here = std::fs::canonicalize(&cwd).unwrap_or(cwd.clone());
        let place = |root: &Path| {
            let full = std::fs::canonicalize(root).unwrap_or(root.to_path_buf());
            let shown = if full.starts_with(&here) { discover::relative_to(&full, &here) } else { full.display().to_string() };
            Target { root: root.to_path_buf(), shown }
        };
        discover::projects_under(&folder).iter().map(|root| place(root)).collect::<Vec<_>>()
    };
    // A folder named explicitly is searched below first (`check apps`); the current folder above
    // first (a command run in `apps/web/src` checks `apps/web`).
    let found = if given.is_some() {
        let b = below();
        if b.is_empty() {
            upward().into_iter().collect()
        } else {
            b
        }
    } else {
        match upward() {
            Some(target) => vec![target],
            None => below(),
        }
    };
    if found.is_empty() {
        return Err(format!(
            "no Convex project at {} (no convex.json and no convex/ folder there, above it up to the repository's top, or below it)",
            folder.display()
        ));
    }
    Ok(found)
}

/// Checks every target and reports them together; the exit code is the worst of them, and 1 when
/// the warnings are more than `--max-warnings`.
/// What follows a check: the process exits (the command line), or keeps serving (MCP).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Finish {
    Exit,
    Serve,
}

fn check_all(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    finish: Finish,
) -> Result<i32, String> {
    use std::io::IsTerminal;
    let targets = targets(args)?;
    let several = targets.len() > 1;
    // A snapshot and a base folder are one project's: with several, say which.
    let single = [
        ("--snapshot is one deployment's data", args.data.snapshot.is_some()),
        ("--base-dir is one project's deployed copy", args.base.base_dir.is_some()),
    ];
    if let Some((what, _)) = single.iter().find(|(_, given)| several && *given) {
        let names: Vec<&str> = targets.iter().map(|t| t.shown.as_str()).collect();
        return Err(format!(
            "{what}, and {} Convex projects were found ({}): name one with --project DIR",
            targets.len(),
            names.join(", ")
        ));
    }
    let mut checked = Vec::new();
    for target in &targets {
        let (ws, findings, notes) =
            check(args, env, &target.root).map_err(|e| if several { format!("{}: {e}", target.shown) } else { e })?;
        checked.push((target, ws, findings, notes));
    }
    let color = args.color.enabled(env, std::io::stdout().is_terminal());
    let mut errors = false;
    let mut warnings = 0;
    let mut shown: Vec<Vec<crate::analysis::Finding>> = Vec::new();
    for (target, _, findings, notes) in &checked {
        for note in notes {
            match several {
                true => writeln!(stderr, "note: {}: {note}", target.shown),
                false => writeln!(stderr, "note: {note}"),
            }
            .ok();
        }
        errors |= findings.iter().any(|f| f.severity == crate::config::Severity::Error);
        warnings += findings.iter().filter(|f| f.severity == crate::config::Severity::Warning).count();
        shown.push(findings.iter().filter(|f| !args.quiet || f.severity == crate::config::Severity::Error).cloned().collect());
    }
    let reports: Vec<render::Report<'_>> = checked
        .iter()
        .zip(&shown)
        .map(|((target, ws, all, notes), findings)| render::Report {
            ws,
            findings,
            ctx: render::Context {
                shown_root: target.shown.clone(),
                repository_root: repository_root(&target.root),
                color,
                name: several.then(|| target.shown.clone()),
                notes: notes.clone(),
                hidden: all.len() - findings.len(),
            },
        })
        .collect();
    let out = render::render_projects(args.format, &reports);
    if stdout.write_all(out.as_bytes()).and_then(|_| stdout.flush()).is_err() {
        return Err("cannot write the report to standard output".into());
    }
    let too_many = args.max_warnings.is_some_and(|max| warnings > max);
    if let (true, Some(max)) = (too_many, args.max_warnings) {
        let _ = writeln!(
            stderr,
            "note: {warnings} warning{} found, more than --max-warnings {max}: exit 1",
            if warnings == 1 { "" } else { "s" }
        );
    }
    let code = if errors || too_many { EXIT_FINDINGS } else { EXIT_OK };
    drop(reports);
    if finish == Finish::Exit {
        // The process ends right after: freeing every parsed file of both projects one by one
        // is work nobody waits for (16% of the wall time at 10,000 files). The system takes it all.
        std::mem::forget(checked);
    }
    Ok(code)
}

/// The project root relative to the repository's top level (`apps/web`, `.`), when it is in one.
fn repository_root(root: &Path) -> Option<String> {
    let root = std::fs::canonicalize(root).ok()?;
    let top = discover::repository_top(&root)?;
    root.starts_with(&top).then(|| discover::relative_to(&root, &top))
}

type Checked = (crate::analysis::Workspace, Vec<crate::analysis::Finding>, Vec<String>);

/// One project: its workspace, its findings and the notes of the run.
fn check(args: &Args, env: &dyn Fn(&str) -> Option<String>, path: &Path) -> Result<Checked, String> {
    // An explicit choice wins; then the pull request of a CI job; then the default.
    let explicit = args.base.no_base || args.base.base.is_some() || args.base.base_dir.is_some();
    let ci = if explicit { None } else { ci_base(env) };
    let choice = match &ci {
        Some(CiBase::GithubPullRequest(target)) => BaseChoice::PullRequest(target.clone()),
        Some(CiBase::GitlabMergeRequest(sha)) => BaseChoice::Git(sha.clone()),
        None => args.base.choice(),
    };
    let mut ws = match sources::load(path, &choice) {
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
        match apply_safe_fixes(&ws, path, &analysis.findings, &choice)? {
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
    Ok((ws, analysis.findings, notes))
}

//! `convex-migrate check`: the analysis for CI and terminals.

use std::io::Write;
use std::path::PathBuf;

use crate::analysis::{analyze, Input};
use crate::cli::render;
use crate::cli::{Format, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::config::FILE_NAME;
use crate::sources::{self, Base};

pub struct Args {
    pub path: PathBuf,
    pub base: crate::cli::BaseArgs,
    pub format: Format,
}

pub fn run(args: Args) -> i32 {
    match check(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_ERROR
        }
    }
}

fn check(args: &Args) -> Result<i32, String> {
    let working = sources::read_working(&args.path).map_err(|e| e.to_string())?;
    let base = args.base.read(&working)?;
    let (base_project, base_commit) = match &base {
        Base::Project { project, commit, .. } => (Some(&**project), commit.clone()),
        Base::Off { .. } => (None, None),
    };
    let mut notes = working.notes.clone();
    if let Base::Off { reason } = &base {
        notes.push(reason.clone());
    }
    if working.project.schema.is_none() {
        let has_schema_file = working.project.layout.schema_paths().iter().any(|p| working.project.file_id(p).is_some());
        notes.push(if has_schema_file {
            "the schema could not be read (no `export default defineSchema(...)` found): schema rules are off".into()
        } else {
            format!("no {}/schema.ts: schema rules are off", working.project.layout.functions_dir)
        });
    }
    let config_errors = working.config_errors.as_deref().map(|e| (FILE_NAME, e));
    let analysis = analyze(&Input { working: &working.project, base: base_project, config: &working.config, config_errors });
    notes.extend(analysis.notes.iter().cloned());

    let mut stderr = std::io::stderr().lock();
    for note in &notes {
        let _ = writeln!(stderr, "note: {note}");
    }
    if let Base::Project { described_as, commit, .. } = &base {
        if args.format == Format::Human {
            let short = commit.as_deref().map(|c| format!(" ({})", &c[..c.len().min(12)])).unwrap_or_default();
            let _ = writeln!(stderr, "note: comparing with the base: {described_as}{short}");
        }
    }
    let out = render::render(args.format, &working, base_commit.as_deref(), &analysis.findings);
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(out.as_bytes()).and_then(|_| stdout.flush()).is_err() {
        return Err("cannot write the report to standard output".into());
    }
    Ok(if analysis.has_errors() { EXIT_FINDINGS } else { EXIT_OK })
}

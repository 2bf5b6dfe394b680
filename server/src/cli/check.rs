//! `convex-migrate check`: the analysis for CI and terminals.

use std::io::Write;
use std::path::PathBuf;

use crate::analysis::Baseline;
use crate::cli::render;
use crate::cli::{Format, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::sources;

pub struct Args {
    pub path: PathBuf,
    pub base: crate::cli::BaseArgs,
    pub format: Format,
    pub data: crate::cli::DataArgs,
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
    let mut ws = sources::load(&args.path, &args.base.choice()).map_err(|e| e.to_string())?;
    if let Some(snapshot) = &args.data.snapshot {
        crate::cli::data::attach(&mut ws, snapshot, args.data.samples)?;
    }
    let mut notes = ws.notes.clone();
    notes.extend(ws.data.as_deref().map(crate::cli::data::notes).unwrap_or_default());
    if let Baseline::Off { reason } = &ws.base {
        notes.push(reason.clone());
    }
    if ws.working.schema.is_none() {
        let has_schema_file = ws.working.layout.schema_paths().iter().any(|p| ws.working.file_id(p).is_some());
        notes.push(if has_schema_file {
            "the schema could not be read (no `export default defineSchema(...)` found): schema rules are off".into()
        } else {
            format!("no {}/schema.ts: schema rules are off", ws.working.layout.functions_dir)
        });
    }
    let analysis = ws.analyze();
    notes.extend(analysis.notes.iter().cloned());

    let mut stderr = std::io::stderr().lock();
    for note in &notes {
        let _ = writeln!(stderr, "note: {note}");
    }
    if args.format == Format::Human {
        match &ws.base {
            Baseline::Read { source: crate::analysis::BaseSource::Commit { id, described_as }, .. } => {
                let _ = writeln!(stderr, "note: comparing with the base: {described_as} ({})", &id[..id.len().min(12)]);
            }
            Baseline::Read { source: crate::analysis::BaseSource::Folder { path }, .. } => {
                let _ = writeln!(stderr, "note: comparing with the base: {path}");
            }
            _ => {}
        }
    }
    let out = render::render(args.format, &ws, &args.path, &analysis.findings);
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(out.as_bytes()).and_then(|_| stdout.flush()).is_err() {
        return Err("cannot write the report to standard output".into());
    }
    Ok(if analysis.has_errors() { EXIT_FINDINGS } else { EXIT_OK })
}

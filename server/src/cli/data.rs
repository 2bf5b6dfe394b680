//! `--snapshot FILE.zip` for `check`, `plan` and `verify`: reads the export for the questions the
//! analysis asks, with a progress line on a terminal.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::analysis::data::{Question, Snapshot};
use crate::analysis::Workspace;
use crate::sources::snapshot::{self, Progress};

/// Reads `path` for `questions`; the error is the one-line message for `error: …`.
pub fn read(path: &Path, questions: Vec<Question>, samples: usize) -> Result<Snapshot, String> {
    let tty = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut last = Instant::now();
    let mut shown = false;
    let mut progress = |p: &Progress| {
        // Only for reads long enough to wait for, ten times a second.
        if tty && started.elapsed() > Duration::from_millis(300) && last.elapsed() > Duration::from_millis(100) {
            last = Instant::now();
            shown = true;
            let percent = (p.done * 100).checked_div(p.total).unwrap_or(100);
            let _ = write!(std::io::stderr(), "\rreading {}: `{}`, {percent}% ({} documents)\x1b[K", path.display(), p.table, p.documents);
        }
        ControlFlow::Continue(())
    };
    let result = snapshot::read(path, questions, samples, &mut progress);
    if shown {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
    result.map_err(|e| e.to_string())
}

/// Reads the snapshot for everything the analysis of `ws` asks, into `ws.data`.
pub fn attach(ws: &mut Workspace, path: &Path, samples: usize) -> Result<(), String> {
    let questions = crate::analysis::data::questions(ws);
    ws.data = Some(Arc::new(read(path, questions, samples)?));
    Ok(())
}

/// For `plan`: what the analysis asks, and the planned field's own question.
pub fn attach_for(ws: &mut Workspace, path: &Path, samples: usize, change: Option<&crate::fixes::plan::Change>) -> Result<(), String> {
    use crate::fixes::plan::Change;
    let mut questions = crate::analysis::data::questions(ws);
    let field_of = |table: &str, field: &str| ws.working.schema.as_ref()?.table(table)?.field(field).map(|f| f.validator.clone());
    let extra = match change {
        Some(Change::Require { table, field, .. }) => field_of(table, field).map(|v| Question::fill(table, field, &v)),
        Some(Change::Remove { table, field }) => Some(Question::unset(table, field)),
        _ => None,
    };
    if let Some(q) = extra.filter(|q| !questions.iter().any(|o| o.key() == q.key())) {
        questions.push(q);
    }
    ws.data = Some(Arc::new(read(path, questions, samples)?));
    Ok(())
}

/// What `check` says about the snapshot on stderr: what was read, and what was not.
pub fn notes(snapshot: &Snapshot) -> Vec<String> {
    let mut notes = Vec::new();
    let documents: u64 = snapshot.tables.values().sum();
    let when = match &snapshot.taken {
        Some(t) if t.from == crate::analysis::data::TakenFrom::FileModified => format!(", file modified {}", t.at),
        Some(t) => format!(", taken {}", t.at),
        None => String::new(),
    };
    let from = snapshot.deployment.as_ref().map(|d| format!(" of `{d}`")).unwrap_or_default();
    notes.push(format!(
        "snapshot {}{from}{when}: {} table{} read, {documents} document{}",
        snapshot.path,
        snapshot.tables.len(),
        if snapshot.tables.len() == 1 { "" } else { "s" },
        if documents == 1 { "" } else { "s" }
    ));
    if !snapshot.components.is_empty() {
        notes.push(format!(
            "snapshot: the tables of the component{} {} are the component's, not the app's: not read",
            if snapshot.components.len() == 1 { "" } else { "s" },
            snapshot.components.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    let mut missing: Vec<&str> =
        snapshot.questions.iter().zip(&snapshot.answers).filter(|(_, a)| a.is_none()).map(|(q, _)| q.table.as_str()).collect();
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        notes.push(format!(
            "snapshot: no table {} in {}: their findings are not counted (is it this project's export?)",
            missing.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "),
            snapshot.path
        ));
    }
    notes
}

/// `verify TABLE.FIELD --snapshot FILE.zip`: counts the documents left to migrate in the export
/// and, when none is, records the field in the ledger for the deployment the snapshot came from.
pub fn verify(field_ref: &str, project: &Path, path: &Path, deployment: Option<&str>) -> Result<i32, String> {
    use crate::analysis::backfill::Goal;
    use crate::analysis::data::{counted, Question};
    let crate::names::FieldRef { table, field } = crate::names::FieldRef::parse(field_ref)?;
    let ws = crate::sources::load(project, &crate::sources::BaseChoice::Off).map_err(|e| e.to_string())?;
    let schema = ws.working.schema.as_ref().ok_or("no schema in this project: nothing to verify")?;
    let t = schema.table(&table).ok_or_else(|| format!("unknown table `{table}` in the schema"))?;
    // A field of the schema is filled (or unset, when it is marked deprecated); one already gone
    // from the schema is unset.
    let (question, goal) = match t.field(&field) {
        Some(f) => match crate::analysis::state::goal(&ws.working, &table, &field) {
            Goal::Fill => (Question::fill(&table, &field, &f.validator), Goal::Fill),
            Goal::Unset => (Question::unset(&table, &field), Goal::Unset),
        },
        None => (Question::unset(&table, &field), Goal::Unset),
    };
    let root = crate::sources::project_root(project).map_err(|e| e.to_string())?;
    let snapshot = read(path, vec![question.clone()], crate::analysis::data::DEFAULT_SAMPLES)?;
    let deployment = which_deployment(&snapshot, deployment, &root)?;
    if goal == Goal::Unset {
        // Judged for the snapshot's deployment: the backfills that read the field verified there.
        let judged =
            crate::sources::load(project, &crate::sources::BaseChoice::Off).map_err(|e| e.to_string())?.for_deployment(&deployment);
        crate::fixes::plan::refuse_unset_before_readers(&judged, &table, &field)?;
    }
    let answer = match snapshot.lookup(&question) {
        crate::analysis::data::Lookup::Counted(answer) => answer.clone(),
        _ => return Err(format!("{}: the table `{table}` is not in this snapshot: is it this project's export?", path.display())),
    };
    let left = answer.missing.count + answer.rejected.count;
    let verb = match goal {
        Goal::Fill => ("lacks", "lack"),
        Goal::Unset => ("holds", "hold"),
    };
    let mut stdout = std::io::stdout().lock();
    let described = snapshot.described();
    if left > 0 {
        let mut samples: Vec<String> = answer.missing.samples.iter().chain(&answer.rejected.samples).cloned().collect();
        samples.truncate(crate::analysis::data::DEFAULT_SAMPLES);
        let _ = writeln!(
            stdout,
            "{table}.{field}: in {described} (`{deployment}`), {}{}; the ledger is unchanged. Run the backfill again, export again, then verify.",
            counted(left, answer.total, &table, verb, &format!("`{field}`")),
            if answer.rejected.count > 0 && goal == Goal::Fill {
                format!(" ({} hold a value `{}` rejects)", answer.rejected.count, t.field(&field).map(|f| f.validator.required().to_string()).unwrap_or_default())
            } else {
                String::new()
            }
        );
        let _ = writeln!(stdout, "  e.g. {}", samples.join(", "));
        return Ok(crate::cli::EXIT_FINDINGS);
    }
    let entry = crate::config::Verified {
        deployment: Some(deployment.clone()),
        at: Some(snapshot.taken.as_ref().map(|t| t.at.clone()).unwrap_or_else(crate::config::ledger::now)),
        remaining: Some(0),
        scanned: Some(answer.total),
        ..crate::config::Verified::default()
    };
    let text = crate::config::ledger::record(ws.config.text.as_deref(), field_ref, &entry)?;
    let file = root.join(crate::config::FILE_NAME);
    crate::sources::disk::write_atomic(&file, &text).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    let _ = writeln!(
        stdout,
        "{table}.{field} verified on `{deployment}` from {described}: {}; recorded in {}",
        counted(0, answer.total, &table, verb, &format!("`{field}`")),
        crate::config::FILE_NAME
    );
    Ok(crate::cli::EXIT_OK)
}

/// The deployment a snapshot came from: `--deployment`, else the one its file name names (as
/// `dev`/`prod` when `.env.local`'s `CONVEX_DEPLOYMENT` names it so, else by its name). A name
/// that contradicts `--deployment` is an error; so is not knowing.
fn which_deployment(snapshot: &Snapshot, given: Option<&str>, root: &Path) -> Result<String, String> {
    let env = crate::sources::disk::read_optional(root, ".env.local").ok().flatten().unwrap_or_default();
    let known = snapshot.deployment.as_deref().map(|name| {
        let kind = env.lines().find_map(|l| {
            let value = l.trim().strip_prefix("CONVEX_DEPLOYMENT=")?.split('#').next()?.trim().trim_matches(['"', '\'']);
            let (kind, n) = value.split_once(':')?;
            (n == name).then(|| kind.to_string())
        });
        (name.to_string(), kind)
    });
    match (given, known) {
        (Some(given), Some((name, Some(kind)))) if given != kind && given != name => Err(format!(
            "{} comes from `{name}`, this project's {kind} deployment (.env.local), not `{given}`",
            snapshot.path
        )),
        (Some(given), _) => Ok(given.to_string()),
        (None, Some((_, Some(kind)))) => Ok(kind),
        (None, Some((name, None))) => Ok(name),
        (None, None) => Err(format!(
            "cannot tell which deployment {} comes from (Convex names its downloads snapshot_<deployment>_<time>.zip): pass --deployment prod (or dev, or its name)",
            snapshot.path
        )),
    }
}

//! `convex-migrate verify TABLE.FIELD`: runs the field's verify function with `npx convex run` and,
//! when nothing is left, records it in the ledger (`verified` in `convex-migrate.json`).

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::analysis::command::RunCommand;
use crate::analysis::state::MigrationState;
use crate::cli::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::config::{Verified, FILE_NAME};
use crate::names::FieldRef;
use crate::project::FunctionKind;
use crate::sources;

pub struct Args {
    pub field: String,
    pub project: PathBuf,
    /// The deployment verified (`dev`, `prod`, a name).
    pub deployment: String,
    pub npx: String,
    /// `--snapshot FILE.zip`: count from an export instead of running the verify function.
    pub snapshot: Option<PathBuf>,
    /// `--deployment NAME` / `--prod` as given: with a snapshot, the deployment it came from when
    /// its file name does not say.
    pub named_deployment: Option<String>,
    /// For a narrowing: the removed values whose absence is verified (`--without guest,old`).
    pub without: Vec<String>,
}

/// The literals `--without` names, among the field's values at the base or now (`guest`, `"guest"`).
fn removed_values(
    validator: &Option<crate::model::validator::Validator>,
    without: &[String],
) -> Result<Option<Vec<crate::model::validator::Literal>>, String> {
    use crate::model::validator::Literal;
    if without.is_empty() {
        return Ok(None);
    }
    let names: Vec<&str> = without.iter().flat_map(|w| w.split(',')).map(str::trim).filter(|w| !w.is_empty()).collect();
    let known = validator.as_ref().and_then(|v| v.literals()).unwrap_or_default();
    let mut out = Vec::new();
    for name in names {
        let literal =
            known.iter().find(|l| l.to_string() == name || matches!(l, Literal::String(s) if s == name)).cloned().unwrap_or_else(|| {
                match name.parse::<f64>() {
                    Ok(n) => Literal::Number(n),
                    Err(_) => match name {
                        "true" => Literal::Boolean(true),
                        "false" => Literal::Boolean(false),
                        other => Literal::String(other.trim_matches('"').to_string()),
                    },
                }
            });
        out.push(literal);
    }
    Ok(Some(out))
}

pub fn run(args: Args) -> i32 {
    match verify(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_ERROR
        }
    }
}

/// What to run, and how to read its answer.
enum Check {
    /// A verify function returning `{ scanned, remaining }`.
    Function(String),
    /// `@convex-dev/migrations`: the component's status of a migration.
    Component(String),
}

fn verify(args: &Args) -> Result<i32, String> {
    if let Some(snapshot) = &args.snapshot {
        return crate::cli::data::verify(&args.field, &args.project, snapshot, args.named_deployment.as_deref());
    }
    let FieldRef { table, field } = FieldRef::parse(&args.field)?;
    let (table, field) = (table.as_str(), field.as_str());
    let ws = sources::load(&args.project, &sources::BaseChoice::Off).map_err(|e| e.to_string())?.for_deployment(&args.deployment);
    let project = &ws.working;
    let schema = project.schema.as_ref().ok_or("no schema in this project: nothing to verify")?;
    let t = schema.table(table).ok_or_else(|| format!("unknown table `{table}` in the schema"))?;
    if t.field(field).is_none() {
        return Err(format!("unknown field `{field}` of `{table}` in the schema"));
    }
    let state = MigrationState::of(&ws, table, field).ok_or("cannot read the field's state")?;
    if state.goal == crate::analysis::backfill::Goal::Unset {
        crate::fixes::plan::refuse_unset_before_readers(&ws, table, field)?;
    }
    let removed = removed_values(&t.field(field).map(|f| f.validator.clone()), &args.without)?;
    let verifies = project.verifies(table, field);
    let chosen = match &removed {
        // A narrowing: the verify function that compares with every removed value.
        Some(values) => {
            let text = |f: &crate::project::Function| {
                let own = project.file(f.statement.file).text.get(f.statement.range.as_usize_range()).unwrap_or("").to_string();
                let page = project.functions.iter().find(|p| p.file == f.file && p.name == format!("{}Page", f.name));
                own + &page
                    .map(|p| project.file(p.statement.file).text.get(p.statement.range.as_usize_range()).unwrap_or("").to_string())
                    .unwrap_or_default()
            };
            let found = verifies.iter().copied().find(|f| values.iter().all(|v| text(f).contains(&v.to_string())));
            Some(found.ok_or_else(|| {
                format!("no verify function of `{table}.{field}` counts {}: generate it with `convex-migrate plan narrow {table}.{field} --map …`", args.without.join(", "))
            })?)
        }
        None => verifies.first().copied(),
    };
    let check = match chosen {
        Some(f) => Check::Function(f.reference.clone()),
        None => {
            let component = state
                .backfills
                .iter()
                .find(|b| project.functions.iter().any(|f| f.reference == b.reference && f.kind == FunctionKind::Migration));
            match component {
                Some(b) => Check::Component(b.reference.clone()),
                None => {
                    return Err(format!(
                        "no verify function for `{table}.{field}`: generate one with `convex-migrate plan require {table}.{field} --apply` (or the editor's *Generate verify*), deploy it, then run this again"
                    ))
                }
            }
        }
    };
    let mut run = match &check {
        Check::Function(reference) => RunCommand::new(reference),
        Check::Component(reference) => {
            RunCommand::new("lib:getStatus").component("migrations").args(serde_json::json!({ "names": [reference] }).to_string())
        }
    };
    run = run.on(&args.deployment);
    let root = sources::project_root(&args.project).map_err(|e| e.to_string())?;
    let mut command = Command::new(&args.npx);
    command.current_dir(&root).args(run.argv()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit());
    let shown = run.to_string();
    eprintln!("$ {shown}");
    let mut child = command.spawn().map_err(|e| format!("cannot run `{}` ({e}); is Node.js installed? (--npx sets the path)", args.npx))?;
    let mut output = String::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            eprintln!("  {line}");
            output.push_str(&line);
            output.push('\n');
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        eprintln!("`{shown}` failed ({status}); the ledger is unchanged");
        return Ok(EXIT_FINDINGS);
    }
    let remaining = match &check {
        Check::Function(_) => match crate::config::ledger::parse_verify_output(&output) {
            Some(r) => r,
            None => {
                eprintln!("the verify function did not return {{ remaining }}; the ledger is unchanged");
                return Ok(EXIT_FINDINGS);
            }
        },
        Check::Component(_) => {
            let done = output.contains("\"success\"") || output.contains("isDone: true") || output.contains("\"isDone\": true");
            crate::config::ledger::VerifyResult { scanned: None, remaining: if done { 0 } else { 1 } }
        }
    };
    let mut stdout = std::io::stdout().lock();
    if remaining.remaining > 0 {
        let _ = writeln!(
            stdout,
            "{table}.{field}: {} document(s) still need the migration; the ledger is unchanged. Run the backfill again, then verify.",
            remaining.remaining
        );
        return Ok(EXIT_FINDINGS);
    }
    let mut entry = Verified::now_on(&args.deployment);
    entry.without = removed.iter().flatten().map(|l| l.json()).collect();
    let text = crate::config::ledger::record(ws.config.text.as_deref(), &args.field, &entry)?;
    let path = root.join(FILE_NAME);
    sources::disk::write_atomic(&path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let scanned = remaining.scanned.map(|s| format!(" ({s} scanned)")).unwrap_or_default();
    let _ = writeln!(stdout, "{table}.{field} verified: nothing left{scanned}; recorded in {FILE_NAME}");
    Ok(EXIT_OK)
}

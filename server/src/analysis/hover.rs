//! What hover shows, as Markdown: a schema field's migration state, a dual-write pair's phase, a
//! backfill or verify function's field, the migrations in flight on a table read or written. The
//! language server only converts the range.

use std::fmt::Write;

use crate::analysis::dual_write::{self, Pair, Source};
use crate::analysis::state::{migration_functions, MigrationRole, MigrationState};
use crate::analysis::{Location, Side, Workspace};
use crate::line_index::{ColumnUnit, TextRange};
use crate::model::body::TableRef;
use crate::project::Function;

/// Hover content for a range of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hover {
    pub markdown: String,
    /// The range it is about, in the file hovered.
    pub range: TextRange,
}

/// A place as hover names it: `convex/migrations.ts:12`, or `convex/old.ts at the base`.
fn locate(ws: &Workspace, location: &Location) -> String {
    match location.side {
        Side::Working => {
            let index = ws.line_index(Side::Working, &location.path);
            let text = ws.text(Side::Working, &location.path).unwrap_or("");
            format!("{}:{}", location.path, index.line_col(text, location.range.start, ColumnUnit::Utf8).line + 1)
        }
        Side::Base => format!("{} at the base", location.path),
    }
}

fn locate_function(ws: &Workspace, f: &Function) -> String {
    locate(ws, &Location::working(ws.working.path(f.file), f.loc.range))
}

/// The hover at byte `offset` of the working file `path`: a schema field in transition, a write of
/// a dual-write pair, a backfill or verify function (its field's state), or a table read or
/// written (the migrations in flight on it).
pub fn at(ws: &Workspace, path: &str, offset: u32) -> Option<Hover> {
    let working = &ws.working;
    ws.text(Side::Working, path)?;
    let schema = working.schema.as_ref()?;
    let hover = |markdown: String, range: TextRange| Hover { markdown, range };
    let field = schema.tables.iter().find_map(|t| {
        t.fields
            .iter()
            .find(|f| working.path(f.loc.file) == path && f.loc.range.start <= offset && offset <= f.loc.range.end)
            .map(|f| (t, f))
    });
    let pairs = dual_write::pairs(working, ws.base().map(|b| &**b), &ws.config.config);
    if let Some((table, field)) = field {
        let side = |s: &crate::names::Place| s.table == table.name && s.field.as_deref() == Some(field.name.as_str());
        let mut value: Vec<String> = pairs.iter().filter(|p| side(&p.from) || side(&p.to)).map(|p| pair_markdown(ws, p)).collect();
        if let Some(state) = MigrationState::of(ws, &table.name, &field.name).filter(|s| s.in_transition()) {
            value.insert(0, field_markdown(ws, &state));
        }
        return (!value.is_empty()).then(|| hover(value.join("\n---\n\n"), field.loc.range));
    }
    let file = working.file_id(path)?;
    for pair in &pairs {
        for site in dual_write::sites(working, pair) {
            if let Some(loc) = site.writes_from.iter().chain(&site.writes_to).find(|l| l.file == file && l.range.contains(offset)) {
                return Some(hover(pair_markdown(ws, pair), loc.range));
            }
        }
    }
    for (function, role) in migration_functions(ws, file) {
        if !function.loc.range.contains(offset) {
            continue;
        }
        let (what, table, field) = match &role {
            MigrationRole::Backfill { table, field, .. } => ("Backfill", table, field),
            MigrationRole::Verify { table, field } => ("Verify", table, field),
        };
        let mut value = format!("{what} of `{table}.{field}`\n\n");
        if let Some(state) = MigrationState::of(ws, table, field) {
            value.push_str(&field_markdown(ws, &state));
        }
        return Some(hover(value, function.loc.range));
    }
    for function in working.functions.iter() {
        let reads = function.reads.iter().filter(|r| r.file == file).map(|r| (&r.item.table, r.item.range));
        let writes = function.writes.iter().filter(|w| w.file == file).map(|w| (&w.item.table, w.item.method_range));
        for (table, range) in reads.chain(writes) {
            let TableRef::Name(table) = table else { continue };
            if !range.contains(offset) {
                continue;
            }
            let fields: Vec<String> = schema
                .table(table)?
                .fields
                .iter()
                .filter_map(|f| MigrationState::of(ws, table, &f.name).filter(|s| s.in_transition()))
                .map(|s| format!("- `{}.{}`: {}", s.table, s.field, s.phase.describe()))
                .collect();
            if fields.is_empty() {
                return None;
            }
            return Some(hover(format!("**Migrations in flight on `{table}`**\n\n{}\n", fields.join("\n")), range));
        }
    }
    None
}

/// A field in transition: the phase, base vs working, the checklist, its backfills and verifies
/// with the commands that run them.
pub fn field_markdown(ws: &Workspace, state: &MigrationState) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "**`{}.{}`** — {}\n", state.table, state.field, state.phase.describe());
    let base = match (&state.base, state.has_base) {
        (Some(b), _) => format!("`{b}`"),
        (None, true) => "absent".to_string(),
        (None, false) => "unknown (no baseline)".to_string(),
    };
    let working = state.working.as_ref().map_or("removed".to_string(), |w| format!("`{w}`"));
    let _ = writeln!(out, "| deployed (base) | working tree |\n|---|---|\n| {base} | {working} |\n");
    for check in &state.checks {
        let mark = if check.done { "✓" } else { "☐" };
        let label = check.kind.label(state.goal);
        match &check.note {
            Some(note) => {
                let _ = writeln!(out, "- {mark} {label} — {note}");
            }
            None => {
                let _ = writeln!(out, "- {mark} {label}");
            }
        }
    }
    // Every deployment's verification, the one judged first.
    if !state.verifications.is_empty() {
        let _ = writeln!(out, "\n**Verified** (counted for `{}`)", ws.deployment);
        for v in &state.verifications {
            let on = v.deployment.as_deref().map_or("every deployment (no deployment named)".to_string(), |d| format!("`{d}`"));
            let left = match v.remaining {
                Some(0) | None => "nothing left".to_string(),
                Some(n) => format!("{n} left"),
            };
            let at = v.at.as_deref().map(|a| format!(", {a}")).unwrap_or_default();
            let _ = writeln!(out, "- {on}: {left}{at}");
        }
    }
    // Each function with the commands that run it, here and in production.
    let mut list = |title: &str, functions: &[crate::analysis::state::FunctionRef], deployed: bool, expect: &str| {
        if functions.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n**{title}**");
        for f in functions {
            let place = locate(ws, &f.location);
            let place = match (deployed, f.deployed) {
                (false, _) => place,
                (true, true) => format!("{place}, deployed"),
                (true, false) => format!("{place}, not deployed yet"),
            };
            let _ = writeln!(out, "- `{}` ({place}): `{}`{expect} · production: `{}`", f.reference, f.run(ws), f.run(ws).prod());
        }
    };
    list("Backfill", &state.backfills, true, "");
    list("Verify", &state.verifies, false, " — expect `remaining: 0`");
    out.push_str(&data_markdown(ws, state));
    out
}

/// What the snapshot setting's export says of the field: the documents left to migrate.
fn data_markdown(ws: &Workspace, state: &MigrationState) -> String {
    use crate::analysis::backfill::Goal;
    use crate::analysis::data::{counted, Data};
    let Some(question) = crate::analysis::data::question_of(state) else { return String::new() };
    let verb = match state.goal {
        Goal::Fill => ("lacks", "lack"),
        Goal::Unset => ("holds", "hold"),
    };
    match Data::of(ws, &question) {
        Data::Counted { answer, snapshot, .. } => {
            let left = answer.missing.count + answer.rejected.count;
            let mut line =
                format!("\n**Data** ({snapshot}): {}", counted(left, answer.total, &state.table, verb, &format!("`{}`", state.field)));
            if state.goal == Goal::Fill && answer.rejected.count > 0 {
                line.push_str(&format!(
                    " ({} with a value `{}` rejects)",
                    answer.rejected.count,
                    state.working.as_ref().map(|w| w.required().to_string()).unwrap_or_default()
                ));
            }
            let samples: Vec<String> =
                answer.missing.samples.iter().chain(&answer.rejected.samples).take(3).map(|s| format!("`{s}`")).collect();
            if !samples.is_empty() {
                line.push_str(&format!(" — e.g. {}", samples.join(", ")));
            }
            line.push('\n');
            line
        }
        Data::TableMissing { sentence } => format!("\n**Data**: {sentence}\n"),
        Data::None => String::new(),
    }
}

/// A dual-write pair: where it comes from, its step, who writes and reads each side.
pub fn pair_markdown(ws: &Workspace, pair: &Pair) -> String {
    let phase = dual_write::phase(&ws.working, pair);
    let mut out = String::new();
    let source = match &pair.source {
        Source::Declared => "declared in convex-migrate.json".to_string(),
        Source::Inferred { function, .. } => format!("inferred from `{function}`"),
    };
    let _ = writeln!(out, "**Dual-write `{}` → `{}`** ({source})\n", pair.from, pair.to);
    let _ = writeln!(out, "Step: {}\n", phase.step);
    let _ = writeln!(out, "Steps: write both · read old → migrate → read new · write both → write new only\n");
    let list = |out: &mut String, title: &str, functions: &[&Function]| {
        if functions.is_empty() {
            return;
        }
        let names: Vec<String> = functions.iter().map(|f| format!("`{}` ({})", f.reference, locate_function(ws, f))).collect();
        let _ = writeln!(out, "- {title}: {}", names.join(", "));
    };
    list(&mut out, "write both", &phase.both);
    list(&mut out, &format!("write only `{}`", pair.from), &phase.only_from);
    list(&mut out, &format!("write only `{}`", pair.to), &phase.only_to);
    list(&mut out, &format!("read `{}`", pair.from), &phase.read_from);
    list(&mut out, &format!("read `{}`", pair.to), &phase.read_to);
    out
}

//! A plan as people read it (the checklist with the evidence of each ✓, the next step, the code
//! each step writes, the commands) and as tools read it (JSON: stable ids, kinds, evidence, argv,
//! each edit's positions in the file it applies to).

use std::fmt::Write as _;

use super::{Plan, Step};
use crate::analysis::{Side, Workspace};

pub fn human(plan: &Plan, base_note: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Plan: {}  ({base_note}; for {})", plan.change, plan.deployment);
    for note in &plan.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    let last = plan.last_deploy();
    let next = plan.steps.iter().position(|s| !s.done);
    let mut phase = None;
    for (i, step) in plan.steps.iter().enumerate() {
        if phase != Some(step.phase) {
            let _ = writeln!(out, "\n{}", step.phase.title(last));
            phase = Some(step.phase);
        }
        let mark = if step.done { "✓" } else { "☐" };
        let here = if next == Some(i) { "   ← next" } else { "" };
        let _ = writeln!(out, "  {:>2}. {mark} {}{here}", i + 1, step.title);
        if step.done {
            if let Some(first) = step.evidence.first() {
                let more = if step.evidence.len() > 1 { format!(" (+{} more)", step.evidence.len() - 1) } else { String::new() };
                let _ = writeln!(out, "        ✓ {first}{more}");
            }
            continue;
        }
        for e in &step.evidence {
            let _ = writeln!(out, "        ✓ {e}");
        }
        for m in &step.missing {
            let _ = writeln!(out, "        ✗ {m}");
        }
        if let Some(why) = &step.blocked {
            let _ = writeln!(out, "        blocked: {why}");
        }
        for c in &step.commands {
            let purpose = c.purpose.as_ref().map(|p| format!("   # {p}")).unwrap_or_default();
            let _ = writeln!(out, "        $ {}{purpose}", c.line());
        }
        match (&step.fix, &step.manual) {
            (Some(fix), _) => {
                let _ = writeln!(out, "        `plan --apply` does it: {}", fix.title);
                if next != Some(i) {
                    continue;
                }
                for file in &fix.edits {
                    if file.delete {
                        let _ = writeln!(out, "        deletes {}", file.path);
                        continue;
                    }
                    for edit in file.edits.iter().filter(|e| !e.new_text.trim().is_empty()) {
                        let _ = writeln!(out, "        in {}:", file.path);
                        for line in edit.new_text.trim_matches('\n').lines() {
                            let _ = writeln!(out, "          | {line}");
                        }
                    }
                }
            }
            (None, Some(why)) => {
                let _ = writeln!(out, "        by hand: {why}");
            }
            (None, None) => {}
        }
    }
    match next {
        Some(i) => {
            let _ = writeln!(out, "\nNext: step {}. {}", i + 1, plan.steps[i].title);
        }
        None if plan.steps.is_empty() => {
            let _ = writeln!(out, "\nNothing to plan.");
        }
        None => {
            let _ = writeln!(out, "\nEvery step is done.");
        }
    }
    out
}

/// The plan as JSON (`version` 2): `steps[]` with `id`, `kind`, `phase`, `done`, `evidence`,
/// `missing`, `blocked`, `manual`, `commands[]` (`argv`, `function`, `args`, `deployment`) and the
/// edit (`fix.files[]` with 1-based line/column positions in characters, `create`, `delete`).
pub fn json(ws: &Workspace, plan: &Plan, base: serde_json::Value) -> String {
    let steps: Vec<serde_json::Value> = plan.steps.iter().enumerate().map(|(i, s)| step_json(ws, i + 1, s)).collect();
    let next = plan.steps.iter().position(|s| !s.done);
    let value = serde_json::json!({
        "version": 2,
        "change": plan.change,
        "deployment": plan.deployment,
        "base": base,
        "notes": plan.notes,
        "steps": steps,
        "next": next.map(|i| plan.steps[i].id.clone()),
        "nextNumber": next.map(|i| i + 1),
    });
    format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default())
}

/// A fix as JSON: its title and each file's edits with 1-based positions (`start`, `end`:
/// `line`, `column` in characters) and `newText`. `plan` gives a step's edit so, and `check
/// --format json` each finding's fixes.
pub fn fix_json(ws: &Workspace, f: &crate::fixes::Fix) -> serde_json::Value {
    let files: Vec<serde_json::Value> = f
        .edits
        .iter()
        .map(|e| {
            let text = if e.create { "" } else { ws.text(Side::Working, &e.path).unwrap_or_default() };
            let index = crate::line_index::LineIndex::new(text);
            let pos = |o: u32| {
                let lc = index.line_col(text, o, crate::line_index::ColumnUnit::Chars);
                serde_json::json!({ "line": lc.line + 1, "column": lc.col + 1 })
            };
            serde_json::json!({
                "path": e.path,
                "create": e.create,
                "delete": e.delete,
                "edits": e.presented().iter().map(|t| serde_json::json!({ "start": pos(t.range.start), "end": pos(t.range.end), "newText": t.new_text })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({ "title": f.title, "files": files })
}

fn step_json(ws: &Workspace, number: usize, s: &Step) -> serde_json::Value {
    let fix = s.fix.as_ref().map(|f| fix_json(ws, f));
    let mut value = serde_json::to_value(s).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("number".into(), number.into());
        map.insert("applicable".into(), s.applicable().into());
        map.insert("fix".into(), fix.unwrap_or(serde_json::Value::Null));
    }
    value
}

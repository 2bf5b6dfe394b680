//! A plan as people read it (the checklist, the next step, the code each step writes) and as
//! tools read it (JSON, with each edit's positions in the file it applies to).

use std::fmt::Write as _;

use super::Plan;
use crate::analysis::{Side, Workspace};

pub fn human(plan: &Plan, base_note: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Plan: {}  ({base_note})", plan.change);
    let mut phase = None;
    let next = plan.steps.iter().position(|s| !s.done);
    for (i, step) in plan.steps.iter().enumerate() {
        if phase != Some(step.phase) {
            let _ = writeln!(out, "\n{}", step.phase.title());
            phase = Some(step.phase);
        }
        let mark = if step.done { "✓" } else { "☐" };
        let here = if next == Some(i) { "   ← next" } else { "" };
        let _ = writeln!(out, "  {:>2}. {mark} {}{here}", i + 1, step.title);
        if step.done {
            continue;
        }
        for d in &step.detail {
            let _ = writeln!(out, "        {d}");
        }
        for c in &step.commands {
            let _ = writeln!(out, "        $ {c}");
        }
        if let Some(fix) = &step.fix {
            let _ = writeln!(out, "        `plan --apply` does it: {}", fix.title);
            for file in &fix.edits {
                for edit in file.edits.iter().filter(|e| !e.new_text.trim().is_empty()) {
                    let _ = writeln!(out, "        in {}:", file.path);
                    for line in edit.new_text.trim_matches('\n').lines() {
                        let _ = writeln!(out, "          | {line}");
                    }
                }
            }
        }
    }
    match next {
        Some(i) => {
            let _ = writeln!(out, "\nNext: step {}. {}", i + 1, plan.steps[i].title);
        }
        None => {
            let _ = writeln!(out, "\nEvery step is done.");
        }
    }
    out
}

pub fn json(ws: &Workspace, plan: &Plan) -> String {
    let steps: Vec<serde_json::Value> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let fix = s.fix.as_ref().map(|f| {
                let edits: Vec<serde_json::Value> = f
                    .edits
                    .iter()
                    .map(|e| {
                        let text = ws.text(Side::Working, &e.path).unwrap_or_default();
                        let index = crate::line_index::LineIndex::new(text);
                        let pos = |o: u32| {
                            let lc = index.line_col(text, o, crate::line_index::ColumnUnit::Chars);
                            serde_json::json!({ "line": lc.line + 1, "column": lc.col + 1 })
                        };
                        serde_json::json!({
                            "path": e.path,
                            "create": e.create,
                            "edits": e.edits.iter().map(|t| serde_json::json!({ "start": pos(t.range.start), "end": pos(t.range.end), "newText": t.new_text })).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                serde_json::json!({ "title": f.title, "files": edits })
            });
            serde_json::json!({
                "number": i + 1,
                "phase": s.phase,
                "title": s.title,
                "done": s.done,
                "detail": s.detail,
                "commands": s.commands,
                "fix": fix,
            })
        })
        .collect();
    let value = serde_json::json!({ "version": 1, "change": plan.change, "steps": steps, "next": plan.steps.iter().position(|s| !s.done).map(|i| i + 1) });
    format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default())
}

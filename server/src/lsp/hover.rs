//! Hover text: a field's migration state, as Markdown.

use std::fmt::Write;

use crate::analysis::state::FieldState;

/// The `--prod` variant of a command.
fn prod(command: &str) -> String {
    match command.split_once(" '") {
        Some((head, args)) => format!("{head} --prod '{args}"),
        None => format!("{command} --prod"),
    }
}

/// Markdown for a field in transition; `locate(path, loc)` renders a location (`migrations.ts:12`).
pub fn field_markdown(state: &FieldState, locate: &dyn Fn(&str, Option<crate::project::Loc>) -> String) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "**`{}.{}`** — {}\n", state.table, state.field, state.phase);
    let base = match (&state.base, state.has_base) {
        (Some(b), _) => format!("`{b}`"),
        (None, true) => "absent".to_string(),
        (None, false) => "unknown (no baseline)".to_string(),
    };
    let _ = writeln!(out, "| deployed (base) | working tree |\n|---|---|\n| {base} | `{}` |\n", state.working);
    for step in &state.steps {
        let mark = if step.done { "✓" } else { "☐" };
        match &step.note {
            Some(note) => {
                let _ = writeln!(out, "- {mark} {} — {note}", step.label);
            }
            None => {
                let _ = writeln!(out, "- {mark} {}", step.label);
            }
        }
    }
    if !state.backfills.is_empty() {
        let _ = writeln!(out, "\n**Backfill**");
        for b in &state.backfills {
            let command = crate::fixes::codegen::run_command(&b.reference, None);
            let deployed = if b.deployed { "deployed" } else { "not deployed yet" };
            let _ = writeln!(out, "- `{}` ({}, {deployed}): `{command}` · production: `{}`", b.reference, locate(&b.path, b.loc), prod(&command));
        }
    }
    if !state.verifies.is_empty() {
        let _ = writeln!(out, "\n**Verify**");
        for v in &state.verifies {
            let command = crate::fixes::codegen::run_command(&v.reference, None);
            let _ = writeln!(out, "- `{}` ({}): `{command}` — expect `remaining: 0` · production: `{}`", v.reference, locate(&v.path, v.loc), prod(&command));
        }
    }
    out
}

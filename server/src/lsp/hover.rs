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
            let _ = writeln!(
                out,
                "- `{}` ({}, {deployed}): `{command}` · production: `{}`",
                b.reference,
                locate(&b.path, b.loc),
                prod(&command)
            );
        }
    }
    if !state.verifies.is_empty() {
        let _ = writeln!(out, "\n**Verify**");
        for v in &state.verifies {
            let command = crate::fixes::codegen::run_command(&v.reference, None);
            let _ = writeln!(
                out,
                "- `{}` ({}): `{command}` — expect `remaining: 0` · production: `{}`",
                v.reference,
                locate(&v.path, v.loc),
                prod(&command)
            );
        }
    }
    out
}

/// Markdown for a dual-write pair.
pub fn pair_markdown(
    pair: &crate::analysis::dual_write::Pair,
    phase: &crate::analysis::dual_write::Phase<'_>,
    locate: &dyn Fn(&crate::project::Function) -> String,
) -> String {
    use crate::analysis::dual_write::Source;
    let mut out = String::new();
    let source = match &pair.source {
        Source::Declared => "declared in convex-migrate.json".to_string(),
        Source::Inferred { function, .. } => format!("inferred from `{function}`"),
    };
    let _ = writeln!(out, "**Dual-write `{}` → `{}`** ({source})\n", pair.from, pair.to);
    let _ = writeln!(out, "Step: {}\n", phase.step);
    let _ = writeln!(out, "Steps: write both · read old → migrate → read new · write both → write new only\n");
    let list = |out: &mut String, title: &str, functions: &[&crate::project::Function]| {
        if functions.is_empty() {
            return;
        }
        let names: Vec<String> = functions.iter().map(|f| format!("`{}` ({})", f.reference, locate(f))).collect();
        let _ = writeln!(out, "- {title}: {}", names.join(", "));
    };
    list(&mut out, "write both", &phase.both);
    list(&mut out, &format!("write only `{}`", pair.from), &phase.only_from);
    list(&mut out, &format!("write only `{}`", pair.to), &phase.only_to);
    list(&mut out, &format!("read `{}`", pair.from), &phase.read_from);
    list(&mut out, &format!("read `{}`", pair.to), &phase.read_to);
    out
}

//! `removed-table`: a table leaves the schema; its documents stay, unvalidated.

use crate::analysis::data::{Data, Question};
use crate::analysis::diff::Change;
use crate::analysis::{Context, Finding, Rule, Subject};
use crate::project::Loc;

pub(super) use super::no_fixes as fixes;

pub const DOC: &str = r#"# removed-table (info)

## What it does
Notes a table of the base that is no longer in the schema.

## Why is this bad?
Convex accepts the push, but the table's documents stay in the deployment, no longer validated and still readable by `ctx.db.query("logs")` from old code. Putting the table back later validates them again, and they may no longer match.

## Example
```ts
// base: logs: defineTable({ line: v.string() }),
// working: (table deleted)
```

## Fix
If the documents are no longer needed, delete them with a migration (or in the dashboard) before or after removing the table. Otherwise keep the table in the schema.
"#;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(schema) = &cx.working.schema else { return out };
    for change in &cx.changes {
        let Change::TableRemoved { base } = change else { continue };
        // Point at `defineSchema(` in the working schema: the table itself is gone.
        let at = Loc {
            file: schema.loc.file,
            range: crate::line_index::TextRange::new(schema.loc.range.start, schema.loc.range.start + "defineSchema".len() as u32),
        };
        let mut finding = Finding::new(
            Rule::RemovedTable,
            cx.at(at),
            Subject::Table { table: base.name.clone() },
            format!("table `{}` leaves the schema: its documents stay in the deployment, no longer validated", base.name),
        )
        .help(format!(
            "Delete the documents of `{}` with a migration if they are no longer needed, or keep the table in the schema",
            base.name
        ));
        let data = Data::of(cx.ws, &Question::of_change(change));
        match &data {
            Data::Counted { answer, snapshot, .. } if answer.total == 0 => {
                finding.message = format!("table `{}` leaves the schema; it is empty in {snapshot}: nothing stays", base.name);
                finding.help = None;
                finding = finding.data(data.facts(&[], None));
            }
            Data::Counted { answer, snapshot, .. } => {
                let all = crate::analysis::data::Tally { count: answer.total, samples: Vec::new() };
                let documents = if answer.total == 1 { "document" } else { "documents" };
                finding.message = format!(
                    "table `{}` leaves the schema: its documents stay in the deployment, no longer validated; {snapshot} holds {} {documents}",
                    base.name, answer.total
                );
                finding = finding.data(data.facts(&[&all], None));
            }
            Data::TableMissing { sentence } => finding.message.push_str(&format!(". {sentence}")),
            Data::None => {}
        }
        out.push(finding);
    }
    out
}

//! `invalid-utf8`: a source file that is not UTF-8 text; it is read lossily and analysed.

use crate::analysis::{Context, Finding, Location, Rule, Side, Subject};
use crate::line_index::TextRange;
use crate::project::ReadProblem;

pub(super) use super::no_fixes as fixes;

pub const DOC: &str = r#"# invalid-utf8 (warning)

## What it does
Reports a file of the Convex functions folder (here or at the base) that is not valid UTF-8, with the byte offset of the first bad byte. The file is decoded lossily (each bad sequence becomes U+FFFD) and analysed all the same.

## Why is this bad?
Source files are UTF-8. Bytes that are not are usually an editor or tool writing another encoding, or binary data in the functions folder; strings or names in them may read differently from what Convex's bundler sees.

## Example
```text
convex/users.ts: not UTF-8 from byte 1024 on
```

## Fix
Save the file as UTF-8, or move binary data out of the functions folder.
"#;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (side, revision) in [(Side::Working, Some(cx.working)), (Side::Base, cx.base)] {
        let Some(revision) = revision else { continue };
        for unread in &revision.unread {
            let ReadProblem::InvalidUtf8 { offset } = unread.problem else { continue };
            let at = u32::try_from(offset).unwrap_or(u32::MAX);
            let where_ = if side == Side::Base { " at the base" } else { "" };
            out.push(
                Finding::new(
                    Rule::InvalidUtf8,
                    Location { side, path: unread.path.clone(), range: TextRange::new(at, at.saturating_add(1)) },
                    Subject::File,
                    format!("`{}`{where_} is not UTF-8 from byte {offset} on: it was read with each bad sequence replaced by U+FFFD", unread.path),
                )
                .help("Save the file as UTF-8"),
            );
        }
    }
    out
}

//! `unreadable-file`: a file of the project (here or at the base) that the tool could not read.

use crate::analysis::{Context, Finding, Location, Rule, Side, Subject};
use crate::line_index::TextRange;
use crate::project::ReadProblem;

pub(super) use super::no_fixes as fixes;

pub const DOC: &str = r#"# unreadable-file (error)

## What it does
Reports a file of the Convex functions folder (in the working tree, or in what is deployed) that convex-migrate could not read: larger than 4 MiB, unreadable, a symbolic link that leads outside the project (on disk) or the repository (in git) — links inside are followed — or one that is dangling or loops, a submodule in git, its content missing from the local git objects (a partial clone), a name that is not UTF-8. Also `convex.json` and `convex-migrate.json` when they cannot be read.

## Why is this bad?
What the tool does not read, it cannot check: a schema or a migration in that file is invisible, so "no problems found" would mean nothing. Convex itself may still deploy the file.

## Example
```text
convex/generated/data.ts: too large (6291456 bytes; the limit is 4 MiB)
```

## Fix
Make the file readable (fetch the missing objects, replace a link that leads outside by the file it points to), or move large generated data out of the functions folder. Suppress with `// convex-migrate-disable-file unreadable-file -- reason` only in a file that is read.
"#;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (side, revision) in [(Side::Working, Some(cx.working)), (Side::Base, cx.base)] {
        let Some(revision) = revision else { continue };
        for unread in &revision.unread {
            let ReadProblem::Unreadable { reason } = &unread.problem else { continue };
            let at = match side {
                Side::Working => "",
                Side::Base => " at the base (in what is deployed)",
            };
            out.push(
                Finding::new(
                    Rule::UnreadableFile,
                    Location { side, path: unread.path.clone(), range: TextRange::empty(0) },
                    Subject::File,
                    format!("`{}`{at} could not be read: {reason}; what it holds is not checked", unread.path),
                )
                .help("Make the file readable (or move it out of the functions folder), then check again"),
            );
        }
    }
    out
}

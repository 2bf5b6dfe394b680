//! `unused-suppression`: a suppression comment that suppresses nothing.

use crate::analysis::{Context, Finding, Location, Rule, Subject};

pub(super) use super::no_fixes as fixes;

pub const DOC: &str = r#"# unused-suppression (warning)

## What it does
Reports a suppression comment whose rules report nothing on the line below it (or in the file, for `convex-migrate-disable-file`).

## Why is this bad?
It no longer does anything, and it will silently hide a real finding if one appears there later.

## Example
```ts
// convex-migrate-disable-next-line removed-field -- migrated in March
name: v.string(),
```

## Fix
Remove the comment.
"#;

/// Runs after the suppressions: reports those that suppressed nothing (and name only known rules:
/// an unknown one is `invalid-suppression`'s).
pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(usage) = cx.suppression_usage() else { return Vec::new() };
    usage
        .directives()
        .filter(|(_, d, used)| !used && !d.rules.is_empty() && d.rules.iter().all(|r| Rule::is_known(r)))
        .map(|(path, d, _)| {
            Finding::new(
                Rule::UnusedSuppression,
                Location::working(path, d.range),
                Subject::File,
                format!("this suppression of `{}` suppresses nothing", d.rules.join(", ")),
            )
        })
        .collect()
}

//! `invalid-suppression`: a suppression comment without a reason, or naming an unknown rule.

use crate::analysis::suppress::directives;
use crate::analysis::{Context, Finding, Location, Rule, Subject};

pub(super) use super::no_fixes as fixes;

pub const DOC: &str = r#"# invalid-suppression (warning)

## What it does
Reports a `convex-migrate-disable-next-line` or `convex-migrate-disable-file` comment that has no reason after `--`, names no rule, or names a rule that does not exist.

## Why is this bad?
A suppression hides a migration problem from everyone who reads the code after you. The reason is what tells them it was safe; an unknown rule id suppresses nothing.

## Example
```ts
// convex-migrate-disable-next-line required-without-backfill
role: v.string(),
```

## Fix
```ts
// convex-migrate-disable-next-line required-without-backfill -- the users table is empty in every deployment
role: v.string(),
```
"#;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for file in &cx.working.files {
        for d in directives(file) {
            let mut report =
                |message: String| out.push(Finding::new(Rule::InvalidSuppression, Location::working(file.path.clone(), d.range), Subject::File, message));
            if d.rules.is_empty() {
                report("this suppression names no rule: write the rule ids it disables".into());
                continue;
            }
            for unknown in d.rules.iter().filter(|r| !Rule::is_known(r)) {
                report(format!("unknown rule `{unknown}` in this suppression"));
            }
            if d.reason.is_none() {
                report("this suppression has no reason: add `-- why it is safe`".into());
            }
        }
    }
    out
}

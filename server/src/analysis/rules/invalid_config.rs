//! `invalid-config`: `convex-migrate.json` has a mistake.

use crate::analysis::{Context, Finding, Location, Rule, Subject};
use crate::config::FILE_NAME;

pub const DOC: &str = r#"# invalid-config (error)

## What it does
Reports a problem in `convex-migrate.json`: JSON that does not parse, an unknown setting, a bad rule level, or a rule id that does not exist.

## Why is this bad?
The setting is ignored and the defaults are used, which is probably not what was meant: a rule you turned off still runs, a base you set is not used.

## Example
```json
{ "rules": { "narrowed-types": "off" } }
```

## Fix
Correct the setting; `convex-migrate explain RULE` lists what each rule is, and the rule ids are in the README.
"#;

pub(super) use super::no_fixes as fixes;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    if cx.ws.config.text.is_none() {
        return Vec::new();
    }
    cx.ws
        .config
        .errors
        .iter()
        .map(|error| Finding::new(Rule::InvalidConfig, Location::working(FILE_NAME, error.range), Subject::Config, error.message.clone()))
        .collect()
}

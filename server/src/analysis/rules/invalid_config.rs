//! `invalid-config`: `convex-migrate.json` has a mistake.

use crate::analysis::{Finding, Rule};
use crate::config::ConfigError;

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

pub fn check(path: &str, errors: &[ConfigError], out: &mut Vec<Finding>) {
    for error in errors {
        out.push(Finding {
            rule: Rule::InvalidConfig,
            severity: Rule::InvalidConfig.default_severity(),
            path: path.to_string(),
            range: error.range,
            message: error.message.clone(),
            help: None,
            related: Vec::new(),
            typescript_reports: false,
        });
    }
}

//! `invalid-suppression`: a suppression comment without a reason, or naming an unknown rule.

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

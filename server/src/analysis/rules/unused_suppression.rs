//! `unused-suppression`: a suppression comment that suppresses nothing.

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

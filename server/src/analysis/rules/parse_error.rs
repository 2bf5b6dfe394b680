//! `parse-error`: a Convex file does not parse.

use crate::analysis::{Context, Finding, Location, Rule, Side, Subject};
use crate::line_index::TextRange;
use crate::syntax::ParseErrorKind;

pub(super) use super::no_fixes as fixes;

pub const DOC: &str = r#"# parse-error (error)

## What it does
Reports a file of the Convex functions folder that does not parse as TypeScript or JavaScript.

## Why is this bad?
Convex cannot bundle it, so the deploy fails; and convex-migrate cannot see the schema or the functions it defines, so its other findings may be incomplete. The rest of the project is still analysed.

## Example
```ts
export const list = query({ handler: async (ctx) => { return ctx.db.query("users").collect( } });
```

## Fix
Fix the syntax error at the position shown.
"#;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let sides = [(Side::Working, Some(cx.working)), (Side::Base, cx.base)];
    for (side, file) in sides.iter().filter_map(|(s, r)| Some((*s, r.as_ref()?))).flat_map(|(s, r)| r.files.iter().map(move |f| (s, f))) {
        let Some(first) = file.model.errors.first() else { continue };
        let len = file.text.len() as u32;
        let start = first.range.start.min(len);
        let range = TextRange::new(start, first.range.end.min(len).max(start));
        let more = file.model.errors.len() - 1;
        let (message, help) = match first.kind {
            // A limit of the parser's budget: the message says which.
            ParseErrorKind::Limit => (first.message.clone(), "Split the file, or flatten its deepest nesting"),
            ParseErrorKind::Syntax => {
                let mut message = format!("this file does not parse: {}", first.message);
                if more > 0 {
                    message.push_str(&format!(" (and {more} more)"));
                }
                (message, "Fix the syntax error; until then this file's schema and functions are not analysed")
            }
        };
        let finding = match side {
            Side::Working => Finding::new(Rule::ParseError, Location::working(file.path.clone(), range), Subject::File, message).help(help),
            // Deployed, so Convex's bundler took it: the tool's parser did not, and what the file
            // deploys (a backfill, the schema) is not seen at the base.
            Side::Base => Finding::new(
                Rule::ParseError,
                Location::base(file.path.clone(), range),
                Subject::File,
                format!("at the base (what is deployed), `{}` does not parse for convex-migrate: {message}; what it deploys is not seen", file.path),
            )
            .severity(crate::config::Severity::Warning),
        };
        out.push(finding);
    }
    out
}

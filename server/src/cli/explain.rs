//! `convex-migrate explain RULE`: a rule's documentation, from the same text as hover.

use crate::analysis::rules::Rule;
use crate::cli::{EXIT_ERROR, EXIT_OK};

pub fn run(rule: Option<&str>) -> i32 {
    match text(rule) {
        Ok(text) => {
            print!("{text}");
            EXIT_OK
        }
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_ERROR
        }
    }
}

/// What `explain` prints: one rule's documentation, or the list of rules; an unknown rule is an
/// error.
pub fn text(rule: Option<&str>) -> Result<String, String> {
    match rule {
        None => {
            let mut out = String::from("Rules (convex-migrate explain RULE for one):\n\n");
            for rule in Rule::ALL.iter().copied() {
                out.push_str(&format!("  {:<28} {:<8} {}\n", rule.id(), rule.default_severity().as_str(), rule.summary()));
            }
            Ok(out)
        }
        Some(id) => match Rule::from_id(id) {
            Some(rule) => Ok(rule.doc().to_string()),
            None => Err(format!("unknown rule `{id}`; `convex-migrate explain` lists them")),
        },
    }
}

//! `convex-migrate explain RULE`: a rule's documentation, from the same text as hover.

use crate::analysis::rules::Rule;
use crate::cli::{EXIT_ERROR, EXIT_OK};

pub fn run(rule: Option<&str>) -> i32 {
    match rule {
        None => {
            println!("Rules (convex-migrate explain RULE for one):\n");
            for rule in Rule::ALL.iter().copied() {
                println!("  {:<28} {:<8} {}", rule.id(), rule.default_severity().as_str(), rule.summary());
            }
            EXIT_OK
        }
        Some(id) => match Rule::from_id(id) {
            Some(rule) => {
                print!("{}", rule.doc());
                EXIT_OK
            }
            None => {
                eprintln!("error: unknown rule `{id}`; `convex-migrate explain` lists them");
                EXIT_ERROR
            }
        },
    }
}

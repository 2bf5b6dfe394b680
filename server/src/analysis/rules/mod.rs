//! The rule registry: one line per rule below, one file per rule beside this one.
//!
//! Each rule file holds its documentation (`DOC`: What it does / Why is this bad? / Example /
//! Fix, the text of `convex-migrate explain` and of hover), `check(&Context) -> Vec<Finding>`, and
//! `fixes(&Finding, &Context) -> Vec<Recipe>`. From the line here come the enum, the kebab-case
//! id, the default severity, and every list generated from the rules (the config's JSON schema,
//! the editors' settings: `UPDATE_EDITOR_FILES=1 cargo test --test editor_files` writes them, and
//! the test fails when a committed copy drifts). Adding a rule is one new file and one line.

use crate::analysis::{Context, Finding, Recipe};
use crate::config::Severity;

macro_rules! rules {
    ($($variant:ident: $module:ident, $id:literal, $severity:ident $(, $after:ident)? $(, [$($level:literal => $meaning:literal),*])?;)*) => {
        $(pub mod $module;)*

        /// A rule, by kebab-case id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $($variant,)*
        }

        impl Rule {
            /// Every rule, in the order of the registry.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            pub fn id(self) -> &'static str {
                match self {
                    $(Rule::$variant => $id,)*
                }
            }

            pub fn default_severity(self) -> Severity {
                match self {
                    $(Rule::$variant => Severity::$severity,)*
                }
            }

            /// The rule's documentation: What it does / Why is this bad? / Example / Fix.
            pub fn doc(self) -> &'static str {
                match self {
                    $(Rule::$variant => $module::DOC,)*
                }
            }

            /// Levels of the rule's own, besides the severities and `off`, with what each means
            /// (`"unbounded-collect": "all"`).
            pub fn own_levels(self) -> &'static [(&'static str, &'static str)] {
                match self {
                    $(Rule::$variant => &[$($(($level, $meaning)),*)?],)*
                }
            }

            fn own_level_names(self) -> &'static [&'static str] {
                match self {
                    $(Rule::$variant => &[$($($level),*)?],)*
                }
            }

            /// Whether the rule looks at what the suppressions did, so runs after them.
            pub(crate) fn after_suppressions(self) -> bool {
                match self {
                    $(Rule::$variant => rules!(@after $($after)?),)*
                }
            }

            pub(crate) fn check(self, cx: &Context<'_>) -> Vec<Finding> {
                match self {
                    $(Rule::$variant => $module::check(cx),)*
                }
            }

            pub(crate) fn fixes(self, finding: &Finding, cx: &Context<'_>) -> Vec<Recipe> {
                match self {
                    $(Rule::$variant => $module::fixes(finding, cx),)*
                }
            }
        }
    };
    (@after after_suppressions) => { true };
    (@after) => { false };
}

rules! {
    RequiredWithoutBackfill: required_without_backfill, "required-without-backfill", Error;
    BackfillUnverified: backfill_unverified, "backfill-unverified", Warning;
    RemovedField: removed_field, "removed-field", Error;
    NarrowedType: narrowed_type, "narrowed-type", Error;
    RemovedTable: removed_table, "removed-table", Info;
    DualWriteOneSide: dual_write_one_side, "dual-write-one-side", Warning;
    UnpaginatedMigration: unpaginated_migration, "unpaginated-migration", Warning;
    UnboundedCollect: unbounded_collect, "unbounded-collect", Warning,
        ["all" => "Report as a warning, in every function (not only backfills and verify functions)."];
    InvalidValue: invalid_value, "invalid-value", Error;
    UnknownField: unknown_field, "unknown-field", Error;
    InsertMissingField: insert_missing_field, "insert-missing-field", Error;
    ParseError: parse_error, "parse-error", Error;
    UnreadableFile: unreadable_file, "unreadable-file", Error;
    InvalidUtf8: invalid_utf8, "invalid-utf8", Warning;
    UnmodelledSchema: unmodelled_schema, "unmodelled-schema", Warning;
    ValidationTurnedOn: validation_turned_on, "validation-turned-on", Error;
    InvalidConfig: invalid_config, "invalid-config", Error;
    InvalidSuppression: invalid_suppression, "invalid-suppression", Warning, after_suppressions;
    UnusedSuppression: unused_suppression, "unused-suppression", Warning, after_suppressions;
}

impl Rule {
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// Whether `id` names a rule.
    pub fn is_known(id: &str) -> bool {
        Rule::from_id(id).is_some()
    }

    /// For the config: a rule's own levels besides the severities, `None` for an unknown id.
    pub fn config_levels(id: &str) -> Option<&'static [&'static str]> {
        Some(Rule::from_id(id)?.own_level_names())
    }

    /// The first line of the doc's "What it does" section.
    pub fn summary(self) -> &'static str {
        self.doc().lines().skip_while(|l| !l.starts_with("## What it does")).nth(1).unwrap_or("")
    }
}

/// No fixes: for the rules that offer none of their own.
fn no_fixes(_: &Finding, _: &Context<'_>) -> Vec<Recipe> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each doc starts with the rule's id and default severity, as the registry has them.
    #[test]
    fn docs_agree_with_the_registry() {
        for rule in Rule::ALL {
            let heading = rule.doc().lines().next().unwrap_or("");
            let severity = match rule.default_severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
                Severity::Hint => "hint",
            };
            assert!(heading.starts_with(&format!("# {} ({severity}", rule.id())), "{heading}");
        }
    }
}

//! Every rule, with its id, default severity and doc. One rule per file.

pub mod backfill_unverified;
pub mod dual_write_one_side;
pub mod insert_missing_field;
pub mod invalid_config;
pub mod invalid_suppression;
pub mod invalid_value;
pub mod narrowed_type;
pub mod parse_error;
pub mod removed_field;
pub mod removed_table;
pub mod required_without_backfill;
pub mod unbounded_collect;
pub mod unknown_field;
pub mod unpaginated_migration;
pub mod unused_suppression;

use crate::config::Severity;

/// Rule ids of DESIGN.md §3 that this release does not check yet.
pub const PLANNED: [&str; 0] = [];

/// A rule, by kebab-case id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    RequiredWithoutBackfill,
    BackfillUnverified,
    RemovedField,
    NarrowedType,
    RemovedTable,
    DualWriteOneSide,
    UnpaginatedMigration,
    UnboundedCollect,
    InvalidValue,
    UnknownField,
    InsertMissingField,
    ParseError,
    InvalidConfig,
    InvalidSuppression,
    UnusedSuppression,
}

impl Rule {
    pub const ALL: [Rule; 15] = [
        Rule::RequiredWithoutBackfill,
        Rule::BackfillUnverified,
        Rule::RemovedField,
        Rule::NarrowedType,
        Rule::RemovedTable,
        Rule::DualWriteOneSide,
        Rule::UnpaginatedMigration,
        Rule::UnboundedCollect,
        Rule::InvalidValue,
        Rule::UnknownField,
        Rule::InsertMissingField,
        Rule::ParseError,
        Rule::InvalidConfig,
        Rule::InvalidSuppression,
        Rule::UnusedSuppression,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::RequiredWithoutBackfill => "required-without-backfill",
            Rule::BackfillUnverified => "backfill-unverified",
            Rule::RemovedField => "removed-field",
            Rule::NarrowedType => "narrowed-type",
            Rule::RemovedTable => "removed-table",
            Rule::DualWriteOneSide => "dual-write-one-side",
            Rule::UnpaginatedMigration => "unpaginated-migration",
            Rule::UnboundedCollect => "unbounded-collect",
            Rule::InvalidValue => "invalid-value",
            Rule::UnknownField => "unknown-field",
            Rule::InsertMissingField => "insert-missing-field",
            Rule::ParseError => "parse-error",
            Rule::InvalidConfig => "invalid-config",
            Rule::InvalidSuppression => "invalid-suppression",
            Rule::UnusedSuppression => "unused-suppression",
        }
    }

    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id)
    }

    pub fn default_severity(self) -> Severity {
        match self {
            Rule::RequiredWithoutBackfill
            | Rule::RemovedField
            | Rule::NarrowedType
            | Rule::ParseError
            | Rule::InvalidValue
            | Rule::UnknownField
            | Rule::InsertMissingField
            | Rule::InvalidConfig => Severity::Error,
            Rule::BackfillUnverified
            | Rule::DualWriteOneSide
            | Rule::UnpaginatedMigration
            | Rule::UnboundedCollect
            | Rule::InvalidSuppression
            | Rule::UnusedSuppression => Severity::Warning,
            Rule::RemovedTable => Severity::Info,
        }
    }

    /// Whether the rule compares the base with the working tree.
    pub fn is_transition(self) -> bool {
        matches!(
            self,
            Rule::RequiredWithoutBackfill | Rule::BackfillUnverified | Rule::RemovedField | Rule::NarrowedType | Rule::RemovedTable
        )
    }

    /// The rule's documentation: What it does / Why is this bad? / Example / Fix.
    pub fn doc(self) -> &'static str {
        match self {
            Rule::RequiredWithoutBackfill => required_without_backfill::DOC,
            Rule::BackfillUnverified => backfill_unverified::DOC,
            Rule::RemovedField => removed_field::DOC,
            Rule::NarrowedType => narrowed_type::DOC,
            Rule::RemovedTable => removed_table::DOC,
            Rule::DualWriteOneSide => dual_write_one_side::DOC,
            Rule::UnpaginatedMigration => unpaginated_migration::DOC,
            Rule::UnboundedCollect => unbounded_collect::DOC,
            Rule::InvalidValue => invalid_value::DOC,
            Rule::UnknownField => unknown_field::DOC,
            Rule::InsertMissingField => insert_missing_field::DOC,
            Rule::ParseError => parse_error::DOC,
            Rule::InvalidConfig => invalid_config::DOC,
            Rule::InvalidSuppression => invalid_suppression::DOC,
            Rule::UnusedSuppression => unused_suppression::DOC,
        }
    }

    /// Whether `id` names a rule: one of these, or one of the design's rules whose check comes in
    /// a later release (so a config written for it is not an error).
    pub fn is_known(id: &str) -> bool {
        Rule::from_id(id).is_some() || PLANNED.contains(&id)
    }

    /// The first line of the doc's "What it does" section.
    pub fn summary(self) -> &'static str {
        self.doc().lines().skip_while(|l| !l.starts_with("## What it does")).nth(1).unwrap_or("")
    }
}

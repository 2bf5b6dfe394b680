//! References to bindings, as the per-file models hold them before the project links them:
//! a name of the file (which may be an import) or a member of one.

use std::fmt;

/// A reference to a binding: a name in the current file (which may be an import), or a member of
/// one (`tables.users`, `ns.userFields`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SymRef {
    Local(String),
    Member(Box<SymRef>, String),
}

impl fmt::Display for SymRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SymRef::Local(name) => f.write_str(name),
            SymRef::Member(base, name) => write!(f, "{base}.{name}"),
        }
    }
}

//! References to bindings, as the per-file models hold them before the project links them:
//! a name of the file (which may be an import) or a member of one.

use std::fmt;

use swc_ecma_ast::{Expr, MemberProp};

use crate::syntax::unwrap_ts;

/// The longest member chain followed (`a.b.c…`); longer ones are not references we can resolve.
const MAX_MEMBERS: usize = 64;

/// A reference to a binding: a name in the current file (which may be an import), or a member of
/// one (`tables.users`, `ns.userFields`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SymRef {
    Local(String),
    Member(Box<SymRef>, String),
}

impl SymRef {
    /// `a`, `a.b.c` (through TypeScript wrappers) as a reference; anything else is `None`.
    /// A loop, not a recursion: a hostile member chain cannot exhaust the stack.
    pub fn of(expr: &Expr) -> Option<SymRef> {
        let mut members: Vec<String> = Vec::new();
        let mut current = unwrap_ts(expr);
        loop {
            match current {
                Expr::Ident(ident) => {
                    let mut out = SymRef::Local(ident.sym.to_string());
                    for name in members.into_iter().rev() {
                        out = SymRef::Member(Box::new(out), name);
                    }
                    return Some(out);
                }
                Expr::Member(member) if members.len() < MAX_MEMBERS => match &member.prop {
                    MemberProp::Ident(prop) => {
                        members.push(prop.sym.to_string());
                        current = unwrap_ts(&member.obj);
                    }
                    _ => return None,
                },
                _ => return None,
            }
        }
    }
}

impl fmt::Display for SymRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SymRef::Local(name) => f.write_str(name),
            SymRef::Member(base, name) => write!(f, "{base}.{name}"),
        }
    }
}

//! The parameters of a handler or helper: which one is `ctx`, which the args object, which a
//! document or id typed `Doc<"T">` / `Id<"T">`.

use swc_ecma_ast::{ObjectPatProp, Pat, TsEntityName, TsLit, TsType, TsTypeAnn};

use super::walker::Binding;
use super::{Origin, TableRef};
use crate::syntax::prop_name;

/// Whether parameter `i` is the Convex context: the first parameter of a handler, or of a helper
/// when it is named `ctx`, typed `…Ctx`, or destructures `db`.
pub(super) fn is_ctx_param(pat: &Pat, i: usize, helper: bool) -> bool {
    match pat {
        Pat::Ident(id) => {
            let name = id.id.sym.as_str();
            let typed_ctx = id.type_ann.as_deref().and_then(type_ref_name).is_some_and(|n| n.ends_with("Ctx"));
            if helper {
                name == "ctx" || typed_ctx
            } else {
                i == 0
            }
        }
        Pat::Object(object) => {
            (i == 0 && !helper)
                || object.props.iter().any(|p| match p {
                    ObjectPatProp::Assign(a) => a.key.id.sym == "db",
                    ObjectPatProp::KeyValue(kv) => prop_name(&kv.key).as_deref() == Some("db"),
                    ObjectPatProp::Rest(_) => false,
                })
        }
        Pat::Assign(assign) => is_ctx_param(&assign.left, i, helper),
        _ => false,
    }
}

fn type_ref_name(ann: &TsTypeAnn) -> Option<&str> {
    match &*ann.type_ann {
        TsType::TsTypeRef(r) => match &r.type_name {
            TsEntityName::Ident(i) => Some(i.sym.as_str()),
            TsEntityName::TsQualifiedName(q) => Some(q.right.sym.as_str()),
        },
        _ => None,
    }
}

/// `Id<"T">` / `Doc<"T">` annotations.
pub(super) fn annotation_binding(pat: &Pat, _i: usize) -> Option<Binding> {
    let Pat::Ident(id) = pat else { return None };
    let ann = id.type_ann.as_deref()?;
    let TsType::TsTypeRef(r) = &*ann.type_ann else { return None };
    let name = match &r.type_name {
        TsEntityName::Ident(i) => i.sym.as_str(),
        TsEntityName::TsQualifiedName(q) => q.right.sym.as_str(),
    };
    let table = r.type_params.as_ref()?.params.first().and_then(|t| match &**t {
        TsType::TsLitType(lit) => match &lit.lit {
            TsLit::Str(s) => Some(s.value.to_atom_lossy().to_string()),
            _ => None,
        },
        _ => None,
    })?;
    let table = TableRef::Name(table);
    match name {
        "Id" => Some(Binding::Id { table, origin: Origin::Other }),
        "Doc" => Some(Binding::Doc { table, origin: Origin::Other }),
        _ => None,
    }
}

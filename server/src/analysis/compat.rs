//! The one validator-compatibility question: does the new validator accept every value the old
//! one accepted? If not, why (in words a Convex developer recognises).

use crate::model::validator::{Literal, Validator};

/// `None` when `new` accepts every value `old` accepts (a widening or no change); otherwise the
/// first narrowing found, described. Unknown parts never narrow (no false findings).
pub fn narrowing(old: &Validator, new: &Validator) -> Option<String> {
    narrow_at(old, new, "", 0)
}

const MAX_DEPTH: u32 = 64;

fn narrow_at(old: &Validator, new: &Validator, path: &str, depth: u32) -> Option<String> {
    use Validator::*;
    if depth > MAX_DEPTH {
        return None;
    }
    let at = |what: std::string::String| if path.is_empty() { what } else { format!("{what} at `{path}`") };
    match (old, new) {
        (Unknown | Ref(_), _) | (_, Unknown | Ref(_) | Any) => None,
        (Optional(o), Optional(n)) => narrow_at(o, n, path, depth + 1),
        (Optional(_), _) => Some(at("was optional, now required".to_string())),
        (o, Optional(n)) => narrow_at(o, n, path, depth + 1),
        // Every member of the old union must be accepted by the new validator.
        (Union(members), _) => {
            members.iter().find_map(|m| if accepts(m, new, depth) { None } else { Some(at(format!("{m} is no longer accepted"))) })
        }
        (o, n) => {
            if accepts(o, n, depth) {
                return None;
            }
            // Say where inside a structure it narrowed.
            match (o, n) {
                (Array(o), Array(n)) => narrow_at(o, n, &format!("{path}[]"), depth + 1),
                (Record(ok, ov), Record(nk, nv)) => narrow_at(ok, nk, &format!("{path}{{key}}"), depth + 1)
                    .or_else(|| narrow_at(ov, nv, &format!("{path}{{value}}"), depth + 1)),
                (Object(_), Object(_)) => object_narrowing(o, n, path, depth),
                (Null, _) => Some(at(format!("null is no longer accepted (was {o}, now {n})"))),
                _ => Some(at(format!("was {o}, now {n}"))),
            }
        }
    }
}

fn accepts_undefined(v: &Validator) -> bool {
    matches!(v, Validator::Optional(_) | Validator::Any | Validator::Unknown | Validator::Ref(_))
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

fn object_narrowing(old: &Validator, new: &Validator, path: &str, depth: u32) -> Option<String> {
    for of in old.fields() {
        let p = join(path, &of.name);
        match new.field(&of.name) {
            None if new.is_open() => {}
            None => return Some(format!("field `{p}` was removed")),
            Some(nf) => {
                if let Some(reason) = narrow_at(&of.validator, &nf.validator, &p, depth + 1) {
                    return Some(reason);
                }
            }
        }
    }
    if old.is_open() {
        return None;
    }
    new.fields()
        .find(|nf| old.field(&nf.name).is_none() && !nf.validator.is_optional())
        .map(|nf| format!("new required field `{}`", join(path, &nf.name)))
}

/// Whether every value of the single (non-union) validator `old` is accepted by `new`.
fn accepts(old: &Validator, new: &Validator, depth: u32) -> bool {
    use Validator::*;
    if depth > MAX_DEPTH {
        return true;
    }
    match (old, new) {
        (Unknown | Ref(_), _) | (_, Unknown | Ref(_) | Any) => true,
        (Optional(o), n) => accepts(o, n, depth + 1) && accepts_undefined(n),
        (o, Optional(n)) => accepts(o, n, depth + 1),
        (Union(members), n) => members.iter().all(|m| accepts(m, n, depth + 1)),
        (o, Union(members)) => {
            members.iter().any(|m| accepts(o, m, depth + 1))
                // `v.boolean()` is accepted by `v.union(v.literal(true), v.literal(false))`.
                || (matches!(o, Boolean)
                    && [true, false].iter().all(|b| members.iter().any(|m| accepts(&Literal(self::Literal::Boolean(*b)), m, depth + 1))))
        }
        (Any, _) => false,
        (Null, Null) | (Number, Number) | (Int64, Int64) | (Boolean, Boolean) | (String, String) | (Bytes, Bytes) => true,
        (Id(a), Id(b)) => a == b,
        (Id(_), String) => true,
        (Literal(a), Literal(b)) => literal_eq(a, b),
        (Literal(l), n) => matches!(
            (l, n),
            (self::Literal::String(_), String)
                | (self::Literal::Number(_), Number)
                | (self::Literal::Boolean(_), Boolean)
                | (self::Literal::BigInt(_), Int64)
        ),
        (Array(o), Array(n)) => accepts(o, n, depth + 1),
        (Record(ok, ov), Record(nk, nv)) => accepts(ok, nk, depth + 1) && accepts(ov, nv, depth + 1),
        (Object(_), Object(_)) => object_narrowing(old, new, "", depth + 1).is_none(),
        _ => false,
    }
}

fn literal_eq(a: &Literal, b: &Literal) -> bool {
    match (a, b) {
        (Literal::Number(x), Literal::Number(y)) => x == y || (x.is_nan() && y.is_nan()),
        _ => a == b,
    }
}

/// Whether a validator accepts a written value: `Some(false)` only when it certainly does not
/// (a literal outside a union, the wrong primitive, `null` where null is not allowed, `undefined`
/// for a required field); `None` when it cannot be told statically.
pub fn accepts_written(validator: &Validator, value: &crate::model::body::WrittenValue) -> Option<bool> {
    use crate::model::body::WrittenValue as W;
    use Validator as V;
    if validator.has_unknown() {
        return None;
    }
    match (validator, value) {
        (V::Any, _) => Some(true),
        (V::Optional(_), W::Undefined) => Some(true),
        (_, W::Undefined) => Some(false),
        (V::Optional(inner), value) => accepts_written(inner, value),
        (V::Union(members), value) => {
            let answers: Vec<Option<bool>> = members.iter().map(|m| accepts_written(m, value)).collect();
            if answers.contains(&Some(true)) {
                Some(true)
            } else if answers.iter().all(|a| *a == Some(false)) {
                Some(false)
            } else {
                None
            }
        }
        (V::Null, W::Null) => Some(true),
        (_, W::Null) => Some(false),
        (V::Literal(l), W::Literal(w)) => Some(literal_eq(l, w)),
        (V::String, W::Literal(Literal::String(_)))
        | (V::Number, W::Literal(Literal::Number(_)))
        | (V::Boolean, W::Literal(Literal::Boolean(_)))
        | (V::Int64, W::Literal(Literal::BigInt(_))) => Some(true),
        // Ids are strings: a literal may be one (tests do this); unknowable.
        (V::Id(_), W::Literal(Literal::String(_))) => None,
        (V::Bytes, _) => None,
        (V::Literal(_) | V::String | V::Number | V::Boolean | V::Int64 | V::Id(_), W::Literal(_) | W::Object | W::Array) => Some(false),
        (V::Array(_), W::Array) | (V::Object(_) | V::Record(..), W::Object) => Some(true),
        (V::Array(_), W::Literal(_) | W::Object) | (V::Object(_) | V::Record(..), W::Literal(_) | W::Array) => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::value::{eval, to_validator, Names};

    fn v(src: &str) -> Validator {
        let parsed = crate::syntax::parse("a.ts", &format!("({src})"));
        let module = parsed.module.expect("parses");
        let swc_ecma_ast::ModuleItem::Stmt(swc_ecma_ast::Stmt::Expr(stmt)) = &module.body[0] else { panic!() };
        let names = Names { v: vec!["v".into()], ..Names::default() };
        to_validator(eval(&stmt.expr, &names))
    }

    fn narrows(old: &str, new: &str) -> bool {
        narrowing(&v(old), &v(new)).is_some()
    }

    #[test]
    fn widening_is_silent() {
        for (old, new) in [
            ("v.string()", "v.string()"),
            ("v.string()", "v.optional(v.string())"),
            ("v.string()", "v.union(v.string(), v.number())"),
            ("v.literal('a')", "v.union(v.literal('a'), v.literal('b'))"),
            ("v.union(v.literal('a'), v.literal('b'))", "v.string()"),
            ("v.string()", "v.nullable(v.string())"),
            ("v.id('users')", "v.string()"),
            ("v.object({ a: v.string() })", "v.object({ a: v.string(), b: v.optional(v.number()) })"),
            ("v.array(v.literal(1))", "v.array(v.number())"),
            ("v.boolean()", "v.union(v.literal(true), v.literal(false))"),
            ("v.string()", "v.any()"),
            ("v.string()", "v.string().optional()"),
            ("v.record(v.string(), v.number())", "v.record(v.string(), v.union(v.number(), v.null()))"),
            ("v.string()", "someUnknownValidator"),
        ] {
            assert!(!narrows(old, new), "{old} -> {new} should be a widening");
        }
    }

    #[test]
    fn narrowing_is_found() {
        for (old, new) in [
            ("v.string()", "v.number()"),
            ("v.union(v.literal('a'), v.literal('b'))", "v.literal('a')"),
            ("v.id('a')", "v.id('b')"),
            ("v.nullable(v.string())", "v.string()"),
            ("v.optional(v.string())", "v.string()"),
            ("v.object({ a: v.string() })", "v.object({ a: v.number() })"),
            ("v.object({ a: v.string() })", "v.object({})"),
            ("v.object({ a: v.string() })", "v.object({ a: v.string(), b: v.number() })"),
            ("v.array(v.string())", "v.array(v.literal('x'))"),
            ("v.any()", "v.string()"),
            ("v.number()", "v.int64()"),
            ("v.string()", "v.id('users')"),
            ("v.union(v.object({ k: v.literal('a') }), v.object({ k: v.literal('b') }))", "v.object({ k: v.literal('a') })"),
        ] {
            assert!(narrows(old, new), "{old} -> {new} should narrow");
        }
    }

    #[test]
    fn says_where() {
        let reason = narrowing(&v("v.object({ a: v.array(v.string()) })"), &v("v.object({ a: v.array(v.number()) })")).unwrap();
        assert!(reason.contains("a[]"), "{reason}");
        let reason = narrowing(&v("v.union(v.literal('a'), v.literal('b'))"), &v("v.literal('a')")).unwrap();
        assert!(reason.contains("v.literal(\"b\")"), "{reason}");
    }
}

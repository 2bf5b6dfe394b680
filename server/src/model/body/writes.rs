//! Writes: `insert`/`patch`/`replace`/`delete` in both forms (id-only and table-name-first), the
//! object literal each writes with what every field is set to, and the objects a `migrateOne`
//! returns.

use swc_common::Spanned;
use swc_ecma_ast::{CallExpr, Expr, Lit, Prop, PropOrSpread};

use super::walker::{Binding, Walker};
use super::{Origin, TableRef, Write, WriteOp, WrittenField, WrittenObject, WrittenValue};
use crate::line_index::TextRange;
use crate::model::validator::Literal;
use crate::syntax::{prop_name, range, unwrap_ts};

impl Walker<'_> {
    fn written_object(&mut self, expr: &Expr) -> Option<WrittenObject> {
        let Expr::Object(object) = unwrap_ts(expr) else { return None };
        let mut fields = Vec::new();
        let mut open = false;
        for prop in &object.props {
            match prop {
                PropOrSpread::Spread(_) => open = true,
                PropOrSpread::Prop(p) => match &**p {
                    Prop::KeyValue(kv) => match prop_name(&kv.key) {
                        Some(name) => fields.push(WrittenField {
                            name,
                            value: written_value(&kv.value),
                            range: range(kv.key.span()),
                            value_range: range(kv.value.span()),
                        }),
                        None => open = true,
                    },
                    Prop::Shorthand(i) => fields.push(WrittenField {
                        name: i.sym.to_string(),
                        value: if i.sym == "undefined" { WrittenValue::Undefined } else { WrittenValue::Other },
                        range: range(i.span),
                        value_range: range(i.span),
                    }),
                    _ => open = true,
                },
            }
        }
        Some(WrittenObject { fields, open, range: range(object.span) })
    }

    /// Object literals a function returns: `{...}`, `c ? {...} : undefined`, `c && {...}`.
    pub(super) fn record_returns(&mut self, expr: &Expr) {
        self.deeper(|w| {
            w.record_returns_here(expr);
            Some(())
        });
    }

    fn record_returns_here(&mut self, expr: &Expr) {
        match unwrap_ts(expr) {
            Expr::Cond(cond) => {
                self.record_returns(&cond.cons);
                self.record_returns(&cond.alt);
            }
            Expr::Bin(bin)
                if matches!(
                    bin.op,
                    swc_ecma_ast::BinaryOp::LogicalAnd | swc_ecma_ast::BinaryOp::LogicalOr | swc_ecma_ast::BinaryOp::NullishCoalescing
                ) =>
            {
                self.record_returns(&bin.right);
            }
            other => {
                if let Some(object) = self.written_object(other) {
                    self.body.returns.push(object);
                }
            }
        }
    }

    fn id_target(&mut self, expr: Option<&Expr>) -> (TableRef, Origin) {
        match expr.and_then(|e| self.classify(e)) {
            Some(Binding::Id { table, origin }) => (table, origin),
            Some(Binding::Param(i)) => (TableRef::Param(i), Origin::Param(i)),
            _ => (TableRef::Unknown, Origin::Other),
        }
    }

    /// `db.insert/patch/replace/delete(...)`.
    pub(super) fn record_write(&mut self, op: WriteOp, call: &CallExpr, method_range: TextRange) {
        let args: Vec<&Expr> = call.args.iter().map(|a| &*a.expr).collect();
        let first_is_table = args.first().and_then(|e| string_lit(e));
        let (table, target, object) = match op {
            WriteOp::Insert => (
                first_is_table.map(TableRef::Name).unwrap_or(TableRef::Unknown),
                Origin::Other,
                args.get(1).and_then(|e| self.written_object(e)),
            ),
            WriteOp::Patch | WriteOp::Replace | WriteOp::Delete => {
                // Table-name-first (`patch("users", id, {...})`, since convex 1.31) or id-only.
                let table_first = first_is_table.is_some() && args.len() >= if op == WriteOp::Delete { 2 } else { 3 };
                let (id, obj) = if table_first { (args.get(1), args.get(2)) } else { (args.first(), args.get(1)) };
                let (id_table, origin) = self.id_target(id.copied());
                let table = match (table_first, first_is_table) {
                    (true, Some(t)) => TableRef::Name(t),
                    _ => id_table,
                };
                let object = if op == WriteOp::Delete { None } else { obj.and_then(|e| self.written_object(e)) };
                (table, origin, object)
            }
        };
        self.body.writes.push(Write { op, table, target, object, range: range(call.span), method_range, bound: None });
    }
}

impl Walker<'_> {
    /// A convex-ents write: `table.insert(obj)`, `ent.patch(obj)`, `ent.replace(obj)`, `ent.delete()`.
    pub(super) fn record_ent_write(&mut self, op: WriteOp, table: TableRef, target: Origin, call: &CallExpr, method_range: TextRange) {
        let object = match op {
            WriteOp::Delete => None,
            _ => call.args.first().and_then(|a| self.written_object(&a.expr)),
        };
        self.body.writes.push(Write { op, table, target, object, range: range(call.span), method_range, bound: None });
    }
}

pub(super) fn string_lit(expr: &Expr) -> Option<String> {
    match unwrap_ts(expr) {
        Expr::Lit(Lit::Str(s)) => Some(s.value.to_atom_lossy().to_string()),
        Expr::Tpl(t) if t.exprs.is_empty() => {
            Some(t.quasis.iter().filter_map(|q| q.cooked.as_ref()).map(|c| c.to_atom_lossy().to_string()).collect())
        }
        _ => None,
    }
}

fn written_value(expr: &Expr) -> WrittenValue {
    match unwrap_ts(expr) {
        Expr::Ident(i) if i.sym == "undefined" => WrittenValue::Undefined,
        Expr::Unary(u) if u.op == swc_ecma_ast::UnaryOp::Void => WrittenValue::Undefined,
        Expr::Lit(Lit::Null(_)) => WrittenValue::Null,
        Expr::Lit(Lit::Str(s)) => WrittenValue::Literal(Literal::String(s.value.to_atom_lossy().to_string())),
        Expr::Lit(Lit::Num(n)) => WrittenValue::Literal(Literal::Number(n.value)),
        Expr::Lit(Lit::Bool(b)) => WrittenValue::Literal(Literal::Boolean(b.value)),
        Expr::Lit(Lit::BigInt(b)) => WrittenValue::Literal(Literal::BigInt(b.value.to_string())),
        Expr::Tpl(_) => WrittenValue::Other,
        Expr::Object(_) => WrittenValue::Object,
        Expr::Array(_) => WrittenValue::Array,
        _ => WrittenValue::Other,
    }
}

//! Query chains: `ctx.db.query(T)` with its index range, filters and how it ends (`collect`,
//! `take`, `paginate` with or without a cursor from the arguments, `first`, `unique`).

use swc_ecma_ast::{ArrowFunctionBody, CallExpr, Callee, Expr, Lit, Prop, PropOrSpread};
use swc_ecma_visit::{Visit, VisitWith};

use super::walker::{Walker, MAX_DEPTH};
use super::writes::string_lit;
use super::Terminal;
use crate::syntax::{prop_name, unwrap_ts};

impl Walker<'_> {
    /// Records one method of a query chain on read `read`.
    pub(super) fn chain_method(&mut self, read: usize, method: &str, call: &CallExpr) {
        let arg = |i: usize| call.args.get(i).map(|a| &*a.expr);
        match method {
            "withIndex" => {
                let index = arg(0).and_then(string_lit);
                let fields = arg(1).map(index_range_fields).unwrap_or_default();
                let r = &mut self.body.reads[read];
                r.index = index.or(Some(String::new()));
                r.index_fields = fields;
            }
            "withSearchIndex" => {
                let r = &mut self.body.reads[read];
                r.index = arg(0).and_then(string_lit).or(Some(String::new()));
                r.index_fields.push("<search>".into());
            }
            "filter" => {
                let (fields, undefined) = arg(0).map(filter_fields).unwrap_or_default();
                let table = self.body.reads[read].table.clone();
                for f in &fields {
                    self.body.mentions.push((table.clone(), f.clone()));
                }
                let r = &mut self.body.reads[read];
                for f in fields {
                    if !r.filter_fields.contains(&f) {
                        r.filter_fields.push(f);
                    }
                }
                r.filter_undefined |= undefined;
            }
            "collect" => self.body.reads[read].terminal = Terminal::Collect,
            "take" => {
                let n = arg(0).and_then(|e| match unwrap_ts(e) {
                    Expr::Lit(Lit::Num(n)) => Some(n.value),
                    _ => None,
                });
                self.body.reads[read].terminal = Terminal::Take(n);
            }
            "paginate" => {
                let cursor = arg(0).is_some_and(|e| self.cursor_from_args(e));
                self.body.reads[read].terminal = Terminal::Paginate { cursor };
            }
            "first" => self.body.reads[read].terminal = Terminal::First,
            "unique" => self.body.reads[read].terminal = Terminal::Unique,
            _ => {}
        }
    }

    /// Whether `paginate(opts)` takes its cursor from outside: `args.paginationOpts`,
    /// `{ cursor: args.cursor, ... }`, `{ cursor, numItems }` with `cursor` a variable.
    fn cursor_from_args(&self, opts: &Expr) -> bool {
        match unwrap_ts(opts) {
            Expr::Object(object) => object.props.iter().any(|p| match p {
                PropOrSpread::Spread(_) => true,
                PropOrSpread::Prop(p) => match &**p {
                    Prop::KeyValue(kv) if prop_name(&kv.key).as_deref() == Some("cursor") => {
                        !matches!(unwrap_ts(&kv.value), Expr::Lit(Lit::Null(_)))
                    }
                    Prop::Shorthand(i) => i.sym == "cursor",
                    _ => false,
                },
            }),
            Expr::Lit(_) => false,
            _ => true,
        }
    }
}

/// The callback of `withIndex`/`filter`: its first parameter's name and its body expression.
fn callback(expr: &Expr) -> Option<&Expr> {
    match unwrap_ts(expr) {
        Expr::Arrow(arrow) => match &*arrow.body {
            ArrowFunctionBody::Expr(e) => Some(e),
            ArrowFunctionBody::FunctionBody(block) => block.stmts.iter().find_map(|s| match s {
                swc_ecma_ast::Stmt::Return(r) => r.arg.as_deref(),
                _ => None,
            }),
        },
        _ => None,
    }
}

/// Field names in an index range: `q => q.eq("a", x).gt("b", y)`.
fn index_range_fields(expr: &Expr) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = callback(expr);
    let mut guard = 0;
    while let Some(Expr::Call(call)) = current.map(unwrap_ts) {
        guard += 1;
        if guard > 64 {
            break;
        }
        if let Some(f) = call.args.first().and_then(|a| string_lit(&a.expr)) {
            fields.push(f);
        }
        current = match &call.callee {
            Callee::Expr(c) => match unwrap_ts(c) {
                Expr::Member(m) => Some(&*m.obj),
                _ => None,
            },
            _ => None,
        };
    }
    fields.reverse();
    fields
}

/// Fields named by `q.field("f")` in a filter, and whether one is compared with `undefined`.
fn filter_fields(expr: &Expr) -> (Vec<String>, bool) {
    struct Fields(Vec<String>, bool, u32);
    impl Visit for Fields {
        fn visit_expr(&mut self, expr: &Expr) {
            if self.2 > MAX_DEPTH {
                return;
            }
            self.2 += 1;
            expr.visit_children_with(self);
            self.2 -= 1;
        }
        fn visit_call_expr(&mut self, call: &CallExpr) {
            if let Callee::Expr(c) = &call.callee {
                if let Expr::Member(m) = unwrap_ts(c) {
                    if m.prop.is_ident_with("field") {
                        if let Some(f) = call.args.first().and_then(|a| string_lit(&a.expr)) {
                            self.0.push(f);
                        }
                    }
                    if m.prop.is_ident_with("eq") || m.prop.is_ident_with("neq") {
                        self.1 |= call.args.iter().any(|a| matches!(unwrap_ts(&a.expr), Expr::Ident(i) if i.sym == "undefined"));
                    }
                }
            }
            call.visit_children_with(self);
        }
    }
    let mut v = Fields(Vec::new(), false, 0);
    if let Some(body) = callback(expr) {
        body.visit_with(&mut v);
    } else {
        expr.visit_with(&mut v);
    }
    (v.0, v.1)
}

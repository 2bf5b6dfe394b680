//! The walk over a body: what each name stands for (`ctx`, `ctx.db`, the args, a document or id
//! of a table, a query), followed through declarations, loops and callbacks, and the visitor that
//! hands each call to [`super::queries`] and [`super::writes`].

use std::collections::HashMap;

use swc_common::Spanned;
use swc_ecma_ast::{
    CallExpr, Callee, Expr, ForHead, ForOfStmt, Lit, MemberExpr, MemberProp, ObjectPatProp, Pat, ReturnStmt, VarDeclarator,
};
use swc_ecma_visit::{Visit, VisitWith};

use super::params::annotation_binding;
use super::writes::string_lit;
use super::{ArgInfo, Body, DocLoop, HelperCall, Origin, Read, TableRef, Terminal, WriteOp};
use crate::model::symbol::SymRef;
use crate::model::validator::Validator;
use crate::syntax::{prop_name, range, unwrap_ts};

/// What a name stands for inside a body.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Binding {
    Ctx,
    Db,
    /// The function's `args` object, with its validators when known.
    Args,
    Id {
        table: TableRef,
        origin: Origin,
    },
    Doc {
        table: TableRef,
        origin: Origin,
    },
    Docs {
        table: TableRef,
        origin: Origin,
    },
    Page {
        table: TableRef,
        origin: Origin,
    },
    /// A query builder held in a variable: read `i`.
    Query(usize),
    /// An untyped helper parameter: a document or an id, table known at the call.
    Param(usize),
}

pub(super) const MAX_DEPTH: u32 = 200;

pub(super) struct Walker<'a> {
    pub(super) body: Body,
    pub(super) bindings: HashMap<String, Binding>,
    pub(super) args: &'a HashMap<String, Validator>,
    pub(super) depth: u32,
    /// How deep `classify`, `bind_pat` and `record_returns` are in their own recursion.
    pub(super) nested: u32,
}

impl Walker<'_> {
    /// A field of a document (or of a parameter holding one) tested for being unset.
    fn record_test(&mut self, member: &MemberExpr) {
        let MemberProp::Ident(prop) = &member.prop else { return };
        let table = match self.classify(&member.obj) {
            Some(Binding::Doc { table, .. }) => Some(table),
            Some(Binding::Param(i)) => Some(TableRef::Param(i)),
            _ => None,
        };
        if let Some(table) = table {
            self.body.tests.push((table, prop.sym.to_string()));
        }
    }
    /// Runs `f` one level deeper in `classify`, `bind_pat` or `record_returns`; beyond
    /// [`MAX_DEPTH`] (hostile nesting: `await await …`, `[[[…]]]`, `a ? b : c ? …`) nothing.
    pub(super) fn deeper<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.nested > MAX_DEPTH {
            return None;
        }
        self.nested += 1;
        let out = f(self);
        self.nested -= 1;
        out
    }

    pub(super) fn bind_pat(&mut self, pat: &Pat, binding: Binding) {
        self.deeper(|w| {
            w.bind_pat_here(pat, binding);
            Some(())
        });
    }

    fn bind_pat_here(&mut self, pat: &Pat, binding: Binding) {
        match pat {
            Pat::Ident(id) => {
                self.bindings.insert(id.id.sym.to_string(), binding);
            }
            Pat::Assign(assign) => self.bind_pat(&assign.left, binding),
            Pat::Object(object) => {
                for prop in &object.props {
                    let (key, target): (Option<String>, Option<&Pat>) = match prop {
                        ObjectPatProp::Assign(a) => {
                            let key = a.key.id.sym.to_string();
                            if let Some(b) = self.member_binding(&binding, &key) {
                                self.bindings.insert(key, b);
                            }
                            continue;
                        }
                        ObjectPatProp::KeyValue(kv) => (prop_name(&kv.key), Some(&kv.value)),
                        ObjectPatProp::Rest(_) => (None, None),
                    };
                    if let (Some(key), Some(target)) = (key, target) {
                        if let Some(b) = self.member_binding(&binding, &key) {
                            self.bind_pat(target, b);
                        }
                    }
                }
            }
            Pat::Array(array) => {
                // `const [a, b] = await Promise.all(...)`/`docs`: elements of a list are documents.
                if let Binding::Docs { table, origin } = binding {
                    for elem in array.elems.iter().flatten() {
                        self.bind_pat(elem, Binding::Doc { table: table.clone(), origin });
                    }
                }
            }
            _ => {}
        }
    }

    /// What `x.key` is, given what `x` is.
    fn member_binding(&self, base: &Binding, key: &str) -> Option<Binding> {
        match (base, key) {
            (Binding::Ctx, "db") => Some(Binding::Db),
            (Binding::Args, key) => match self.args.get(key).map(Validator::required) {
                Some(Validator::Id(table)) => Some(Binding::Id { table: TableRef::Name(table.clone()), origin: Origin::Other }),
                _ => None,
            },
            (Binding::Doc { table, origin }, "_id") => Some(Binding::Id { table: table.clone(), origin: *origin }),
            (Binding::Param(i), "_id") => Some(Binding::Id { table: TableRef::Param(*i), origin: Origin::Param(*i) }),
            (Binding::Page { table, origin }, "page") => Some(Binding::Docs { table: table.clone(), origin: *origin }),
            _ => None,
        }
    }

    /// What an expression is, registering the reads it makes.
    pub(super) fn classify(&mut self, expr: &Expr) -> Option<Binding> {
        self.deeper(|w| w.classify_here(expr))
    }

    fn classify_here(&mut self, expr: &Expr) -> Option<Binding> {
        match unwrap_ts(expr) {
            Expr::Ident(ident) => self.bindings.get(ident.sym.as_str()).cloned(),
            // `await ctx.table("users")` (convex-ents) is every document of the table.
            Expr::Await(a) => match self.classify(&a.arg) {
                Some(Binding::Query(read)) => {
                    if self.body.reads[read].terminal == Terminal::None {
                        self.body.reads[read].terminal = Terminal::Collect;
                    }
                    let table = self.body.reads[read].table.clone();
                    Some(Binding::Docs { table, origin: Origin::Read(read) })
                }
                other => other,
            },
            Expr::Member(member) => self.classify_member(member),
            Expr::Call(call) => self.classify_call(call),
            // `cursor ? query.filter(after(cursor)) : query`: a query either way.
            Expr::Cond(cond) => {
                let (cons, alt) = (self.classify(&cond.cons), self.classify(&cond.alt));
                match (cons, alt) {
                    (Some(a), Some(b)) if a == b => Some(a),
                    (Some(a @ Binding::Query(_)), _) | (None, Some(a @ Binding::Query(_))) => Some(a),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn classify_member(&mut self, member: &MemberExpr) -> Option<Binding> {
        let base = self.classify(&member.obj)?;
        match &member.prop {
            MemberProp::Ident(prop) => self.member_binding(&base, prop.sym.as_str()),
            MemberProp::Computed(_) => match base {
                Binding::Docs { table, origin } => Some(Binding::Doc { table, origin }),
                _ => None,
            },
            MemberProp::PrivateName(_) => None,
        }
    }

    fn classify_call(&mut self, call: &CallExpr) -> Option<Binding> {
        let Callee::Expr(callee) = &call.callee else { return None };
        let Expr::Member(member) = unwrap_ts(callee) else { return None };
        let MemberProp::Ident(method) = &member.prop else { return None };
        let method = method.sym.as_str();
        let receiver = self.classify(&member.obj);
        match (receiver, method) {
            // convex-ents: `ctx.table("users")` is the table's query (and its writer).
            (Some(Binding::Ctx), "table") | (Some(Binding::Db), "query") => {
                if let Some(i) = self.body.reads.iter().position(|r| r.range == range(call.span)) {
                    return Some(Binding::Query(i));
                }
                let table = call.args.first().and_then(|a| string_lit(&a.expr)).map(TableRef::Name).unwrap_or(TableRef::Unknown);
                self.body.reads.push(Read {
                    table,
                    index: None,
                    index_fields: Vec::new(),
                    filter_fields: Vec::new(),
                    filter_undefined: false,
                    terminal: Terminal::None,
                    range: range(call.span),
                });
                Some(Binding::Query(self.body.reads.len() - 1))
            }
            (Some(Binding::Db), "get") => {
                let (table, id) = match call.args.len() {
                    2 => (call.args.first().and_then(|a| string_lit(&a.expr)).map(TableRef::Name), call.args.get(1)),
                    _ => (None, call.args.first()),
                };
                let from_id = id.and_then(|a| match self.classify(&a.expr) {
                    Some(Binding::Id { table, .. }) => Some(table),
                    Some(Binding::Param(i)) => Some(TableRef::Param(i)),
                    _ => None,
                });
                let table = table.or(from_id).unwrap_or(TableRef::Unknown);
                Some(Binding::Doc { table, origin: Origin::Other })
            }
            // convex-ents: `ctx.table("users").get(id)` / `.getX(id)` is one document.
            (Some(Binding::Query(read)), "get" | "getX") => {
                let table = self.body.reads[read].table.clone();
                Some(Binding::Doc { table, origin: Origin::Other })
            }
            (Some(Binding::Query(read)), method) => {
                self.chain_method(read, method, call);
                match method {
                    "collect" | "take" => {
                        let table = self.body.reads[read].table.clone();
                        Some(Binding::Docs { table, origin: Origin::Read(read) })
                    }
                    "paginate" => {
                        let table = self.body.reads[read].table.clone();
                        Some(Binding::Page { table, origin: Origin::Read(read) })
                    }
                    "first" | "unique" => {
                        let table = self.body.reads[read].table.clone();
                        Some(Binding::Doc { table, origin: Origin::Read(read) })
                    }
                    _ => Some(Binding::Query(read)),
                }
            }
            (Some(docs @ Binding::Docs { .. }), "filter" | "slice" | "concat" | "reverse" | "sort") => Some(docs),
            (Some(Binding::Docs { table, origin }), "find" | "at" | "pop" | "shift") => Some(Binding::Doc { table, origin }),
            _ => None,
        }
    }

    fn record_mention(&mut self, member: &MemberExpr) {
        let MemberProp::Ident(prop) = &member.prop else { return };
        let table = match unwrap_ts(&member.obj) {
            // A plain name is the common case; anything else (`(await ctx.db.get(id))?.name`) is
            // classified like any expression.
            Expr::Ident(ident) => match self.bindings.get(ident.sym.as_str()) {
                Some(Binding::Doc { table, .. }) => Some(table.clone()),
                Some(Binding::Param(i)) => Some(TableRef::Param(*i)),
                _ => None,
            },
            Expr::Member(_) | Expr::Call(_) | Expr::Await(_) | Expr::OptChain(_) => match self.classify(&member.obj) {
                Some(Binding::Doc { table, .. }) => Some(table),
                _ => None,
            },
            _ => None,
        };
        if let Some(table) = table {
            self.body.mentions.push((table, prop.sym.to_string()));
        }
    }

    /// Binds the first parameter of an array callback (`docs.map(d => ...)`) to a document.
    fn bind_callback(&mut self, callback: &Expr, binding: Binding) {
        let params: Vec<&Pat> = match unwrap_ts(callback) {
            Expr::Arrow(arrow) => arrow.params.iter().collect(),
            Expr::Fn(f) => f.function.params.iter().map(|p| &p.pat).collect(),
            _ => return,
        };
        if let Some(first) = params.first() {
            self.bind_pat(first, binding);
        }
    }

    fn helper_call(&mut self, call: &CallExpr) {
        let Callee::Expr(callee) = &call.callee else { return };
        let Some(callee) = SymRef::of(callee) else { return };
        let args: Vec<ArgInfo> = call
            .args
            .iter()
            .map(|a| match self.classify(&a.expr) {
                Some(Binding::Ctx) => ArgInfo::Ctx,
                Some(Binding::Doc { table, origin }) => ArgInfo::Doc { table, origin },
                Some(Binding::Id { table, origin }) => ArgInfo::Id { table, origin },
                Some(Binding::Param(i)) => ArgInfo::Doc { table: TableRef::Param(i), origin: Origin::Param(i) },
                _ => ArgInfo::Other,
            })
            .collect();
        if args.contains(&ArgInfo::Ctx) {
            self.body.calls.push(HelperCall { callee, args, range: range(call.span) });
        }
    }
}

impl Visit for Walker<'_> {
    fn visit_expr(&mut self, expr: &Expr) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        expr.visit_children_with(self);
        self.depth -= 1;
    }

    /// Blocks nest without an expression between them (`{ { { … } } }`): bounded too.
    fn visit_stmt(&mut self, stmt: &swc_ecma_ast::Stmt) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        stmt.visit_children_with(self);
        self.depth -= 1;
    }

    /// Types hold nothing a body reads or writes.
    fn visit_ts_type(&mut self, _: &swc_ecma_ast::TsType) {}

    fn visit_var_declarator(&mut self, decl: &VarDeclarator) {
        if let Some(init) = &decl.init {
            init.visit_with(self);
            let binding = self.classify(init);
            if let Some(binding) = binding {
                self.bind_pat(&decl.name, binding);
            } else if let Some(ann) = match &decl.name {
                Pat::Ident(_) => annotation_binding(&decl.name, 0),
                _ => None,
            } {
                self.bind_pat(&decl.name, ann);
            }
        }
    }

    fn visit_for_of_stmt(&mut self, stmt: &ForOfStmt) {
        stmt.right.visit_with(self);
        let element = match self.classify(&stmt.right) {
            Some(Binding::Docs { table, origin }) => Some(Binding::Doc { table, origin }),
            Some(Binding::Query(read)) => {
                self.body.reads[read].terminal = Terminal::Iterate;
                let table = self.body.reads[read].table.clone();
                Some(Binding::Doc { table, origin: Origin::Read(read) })
            }
            _ => None,
        };
        if let (Some(Binding::Doc { origin: Origin::Read(read), .. }), ForHead::VarDecl(decl)) = (&element, &stmt.left) {
            if let [d] = decl.decls.as_slice() {
                if let Pat::Ident(id) = &d.name {
                    self.body.loops.push(DocLoop { read: *read, var: id.id.sym.to_string(), body: range(stmt.body.span()) });
                }
            }
        }
        if let Some(element) = element {
            match &stmt.left {
                ForHead::VarDecl(decl) => {
                    for d in &decl.decls {
                        self.bind_pat(&d.name, element.clone());
                    }
                }
                ForHead::Pat(pat) => self.bind_pat(pat, element),
                ForHead::UsingDecl(_) => {}
            }
        }
        stmt.body.visit_with(self);
    }

    fn visit_call_expr(&mut self, call: &CallExpr) {
        let mut db_call = false;
        if let Callee::Expr(callee) = &call.callee {
            if let Expr::Member(member) = unwrap_ts(callee) {
                if let MemberProp::Ident(method) = &member.prop {
                    let method_name = method.sym.as_str();
                    if matches!(method_name, "runAfter" | "runAt" | "runMutation" | "runAction") {
                        self.body.schedules.extend(schedule_of(method_name, &member.obj, call));
                    }
                    let receiver = self.classify(&member.obj);
                    let op = match method_name {
                        "insert" => Some(WriteOp::Insert),
                        "patch" => Some(WriteOp::Patch),
                        "replace" => Some(WriteOp::Replace),
                        "delete" => Some(WriteOp::Delete),
                        _ => None,
                    };
                    match (receiver, op) {
                        (Some(Binding::Db), Some(op)) => {
                            db_call = true;
                            self.record_write(op, call, range(method.span));
                        }
                        // convex-ents: `ctx.table("users").insert({...})`, `ent.patch({...})`.
                        (Some(Binding::Query(read)), Some(WriteOp::Insert)) => {
                            db_call = true;
                            let table = self.body.reads[read].table.clone();
                            self.record_ent_write(WriteOp::Insert, table, Origin::Other, call, range(method.span));
                        }
                        (Some(Binding::Doc { table, origin }), Some(op)) if op != WriteOp::Insert => {
                            db_call = true;
                            self.record_ent_write(op, table, origin, call, range(method.span));
                        }
                        (Some(Binding::Db), None) => {
                            // Registers reads (`query`) even when the chain is a bare statement.
                            db_call = true;
                            let _ = self.classify_call(call);
                        }
                        (Some(Binding::Docs { table, origin }), _) if is_array_callback(method_name) => {
                            if let Some(cb) = call.args.first() {
                                self.bind_callback(&cb.expr, Binding::Doc { table, origin });
                            }
                        }
                        (Some(Binding::Query(_)), _) => {
                            db_call = true;
                            let _ = self.classify_call(call);
                        }
                        _ => {}
                    }
                }
            }
        }
        if !db_call {
            self.helper_call(call);
        }
        call.visit_children_with(self);
    }

    fn visit_bin_expr(&mut self, bin: &swc_ecma_ast::BinExpr) {
        use swc_ecma_ast::BinaryOp::*;
        if matches!(bin.op, EqEqEq | NotEqEq | EqEq | NotEq) {
            let unset = |e: &Expr| match unwrap_ts(e) {
                Expr::Ident(i) => i.sym == "undefined",
                Expr::Lit(Lit::Null(_)) => true,
                Expr::Unary(u) => u.op == swc_ecma_ast::UnaryOp::Void,
                _ => false,
            };
            let tested = if unset(&bin.right) {
                Some(&bin.left)
            } else if unset(&bin.left) {
                Some(&bin.right)
            } else {
                None
            };
            if let Some(Expr::Member(member)) = tested.map(|e| unwrap_ts(e)) {
                self.record_test(member);
            }
        }
        bin.visit_children_with(self);
    }

    /// `!doc.f`: a test for the field being unset (or falsy), as backfills guard their patch.
    fn visit_unary_expr(&mut self, unary: &swc_ecma_ast::UnaryExpr) {
        if unary.op == swc_ecma_ast::UnaryOp::Bang {
            if let Expr::Member(member) = unwrap_ts(&unary.arg) {
                self.record_test(member);
            }
        }
        unary.visit_children_with(self);
    }

    fn visit_member_expr(&mut self, member: &MemberExpr) {
        self.record_mention(member);
        member.visit_children_with(self);
    }

    fn visit_return_stmt(&mut self, ret: &ReturnStmt) {
        if let Some(arg) = &ret.arg {
            self.record_returns(arg);
        }
        ret.visit_children_with(self);
    }
}

/// `<ctx>.scheduler.runAfter(delay, fn, args)` or `.runAt(time, fn, args)`.
fn schedule_of(method: &str, receiver: &Expr, call: &CallExpr) -> Option<crate::model::body::Schedule> {
    // `ctx.runMutation(fn, args)` from an action: called now, in the same chain.
    if matches!(method, "runMutation" | "runAction") {
        let target = call.args.first().and_then(|a| dotted(&a.expr))?;
        return Some(crate::model::body::Schedule { target, delay: None, cursor: false, now: true });
    }
    let Expr::Member(scheduler) = unwrap_ts(receiver) else { return None };
    if scheduler.prop.as_ident().is_none_or(|p| p.sym != *"scheduler") {
        return None;
    }
    let target = call.args.get(1).and_then(|a| dotted(&a.expr))?;
    let delay = match (method, call.args.first().map(|a| unwrap_ts(&a.expr))) {
        ("runAfter", Some(Expr::Lit(Lit::Num(n)))) => Some(n.value),
        _ => None,
    };
    let cursor = call.args.get(2).is_some_and(|a| match unwrap_ts(&a.expr) {
        Expr::Object(object) => object.props.iter().any(|p| match p {
            swc_ecma_ast::PropOrSpread::Prop(p) => match &**p {
                swc_ecma_ast::Prop::KeyValue(kv) => {
                    crate::syntax::prop_name(&kv.key).is_some_and(|k| k.to_ascii_lowercase().contains("cursor"))
                }
                swc_ecma_ast::Prop::Shorthand(id) => id.sym.to_ascii_lowercase().contains("cursor"),
                _ => false,
            },
            swc_ecma_ast::PropOrSpread::Spread(_) => true,
        }),
        _ => true,
    });
    Some(crate::model::body::Schedule { target, delay, cursor, now: false })
}

/// `a.b.c` as text; `None` for anything but names and dots.
fn dotted(expr: &Expr) -> Option<String> {
    match unwrap_ts(expr) {
        Expr::Ident(id) => Some(id.sym.to_string()),
        Expr::Member(member) => Some(format!("{}.{}", dotted(&member.obj)?, member.prop.as_ident()?.sym)),
        _ => None,
    }
}

fn is_array_callback(method: &str) -> bool {
    matches!(method, "map" | "forEach" | "filter" | "flatMap" | "some" | "every" | "find" | "reduce")
}

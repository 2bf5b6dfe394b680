//! What a function body does with the database: its reads (`ctx.db.query(T)` chains), its writes
//! (`insert`/`patch`/`replace`/`delete`), the fields it tests, and the project helpers it calls
//! with `ctx`. Tables are resolved from literals, `v.id("T")` arguments, `Id<"T">`/`Doc<"T">`
//! annotations, `ctx.db.get`, query results, `for … of`, `.map` callbacks and `migrateOne`
//! parameters. Anything else stays unresolved.

use std::collections::HashMap;

use swc_common::Spanned;
use swc_ecma_ast::{
    ArrowExpr, ArrowFunctionBody, CallExpr, Callee, Expr, ForHead, ForOfStmt, Function, Lit, MemberExpr, MemberProp, ObjectPatProp, Pat,
    Prop, PropOrSpread, ReturnStmt, TsEntityName, TsLit, TsType, TsTypeAnn, VarDeclarator,
};
use swc_ecma_visit::{Visit, VisitWith};

use crate::line_index::TextRange;
use crate::model::validator::{Literal, Validator};
use crate::model::value::{prop_name, unwrap_ts, SymRef};
use crate::syntax::range;

/// The table a read or write is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TableRef {
    Name(String),
    /// The table of the document or id passed as parameter `i` (helpers): resolved at the call.
    Param(usize),
    Unknown,
}

/// Where a document or id came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A document of read `i` of the same body.
    Read(usize),
    /// The document handed to a `migrateOne`.
    MigrateOne,
    /// Parameter `i` of a helper.
    Param(usize),
    Other,
}

/// How a query chain ends.
#[derive(Debug, Clone, PartialEq)]
pub enum Terminal {
    Collect,
    Take(Option<f64>),
    /// `.paginate(opts)`; `cursor` is true when the cursor comes from the function's arguments.
    Paginate {
        cursor: bool,
    },
    First,
    Unique,
    /// `for await (const doc of query)`.
    Iterate,
    /// A builder that is never consumed in this body.
    None,
}

/// One `ctx.db.query(T)` chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    pub table: TableRef,
    pub index: Option<String>,
    /// Fields constrained in the `withIndex` range.
    pub index_fields: Vec<String>,
    /// Fields compared in `.filter(...)`.
    pub filter_fields: Vec<String>,
    /// Whether a `.filter` compares some field with `undefined` (looking for unmigrated documents).
    pub filter_undefined: bool,
    pub terminal: Terminal,
    pub range: TextRange,
}

impl Read {
    /// Whether the read may visit every document of its table: no conditions, or only
    /// conditions on `field` (an index range or a filter selecting where it is unset).
    pub fn scans_for(&self, field: &str) -> bool {
        let only_field = |fields: &[String]| fields.iter().all(|f| f == field);
        let index_ok = match &self.index {
            None => true,
            Some(_) => only_field(&self.index_fields),
        };
        index_ok && only_field(&self.filter_fields) && !matches!(self.terminal, Terminal::First | Terminal::Unique)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteOp {
    Insert,
    Patch,
    Replace,
    Delete,
}

impl WriteOp {
    pub fn as_str(self) -> &'static str {
        match self {
            WriteOp::Insert => "insert",
            WriteOp::Patch => "patch",
            WriteOp::Replace => "replace",
            WriteOp::Delete => "delete",
        }
    }
}

/// What a written field is set to, as far as it is statically known.
#[derive(Debug, Clone, PartialEq)]
pub enum WrittenValue {
    Undefined,
    Null,
    Literal(Literal),
    Object,
    Array,
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WrittenField {
    pub name: String,
    pub value: WrittenValue,
    /// The key.
    pub range: TextRange,
    /// The value expression (the key itself for a shorthand `{ email }`).
    pub value_range: TextRange,
}

/// The object a write sets.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenObject {
    pub fields: Vec<WrittenField>,
    /// Whether it also spreads something (`{ ...doc, f: 1 }`), so more fields may be written.
    pub open: bool,
    pub range: TextRange,
}

impl WrittenObject {
    pub fn field(&self, name: &str) -> Option<&WrittenField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub op: WriteOp,
    pub table: TableRef,
    /// Where the written document's id came from (not for inserts).
    pub target: Origin,
    /// `None` when the object is not a literal (or for deletes).
    pub object: Option<WrittenObject>,
    /// The range of the whole call.
    pub range: TextRange,
    /// The range of the method name (`patch`), where a finding points.
    pub method_range: TextRange,
}

/// What an argument of a helper call is.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgInfo {
    Ctx,
    Doc { table: TableRef, origin: Origin },
    Id { table: TableRef, origin: Origin },
    Other,
}

/// A call of another function of the project that receives `ctx`.
#[derive(Debug, Clone, PartialEq)]
pub struct HelperCall {
    pub callee: SymRef,
    pub args: Vec<ArgInfo>,
    pub range: TextRange,
}

/// What one function body does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Body {
    pub reads: Vec<Read>,
    pub writes: Vec<Write>,
    pub calls: Vec<HelperCall>,
    /// `(table, field)` pairs read or tested: `doc.f`, `q.field("f")`.
    pub mentions: Vec<(TableRef, String)>,
    /// `(table, field)` pairs tested for being unset: `doc.f === undefined`, `q.eq(q.field("f"), undefined)`.
    pub tests: Vec<(TableRef, String)>,
    /// Object literals returned by the function itself (a `migrateOne`'s patch).
    pub returns: Vec<WrittenObject>,
    /// `for (const doc of docs) { … }` loops over the documents of a read.
    pub loops: Vec<DocLoop>,
    /// The name of the `ctx` parameter, when it is a plain identifier.
    pub ctx_name: Option<String>,
}

/// A loop over the documents of one read: what a rewrite keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct DocLoop {
    pub read: usize,
    /// The loop variable (`doc`).
    pub var: String,
    /// The loop's body statement (a block or a single statement).
    pub body: TextRange,
}

/// What a name stands for inside a body.
#[derive(Debug, Clone, PartialEq)]
enum Binding {
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

/// The context a body is analysed in.
pub struct BodyInput<'a> {
    /// The function's argument validators (`args: {...}`), by name.
    pub args: &'a HashMap<String, Validator>,
    /// For a `migrateOne`: the table of its document parameter.
    pub migrate_one_table: Option<&'a str>,
}

/// Analyses a function (arrow or `function`) as a Convex handler or helper: parameter 0 is `ctx`,
/// parameter 1 the args object (handlers) or the document (`migrateOne`).
pub fn analyse_function(params: &[&Pat], body: FnBody<'_>, input: &BodyInput<'_>, helper: bool) -> Body {
    let mut walker = Walker { body: Body::default(), bindings: HashMap::new(), args: input.args, depth: 0 };
    for (i, pat) in params.iter().enumerate() {
        let annotated = annotation_binding(pat, i).map(|b| match b {
            // A helper's typed parameter still comes from the caller: keep where it came from.
            Binding::Doc { table, .. } if helper => Binding::Doc { table, origin: Origin::Param(i) },
            Binding::Id { table, .. } if helper => Binding::Id { table, origin: Origin::Param(i) },
            other => other,
        });
        let binding = if let Some(b) = annotated {
            Some(b)
        } else if is_ctx_param(pat, i, helper) {
            Some(Binding::Ctx)
        } else if i == 1 && !helper {
            Some(match input.migrate_one_table {
                Some(table) => Binding::Doc { table: TableRef::Name(table.into()), origin: Origin::MigrateOne },
                None => Binding::Args,
            })
        } else if helper && i > 0 {
            Some(Binding::Param(i))
        } else {
            None
        };
        if let Some(binding) = binding {
            walker.bind_pat(pat, binding);
        }
    }
    walker.body.ctx_name = params.first().and_then(|p| match p {
        Pat::Ident(id) if walker.bindings.get(id.id.sym.as_str()) == Some(&Binding::Ctx) => Some(id.id.sym.to_string()),
        _ => None,
    });
    match body {
        FnBody::Block(stmts) => {
            for stmt in stmts {
                stmt.visit_with(&mut walker);
            }
        }
        FnBody::Expr(expr) => {
            walker.record_returns(expr);
            expr.visit_with(&mut walker);
        }
    }
    walker.body.mentions.sort_by(|a, b| (format!("{:?}", a.0), &a.1).cmp(&(format!("{:?}", b.0), &b.1)));
    walker.body.mentions.dedup();
    for read in &walker.body.reads {
        if read.filter_undefined {
            walker.body.tests.extend(read.filter_fields.iter().map(|f| (read.table.clone(), f.clone())));
        }
    }
    walker.body.tests.dedup();
    walker.body
}

/// The body of a function, block or expression (arrows).
pub enum FnBody<'a> {
    Block(&'a [swc_ecma_ast::Stmt]),
    Expr(&'a Expr),
}

impl<'a> FnBody<'a> {
    pub fn of_arrow(arrow: &'a ArrowExpr) -> FnBody<'a> {
        match &*arrow.body {
            ArrowFunctionBody::FunctionBody(block) => FnBody::Block(&block.stmts),
            ArrowFunctionBody::Expr(expr) => FnBody::Expr(expr),
        }
    }

    pub fn of_function(function: &'a Function) -> FnBody<'a> {
        match &function.body {
            Some(block) => FnBody::Block(&block.stmts),
            None => FnBody::Block(&[]),
        }
    }
}

/// Whether parameter `i` is the Convex context: the first parameter of a handler, or of a helper
/// when it is named `ctx`, typed `…Ctx`, or destructures `db`.
fn is_ctx_param(pat: &Pat, i: usize, helper: bool) -> bool {
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
fn annotation_binding(pat: &Pat, _i: usize) -> Option<Binding> {
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

const MAX_DEPTH: u32 = 200;

struct Walker<'a> {
    body: Body,
    bindings: HashMap<String, Binding>,
    args: &'a HashMap<String, Validator>,
    depth: u32,
}

impl Walker<'_> {
    fn bind_pat(&mut self, pat: &Pat, binding: Binding) {
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
    fn classify(&mut self, expr: &Expr) -> Option<Binding> {
        match unwrap_ts(expr) {
            Expr::Ident(ident) => self.bindings.get(ident.sym.as_str()).cloned(),
            Expr::Await(a) => self.classify(&a.arg),
            Expr::Member(member) => self.classify_member(member),
            Expr::Call(call) => self.classify_call(call),
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
            (Some(Binding::Db), "query") => {
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

    /// Records one method of a query chain on read `read`.
    fn chain_method(&mut self, read: usize, method: &str, call: &CallExpr) {
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
    fn record_returns(&mut self, expr: &Expr) {
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
    fn record_write(&mut self, op: WriteOp, call: &CallExpr, method_range: TextRange) {
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
        self.body.writes.push(Write { op, table, target, object, range: range(call.span), method_range });
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
        let Some(callee) = callee_ref(callee) else { return };
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

fn callee_ref(expr: &Expr) -> Option<SymRef> {
    match unwrap_ts(expr) {
        Expr::Ident(i) => Some(SymRef::Local(i.sym.to_string())),
        Expr::Member(m) => match &m.prop {
            MemberProp::Ident(p) => Some(SymRef::Member(Box::new(callee_ref(&m.obj)?), p.sym.to_string())),
            _ => None,
        },
        _ => None,
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
                if let MemberProp::Ident(prop) = &member.prop {
                    let table = match self.classify(&member.obj) {
                        Some(Binding::Doc { table, .. }) => Some(table),
                        Some(Binding::Param(i)) => Some(TableRef::Param(i)),
                        _ => None,
                    };
                    if let Some(table) = table {
                        self.body.tests.push((table, prop.sym.to_string()));
                    }
                }
            }
        }
        bin.visit_children_with(self);
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

fn is_array_callback(method: &str) -> bool {
    matches!(method, "map" | "forEach" | "filter" | "flatMap" | "some" | "every" | "find" | "reduce")
}

fn string_lit(expr: &Expr) -> Option<String> {
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

//! What a function body does with the database: its reads (`ctx.db.query(T)` chains), its writes
//! (`insert`/`patch`/`replace`/`delete`), the fields it tests, and the project helpers it calls
//! with `ctx`. Tables are resolved from literals, `v.id("T")` arguments, `Id<"T">`/`Doc<"T">`
//! annotations, `ctx.db.get`, query results, `for … of`, `.map` callbacks and `migrateOne`
//! parameters. Anything else stays unresolved.
//!
//! By concern: [`params`] binds the parameters (`ctx`, the args, typed documents), [`walker`]
//! follows what each name stands for through the body, [`queries`] reads `ctx.db.query` chains,
//! [`writes`] reads `insert`/`patch`/`replace`/`delete` calls and the objects they write.

mod params;
mod queries;
mod walker;
mod writes;

use std::collections::HashMap;

use swc_ecma_ast::{ArrowExpr, ArrowFunctionBody, Expr, Function, Pat};
use swc_ecma_visit::VisitWith;

use crate::line_index::TextRange;
use crate::model::symbol::SymRef;
use crate::model::validator::{Literal, Validator};
use params::{annotation_binding, is_ctx_param};
use walker::{Binding, Walker};

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
        // Conditions on `_id` or `_creationTime` page through the table (`q.gt(q.field("_id"), last)`).
        let only_field = |fields: &[String]| fields.iter().all(|f| f == field || f == "_id" || f == "_creationTime");
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
    /// For a helper's write whose table is a parameter's, bound by a caller: the call (its file
    /// and range) and the parameter. The writes one call binds through one parameter form a
    /// group: a helper generic over tables writes some fields that fit the bound table and some
    /// that do not.
    pub bound: Option<(u32, TextRange, usize)>,
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
    /// `ctx.scheduler.runAfter(delay, fn, args)` / `runAt(time, fn, args)` calls, and
    /// `ctx.runMutation(fn, args)` / `ctx.runAction(fn, args)`.
    pub schedules: Vec<Schedule>,
}

impl Body {
    /// Drops spare capacity (bodies live as long as the project).
    pub fn shrink(&mut self) {
        self.reads.shrink_to_fit();
        self.writes.shrink_to_fit();
        self.calls.shrink_to_fit();
        self.mentions.shrink_to_fit();
        self.tests.shrink_to_fit();
        self.returns.shrink_to_fit();
        self.loops.shrink_to_fit();
        self.schedules.shrink_to_fit();
    }
}

/// A function scheduled from a body.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The function reference as written (`internal.npc.tick`).
    pub target: String,
    /// `runAfter`'s delay when it is a number literal (0 for "right after"); `None` for `runAt`
    /// or a delay computed at run time.
    pub delay: Option<f64>,
    /// Whether the arguments pass a cursor on (`{ cursor: continueCursor }`): a batch scheduling
    /// the next.
    pub cursor: bool,
    /// `ctx.runMutation` / `ctx.runAction`: called now, not scheduled.
    pub now: bool,
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
    let mut walker = Walker { body: Body::default(), bindings: HashMap::new(), args: input.args, depth: 0, nested: 0 };
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

//! A small static evaluator: turns the expressions that build a schema (validators, field objects,
//! `defineTable`, `defineSchema`, function builders) into plain values.
//!
//! Identifiers become [`SymRef`]s; the project layer resolves them across files. Anything the
//! evaluator does not understand becomes [`Value::Unknown`], which later stays silent.

use swc_ecma_ast::{ArrayLit, CallExpr, Callee, Expr, Lit, MemberProp, ObjectLit, Prop, PropOrSpread, UnaryOp};

use crate::line_index::TextRange;
pub use crate::model::symbol::SymRef;
use crate::model::validator::{Entry, Field, Literal, Validator};
use crate::syntax::{prop_name, range, unwrap_ts};

/// What an expression statically evaluates to.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Validator(Validator),
    Object(Vec<ObjEntry>),
    Table(Box<TableDef>),
    Schema(Box<SchemaDef>),
    Str(String),
    Array(Vec<Value>),
    Ref(SymRef),
    /// A call the evaluator does not interpret itself, e.g. `customMutation(mutation, ...)`.
    Call {
        callee: Box<Value>,
        args: Vec<Value>,
    },
    /// `new X(...)`, e.g. `new Migrations(components.migrations)`.
    New {
        callee: Box<Value>,
    },
    Unknown,
}

/// An entry of an object literal.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjEntry {
    Prop {
        key: String,
        value: Value,
        key_range: TextRange,
        value_range: TextRange,
    },
    /// `...value`, with the range of the spread (`...` included).
    Spread(Value, TextRange),
}

/// `defineTable(shape)` with its index chain.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    /// A field object, a validator, or a reference to one.
    pub shape: Value,
    pub indexes: Vec<IndexDef>,
    pub range: TextRange,
    /// convex-ents many:many edges (`.edges("tags")`): names its writes take (`{ tags: [id] }`),
    /// stored in an edge table, not in the document.
    pub edges: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexDef {
    pub name: String,
    pub fields: Vec<String>,
}

/// `defineSchema(tables, options)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaDef {
    pub tables: Value,
    pub schema_validation: Option<bool>,
    pub range: TextRange,
}

/// The names under which a file sees Convex's builders (from its imports).
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Local names of `v` from `convex/values` (and `v` itself).
    pub v: Vec<String>,
    pub define_table: Vec<String>,
    pub define_schema: Vec<String>,
    /// convex-helpers validator helpers: local name → imported name.
    pub helpers: Vec<(String, String)>,
    /// convex-ents builders (`defineEnt`, `defineEntSchema`, `defineEntFromTable`): local name →
    /// imported name.
    pub ents: Vec<(String, String)>,
}

impl Names {
    fn is(list: &[String], name: &str) -> bool {
        list.iter().any(|n| n == name)
    }
}

/// Evaluates an expression. `depth` bounds recursion on hostile input.
pub fn eval(expr: &Expr, names: &Names) -> Value {
    eval_depth(expr, names, 0)
}

const MAX_DEPTH: u32 = 64;

fn eval_depth(expr: &Expr, names: &Names, depth: u32) -> Value {
    if depth > MAX_DEPTH {
        return Value::Unknown;
    }
    let depth = depth + 1;
    match unwrap_ts(expr) {
        Expr::Ident(ident) => Value::Ref(SymRef::Local(ident.sym.to_string())),
        Expr::Member(member) => match (&member.prop, SymRef::of(&member.obj)) {
            (MemberProp::Ident(prop), Some(base)) => Value::Ref(SymRef::Member(Box::new(base), prop.sym.to_string())),
            _ => Value::Unknown,
        },
        Expr::Lit(Lit::Str(s)) => Value::Str(s.value.to_atom_lossy().to_string()),
        Expr::Tpl(tpl) if tpl.exprs.is_empty() => {
            Value::Str(tpl.quasis.iter().filter_map(|q| q.cooked.as_ref()).map(|c| c.to_atom_lossy().to_string()).collect())
        }
        Expr::Object(object) => Value::Object(eval_object(object, names, depth)),
        Expr::Array(array) => Value::Array(eval_array(array, names, depth)),
        Expr::Call(call) => eval_call(call, names, depth),
        Expr::New(new) => Value::New { callee: Box::new(eval_depth(&new.callee, names, depth)) },
        _ => Value::Unknown,
    }
}

fn eval_object(object: &ObjectLit, names: &Names, depth: u32) -> Vec<ObjEntry> {
    let mut entries = Vec::with_capacity(object.props.len());
    for prop in &object.props {
        match prop {
            PropOrSpread::Spread(spread) => {
                let at = range(spread.dot3_token).start;
                let spread_range = TextRange::new(at, range(swc_common::Spanned::span(&*spread.expr)).end);
                entries.push(ObjEntry::Spread(eval_depth(&spread.expr, names, depth), spread_range))
            }
            PropOrSpread::Prop(prop) => match &**prop {
                Prop::KeyValue(kv) => match prop_name(&kv.key) {
                    Some(key) => entries.push(ObjEntry::Prop {
                        key,
                        value: eval_depth(&kv.value, names, depth),
                        key_range: range(swc_common::Spanned::span(&kv.key)),
                        value_range: range(swc_common::Spanned::span(&*kv.value)),
                    }),
                    // A computed key we cannot name: the object is no longer fully known.
                    None => entries.push(ObjEntry::Spread(Value::Unknown, range(swc_common::Spanned::span(&kv.key)))),
                },
                Prop::Shorthand(ident) => {
                    let r = range(ident.span);
                    entries.push(ObjEntry::Prop {
                        key: ident.sym.to_string(),
                        value: Value::Ref(SymRef::Local(ident.sym.to_string())),
                        key_range: r,
                        value_range: r,
                    })
                }
                // Methods and accessors are not data.
                _ => {}
            },
        }
    }
    entries
}

fn eval_array(array: &ArrayLit, names: &Names, depth: u32) -> Vec<Value> {
    array
        .elems
        .iter()
        .map(|e| match e {
            Some(e) if e.spread.is_none() => eval_depth(&e.expr, names, depth),
            _ => Value::Unknown,
        })
        .collect()
}

fn eval_call(call: &CallExpr, names: &Names, depth: u32) -> Value {
    let Callee::Expr(callee) = &call.callee else { return Value::Unknown };
    let args: Vec<&Expr> = call.args.iter().filter(|a| a.spread.is_none()).map(|a| &*a.expr).collect();
    let has_spread_arg = call.args.iter().any(|a| a.spread.is_some());
    let arg = |i: usize| args.get(i).map(|e| eval_depth(e, names, depth)).unwrap_or(Value::Unknown);
    let call_range = range(call.span);
    match unwrap_ts(callee) {
        Expr::Ident(ident) => {
            let name = ident.sym.as_str();
            if Names::is(&names.define_table, name) {
                return Value::Table(Box::new(TableDef { shape: arg(0), indexes: Vec::new(), range: call_range, edges: Vec::new() }));
            }
            if Names::is(&names.define_schema, name) {
                let schema_validation = match arg(1) {
                    Value::Object(entries) => entries.iter().find_map(|e| match e {
                        ObjEntry::Prop { key, .. } if key == "schemaValidation" => {
                            args.get(1).and_then(|o| bool_prop(o, "schemaValidation"))
                        }
                        _ => None,
                    }),
                    _ => None,
                };
                return Value::Schema(Box::new(SchemaDef { tables: arg(0), schema_validation, range: call_range }));
            }
            if let Some((_, helper)) = names.helpers.iter().find(|(local, _)| local == name) {
                if helper == "Table" {
                    if let Some(table) = helpers_table(&args, names, depth, call_range) {
                        return table;
                    }
                }
                if let Some(v) = helper_validator(helper, &args, names, depth, has_spread_arg) {
                    return Value::Validator(v);
                }
            }
            if let Some((_, builder)) = names.ents.iter().find(|(local, _)| local == name) {
                match builder.as_str() {
                    "defineEnt" => {
                        let shape = if args.is_empty() { Value::Object(Vec::new()) } else { arg(0) };
                        return Value::Table(Box::new(TableDef { shape, indexes: Vec::new(), range: call_range, edges: Vec::new() }));
                    }
                    "defineEntFromTable" => return arg(0),
                    "defineEntSchema" => {
                        return Value::Schema(Box::new(SchemaDef { tables: arg(0), schema_validation: None, range: call_range }))
                    }
                    _ => {}
                }
            }
            Value::Call {
                callee: Box::new(Value::Ref(SymRef::Local(name.to_string()))),
                args: args.iter().map(|e| eval_depth(e, names, depth)).collect(),
            }
        }
        Expr::Member(member) => {
            let MemberProp::Ident(method) = &member.prop else { return Value::Unknown };
            let method = method.sym.as_str();
            if let Expr::Ident(obj) = unwrap_ts(&member.obj) {
                if Names::is(&names.v, obj.sym.as_str()) {
                    let v = v_call(method, &args, names, depth, has_spread_arg);
                    return Value::Validator(v);
                }
            }
            let receiver = eval_depth(&member.obj, names, depth);
            match (receiver, method) {
                (Value::Validator(v), "optional") => Value::Validator(optional(v)),
                (Value::Ref(r), "optional") if args.is_empty() => Value::Validator(optional(Validator::Ref(r))),
                (Value::Table(mut table), "index") => {
                    if let (Some(Value::Str(name)), Some(fields)) = (args.first().map(|e| eval_depth(e, names, depth)), args.get(1)) {
                        table.indexes.push(IndexDef { name, fields: index_fields(fields, names, depth) });
                    }
                    Value::Table(table)
                }
                (Value::Table(table), "searchIndex" | "vectorIndex" | "staged") => Value::Table(table),
                // convex-ents: what `.field`, `.edge` and `.deletion` add to the stored document.
                (Value::Table(mut table), "field" | "edge" | "deletion") if !names.ents.is_empty() => {
                    ent_method(&mut table, method, &args, names, depth);
                    Value::Table(table)
                }
                (Value::Table(mut table), "edges") if !names.ents.is_empty() => {
                    if let Some(Value::Str(edge)) = args.first().map(|e| eval_depth(e, names, depth)) {
                        table.edges.push(edge);
                    }
                    Value::Table(table)
                }
                // An index chained onto a table held elsewhere (`Mcps.table.index(a).index(b)`):
                // one pending call, `index`'s arguments in (name, fields) pairs, resolved with it.
                (Value::Call { callee, args: mut pending }, "index" | "searchIndex" | "vectorIndex" | "staged") if matches!(&*callee, Value::Ref(SymRef::Member(_, m)) if matches!(m.as_str(), "index" | "searchIndex" | "vectorIndex" | "staged")) =>
                {
                    let Value::Ref(SymRef::Member(base, first)) = *callee else { return Value::Unknown };
                    if first != "index" {
                        pending.clear();
                    }
                    if method == "index" && args.len() >= 2 {
                        pending.truncate(pending.len() / 2 * 2);
                        pending.extend(args.iter().take(2).map(|e| eval_depth(e, names, depth)));
                    }
                    Value::Call { callee: Box::new(Value::Ref(SymRef::Member(base, "index".into()))), args: pending }
                }
                (receiver, _) => Value::Call {
                    callee: Box::new(match receiver {
                        Value::Ref(r) => Value::Ref(SymRef::Member(Box::new(r), method.to_string())),
                        _ => Value::Unknown,
                    }),
                    args: args.iter().map(|e| eval_depth(e, names, depth)).collect(),
                },
            }
        }
        _ => Value::Unknown,
    }
}

/// convex-helpers `Table("users", { ...fields })`: an object whose `.table` is the table
/// (`defineTable(fields)`), `.withoutSystemFields` the fields, `.withSystemFields` and `.doc` the
/// fields with `_id` and `_creationTime`, `.name` the table's name.
fn helpers_table(args: &[&Expr], names: &Names, depth: u32, call_range: TextRange) -> Option<Value> {
    let Value::Str(name) = eval_depth(args.first()?, names, depth) else { return None };
    let fields = eval_depth(args.get(1)?, names, depth);
    let at = range(swc_common::Spanned::span(*args.get(1)?));
    let system = |fields: Value| {
        let entries = vec![
            ObjEntry::Spread(fields, at),
            ObjEntry::Prop { key: "_id".into(), value: Value::Validator(Validator::Id(name.clone())), key_range: at, value_range: at },
            ObjEntry::Prop { key: "_creationTime".into(), value: Value::Validator(Validator::Number), key_range: at, value_range: at },
        ];
        Value::Object(entries)
    };
    let prop = |key: &str, value: Value| ObjEntry::Prop { key: key.to_string(), value, key_range: call_range, value_range: call_range };
    let with_system = system(fields.clone());
    let doc = match &with_system {
        Value::Object(entries) => Value::Validator(Validator::Object(object_entries(entries.clone()))),
        _ => Value::Unknown,
    };
    Some(Value::Object(vec![
        prop("name", Value::Str(name.clone())),
        prop(
            "table",
            Value::Table(Box::new(TableDef { shape: fields.clone(), indexes: Vec::new(), range: call_range, edges: Vec::new() })),
        ),
        prop("withoutSystemFields", fields),
        prop("withSystemFields", with_system),
        prop("doc", doc),
    ]))
}

/// convex-ents' builder methods, as `defineEnt` stores documents (its `schema.ts`):
/// `.field(name, validator, { default })` adds `name` (optional when it has a default);
/// `.edge(name, { to, field, ref, optional })` stores `field ?? name + "Id"`: `v.id(to ?? name + "s")`
/// (optional when `optional` is given), unless it is the `ref` side; `.deletion(...)` adds
/// `deletionTime: v.optional(v.number())`. Indexes from `unique`/`index` and edges are kept.
fn ent_method(table: &mut TableDef, method: &str, args: &[&Expr], names: &Names, depth: u32) {
    let str_arg = |i: usize| match args.get(i).map(|e| eval_depth(e, names, depth)) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    };
    let options: Vec<ObjEntry> = match args.last().map(|e| eval_depth(e, names, depth)) {
        Some(Value::Object(entries)) => entries,
        _ => Vec::new(),
    };
    let option = |key: &str| {
        options.iter().find_map(|e| match e {
            ObjEntry::Prop { key: k, value, .. } if k == key => Some(value.clone()),
            _ => None,
        })
    };
    let arg_range = |i: usize| args.get(i).map(|e| range(swc_common::Spanned::span(*e))).unwrap_or(table.range);
    let (name, validator, key_range, value_range) = match method {
        "field" => {
            let Some(name) = str_arg(0) else { return mark_open(table, arg_range(0)) };
            let validator = args.get(1).map(|e| to_validator(eval_depth(e, names, depth))).unwrap_or(Validator::Unknown);
            let validator = if option("default").is_some() && args.len() > 2 { optional(validator) } else { validator };
            if option("unique").is_some() || option("index").is_some() {
                table.indexes.push(IndexDef { name: name.clone(), fields: vec![name.clone()] });
            }
            (name, validator, arg_range(0), arg_range(1))
        }
        "edge" => {
            let Some(edge) = str_arg(0) else { return mark_open(table, arg_range(0)) };
            let stores = option("field").is_some() || option("ref").is_none();
            if !stores {
                return;
            }
            let field = match option("field") {
                Some(Value::Str(f)) => f,
                Some(_) => return mark_open(table, arg_range(1)),
                None => format!("{edge}Id"),
            };
            let to = match option("to") {
                Some(Value::Str(t)) => t,
                Some(_) => return mark_open(table, arg_range(1)),
                None => format!("{edge}s"),
            };
            let id = Validator::Id(to);
            let validator = if option("optional").is_some() { optional(id) } else { id };
            table.indexes.push(IndexDef { name: field.clone(), fields: vec![field.clone()] });
            (field, validator, arg_range(0), arg_range(0))
        }
        "deletion" => ("deletionTime".to_string(), optional(Validator::Number), arg_range(0), arg_range(0)),
        _ => return,
    };
    push_field(table, ObjEntry::Prop { key: name, value: Value::Validator(validator), key_range, value_range });
}

/// Adds an entry to a table's field object (wrapping a shape that is not a literal object).
fn push_field(table: &mut TableDef, entry: ObjEntry) {
    match &mut table.shape {
        Value::Object(entries) => entries.push(entry),
        other => {
            let at = table.range;
            let shape = std::mem::replace(other, Value::Unknown);
            table.shape = Value::Object(vec![ObjEntry::Spread(shape, at), entry]);
        }
    }
}

/// A builder call the evaluator could not follow: the table is no longer fully known.
fn mark_open(table: &mut TableDef, at: TextRange) {
    push_field(table, ObjEntry::Spread(Value::Unknown, at));
}

fn bool_prop(object: &Expr, key: &str) -> Option<bool> {
    let Expr::Object(object) = unwrap_ts(object) else { return None };
    object.props.iter().find_map(|p| match p {
        PropOrSpread::Prop(p) => match &**p {
            Prop::KeyValue(kv) if prop_name(&kv.key).as_deref() == Some(key) => match unwrap_ts(&kv.value) {
                Expr::Lit(Lit::Bool(b)) => Some(b.value),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    })
}

/// The fields of `.index(name, ["a", "b"])` or `.index(name, { fields: [...] })`.
fn index_fields(expr: &Expr, names: &Names, depth: u32) -> Vec<String> {
    let strings = |values: Vec<Value>| values.into_iter().filter_map(|v| if let Value::Str(s) = v { Some(s) } else { None }).collect();
    match eval_depth(expr, names, depth) {
        Value::Array(values) => strings(values),
        Value::Object(entries) => entries
            .into_iter()
            .find_map(|e| match e {
                ObjEntry::Prop { key, value: Value::Array(values), .. } if key == "fields" => Some(strings(values)),
                _ => None,
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn optional(v: Validator) -> Validator {
    if v.is_optional() {
        v
    } else {
        Validator::Optional(Box::new(v))
    }
}

/// A value used where a validator is expected.
pub fn to_validator(value: Value) -> Validator {
    match value {
        Value::Validator(v) => v,
        Value::Ref(r) => Validator::Ref(r),
        _ => Validator::Unknown,
    }
}

/// The entries of a field object (`{ name: v.string(), ...rest }`) used as an object validator.
pub fn object_entries(entries: Vec<ObjEntry>) -> Vec<Entry> {
    entries
        .into_iter()
        .map(|entry| match entry {
            ObjEntry::Prop { key, value, key_range, value_range } => {
                Entry::Field(Field { name: key, validator: to_validator(value), name_range: key_range, value_range })
            }
            ObjEntry::Spread(value, range) => Entry::Spread(to_validator(value), range),
        })
        .collect()
}

fn literal(expr: &Expr) -> Option<Literal> {
    // Minus signs in a loop (`- -1`), not a recursion: any number of them fits the stack.
    let mut negative = false;
    let mut expr = unwrap_ts(expr);
    while let Expr::Unary(u) = expr {
        if u.op != UnaryOp::Minus {
            return None;
        }
        negative = !negative;
        expr = unwrap_ts(&u.arg);
    }
    let literal = match expr {
        Expr::Lit(Lit::Str(s)) => Literal::String(s.value.to_atom_lossy().to_string()),
        Expr::Lit(Lit::Num(n)) => Literal::Number(n.value),
        Expr::Lit(Lit::Bool(b)) => Literal::Boolean(b.value),
        Expr::Lit(Lit::BigInt(b)) => Literal::BigInt(b.value.to_string()),
        _ => return None,
    };
    match (negative, literal) {
        (false, literal) => Some(literal),
        (true, Literal::Number(n)) => Some(Literal::Number(-n)),
        (true, Literal::BigInt(b)) => Some(Literal::BigInt(format!("-{b}"))),
        (true, _) => None,
    }
}

/// `v.<method>(args)`.
fn v_call(method: &str, args: &[&Expr], names: &Names, depth: u32, has_spread: bool) -> Validator {
    let validator = |i: usize| args.get(i).map(|e| to_validator(eval_depth(e, names, depth))).unwrap_or(Validator::Unknown);
    match method {
        "string" => Validator::String,
        "number" | "float64" => Validator::Number,
        "int64" | "bigint" => Validator::Int64,
        "boolean" => Validator::Boolean,
        "bytes" => Validator::Bytes,
        "any" => Validator::Any,
        "null" => Validator::Null,
        "id" => match args.first().map(|e| eval_depth(e, names, depth)) {
            Some(Value::Str(table)) => Validator::Id(table),
            _ => Validator::Unknown,
        },
        "literal" => args.first().and_then(|e| literal(e)).map(Validator::Literal).unwrap_or(Validator::Unknown),
        "array" => Validator::Array(Box::new(validator(0))),
        "optional" => optional(validator(0)),
        "nullable" => Validator::nullable(validator(0)),
        "record" => Validator::Record(Box::new(validator(0)), Box::new(validator(1))),
        "union" if !has_spread => Validator::Union((0..args.len()).map(validator).collect()),
        "object" => match args.first().map(|e| eval_depth(e, names, depth)) {
            Some(Value::Object(entries)) => Validator::Object(object_entries(entries)),
            Some(Value::Ref(r)) => Validator::Object(vec![Entry::Spread(
                Validator::Ref(r),
                args.first().map(|e| range(swc_common::Spanned::span(*e))).unwrap_or_default(),
            )]),
            _ => Validator::Unknown,
        },
        _ => Validator::Unknown,
    }
}

/// convex-helpers' validator helpers (`convex-helpers/validators`).
fn helper_validator(helper: &str, args: &[&Expr], names: &Names, depth: u32, has_spread: bool) -> Option<Validator> {
    match helper {
        "literals" if !has_spread => {
            let literals: Option<Vec<Validator>> = args.iter().map(|e| literal(e).map(Validator::Literal)).collect();
            Some(Validator::Union(literals?))
        }
        "nullable" => {
            Some(Validator::nullable(args.first().map(|e| to_validator(eval_depth(e, names, depth))).unwrap_or(Validator::Unknown)))
        }
        "deprecated" => Some(Validator::Optional(Box::new(Validator::Any))),
        // `pretend(x)`/`pretendRequired(x)` change only the TypeScript type: Convex stores and
        // checks documents with `x`, and so does the checker.
        "pretend" | "pretendRequired" => {
            Some(args.first().map(|e| to_validator(eval_depth(e, names, depth))).unwrap_or(Validator::Unknown))
        }
        "brandedString" => Some(Validator::String),
        _ => None,
    }
}

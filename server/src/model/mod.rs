//! The model of one file: what it imports and exports, the values of its top-level bindings, the
//! Convex functions it defines and the helpers that receive `ctx`. Pure data, built from the
//! syntax tree alone, so it can be cached by content; the project layer links files together.

pub mod body;
pub mod symbol;
pub mod validator;
pub mod value;

use std::collections::HashMap;

use swc_ecma_ast::{
    Callee, Decl, DefaultDecl, ExportSpecifier, Expr, ImportSpecifier, ModuleDecl, ModuleExportName, ModuleItem, Pat, Prop, PropOrSpread,
    Stmt,
};

use crate::line_index::{LineIndex, TextRange};
use crate::model::body::{analyse_function, Body, BodyInput, FnBody};
use crate::model::validator::Validator;
use crate::model::value::{eval, to_validator, Names, ObjEntry, Value};
use crate::syntax::{self, prop_name, range, unwrap_ts, Comment, ParseError};

/// What an import binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportName {
    Named(String),
    Default,
    Namespace,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub module: String,
    pub name: ImportName,
}

/// One export of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Export {
    /// `export const name = ...`, `export { local as name }`, `export default local`.
    Local { name: String, local: String },
    /// `export { name as alias } from "module"`.
    From { name: String, module: String, imported: String },
    /// `export * from "module"`.
    All { module: String },
}

/// A top-level binding's value.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub value: Value,
    pub range: TextRange,
}

/// A validator written as code (`v.number()`, `v.union(v.literal("a"), v.literal("b"))`), read
/// as the schema's are; `None` when it does not parse or is not fully a validator.
pub fn validator_from_code(code: &str) -> Option<Validator> {
    let text = format!("import {{ v }} from \"convex/values\";\nconst __validator = ({code});\n");
    let model = FileModel::build("validator.ts", &text);
    if !model.errors.is_empty() {
        return None;
    }
    let validator = to_validator(model.bindings.get("__validator")?.value.clone());
    (!validator.has_unknown() && !matches!(validator, Validator::Ref(_))).then_some(validator)
}

/// A call at the top level that may define a Convex function: `mutation({...})`,
/// `migrations.define({...})`, `myCustomMutation({...})`. Whether it does is decided when the
/// project resolves `builder`.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    /// The local binding (`"default"` for `export default`).
    pub local: String,
    pub name_range: TextRange,
    pub builder: Value,
    /// `args: {...}` validators by name.
    pub args: HashMap<String, Validator>,
    /// Whether `args` is known whole: absent, or an object literal of plain entries.
    pub args_known: bool,
    /// `table: "users"` of a migration definition.
    pub table: Option<String>,
    pub body: Body,
    pub range: TextRange,
    /// The whole declaration (`export const x = mutation({...});`).
    pub statement: TextRange,
}

/// A function of the file (not a Convex function) that receives `ctx`.
#[derive(Debug, Clone, PartialEq)]
pub struct Helper {
    pub body: Body,
}

/// The model of one file.
#[derive(Debug, Clone, Default)]
pub struct FileModel {
    pub imports: HashMap<String, Import>,
    pub exports: Vec<Export>,
    pub bindings: HashMap<String, Binding>,
    pub functions: Vec<FunctionDef>,
    pub helpers: HashMap<String, Helper>,
    pub errors: Vec<ParseError>,
    pub comments: Vec<Comment>,
    pub line_index: LineIndex,
    /// Whether the file parsed at all.
    pub parsed: bool,
    /// The local name of `v` from `convex/values`, when the file imports it.
    pub v_name: Option<String>,
    /// Names imported only as types (`import type { A }`, `import { type A }`), with the module.
    pub type_imports: Vec<(String, String)>,
    /// Every top-level `app.use(component, { name })` (what `convex.config.ts` installs).
    pub component_uses: Vec<ComponentUse>,
    /// The offset just after the last top-level import declaration (0 when there is none).
    pub imports_end: u32,
    /// For each `import { a, b } from "m"`: the module and the offset just after its last named
    /// specifier (where `, c` can be added).
    pub named_import_ends: Vec<(String, u32)>,
    /// Every import declaration: its range and its specifiers' local names and ranges (for
    /// removing imports a removal left unused).
    pub import_decls: Vec<ImportDecl>,
}

/// `app.use(component)` or `app.use(component, { name: "…" })`, at the top level of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentUse {
    /// The module the component was imported from (`@convex-dev/migrations/convex.config`);
    /// `None` when the argument is not an imported name.
    pub module: Option<String>,
    /// The `name` option: what `components.<name>` the app sees; `None` for the default.
    pub name: Option<String>,
}

/// One import declaration, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportDecl {
    pub range: TextRange,
    pub specifiers: Vec<(String, TextRange)>,
}

impl Default for LineIndex {
    fn default() -> Self {
        LineIndex::new("")
    }
}

impl FileModel {
    /// Parses and models one file.
    pub fn build(path: &str, text: &str) -> FileModel {
        let parsed = syntax::parse(path, text);
        let mut model = FileModel {
            errors: parsed.errors,
            comments: parsed.comments,
            line_index: parsed.line_index,
            parsed: parsed.module.is_some(),
            ..FileModel::default()
        };
        if let Some(module) = &parsed.module {
            model.read_imports(&module.body);
            let names = model.names();
            for item in &module.body {
                model.read_item(item, &names);
            }
            model.v_name = model.imports.iter().find_map(|(local, import)| {
                (import.module == "convex/values" && import.name == ImportName::Named("v".into())).then(|| local.clone())
            });
        }
        model.shrink();
        model
    }

    /// Gives back what the collections grew beyond their contents while the file was read: the
    /// model lives as long as the project (a file's model is ~14 KiB on a 20,000-file project, a
    /// fifth of it spare capacity).
    fn shrink(&mut self) {
        self.imports.shrink_to_fit();
        self.exports.shrink_to_fit();
        self.bindings.shrink_to_fit();
        self.helpers.shrink_to_fit();
        for helper in self.helpers.values_mut() {
            helper.body.shrink();
        }
        self.functions.shrink_to_fit();
        for function in &mut self.functions {
            function.args.shrink_to_fit();
            function.body.shrink();
        }
        self.import_decls.shrink_to_fit();
        self.named_import_ends.shrink_to_fit();
        self.type_imports.shrink_to_fit();
        self.comments.shrink_to_fit();
    }

    /// What the file exports under `name`, as a local binding name.
    pub fn export_local(&self, name: &str) -> Option<&str> {
        self.exports.iter().find_map(|e| match e {
            Export::Local { name: n, local } if n == name => Some(local.as_str()),
            _ => None,
        })
    }

    fn read_imports(&mut self, items: &[ModuleItem]) {
        for item in items {
            let ModuleItem::ModuleDecl(ModuleDecl::Import(import)) = item else { continue };
            self.imports_end = self.imports_end.max(range(import.span).end);
            let module = import.src.value.to_atom_lossy().to_string();
            if import.type_only {
                for spec in &import.specifiers {
                    if let ImportSpecifier::Named(n) = spec {
                        self.type_imports.push((n.local.sym.to_string(), module.clone()));
                    }
                }
                continue;
            }
            if let Some(ImportSpecifier::Named(last)) = import.specifiers.last() {
                self.named_import_ends.push((module.clone(), range(last.span).end));
            }
            self.import_decls.push(ImportDecl {
                range: range(import.span),
                specifiers: import
                    .specifiers
                    .iter()
                    .map(|spec| match spec {
                        ImportSpecifier::Named(n) => (n.local.sym.to_string(), range(n.span)),
                        ImportSpecifier::Default(d) => (d.local.sym.to_string(), range(d.span)),
                        ImportSpecifier::Namespace(n) => (n.local.sym.to_string(), range(n.span)),
                    })
                    .collect(),
            });
            for spec in &import.specifiers {
                let (local, name) = match spec {
                    ImportSpecifier::Named(n) => {
                        if n.is_type_only {
                            self.type_imports.push((n.local.sym.to_string(), module.clone()));
                            continue;
                        }
                        let imported = n.imported.as_ref().map(export_name).unwrap_or_else(|| n.local.sym.to_string());
                        (n.local.sym.to_string(), ImportName::Named(imported))
                    }
                    ImportSpecifier::Default(d) => (d.local.sym.to_string(), ImportName::Default),
                    ImportSpecifier::Namespace(n) => (n.local.sym.to_string(), ImportName::Namespace),
                };
                self.imports.insert(local, Import { module: module.clone(), name });
            }
        }
    }

    /// The local names of Convex's schema builders in this file.
    fn names(&self) -> Names {
        let mut names = Names { v: vec!["v".into()], ..Names::default() };
        for (local, import) in &self.imports {
            let ImportName::Named(imported) = &import.name else { continue };
            match imported.as_str() {
                "v" => names.v.push(local.clone()),
                "defineTable" => names.define_table.push(local.clone()),
                "defineSchema" => names.define_schema.push(local.clone()),
                _ if import.module.starts_with("convex-helpers") => names.helpers.push((local.clone(), imported.clone())),
                _ if import.module == "convex-ents" || import.module.starts_with("convex-ents/") => {
                    names.ents.push((local.clone(), imported.clone()))
                }
                _ => {}
            }
        }
        if !self.imports.contains_key("defineTable") {
            names.define_table.push("defineTable".into());
        }
        if !self.imports.contains_key("defineSchema") {
            names.define_schema.push("defineSchema".into());
        }
        names
    }

    fn read_item(&mut self, item: &ModuleItem, names: &Names) {
        match item {
            ModuleItem::Stmt(Stmt::Decl(decl)) => self.read_decl(decl, names, false, range(swc_common::Spanned::span(decl))),
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(export)) => {
                self.read_decl(&export.decl, names, true, range(export.span));
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(named)) => {
                let from = named.src.as_ref().map(|s| s.value.to_atom_lossy().to_string());
                for spec in &named.specifiers {
                    match spec {
                        ExportSpecifier::Named(n) => {
                            let orig = export_name(&n.orig);
                            let name = n.exported.as_ref().map(export_name).unwrap_or_else(|| orig.clone());
                            self.exports.push(match &from {
                                Some(module) => Export::From { name, module: module.clone(), imported: orig },
                                None => Export::Local { name, local: orig },
                            });
                        }
                        ExportSpecifier::Namespace(n) => {
                            if let Some(module) = &from {
                                // `export * as ns from "m"`: a namespace, resolved as an import.
                                let name = export_name(&n.name);
                                self.imports.insert(name.clone(), Import { module: module.clone(), name: ImportName::Namespace });
                                self.exports.push(Export::Local { name: name.clone(), local: name });
                            }
                        }
                        ExportSpecifier::Default(d) => {
                            if let Some(module) = &from {
                                self.exports.push(Export::From {
                                    name: d.exported.sym.to_string(),
                                    module: module.clone(),
                                    imported: "default".into(),
                                });
                            }
                        }
                    }
                }
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportAll(all)) => {
                self.exports.push(Export::All { module: all.src.value.to_atom_lossy().to_string() });
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(export)) => {
                let local = match unwrap_ts(&export.expr) {
                    Expr::Ident(i) => i.sym.to_string(),
                    _ => {
                        self.read_binding("default", &export.expr, range(export.span), range(export.span), names);
                        "default".into()
                    }
                };
                self.exports.push(Export::Local { name: "default".into(), local });
            }
            ModuleItem::Stmt(Stmt::Expr(statement)) => {
                if let Some(used) = self.component_use(&statement.expr) {
                    self.component_uses.push(used);
                }
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultDecl(export)) => {
                if let DefaultDecl::Fn(f) = &export.decl {
                    let body = analyse_function(
                        &f.function.params.iter().map(|p| &p.pat).collect::<Vec<_>>(),
                        FnBody::of_function(&f.function),
                        &BodyInput { args: &HashMap::new(), migrate_one_table: None },
                        true,
                    );
                    self.add_helper("default", body);
                    self.exports.push(Export::Local { name: "default".into(), local: "default".into() });
                }
            }
            _ => {}
        }
    }

    /// `app.use(x)` / `app.use(x, { name: "n" })` as `convex.config.ts` writes it.
    fn component_use(&self, expr: &Expr) -> Option<ComponentUse> {
        let Expr::Call(call) = unwrap_ts(expr) else { return None };
        let Callee::Expr(callee) = &call.callee else { return None };
        let Expr::Member(member) = unwrap_ts(callee) else { return None };
        if member.prop.as_ident().is_none_or(|p| p.sym != *"use") {
            return None;
        }
        let component = call.args.first().filter(|a| a.spread.is_none())?;
        let module = match unwrap_ts(&component.expr) {
            Expr::Ident(id) => self.imports.get(id.sym.as_str()).map(|i| i.module.clone()),
            _ => None,
        };
        let name = call.args.get(1).and_then(|options| match unwrap_ts(&options.expr) {
            Expr::Object(object) => object.props.iter().find_map(|prop| match prop {
                PropOrSpread::Prop(prop) => match &**prop {
                    Prop::KeyValue(kv) if prop_name(&kv.key).as_deref() == Some("name") => match unwrap_ts(&kv.value) {
                        Expr::Lit(swc_ecma_ast::Lit::Str(s)) => Some(s.value.to_atom_lossy().to_string()),
                        _ => None,
                    },
                    _ => None,
                },
                PropOrSpread::Spread(_) => None,
            }),
            _ => None,
        });
        Some(ComponentUse { module, name })
    }

    fn read_decl(&mut self, decl: &Decl, names: &Names, exported: bool, statement: TextRange) {
        match decl {
            Decl::Var(var) => {
                for d in &var.decls {
                    let Pat::Ident(id) = &d.name else { continue };
                    let name = id.id.sym.to_string();
                    if exported {
                        self.exports.push(Export::Local { name: name.clone(), local: name.clone() });
                    }
                    if let Some(init) = &d.init {
                        // The whole statement when it declares one binding (what removing it deletes).
                        let statement = if var.decls.len() == 1 { statement } else { range(d.span) };
                        self.read_binding(&name, init, range(id.id.span), statement, names);
                    }
                }
            }
            Decl::Fn(f) => {
                let name = f.ident.sym.to_string();
                if exported {
                    self.exports.push(Export::Local { name: name.clone(), local: name.clone() });
                }
                let body = analyse_function(
                    &f.function.params.iter().map(|p| &p.pat).collect::<Vec<_>>(),
                    FnBody::of_function(&f.function),
                    &BodyInput { args: &HashMap::new(), migrate_one_table: None },
                    true,
                );
                self.add_helper(&name, body);
            }
            _ => {}
        }
    }

    fn add_helper(&mut self, name: &str, body: Body) {
        if !body.reads.is_empty() || !body.writes.is_empty() || !body.calls.is_empty() {
            self.helpers.insert(name.to_string(), Helper { body });
        }
    }

    /// A top-level `const name = init`: its value, and a function definition or helper if it is one.
    fn read_binding(&mut self, name: &str, init: &Expr, name_range: TextRange, statement: TextRange, names: &Names) {
        match unwrap_ts(init) {
            Expr::Call(call) => {
                if let Callee::Expr(callee) = &call.callee {
                    let objects: Vec<&Expr> = call.args.iter().map(|a| &*a.expr).collect();
                    let config = objects.iter().rposition(|e| matches!(unwrap_ts(e), Expr::Object(_) | Expr::Arrow(_) | Expr::Fn(_)));
                    if let Some(config_at) = config {
                        let builder = eval(callee, names);
                        if let Some(mut def) = function_def(name, name_range, builder, objects[config_at], range(call.span), names) {
                            def.statement = statement;
                            self.functions.push(def);
                        }
                    }
                }
            }
            Expr::Arrow(arrow) => {
                let body = analyse_function(
                    &arrow.params.iter().collect::<Vec<_>>(),
                    FnBody::of_arrow(arrow),
                    &BodyInput { args: &HashMap::new(), migrate_one_table: None },
                    true,
                );
                self.add_helper(name, body);
                return;
            }
            Expr::Fn(f) => {
                let body = analyse_function(
                    &f.function.params.iter().map(|p| &p.pat).collect::<Vec<_>>(),
                    FnBody::of_function(&f.function),
                    &BodyInput { args: &HashMap::new(), migrate_one_table: None },
                    true,
                );
                self.add_helper(name, body);
                return;
            }
            _ => {}
        }
        self.bindings.insert(name.to_string(), Binding { value: eval(init, names), range: name_range });
    }
}

fn export_name(name: &ModuleExportName) -> String {
    match name {
        ModuleExportName::Ident(i) => i.sym.to_string(),
        ModuleExportName::Str(s) => s.value.to_atom_lossy().to_string(),
    }
}

/// A builder call's config: `{ args, handler }`, `{ table, migrateOne }`, or the handler itself.
fn function_def(
    local: &str,
    name_range: TextRange,
    builder: Value,
    config: &Expr,
    call_range: TextRange,
    names: &Names,
) -> Option<FunctionDef> {
    let mut args = HashMap::new();
    let mut args_known = true;
    let mut table = None;
    let mut handler: Option<&Expr> = None;
    let mut method: Option<&swc_ecma_ast::Function> = None;
    match unwrap_ts(config) {
        Expr::Object(object) => {
            for prop in &object.props {
                let PropOrSpread::Prop(prop) = prop else { continue };
                match &**prop {
                    Prop::KeyValue(kv) => match prop_name(&kv.key).as_deref() {
                        Some("args") => {
                            if let Value::Object(entries) = eval(&kv.value, names) {
                                for entry in entries {
                                    if let ObjEntry::Prop { key, value, .. } = entry {
                                        args.insert(key, to_validator(value));
                                    } else {
                                        args_known = false;
                                    }
                                }
                            } else {
                                args_known = false;
                            }
                        }
                        Some("table") => {
                            if let Value::Str(t) = eval(&kv.value, names) {
                                table = Some(t);
                            }
                        }
                        Some("handler" | "migrateOne") => handler = Some(&kv.value),
                        _ => {}
                    },
                    Prop::Method(m) => {
                        if matches!(prop_name(&m.key).as_deref(), Some("handler" | "migrateOne")) {
                            method = Some(&m.function);
                        }
                    }
                    _ => {}
                }
            }
        }
        other @ (Expr::Arrow(_) | Expr::Fn(_)) => handler = Some(other),
        _ => return None,
    }
    let input = BodyInput { args: &args, migrate_one_table: table.as_deref() };
    let body = if let Some(function) = method {
        analyse_function(&function.params.iter().map(|p| &p.pat).collect::<Vec<_>>(), FnBody::of_function(function), &input, false)
    } else {
        match handler.map(unwrap_ts) {
            Some(Expr::Arrow(arrow)) => analyse_function(&arrow.params.iter().collect::<Vec<_>>(), FnBody::of_arrow(arrow), &input, false),
            Some(Expr::Fn(f)) => analyse_function(
                &f.function.params.iter().map(|p| &p.pat).collect::<Vec<_>>(),
                FnBody::of_function(&f.function),
                &input,
                false,
            ),
            _ => Body::default(),
        }
    };
    Some(FunctionDef {
        local: local.to_string(),
        name_range,
        builder,
        args,
        args_known,
        table,
        body,
        range: call_range,
        statement: call_range,
    })
}

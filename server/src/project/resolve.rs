//! Linking: resolves references across the files of a project (imports, re-exports, consts,
//! spreads) into the schema and the functions.

use std::collections::HashSet;

use crate::line_index::TextRange;
use crate::model::body::{ArgInfo, Body, Origin, TableRef};
use crate::model::validator::{Entry, Field, Validator};
use crate::model::value::{ObjEntry, SymRef, Value};
use crate::model::{Export, FileModel, Helper, ImportName};
use crate::project::{Effects, FileId, Function, FunctionKind, Loc, Located, Project, Schema, Table, TableField, Unresolved};

/// How far references are followed (consts of consts, re-exports of re-exports).
const MAX_DEPTH: u32 = 24;
/// How deep calls into helpers are followed.
const MAX_CALL_DEPTH: u32 = 4;
/// How many references, fields and validators one resolution (the schema, or one file's
/// functions) may expand. Depth alone does not bound the work: `const f1 = { ...f0, ...f0 }`,
/// `f2 = { ...f1, ...f1 }`, … doubles it at each line. Beyond it, what is left is unknown.
const MAX_WORK: u32 = 200_000;

pub(crate) struct Linker<'p> {
    project: &'p Project,
    /// Folders (relative to the functions folder) holding their own `convex.config.ts`.
    component_dirs: HashSet<String>,
    /// The files whose models were read since [`Linker::record`] started (dependencies).
    touched: std::cell::RefCell<Vec<FileId>>,
    /// Work left for the current resolution ([`MAX_WORK`] at each [`Linker::record`]).
    work: std::cell::Cell<u32>,
}

/// What [`Linker::flatten`] finds in an object's entries.
enum Flat {
    Field(Field),
    /// A spread it could not resolve, where it is written.
    Unresolved(TextRange),
}

/// What an import names.
enum Imported<'p> {
    Export(FileId, &'p str),
    Module(FileId),
}

/// What a reference resolves to.
enum Resolved<'p> {
    Value(FileId, &'p Value),
    Owned(FileId, Value),
    Module(FileId),
}

impl<'p> Linker<'p> {
    pub fn new(project: &'p Project) -> Linker<'p> {
        let component_dirs = project
            .files
            .iter()
            .filter_map(|f| project.layout.module_path(&f.path))
            .filter_map(|m| m.strip_suffix("/convex.config.ts").or_else(|| m.strip_suffix("/convex.config.js")))
            .map(str::to_string)
            .collect();
        Linker { project, component_dirs, touched: std::cell::RefCell::new(Vec::new()), work: std::cell::Cell::new(MAX_WORK) }
    }

    fn model(&self, file: FileId) -> &'p FileModel {
        let mut touched = self.touched.borrow_mut();
        if !touched.contains(&file) {
            touched.push(file);
        }
        &self.project.file(file).model
    }

    /// Runs `f` and returns what it produced with the files it read.
    pub fn record<T>(&self, f: impl FnOnce() -> T) -> (T, Vec<FileId>) {
        self.touched.borrow_mut().clear();
        self.work.set(MAX_WORK);
        let out = f();
        let mut deps = std::mem::take(&mut *self.touched.borrow_mut());
        deps.sort();
        (out, deps)
    }

    /// Spends one unit of work; `false` when none is left.
    fn spend(&self) -> bool {
        let left = self.work.get();
        self.work.set(left.saturating_sub(1));
        left > 0
    }

    /// Resolves an import specifier of `from` to a file of the project (relative specifiers only).
    fn resolve_module(&self, from: FileId, spec: &str) -> Option<FileId> {
        use crate::project::modules::{join_relative, with_extensions};
        let bases = if spec.starts_with("./") || spec.starts_with("../") {
            vec![join_relative(self.project.path(from), spec)]
        } else {
            self.project.layout.modules.candidates(spec)
        };
        bases.iter().flat_map(|base| with_extensions(base)).find_map(|candidate| self.project.file_id(&candidate))
    }

    /// What the local name `name` of `file` imports: an export of another project file, or a
    /// whole module (`import * as ns`). `None` when it is not an import of a project file.
    fn follow_import(&self, file: FileId, name: &str) -> Option<Imported<'p>> {
        let import = self.model(file).imports.get(name)?;
        let target = self.resolve_module(file, &import.module)?;
        Some(match &import.name {
            ImportName::Named(n) => Imported::Export(target, n),
            ImportName::Default => Imported::Export(target, "default"),
            ImportName::Namespace => Imported::Module(target),
        })
    }

    fn resolve_ref(&self, file: FileId, r: &SymRef, depth: u32) -> Option<Resolved<'p>> {
        if depth > MAX_DEPTH || !self.spend() {
            return None;
        }
        match r {
            SymRef::Local(name) => {
                let model = self.model(file);
                if let Some(binding) = model.bindings.get(name) {
                    return Some(Resolved::Value(file, &binding.value));
                }
                match self.follow_import(file, name)? {
                    Imported::Export(target, export) => self.resolve_export(target, export, depth + 1),
                    Imported::Module(target) => Some(Resolved::Module(target)),
                }
            }
            SymRef::Member(base, name) => match self.resolve_ref(file, base, depth + 1)? {
                Resolved::Module(target) => self.resolve_export(target, name, depth + 1),
                Resolved::Value(f, value) => self.member(f, value, name, depth),
                Resolved::Owned(f, value) => self.member(f, &value, name, depth),
            },
        }
    }

    /// `value.name`: a property of an object, or `.fields` of an object validator.
    fn member(&self, file: FileId, value: &Value, name: &str, depth: u32) -> Option<Resolved<'p>> {
        let (file, value) = self.deref(file, value, depth + 1);
        match (&value, name) {
            (Value::Object(entries), _) => entries.iter().rev().find_map(|e| match e {
                ObjEntry::Prop { key, value, .. } if key == name => Some(Resolved::Owned(file, value.clone())),
                _ => None,
            }),
            (Value::Validator(v @ Validator::Object(_)), "fields") => Some(Resolved::Owned(file, Value::Validator(v.clone()))),
            // `defineSchema({ ...entSchema.tables })`: a schema's tables (convex-ents, Convex).
            (Value::Schema(def), "tables") => Some(Resolved::Owned(file, def.tables.clone())),
            _ => None,
        }
    }

    fn resolve_export(&self, file: FileId, name: &str, depth: u32) -> Option<Resolved<'p>> {
        self.via_export(file, name, depth, &|file, local, depth| self.resolve_ref(file, &SymRef::Local(local.to_string()), depth))
    }

    /// Follows the export `name` of `file` (through `export { a as b }`, `export { x } from` and
    /// `export *`) to the file and local name that define it, and answers with `local` there.
    fn via_export<T>(&self, file: FileId, name: &str, depth: u32, local: &dyn Fn(FileId, &str, u32) -> Option<T>) -> Option<T> {
        if depth > MAX_DEPTH {
            return None;
        }
        let model = self.model(file);
        for export in &model.exports {
            match export {
                Export::Local { name: n, local: l } if n == name => return local(file, l, depth + 1),
                Export::From { name: n, module, imported } if n == name => {
                    let target = self.resolve_module(file, module)?;
                    return self.via_export(target, imported, depth + 1, local);
                }
                _ => {}
            }
        }
        model.exports.iter().find_map(|e| match e {
            Export::All { module } => self.via_export(self.resolve_module(file, module)?, name, depth + 1, local),
            _ => None,
        })
    }

    /// Follows references until a value that is not one; an index added to a table held
    /// elsewhere (`users.index(...)`, `Users.table.index(...)`) is that table with the index.
    fn deref(&self, file: FileId, value: &Value, depth: u32) -> (FileId, Value) {
        let mut current = (file, value.clone());
        for _ in depth..MAX_DEPTH {
            if let Value::Call { callee, args } = &current.1 {
                if let Value::Ref(SymRef::Member(base, method)) = &**callee {
                    if matches!(method.as_str(), "index" | "searchIndex" | "vectorIndex" | "staged") {
                        let (f, target) = self.deref(current.0, &Value::Ref((**base).clone()), depth + 1);
                        if let Value::Table(mut def) = target {
                            // `index`'s arguments, in (name, fields) pairs when indexes were chained.
                            for pair in args.chunks(2).filter(|_| method == "index") {
                                if let [Value::Str(name), Value::Array(fields)] = pair {
                                    let fields =
                                        fields.iter().filter_map(|f| if let Value::Str(s) = f { Some(s.clone()) } else { None }).collect();
                                    def.indexes.push(crate::model::value::IndexDef { name: name.clone(), fields });
                                }
                            }
                            current = (f, Value::Table(def));
                        }
                    }
                }
                break;
            }
            let Value::Ref(r) = &current.1 else { break };
            current = match self.resolve_ref(current.0, r, depth + 1) {
                Some(Resolved::Value(f, v)) => (f, v.clone()),
                Some(Resolved::Owned(f, v)) => (f, v),
                _ => return (current.0, Value::Unknown),
            };
        }
        match current.1 {
            Value::Ref(_) => (current.0, Value::Unknown),
            _ => current,
        }
    }

    /// Resolves every reference inside a validator; unresolvable parts become `Unknown`.
    fn validator(&self, file: FileId, v: &Validator, depth: u32) -> Validator {
        if depth > MAX_DEPTH || !self.spend() {
            return Validator::Unknown;
        }
        let d = depth + 1;
        match v {
            Validator::Ref(r) => match self.resolve_ref(file, r, d) {
                Some(Resolved::Value(f, value)) => self.value_validator(f, value, d),
                Some(Resolved::Owned(f, value)) => self.value_validator(f, &value, d),
                _ => Validator::Unknown,
            },
            Validator::Array(inner) => Validator::Array(Box::new(self.validator(file, inner, d))),
            Validator::Optional(inner) => match self.validator(file, inner, d) {
                opt @ Validator::Optional(_) => opt,
                inner => Validator::Optional(Box::new(inner)),
            },
            Validator::Record(k, val) => Validator::Record(Box::new(self.validator(file, k, d)), Box::new(self.validator(file, val, d))),
            Validator::Union(members) => Validator::Union(members.iter().map(|m| self.validator(file, m, d)).collect()),
            Validator::Object(entries) => {
                let mut out: Vec<Entry> = Vec::new();
                let mut open = false;
                self.flatten(file, entries, d, &mut |_, flat| match flat {
                    // Later keys win, as in JavaScript: `{ ...base, x: v.optional(...) }`.
                    Flat::Field(field) => {
                        out.retain(|e| !matches!(e, Entry::Field(f) if f.name == field.name));
                        out.push(Entry::Field(field));
                    }
                    Flat::Unresolved(_) => open = true,
                });
                if open {
                    out.push(Entry::Spread(Validator::Unknown, TextRange::default()));
                }
                Validator::Object(out)
            }
            other => other.clone(),
        }
    }

    fn value_validator(&self, file: FileId, value: &Value, depth: u32) -> Validator {
        match value {
            Value::Validator(v) => self.validator(file, v, depth + 1),
            Value::Ref(r) => self.validator(file, &Validator::Ref(r.clone()), depth + 1),
            _ => Validator::Unknown,
        }
    }

    /// Calls `out` for every field of an object's entries, in source order (spreads resolved,
    /// possibly from other files), and for every spread that could not be resolved (the object
    /// is then open).
    fn flatten(&self, file: FileId, entries: &[Entry], depth: u32, out: &mut dyn FnMut(FileId, Flat)) {
        if depth > MAX_DEPTH {
            return out(file, Flat::Unresolved(TextRange::default()));
        }
        for entry in entries {
            if !self.spend() {
                return out(file, Flat::Unresolved(TextRange::default()));
            }
            match entry {
                Entry::Field(f) => out(file, Flat::Field(Field { validator: self.validator(file, &f.validator, depth + 1), ..f.clone() })),
                Entry::Spread(Validator::Ref(r), at) => {
                    let resolved = match self.resolve_ref(file, r, depth + 1) {
                        Some(Resolved::Value(f, v)) => Some((f, v.clone())),
                        Some(Resolved::Owned(f, v)) => Some((f, v)),
                        _ => None,
                    };
                    match resolved.map(|(f, v)| self.deref(f, &v, depth + 1)) {
                        Some((f, Value::Object(obj))) => {
                            let inner = crate::model::value::object_entries(obj);
                            self.flatten(f, &inner, depth + 1, out);
                        }
                        Some((f, Value::Validator(Validator::Object(inner)))) => self.flatten(f, &inner, depth + 1, out),
                        _ => out(file, Flat::Unresolved(*at)),
                    }
                }
                Entry::Spread(Validator::Object(inner), _) => self.flatten(file, inner, depth + 1, out),
                Entry::Spread(_, at) => out(file, Flat::Unresolved(*at)),
            }
        }
    }

    /// The source text at `range` of `file`, on one line and cut short, to name a construct.
    fn snippet(&self, file: FileId, range: TextRange) -> String {
        let text = self.project.file(file).text.get(range.as_usize_range()).unwrap_or("");
        let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        match one_line.char_indices().nth(60) {
            Some((cut, _)) => format!("{}…", &one_line[..cut]),
            None => one_line,
        }
    }

    /// Notes a part of the schema that could not be resolved.
    fn unresolved(&self, schema: &mut Schema, file: FileId, range: TextRange, what: String) {
        schema.open = true;
        schema.unresolved.push(Unresolved { loc: Loc { file, range }, what });
    }

    /// The schema: `export default defineSchema({...})` in the functions folder's `schema.ts`.
    /// `Err` when there is such a file but no schema the tool understands in it: what it found.
    pub fn schema(&self) -> Result<Option<Schema>, Unresolved> {
        let Some(file) = self.project.layout.schema_paths().iter().find_map(|p| self.project.file_id(p)) else { return Ok(None) };
        let not_understood = |loc: Loc, what: String| Unresolved { loc, what };
        let whole = Loc { file, range: TextRange::empty(0) };
        let model = &self.project.file(file).model;
        if !model.parsed {
            return Err(not_understood(whole, "the schema file does not parse".into()));
        }
        let Some(default) = self.resolve_export(file, "default", 0) else {
            return Err(not_understood(whole, "the schema file has no `export default` the tool can follow".into()));
        };
        let (file, value) = match default {
            Resolved::Value(f, v) => self.deref(f, v, 0),
            Resolved::Owned(f, v) => self.deref(f, &v, 0),
            Resolved::Module(_) => return Err(not_understood(whole, "its default export is a module".into())),
        };
        let Value::Schema(def) = value else {
            let what = match &value {
                Value::Call { callee, .. } => match &**callee {
                    Value::Ref(r) => format!("its default export is `{r}(...)`, not `defineSchema(...)`"),
                    _ => "its default export is a call the tool cannot follow, not `defineSchema(...)`".into(),
                },
                _ => "its default export is not `defineSchema(...)`".into(),
            };
            let export = model.bindings.get("default").map(|b| b.range).unwrap_or_default();
            return Err(not_understood(Loc { file, range: export }, what));
        };
        let mut schema = Schema {
            loc: Loc { file, range: def.range },
            tables: Vec::new(),
            validation: def.schema_validation.unwrap_or(true),
            open: false,
            unresolved: Vec::new(),
            by_name: Default::default(),
        };
        self.tables(file, &def.tables, def.range, 0, &mut schema);
        schema.index();
        Ok(Some(schema))
    }

    /// The tables of `tables` (an object of tables, or a reference to one; `at` is where it is
    /// written, for what cannot be resolved).
    fn tables(&self, at_file: FileId, tables: &Value, at: TextRange, depth: u32, schema: &mut Schema) {
        if depth > MAX_DEPTH {
            return self.unresolved(schema, at_file, at, format!("`{}` (nested too deeply)", self.snippet(at_file, at)));
        }
        let (file, tables) = self.deref(at_file, tables, depth + 1);
        let Value::Object(entries) = tables else {
            let what =
                format!("the tables `{}` (from a package, or built by a function the tool cannot follow)", self.snippet(at_file, at));
            return self.unresolved(schema, at_file, at, what);
        };
        for entry in &entries {
            match entry {
                ObjEntry::Prop { key, value, key_range, value_range } => {
                    let loc = Loc { file, range: *key_range };
                    match self
                        .table(file, key, value, loc, depth + 1, schema)
                        .map(|t| Table { entry_value: Loc { file, range: *value_range }, ..t })
                    {
                        Some(table) => {
                            schema.tables.retain(|t| t.name != table.name);
                            schema.tables.push(table);
                        }
                        None => {
                            let what = format!("the table `{key}`: `{}` is not `defineTable(...)`", self.snippet(file, *value_range));
                            self.unresolved(schema, file, *key_range, what);
                        }
                    }
                }
                ObjEntry::Spread(value, range) => self.tables(file, value, *range, depth + 1, schema),
            }
        }
    }

    fn table(&self, file: FileId, name: &str, value: &Value, loc: Loc, depth: u32, schema: &mut Schema) -> Option<Table> {
        let (file, value) = self.deref(file, value, depth + 1);
        let Value::Table(def) = value else { return None };
        let (shape_file, shape) = self.deref(file, &def.shape, depth + 1);
        let entries = match shape {
            Value::Object(obj) => Some(crate::model::value::object_entries(obj)),
            Value::Validator(Validator::Object(entries)) => Some(entries),
            _ => None,
        };
        let mut table = Table {
            name: name.to_string(),
            loc,
            entry_value: loc,
            validator: Validator::Unknown,
            fields: Vec::new(),
            is_object: entries.is_some(),
            open: false,
            indexes: def.indexes.clone(),
            edges: def.edges.clone(),
        };
        match entries {
            Some(entries) => {
                let mut fields = Vec::new();
                let mut spreads = Vec::new();
                self.flatten(shape_file, &entries, depth + 1, &mut |f, flat| match flat {
                    Flat::Field(field) => fields.push((f, field)),
                    Flat::Unresolved(range) => spreads.push((f, range)),
                });
                let open = !spreads.is_empty();
                for (f, range) in spreads {
                    let what = format!("the fields `{}` of the table `{name}`", self.snippet(f, range));
                    self.unresolved(schema, f, range, what);
                }
                for (f, field) in fields {
                    table.fields.retain(|existing| existing.name != field.name);
                    table.fields.push(TableField {
                        name: field.name,
                        validator: field.validator,
                        loc: Loc { file: f, range: field.name_range },
                        value: Loc { file: f, range: field.value_range },
                    });
                }
                table.open = open;
                let mut entries: Vec<Entry> = table
                    .fields
                    .iter()
                    .map(|f| {
                        Entry::Field(Field {
                            name: f.name.clone(),
                            validator: f.validator.clone(),
                            name_range: f.loc.range,
                            value_range: f.loc.range,
                        })
                    })
                    .collect();
                if open {
                    entries.push(Entry::Spread(Validator::Unknown, TextRange::default()));
                }
                table.validator = Validator::Object(entries);
                for field in table.fields.iter().filter(|f| f.validator.has_unknown()) {
                    let what = format!("the validator of `{name}.{}`: `{}`", field.name, self.snippet(field.value.file, field.value.range));
                    self.unresolved(schema, field.value.file, field.value.range, what);
                }
            }
            None => {
                let validator = match self.deref(file, &def.shape, depth + 1) {
                    (f, Value::Validator(v)) => self.validator(f, &v, depth + 1),
                    _ => Validator::Unknown,
                };
                table.open = validator.has_unknown();
                if table.open {
                    let what = format!("the document validator of the table `{name}`: `{}`", self.snippet(file, def.range));
                    self.unresolved(schema, file, def.range, what);
                }
                table.validator = validator;
            }
        }
        Some(table)
    }

    /// The Convex functions a file exports, when it is a deployed module.
    pub fn file_functions(&self, file: FileId) -> Vec<Function> {
        let layout = &self.project.layout;
        let source = self.project.file(file);
        if !layout.is_function_module(&source.path, &|dir| self.component_dirs.contains(dir)) {
            return Vec::new();
        }
        let mut functions = Vec::new();
        for export in &source.model.exports {
            let Export::Local { name, local } = export else { continue };
            let Some(def) = source.model.functions.iter().find(|d| &d.local == local) else { continue };
            let Some((kind, internal)) = self.builder_kind(file, &def.builder, 0) else { continue };
            let effects = self.effects(file, &def.body, 0, &mut Vec::new());
            functions.push(Function {
                file,
                name: name.clone(),
                kind,
                internal,
                reference: layout.function_reference(&source.path, name),
                loc: Loc { file, range: def.name_range },
                statement: Loc { file, range: def.statement },
                migration_table: def.table.clone(),
                args: def.args_known.then(|| {
                    let mut args: Vec<_> = def.args.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                    args.sort_by(|a, b| a.0.cmp(&b.0));
                    args
                }),
                reads: effects.reads,
                writes: effects.writes,
                mentions: effects.mentions,
                tests: def
                    .body
                    .tests
                    .iter()
                    .filter_map(|(t, f)| match t {
                        TableRef::Name(t) => Some((t.clone(), f.clone())),
                        _ => None,
                    })
                    .collect(),
                returns: def.body.returns.iter().map(|r| Located { file, item: r.clone() }).collect(),
                loops: def.body.loops.clone(),
                ctx_name: def.body.ctx_name.clone(),
                schedules: def.body.schedules.clone(),
            });
        }
        functions
    }

    /// The kind of function a builder makes: `mutation`, `internalMutation` from
    /// `_generated/server`, a local wrapper of one (`customMutation(mutation, ...)`),
    /// `migrations.define`, convex-helpers `makeMigration`.
    fn builder_kind(&self, file: FileId, builder: &Value, depth: u32) -> Option<(FunctionKind, bool)> {
        if depth > MAX_DEPTH {
            return None;
        }
        match builder {
            Value::Ref(SymRef::Local(name)) => {
                let model = self.model(file);
                if let Some(import) = model.imports.get(name) {
                    let imported = match &import.name {
                        ImportName::Named(n) => n.as_str(),
                        ImportName::Default => "default",
                        ImportName::Namespace => return None,
                    };
                    let module = import.module.trim_end_matches(".js");
                    if module.ends_with("_generated/server") {
                        return generated_builder(imported);
                    }
                    if imported == "makeMigration" && import.module.starts_with("convex-helpers") {
                        return Some((FunctionKind::Migration, true));
                    }
                    let target = self.resolve_module(file, &import.module)?;
                    return match self.resolve_export(target, imported, depth + 1)? {
                        Resolved::Value(f, v) => self.builder_kind(f, v, depth + 1),
                        Resolved::Owned(f, v) => self.builder_kind(f, &v, depth + 1),
                        Resolved::Module(_) => None,
                    };
                }
                let binding = model.bindings.get(name)?;
                self.builder_kind(file, &binding.value, depth + 1)
            }
            Value::Ref(SymRef::Member(base, method)) if method == "define" => match self.resolve_ref(file, base, depth + 1)? {
                Resolved::Value(_, Value::New { .. }) => Some((FunctionKind::Migration, true)),
                Resolved::Owned(_, Value::New { .. }) => Some((FunctionKind::Migration, true)),
                _ => None,
            },
            Value::Ref(SymRef::Member(..)) => match self.resolve_ref(
                file,
                match builder {
                    Value::Ref(r) => r,
                    _ => return None,
                },
                depth + 1,
            )? {
                Resolved::Value(f, v) => self.builder_kind(f, v, depth + 1),
                Resolved::Owned(f, v) => self.builder_kind(f, &v, depth + 1),
                Resolved::Module(_) => None,
            },
            // convex-helpers `makeMigration(internalMutation, {...})` makes a migration builder.
            Value::Call { callee, .. } if self.is_convex_helpers(file, callee, "makeMigration") => Some((FunctionKind::Migration, true)),
            // A wrapper: `customMutation(mutation, customCtx(...))`, `zCustomQuery(query, ...)`.
            Value::Call { args, .. } => args.iter().find_map(|a| match a {
                Value::Ref(_) => self.builder_kind(file, a, depth + 1),
                _ => None,
            }),
            _ => None,
        }
    }

    /// Where the project declares the `@convex-dev/migrations` component: `app.use(...)` of its
    /// `convex.config` in the functions folder's `convex.config.ts`, and the first module (by
    /// path) holding `new Migrations(...)` with the class imported under any path or re-export.
    pub fn migrations_component(&self) -> super::MigrationsComponent {
        let project = self.project;
        let mut out = super::MigrationsComponent::default();
        let config = [".ts", ".js"].map(|ext| format!("{}/convex.config{ext}", project.layout.functions_dir));
        for (i, source) in project.files.iter().enumerate() {
            let file = FileId(i as u32);
            let model = self.model(file);
            if config.contains(&source.path) {
                let used = model
                    .component_uses
                    .iter()
                    .find(|u| u.module.as_deref().is_some_and(|m| m.trim_end_matches(".js") == "@convex-dev/migrations/convex.config"));
                if let Some(used) = used {
                    out.installed = Some(used.name.clone().unwrap_or_else(|| "migrations".into()));
                }
            }
            if out.instance.is_some() || !project.layout.is_source(&source.path) {
                continue;
            }
            let mut instances: Vec<(&String, &crate::model::Binding)> = model
                .bindings
                .iter()
                .filter(|(_, binding)| match &binding.value {
                    Value::New { callee } => match &**callee {
                        Value::Ref(SymRef::Local(class)) => {
                            self.external_origin(file, class, 0).is_some_and(|(m, n)| m == "@convex-dev/migrations" && n == "Migrations")
                        }
                        _ => false,
                    },
                    _ => false,
                })
                .collect();
            instances.sort_by_key(|(_, binding)| binding.range.start);
            out.instance = instances.first().map(|(name, _)| (file, (*name).clone()));
        }
        out
    }

    /// The package module and export a local name of `file` comes from, through imports and
    /// re-exports of project files; `None` when it is defined in the project (or not found).
    fn external_origin(&self, file: FileId, local: &str, depth: u32) -> Option<(String, String)> {
        if depth > MAX_DEPTH {
            return None;
        }
        let import = self.model(file).imports.get(local)?;
        let imported = match &import.name {
            ImportName::Named(n) => n.clone(),
            ImportName::Default => "default".into(),
            ImportName::Namespace => return None,
        };
        match self.resolve_module(file, &import.module) {
            Some(target) => self.export_origin(target, &imported, depth + 1),
            None => Some((import.module.clone(), imported)),
        }
    }

    /// [`Linker::external_origin`] of the export `name` of `file`.
    fn export_origin(&self, file: FileId, name: &str, depth: u32) -> Option<(String, String)> {
        if depth > MAX_DEPTH {
            return None;
        }
        let model = self.model(file);
        for export in &model.exports {
            match export {
                Export::Local { name: n, local } if n == name => return self.external_origin(file, local, depth + 1),
                Export::From { name: n, module, imported } if n == name => {
                    return match self.resolve_module(file, module) {
                        Some(target) => self.export_origin(target, imported, depth + 1),
                        None => Some((module.clone(), imported.clone())),
                    };
                }
                _ => {}
            }
        }
        model.exports.iter().find_map(|e| match e {
            Export::All { module } => self.export_origin(self.resolve_module(file, module)?, name, depth + 1),
            _ => None,
        })
    }

    /// Whether `value` names `export` of a convex-helpers module (`import { makeMigration } from
    /// "convex-helpers/server/migrations"`).
    fn is_convex_helpers(&self, file: FileId, value: &Value, export: &str) -> bool {
        let Value::Ref(SymRef::Local(name)) = value else { return false };
        self.model(file)
            .imports
            .get(name)
            .is_some_and(|i| i.module.starts_with("convex-helpers") && i.name == ImportName::Named(export.to_string()))
    }

    fn helper(&self, file: FileId, callee: &SymRef, depth: u32) -> Option<(FileId, &'p Helper)> {
        if depth > MAX_DEPTH {
            return None;
        }
        match callee {
            SymRef::Local(name) => {
                let model = self.model(file);
                if let Some(h) = model.helpers.get(name) {
                    return Some((file, h));
                }
                match self.follow_import(file, name)? {
                    Imported::Export(target, export) => self.exported_helper(target, export, depth + 1),
                    Imported::Module(_) => None,
                }
            }
            SymRef::Member(base, name) => {
                let SymRef::Local(ns) = &**base else { return None };
                let import = self.model(file).imports.get(ns)?;
                if import.name != ImportName::Namespace {
                    return None;
                }
                let target = self.resolve_module(file, &import.module)?;
                self.exported_helper(target, name, depth + 1)
            }
        }
    }

    fn exported_helper(&self, file: FileId, name: &str, depth: u32) -> Option<(FileId, &'p Helper)> {
        self.via_export(file, name, depth, &|file, local, depth| self.helper(file, &SymRef::Local(local.to_string()), depth))
    }

    /// A body's reads and writes with those of the project helpers it calls (bounded depth),
    /// helper parameters replaced by the caller's arguments.
    fn effects(&self, file: FileId, body: &Body, depth: u32, stack: &mut Vec<(FileId, *const Helper)>) -> Effects {
        let mut effects = Effects {
            reads: body.reads.iter().map(|r| Located { file, item: r.clone() }).collect(),
            writes: body.writes.iter().map(|w| Located { file, item: w.clone() }).collect(),
            mentions: body
                .mentions
                .iter()
                .filter_map(|(t, f)| match t {
                    TableRef::Name(t) => Some((t.clone(), f.clone())),
                    _ => None,
                })
                .collect(),
        };
        if depth >= MAX_CALL_DEPTH {
            return effects;
        }
        for call in &body.calls {
            let Some((hfile, helper)) = self.helper(file, &call.callee, 0) else { continue };
            let key = (hfile, helper as *const Helper);
            if stack.contains(&key) {
                continue;
            }
            stack.push(key);
            let inner = self.effects(hfile, &helper.body, depth + 1, stack);
            stack.pop();
            let offset = effects.reads.len();
            let subst_table = |t: &TableRef| match t {
                TableRef::Param(i) => match call.args.get(*i) {
                    Some(ArgInfo::Doc { table, .. } | ArgInfo::Id { table, .. }) => table.clone(),
                    _ => TableRef::Unknown,
                },
                other => other.clone(),
            };
            let subst_origin = |o: Origin| match o {
                Origin::Param(i) => match call.args.get(i) {
                    Some(ArgInfo::Doc { origin, .. } | ArgInfo::Id { origin, .. }) => *origin,
                    _ => Origin::Other,
                },
                Origin::Read(j) => Origin::Read(j + offset),
                other => other,
            };
            for mut read in inner.reads {
                read.item.table = subst_table(&read.item.table);
                effects.reads.push(read);
            }
            for mut write in inner.writes {
                if let TableRef::Param(i) = write.item.table {
                    write.item.bound = Some((file.0, call.range, i));
                }
                write.item.table = subst_table(&write.item.table);
                write.item.target = subst_origin(write.item.target);
                effects.writes.push(write);
            }
            effects.mentions.extend(inner.mentions);
            for (t, f) in &helper.body.mentions {
                if let TableRef::Name(t) = subst_table(t) {
                    effects.mentions.push((t, f.clone()));
                }
            }
        }
        effects.mentions.sort();
        effects.mentions.dedup();
        effects
    }
}

fn generated_builder(name: &str) -> Option<(FunctionKind, bool)> {
    Some(match name {
        "query" => (FunctionKind::Query, false),
        "internalQuery" => (FunctionKind::Query, true),
        "mutation" => (FunctionKind::Mutation, false),
        "internalMutation" => (FunctionKind::Mutation, true),
        "action" => (FunctionKind::Action, false),
        "internalAction" => (FunctionKind::Action, true),
        "httpAction" => (FunctionKind::HttpAction, false),
        _ => return None,
    })
}

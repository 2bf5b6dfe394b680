//! A whole Convex project at one revision: its files linked into a resolved schema and a list of
//! functions with everything they read and write. No I/O: the files are handed in.

pub mod layout;
pub mod modules;
mod resolve;

use std::collections::HashMap;
use std::sync::Arc;

use crate::line_index::TextRange;
use crate::model::body::{Read, Write};
use crate::model::validator::Validator;
use crate::model::value::IndexDef;
use crate::model::FileModel;

pub use layout::Layout;

/// An index into [`Project::files`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A place in a file of the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: FileId,
    pub range: TextRange,
}

/// One file of the project, with its model.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Relative to the project root, `/`-separated.
    pub path: String,
    pub text: Arc<str>,
    pub model: Arc<FileModel>,
}

impl SourceFile {
    /// Parses and models a file.
    pub fn new(path: String, text: Arc<str>) -> SourceFile {
        let model = Arc::new(FileModel::build(&path, &text));
        SourceFile { path, text, model }
    }
}

/// A top-level field of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableField {
    pub name: String,
    /// Including its `v.optional(...)` wrapper.
    pub validator: Validator,
    /// The field's name, in the file that defines it.
    pub loc: Loc,
    /// The field's validator expression (the same as `loc` for a shorthand `{ playerId }`).
    pub value: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: String,
    /// The table's key in `defineSchema({...})` (or where it is spread in).
    pub loc: Loc,
    /// The value of that entry (`defineTable(...)...`), where a new table can be added after.
    pub entry_value: Loc,
    /// The document validator: an object (its fields are in `fields`) or, e.g., a union of objects.
    pub validator: Validator,
    pub fields: Vec<TableField>,
    /// Whether the document validator is an object (so `fields` lists its fields).
    pub is_object: bool,
    /// Whether some fields could not be resolved (a spread from a package, …).
    pub open: bool,
    pub indexes: Vec<IndexDef>,
    /// convex-ents many:many edges: names writes through the ents API take, not stored fields.
    pub edges: Vec<String>,
}

impl Table {
    pub fn field(&self, name: &str) -> Option<&TableField> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Whether every field of the documents is known: an object validator without unresolved spreads.
    pub fn is_fully_known(&self) -> bool {
        self.is_object && !self.open
    }
}

/// The resolved `defineSchema(...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub loc: Loc,
    pub tables: Vec<Table>,
    /// `schemaValidation` (default true).
    pub validation: bool,
    /// Whether some tables could not be resolved (`...authTables` from a package).
    pub open: bool,
    /// What the tool could not resolve in it (tables, spreads, validators): what it cannot check.
    pub unresolved: Vec<Unresolved>,
    /// Table name → index into `tables`.
    pub(crate) by_name: HashMap<String, usize>,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.by_name.get(name).map(|&i| &self.tables[i])
    }

    /// Indexes the tables by name (after they are all in).
    pub(crate) fn index(&mut self) {
        self.by_name = self.tables.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
    }
}

/// What kind of Convex function an export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FunctionKind {
    Query,
    Mutation,
    Action,
    HttpAction,
    /// `migrations.define(...)` of `@convex-dev/migrations`, or convex-helpers `makeMigration`.
    Migration,
}

impl FunctionKind {
    pub fn writes(self) -> bool {
        matches!(self, FunctionKind::Mutation | FunctionKind::Migration)
    }
}

/// A read or a write, located in the file whose code makes it (a helper's file for writes made
/// through helpers).
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub file: FileId,
    pub item: T,
}

/// A Convex function of a deployed module, with the effects of the helpers it calls merged in.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub file: FileId,
    /// The export name.
    pub name: String,
    pub kind: FunctionKind,
    pub internal: bool,
    /// `migrations:backfillUsersRole`, as `npx convex run` takes it.
    pub reference: String,
    pub loc: Loc,
    /// The whole declaration statement.
    pub statement: Loc,
    /// The table a migration definition runs over.
    pub migration_table: Option<String>,
    /// Its `args` validators, by name in order; `None` when they are not known whole.
    pub args: Option<Vec<(String, crate::model::validator::Validator)>>,
    pub reads: Vec<Located<Read>>,
    pub writes: Vec<Located<Write>>,
    pub mentions: Vec<(String, String)>,
    /// `(table, field)` its own body tests for being unset (what a verify function does).
    pub tests: Vec<(String, String)>,
    /// Objects returned by a `migrateOne` (its patch).
    pub returns: Vec<Located<crate::model::body::WrittenObject>>,
    /// The handler's own loops over read documents (in `file`), and its `ctx` parameter's name.
    pub loops: Vec<crate::model::body::DocLoop>,
    pub ctx_name: Option<String>,
    /// What its own body schedules.
    pub schedules: Vec<crate::model::body::Schedule>,
}

/// A part of the schema the tool could not model, where it is written and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub loc: Loc,
    /// The construct, in words (`the spread \`...authTables\``).
    pub what: String,
}

/// A file of the project that could not be read as it is, so the analysis did not see it whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    /// Relative to the project root, `/`-separated.
    pub path: String,
    pub problem: ReadProblem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadProblem {
    /// Not UTF-8 from this byte on: decoded lossily and analysed all the same.
    InvalidUtf8 { offset: usize },
    /// Not read at all (too large, unreadable, a link, a submodule, missing from git): why.
    Unreadable { reason: String },
}

/// A Convex project at one revision.
#[derive(Debug)]
pub struct Project {
    pub layout: Layout,
    pub files: Vec<SourceFile>,
    by_path: HashMap<String, FileId>,
    pub schema: Option<Schema>,
    /// Why there is no schema although the functions folder has a `schema.ts`: what the tool
    /// found instead of `defineSchema(...)`.
    pub schema_issue: Option<Unresolved>,
    /// In file order.
    pub functions: Vec<Arc<Function>>,
    /// Files the sources could not read as they are (handed in with the files).
    pub unread: Vec<Unread>,
    /// How the project uses the `@convex-dev/migrations` component.
    pub migrations: MigrationsComponent,
    /// What linking read, so that the next build can reuse what did not change.
    links: Links,
}

/// Where a project declares the `@convex-dev/migrations` component: what its generated
/// migrations build on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationsComponent {
    /// `app.use(migrations)` in the functions folder's `convex.config.ts`: the name the app
    /// reaches it by (`components.<name>`, `migrations` unless `{ name }` says otherwise).
    pub installed: Option<String>,
    /// The first module of the functions folder holding `new Migrations(...)` (the class
    /// imported from `@convex-dev/migrations` under any path or re-export), and the binding.
    pub instance: Option<(FileId, String)>,
}

/// For each file, its functions' place in [`Project::functions`] and the files their linking
/// read; the same for the schema.
#[derive(Debug, Default)]
struct Links {
    functions: Vec<(std::ops::Range<usize>, Vec<FileId>)>,
    schema_deps: Vec<FileId>,
}

impl Project {
    /// Links the files of a project (paths relative to its root).
    pub fn build(layout: Layout, files: Vec<SourceFile>) -> Project {
        Project::rebuild(layout, files, None)
    }

    /// Links the files of a project, reusing from `previous` (the same project a moment ago) the
    /// schema and the functions of every file whose linking read only files whose models are
    /// unchanged (the same `Arc`). What the editor does on every keystroke.
    pub fn rebuild(layout: Layout, mut files: Vec<SourceFile>, previous: Option<&Project>) -> Project {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files.dedup_by(|a, b| a.path == b.path);
        let by_path = files.iter().enumerate().map(|(i, f)| (f.path.clone(), FileId(i as u32))).collect();
        let mut project = Project {
            layout,
            files,
            by_path,
            schema: None,
            schema_issue: None,
            functions: Vec::new(),
            unread: Vec::new(),
            migrations: MigrationsComponent::default(),
            links: Links::default(),
        };
        // Reuse needs the same files in the same places (file ids are indexes).
        let previous = previous.filter(|p| {
            p.layout == project.layout
                && p.files.len() == project.files.len()
                && p.files.iter().zip(&project.files).all(|(a, b)| a.path == b.path)
        });
        let unchanged =
            |deps: &[FileId]| previous.is_some_and(|p| deps.iter().all(|d| Arc::ptr_eq(&p.file(*d).model, &project.file(*d).model)));
        let linker = resolve::Linker::new(&project);
        let (schema, schema_deps) = match previous {
            Some(p) if !p.links.schema_deps.is_empty() && unchanged(&p.links.schema_deps) => {
                (p.schema_issue.clone().map_or_else(|| Ok(p.schema.clone()), Err), p.links.schema_deps.clone())
            }
            _ => linker.record(|| linker.schema()),
        };
        let mut functions: Vec<Arc<Function>> = Vec::new();
        let mut links = Vec::with_capacity(project.files.len());
        for i in 0..project.files.len() {
            let file = FileId(i as u32);
            let reused = previous.and_then(|p| {
                let (range, deps) = p.links.functions.get(i)?;
                (unchanged(deps) && unchanged(&[file])).then(|| (p.functions[range.clone()].to_vec(), deps.clone()))
            });
            let (mine, deps) = match reused {
                Some(found) => found,
                None => {
                    let (mine, mut deps) = linker.record(|| linker.file_functions(file));
                    if !deps.contains(&file) {
                        deps.push(file);
                    }
                    (mine.into_iter().map(Arc::new).collect(), deps)
                }
            };
            let start = functions.len();
            functions.extend(mine);
            links.push((start..functions.len(), deps));
        }
        let migrations = linker.migrations_component();
        drop(linker);
        project.migrations = migrations;
        (project.schema, project.schema_issue) = match schema {
            Ok(schema) => (schema, None),
            Err(issue) => (None, Some(issue)),
        };
        project.functions = functions;
        project.links = Links { functions: links, schema_deps };
        project
    }

    /// The project, with the files its sources could not read as they are.
    pub fn with_unread(mut self, unread: Vec<Unread>) -> Project {
        self.unread = unread;
        self
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn file_id(&self, path: &str) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    pub fn path(&self, id: FileId) -> &str {
        &self.file(id).path
    }

    /// The function defined at `loc`'s file under `name`.
    pub fn function(&self, file: FileId, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.file == file && f.name == name).map(|f| &**f)
    }
}

/// Effects of a body after helpers are merged, before they are attached to a function.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    pub reads: Vec<Located<Read>>,
    pub writes: Vec<Located<Write>>,
    pub mentions: Vec<(String, String)>,
}

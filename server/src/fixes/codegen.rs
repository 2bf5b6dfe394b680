//! The one place that renders generated TypeScript: backfill and verify functions, and the
//! imports they need, as edits to the project's migrations file.

use crate::analysis::backfill::Goal as BackfillGoal;
use crate::analysis::command::RunCommand;
use crate::fixes::{FileEdit, Fix, FixKind, TextEdit};
use crate::line_index::TextRange;
use crate::model::validator::{Literal, Validator};
use crate::model::ImportName;
use crate::project::{FileId, Project, Table};

pub use crate::analysis::backfill::Goal;

/// How many documents one batch handles.
pub const BATCH_SIZE: u32 = 100;
/// How many documents one verify page reads: well under the 32,000-document scan limit, and
/// under the 16 MiB read limit for documents up to 32 KiB on average.
pub const VERIFY_PAGE: u32 = 500;

/// `users` + `isPro` → `UsersIsPro`.
pub fn pascal(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        for word in part.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_uppercase());
                out.extend(chars);
            }
        }
    }
    out
}

/// What a generated write (a backfill, an insert, a dual-write) puts in a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    /// The TypeScript expression (of `doc`, the document being migrated, when derived).
    pub code: String,
    /// The fields of `doc` it reads (`doc.name.split(" ")[0]` reads `name`): a document without
    /// them is left for the verify to count, never written with a guess.
    pub reads: Vec<String>,
    /// Set when nothing was chosen and the schema allows several values: `code` is a placeholder
    /// that fails the type-check (and every write at run time), naming the choices.
    pub choices: Option<String>,
}

/// The value to write: `given` (`plan --default`, `--with`) when there is one; else the one value
/// the schema makes obvious (`""`, `0`, `false`, `[]`, `null` for nullable, a single literal); else,
/// for a union of several literals, a placeholder string that no literal equals, so that `tsc` and
/// Convex reject it until someone chooses. `None`: no value makes sense (`v.id`, objects, records)
/// and the migration takes it as an argument.
pub fn choose(validator: &Validator, given: Option<&str>) -> Option<Chosen> {
    if let Some(code) = given {
        let code = quote_bare_literal(validator, code.trim());
        return Some(Chosen { reads: doc_reads(&code), code, choices: None });
    }
    let literals: Vec<&Literal> = match validator {
        Validator::Union(members) if !members.iter().any(|m| matches!(m, Validator::Null)) => {
            members.iter().filter_map(|m| if let Validator::Literal(l) = m { Some(l) } else { None }).collect()
        }
        _ => Vec::new(),
    };
    if literals.len() >= 2 {
        let choices = literals.iter().map(ToString::to_string).collect::<Vec<_>>().join(" | ");
        let code = serde_json::Value::String(format!("CHOOSE ONE: {choices} (convex-migrate plan --default)")).to_string();
        return Some(Chosen { code, reads: Vec::new(), choices: Some(choices) });
    }
    default_value(validator).map(|code| Chosen { code, reads: Vec::new(), choices: None })
}

/// `--default member` for a union of string literals that holds `"member"`: the literal, quoted.
fn quote_bare_literal(validator: &Validator, code: &str) -> String {
    let holds = |v: &Validator| matches!(v, Validator::Literal(Literal::String(s)) if s == code);
    let is_member = match validator {
        Validator::Union(members) => members.iter().any(holds),
        other => holds(other),
    };
    if is_member && is_identifier(code) {
        serde_json::Value::String(code.to_string()).to_string()
    } else {
        code.to_string()
    }
}

/// The fields of `doc` an expression reads: `doc.name`, `doc?.name`.
pub fn doc_reads(code: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let bytes = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
    for (i, _) in code.match_indices("doc") {
        if i > 0 && (ident(bytes[i - 1]) || bytes[i - 1] == b'.') {
            continue;
        }
        let rest = &code[i + 3..];
        let rest = rest.strip_prefix("?.").or_else(|| rest.strip_prefix('.'));
        let Some(rest) = rest else { continue };
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$').collect();
        if is_identifier(&name) && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// A valid value of the validator, for seeding documents: the first literal of a union, `""`,
/// `0`, `0n`, `false`, `[]`, `null` for nullable. `None` when no default makes sense (`v.id`,
/// objects, records).
pub fn default_value(validator: &Validator) -> Option<String> {
    match validator {
        Validator::Union(members) => {
            if members.iter().any(|m| matches!(m, Validator::Null)) {
                return Some("null".into());
            }
            members.first().and_then(default_value)
        }
        Validator::Literal(Literal::Number(n)) if !n.is_finite() => None,
        Validator::Literal(l) => Some(l.to_string()),
        Validator::String => Some("\"\"".into()),
        Validator::Number => Some("0".into()),
        Validator::Int64 => Some("0n".into()),
        Validator::Boolean => Some("false".into()),
        Validator::Array(_) => Some("[]".into()),
        Validator::Null => Some("null".into()),
        _ => None,
    }
}

/// Where generated migrations go, and in which style.
struct Target {
    path: String,
    file: Option<FileId>,
    typescript: bool,
    /// The local name of a `new Migrations(...)` instance in that file (component style).
    component: Option<String>,
    /// The component is installed (`convex.config.ts`) but no module instantiates it yet: the
    /// name the app reaches it by (`components.<name>`); the generated code declares
    /// `component` first.
    declare: Option<String>,
}

impl Target {
    /// The same file, in the hand-written style (paginated mutations).
    fn handwritten(mut self) -> Target {
        self.component = None;
        self.declare = None;
        self
    }
}

/// Where generated migrations go: the module holding the project's `new Migrations(...)`; else
/// `<functions dir>/migrations.ts`, in the component's style when `convex.config.ts` installs
/// it (declaring the instance there), hand-written otherwise.
fn target(project: &Project) -> Target {
    if let Some((file, instance)) = &project.migrations.instance {
        let path = project.file(*file).path.clone();
        let typescript = !path.ends_with(".js");
        return Target { path, file: Some(*file), typescript, component: Some(instance.clone()), declare: None };
    }
    let dir = &project.layout.functions_dir;
    let typescript = project.file_id(&format!("{dir}/schema.js")).is_none();
    let path = format!("{dir}/migrations.{}", if typescript { "ts" } else { "js" });
    let file = project.file_id(&path);
    match &project.migrations.installed {
        Some(name) => {
            let instance = free_name(project, file, "migrations");
            Target { path, file, typescript, component: Some(instance), declare: Some(name.clone()) }
        }
        None => Target { path, file, typescript, component: None, declare: None },
    }
}

/// The declaration of the component's instance that [`Target::declare`] asks for, and the
/// imports it needs.
fn declaration(project: &Project, target: &Target) -> Option<(String, Vec<(&'static str, String)>)> {
    let (Some(instance), Some(name)) = (&target.component, &target.declare) else { return None };
    let member = if is_identifier(name) { format!(".{name}") } else { format!("[{}]", serde_json::Value::String(name.clone())) };
    let (generic, mut needed) = if target.typescript {
        ("<DataModel>", vec![("type DataModel", generated(project, &target.path, "dataModel"))])
    } else {
        ("", Vec::new())
    };
    needed.insert(0, ("Migrations", "@convex-dev/migrations".to_string()));
    needed.insert(1, ("components", generated(project, &target.path, "api")));
    let code = format!(
        "
/** The @convex-dev/migrations component that convex.config.ts installs (declared by convex-migrate). */
export const {instance} = new Migrations{generic}(components{member});
"
    );
    Some((code, needed))
}

/// An export name that the file does not use yet: `backfillUsersRole`, `backfillUsersRole2`, …
fn free_name(project: &Project, file: Option<FileId>, base: &str) -> String {
    let taken = |name: &str| {
        file.is_some_and(|f| {
            let model = &project.file(f).model;
            model.bindings.contains_key(name)
                || model.functions.iter().any(|d| d.local == name)
                || model.helpers.contains_key(name)
                || model.imports.contains_key(name)
        })
    };
    if !taken(base) {
        return base.to_string();
    }
    (2..).map(|n| format!("{base}{n}")).find(|n| !taken(n)).unwrap_or_else(|| base.to_string())
}

/// `internal.migrations.backfillUsersRole` for a function of `path`.
pub(crate) fn internal_ref(project: &Project, path: &str, name: &str) -> String {
    let reference = project.layout.function_reference(path, name);
    let (module, export) = reference.split_once(':').unwrap_or((&reference, name));
    format!("internal.{}.{export}", module.replace('/', "."))
}

/// The import of `./_generated/<module>` from a file of the functions folder.
pub(crate) fn generated(project: &Project, path: &str, module: &str) -> String {
    let depth = project.layout.module_path(path).map(|m| m.matches('/').count()).unwrap_or(0);
    let prefix = if depth == 0 { "./".to_string() } else { "../".repeat(depth) };
    format!("{prefix}_generated/{module}")
}

/// The edits that make `needed` names importable in `file` (an existing file, or none yet):
/// names join an existing `import { … } from` the same module, the rest become new import lines
/// (returned as text, for a file that does not exist yet).
fn import_edits(project: &Project, file: Option<FileId>, needed: &[(&str, String)]) -> (Vec<TextEdit>, String) {
    let model = file.map(|f| &project.file(f).model);
    let has = |name: &str, module: &str| {
        let name = name.strip_prefix("type ").unwrap_or(name);
        model.is_some_and(|m| {
            m.imports
                .iter()
                .any(|(local, i)| local == name && i.name == ImportName::Named(name.into()) && i.module.trim_end_matches(".js") == module)
        })
    };
    let mut by_module: Vec<(String, Vec<&str>)> = Vec::new();
    for (name, module) in needed {
        if has(name, module) {
            continue;
        }
        match by_module.iter_mut().find(|(m, _)| m == module) {
            Some((_, names)) => names.push(name),
            None => by_module.push((module.clone(), vec![name])),
        }
    }
    let mut edits: Vec<TextEdit> = Vec::new();
    by_module.retain(|(module, names)| {
        let existing = model.and_then(|m| m.named_import_ends.iter().find(|(m, _)| m.trim_end_matches(".js") == module.as_str()));
        match existing {
            Some((_, at)) => {
                edits.push(TextEdit { range: TextRange::empty(*at), new_text: format!(", {}", names.join(", ")) });
                false
            }
            None => true,
        }
    });
    let imports: String =
        by_module.iter().map(|(module, names)| format!("import {{ {} }} from \"{module}\";\n", names.join(", "))).collect();
    if let (Some(model), false) = (model, imports.is_empty()) {
        let at = model.imports_end;
        let new_text = if at == 0 { imports.clone() } else { format!("\n{}", imports.trim_end_matches('\n')) };
        edits.push(TextEdit { range: TextRange::empty(at), new_text });
    }
    (edits, imports)
}

/// Edits that add `code` to the target file, with the imports it needs.
fn add_code(project: &Project, target: &Target, needed: &[(&str, String)], code: String) -> FileEdit {
    let declared = declaration(project, target);
    let mut needed = needed.to_vec();
    if let Some((_, more)) = &declared {
        needed.splice(0..0, more.iter().cloned());
    }
    let (mut edits, imports) = import_edits(project, target.file, &needed);
    let declared = declared.map(|(code, _)| code).unwrap_or_default();
    // The imports and the component's declaration are edits of their own, the same for every
    // piece of code added to the file: several merged into one change add them once.
    match target.file {
        None => FileEdit {
            path: target.path.clone(),
            create: true,
            delete: false,
            edits: [format!("{imports}{declared}"), code]
                .into_iter()
                .filter(|text| !text.is_empty())
                .map(|new_text| TextEdit { range: TextRange::empty(0), new_text })
                .collect(),
        },
        Some(file) => {
            let text = &project.file(file).text;
            let end = TextRange::empty(text.len() as u32);
            let sep = if text.ends_with('\n') || text.is_empty() { "" } else { "\n" };
            if !declared.is_empty() {
                edits.push(TextEdit { range: end, new_text: format!("{sep}{declared}") });
                edits.push(TextEdit { range: end, new_text: code });
            } else {
                edits.push(TextEdit { range: end, new_text: format!("{sep}{code}") });
            }
            FileEdit::edit(target.path.clone(), edits)
        }
    }
}

/// The one paginated mutation: reads `table` a batch at a time with a cursor, runs `body` for each
/// document of the page (as `var`), and schedules itself for the next batch until the table is
/// done.
struct Paginated<'a> {
    name: &'a str,
    /// The handler's `ctx` parameter.
    ctx: &'a str,
    /// The table, as a string literal.
    table: &'a str,
    batch: u32,
    /// More arguments after `cursor` (`, value: v.id("teams")`).
    args_extra: &'a str,
    var: &'a str,
    /// The loop body, a statement (usually a block).
    body: &'a str,
    /// `internal.migrations.<name>`.
    next: &'a str,
    /// What the next batch passes on besides the cursor (`, value: args.value`).
    pass_extra: &'a str,
}

impl Paginated<'_> {
    fn render(&self) -> String {
        let Paginated { name, ctx, table, batch, args_extra, var, body, next, pass_extra } = self;
        format!(
            "export const {name} = internalMutation({{\n  args: {{ cursor: v.optional(v.union(v.string(), v.null())){args_extra} }},\n  handler: async ({ctx}, args) => {{\n    const {{ page, isDone, continueCursor }} = await {ctx}.db\n      .query({table})\n      .paginate({{ cursor: args.cursor ?? null, numItems: {batch} }});\n    for (const {var} of page) {body}\n    if (!isDone) {{\n      await {ctx}.scheduler.runAfter(0, {next}, {{ cursor: continueCursor{pass_extra} }});\n    }}\n  }},\n}});"
        )
    }
}

/// The imports a hand-written (paginated) migration needs in `path`.
fn mutation_imports(project: &Project, path: &str) -> Vec<(&'static str, String)> {
    vec![
        ("v", "convex/values".to_string()),
        ("internalMutation", generated(project, path, "server")),
        ("internal", generated(project, path, "api")),
    ]
}

/// The imports a verify (page query and action) needs in `path`.
fn verify_imports(project: &Project, path: &str) -> Vec<(&'static str, String)> {
    vec![
        ("v", "convex/values".to_string()),
        ("internalQuery", generated(project, path, "server")),
        ("internalAction", generated(project, path, "server")),
        ("internal", generated(project, path, "api")),
    ]
}

/// *Rewrite as a paginated backfill*: replaces a backfill that reads with `.take(n)`, a filter or
/// a fixed cursor by one that pages with a cursor and schedules its next batch, keeping its name
/// and its per-document loop body. `None` when it has no loop over the read documents to keep.
pub fn paginated_rewrite(project: &Project, function: &crate::project::Function) -> Option<Fix> {
    let ctx = function.ctx_name.as_deref()?;
    let doc_loop =
        function.loops.iter().find(|l| function.writes.iter().any(|w| w.item.target == crate::model::body::Origin::Read(l.read)))?;
    let read = &function.reads.get(doc_loop.read)?.item;
    let crate::model::body::TableRef::Name(table) = &read.table else { return None };
    let file = project.file(function.file);
    let body = file.text.get(doc_loop.body.as_usize_range())?;
    let batch = match read.terminal {
        crate::model::body::Terminal::Take(Some(n)) if (1.0..=1000.0).contains(&n) => n as u32,
        _ => BATCH_SIZE,
    };
    let next = internal_ref(project, &file.path, &function.name);
    let table_lit = serde_json::Value::String(table.clone()).to_string();
    let name = &function.name;
    let code =
        Paginated { name, ctx, table: &table_lit, batch, args_extra: "", var: &doc_loop.var, body, next: &next, pass_extra: "" }.render();
    let (mut edits, _) = import_edits(project, Some(function.file), &mutation_imports(project, &file.path));
    edits.push(TextEdit { range: function.statement.range, new_text: code });
    Some(Fix {
        title: paginated_rewrite_title(name),
        kind: FixKind::QuickFix,
        preferred: true,
        edits: vec![FileEdit::edit(file.path.clone(), edits)],
    })
}

pub fn paginated_rewrite_title(name: &str) -> String {
    format!("Rewrite `{name}` as a paginated backfill (cursor, next batch scheduled)")
}

/// The condition that a document still needs the migration (and, for a derived value, has the
/// fields it is derived from).
fn pending(field: &str, goal: Goal, reads: &[String]) -> String {
    let mut condition = match goal {
        Goal::Fill => format!("doc.{field} === undefined"),
        Goal::Unset => format!("doc.{field} !== undefined"),
    };
    for source in reads.iter().filter(|r| *r != field) {
        condition.push_str(&format!(" && doc.{source} !== undefined"));
    }
    condition
}

/// What *Generate backfill* will write, decided before anything is rendered: the function's
/// name, where it goes, in which style, with which value. Its title is what a menu shows.
pub struct BackfillSpec<'p> {
    project: &'p Project,
    target: Target,
    pub name: String,
    table: &'p Table,
    field: String,
    validator: Validator,
    goal: Goal,
    /// The value written (`None`: the migration takes it as an argument).
    value: Option<Chosen>,
}

/// *Generate backfill for T.f*.
pub fn backfill(project: &Project, table: &Table, field: &str, validator: &Validator, goal: Goal) -> Option<Fix> {
    backfill_with(project, table, field, validator, goal, None)
}

/// *Generate backfill*, writing `value` (a TypeScript expression, e.g. from `plan require
/// --default`) instead of the validator's default.
pub fn backfill_with(project: &Project, table: &Table, field: &str, validator: &Validator, goal: Goal, value: Option<&str>) -> Option<Fix> {
    backfill_spec(project, table, field, validator, goal, value).map(|spec| spec.fix())
}

/// Decides a backfill: `None` when `field` is not an identifier.
pub fn backfill_spec<'p>(
    project: &'p Project,
    table: &'p Table,
    field: &str,
    validator: &Validator,
    goal: Goal,
    value: Option<&str>,
) -> Option<BackfillSpec<'p>> {
    if !is_identifier(field) {
        return None;
    }
    let mut target = target(project);
    let value = match goal {
        Goal::Fill => choose(validator, value),
        Goal::Unset => Some(Chosen { code: "undefined".into(), reads: Vec::new(), choices: None }),
    };
    // Component migrations take no arguments: a value that must be given needs the hand-written
    // style, written next to them.
    if value.is_none() {
        target = target.handwritten();
    }
    let verb = match goal {
        Goal::Fill => "backfill",
        Goal::Unset => "unset",
    };
    let name = free_name(project, target.file, &format!("{verb}{}", pascal(&[&table.name, field])));
    Some(BackfillSpec { project, target, name, table, field: field.to_string(), validator: validator.clone(), goal, value })
}

impl BackfillSpec<'_> {
    pub fn title(&self) -> String {
        let what = match self.goal {
            Goal::Fill => "backfill",
            Goal::Unset => "unset migration",
        };
        let choose = if self.value.as_ref().is_some_and(|v| v.choices.is_some()) { " (choose its value)" } else { "" };
        format!("Generate {what} `{}` for `{}.{}` in {}{choose}", self.name, self.table.name, self.field, self.target.path)
    }

    /// The value it writes, when it writes one.
    pub fn value(&self) -> Option<&Chosen> {
        self.value.as_ref()
    }

    pub fn fix(&self) -> Fix {
        let BackfillSpec { project, target, name, table, field, validator, goal, value } = self;
        let what = match goal {
            Goal::Fill => format!("sets `{field}` on every document of `{}` that lacks it", table.name),
            Goal::Unset => format!("removes `{field}` from every document of `{}`", table.name),
        };
        let reference = project.layout.function_reference(&target.path, name);
        let reads = value.as_ref().map(|v| v.reads.as_slice()).unwrap_or_default();
        let condition = pending(field, *goal, reads);
        let table_lit = serde_json::Value::String(table.name.clone()).to_string();
        let kind = match goal {
            Goal::Fill => "Backfill",
            Goal::Unset => "Migration",
        };
        let mut notes = String::new();
        if let Some(choices) = value.as_ref().and_then(|v| v.choices.as_ref()) {
            notes.push_str(&format!("\n * Choose the value it writes ({choices}): the placeholder fails the type-check."));
        }
        if !reads.is_empty() {
            let sources = reads.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ");
            notes.push_str(&format!("\n * Documents without {sources} are left as they are, for the verify to count."));
        }
        let (code, needed) = if let Some(instance) = &target.component {
            let value = value.as_ref().map(|v| v.code.clone()).unwrap_or_default();
            let run = RunCommand::new(&reference);
            let code = format!(
                "\n/**\n * {kind} generated by convex-migrate: {what}.{notes}\n * Run: {run}\n */\nexport const {name} = {instance}.define({{\n  table: {table_lit},\n  migrateOne: async (ctx, doc) => {{\n    if ({condition}) {{\n      await ctx.db.patch(doc._id, {{ {field}: {value} }});\n    }}\n  }},\n}});\n",
            );
            (code, Vec::new())
        } else {
            let (args_extra, value_expr, pass_extra, run) = match value {
                Some(v) => (String::new(), v.code.clone(), String::new(), RunCommand::new(&reference)),
                None => {
                    let validator_text = if validator.has_unknown() { "v.any()".to_string() } else { validator.to_string() };
                    (
                        format!(", value: {validator_text}"),
                        "args.value".to_string(),
                        ", value: args.value".to_string(),
                        RunCommand::new(&reference).args("{\"value\": …}"),
                    )
                }
            };
            let next = internal_ref(project, &target.path, name);
            let body = format!(
                "{{\n      if ({condition}) {{\n        await ctx.db.patch(doc._id, {{ {field}: {value_expr} }});\n      }}\n    }}"
            );
            let function = Paginated {
                name,
                ctx: "ctx",
                table: &table_lit,
                batch: BATCH_SIZE,
                args_extra: &args_extra,
                var: "doc",
                body: &body,
                next: &next,
                pass_extra: &pass_extra,
            }
            .render();
            let code = format!(
                "\n/**\n * {kind} generated by convex-migrate: {what}, {BATCH_SIZE} per batch; each batch\n * schedules the next.{notes}\n * Run: {run}\n */\n{function}\n"
            );
            (code, mutation_imports(project, &target.path))
        };
        Fix { title: self.title(), kind: FixKind::QuickFix, preferred: false, edits: vec![add_code(project, target, &needed, code)] }
    }
}

/// A value-mapping migration (`plan narrow`): every document of `table` whose `field` holds a
/// removed value gets the value it maps to. In the project's style (`migrations.define`, or a
/// paginated mutation), named `migrate<Table><Field>Values`.
pub fn map_backfill(project: &Project, table: &Table, field: &str, map: &[(Literal, Literal)]) -> Option<Fix> {
    if !is_identifier(field) || map.is_empty() {
        return None;
    }
    let target = target(project);
    let name = free_name(project, target.file, &format!("migrate{}Values", pascal(&[&table.name, field])));
    let reference = project.layout.function_reference(&target.path, &name);
    let table_lit = serde_json::Value::String(table.name.clone()).to_string();
    let branches = |indent: &str| {
        map.iter()
            .enumerate()
            .map(|(i, (from, to))| {
                let keyword = if i == 0 { "if" } else { " else if" };
                format!("{keyword} (doc.{field} === {from}) {{\n{indent}  await ctx.db.patch(doc._id, {{ {field}: {to} }});\n{indent}}}")
            })
            .collect::<String>()
    };
    let mapping = map.iter().map(|(from, to)| format!("{from} → {to}")).collect::<Vec<_>>().join(", ");
    let (code, needed) = if let Some(instance) = &target.component {
        let code = format!(
            "\n/**\n * Migration generated by convex-migrate: maps the values `{}.{field}` no longer accepts ({mapping}).\n * Run: {run}\n */\nexport const {name} = {instance}.define({{\n  table: {table_lit},\n  migrateOne: async (ctx, doc) => {{\n    {body}\n  }},\n}});\n",
            table.name,
            run = RunCommand::new(&reference),
            body = branches("    "),
        );
        (code, Vec::new())
    } else {
        let next = internal_ref(project, &target.path, &name);
        let body = format!("{{\n      {}\n    }}", branches("      "));
        let function = Paginated {
            name: &name,
            ctx: "ctx",
            table: &table_lit,
            batch: BATCH_SIZE,
            args_extra: "",
            var: "doc",
            body: &body,
            next: &next,
            pass_extra: "",
        }
        .render();
        let code = format!(
            "\n/**\n * Migration generated by convex-migrate: maps the values `{}.{field}` no longer accepts ({mapping}),\n * {BATCH_SIZE} per batch; each batch schedules the next.\n * Run: {run}\n */\n{function}\n",
            table.name,
            run = RunCommand::new(&reference),
        );
        (code, mutation_imports(project, &target.path))
    };
    Some(Fix {
        title: format!("Generate migration `{name}` mapping the removed values of `{}.{field}` ({mapping})", table.name),
        kind: FixKind::QuickFix,
        preferred: false,
        edits: vec![add_code(project, &target, &needed, code)],
    })
}

/// The verify of a narrowing: counts the documents of `table` whose `field` still holds a removed
/// value (`verify<Table><Field>Values`, an action over a page query, as every verify).
pub fn map_verify(project: &Project, table: &Table, field: &str, removed: &[Literal]) -> Option<Fix> {
    if !is_identifier(field) || removed.is_empty() {
        return None;
    }
    let dir = &project.layout.functions_dir;
    let existing = target(project);
    let path = if existing.component.is_some() {
        existing.path.clone()
    } else {
        format!("{dir}/migrations.{}", if existing.typescript { "ts" } else { "js" })
    };
    let target = Target { file: project.file_id(&path), path, typescript: existing.typescript, component: None, declare: None };
    let name = free_name(project, target.file, &format!("verify{}Values", pascal(&[&table.name, field])));
    let page_name = free_name(project, target.file, &format!("{name}Page"));
    let page_ref = internal_ref(project, &target.path, &page_name);
    let reference = project.layout.function_reference(&target.path, &name);
    let table_lit = serde_json::Value::String(table.name.clone()).to_string();
    let values = removed.iter().map(ToString::to_string).collect::<Vec<_>>();
    let test = values.iter().map(|v| format!("doc.{field} === {v}")).collect::<Vec<_>>().join(" || ");
    let action = verify_action(
        &name,
        &page_ref,
        &format!("`{}` whose `{field}` still holds {}", table.name, values.join(" or ")),
        &reference,
        target.typescript,
    );
    let page = verify_page(
        &page_name,
        &format!("One page of `{name}`: how many documents it read, and how many still hold a removed value."),
        &table_lit,
        &format!("    const remaining = page.filter((doc) => doc.{field} !== undefined && ({test})).length;\n"),
    );
    Some(Fix {
        title: format!("Generate verify `{name}` for the removed values of `{}.{field}`", table.name),
        kind: FixKind::QuickFix,
        preferred: false,
        edits: vec![add_code(project, &target, &verify_imports(project, &target.path), format!("\n{page}{action}"))],
    })
}

/// What *Generate verify* will write: the action's and its page query's names, and where.
pub struct VerifySpec<'p> {
    project: &'p Project,
    target: Target,
    pub name: String,
    page_name: String,
    table: &'p Table,
    field: String,
    goal: Goal,
}

/// *Generate verify for T.f*: an action that pages through the table with an internal query and
/// returns `{ scanned, remaining }`, so a large table never hits the read limits.
pub fn verify(project: &Project, table: &Table, field: &str, goal: BackfillGoal) -> Option<Fix> {
    verify_spec(project, table, field, goal).map(|spec| spec.fix())
}

/// Decides a verify: `None` when `field` is not an identifier.
pub fn verify_spec<'p>(project: &'p Project, table: &'p Table, field: &str, goal: Goal) -> Option<VerifySpec<'p>> {
    if !is_identifier(field) {
        return None;
    }
    let dir = &project.layout.functions_dir;
    let existing = target(project);
    let path = if existing.component.is_some() {
        existing.path.clone()
    } else {
        format!("{dir}/migrations.{}", if existing.typescript { "ts" } else { "js" })
    };
    let target = Target { file: project.file_id(&path), path, typescript: existing.typescript, component: None, declare: None };
    let name = free_name(project, target.file, &format!("verify{}", pascal(&[&table.name, field])));
    let page_name = free_name(project, target.file, &format!("{name}Page"));
    Some(VerifySpec { project, target, name, page_name, table, field: field.to_string(), goal })
}

impl VerifySpec<'_> {
    pub fn title(&self) -> String {
        format!("Generate verify `{}` for `{}.{}` in {}", self.name, self.table.name, self.field, self.target.path)
    }

    pub fn fix(&self) -> Fix {
        let VerifySpec { project, target, name, page_name, table, field, goal } = self;
        let reference = project.layout.function_reference(&target.path, name);
        let page_ref = internal_ref(project, &target.path, page_name);
        let condition = pending(field, *goal, &[]);
        let table_lit = serde_json::Value::String(table.name.clone()).to_string();
        let state = match goal {
            Goal::Fill => "still missing",
            Goal::Unset => "still present",
        };
        let action = verify_action(name, &page_ref, &format!("`{}` where `{field}` is {state}", table.name), &reference, target.typescript);
        let page = verify_page(
            page_name,
            &format!("One page of `{name}`: how many documents it read, and how many still need the migration."),
            &table_lit,
            &format!("    const remaining = page.filter((doc) => {condition}).length;\n"),
        );
        let code = format!("\n{page}{action}");
        Fix {
            title: self.title(),
            kind: FixKind::QuickFix,
            preferred: false,
            edits: vec![add_code(project, target, &verify_imports(project, &target.path), code)],
        }
    }
}

/// The one verify page query: reads a page of `table` (a string literal) with the cursor it is
/// given, runs `count` (which sets `remaining`), and returns the page's counts and where to go on.
fn verify_page(name: &str, doc: &str, table: &str, count: &str) -> String {
    format!(
        "/** {doc} */\nexport const {name} = internalQuery({{\n  args: {{ cursor: v.union(v.string(), v.null()) }},\n  handler: async (ctx, args) => {{\n    const {{ page, isDone, continueCursor }} = await ctx.db\n      .query({table})\n      .paginate({{ cursor: args.cursor, numItems: {VERIFY_PAGE} }});\n{count}    return {{ scanned: page.length, remaining, isDone, continueCursor }};\n  }},\n}});\n"
    )
}

pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// How a field is split into a table of its own: `posts.tags` → `postTags { post, tag }`.
pub struct Split<'a> {
    pub table: &'a str,
    pub field: &'a str,
    pub into: &'a str,
    /// The new table's reference to the old document (`post`).
    pub parent: String,
    /// The new table's value field (`tag`).
    pub item: String,
    /// Whether the old field is an array (one row per element) or a single value (one row).
    pub array: bool,
}

impl<'a> Split<'a> {
    pub fn new(table: &'a str, field: &'a str, into: &'a str, array: bool) -> Split<'a> {
        let singular = |name: &str, fallback: String| match name.strip_suffix('s') {
            Some(stem) if stem.len() >= 2 && is_identifier(stem) => stem.to_string(),
            _ => fallback,
        };
        Split { table, field, into, parent: singular(table, format!("{table}Id")), item: singular(field, "value".to_string()), array }
    }

    /// The index of the new table on its parent reference.
    pub fn index(&self) -> String {
        format!("by_{}", self.parent)
    }

    /// The values of the old field of `doc`, as a loop header.
    fn items(&self) -> String {
        if self.array {
            format!("for (const item of doc.{} ?? [])", self.field)
        } else {
            format!("for (const item of doc.{f} === undefined ? [] : [doc.{f}])", f = self.field)
        }
    }
}

/// The backfill of a split: for each document of the old table without rows in the new one, one
/// row per value of the old field; paged with a cursor, the next batch scheduled.
pub fn split_backfill(project: &Project, split: &Split<'_>) -> Option<Fix> {
    if !is_identifier(split.field) || !is_identifier(split.into) {
        return None;
    }
    let target = migrations_target(project);
    let name = free_name(project, target.file, &format!("backfill{}", pascal(&[split.into])));
    let next = internal_ref(project, &target.path, &name);
    let (table, into) =
        (serde_json::Value::String(split.table.into()).to_string(), serde_json::Value::String(split.into.into()).to_string());
    let (parent, item, index) = (&split.parent, &split.item, split.index());
    let reference = project.layout.function_reference(&target.path, &name);
    let items = split.items();
    let body = format!(
        "{{\n      const existing = await ctx.db\n        .query({into})\n        .withIndex(\"{index}\", (q) => q.eq(\"{parent}\", doc._id))\n        .first();\n      if (existing === null) {{\n        {items} {{\n          await ctx.db.insert({into}, {{ {parent}: doc._id, {item}: item }});\n        }}\n      }}\n    }}"
    );
    let function = Paginated {
        name: &name,
        ctx: "ctx",
        table: &table,
        batch: BATCH_SIZE,
        args_extra: "",
        var: "doc",
        body: &body,
        next: &next,
        pass_extra: "",
    }
    .render();
    let code = format!(
        "\n/**\n * Backfill generated by convex-migrate: copies `{t}.{f}` into the `{i}` table, {BATCH_SIZE} documents of\n * `{t}` per batch; each batch schedules the next. Run: {run}\n */\n{function}\n",
        t = split.table,
        f = split.field,
        i = split.into,
        run = RunCommand::new(&reference),
    );
    Some(Fix {
        title: format!("Generate backfill `{name}` copying `{}.{}` into `{}`", split.table, split.field, split.into),
        kind: FixKind::QuickFix,
        preferred: false,
        edits: vec![add_code(project, &target, &mutation_imports(project, &target.path), code)],
    })
}

/// The verify of a split: pages through the old table and counts documents with values in the old
/// field but no row in the new table; an action loops over the pages and returns `{ scanned, remaining }`.
pub fn split_verify(project: &Project, split: &Split<'_>) -> Option<Fix> {
    if !is_identifier(split.field) || !is_identifier(split.into) {
        return None;
    }
    let target = migrations_target(project);
    let name = free_name(project, target.file, &format!("verify{}", pascal(&[split.into])));
    let page_name = free_name(project, target.file, &format!("{name}Page"));
    let page_ref = internal_ref(project, &target.path, &page_name);
    let (table, into) =
        (serde_json::Value::String(split.table.into()).to_string(), serde_json::Value::String(split.into.into()).to_string());
    let (f, parent, index) = (split.field, &split.parent, split.index());
    let empty = if split.array { format!("doc.{f} === undefined || doc.{f}.length === 0") } else { format!("doc.{f} === undefined") };
    let reference = project.layout.function_reference(&target.path, &name);
    let action =
        verify_action(&name, &page_ref, &format!("`{}` whose `{f}` is not in `{}` yet", split.table, split.into), &reference, true);
    let page = verify_page(
        &page_name,
        &format!("One page of `{name}`: documents of `{}` whose `{f}` has no rows in `{}` yet.", split.table, split.into),
        &table,
        &format!(
            "    let remaining = 0;\n    for (const doc of page) {{\n      if ({empty}) {{\n        continue;\n      }}\n      const row = await ctx.db\n        .query({into})\n        .withIndex(\"{index}\", (q) => q.eq(\"{parent}\", doc._id))\n        .first();\n      if (row === null) {{\n        remaining += 1;\n      }}\n    }}\n"
        ),
    );
    Some(Fix {
        title: format!("Generate verify `{name}` for `{}.{}` → `{}`", split.table, split.field, split.into),
        kind: FixKind::QuickFix,
        preferred: false,
        edits: vec![add_code(project, &target, &verify_imports(project, &target.path), format!("\n{page}{action}"))],
    })
}

/// `<functions dir>/migrations.ts`, where split migrations go (TypeScript).
fn migrations_target(project: &Project) -> Target {
    let path = format!("{}/migrations.ts", project.layout.functions_dir);
    Target { file: project.file_id(&path), path, typescript: true, component: None, declare: None }
}

/// The action that loops over a verify's page query and returns `{ scanned, remaining }`
/// (`what`: what it counts, for its doc comment), typed in TypeScript.
fn verify_action(name: &str, page_ref: &str, what: &str, reference: &str, typescript: bool) -> String {
    let (result_type, page_type, cursor_type) = if typescript {
        (
            ": Promise<{ scanned: number; remaining: number }>",
            ": { scanned: number; remaining: number; isDone: boolean; continueCursor: string }",
            ": string | null",
        )
    } else {
        ("", "", "")
    };
    format!(
        "\n/**\n * Verify generated by convex-migrate: counts the documents of {what}.\n * Run: {run}   (expect `remaining: 0`)\n */\nexport const {name} = internalAction({{\n  args: {{}},\n  handler: async (ctx){result_type} => {{\n    let cursor{cursor_type} = null;\n    let scanned = 0;\n    let remaining = 0;\n    for (;;) {{\n      const result{page_type} = await ctx.runQuery({page_ref}, {{ cursor }});\n      scanned += result.scanned;\n      remaining += result.remaining;\n      if (result.isDone) {{\n        return {{ scanned, remaining }};\n      }}\n      cursor = result.continueCursor;\n    }}\n  }},\n}});\n",
        run = RunCommand::new(reference),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_defaults() {
        assert_eq!(pascal(&["users", "isPro"]), "UsersIsPro");
        assert_eq!(pascal(&["post_tags", "role"]), "PostTagsRole");
        let lit = |s: &str| Validator::Literal(Literal::String(s.into()));
        assert_eq!(default_value(&Validator::Union(vec![lit("admin"), lit("member")])).as_deref(), Some("\"admin\""));
        assert_eq!(default_value(&Validator::nullable(Validator::String)).as_deref(), Some("null"));
        assert_eq!(default_value(&Validator::Array(Box::new(Validator::Number))).as_deref(), Some("[]"));
        assert_eq!(default_value(&Validator::Int64).as_deref(), Some("0n"));
        assert_eq!(default_value(&Validator::Id("teams".into())), None);
        assert_eq!(default_value(&Validator::Object(Vec::new())), None);
    }
}

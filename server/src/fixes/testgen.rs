//! The checklist's "Test the migration on sample data" step: a convex-test test that seeds documents
//! in the old shape, runs a backfill to completion, runs its verify, and checks that every document
//! fits the narrowed field. Rendered with codegen's helpers, as an edit; nothing here writes files.

use crate::analysis::backfill::Goal;
use crate::fixes::codegen::{default_value, generated, internal_ref, is_identifier, BATCH_SIZE};
use crate::fixes::{FileEdit, Fix, FixKind};
use crate::model::value::{SymRef, Value};
use crate::project::{Function, FunctionKind, Project, Table};

/// How many documents the test seeds: more than two batches of [`BATCH_SIZE`] (the batch size of
/// the generated backfills, and the default of `migrations.define`), so that a backfill that stops
/// after one batch, or does not pass its cursor on, fails the test.
pub const SAMPLE_DOCUMENTS: u32 = 2 * BATCH_SIZE + BATCH_SIZE / 2;

/// The dev dependencies a convex-test test needs: the runner, the test backend, and the edge
/// runtime that the test asks for (`@vitest-environment edge-runtime`), as the Convex docs set it up.
pub const TEST_PACKAGES: [&str; 3] = ["vitest", "convex-test", "@edge-runtime/vm"];

/// How the test starts a backfill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runner {
    /// A mutation (hand-written style) called with `{}`: its first batch runs, and the batches it
    /// schedules run under fake timers.
    Mutation,
    /// `migrations.define` of `@convex-dev/migrations`: the component, registered from
    /// `@convex-dev/migrations/test`, runs its batches through its own scheduled functions. Called
    /// by its own name, as `npx convex run migrations:NAME` does.
    Component,
}

/// A convex-test test for a migration of `table.field`, next to the migrations
/// (`<functions dir>/migrations.test.ts`, or `.js` in a JS project; `<backfill>.test.ts`,
/// `<backfill>2.test.ts`, … when taken): seeds [`SAMPLE_DOCUMENTS`] documents in the old shape,
/// runs the backfill to completion, runs the verify (if given) before and after and asserts
/// `remaining` (all of them, then 0), and asserts that every document fits the narrowed field
/// (filled: defined, and accepted by the table's validator with the field required; unset: absent,
/// and accepted by the table's validator without it).
///
/// `None` when the test could not be written so that it type-checks and means something:
/// - `field` is not an identifier, or the table's fields are not all known (a union of objects,
///   fields spread in from a package): the seeded documents could not be written;
/// - `field` is not optional in the working schema (not widened yet, or already narrowed), or is
///   gone from it (a removed field must be put back as optional first): old-shape documents do
///   not type-check;
/// - another required field of the table, or the removed field itself, has no default value
///   (`v.id`, objects, records, `v.any()`), or the narrowed validator is not fully known;
/// - the backfill needs arguments (the generated one for `v.id` or object fields takes the value),
///   is neither a mutation nor a `migrations.define` migration (convex-helpers `makeMigration`
///   needs its own runner), or its module path is not made of identifiers;
/// - the project has no `schema.ts`/`schema.js` in its functions folder.
///
/// A verify that needs arguments, or is not a query or an action, is left out of the test.
///
/// `siblings`: other optional fields of the table being made required too (their own backfills):
/// seeded as well, so that the test still type-checks once one of them is narrowed before this
/// migration's code goes.
#[allow(clippy::too_many_arguments)]
pub fn migration_test(
    project: &Project,
    table: &Table,
    field: &str,
    goal: Goal,
    backfill: &Function,
    verify: Option<&Function>,
    value: Option<&str>,
    siblings: &[&str],
) -> Option<Fix> {
    if !is_identifier(field) || !table.is_fully_known() {
        return None;
    }
    let widened = table.field(field).filter(|f| f.validator.is_optional())?;
    let narrowed_validator = match goal {
        Goal::Fill if widened.validator.required().has_unknown() => return None,
        Goal::Fill => Some(widened.validator.required().to_string()),
        Goal::Unset => None,
    };
    // What the backfill writes: the test expects exactly that (a derived value computed from the
    // seeded document, the same expression).
    let chosen = match goal {
        Goal::Fill => Some(crate::fixes::codegen::choose(widened.validator.required(), value)?),
        Goal::Unset => None,
    };
    let reads: Vec<String> = chosen.as_ref().map(|c| c.reads.clone()).unwrap_or_default();
    let typescript = project.file_id(&format!("{}/schema.js", project.layout.functions_dir)).is_none();
    // The old shape: every other required field (and every field the value is derived from) at
    // a realistic sample value; the field absent (every fourth document: already set, to a value
    // that must be kept), or, for a field being removed, present.
    let mut seed: Vec<String> = Vec::new();
    for f in &table.fields {
        let sample = sample_value(&f.name, f.validator.required(), typescript);
        if f.name == field {
            match goal {
                Goal::Fill => continue,
                Goal::Unset => seed.push(format!("{}: {}", key(&f.name), sample?)),
            }
        } else if !f.validator.is_optional() || reads.contains(&f.name) {
            seed.push(format!("{}: {}", key(&f.name), sample?));
        } else if siblings.contains(&f.name.as_str()) {
            // A field on its way to required too: seeded when a sample can be written (an id or
            // an object cannot), so the test still type-checks once that one is narrowed first.
            if let Some(sample) = sample {
                seed.push(format!("{}: {sample}", key(&f.name)));
            }
        }
    }
    let kept = match goal {
        Goal::Fill => Some(sample_value(field, widened.validator.required(), typescript)?),
        Goal::Unset => None,
    };
    let runner = runner(project, backfill)?;
    let backfill_ref = function_ref(project, backfill)?;
    let verify = verify.and_then(|f| Some((f, call_kind(project, f)?, function_ref(project, f)?)));

    let dir = &project.layout.functions_dir;
    // The test imports the schema from `./schema`.
    project.file_id(&format!("{dir}/schema.{}", if typescript { "ts" } else { "js" }))?;
    let path = test_path(project, typescript, &backfill.name);

    let api_module = generated(project, &path, "api");
    let table_lit = serde_json::Value::String(table.name.clone()).to_string();
    let table_key = key(&table.name);
    let table_def =
        if is_identifier(&table.name) { format!("schema.tables.{}", table.name) } else { format!("schema.tables[{table_lit}]") };
    let name = &backfill.name;
    let run = crate::analysis::command::run_of(backfill).ok()?;
    let call_args = run.args.clone().unwrap_or_else(|| "{}".into());
    let field_key = key(field);
    let any = if typescript { ": any" } else { "" };

    let mut out = header(typescript);
    let (old_shape, narrowed_name, fits) = match goal {
        Goal::Fill => (
            format!("without `{field}`; every fourth already has one, which must be kept"),
            format!("`{field}` required"),
            format!("every document has the value the backfill writes, and fits the schema with `{field}` required"),
        ),
        Goal::Unset => (
            format!("with `{field}`"),
            format!("`{field}` removed"),
            format!("no document has `{field}`, and the schema without it accepts them all"),
        ),
    };
    out.push_str(&format!(
        "/**\n * {GENERATED}: the migration of `{table}.{field}` on sample data, before it\n * runs on a deployment.\n * 1. Seeds {SAMPLE_DOCUMENTS} documents of `{table}` in the old shape ({old_shape}).\n * 2. Runs `{name}` to completion.\n",
        table = table.name,
    ));
    let mut step = 3;
    if let Some((f, ..)) = &verify {
        out.push_str(&format!(" * {step}. Checks that `{}` counts what is left before, and none after.\n", f.name));
        step += 1;
    }
    out.push_str(&format!(" * {step}. Checks that {fits}.\n * Run: npx vitest run {path}\n */\n"));
    out.push_str(&imports(runner, goal == Goal::Fill, &backfill_ref, verify.as_ref().map(|(_, _, r)| r.as_str()), &api_module));
    out.push_str(&preamble());

    let title = match goal {
        Goal::Fill => format!("{name} sets `{field}` on every document of `{}`", table.name),
        Goal::Unset => format!("{name} removes `{field}` from every document of `{}`", table.name),
    };
    out.push_str(&format!("test({}, async () => {{\n", serde_json::Value::String(title)));
    out.push_str(&start(project, runner));
    let seed = if seed.is_empty() { String::new() } else { seed.join(", ") };
    let preset = match &kept {
        Some(kept) => format!("{}...(i % 4 === 3 ? {{ {field_key}: {kept} }} : {{}})", if seed.is_empty() { "" } else { ", " }),
        None => String::new(),
    };
    out.push_str(&format!(
        "  // Documents as the deployed code wrote them: {old_shape}.\n  const seeded = await t.run(async (ctx) => {{\n    const docs = [];\n    for (let i = 0; i < COUNT; i++) {{\n      const doc = {{ {seed}{preset} }};\n      docs.push({{ ...doc, _id: await ctx.db.insert({table_lit}, doc) }});\n    }}\n    return docs;\n  }});\n"
    ));
    let left = match goal {
        Goal::Fill => format!("seeded.filter((doc) => doc.{field} === undefined).length"),
        Goal::Unset => "COUNT".to_string(),
    };
    let verify_call = verify.as_ref().map(|(_, kind, r)| format!("await t.{kind}({r}, {{}})"));
    if let Some(call) = &verify_call {
        out.push_str(&format!("  expect({call}).toMatchObject({{ remaining: {left} }});\n"));
    }
    let how = match runner {
        Runner::Mutation => "every batch it schedules",
        Runner::Component => "every batch the component schedules",
    };
    out.push_str(&format!(
        "\n  // Start the backfill as `{run}` does, then run\n  // {how}.\n  await t.mutation({backfill_ref}, {call_args});\n  await t.finishAllScheduledFunctions(vi.runAllTimers);\n\n"
    ));
    if let Some(call) = &verify_call {
        out.push_str(&format!("  expect({call}).toMatchObject({{ remaining: 0 }});\n"));
    }
    out.push_str(&format!(
        "  const docs = await t.run((ctx) => ctx.db.query({table_lit}).collect());\n  expect(docs).toHaveLength(COUNT);\n"
    ));
    // The value expected: the one chosen (`--default`), else what the backfill itself writes (its
    // own expression, of its own document variable); a placeholder asserts nothing.
    let expected = match (value, &chosen) {
        (Some(_), Some(c)) => Some(("doc".to_string(), c.code.clone())),
        _ => written_by(project, backfill, field),
    };
    if let Some((var, code)) = expected.filter(|_| goal == Goal::Fill) {
        // A parameter the value does not read is `_`-named (no unused-parameter error).
        let var = if crate::syntax::mentions_name(&code, &var) { var } else { format!("_{var}") };
        out.push_str(&format!(
            "  // What the backfill writes, from the document as it was seeded; a value already set is kept.\n  const written = ({var}{any}) => ({code});\n  const before = new Map(seeded.map((doc) => [doc._id, doc]));\n  for (const doc of docs) {{\n    const old = before.get(doc._id){};\n    expect(doc.{field}).toEqual(old.{field} !== undefined ? old.{field} : written(old));\n  }}\n",
            if typescript { "!" } else { "" },
        ));
    }
    out.push_str(&format!(
        "  // The schema with {narrowed_name} (the second deploy) accepts every document: convex-test\n  // validates each insert.\n"
    ));
    match (goal, &narrowed_validator) {
        (Goal::Fill, Some(validator)) => {
            out.push_str(&format!(
                "  const narrowed = defineSchema({{\n    {table_key}: defineTable({table_def}.validator.extend({{ {field_key}: {validator} }})),\n  }});\n  await convexTest(narrowed, modules).run(async (ctx) => {{\n    for (const {{ _id, _creationTime, {field_key}: value, ...rest }} of docs) {{\n      assert.isDefined(value, \"a document of `{}` still lacks `{field}`\");\n      await ctx.db.insert({table_lit}, {{ ...rest, {field_key}: value }});\n    }}\n  }});\n",
                table.name
            ));
        }
        _ => {
            let field_lit = serde_json::Value::String(field.to_string());
            out.push_str(&format!(
                "  const narrowed = defineSchema({{\n    {table_key}: defineTable({table_def}.validator.omit({field_lit})),\n  }});\n  await convexTest(narrowed, modules).run(async (ctx) => {{\n    for (const {{ _id, _creationTime, ...doc }} of docs) {{\n      expect(doc).not.toHaveProperty({field_lit});\n      await ctx.db.insert({table_lit}, doc);\n    }}\n  }});\n"
            ));
        }
    }
    out.push_str("});\n");

    Some(Fix {
        title: format!("Generate test of `{name}` for `{}.{field}` on {SAMPLE_DOCUMENTS} sample documents in {path}", table.name),
        kind: FixKind::Refactor,
        preferred: false,
        edits: vec![FileEdit::create(path, out)],
    })
}

/// A convex-test test of a value-mapping migration (`plan narrow`): seeds documents holding every
/// value of the union (the removed ones included), runs the migration, and checks that each
/// removed value became the one it maps to, the others kept, the verify counting them before and
/// none after, and that the narrowed union accepts every document.
pub fn mapping_test(
    project: &Project,
    table: &Table,
    field: &str,
    migration: &Function,
    verify: Option<&Function>,
    map: &[(crate::model::validator::Literal, crate::model::validator::Literal)],
    narrowed: &crate::model::validator::Validator,
) -> Option<Fix> {
    if !is_identifier(field) || !table.is_fully_known() || map.is_empty() {
        return None;
    }
    let f = table.field(field)?;
    let values = f.validator.literals()?;
    let typescript = project.file_id(&format!("{}/schema.js", project.layout.functions_dir)).is_none();
    let mut seed: Vec<String> = Vec::new();
    for other in table.fields.iter().filter(|o| o.name != field && !o.validator.is_optional()) {
        seed.push(format!("{}: {}", key(&other.name), sample_value(&other.name, other.validator.required(), typescript)?));
    }
    let runner = runner(project, migration)?;
    let migration_ref = function_ref(project, migration)?;
    let verify = verify.and_then(|f| Some((f, call_kind(project, f)?, function_ref(project, f)?)));
    let dir = &project.layout.functions_dir;
    project.file_id(&format!("{dir}/schema.{}", if typescript { "ts" } else { "js" }))?;
    let path = test_path(project, typescript, &migration.name);
    let api_module = generated(project, &path, "api");
    let table_lit = serde_json::Value::String(table.name.clone()).to_string();
    let table_key = key(&table.name);
    let table_def =
        if is_identifier(&table.name) { format!("schema.tables.{}", table.name) } else { format!("schema.tables[{table_lit}]") };
    let field_key = key(field);
    let name = &migration.name;
    let list = values.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    let mapping = map.iter().map(|(a, b)| format!("{a}: {b}")).collect::<Vec<_>>().join(", ");
    let removed = map.iter().map(|(a, _)| a.to_string()).collect::<Vec<_>>().join(", ");
    let as_const = if typescript { " as const" } else { "" };
    let lookup = if typescript { "(MAP as Record<string, unknown>)" } else { "MAP" };

    let mut out = header(typescript);
    out.push_str(&format!(
        "/**\n * {GENERATED}: the narrowing of `{table}.{field}` on sample data, before it runs on\n * a deployment.\n * 1. Seeds {SAMPLE_DOCUMENTS} documents of `{table}` holding each of {list} in turn.\n * 2. Runs `{name}` to completion.\n * 3. Checks that each of {removed} became the value it maps to, and every other value is kept.\n * 4. Checks that the narrowed union accepts every document.\n * Run: npx vitest run {path}\n */\n",
        table = table.name,
    ));
    out.push_str(&imports(runner, true, &migration_ref, verify.as_ref().map(|(_, _, r)| r.as_str()), &api_module));
    out.push_str(&preamble());
    out.push_str(&format!("/** The values documents may hold, and what the removed ones become. */\nconst VALUES = [{list}]{as_const};\nconst MAP = {{ {mapping} }}{as_const};\n\n"));
    out.push_str(&format!(
        "test({}, async () => {{\n",
        serde_json::Value::String(format!("{name} maps {removed} in `{}.{field}`", table.name))
    ));
    out.push_str(&start(project, runner));
    let seed = if seed.is_empty() { String::new() } else { format!("{}, ", seed.join(", ")) };
    out.push_str(&format!(
        "  const seeded = await t.run(async (ctx) => {{\n    const docs = [];\n    for (let i = 0; i < COUNT; i++) {{\n      const doc = {{ {seed}{field_key}: VALUES[i % VALUES.length] }};\n      docs.push({{ ...doc, _id: await ctx.db.insert({table_lit}, doc) }});\n    }}\n    return docs;\n  }});\n"
    ));
    let verify_call = verify.as_ref().map(|(_, kind, r)| format!("await t.{kind}({r}, {{}})"));
    if let Some(call) = &verify_call {
        out.push_str(&format!("  const holding = seeded.filter((doc) => doc.{field} in MAP).length;\n  expect({call}).toMatchObject({{ remaining: holding }});\n"));
    }
    let call_args = crate::analysis::command::run_of(migration).ok()?.args.unwrap_or_else(|| "{}".into());
    out.push_str(&format!(
        "\n  await t.mutation({migration_ref}, {call_args});\n  await t.finishAllScheduledFunctions(vi.runAllTimers);\n\n"
    ));
    if let Some(call) = &verify_call {
        out.push_str(&format!("  expect({call}).toMatchObject({{ remaining: 0 }});\n"));
    }
    out.push_str(&format!(
        "  const docs = await t.run((ctx) => ctx.db.query({table_lit}).collect());\n  expect(docs).toHaveLength(COUNT);\n  const before = new Map(seeded.map((doc) => [doc._id, doc]));\n  for (const doc of docs) {{\n    const old = before.get(doc._id){bang}.{field};\n    expect(doc.{field}).toEqual(old in MAP ? {lookup}[old] : old);\n  }}\n",
        bang = if typescript { "!" } else { "" },
    ));
    // Each removed value is ruled out by a test that TypeScript narrows on, so the document's type
    // is the narrowed schema's when it is inserted there.
    let rule_out: String = map
        .iter()
        .map(|(a, _)| {
            let message = serde_json::Value::String(format!("a document of `{}` still holds {a}", table.name));
            format!("      if (value === {a}) throw new Error({message});\n")
        })
        .collect();
    out.push_str(&format!(
        "  const narrowed = defineSchema({{\n    {table_key}: defineTable({table_def}.validator.extend({{ {field_key}: {narrowed} }})),\n  }});\n  await convexTest(narrowed, modules).run(async (ctx) => {{\n    for (const {{ _id, _creationTime, {field_key}: value, ...rest }} of docs) {{\n{rule_out}      await ctx.db.insert({table_lit}, {{ ...rest, {field_key}: value }});\n    }}\n  }});\n}});\n"
    ));
    Some(Fix {
        title: format!("Generate test of `{name}` for `{}.{field}` on {SAMPLE_DOCUMENTS} sample documents in {path}", table.name),
        kind: FixKind::Refactor,
        preferred: false,
        edits: vec![FileEdit::create(path, out)],
    })
}

/// What `backfill` writes to `field`, as its own code: the parameter to name the document by (its
/// loop variable, or `doc`) and the expression; `None` when it is not one expression of the
/// document (an argument, a value computed elsewhere).
fn written_by(project: &Project, backfill: &Function, field: &str) -> Option<(String, String)> {
    let file = project.file(backfill.file);
    let var = backfill.loops.first().map(|l| l.var.clone()).unwrap_or_else(|| "doc".to_string());
    let patched = backfill.writes.iter().filter(|w| w.file == backfill.file).find_map(|w| w.item.object.as_ref()?.field(field));
    let returned = || backfill.returns.iter().filter(|r| r.file == backfill.file).find_map(|r| r.item.field(field));
    let written = patched.or_else(returned)?;
    let code = file.text.get(written.value_range.as_usize_range())?.trim().to_string();
    let free = |code: &str| !code.contains("args.") && !code.contains("await ") && code != "undefined" && !code.contains("CHOOSE ONE:");
    free(&code).then_some((var, code))
}

/// The marker every generated test carries (the plan deletes a test holding it with its migration).
const GENERATED: &str = "Test generated by convex-migrate";

fn header(typescript: bool) -> String {
    let mut out = String::new();
    if typescript {
        out.push_str("/// <reference types=\"vite/client\" />\n");
    }
    out.push_str("// @vitest-environment edge-runtime\n");
    out
}

fn imports(runner: Runner, values: bool, backfill_ref: &str, verify_ref: Option<&str>, api_module: &str) -> String {
    let mut out = String::new();
    if runner == Runner::Component {
        out.push_str("import migrationsTest from \"@convex-dev/migrations/test\";\n");
    }
    out.push_str("import { convexTest } from \"convex-test\";\n");
    out.push_str("import { defineSchema, defineTable } from \"convex/server\";\n");
    if values {
        out.push_str("import { v } from \"convex/values\";\n");
    }
    let vitest = if values { "afterEach, assert, beforeEach, expect, test, vi" } else { "afterEach, beforeEach, expect, test, vi" };
    out.push_str(&format!("import {{ {vitest} }} from \"vitest\";\n"));
    let mut roots: Vec<&str> = Vec::new();
    for r in std::iter::once(backfill_ref).chain(verify_ref) {
        let root = if r.starts_with("internal.") { "internal" } else { "api" };
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    roots.sort_unstable();
    out.push_str(&format!("import {{ {} }} from \"{api_module}\";\n", roots.join(", ")));
    out.push_str("import schema from \"./schema\";\n\n");
    out
}

fn preamble() -> String {
    format!(
        "const modules = import.meta.glob(\"./**/*.*s\");\n\n/** More than two batches of {BATCH_SIZE}: a backfill that stops after one batch fails. */\nconst COUNT = {SAMPLE_DOCUMENTS};\n\nbeforeEach(() => {{\n  vi.useFakeTimers();\n}});\nafterEach(() => {{\n  vi.useRealTimers();\n}});\n\n"
    )
}

fn start(project: &Project, runner: Runner) -> String {
    let mut out = String::from("  const t = convexTest(schema, modules);\n");
    if runner == Runner::Component {
        // Under the name convex.config.ts gives it (`register`'s default is "migrations").
        let name = match project.migrations.installed.as_deref() {
            Some(name) if name != "migrations" => serde_json::Value::String(name.to_string()).to_string(),
            _ => String::new(),
        };
        let comma = if name.is_empty() { "" } else { ", " };
        out.push_str(&format!(
            "  // The @convex-dev/migrations component, as convex.config.ts installs it.\n  migrationsTest.register(t{comma}{name});\n"
        ));
    }
    out
}

/// A realistic value for a seeded document's field, varying with the loop's `i`: names with a
/// first and a last name, `i` for numbers, alternating booleans, each literal of a union in turn.
/// `None` when none can be written (`v.id`, objects, records, `v.any()`).
fn sample_value(name: &str, validator: &crate::model::validator::Validator, typescript: bool) -> Option<String> {
    use crate::model::validator::Validator as V;
    Some(match validator {
        V::String if name.to_ascii_lowercase().contains("email") => "`user${i}@example.com`".to_string(),
        V::String => "[\"Ada Lovelace\", \"Grace Hopper\", \"Alan Turing\", \"Katherine Johnson\"][i % 4]".to_string(),
        V::Number => "i".to_string(),
        V::Int64 => "BigInt(i)".to_string(),
        V::Boolean => "i % 2 === 0".to_string(),
        V::Union(members) if members.len() > 1 && members.iter().all(|m| matches!(m, V::Literal(_))) => {
            let list = members.iter().filter_map(|m| if let V::Literal(l) = m { Some(l.to_string()) } else { None }).collect::<Vec<_>>();
            let as_const = if typescript { " as const" } else { "" };
            format!("([{}]{as_const})[i % {}]", list.join(", "), list.len())
        }
        other => default_value(other)?,
    })
}

/// How the test can start `backfill`, if it can: a mutation whose required arguments all accept `null`, or
/// a `migrations.define` migration.
fn runner(project: &Project, backfill: &Function) -> Option<Runner> {
    let def = project.file(backfill.file).model.functions.iter().find(|d| d.name_range == backfill.loc.range)?;
    match backfill.kind {
        FunctionKind::Mutation if crate::analysis::command::run_of(backfill).is_ok() => Some(Runner::Mutation),
        FunctionKind::Migration => match &def.builder {
            Value::Ref(SymRef::Member(_, method)) if method == "define" => Some(Runner::Component),
            _ => None,
        },
        _ => None,
    }
}

/// `query` or `action` for a verify function the test can call with `{}`.
fn call_kind(project: &Project, verify: &Function) -> Option<&'static str> {
    let def = project.file(verify.file).model.functions.iter().find(|d| d.name_range == verify.loc.range)?;
    if !def.args.values().all(|v| v.is_optional()) {
        return None;
    }
    match verify.kind {
        FunctionKind::Query => Some("query"),
        FunctionKind::Action => Some("action"),
        _ => None,
    }
}

/// `internal.migrations.backfillUsersRole` (or `api.…` for a public function), when every part
/// of it is an identifier.
fn function_ref(project: &Project, function: &Function) -> Option<String> {
    let internal = internal_ref(project, project.path(function.file), &function.name);
    let rest = internal.strip_prefix("internal.")?;
    if !rest.split('.').all(is_identifier) {
        return None;
    }
    Some(if function.internal { internal } else { format!("api.{rest}") })
}

/// An object key: the name itself, or quoted when it is not an identifier.
fn key(name: &str) -> String {
    if is_identifier(name) {
        name.to_string()
    } else {
        serde_json::Value::String(name.to_string()).to_string()
    }
}

/// `<dir>/migrations.test.ts`, else `<dir>/<backfill>.test.ts`, `<dir>/<backfill>2.test.ts`, …:
/// the first that the project does not have (with either extension).
fn test_path(project: &Project, typescript: bool, backfill: &str) -> String {
    let dir = &project.layout.functions_dir;
    let ext = if typescript { "ts" } else { "js" };
    let taken = |stem: &str| ["ts", "js"].iter().any(|e| project.file_id(&format!("{dir}/{stem}.test.{e}")).is_some());
    let stem = std::iter::once("migrations".to_string())
        .chain(std::iter::once(backfill.to_string()))
        .chain((2..).map(|n| format!("{backfill}{n}")))
        .find(|stem| !taken(stem))
        .unwrap_or_else(|| backfill.to_string());
    format!("{dir}/{stem}.test.{ext}")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::analysis::Revision;
    use crate::fixes::codegen;
    use crate::project::{Layout, SourceFile};

    fn project(files: &[(&str, &str)]) -> Revision {
        Revision::new(Project::build(Layout::default(), files.iter().map(|(p, t)| SourceFile::new(p.to_string(), Arc::from(*t))).collect()))
    }

    /// The project after applying a fix (files created or edited).
    fn with_fix(files: &[(&str, &str)], fix: &Fix) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
        for file in &fix.edits {
            match out.iter_mut().find(|(p, _)| *p == file.path) {
                Some((_, text)) => *text = crate::fixes::apply(text, &file.edits),
                None => out.push((file.path.clone(), crate::fixes::apply("", &file.edits))),
            }
        }
        out
    }

    const SCHEMA: &str = r#"import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  users: defineTable({
    // Deprecated: kept optional until a migration unsets it everywhere, then removed.
    isPro: v.optional(v.boolean()),
    name: v.string(),
    loginCount: v.number(),
    nickname: v.optional(v.string()),
    role: v.optional(v.union(v.literal("member"), v.literal("admin"))),
    teamId: v.optional(v.id("teams")),
  }),
  teams: defineTable({ name: v.string() }),
});
"#;

    /// The schema, with the migrations codegen writes for `fields` (fill) and `unset`.
    fn generated_project(schema: &str, extra: &[(&str, &str)], fields: &[&str], unset: &[&str]) -> Vec<(String, String)> {
        generated_project_at("convex/schema.ts", schema, extra, fields, unset)
    }

    fn generated_project_at(
        schema_path: &str,
        schema: &str,
        extra: &[(&str, &str)],
        fields: &[&str],
        unset: &[&str],
    ) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = vec![(schema_path.into(), schema.into())];
        files.extend(extra.iter().map(|(p, t)| (p.to_string(), t.to_string())));
        let goals = fields.iter().map(|f| (*f, Goal::Fill)).chain(unset.iter().map(|f| (*f, Goal::Unset)));
        for (field, goal) in goals {
            for make in [0, 1] {
                let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
                let p = project(&borrowed);
                let table = p.schema.as_ref().unwrap().table("users").unwrap();
                let validator = table.field(field).unwrap().validator.required().clone();
                let value = (field == "role").then_some("member");
                let fix = if make == 0 {
                    codegen::backfill_with(&p, table, field, &validator, goal, value).unwrap()
                } else {
                    codegen::verify(&p, table, field, goal).unwrap()
                };
                files = with_fix(&borrowed, &fix);
            }
        }
        files
    }

    fn render(files: &[(String, String)], field: &str, goal: Goal) -> Option<Fix> {
        let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        let p = project(&borrowed);
        let table = p.schema.as_ref().unwrap().table("users").unwrap();
        let backfill = *p.backfills("users", field, goal).first().expect("a backfill");
        let verify = p.verifies("users", field).first().copied();
        migration_test(&p, table, field, goal, backfill, verify, None, &[])
    }

    fn text(fix: &Fix) -> (&str, &str) {
        assert_eq!(fix.edits.len(), 1);
        let edit = &fix.edits[0];
        assert!(edit.create);
        (&edit.path, &edit.edits[0].new_text)
    }

    #[test]
    fn fill_hand_written() {
        let files = generated_project(SCHEMA, &[], &["role"], &[]);
        let fix = render(&files, "role", Goal::Fill).unwrap();
        let (path, text) = text(&fix);
        assert_eq!(path, "convex/migrations.test.ts");
        assert_eq!(fix.title, "Generate test of `backfillUsersRole` for `users.role` on 250 sample documents in convex/migrations.test.ts");
        let expected = r#"/// <reference types="vite/client" />
// @vitest-environment edge-runtime
/**
 * Test generated by convex-migrate: the migration of `users.role` on sample data, before it
 * runs on a deployment.
 * 1. Seeds 250 documents of `users` in the old shape (without `role`; every fourth already has one, which must be kept).
 * 2. Runs `backfillUsersRole` to completion.
 * 3. Checks that `verifyUsersRole` counts what is left before, and none after.
 * 4. Checks that every document has the value the backfill writes, and fits the schema with `role` required.
 * Run: npx vitest run convex/migrations.test.ts
 */
import { convexTest } from "convex-test";
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { afterEach, assert, beforeEach, expect, test, vi } from "vitest";
import { internal } from "./_generated/api";
import schema from "./schema";

const modules = import.meta.glob("./**/*.*s");

/** More than two batches of 100: a backfill that stops after one batch fails. */
const COUNT = 250;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

test("backfillUsersRole sets `role` on every document of `users`", async () => {
  const t = convexTest(schema, modules);
  // Documents as the deployed code wrote them: without `role`; every fourth already has one, which must be kept.
  const seeded = await t.run(async (ctx) => {
    const docs = [];
    for (let i = 0; i < COUNT; i++) {
      const doc = { name: ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson"][i % 4], loginCount: i, ...(i % 4 === 3 ? { role: (["member", "admin"] as const)[i % 2] } : {}) };
      docs.push({ ...doc, _id: await ctx.db.insert("users", doc) });
    }
    return docs;
  });
  expect(await t.action(internal.migrations.verifyUsersRole, {})).toMatchObject({ remaining: seeded.filter((doc) => doc.role === undefined).length });

  // Start the backfill as `npx convex run migrations:backfillUsersRole` does, then run
  // every batch it schedules.
  await t.mutation(internal.migrations.backfillUsersRole, {});
  await t.finishAllScheduledFunctions(vi.runAllTimers);

  expect(await t.action(internal.migrations.verifyUsersRole, {})).toMatchObject({ remaining: 0 });
  const docs = await t.run((ctx) => ctx.db.query("users").collect());
  expect(docs).toHaveLength(COUNT);
  // What the backfill writes, from the document as it was seeded; a value already set is kept.
  const written = (_doc: any) => ("member");
  const before = new Map(seeded.map((doc) => [doc._id, doc]));
  for (const doc of docs) {
    const old = before.get(doc._id)!;
    expect(doc.role).toEqual(old.role !== undefined ? old.role : written(old));
  }
  // The schema with `role` required (the second deploy) accepts every document: convex-test
  // validates each insert.
  const narrowed = defineSchema({
    users: defineTable(schema.tables.users.validator.extend({ role: v.union(v.literal("member"), v.literal("admin")) })),
  });
  await convexTest(narrowed, modules).run(async (ctx) => {
    for (const { _id, _creationTime, role: value, ...rest } of docs) {
      assert.isDefined(value, "a document of `users` still lacks `role`");
      await ctx.db.insert("users", { ...rest, role: value });
    }
  });
});
"#;
        assert_eq!(text, expected, "\n{text}");
        // The generated test parses as TypeScript.
        let model = crate::model::FileModel::build(path, text);
        assert!(model.parsed && model.errors.is_empty(), "{:?}", model.errors);
    }

    #[test]
    fn unset_hand_written() {
        let files = generated_project(SCHEMA, &[], &[], &["isPro"]);
        let fix = render(&files, "isPro", Goal::Unset).unwrap();
        let (path, text) = text(&fix);
        assert_eq!(path, "convex/migrations.test.ts");
        for expected in [
            "// Documents as the deployed code wrote them: with `isPro`.",
            r#"const doc = { isPro: i % 2 === 0, name: ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson"][i % 4], loginCount: i };"#,
            "expect(await t.action(internal.migrations.verifyUsersIsPro, {})).toMatchObject({ remaining: 0 });",
            "await t.mutation(internal.migrations.unsetUsersIsPro, {});",
            r#"users: defineTable(schema.tables.users.validator.omit("isPro")),"#,
            r#"expect(doc).not.toHaveProperty("isPro");"#,
            r#"test("unsetUsersIsPro removes `isPro` from every document of `users`", async () => {"#,
            "import { afterEach, beforeEach, expect, test, vi } from \"vitest\";",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        assert!(!text.contains("convex/values"), "no validator to import for an unset test:\n{text}");
        assert!(crate::model::FileModel::build(path, text).errors.is_empty());
    }

    const COMPONENT: (&str, &str) = (
        "convex/migrations.ts",
        r#"import { Migrations } from "@convex-dev/migrations";
import { components } from "./_generated/api";
import type { DataModel } from "./_generated/dataModel";

export const migrations = new Migrations<DataModel>(components.migrations);
export const run = migrations.runner();
"#,
    );

    #[test]
    fn fill_and_unset_with_the_component() {
        let files = generated_project(SCHEMA, &[COMPONENT], &["nickname"], &["isPro"]);
        let fix = render(&files, "nickname", Goal::Fill).unwrap();
        let (path, text) = text(&fix);
        assert_eq!(path, "convex/migrations.test.ts");
        for expected in [
            "import migrationsTest from \"@convex-dev/migrations/test\";\nimport { convexTest } from \"convex-test\";",
            "  const t = convexTest(schema, modules);\n  // The @convex-dev/migrations component, as convex.config.ts installs it.\n  migrationsTest.register(t);\n",
            "// Start the backfill as `npx convex run migrations:backfillUsersNickname` does, then run\n  // every batch the component schedules.\n  await t.mutation(internal.migrations.backfillUsersNickname, {});\n  await t.finishAllScheduledFunctions(vi.runAllTimers);",
            "validator.extend({ nickname: v.string() })",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        let unset = render(&files, "isPro", Goal::Unset).unwrap();
        assert!(text_of(&unset).contains("migrationsTest.register(t);"));
        assert!(text_of(&unset).contains("await t.mutation(internal.migrations.unsetUsersIsPro, {});"));
    }

    fn text_of(fix: &Fix) -> &str {
        &fix.edits[0].edits[0].new_text
    }

    #[test]
    fn a_free_name_when_migrations_test_exists() {
        let files = generated_project(SCHEMA, &[("convex/migrations.test.ts", "// someone's tests\n")], &["role"], &[]);
        let fix = render(&files, "role", Goal::Fill).unwrap();
        assert_eq!(text(&fix).0, "convex/backfillUsersRole.test.ts");
        let files =
            generated_project(SCHEMA, &[("convex/migrations.test.ts", ""), ("convex/backfillUsersRole.test.ts", "")], &["role"], &[]);
        assert_eq!(text(&render(&files, "role", Goal::Fill).unwrap()).0, "convex/backfillUsersRole2.test.ts");
    }

    #[test]
    fn javascript_project() {
        let files = generated_project_at("convex/schema.js", SCHEMA, &[], &["role"], &[]);
        assert!(files.iter().any(|(p, _)| p == "convex/migrations.js"));
        let fix = render(&files, "role", Goal::Fill).unwrap();
        let (path, text) = text(&fix);
        assert_eq!(path, "convex/migrations.test.js");
        assert!(text.starts_with("// @vitest-environment edge-runtime\n"), "{text}");
        assert!(text.contains("import { internal } from \"./_generated/api\";"));
    }

    #[test]
    fn none_when_the_test_could_not_type_check() {
        // The backfill for an id takes the value as an argument.
        let files = generated_project(SCHEMA, &[], &["teamId"], &[]);
        assert!(render(&files, "teamId", Goal::Fill).is_none());
        // A required field without a default: old-shape documents cannot be written.
        let with_required_id = SCHEMA.replace("    name: v.string(),\n", "    name: v.string(),\n    owner: v.id(\"teams\"),\n");
        let files = generated_project(&with_required_id, &[], &["role"], &[]);
        assert!(render(&files, "role", Goal::Fill).is_none());
        // The field is already required in the working schema.
        let files = generated_project(SCHEMA, &[], &["role"], &[]);
        let narrowed: Vec<(String, String)> = files
            .iter()
            .map(|(p, t)| {
                (
                    p.clone(),
                    t.replace(
                        "role: v.optional(v.union(v.literal(\"member\"), v.literal(\"admin\"))),",
                        "role: v.union(v.literal(\"member\"), v.literal(\"admin\")),",
                    ),
                )
            })
            .collect();
        assert!(render(&narrowed, "role", Goal::Fill).is_none());
    }

    #[test]
    fn a_verify_with_required_arguments_is_left_out() {
        let verify = r#"import { v } from "convex/values";
import { query } from "./_generated/server";
export const checkRole = query({
  args: { limit: v.number() },
  handler: async (ctx, args) => {
    const page = await ctx.db.query("users").take(args.limit);
    return { remaining: page.filter((doc) => doc.role === undefined).length };
  },
});
"#;
        let files = generated_project(SCHEMA, &[("convex/checks.ts", verify)], &["role"], &[]);
        let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        let p = project(&borrowed);
        let table = p.schema.as_ref().unwrap().table("users").unwrap();
        let backfill = p.backfills("users", "role", Goal::Fill)[0];
        let check = p.functions.iter().find(|f| f.name == "checkRole").unwrap();
        let fix = migration_test(&p, table, "role", Goal::Fill, backfill, Some(check), None, &[]).unwrap();
        assert!(!text_of(&fix).contains("checkRole"), "{}", text_of(&fix));
        assert!(!text_of(&fix).contains("remaining"), "{}", text_of(&fix));
    }
}

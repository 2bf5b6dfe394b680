//! The checklist's "Test the migration on sample data" step: a convex-test test that seeds documents
//! in the old shape, runs a backfill to completion, runs its verify, and checks that every document
//! fits the narrowed field. Rendered with codegen's helpers, as an edit; nothing here writes files.

use crate::analysis::backfill::Goal;
use crate::fixes::codegen::{default_value, generated, internal_ref, is_identifier, BATCH_SIZE};
use crate::fixes::{FileEdit, Fix, FixKind, TextEdit};
use crate::line_index::TextRange;
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
pub fn migration_test(
    project: &Project,
    table: &Table,
    field: &str,
    goal: Goal,
    backfill: &Function,
    verify: Option<&Function>,
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
    // The old shape: every other required field at its default; the field absent, or (for a field
    // being removed) at its default.
    let mut seed: Vec<String> = Vec::new();
    for f in &table.fields {
        let value = if f.name == field {
            match goal {
                Goal::Fill => continue,
                Goal::Unset => default_value(f.validator.required())?,
            }
        } else if f.validator.is_optional() {
            continue;
        } else {
            default_value(&f.validator)?
        };
        seed.push(format!("{}: {value}", key(&f.name)));
    }
    let runner = runner(project, backfill)?;
    let backfill_ref = function_ref(project, backfill)?;
    let verify = verify.and_then(|f| Some((f, call_kind(project, f)?, function_ref(project, f)?)));

    let dir = &project.layout.functions_dir;
    let typescript = project.file_id(&format!("{dir}/schema.js")).is_none();
    // The test imports the schema from `./schema`.
    project.file_id(&format!("{dir}/schema.{}", if typescript { "ts" } else { "js" }))?;
    let path = test_path(project, typescript, &backfill.name);

    let api_module = generated(project, &path, "api");
    let table_lit = serde_json::Value::String(table.name.clone()).to_string();
    let table_key = key(&table.name);
    let table_def =
        if is_identifier(&table.name) { format!("schema.tables.{}", table.name) } else { format!("schema.tables[{table_lit}]") };
    let name = &backfill.name;
    let run = crate::analysis::command::RunCommand::new(&backfill.reference);

    let mut out = String::new();
    if typescript {
        out.push_str("/// <reference types=\"vite/client\" />\n");
    }
    out.push_str("// @vitest-environment edge-runtime\n");
    let (old_shape, narrowed_name, fits) = match goal {
        Goal::Fill => (
            format!("without `{field}`"),
            format!("`{field}` required"),
            format!("every document has `{field}` and fits the schema with `{field}` required"),
        ),
        Goal::Unset => (
            format!("with `{field}`"),
            format!("`{field}` removed"),
            format!("no document has `{field}`, and the schema without it accepts them all"),
        ),
    };
    out.push_str(&format!(
        "/**\n * Test generated by convex-migrate: the migration of `{table}.{field}` on sample data, before it\n * runs on a deployment.\n * 1. Seeds {SAMPLE_DOCUMENTS} documents of `{table}` in the old shape ({old_shape}).\n * 2. Runs `{name}` to completion.\n",
        table = table.name,
    ));
    let mut step = 3;
    if let Some((f, ..)) = &verify {
        out.push_str(&format!(" * {step}. Checks that `{}` finds none left.\n", f.name));
        step += 1;
    }
    out.push_str(&format!(" * {step}. Checks that {fits}.\n * Run: npx vitest run {path}\n */\n"));
    if runner == Runner::Component {
        out.push_str("import migrationsTest from \"@convex-dev/migrations/test\";\n");
    }
    out.push_str("import { convexTest } from \"convex-test\";\n");
    out.push_str("import { defineSchema, defineTable } from \"convex/server\";\n");
    if goal == Goal::Fill {
        out.push_str("import { v } from \"convex/values\";\n");
    }
    let vitest = match goal {
        Goal::Fill => "afterEach, assert, beforeEach, expect, test, vi",
        Goal::Unset => "afterEach, beforeEach, expect, test, vi",
    };
    out.push_str(&format!("import {{ {vitest} }} from \"vitest\";\n"));
    let mut roots: Vec<&str> = Vec::new();
    for r in std::iter::once(&backfill_ref).chain(verify.as_ref().map(|(_, _, r)| r)) {
        let root = if r.starts_with("internal.") { "internal" } else { "api" };
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    roots.sort_unstable();
    out.push_str(&format!("import {{ {} }} from \"{api_module}\";\n", roots.join(", ")));
    out.push_str("import schema from \"./schema\";\n\n");
    out.push_str("const modules = import.meta.glob(\"./**/*.*s\");\n\n");
    out.push_str(&format!(
        "/** More than two batches of {BATCH_SIZE}: a backfill that stops after one batch fails. */\nconst COUNT = {SAMPLE_DOCUMENTS};\n\n"
    ));
    out.push_str("beforeEach(() => {\n  vi.useFakeTimers();\n});\nafterEach(() => {\n  vi.useRealTimers();\n});\n\n");

    let title = match goal {
        Goal::Fill => format!("{name} sets `{field}` on every document of `{}`", table.name),
        Goal::Unset => format!("{name} removes `{field}` from every document of `{}`", table.name),
    };
    out.push_str(&format!("test({}, async () => {{\n", serde_json::Value::String(title)));
    out.push_str("  const t = convexTest(schema, modules);\n");
    if runner == Runner::Component {
        out.push_str("  // The @convex-dev/migrations component, as convex.config.ts installs it.\n  migrationsTest.register(t);\n");
    }
    let seed = if seed.is_empty() { "{}".to_string() } else { format!("{{ {} }}", seed.join(", ")) };
    out.push_str(&format!(
        "  // Documents as the deployed code wrote them: {old_shape}.\n  await t.run(async (ctx) => {{\n    for (let i = 0; i < COUNT; i++) {{\n      await ctx.db.insert({table_lit}, {seed});\n    }}\n  }});\n"
    ));
    let verify_call = verify.as_ref().map(|(_, kind, r)| format!("await t.{kind}({r}, {{}})"));
    if let Some(call) = &verify_call {
        out.push_str(&format!("  expect({call}).toMatchObject({{ remaining: COUNT }});\n"));
    }
    let how = match runner {
        Runner::Mutation => "every batch it schedules",
        Runner::Component => "every batch the component schedules",
    };
    out.push_str(&format!(
        "\n  // Start the backfill as `{run}` does, then run\n  // {how}.\n  await t.mutation({backfill_ref}, {{}});\n  await t.finishAllScheduledFunctions(vi.runAllTimers);\n\n"
    ));
    if let Some(call) = &verify_call {
        out.push_str(&format!("  expect({call}).toMatchObject({{ remaining: 0 }});\n"));
    }
    out.push_str(&format!(
        "  const docs = await t.run((ctx) => ctx.db.query({table_lit}).collect());\n  expect(docs).toHaveLength(COUNT);\n"
    ));
    out.push_str(&format!(
        "  // The schema with {narrowed_name} (the second deploy) accepts every document: convex-test\n  // validates each insert.\n"
    ));
    match (goal, &narrowed_validator) {
        (Goal::Fill, Some(validator)) => {
            let field_key = key(field);
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
        edits: vec![FileEdit { path, create: true, edits: vec![TextEdit { range: TextRange::empty(0), new_text: out }] }],
    })
}

/// Which dev dependencies a convex-test test needs that package.json lacks ([`TEST_PACKAGES`],
/// in that order), given package.json's text (`None`: there is no package.json). A package listed
/// in any dependency section counts; a package.json that does not parse lacks them all.
pub fn missing_packages(package_json: Option<&str>) -> Vec<&'static str> {
    let parsed: Option<serde_json::Value> = package_json.and_then(|text| serde_json::from_str(text).ok());
    let has = |name: &str| {
        parsed.as_ref().is_some_and(|json| {
            ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"]
                .iter()
                .any(|section| json.get(section).and_then(|s| s.get(name)).is_some())
        })
    };
    TEST_PACKAGES.into_iter().filter(|p| !has(p)).collect()
}

/// How the test can start `backfill`, if it can: a mutation whose arguments are all optional, or
/// a `migrations.define` migration.
fn runner(project: &Project, backfill: &Function) -> Option<Runner> {
    let def = project.file(backfill.file).model.functions.iter().find(|d| d.name_range == backfill.loc.range)?;
    match backfill.kind {
        FunctionKind::Mutation if def.args.values().all(|v| v.is_optional()) => Some(Runner::Mutation),
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
                let fix = if make == 0 {
                    codegen::backfill(&p, table, field, &validator, goal).unwrap()
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
        migration_test(&p, table, field, goal, backfill, verify)
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
 * 1. Seeds 250 documents of `users` in the old shape (without `role`).
 * 2. Runs `backfillUsersRole` to completion.
 * 3. Checks that `verifyUsersRole` finds none left.
 * 4. Checks that every document has `role` and fits the schema with `role` required.
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
  // Documents as the deployed code wrote them: without `role`.
  await t.run(async (ctx) => {
    for (let i = 0; i < COUNT; i++) {
      await ctx.db.insert("users", { name: "", loginCount: 0 });
    }
  });
  expect(await t.action(internal.migrations.verifyUsersRole, {})).toMatchObject({ remaining: COUNT });

  // Start the backfill as `npx convex run migrations:backfillUsersRole` does, then run
  // every batch it schedules.
  await t.mutation(internal.migrations.backfillUsersRole, {});
  await t.finishAllScheduledFunctions(vi.runAllTimers);

  expect(await t.action(internal.migrations.verifyUsersRole, {})).toMatchObject({ remaining: 0 });
  const docs = await t.run((ctx) => ctx.db.query("users").collect());
  expect(docs).toHaveLength(COUNT);
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
            r#"await ctx.db.insert("users", { isPro: false, name: "", loginCount: 0 });"#,
            "expect(await t.action(internal.migrations.verifyUsersIsPro, {})).toMatchObject({ remaining: 0 });",
            "await t.mutation(internal.migrations.backfillUsersIsPro, {});",
            r#"users: defineTable(schema.tables.users.validator.omit("isPro")),"#,
            r#"expect(doc).not.toHaveProperty("isPro");"#,
            r#"test("backfillUsersIsPro removes `isPro` from every document of `users`", async () => {"#,
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
        assert!(text_of(&unset).contains("await t.mutation(internal.migrations.backfillUsersIsPro, {});"));
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
        let fix = migration_test(&p, table, "role", Goal::Fill, backfill, Some(check)).unwrap();
        assert!(!text_of(&fix).contains("checkRole"), "{}", text_of(&fix));
        assert!(!text_of(&fix).contains("remaining"), "{}", text_of(&fix));
    }

    #[test]
    fn missing_packages_from_package_json() {
        assert_eq!(missing_packages(None), vec!["vitest", "convex-test", "@edge-runtime/vm"]);
        assert_eq!(missing_packages(Some("{ not json")), vec!["vitest", "convex-test", "@edge-runtime/vm"]);
        assert_eq!(missing_packages(Some(r#"{"dependencies": {"convex": "1.48.0"}}"#)), vec!["vitest", "convex-test", "@edge-runtime/vm"]);
        assert_eq!(
            missing_packages(Some(
                r#"{"dependencies": {"convex": "1.48.0"}, "devDependencies": {"vitest": "4.1.12", "convex-test": "0.0.60"}}"#
            )),
            vec!["@edge-runtime/vm"]
        );
        let all = r#"{"devDependencies": {"vitest": "4", "@edge-runtime/vm": "5"}, "dependencies": {"convex-test": "0.0.60"}}"#;
        assert!(missing_packages(Some(all)).is_empty());
    }
}

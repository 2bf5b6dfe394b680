//! Fixes applied to projects: the text after each edit, that it parses, and that the finding it
//! fixes is gone after the edit.

use convex_migrate::analysis::{Finding, Recipe, Rule, Workspace};
use convex_migrate::fixes::{apply, build, Fix};
use convex_migrate::sources::load_files;

type Files = Vec<(String, String)>;

fn owned(files: &[(&str, String)]) -> Files {
    files.iter().map(|(p, t)| (p.to_string(), t.clone())).collect()
}

/// A project's files (what the tests edit and analyse again).
fn project(files: &[(&str, String)]) -> Files {
    owned(files)
}

/// The working files against a base (the loader the fixture tests use).
fn workspace(working: &Files, base: &Files) -> Workspace {
    load_files(working, Some(base))
}

fn findings(working: &Files, base: &Files) -> Vec<Finding> {
    workspace(working, base).analyze().findings
}

/// The fixes of a finding of `working` against `base`, built.
fn for_finding(working: &Files, base: &Files, finding: &Finding) -> Vec<Fix> {
    let ws = workspace(working, base);
    finding.fixes.iter().filter_map(|r| build(r, &ws)).collect()
}

/// Whether every file of the project parses.
fn parses(files: &Files) -> bool {
    load_files(files, None).working.files.iter().all(|f| f.model.errors.is_empty())
}

/// The working files after a fix.
fn after(files: &[(&str, String)], fix: &Fix) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = files.iter().map(|(p, t)| (p.to_string(), t.clone())).collect();
    for file in &fix.edits {
        match out.iter_mut().find(|(p, _)| *p == file.path) {
            Some((_, text)) => *text = apply(text, &file.edits),
            None => {
                assert!(file.create, "{} must be created", file.path);
                out.push((file.path.clone(), apply("", &file.edits)));
            }
        }
    }
    out
}

const BASE_SCHEMA: &str = r#"import { defineSchema, defineTable } from "convex/server";
import { v as val } from "convex/values";
export default defineSchema({
  users: defineTable({
    name: val.string(),
    role: val.optional(val.union(val.literal("admin"), val.literal("member"))),
    isPro: val.optional(val.boolean()),
    team: val.optional(val.id("teams")),
  }),
});
"#;

const WORKING_SCHEMA: &str = r#"import { defineSchema, defineTable } from "convex/server";
import { v as val } from "convex/values";
export default defineSchema({
  users: defineTable({
    name: val.string(),
    role: val.union(val.literal("admin"), val.literal("member")),
    team: val.id("teams"),
  }),
});
"#;

fn setup() -> (Vec<(&'static str, String)>, Files, Files) {
    let base = project(&[("convex/schema.ts", BASE_SCHEMA.to_string())]);
    let files = vec![("convex/schema.ts", WORKING_SCHEMA.to_string())];
    let working = project(&files);
    (files, working, base)
}

fn fix_titled<'a>(fixes: &'a [Fix], start: &str) -> &'a Fix {
    fixes
        .iter()
        .find(|f| f.title.starts_with(start))
        .unwrap_or_else(|| panic!("no fix `{start}` in {:?}", fixes.iter().map(|f| &f.title).collect::<Vec<_>>()))
}

#[test]
fn make_optional_first_uses_the_files_name_for_v_and_clears_the_finding() {
    let (files, working, base) = setup();
    let found = findings(&working, &base);
    let role = found.iter().find(|f| f.rule == Rule::RequiredWithoutBackfill && f.message.contains("users.role")).unwrap();
    let fixes = for_finding(&working, &base, role);
    let fix = fix_titled(&fixes, "Make `role` optional first");
    assert!(fix.preferred);
    let new_files = after(&files, fix);
    let schema = &new_files[0].1;
    assert!(schema.contains("    role: val.optional(val.union(val.literal(\"admin\"), val.literal(\"member\"))),\n"), "{schema}");
    let fixed = new_files.clone();
    assert!(parses(&fixed));
    let left = findings(&fixed, &base);
    assert!(!left.iter().any(|f| f.message.contains("users.role")), "{left:#?}");
    // Never wraps twice: the optional field offers no such fix.
    let again = for_finding(&fixed, &base, left.iter().find(|f| f.message.contains("users.team")).unwrap());
    assert!(again.iter().all(|f| !f.title.starts_with("Make `role`")));
}

#[test]
fn removed_field_is_put_back_as_optional_with_a_deprecation_comment() {
    let (files, working, base) = setup();
    let found = findings(&working, &base);
    let removed = found.iter().find(|f| f.rule == Rule::RemovedField).unwrap();
    let fixes = for_finding(&working, &base, removed);
    let fix = fix_titled(&fixes, "Put `isPro` back as optional");
    let new_files = after(&files, fix);
    assert!(
        new_files[0].1.contains("  users: defineTable({\n    // Deprecated: kept optional until a migration unsets it everywhere, then removed.\n    isPro: val.optional(val.boolean()),\n    name: val.string(),"),
        "{}",
        new_files[0].1
    );
    let fixed = new_files.clone();
    assert!(!findings(&fixed, &base).iter().any(|f| f.rule == Rule::RemovedField));
}

#[test]
fn generated_backfill_creates_migrations_ts_with_imports_and_a_cursor() {
    let (files, working, base) = setup();
    let found = findings(&working, &base);
    let role = found.iter().find(|f| f.message.contains("users.role")).unwrap();
    let fixes = for_finding(&working, &base, role);
    let fix = fix_titled(&fixes, "Generate backfill `backfillUsersRole`");
    assert!(fix.edits[0].create);
    let new_files = after(&files, fix);
    let (path, text) = new_files.iter().find(|(p, _)| p == "convex/migrations.ts").unwrap();
    assert!(text.starts_with("import { v } from \"convex/values\";\nimport { internalMutation } from \"./_generated/server\";\nimport { internal } from \"./_generated/api\";\n"), "{text}");
    assert!(text.contains(".paginate({ cursor: args.cursor ?? null, numItems: 100 })"), "{text}");
    // No value chosen for a union: a placeholder that names the choices (and fails the type-check).
    assert!(
        text.contains(
            "await ctx.db.patch(doc._id, { role: \"CHOOSE ONE: \\\"admin\\\" | \\\"member\\\" (convex-migrate plan --default)\" });"
        ),
        "{text}"
    );
    assert!(fix.title.ends_with("(choose its value)"), "{}", fix.title);
    assert!(text.contains("internal.migrations.backfillUsersRole, { cursor: continueCursor }"), "{text}");
    let fixed = new_files.clone();
    let parsed = load_files(&fixed, None);
    let file = parsed.working.file(parsed.working.file_id(path).unwrap());
    assert!(file.model.errors.is_empty(), "{:?}", file.model.errors);
    // The analysis recognises what it generated as a backfill (it is still only in the working tree).
    let left = findings(&fixed, &base);
    let role = left.iter().find(|f| f.rule == Rule::RequiredWithoutBackfill).unwrap();
    assert!(role.message.contains("`migrations:backfillUsersRole` exists only in the working tree"), "{}", role.message);
    // ... and flags the placeholder until a value is chosen.
    assert!(left.iter().any(|f| f.rule == Rule::InvalidValue && f.message.contains("CHOOSE ONE")));
}

#[test]
fn an_id_field_takes_its_value_as_an_argument_and_names_never_collide() {
    let (mut files, _, base) = setup();
    files.push(("convex/migrations.ts", "import { v } from \"convex/values\";\nexport const backfillUsersTeam = 1;\n".to_string()));
    let working = project(&files);
    let found = findings(&working, &base);
    let team = found.iter().find(|f| f.message.contains("users.team")).unwrap();
    let fixes = for_finding(&working, &base, team);
    let fix = fix_titled(&fixes, "Generate backfill `backfillUsersTeam2`");
    assert!(!fix.edits[0].create);
    let new_files = after(&files, fix);
    let text = &new_files.iter().find(|(p, _)| p == "convex/migrations.ts").unwrap().1;
    assert!(text.starts_with("import { v } from \"convex/values\";\nimport { internalMutation } from \"./_generated/server\";\nimport { internal } from \"./_generated/api\";\nexport const backfillUsersTeam = 1;\n"), "{text}");
    assert!(text.contains("args: { cursor: v.optional(v.union(v.string(), v.null())), value: v.id(\"teams\") }"), "{text}");
    assert!(text.contains("{ team: args.value }") && text.contains("{ cursor: continueCursor, value: args.value }"), "{text}");
    let fixed = new_files.clone();
    assert!(parses(&fixed));
}

#[test]
fn generated_verify_pages_through_the_table() {
    let (files, working, base) = setup();
    let found = findings(&working, &base);
    let role = found.iter().find(|f| f.message.contains("users.role")).unwrap();
    let fixes = for_finding(&working, &base, role);
    let fix = fix_titled(&fixes, "Generate verify `verifyUsersRole`");
    let new_files = after(&files, fix);
    let text = &new_files.iter().find(|(p, _)| p == "convex/migrations.ts").unwrap().1;
    assert!(text.contains("import { internalQuery, internalAction } from \"./_generated/server\";"), "{text}");
    assert!(text.contains("export const verifyUsersRolePage = internalQuery({"), "{text}");
    assert!(text.contains("await ctx.runQuery(internal.migrations.verifyUsersRolePage, { cursor })"), "{text}");
    assert!(text.contains("page.filter((doc) => doc.role === undefined).length"), "{text}");
    let fixed = new_files.clone();
    assert!(parses(&fixed));
    let parsed = load_files(&fixed, None);
    let kinds: Vec<_> = parsed.working.functions.iter().map(|f| (f.name.as_str(), f.kind, f.internal)).collect();
    assert!(kinds.contains(&("verifyUsersRole", convex_migrate::project::FunctionKind::Action, true)), "{kinds:?}");
}

#[test]
fn disable_comments_keep_indentation_and_suppress() {
    let (files, working, base) = setup();
    let found = findings(&working, &base);
    let role = found.iter().find(|f| f.message.contains("users.role")).unwrap();
    let fixes = for_finding(&working, &base, role);
    let fix = fix_titled(&fixes, "Disable required-without-backfill for this line");
    let new_files = after(&files, fix);
    assert!(
        new_files[0].1.contains("    // convex-migrate-disable-next-line required-without-backfill -- reason\n    role: val.union("),
        "{}",
        new_files[0].1
    );
    let fixed = new_files.clone();
    assert!(!findings(&fixed, &base).iter().any(|f| f.message.contains("users.role")));
    let file_fix = fix_titled(&fixes, "Disable required-without-backfill for this file");
    let new_files = after(&files, file_fix);
    assert!(new_files[0].1.starts_with("// convex-migrate-disable-file required-without-backfill -- reason\nimport"));
}

#[test]
fn a_finished_backfill_can_be_removed_once_the_field_is_required_at_the_base() {
    let required = WORKING_SCHEMA.replace("    team: val.id(\"teams\"),\n", "");
    let base = project(&[("convex/schema.ts", required.clone())]);
    let migrations = "import { internalMutation } from \"./_generated/server\";\n\nexport const keep = 1;\n\n/**\n * Backfill users.role.\n */\nexport const backfillUsersRole = internalMutation({\n  handler: async (ctx) => {\n    for await (const u of ctx.db.query(\"users\")) await ctx.db.patch(u._id, { role: \"member\" });\n  },\n});\n\nexport const after = 2;\n";
    let files = vec![("convex/schema.ts", required.clone()), ("convex/migrations.ts", migrations.to_string())];
    let working = project(&files);
    let remove = Recipe::RemoveFinishedMigration { function: "migrations:backfillUsersRole".into() };
    let fix = build(&remove, &workspace(&working, &base)).expect("offered");
    let new_files = after(&files, &fix);
    // Its import, now unused, goes with it.
    assert_eq!(new_files[1].1, "export const keep = 1;\n\nexport const after = 2;\n");
    // Not while the field is still optional at the base (the backfill is still needed).
    let optional_base = project(&[("convex/schema.ts", BASE_SCHEMA.to_string())]);
    assert!(build(&remove, &workspace(&working, &optional_base)).is_none());
}

#[test]
fn a_field_being_removed_gets_an_unset_migration_and_verify() {
    // What "Put back as optional" leaves: the field optional, marked deprecated.
    let schema = WORKING_SCHEMA.replace(
        "    name: val.string(),\n",
        "    name: val.string(),\n    // Deprecated: kept optional until a migration unsets it everywhere, then removed.\n    isPro: val.optional(val.boolean()),\n",
    );
    let files = vec![("convex/schema.ts", schema)];
    let working = project(&files);
    let base = project(&[("convex/schema.ts", BASE_SCHEMA.to_string())]);
    let ws = workspace(&working, &base);
    let state = convex_migrate::analysis::state::MigrationState::of(&ws, "users", "isPro").unwrap();
    assert_eq!(state.goal, convex_migrate::analysis::backfill::Goal::Unset);
    assert!(state.in_transition());
    assert_eq!(state.phase, convex_migrate::analysis::state::Phase::Removing);
    let table = ws.working.schema.as_ref().unwrap().table("users").unwrap();
    let fix = convex_migrate::fixes::codegen::backfill(
        &ws.working,
        table,
        "isPro",
        &convex_migrate::model::validator::Validator::Boolean,
        state.goal,
    )
    .unwrap();
    let new_files = after(&files, &fix);
    let text = &new_files.iter().find(|(p, _)| p == "convex/migrations.ts").unwrap().1;
    assert!(text.contains("if (doc.isPro !== undefined) {\n        await ctx.db.patch(doc._id, { isPro: undefined });"), "{text}");
    let step: Vec<(&str, String)> = new_files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    let with_backfill = load_files(&project(&step), None);
    let table = with_backfill.working.schema.as_ref().unwrap().table("users").unwrap();
    let verify = convex_migrate::fixes::codegen::verify(&with_backfill.working, table, "isPro", state.goal).unwrap();
    assert!(!verify.edits[0].create);
    let with_verify = after(&step, &verify);
    let text = &with_verify.iter().find(|(p, _)| p == "convex/migrations.ts").unwrap().1;
    assert!(text.contains("page.filter((doc) => doc.isPro !== undefined).length"), "{text}");
    // Imports join the existing `import { … }` lines rather than repeating them.
    assert_eq!(text.matches("from \"./_generated/server\"").count(), 1, "{text}");
    assert!(text.starts_with("import { v } from \"convex/values\";\nimport { internalMutation, internalQuery, internalAction } from \"./_generated/server\";\nimport { internal } from \"./_generated/api\";\n\n/**"), "{text}");
    // The analysis recognises the generated unset migration.
    let fixed = load_files(&with_verify, None);
    assert_eq!(fixed.working.backfills("users", "isPro", convex_migrate::analysis::backfill::Goal::Unset).len(), 1);

    // Once the field is gone at the base and now, the unset migration can be removed.
    let gone = project(&[("convex/schema.ts", WORKING_SCHEMA.to_string())]);
    let mut done_files: Vec<(&str, String)> = with_verify.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    done_files[0].1 = WORKING_SCHEMA.to_string();
    let done = project(&done_files);
    let remove = Recipe::RemoveFinishedMigration { function: "migrations:unsetUsersIsPro".into() };
    let fix = build(&remove, &workspace(&done, &gone)).expect("offered");
    assert!(fix.title.starts_with("Remove finished migration `unsetUsersIsPro`"), "{}", fix.title);
}

#[test]
fn component_projects_get_component_migrations_and_argument_backfills_next_to_them() {
    let migrations = "import { Migrations } from \"@convex-dev/migrations\";\nimport { components } from \"./_generated/api\";\nimport { DataModel } from \"./_generated/dataModel\";\n\nexport const migrations = new Migrations<DataModel>(components.migrations);\nexport const run = migrations.runner();\n";
    let (mut files, _, base) = setup();
    files.push(("convex/migrations.ts", migrations.to_string()));
    let working = project(&files);
    let found = findings(&working, &base);
    let role = found.iter().find(|f| f.message.contains("users.role")).unwrap();
    let fix = fix_titled(&for_finding(&working, &base, role), "Generate backfill `backfillUsersRole`").clone();
    let text = after(&files, &fix).into_iter().find(|(p, _)| p == "convex/migrations.ts").unwrap().1;
    assert!(
        text.contains("export const backfillUsersRole = migrations.define({\n  table: \"users\",\n  migrateOne: async (ctx, doc) => {"),
        "{text}"
    );
    assert!(!text.contains("internalMutation"), "{text}");
    // v.id: the value comes as an argument, so a hand-written backfill goes in the same file, its
    // imports joining the existing `./_generated/api` import.
    let team = found.iter().find(|f| f.message.contains("users.team")).unwrap();
    let fix = fix_titled(&for_finding(&working, &base, team), "Generate backfill `backfillUsersTeam`").clone();
    let text = after(&files, &fix).into_iter().find(|(p, _)| p == "convex/migrations.ts").unwrap().1;
    assert!(text.contains("import { components, internal } from \"./_generated/api\";"), "{text}");
    assert!(text.contains("export const backfillUsersTeam = internalMutation({"), "{text}");
    let fixed = project(&after(&files, &fix).iter().map(|(p, t)| (p.as_str(), t.clone())).collect::<Vec<_>>());
    assert!(parses(&fixed));
}

#[test]
fn dual_write_fixes_declare_the_pair_and_add_the_other_field() {
    let base_schema = "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\nexport default defineSchema({ users: defineTable({ email: v.string() }) });\n";
    let schema = base_schema.replace("email: v.string()", "email: v.string(), normalizedEmail: v.optional(v.string())");
    let users = "import { v } from \"convex/values\";\nimport { mutation } from \"./_generated/server\";\nexport const signUp = mutation({ args: { email: v.string() }, handler: async (ctx, { email }) => { await ctx.db.insert(\"users\", { email, normalizedEmail: email.toLowerCase() }); } });\nexport const change = mutation({ args: { id: v.id(\"users\"), email: v.string() }, handler: async (ctx, args) => { await ctx.db.patch(args.id, { email: args.email.trim() }); } });\n";
    let base = project(&[("convex/schema.ts", base_schema.to_string())]);
    let files = vec![("convex/schema.ts", schema), ("convex/users.ts", users.to_string())];
    let working = project(&files);
    let found = findings(&working, &base);
    let one_side = found.iter().find(|f| f.rule == Rule::DualWriteOneSide).expect("flagged");
    let config_text = "{ \"base\": \"main\" }\n";
    let mut with_config = working.clone();
    with_config.push(("convex-migrate.json".into(), config_text.into()));
    let fixes = for_finding(&with_config, &base, one_side);
    let declare = fix_titled(&fixes, "Declare the dual-write `users.email` → `users.normalizedEmail`");
    let new_config = apply(config_text, &declare.edits[0].edits);
    // The file keeps its one-line style.
    assert_eq!(new_config, "{ \"base\": \"main\", \"dualWrites\": [{ \"from\": \"users.email\", \"to\": \"users.normalizedEmail\" }] }\n");
    let add = fix_titled(&fixes, "Also write `normalizedEmail` here");
    let new_files = after(&files, add);
    assert!(new_files[1].1.contains("{ email: args.email.trim(), normalizedEmail: args.email.trim() }"), "{}", new_files[1].1);
    let fixed = new_files.clone();
    assert!(!findings(&fixed, &base).iter().any(|f| f.rule == Rule::DualWriteOneSide));
}

#[test]
fn write_rule_fixes_apply_and_clear_their_findings() {
    let schema = "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\nexport default defineSchema({ users: defineTable({ name: v.string(), role: v.union(v.literal(\"admin\"), v.literal(\"member\")), age: v.number() }) });\n";
    let code = "import { v } from \"convex/values\";\nimport { mutation } from \"./_generated/server\";\nexport const f = mutation({\n  args: { id: v.id(\"users\") },\n  handler: async (ctx, args) => {\n    await ctx.db.patch(args.id, { role: \"owner\" });\n    await ctx.db.patch(args.id, { rol: \"admin\" });\n    await ctx.db.insert(\"users\", { name: \"n\", role: \"admin\" });\n  },\n});\n";
    let files = vec![("convex/schema.ts", schema.to_string()), ("convex/users.ts", code.to_string())];
    let working = project(&files);
    let none: Files = Vec::new();
    let found = findings(&working, &none);
    let rules: Vec<Rule> = found.iter().map(|f| f.rule).collect();
    assert_eq!(rules, [Rule::InvalidValue, Rule::UnknownField, Rule::InsertMissingField], "{found:#?}");
    // Each fix on the text it was computed for, the project analysed again after each.
    let mut text = code.to_string();
    for title in ["Write `\"admin\"`", "Did you mean `role`?", "Add `age: 0` to this insert"] {
        let current = project(&[("convex/schema.ts", schema.to_string()), ("convex/users.ts", text.clone())]);
        let found = findings(&current, &none);
        let fix = found.iter().flat_map(|f| for_finding(&current, &none, f)).find(|f| f.title.starts_with(title)).expect(title);
        text = after(&[("convex/users.ts", text.clone())], &fix)[0].1.clone();
    }
    assert!(
        text.contains("{ role: \"admin\" }")
            && text.contains("{ role: \"admin\" });\n    await ctx.db.insert(\"users\", { name: \"n\", role: \"admin\", age: 0 });"),
        "{text}"
    );
    let fixed = project(&[("convex/schema.ts", schema.to_string()), ("convex/users.ts", text)]);
    assert!(findings(&fixed, &none).is_empty());
}

#[test]
fn an_unpaginated_backfill_is_rewritten_with_a_cursor_keeping_its_loop_body() {
    let schema = "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\nexport default defineSchema({ users: defineTable({ name: v.string(), role: v.optional(v.string()) }) });\n";
    let code = "import { internalMutation } from \"./_generated/server\";\n\n/** Old-style batch. */\nexport const fixRoles = internalMutation({\n  handler: async (ctx) => {\n    const users = await ctx.db.query(\"users\").filter((q) => q.eq(q.field(\"role\"), undefined)).take(50);\n    for (const user of users) {\n      await ctx.db.patch(user._id, { role: user.name === \"root\" ? \"admin\" : \"member\" });\n    }\n  },\n});\n";
    let files = vec![("convex/schema.ts", schema.to_string()), ("convex/migrations.ts", code.to_string())];
    let working = project(&files);
    let none: Files = Vec::new();
    let found = findings(&working, &none);
    let warning = found.iter().find(|f| f.rule == Rule::UnpaginatedMigration).expect("flagged");
    let fix = fix_titled(&for_finding(&working, &none, warning), "Rewrite `fixRoles` as a paginated backfill").clone();
    let text = after(&files, &fix)[1].1.clone();
    assert_eq!(
        text,
        "import { internalMutation } from \"./_generated/server\";\nimport { v } from \"convex/values\";\nimport { internal } from \"./_generated/api\";\n\n/** Old-style batch. */\nexport const fixRoles = internalMutation({\n  args: { cursor: v.optional(v.union(v.string(), v.null())) },\n  handler: async (ctx, args) => {\n    const { page, isDone, continueCursor } = await ctx.db\n      .query(\"users\")\n      .paginate({ cursor: args.cursor ?? null, numItems: 50 });\n    for (const user of page) {\n      await ctx.db.patch(user._id, { role: user.name === \"root\" ? \"admin\" : \"member\" });\n    }\n    if (!isDone) {\n      await ctx.scheduler.runAfter(0, internal.migrations.fixRoles, { cursor: continueCursor });\n    }\n  },\n});\n"
    );
    let fixed = project(&[("convex/schema.ts", schema.to_string()), ("convex/migrations.ts", text)]);
    assert!(parses(&fixed));
    assert!(findings(&fixed, &none).is_empty());
    assert_eq!(load_files(&fixed, None).working.backfills("users", "role", convex_migrate::analysis::backfill::Goal::Fill).len(), 1);
}

#[test]
fn a_collecting_verify_is_replaced_by_the_paginated_one() {
    let schema = "import { defineSchema, defineTable } from \"convex/server\";\nimport { v } from \"convex/values\";\nexport default defineSchema({ users: defineTable({ role: v.optional(v.string()) }) });\n";
    let code = "import { internalQuery } from \"./_generated/server\";\n\nexport const countMissing = internalQuery({\n  handler: async (ctx) => {\n    const users = await ctx.db.query(\"users\").collect();\n    return users.filter((u) => u.role === undefined).length;\n  },\n});\n";
    let files = vec![("convex/schema.ts", schema.to_string()), ("convex/migrations.ts", code.to_string())];
    let working = project(&files);
    let none: Files = Vec::new();
    let found = findings(&working, &none);
    let warning = found.iter().find(|f| f.rule == Rule::UnboundedCollect).expect("flagged");
    let fix = fix_titled(&for_finding(&working, &none, warning), "Replace `countMissing` with a paginated verify").clone();
    let text = after(&files, &fix)[1].1.clone();
    assert!(!text.contains("countMissing") && text.contains("export const verifyUsersRole = internalAction({"), "{text}");
    let fixed = project(&[("convex/schema.ts", schema.to_string()), ("convex/migrations.ts", text)]);
    assert!(parses(&fixed));
    assert!(findings(&fixed, &none).is_empty());
}

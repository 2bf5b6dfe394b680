//! The function model on real-world shapes: which table each write and read is about, and where
//! the written document came from.

use std::sync::Arc;

use convex_migrate::model::body::{Origin, TableRef, Terminal, WriteOp};
use convex_migrate::project::{FunctionKind, Layout, Project, SourceFile};

fn project(files: &[(&str, &str)]) -> Project {
    let sources = files.iter().map(|(p, t)| SourceFile::new(p.to_string(), Arc::from(*t))).collect();
    Project::build(Layout::default(), sources)
}

fn writes(project: &Project, name: &str) -> Vec<(WriteOp, TableRef, Origin)> {
    let f = project.functions.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no function {name}"));
    f.writes.iter().map(|w| (w.item.op, w.item.table.clone(), w.item.target)).collect()
}

fn t(name: &str) -> TableRef {
    TableRef::Name(name.into())
}

const FUNCTIONS: &str = r#"
import { v } from "convex/values";
import { mutation, internalMutation as im, query } from "./_generated/server";
import { Id } from "./_generated/dataModel";
import { touch } from "./lib/helpers";
import * as helpers from "./lib/helpers";

export const byArg = mutation({
  args: { userId: v.id("users"), maybe: v.optional(v.id("teams")) },
  handler: async (ctx, args) => {
    await ctx.db.patch(args.userId, { a: 1 });
    if (args.maybe) await ctx.db.delete(args.maybe);
  },
});

export const destructured = mutation({
  args: { postId: v.id("posts") },
  handler: async ({ db }, { postId }) => {
    const post = await db.get(postId);
    if (!post) return;
    await db.patch(post.author, { b: 2 });
    await db.replace(post._id, { ...post, c: 3 });
  },
});

export const tableFirst = im({
  handler: async (ctx) => {
    await ctx.db.patch("teams", someId(), { d: 4 });
    await ctx.db.insert("logs", { line: "x" });
  },
});

export const fromQueries = mutation({
  handler: async (ctx) => {
    const docs = await ctx.db.query("items").withIndex("by_x", (q) => q.eq("x", 1)).collect();
    await Promise.all(docs.map(async (d) => ctx.db.patch(d._id, { e: 5 })));
    const first = await ctx.db.query("things").first();
    if (first) await ctx.db.delete(first._id);
    const id: Id<"tags"> = pick();
    await ctx.db.patch(id, { f: 6 });
  },
});

export const viaHelpers = mutation({
  args: { id: v.id("users") },
  handler: async (ctx, args) => {
    await touch(ctx, args.id);
    await helpers.touch(ctx, args.id);
  },
});

export const legacyStyle = mutation(async (ctx, { id }: { id: Id<"users"> }) => {
  await ctx.db.delete(id);
});

export const list = query({ handler: async (ctx) => ctx.db.query("items").take(10) });
const notExported = mutation({ handler: async (ctx) => ctx.db.insert("x", {}) });
"#;

const HELPERS: &str = r#"
import { MutationCtx } from "../_generated/server";
export async function touch(ctx: MutationCtx, id) {
  await ctx.db.patch(id, { updatedAt: Date.now() });
}
"#;

#[test]
fn resolves_the_table_of_every_write() {
    let p = project(&[("convex/users.ts", FUNCTIONS), ("convex/lib/helpers.ts", HELPERS)]);
    let names: Vec<&str> = p.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["byArg", "destructured", "tableFirst", "fromQueries", "viaHelpers", "legacyStyle", "list"]);
    assert_eq!(writes(&p, "byArg"), [(WriteOp::Patch, t("users"), Origin::Other), (WriteOp::Delete, t("teams"), Origin::Other)]);
    assert_eq!(
        writes(&p, "destructured"),
        [(WriteOp::Patch, TableRef::Unknown, Origin::Other), (WriteOp::Replace, t("posts"), Origin::Other)]
    );
    assert_eq!(writes(&p, "tableFirst"), [(WriteOp::Patch, t("teams"), Origin::Other), (WriteOp::Insert, t("logs"), Origin::Other)]);
    assert_eq!(
        writes(&p, "fromQueries"),
        [
            (WriteOp::Patch, t("items"), Origin::Read(0)),
            (WriteOp::Delete, t("things"), Origin::Read(1)),
            (WriteOp::Patch, t("tags"), Origin::Other)
        ]
    );
    // Helpers in another file, by name and through a namespace import.
    assert_eq!(writes(&p, "viaHelpers"), [(WriteOp::Patch, t("users"), Origin::Other), (WriteOp::Patch, t("users"), Origin::Other)]);
    let via = p.functions.iter().find(|f| f.name == "viaHelpers").unwrap();
    assert_eq!(p.path(via.writes[0].file), "convex/lib/helpers.ts");
    let kinds: Vec<(FunctionKind, bool)> = p.functions.iter().map(|f| (f.kind, f.internal)).collect();
    assert_eq!(kinds[2], (FunctionKind::Mutation, true));
    assert_eq!(kinds[6], (FunctionKind::Query, false));
}

#[test]
fn records_how_reads_are_bounded() {
    let p = project(&[("convex/users.ts", FUNCTIONS), ("convex/lib/helpers.ts", HELPERS)]);
    let f = p.functions.iter().find(|f| f.name == "fromQueries").unwrap();
    let read = &f.reads[0].item;
    assert_eq!(read.table, t("items"));
    assert_eq!(read.index.as_deref(), Some("by_x"));
    assert_eq!(read.index_fields, ["x"]);
    assert_eq!(read.terminal, Terminal::Collect);
    assert!(!read.scans_for("e"));
    let list = p.functions.iter().find(|f| f.name == "list").unwrap();
    assert_eq!(list.reads[0].item.terminal, Terminal::Take(Some(10.0)));
}

#[test]
fn test_files_and_components_are_not_deployed() {
    let body = "import { mutation } from \"./_generated/server\";\nexport const f = mutation({ handler: async (ctx) => {} });\n";
    let p = project(&[
        ("convex/a.test.ts", body),
        ("convex/b.ts", body),
        ("convex/comp/convex.config.ts", "export default {};\n"),
        ("convex/comp/c.ts", body.replace("./_generated", "../_generated").as_str()),
    ]);
    let refs: Vec<&str> = p.functions.iter().map(|f| f.reference.as_str()).collect();
    assert_eq!(refs, ["b:f"]);
}

#[test]
fn rebuild_reuses_unchanged_files_and_relinks_dependents() {
    let helper = |table: &str| {
        format!("import {{ MutationCtx }} from \"../_generated/server\";\nimport {{ Id }} from \"../_generated/dataModel\";\nexport async function touch(ctx: MutationCtx, id: Id<\"{table}\">) {{\n  await ctx.db.patch(id, {{ at: 1 }});\n}}\n")
    };
    let caller = "import { mutation } from \"./_generated/server\";\nimport { touch } from \"./lib/helpers\";\nexport const f = mutation({ handler: async (ctx) => { await touch(ctx, pick()); } });\n";
    let other = "import { mutation } from \"./_generated/server\";\nexport const g = mutation({ handler: async (ctx) => { await ctx.db.insert(\"logs\", {}); } });\n";
    let files = |helper_text: String| {
        vec![
            SourceFile::new("convex/a.ts".into(), Arc::from(caller)),
            SourceFile::new("convex/lib/helpers.ts".into(), Arc::from(helper_text.as_str())),
            SourceFile::new("convex/other.ts".into(), Arc::from(other)),
        ]
    };
    let first = Project::build(Layout::default(), files(helper("users")));
    // The same models (as the editor keeps them) for the unchanged files; a new helper model.
    let mut next = first.files.clone();
    next[1] = SourceFile::new("convex/lib/helpers.ts".into(), Arc::from(helper("teams").as_str()));
    let second = Project::rebuild(Layout::default(), next, Some(&first));
    let f = second.functions.iter().find(|f| f.name == "f").unwrap();
    assert_eq!(f.writes[0].item.table, t("teams"), "a.ts depends on the helper: it is linked again");
    let (g1, g2) = (first.functions.iter().find(|f| f.name == "g").unwrap(), second.functions.iter().find(|f| f.name == "g").unwrap());
    assert!(Arc::ptr_eq(g1, g2), "other.ts read nothing that changed: reused");
    // The incremental result is the fresh one.
    let fresh = Project::build(Layout::default(), files(helper("teams")));
    let summary = |p: &Project| {
        p.functions
            .iter()
            .map(|f| (f.reference.clone(), format!("{:?}", f.writes.iter().map(|w| &w.item.table).collect::<Vec<_>>())))
            .collect::<Vec<_>>()
    };
    assert_eq!(summary(&second), summary(&fresh));
}

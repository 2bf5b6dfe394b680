import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  users: defineTable({ name: v.string() }),
  posts: defineTable({ title: v.string() }),
  items: defineTable({
    kind: v.union(v.literal("a"), v.literal("b"), v.literal("c")),
    owner: v.string(),
    meta: v.object({ size: v.number(), tag: v.optional(v.string()) }),
    counts: v.record(v.string(), v.union(v.number(), v.string())),
    big: v.union(v.int64(), v.number()),
    score: v.union(v.number(), v.null()),
    blob: v.union(v.bytes(), v.string()),
    extra: v.optional(v.any()),
    level: v.optional(v.union(v.number(), v.string())),
    tags: v.array(v.union(v.string(), v.number())),
    file: v.optional(v.string()),
  }),
  events: defineTable(
    v.union(
      v.object({ type: v.literal("click"), x: v.number() }),
      v.object({ type: v.literal("view") }),
      v.object({ type: v.literal("old") }),
    ),
  ),
});

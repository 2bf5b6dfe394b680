import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  users: defineTable({ name: v.string() }),
  posts: defineTable({ title: v.string() }),
  items: defineTable({
    kind: v.union(v.literal("a"), v.literal("b")),
    owner: v.id("users"),
    meta: v.object({ size: v.number(), tag: v.string() }),
    counts: v.record(v.string(), v.number()),
    big: v.int64(),
    score: v.number(),
    blob: v.bytes(),
    level: v.number(),
    tags: v.array(v.string()),
    file: v.optional(v.id("_storage")),
  }),
  events: defineTable(
    v.union(
      v.object({ type: v.literal("click"), x: v.number() }),
      v.object({ type: v.literal("view") }),
    ),
  ),
});

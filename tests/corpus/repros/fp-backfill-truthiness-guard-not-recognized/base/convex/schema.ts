import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  tags: defineTable({
    name: v.string(),
    isSystem: v.optional(v.boolean()),
    category: v.optional(v.union(v.literal("system"), v.literal("custom"))),
  }),
});

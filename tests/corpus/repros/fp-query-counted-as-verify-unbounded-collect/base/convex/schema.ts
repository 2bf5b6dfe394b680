import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  pipelines: defineTable({ name: v.string(), ownerId: v.optional(v.string()) }),
});

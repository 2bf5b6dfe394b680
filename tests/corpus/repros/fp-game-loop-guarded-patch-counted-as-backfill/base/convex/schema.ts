import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  npcs: defineTable({ x: v.number(), frozen: v.boolean(), targetX: v.optional(v.number()) }),
});

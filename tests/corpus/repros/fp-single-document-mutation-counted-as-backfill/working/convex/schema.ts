import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  users: defineTable({
    email: v.string(),
    platformRole: v.optional(v.union(v.literal("admin"), v.literal("support"))),
  }),
});

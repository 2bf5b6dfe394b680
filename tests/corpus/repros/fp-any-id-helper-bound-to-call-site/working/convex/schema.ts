import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  contacts: defineTable({ name: v.string(), phone: v.optional(v.string()) }),
  activities: defineTable({ description: v.string() }),
});

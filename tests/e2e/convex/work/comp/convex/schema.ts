import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  tasks: defineTable({
    title: v.string(),
    notes: v.optional(v.string()),
    archived: v.boolean(),
  }),
});

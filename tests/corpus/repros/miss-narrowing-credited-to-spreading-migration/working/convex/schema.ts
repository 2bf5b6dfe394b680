import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  userPreferences: defineTable({
    userId: v.string(),
    notifications: v.optional(
      v.object({
        general: v.optional(v.boolean()),
      }),
    ),
  }),
});

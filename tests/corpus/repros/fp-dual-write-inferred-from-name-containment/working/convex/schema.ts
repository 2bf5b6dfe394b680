import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  attachments: defineTable({
    name: v.string(),
    status: v.union(v.literal("draft"), v.literal("attached")),
    expiryStatus: v.optional(v.union(v.literal("active"), v.literal("expired"))),
  }),
});

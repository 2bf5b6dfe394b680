import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  shares: defineTable({ chatId: v.string(), snapshotId: v.optional(v.id("_storage")) }),
});

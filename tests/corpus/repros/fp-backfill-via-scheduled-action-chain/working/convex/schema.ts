import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  shares: defineTable({ code: v.string(), chatHistoryId: v.id("_storage") }),
});

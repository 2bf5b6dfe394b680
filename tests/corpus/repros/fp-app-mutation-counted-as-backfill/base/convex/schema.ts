import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  providers: defineTable({ provider: v.string(), isEnabled: v.boolean() }),
});

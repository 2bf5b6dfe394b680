import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  newsletter: defineTable({
    email: v.string(),
    status: v.union(v.literal("active"), v.literal("inactive")),
  }),
});

import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { auditFields } from "./validators";

export default defineSchema({
  users: defineTable({
    name: v.string(),
    email: v.string(),
    // Every user has a role now.
    role: v.union(v.literal("admin"), v.literal("member")),
    plan: v.union(v.literal("free"), v.literal("pro")),
    ...auditFields,
  }).index("by_email", ["email"]),
  posts: defineTable({
    author: v.id("users"),
    title: v.string(),
    status: v.union(v.literal("draft"), v.literal("published")),
    tags: v.optional(v.array(v.string())),
    pinned: v.optional(v.boolean()),
  }).index("by_author", ["author"]),
});

import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { auditFields } from "./validators";

export default defineSchema({
  users: defineTable({
    name: v.string(),
    email: v.string(),
    role: v.optional(v.union(v.literal("admin"), v.literal("member"))),
    isPro: v.optional(v.boolean()),
    plan: v.optional(v.union(v.literal("free"), v.literal("pro"))),
    ...auditFields,
  }).index("by_email", ["email"]),
  posts: defineTable({
    author: v.id("users"),
    title: v.string(),
    status: v.union(v.literal("draft"), v.literal("published"), v.literal("archived")),
    tags: v.optional(v.array(v.string())),
  }).index("by_author", ["author"]),
  sessions: defineTable({
    user: v.id("users"),
    expiresAt: v.number(),
  }),
});

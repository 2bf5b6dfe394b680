import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
const locationFields = { city: v.optional(v.string()), country: v.string() };
export default defineSchema({
  artists: defineTable({
    name: v.string(),
    residency: v.object({ ...locationFields, country: v.optional(v.string()) }),
  }),
});

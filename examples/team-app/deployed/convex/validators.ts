import { v } from "convex/values";

export const auditFields = {
  createdBy: v.optional(v.id("users")),
  updatedAt: v.optional(v.number()),
};

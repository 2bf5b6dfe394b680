import { defineSchema } from "convex/server";
import { v } from "convex/values";
import { Table } from "convex-helpers/server";

export const Mcps = Table("mcps", {
  name: v.string(),
  userId: v.string(),
  url: v.optional(v.string()),
});

export default defineSchema({
  mcps: Mcps.table.index("by_name", ["name"]).index("by_user", ["userId"]),
});

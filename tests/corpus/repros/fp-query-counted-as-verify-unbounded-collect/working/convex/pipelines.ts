import { query } from "./_generated/server";
import { v } from "convex/values";
export const list = query({
  args: { ownerId: v.optional(v.string()) },
  handler: async (ctx, args) => {
    const all = await ctx.db.query("pipelines").collect();
    return args.ownerId ? all.filter((p) => p.ownerId === args.ownerId || p.ownerId === undefined) : all;
  },
});

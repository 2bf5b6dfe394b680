import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const add = mutation({
  args: { title: v.string() },
  handler: async (ctx, args) => {
    return await ctx.db.insert("tasks", { title: args.title, archived: false });
  },
});

export const recent = query({
  args: {},
  handler: async (ctx) => {
    return await ctx.db.query("tasks").order("desc").take(20);
  },
});

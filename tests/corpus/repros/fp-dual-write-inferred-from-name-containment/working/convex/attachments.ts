import { mutation } from "./_generated/server";
import { v } from "convex/values";
export const attach = mutation({
  args: { id: v.id("attachments") },
  handler: async (ctx, args) => {
    await ctx.db.patch(args.id, { status: "attached" });
  },
});
export const upload = mutation({
  args: { name: v.string() },
  handler: async (ctx, args) => {
    await ctx.db.insert("attachments", { name: args.name, status: "draft", expiryStatus: "active" });
  },
});

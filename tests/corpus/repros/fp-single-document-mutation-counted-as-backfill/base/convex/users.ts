import { mutation } from "./_generated/server";
import { v } from "convex/values";
// Admin action: give ONE user (found by email) a role.
export const setPlatformRole = mutation({
  args: { targetEmail: v.string(), role: v.union(v.literal("admin"), v.literal("support")) },
  handler: async (ctx, args) => {
    const allUsers = await ctx.db.query("users").collect();
    const target = allUsers.find((u) => u.email === args.targetEmail);
    if (!target) throw new Error("not found");
    await ctx.db.patch(target._id, { platformRole: args.role });
  },
});
export const signUp = mutation({
  args: { email: v.string() },
  handler: async (ctx, args) => {
    await ctx.db.insert("users", { email: args.email });
  },
});

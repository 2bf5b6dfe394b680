import { mutation } from "./_generated/server";
import { v } from "convex/values";
// Enabling one provider disables the others: app logic over a small config table.
export const enableProvider = mutation({
  args: { provider: v.string() },
  handler: async (ctx, args) => {
    const all = await ctx.db.query("providers").take(100);
    for (const p of all) {
      await ctx.db.patch(p._id, { isEnabled: p.provider === args.provider });
    }
  },
});

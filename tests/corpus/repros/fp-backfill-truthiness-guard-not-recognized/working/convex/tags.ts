import { v } from "convex/values";
import { internalMutation } from "./_generated/server";

export const categorizeAllTags = internalMutation({
  args: {},
  returns: v.object({ updated: v.number() }),
  handler: async (ctx) => {
    const allTags = await ctx.db.query("tags").collect();
    let updated = 0;
    for (const tag of allTags) {
      // Only update tags that don't have a category
      if (!tag.category) {
        const isSystem = tag.isSystem ?? false;
        const category = "custom";
        await ctx.db.patch(tag._id, { category });
        updated++;
      }
    }
    return { updated };
  },
});

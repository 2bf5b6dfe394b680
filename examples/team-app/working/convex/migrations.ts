import { v } from "convex/values";
import { internalMutation } from "./_generated/server";
import { internal } from "./_generated/api";

// Backfill users.plan from the old isPro flag, 100 documents per batch.
export const backfillUsersPlan = internalMutation({
  args: { cursor: v.union(v.string(), v.null()) },
  handler: async (ctx, args) => {
    const { page, isDone, continueCursor } = await ctx.db
      .query("users")
      .paginate({ cursor: args.cursor, numItems: 100 });
    for (const user of page) {
      if (user.plan === undefined) {
        await ctx.db.patch(user._id, { plan: user.isPro ? "pro" : "free" });
      }
    }
    if (!isDone) {
      await ctx.scheduler.runAfter(0, internal.migrations.backfillUsersPlan, { cursor: continueCursor });
    }
  },
});

// Remove the old isPro flag from every user.
export const unsetUsersIsPro = internalMutation({
  args: { cursor: v.union(v.string(), v.null()) },
  handler: async (ctx, args) => {
    const result = await ctx.db.query("users").paginate({ cursor: args.cursor, numItems: 100 });
    for (const user of result.page) {
      await ctx.db.patch(user._id, { isPro: undefined });
    }
    if (!result.isDone) {
      await ctx.scheduler.runAfter(0, internal.migrations.unsetUsersIsPro, { cursor: result.continueCursor });
    }
  },
});

// Give every user without a role the default one.
export const backfillUsersRole = internalMutation({
  args: { cursor: v.union(v.string(), v.null()) },
  handler: async (ctx, args) => {
    const { page, isDone, continueCursor } = await ctx.db
      .query("users")
      .paginate({ cursor: args.cursor, numItems: 100 });
    for (const user of page) {
      if (user.role === undefined) {
        await ctx.db.patch(user._id, { role: "member" });
      }
    }
    if (!isDone) {
      await ctx.scheduler.runAfter(0, internal.migrations.backfillUsersRole, { cursor: continueCursor });
    }
  },
});

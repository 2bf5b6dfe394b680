import { v } from "convex/values";
import { internalMutation, internalAction } from "./_generated/server";
import { internal } from "./_generated/api";

// Pages through `shares` one at a time; for each share without chat history, an action writes the
// history to file storage and a mutation stores the id on the share.
export const migrateSharedChats = internalMutation({
  args: { cursor: v.optional(v.string()) },
  handler: async (ctx, args) => {
    const page = await ctx.db.query("shares").paginate({ cursor: args.cursor ?? null, numItems: 1 });
    if (page.isDone) return;
    const share = page.page[0];
    if (share && share.chatHistoryId === undefined) {
      await ctx.scheduler.runAfter(0, internal.messageMigration.migrateSharedChatToStorage, { shareId: share._id });
    }
    await ctx.scheduler.runAfter(0, internal.messageMigration.migrateSharedChats, { cursor: page.continueCursor });
  },
});

export const migrateSharedChatToStorage = internalAction({
  args: { shareId: v.id("shares") },
  handler: async (ctx, args) => {
    const storageId = await ctx.storage.store(new Blob(["history"]));
    await ctx.runMutation(internal.messageMigration.updateSharedChatWithStorageId, { shareId: args.shareId, storageId });
  },
});

export const updateSharedChatWithStorageId = internalMutation({
  args: { shareId: v.id("shares"), storageId: v.id("_storage") },
  handler: async (ctx, args) => {
    await ctx.db.patch(args.shareId, { chatHistoryId: args.storageId });
  },
});

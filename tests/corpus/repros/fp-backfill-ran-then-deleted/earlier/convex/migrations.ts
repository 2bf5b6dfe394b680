import { Migrations } from "@convex-dev/migrations";
import { components } from "./_generated/api";
import { DataModel } from "./_generated/dataModel";
export const migrations = new Migrations<DataModel>(components.migrations);
export const backfillSnapshotId = migrations.define({
  table: "shares",
  migrateOne: async (ctx, share) => {
    if (share.snapshotId === undefined) {
      const snapshotId = await ctx.storage.store(new Blob([share.chatId]));
      return { snapshotId };
    }
  },
});

import { Migrations } from "@convex-dev/migrations";
import { components } from "./_generated/api";
import { DataModel } from "./_generated/dataModel";
export const migrations = new Migrations<DataModel>(components.migrations);
export const statusToString = migrations.define({
  table: "newsletter",
  migrateOne: async (ctx, doc) => {
    await ctx.db.patch(doc._id, { status: doc.status ? "active" : "inactive" });
  },
});

import { Migrations } from "@convex-dev/migrations";
import { components } from "./_generated/api.js";
import { DataModel } from "./_generated/dataModel.js";

export const migrations = new Migrations<DataModel>(components.migrations);

// Turns `general` off; keeps every other key of `notifications` (including `newsletter`) as it is.
export const turnOffGeneral = migrations.define({
  table: "userPreferences",
  migrateOne: async (ctx, userPref) => {
    const notifications = userPref.notifications;
    await ctx.db.patch(userPref._id, {
      notifications: { ...notifications, general: false },
    });
  },
});

import { internalMutation } from "./_generated/server";
import { v } from "convex/values";
async function anonymize(ctx: any, entityType: string, recordId: any) {
  switch (entityType) {
    case "contact":
      await ctx.db.patch(recordId, { phone: undefined });
      break;
    case "activity":
      await ctx.db.patch(recordId, { description: "[REDACTED]" });
      break;
  }
}
export const run = internalMutation({
  args: { entityType: v.string(), recordId: v.string() },
  handler: async (ctx, args) => {
    await anonymize(ctx, args.entityType, args.recordId);
  },
});
export const forgetContact = internalMutation({
  args: { contactId: v.id("contacts") },
  handler: async (ctx, args) => {
    const contact = await ctx.db.get(args.contactId);
    if (contact) await anonymize(ctx, "contact", contact._id);
  },
});

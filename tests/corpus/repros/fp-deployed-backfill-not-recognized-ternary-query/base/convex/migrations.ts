import { internalMutation } from "./_generated/server";
import { v } from "convex/values";
import { Id } from "./_generated/dataModel";
export const addUserIdToCards = internalMutation({
  args: { batchSize: v.optional(v.number()) },
  handler: async (ctx, args) => {
    let lastId: Id<"cards"> | undefined = undefined;
    while (true) {
      const query = ctx.db.query("cards");
      const cardsQuery: any = lastId ? query.filter((q: any) => q.gt(q.field("_id"), lastId!)) : query;
      const cards: any[] = await cardsQuery.filter((q: any) => q.eq(q.field("userId"), undefined)).take(args.batchSize ?? 100);
      if (cards.length === 0) break;
      for (const card of cards) {
        const deck = await ctx.db.get(card.deckId);
        if (deck) await ctx.db.patch(card._id, { userId: deck.userId });
      }
      lastId = cards[cards.length - 1]._id;
    }
  },
});

import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export default defineSchema({
  decks: defineTable({ userId: v.string() }),
  cards: defineTable({ deckId: v.id("decks"), userId: v.optional(v.string()) }),
});

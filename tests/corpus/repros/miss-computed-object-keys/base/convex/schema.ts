import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
export const CURRENCIES = { USD: "usd", EUR: "eur" } as const;
const price = v.object({ stripeId: v.string(), amount: v.number() });
export default defineSchema({
  plans: defineTable({
    name: v.string(),
    prices: v.object({ [CURRENCIES.USD]: price, [CURRENCIES.EUR]: price }),
  }),
});

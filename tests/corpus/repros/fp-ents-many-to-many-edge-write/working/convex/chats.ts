import { mutation } from "./functions";
import { v } from "convex/values";

export const create = mutation({
  args: { other: v.id("users") },
  handler: async (ctx, { other }) => {
    const me = await ctx.table("users").insert({ name: "me" });
    await ctx.table("chats").insert({ support: false, users: [me, other] });
  },
});

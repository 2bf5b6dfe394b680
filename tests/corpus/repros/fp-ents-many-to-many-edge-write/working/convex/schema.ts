import { defineEnt, defineEntSchema, getEntDefinitions } from "convex-ents";
import { v } from "convex/values";

const schema = defineEntSchema({
  chats: defineEnt({}).field("support", v.boolean()).edges("users"),
  users: defineEnt({}).field("name", v.string()).edges("chats"),
});

export default schema;
export const entDefinitions = getEntDefinitions(schema);

import { defineEnt, defineEntSchema, getEntDefinitions } from "convex-ents";
import { defineSchema } from "convex/server";
import { v } from "convex/values";

const entSchema = defineEntSchema({
  rooms: defineEnt({ name: v.string(), slug: v.string() }),
});

export const entDefinitions = getEntDefinitions(entSchema);
export default defineSchema({ ...entSchema.tables });

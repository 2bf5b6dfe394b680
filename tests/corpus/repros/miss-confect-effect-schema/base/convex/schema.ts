import { defineSchema, defineTable } from "@rjdellecese/confect/server";
import { Schema } from "effect";
export const confectSchema = defineSchema({
  notes: defineTable(Schema.Struct({ text: Schema.String, tag: Schema.optional(Schema.String) })),
});
export default confectSchema.convexSchemaDefinition;

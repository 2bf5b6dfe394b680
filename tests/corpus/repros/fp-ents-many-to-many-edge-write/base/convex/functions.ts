import { customCtx, customMutation } from "convex-helpers/server/customFunctions";
import { entsTableFactory } from "convex-ents";
import { mutation as baseMutation } from "./_generated/server";
import { entDefinitions } from "./schema";

export const mutation = customMutation(
  baseMutation,
  customCtx(async (ctx) => ({ table: entsTableFactory(ctx, entDefinitions) })),
);

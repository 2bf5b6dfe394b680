import { defineSchema, defineTable } from "convex/server";
import { z } from "zod";
import { zodToConvexFields } from "convex-helpers/server/zod";
const postsZod = { title: z.string(), body: z.string() };
export default defineSchema({ posts: defineTable(zodToConvexFields(postsZod)) });

import { defineSchema, defineTable } from "convex/server";
import { userFields } from "@/convex/validators";
export default defineSchema({ users: defineTable(userFields) });

import { defineSchema, defineTable } from "convex/server";
import { userFields } from "@acme/shared";
export default defineSchema({ users: defineTable(userFields) });

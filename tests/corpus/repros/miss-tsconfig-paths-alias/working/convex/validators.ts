import { v } from "convex/values";
export const userFields = { name: v.string(), role: v.string() };

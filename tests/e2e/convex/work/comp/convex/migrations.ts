import { Migrations } from "@convex-dev/migrations";
import { components } from "./_generated/api";
import type { DataModel } from "./_generated/dataModel";

export const migrations = new Migrations<DataModel>(components.migrations);

/** Runs a migration by name: npx convex run migrations:run '{"fn": "migrations:NAME"}' */
export const run = migrations.runner();

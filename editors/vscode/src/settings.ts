// Shapes the extension's settings (`convexMigrate.base`, `convexMigrate.rules`, `convexMigrate.npxPath`,
// `convexMigrate.deployment`, `convexMigrate.snapshot`)
// into what the server reads from `initializationOptions` and `workspace/didChangeConfiguration`:
// `{ "convexMigrate": { "base": "origin/main" | null, "rules": { "<rule id>": "<level>" }, "npxPath"?: "…" } }`.

/** The levels a rule can be set to (the server also takes "warn" for "warning"). */
export const LEVELS = ["error", "warning", "info", "hint", "off"] as const;
export type Level = (typeof LEVELS)[number];

export interface ServerSettings {
  convexMigrate: {
    /** The git revision to compare with; null lets the project's config or the default decide. */
    base: string | null;
    rules: Record<string, Level>;
    /** The `npx` the server runs migrations with (when the extension lets the server run them). */
    npxPath?: string;
    /** The deployment whose verifications count in the editor (the server's default: `dev`). */
    deployment?: string;
    /** A snapshot export, relative to the project root, whose documents the findings count. */
    snapshot?: string;
  };
}

export interface Shaped {
  settings: ServerSettings;
  /** Values that were dropped, said in words for the output channel. */
  problems: string[];
}

/** Reads settings through a getter like `WorkspaceConfiguration.get` (section `convexMigrate`). */
export function shapeSettings(get: (key: string) => unknown): Shaped {
  const problems: string[] = [];
  const rawBase = get("base");
  let base: string | null = null;
  if (typeof rawBase === "string") {
    base = rawBase.trim() === "" ? null : rawBase.trim();
  } else if (rawBase !== undefined && rawBase !== null) {
    problems.push(`convexMigrate.base must be a git revision (a string), not ${JSON.stringify(rawBase)}: ignored`);
  }
  const rules: Record<string, Level> = {};
  const rawRules = get("rules");
  if (rawRules && typeof rawRules === "object" && !Array.isArray(rawRules)) {
    for (const [rule, level] of Object.entries(rawRules as Record<string, unknown>)) {
      const normalized = level === "warn" ? "warning" : level;
      if (typeof normalized === "string" && (LEVELS as readonly string[]).includes(normalized)) {
        rules[rule] = normalized as Level;
      } else {
        problems.push(`convexMigrate.rules["${rule}"] must be one of ${LEVELS.join(", ")}, not ${JSON.stringify(level)}: ignored`);
      }
    }
  } else if (rawRules !== undefined && rawRules !== null) {
    problems.push(`convexMigrate.rules must be an object of rule ids to levels: ignored`);
  }
  const settings: ServerSettings = { convexMigrate: { base, rules } };
  const npxPath = get("npxPath");
  if (typeof npxPath === "string" && npxPath.trim() !== "") settings.convexMigrate.npxPath = npxPath.trim();
  const deployment = get("deployment");
  if (typeof deployment === "string" && deployment.trim() !== "") settings.convexMigrate.deployment = deployment.trim();
  const snapshot = get("snapshot");
  if (typeof snapshot === "string" && snapshot.trim() !== "") settings.convexMigrate.snapshot = snapshot.trim();
  return { settings, problems };
}

/** Where migrations run: an integrated terminal (default), or the server (which records verifications in the ledger). */
export type Runner = "terminal" | "server";

export function runner(value: unknown): Runner {
  return value === "server" ? "server" : "terminal";
}

/** The settings whose change is sent to the running server (others need a restart, or nothing). */
export const FORWARDED = ["convexMigrate.base", "convexMigrate.rules", "convexMigrate.npxPath", "convexMigrate.deployment", "convexMigrate.snapshot"] as const;
/** The settings whose change restarts the server. */
export const RESTARTING = ["convexMigrate.server.path", "convexMigrate.path"] as const;

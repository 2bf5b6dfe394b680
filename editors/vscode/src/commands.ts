// Running and verifying migrations: the server's code lenses carry the commands `convex-migrate.run`
// and `convex-migrate.verify` with one argument `{ root, function, field?, prod }`. The extension
// intercepts them and runs the exact `npx convex run` command in an integrated terminal instead, so
// the user sees the output and Convex's own prompts. Pure: no `vscode` here.

import * as path from "node:path";

/** The commands the server puts on its code lenses. */
export const SERVER_COMMANDS = { run: "convex-migrate.run", verify: "convex-migrate.verify" } as const;
/** The extension's own commands (palette and rewritten code lenses). */
export const EXTENSION_COMMANDS = {
  run: "convexMigrate.runMigration",
  verify: "convexMigrate.verifyMigration",
  restart: "convexMigrate.restartServer",
  showOutput: "convexMigrate.showOutput",
  plan: "convexMigrate.planMigration",
} as const;

export type MigrationKind = keyof typeof SERVER_COMMANDS;

export interface MigrationArgs {
  /** The Convex project's root (absolute): where `npx convex run` runs. */
  root: string;
  /** The function, as `npx convex run` names it: `migrations:backfillUsersRole`. */
  function: string;
  /** For verify: the field it checks, `users.role`. */
  field?: string;
  /** Run against the production deployment (`--prod`). */
  prod: boolean;
}

/** Which migration command a command id is, if any (the server's or the extension's id). */
export function migrationKind(command: string): MigrationKind | undefined {
  if (command === SERVER_COMMANDS.run || command === EXTENSION_COMMANDS.run) return "run";
  if (command === SERVER_COMMANDS.verify || command === EXTENSION_COMMANDS.verify) return "verify";
  return undefined;
}

/** A Convex function name as `npx convex run` takes it: `dir/module:export`, `module` (default export). */
const FUNCTION_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*(:[A-Za-z_$][A-Za-z0-9_$]*)?$/;

/** Checks the argument object of a code lens command; returns it typed, or what is wrong. */
export function parseMigrationArgs(value: unknown): { ok: true; args: MigrationArgs } | { ok: false; message: string } {
  if (!value || typeof value !== "object") return { ok: false, message: "the command needs an argument { root, function, prod }" };
  const v = value as Record<string, unknown>;
  if (typeof v.root !== "string" || !path.isAbsolute(v.root)) return { ok: false, message: `\`root\` must be an absolute path, not ${JSON.stringify(v.root)}` };
  if (typeof v.function !== "string" || !FUNCTION_NAME.test(v.function)) {
    // Checked, not quoted: a name that needs quoting is not a Convex function name, and the
    // command line must be exactly what the user sees.
    return { ok: false, message: `\`function\` must be a Convex function name like "migrations:backfillUsersRole", not ${JSON.stringify(v.function)}` };
  }
  if (v.field !== undefined && typeof v.field !== "string") return { ok: false, message: "`field` must be a string like \"users.role\"" };
  if (v.prod !== undefined && typeof v.prod !== "boolean") return { ok: false, message: "`prod` must be true or false" };
  return { ok: true, args: { root: v.root, function: v.function, field: v.field as string | undefined, prod: v.prod === true } };
}

/** The exact command line: `npx convex run migrations:backfillUsersRole [--prod]`. */
export function convexRunCommandLine(args: MigrationArgs): string {
  return ["npx", "convex", "run", args.function, ...(args.prod ? ["--prod"] : [])].join(" ");
}

export interface TerminalPlan {
  /** The terminal's title. */
  name: string;
  cwd: string;
  commandLine: string;
  /** Ask first: this touches the production deployment. */
  confirm?: string;
}

export function terminalPlan(kind: MigrationKind, args: MigrationArgs): TerminalPlan {
  const target = args.prod ? "prod" : "dev";
  const what = kind === "verify" && args.field ? `verify ${args.field}` : `${kind} ${args.function}`;
  const plan: TerminalPlan = { name: `convex-migrate: ${what} (${target})`, cwd: args.root, commandLine: convexRunCommandLine(args) };
  if (args.prod) {
    plan.confirm =
      kind === "run"
        ? `Run the migration ${args.function} on the PRODUCTION deployment? It writes to production data.`
        : `Run ${args.function} on the PRODUCTION deployment to verify ${args.field ?? "the migration"}?`;
  }
  return plan;
}

/** A code lens command as the language client hands it over (`vscode.Command` shape). */
export interface LensCommand {
  title: string;
  command: string;
  arguments?: unknown[];
  tooltip?: string;
}

/**
 * Points a server migration command at the extension's own command, so a code lens click runs in a
 * terminal whether or not the server registers the command. Other commands are returned unchanged.
 */
export function rewriteLensCommand<C extends LensCommand>(command: C): C {
  const kind = migrationKind(command.command);
  if (!kind || command.command !== SERVER_COMMANDS[kind]) return command;
  const args = command.arguments?.[0];
  const parsed = parseMigrationArgs(args);
  const tooltip = parsed.ok ? `Runs \`${convexRunCommandLine(parsed.args)}\` in ${parsed.args.root}` : command.tooltip;
  return { ...command, command: EXTENSION_COMMANDS[kind], tooltip };
}

/** Whether a code lens runs something (hidden in untrusted workspaces). */
export function runsSomething(command: LensCommand | undefined): boolean {
  return !!command && migrationKind(command.command) !== undefined;
}

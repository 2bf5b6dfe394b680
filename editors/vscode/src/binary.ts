// Finds the `convex-migrate` binary the extension starts: the `convexMigrate.path` setting, then the
// binary bundled in the extension's `server/` folder, then `convex-migrate` on PATH.
// Pure: the file system is reached only through the `isExecutable` function it is handed.

import * as path from "node:path";

export type ServerSource = "setting" | "bundled" | "PATH";

export interface ServerLookup {
  /** `convexMigrate.path` as set (empty when unset). */
  configured: string;
  /** The extension's own folder (`context.extensionPath`). */
  extensionPath: string;
  /** The first workspace folder, against which a relative `convexMigrate.path` is resolved. */
  workspaceFolder?: string;
  /** The user's home, for a `~/` setting. */
  home: string;
  /** `process.env.PATH`. */
  pathEnv: string;
  platform: NodeJS.Platform;
  /** Whether a file exists there and can be executed. */
  isExecutable: (file: string) => boolean;
}

export type ServerFound = { ok: true; path: string; source: ServerSource } | { ok: false; message: string };

/** The binary's file name on this platform. */
export function binaryName(platform: NodeJS.Platform): string {
  return platform === "win32" ? "convex-migrate.exe" : "convex-migrate";
}

/** Where the packaged extension keeps its server. */
export function bundledPath(extensionPath: string, platform: NodeJS.Platform): string {
  return path.join(extensionPath, "server", binaryName(platform));
}

/** `~/x` → home/x; a relative path → against the workspace folder; otherwise as is. */
export function expandConfigured(configured: string, home: string, workspaceFolder?: string): string {
  const value = configured.trim();
  if (value === "~") return home;
  if (value.startsWith("~/")) return path.join(home, value.slice(2));
  if (!path.isAbsolute(value) && workspaceFolder && (value.includes("/") || value.includes("\\"))) {
    return path.join(workspaceFolder, value);
  }
  return value;
}

/** Searches PATH for `name` the way a shell does. */
export function searchPath(name: string, pathEnv: string, platform: NodeJS.Platform, isExecutable: (f: string) => boolean): string | undefined {
  const separator = platform === "win32" ? ";" : ":";
  for (const dir of pathEnv.split(separator)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export const INSTALL_HINT =
  "Install it with `cargo install --path server` from the convex-migrate repository (so `convex-migrate` is on PATH), " +
  "or set `convexMigrate.path` to the binary.";

export function findServer(env: ServerLookup): ServerFound {
  const name = binaryName(env.platform);
  if (env.configured.trim() !== "") {
    const wanted = expandConfigured(env.configured, env.home, env.workspaceFolder);
    // A bare name in the setting (`convex-migrate-nightly`) is looked up on PATH.
    const resolved = path.isAbsolute(wanted) ? wanted : searchPath(wanted, env.pathEnv, env.platform, env.isExecutable);
    if (resolved && env.isExecutable(resolved)) return { ok: true, path: resolved, source: "setting" };
    // An explicit setting that does not work is an error, not a reason to start another binary.
    return {
      ok: false,
      message: `convex-migrate: \`convexMigrate.path\` is "${env.configured}", but no executable file is there. Fix the setting (or clear it to use the bundled server or the one on PATH).`,
    };
  }
  const bundled = bundledPath(env.extensionPath, env.platform);
  if (env.isExecutable(bundled)) return { ok: true, path: bundled, source: "bundled" };
  const onPath = searchPath(name, env.pathEnv, env.platform, env.isExecutable);
  if (onPath) return { ok: true, path: onPath, source: "PATH" };
  return {
    ok: false,
    message: `convex-migrate: the language server binary was not found (no \`convexMigrate.path\` setting, no server bundled for ${env.platform}, no \`${name}\` on PATH). ${INSTALL_HINT}`,
  };
}

/**
 * How the language client starts the server: `convex-migrate lsp`, on stdio. No `transport` on
 * purpose: with `TransportKind.stdio` vscode-languageclient appends `--stdio` to the arguments,
 * which `convex-migrate lsp` rejects (found by the code-server test).
 */
export function serverExecutable(binary: string): { command: string; args: string[] } {
  return { command: binary, args: ["lsp"] };
}

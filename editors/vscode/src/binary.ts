// Finds the `convex-migrate` binary the extension starts: the project's own
// (`node_modules/.bin/convex-migrate`, from each Convex project folder up to its workspace folder,
// as `npm i -D convex-migrate` installs it; only in a trusted workspace), then the
// `convexMigrate.server.path` setting, then `convex-migrate` on PATH, then the binary bundled in the
// extension's `server/` folder. Pure: the file system is reached only through `isExecutable`.

import * as path from "node:path";

export type ServerSource = "node_modules" | "setting" | "bundled" | "PATH";

/** The setting that names the binary (`convexMigrate.path` is its older name, still read). */
export const PATH_SETTING = "server.path";
export const OLD_PATH_SETTING = "path";

export interface ServerLookup {
  /** `convexMigrate.server.path` (or the older `convexMigrate.path`) as set (empty when unset). */
  configured: string;
  /** Folders to look for `node_modules/.bin` from (the Convex projects of the workspace), walking up. */
  projectFolders?: string[];
  /** The workspace folders: the walk up from a project folder stops at the one holding it. */
  workspaceFolders?: string[];
  /** Whether the workspace is trusted: an untrusted one's `node_modules` is never run. */
  trusted?: boolean;
  /** The extension's own folder (`context.extensionPath`). */
  extensionPath: string;
  /** The first workspace folder, against which a relative `convexMigrate.server.path` is resolved. */
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
  "Add it to the project with `npm i -D convex-migrate`, install it with `cargo install --path server` from the " +
  "convex-migrate repository (so `convex-migrate` is on PATH), or set `convexMigrate.server.path` to the binary.";

/** The name of the launcher npm puts in `node_modules/.bin` on this platform. */
export function nodeModulesBinName(platform: NodeJS.Platform): string {
  return platform === "win32" ? "convex-migrate.cmd" : "convex-migrate";
}

/**
 * `node_modules/.bin/convex-migrate` of the nearest folder that has one, from `start` up to the
 * workspace folder holding it (never above it: a binary outside the workspace is not the project's).
 */
export function nodeModulesBin(start: string, workspaceFolders: string[], platform: NodeJS.Platform, isExecutable: (f: string) => boolean): string | undefined {
  const within = (dir: string, top: string) => dir === top || dir.startsWith(top.endsWith(path.sep) ? top : top + path.sep);
  const top = workspaceFolders.filter((w) => within(start, w)).sort((a, b) => b.length - a.length)[0];
  if (!top) return undefined;
  const name = nodeModulesBinName(platform);
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, "node_modules", ".bin", name);
    if (isExecutable(candidate)) return candidate;
    if (dir === top) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir || !within(parent, top)) return undefined;
    dir = parent;
  }
}

export function findServer(env: ServerLookup): ServerFound {
  const name = binaryName(env.platform);
  if (env.trusted !== false) {
    const folders = env.workspaceFolders ?? (env.workspaceFolder ? [env.workspaceFolder] : []);
    for (const start of [...(env.projectFolders ?? []), ...folders]) {
      const local = nodeModulesBin(start, folders, env.platform, env.isExecutable);
      if (local) return { ok: true, path: local, source: "node_modules" };
    }
  }
  if (env.configured.trim() !== "") {
    const wanted = expandConfigured(env.configured, env.home, env.workspaceFolder);
    // A bare name in the setting (`convex-migrate-nightly`) is looked up on PATH.
    const resolved = path.isAbsolute(wanted) ? wanted : searchPath(wanted, env.pathEnv, env.platform, env.isExecutable);
    if (resolved && env.isExecutable(resolved)) return { ok: true, path: resolved, source: "setting" };
    // An explicit setting that does not work is an error, not a reason to start another binary.
    return {
      ok: false,
      message: `convex-migrate: \`convexMigrate.server.path\` is "${env.configured}", but no executable file is there. Fix the setting (or clear it to use the one on PATH or the bundled server).`,
    };
  }
  const onPath = searchPath(name, env.pathEnv, env.platform, env.isExecutable);
  if (onPath) return { ok: true, path: onPath, source: "PATH" };
  const bundled = bundledPath(env.extensionPath, env.platform);
  if (env.isExecutable(bundled)) return { ok: true, path: bundled, source: "bundled" };
  return {
    ok: false,
    message: `convex-migrate: the language server binary was not found (no \`node_modules/.bin/convex-migrate\` in the workspace, no \`convexMigrate.server.path\` setting, no \`${name}\` on PATH, no server bundled for ${env.platform}). ${INSTALL_HINT}`,
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

// The extension's own logic, without VS Code (which cannot be downloaded here; see
// protocol.test.ts for the server side): finding the binary, shaping settings, building the
// `npx convex run` command lines and rewriting code lens commands, and the package manifest.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { binaryName, bundledPath, expandConfigured, findServer, nodeModulesBin, ServerLookup, serverExecutable } from "../src/binary";
import { isField, PLAN_CHANGES, planArgs } from "../src/plan";
import { clientState, statusView } from "../src/status";
import { convexRunCommandLine, EXTENSION_COMMANDS, LensCommand, migrationKind, parseMigrationArgs, rewriteLensCommand, runsSomething, SERVER_COMMANDS, terminalPlan } from "../src/commands";
import { LEVELS, runner, shapeSettings } from "../src/settings";

const extensionRoot = path.resolve(__dirname, "..", "..");

function lookup(files: string[], overrides: Partial<ServerLookup> = {}): ServerLookup {
  return {
    configured: "",
    extensionPath: "/ext",
    workspaceFolder: "/work/app",
    home: "/home/dev",
    pathEnv: "/usr/local/bin:/usr/bin",
    platform: "linux",
    isExecutable: (f) => files.includes(f),
    ...overrides,
  };
}

describe("findServer", () => {
  it("prefers the setting over the bundled binary and PATH", () => {
    const found = findServer(lookup(["/opt/cm/convex-migrate", "/ext/server/convex-migrate", "/usr/bin/convex-migrate"], { configured: "/opt/cm/convex-migrate" }));
    assert.deepEqual(found, { ok: true, path: "/opt/cm/convex-migrate", source: "setting" });
  });

  it("expands ~/ and resolves a relative setting against the workspace folder", () => {
    assert.equal(expandConfigured("~/bin/convex-migrate", "/home/dev"), "/home/dev/bin/convex-migrate");
    assert.equal(expandConfigured("./target/debug/convex-migrate", "/home/dev", "/work/app"), "/work/app/target/debug/convex-migrate");
    const found = findServer(lookup(["/home/dev/.cargo/bin/convex-migrate"], { configured: "~/.cargo/bin/convex-migrate" }));
    assert.deepEqual(found, { ok: true, path: "/home/dev/.cargo/bin/convex-migrate", source: "setting" });
  });

  it("looks a bare name in the setting up on PATH", () => {
    const found = findServer(lookup(["/usr/bin/convex-migrate-nightly"], { configured: "convex-migrate-nightly" }));
    assert.deepEqual(found, { ok: true, path: "/usr/bin/convex-migrate-nightly", source: "setting" });
  });

  it("does not fall back when the setting points nowhere: it says which setting to fix", () => {
    const found = findServer(lookup(["/ext/server/convex-migrate"], { configured: "/nope/convex-migrate" }));
    assert.equal(found.ok, false);
    assert.match(!found.ok ? found.message : "", /`convexMigrate.server.path` is "\/nope\/convex-migrate"/);
  });

  it("uses PATH in order, then the bundled server", () => {
    assert.deepEqual(findServer(lookup(["/ext/server/convex-migrate", "/usr/bin/convex-migrate"])), { ok: true, path: "/usr/bin/convex-migrate", source: "PATH" });
    assert.deepEqual(findServer(lookup(["/usr/local/bin/convex-migrate", "/usr/bin/convex-migrate"])), { ok: true, path: "/usr/local/bin/convex-migrate", source: "PATH" });
    assert.deepEqual(findServer(lookup(["/ext/server/convex-migrate"])), { ok: true, path: "/ext/server/convex-migrate", source: "bundled" });
  });

  it("prefers the project's own node_modules/.bin/convex-migrate, walking up to the workspace folder", () => {
    const everywhere = ["/work/app/node_modules/.bin/convex-migrate", "/opt/cm/convex-migrate", "/usr/bin/convex-migrate", "/ext/server/convex-migrate"];
    // Before the setting, PATH and the bundled server.
    assert.deepEqual(findServer(lookup(everywhere, { configured: "/opt/cm/convex-migrate" })), { ok: true, path: "/work/app/node_modules/.bin/convex-migrate", source: "node_modules" });
    // A monorepo: the project's own folder first, then up (npm hoists to the top).
    const mono = { workspaceFolders: ["/work/mono"], workspaceFolder: "/work/mono", projectFolders: ["/work/mono/apps/web"] };
    assert.deepEqual(findServer(lookup(["/work/mono/apps/web/node_modules/.bin/convex-migrate", "/work/mono/node_modules/.bin/convex-migrate"], mono)), {
      ok: true,
      path: "/work/mono/apps/web/node_modules/.bin/convex-migrate",
      source: "node_modules",
    });
    assert.deepEqual(findServer(lookup(["/work/mono/node_modules/.bin/convex-migrate"], mono)), { ok: true, path: "/work/mono/node_modules/.bin/convex-migrate", source: "node_modules" });
    // Never above the workspace folder.
    assert.equal(nodeModulesBin("/work/mono/apps/web", ["/work/mono"], "linux", (f) => f === "/work/node_modules/.bin/convex-migrate"), undefined);
    assert.equal(nodeModulesBin("/elsewhere", ["/work/mono"], "linux", () => true), undefined);
    // A folder that merely starts like the workspace's is not inside it.
    assert.equal(nodeModulesBin("/work/mono-other/app", ["/work/mono"], "linux", () => true), undefined);
    // Windows: npm's launcher is a .cmd.
    assert.equal(nodeModulesBin("C:\\w", ["C:\\w"], "win32", (f) => f.endsWith("convex-migrate.cmd")), path.join("C:\\w", "node_modules", ".bin", "convex-migrate.cmd"));
  });

  it("never runs an untrusted workspace's node_modules", () => {
    const found = findServer(lookup(["/work/app/node_modules/.bin/convex-migrate", "/usr/bin/convex-migrate"], { trusted: false }));
    assert.deepEqual(found, { ok: true, path: "/usr/bin/convex-migrate", source: "PATH" });
  });

  it("explains how to fix a missing binary", () => {
    const found = findServer(lookup([]));
    assert.equal(found.ok, false);
    const message = !found.ok ? found.message : "";
    assert.match(message, /not found/);
    assert.match(message, /cargo install --path server/);
    assert.match(message, /convexMigrate\.server\.path/);
    assert.match(message, /npm i -D convex-migrate/);
  });

  it("starts `convex-migrate lsp` with no transport flag (the client would append --stdio)", () => {
    assert.deepEqual(serverExecutable("/ext/server/convex-migrate"), { command: "/ext/server/convex-migrate", args: ["lsp"] });
    assert.equal("transport" in serverExecutable("x"), false);
  });

  it("knows the Windows file name and PATH separator", () => {
    assert.equal(binaryName("win32"), "convex-migrate.exe");
    assert.equal(bundledPath("/ext", "linux"), path.join("/ext", "server", "convex-migrate"));
    const found = findServer(lookup([path.join("C:\\tools", "convex-migrate.exe")], { platform: "win32", pathEnv: "C:\\tools;C:\\other" }));
    assert.equal(found.ok && found.source, "PATH");
  });
});

describe("shapeSettings", () => {
  const from = (values: Record<string, unknown>) => shapeSettings((key) => values[key]);

  it("sends the server's shape, with an empty base as null", () => {
    assert.deepEqual(from({ base: "", rules: {} }), { settings: { convexMigrate: { base: null, rules: {} } }, problems: [] });
    assert.deepEqual(from({}).settings, { convexMigrate: { base: null, rules: {} } });
    assert.deepEqual(from({ base: " origin/main ", rules: { "removed-table": "off", "backfill-unverified": "warn" } }).settings, {
      convexMigrate: { base: "origin/main", rules: { "removed-table": "off", "backfill-unverified": "warning" } },
    });
  });

  it("drops bad values and says why", () => {
    const shaped = from({ base: 3, rules: { "removed-table": "loud", "narrowed-type": "hint" } });
    assert.deepEqual(shaped.settings, { convexMigrate: { base: null, rules: { "narrowed-type": "hint" } } });
    assert.equal(shaped.problems.length, 2);
    assert.match(shaped.problems[1], /removed-table.*loud/);
    assert.equal(from({ rules: ["off"] }).problems.length, 1);
  });

  it("forwards npxPath only when set, and runs migrations in a terminal unless told otherwise", () => {
    assert.equal(from({ npxPath: "" }).settings.convexMigrate.npxPath, undefined);
    assert.equal(from({ npxPath: "/opt/node/bin/npx" }).settings.convexMigrate.npxPath, "/opt/node/bin/npx");
    assert.equal(from({ deployment: " prod " }).settings.convexMigrate.deployment, "prod");
    assert.equal(from({ deployment: "" }).settings.convexMigrate.deployment, undefined);
    assert.equal(from({ snapshot: "" }).settings.convexMigrate.snapshot, undefined);
    assert.equal(from({ snapshot: " data/snapshot.zip " }).settings.convexMigrate.snapshot, "data/snapshot.zip");
    assert.equal(runner(undefined), "terminal");
    assert.equal(runner("nonsense"), "terminal");
    assert.equal(runner("server"), "server");
  });
});

describe("migration commands", () => {
  const args = { root: "/work/app", function: "migrations:backfillUsersRole", field: "users.role", prod: false };

  it("builds the exact npx convex run command line", () => {
    assert.equal(convexRunCommandLine(args), "npx convex run migrations:backfillUsersRole");
    assert.equal(convexRunCommandLine({ ...args, prod: true }), "npx convex run migrations:backfillUsersRole --prod");
    assert.equal(convexRunCommandLine({ ...args, function: "admin/migrations:backfill" }), "npx convex run admin/migrations:backfill");
  });

  it("plans a terminal in the project root, asking first for production", () => {
    const dev = terminalPlan("run", args);
    assert.deepEqual(dev, { name: "convex-migrate: run migrations:backfillUsersRole (dev)", cwd: "/work/app", commandLine: "npx convex run migrations:backfillUsersRole" });
    const prod = terminalPlan("verify", { ...args, function: "migrations:verifyUsersRole", prod: true });
    assert.equal(prod.name, "convex-migrate: verify users.role (prod)");
    assert.equal(prod.commandLine, "npx convex run migrations:verifyUsersRole --prod");
    assert.match(prod.confirm ?? "", /PRODUCTION/);
  });

  it("checks the code lens argument: an absolute root and a real function name, nothing to inject", () => {
    assert.deepEqual(parseMigrationArgs({ root: "/work/app", function: "migrations:backfillUsersRole" }), {
      ok: true,
      args: { root: "/work/app", function: "migrations:backfillUsersRole", field: undefined, prod: false },
    });
    assert.equal(parseMigrationArgs(undefined).ok, false);
    assert.equal(parseMigrationArgs({ root: "relative", function: "m:f" }).ok, false);
    assert.equal(parseMigrationArgs({ root: "/w", function: "m:f; rm -rf ~" }).ok, false);
    assert.equal(parseMigrationArgs({ root: "/w", function: "$(touch x):f" }).ok, false);
    assert.equal(parseMigrationArgs({ root: "/w", function: "m:f", prod: "yes" }).ok, false);
  });

  it("points the server's code lens commands at the extension's terminal commands", () => {
    assert.equal(migrationKind(SERVER_COMMANDS.run), "run");
    assert.equal(migrationKind(EXTENSION_COMMANDS.verify), "verify");
    assert.equal(migrationKind("editor.action.showReferences"), undefined);
    const lens: LensCommand = { title: "▶ Run backfill", command: SERVER_COMMANDS.run, arguments: [{ ...args, field: undefined }] };
    const rewritten = rewriteLensCommand(lens);
    assert.equal(rewritten.command, EXTENSION_COMMANDS.run);
    assert.deepEqual(rewritten.arguments, lens.arguments);
    assert.equal(rewritten.tooltip, "Runs `npx convex run migrations:backfillUsersRole` in /work/app");
    assert.equal(rewriteLensCommand({ ...lens, command: SERVER_COMMANDS.verify }).command, EXTENSION_COMMANDS.verify);
    const other = { title: "3 references", command: "editor.action.showReferences" };
    assert.equal(rewriteLensCommand(other), other);
    assert.equal(runsSomething(lens), true);
    assert.equal(runsSomething(other), false);
  });
});

describe("the status bar item", () => {
  it("shows the server's state, the binary in the tooltip, and opens the output on a click", () => {
    const running = statusView("running", "convexMigrate.showOutput", "/app/node_modules/.bin/convex-migrate (node_modules)");
    assert.equal(running.text, "$(check) Convex Migrate");
    assert.equal(running.command, "convexMigrate.showOutput");
    assert.equal(running.tooltip, "convex-migrate: running\n/app/node_modules/.bin/convex-migrate (node_modules)\nClick to show the output.");
    assert.equal(running.background, undefined);
    assert.equal(statusView("starting", "x").text, "$(sync~spin) Convex Migrate");
    assert.equal(statusView("stopped", "x").text, "$(circle-slash) Convex Migrate");
    const error = statusView("error", "x", undefined, "the language server binary was not found");
    assert.equal(error.text, "$(error) Convex Migrate");
    assert.equal(error.background, "statusBarItem.errorBackground");
    assert.match(error.tooltip, /binary was not found/);
  });

  it("names vscode-languageclient's states", () => {
    assert.deepEqual([1, 2, 3].map(clientState), ["stopped", "running", "starting"]);
  });
});

describe("Plan a migration", () => {
  it("offers every change `convex-migrate plan` takes", () => {
    assert.deepEqual(PLAN_CHANGES.map((c) => c.verb), ["", "require", "remove", "narrow", "rename", "retype", "split"]);
  });

  it("builds the plan command line", () => {
    const change = (verb: string) => PLAN_CHANGES.find((c) => c.verb === verb)!;
    assert.deepEqual(planArgs(change(""), undefined, undefined, "/app"), ["plan", "-C", "/app"]);
    assert.deepEqual(planArgs(change("require"), " users.role ", '"member"', "/app"), ["plan", "require", "users.role", "--default", '"member"', "-C", "/app"]);
    assert.deepEqual(planArgs(change("require"), "users.role", "", "/app"), ["plan", "require", "users.role", "-C", "/app"]);
    assert.deepEqual(planArgs(change("rename"), "users.name", "fullName", "/app"), ["plan", "rename", "users.name", "--to", "fullName", "-C", "/app"]);
    assert.deepEqual(planArgs(change("remove"), "users.isPro", undefined, "/app"), ["plan", "remove", "users.isPro", "-C", "/app"]);
    assert.equal(change("rename").option?.required, true);
  });

  it("takes a field as table.field", () => {
    assert.equal(isField("users.role"), true);
    assert.equal(isField("users"), false);
    assert.equal(isField("users.role.x"), false);
  });
});

describe("package.json", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(extensionRoot, "package.json"), "utf8"));
  const schema = JSON.parse(fs.readFileSync(path.join(extensionRoot, "schemas", "convex-migrate.schema.json"), "utf8"));

  it("activates on Convex projects and supports untrusted workspaces in a limited way", () => {
    assert.ok(manifest.activationEvents.includes("workspaceContains:**/convex/schema.ts"));
    assert.ok(manifest.activationEvents.includes("workspaceContains:**/convex.json"));
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, "limited");
    assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, ["convexMigrate.server.path", "convexMigrate.path", "convexMigrate.npxPath"]);
    assert.equal(manifest.engines.vscode, "^1.82.0");
  });

  it("contributes every command the extension registers, and settings with descriptions", () => {
    const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(contributed, Object.values(EXTENSION_COMMANDS).sort());
    for (const command of manifest.contributes.commands.filter((c: { command: string }) => migrationKind(c.command))) {
      assert.equal(command.enablement, "isWorkspaceTrusted");
    }
    const properties = manifest.contributes.configuration.properties;
    assert.ok(properties["convexMigrate.path"].markdownDeprecationMessage.includes("convexMigrate.server.path"));
    for (const key of ["convexMigrate.server.path", "convexMigrate.path", "convexMigrate.base", "convexMigrate.rules", "convexMigrate.runMigrationsIn", "convexMigrate.npxPath", "convexMigrate.deployment", "convexMigrate.snapshot", "convexMigrate.trace.server"]) {
      assert.ok(properties[key]?.markdownDescription, `${key} has a description`);
    }
    assert.deepEqual(properties["convexMigrate.rules"].additionalProperties.enum, [...LEVELS]);
  });

  it("validates convex-migrate.json with a schema of its real keys", () => {
    assert.deepEqual(manifest.contributes.jsonValidation, [{ fileMatch: "convex-migrate.json", url: "./schemas/convex-migrate.schema.json" }]);
    assert.deepEqual(Object.keys(schema.properties).sort(), ["$schema", "base", "deferToTypeScript", "dualWrites", "historyDepth", "rules", "verified"]);
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.properties.dualWrites.items.required, ["from", "to"]);
    assert.deepEqual(schema.properties.rules.additionalProperties.enum, [...LEVELS]);
    assert.deepEqual(Object.keys(schema.properties.verified.additionalProperties.properties), ["deployment", "at", "remaining", "scanned"]);
    assert.ok(schema.properties.rules.properties["required-without-backfill"]);
  });
});

describe("the bundle (dist/extension.js)", () => {
  it("loads with only `vscode` left external, and exports activate and deactivate", () => {
    const bundle = path.join(extensionRoot, "dist", "extension.js");
    assert.ok(fs.existsSync(bundle), "run `node esbuild.mjs` first (npm test does)");
    // Outside VS Code there is no `vscode` module: hand the bundle a stand-in, and see that it asks
    // for nothing else that is not bundled.
    // Any property is a class (the client extends vscode.CompletionItem and others) whose members are more of the same.
    const vscodeStandIn: unknown = new Proxy(function standIn() {}, {
      get: (target, key) => (key === "prototype" ? {} : typeof key === "symbol" ? Reflect.get(target, key) : vscodeStandIn),
      construct: () => ({}),
      apply: () => vscodeStandIn,
    });
    const Module = require("node:module") as { _load: (request: string, ...rest: unknown[]) => unknown };
    const load = Module._load;
    const asked: string[] = [];
    Module._load = (request: string, ...rest: unknown[]) => {
      if (request === "vscode") return vscodeStandIn;
      asked.push(request);
      return load(request, ...rest);
    };
    try {
      const extension = require(bundle) as { activate?: unknown; deactivate?: unknown };
      assert.equal(typeof extension.activate, "function");
      assert.equal(typeof extension.deactivate, "function");
    } finally {
      Module._load = load;
    }
    const notNode = asked.filter((r) => r !== bundle && !r.startsWith("node:") && !require("node:module").builtinModules.includes(r));
    assert.deepEqual(notNode, [], "everything but vscode and Node's own modules is bundled");
  });
});

// The convex-migrate VS Code extension: finds the server binary, starts it with
// vscode-languageclient, forwards settings, and runs migrations in a terminal when the user asks.
// Everything the server does (diagnostics, hover, code actions, code lenses) comes over LSP.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { DidChangeConfigurationNotification, ExecuteCommandRequest, LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";
import { findServer, serverExecutable } from "./binary";
import { convexRunCommandLine, EXTENSION_COMMANDS, MigrationArgs, MigrationKind, migrationKind, parseMigrationArgs, rewriteLensCommand, runsSomething, SERVER_COMMANDS, terminalPlan } from "./commands";
import { FORWARDED, RESTARTING, runner, shapeSettings } from "./settings";

const SECTION = "convexMigrate";
let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
const terminals = new Map<string, vscode.Terminal>();

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("convex-migrate");
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand(EXTENSION_COMMANDS.restart, () => restart(context)),
    vscode.commands.registerCommand(EXTENSION_COMMANDS.showOutput, () => output.show(true)),
    vscode.commands.registerCommand(EXTENSION_COMMANDS.run, (args?: unknown) => runMigration("run", args)),
    vscode.commands.registerCommand(EXTENSION_COMMANDS.verify, (args?: unknown) => runMigration("verify", args)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (RESTARTING.some((key) => event.affectsConfiguration(key))) {
        void restart(context);
      } else if (FORWARDED.some((key) => event.affectsConfiguration(key))) {
        void sendSettings();
      }
    }),
    // Trust granted: restart so the code lenses that run migrations appear.
    vscode.workspace.onDidGrantWorkspaceTrust(() => restart(context)),
    vscode.window.onDidCloseTerminal((closed) => {
      for (const [key, terminal] of terminals) if (terminal === closed) terminals.delete(key);
    }),
    { dispose: () => void client?.stop() },
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

function settings() {
  const shaped = shapeSettings((key) => vscode.workspace.getConfiguration(SECTION).get(key));
  for (const problem of shaped.problems) output.appendLine(problem);
  return shaped.settings;
}

async function sendSettings(): Promise<void> {
  if (!client?.isRunning()) return;
  await client.sendNotification(DidChangeConfigurationNotification.type, { settings: settings() });
}

function isExecutable(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const bundled = path.join(context.extensionPath, "server", process.platform === "win32" ? "convex-migrate.exe" : "convex-migrate");
  // A .vsix may lose the executable bit on some systems: give it back.
  if (fs.existsSync(bundled) && !isExecutable(bundled) && process.platform !== "win32") {
    try {
      fs.chmodSync(bundled, 0o755);
    } catch (e) {
      output.appendLine(`could not make ${bundled} executable: ${String(e)}`);
    }
  }
  const found = findServer({
    // In an untrusted workspace VS Code returns only the user's value (restrictedConfigurations).
    configured: vscode.workspace.getConfiguration(SECTION).get<string>("path") ?? "",
    extensionPath: context.extensionPath,
    workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    home: os.homedir(),
    pathEnv: process.env.PATH ?? "",
    platform: process.platform,
    isExecutable,
  });
  if (!found.ok) {
    output.appendLine(found.message);
    const choice = await vscode.window.showErrorMessage(found.message, "Open Settings", "Show Output");
    if (choice === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.path`);
    if (choice === "Show Output") output.show(true);
    return;
  }
  output.appendLine(`starting ${found.path} lsp (from ${found.source})`);
  const run = serverExecutable(found.path);
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "typescript" },
      { scheme: "file", language: "javascript" },
      { scheme: "file", language: "typescriptreact" },
      { scheme: "file", language: "javascriptreact" },
      { scheme: "file", pattern: "**/convex-migrate.json" },
    ],
    initializationOptions: () => settings(),
    outputChannel: output,
    middleware: {
      provideCodeLenses: async (document, token, next) => {
        const lenses = (await next(document, token)) ?? [];
        return lenses
          .filter((lens) => vscode.workspace.isTrusted || !runsSomething(lens.command))
          .map((lens) => {
            if (lens.command) lens.command = rewriteLensCommand(lens.command);
            return lens;
          });
      },
      resolveCodeLens: async (lens, token, next) => {
        const resolved = (await next(lens, token)) ?? lens;
        if (resolved.command) resolved.command = rewriteLensCommand(resolved.command);
        return resolved;
      },
      // The server's own commands, if it registers them: run in a terminal, never in the server.
      executeCommand: async (command, args, next) => {
        const kind = migrationKind(command);
        if (kind) return runMigration(kind, args[0]);
        return next(command, args);
      },
    },
  };
  client = new LanguageClient("convexMigrate", "convex-migrate", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (e) {
    const message = `convex-migrate: the server (${found.path}) did not start: ${String(e)}`;
    output.appendLine(message);
    void vscode.window.showErrorMessage(message, "Show Output").then((c) => c && output.show(true));
  }
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  const old = client;
  client = undefined;
  if (old) {
    try {
      await old.stop();
    } catch (e) {
      output.appendLine(`stopping the server: ${String(e)}`);
    }
  }
  await start(context);
}

/** The Convex project holding the active editor's file: the nearest folder with convex.json or convex/. */
function activeProjectRoot(): string | undefined {
  const file = vscode.window.activeTextEditor?.document.uri;
  const folder = file ? vscode.workspace.getWorkspaceFolder(file) : vscode.workspace.workspaceFolders?.[0];
  if (!folder) return undefined;
  let dir = file && file.scheme === "file" ? path.dirname(file.fsPath) : folder.uri.fsPath;
  while (dir.startsWith(folder.uri.fsPath)) {
    if (fs.existsSync(path.join(dir, "convex.json")) || fs.existsSync(path.join(dir, "convex", "schema.ts"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return folder.uri.fsPath;
}

/** From the command palette: ask for the function and the deployment. */
async function askMigrationArgs(kind: MigrationKind): Promise<unknown> {
  const root = activeProjectRoot();
  if (!root) return undefined;
  const fn = await vscode.window.showInputBox({
    title: kind === "run" ? "Run a migration" : "Verify a migration",
    prompt: "The Convex function, as `npx convex run` names it",
    placeHolder: kind === "run" ? "migrations:backfillUsersRole" : "migrations:verifyUsersRole",
  });
  if (!fn) return undefined;
  const target = await vscode.window.showQuickPick(["dev", "prod"], { title: "Deployment" });
  if (!target) return undefined;
  return { root, function: fn.trim(), prod: target === "prod" };
}

async function runMigration(kind: MigrationKind, rawArgs: unknown): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(
      "convex-migrate only analyses in an untrusted workspace: it runs no command. Trust the workspace (Workspaces: Manage Workspace Trust) to run migrations.",
    );
    return;
  }
  const raw = rawArgs ?? (await askMigrationArgs(kind));
  if (raw === undefined) return;
  const parsed = parseMigrationArgs(raw);
  if (!parsed.ok) {
    void vscode.window.showErrorMessage(`convex-migrate: cannot ${kind} the migration: ${parsed.message}`);
    return;
  }
  const args: MigrationArgs = parsed.args;
  const plan = terminalPlan(kind, args);
  if (plan.confirm) {
    const go = await vscode.window.showWarningMessage(plan.confirm, { modal: true }, "Run on production");
    if (go !== "Run on production") return;
  }
  if (runner(vscode.workspace.getConfiguration(SECTION).get("runMigrationsIn")) === "server") {
    // The server runs it, streams its output to the output channel, and records a verification.
    if (!client?.isRunning()) {
      void vscode.window.showErrorMessage("convex-migrate: the server is not running: cannot run the migration (Convex Migrate: Restart Server).");
      return;
    }
    output.appendLine(`asking the server to run \`${convexRunCommandLine(args)}\` in ${args.root}`);
    try {
      await client.sendRequest(ExecuteCommandRequest.type, { command: SERVER_COMMANDS[kind], arguments: [args] });
    } catch (e) {
      void vscode.window.showErrorMessage(`convex-migrate: ${e instanceof Error ? e.message : String(e)}`);
    }
    return;
  }
  output.appendLine(`${plan.cwd}$ ${plan.commandLine}`);
  const key = `${plan.cwd}\0${plan.name}`;
  let terminal = terminals.get(key);
  if (!terminal || terminal.exitStatus !== undefined) {
    terminal = vscode.window.createTerminal({ name: plan.name, cwd: plan.cwd });
    terminals.set(key, terminal);
  }
  terminal.show(true);
  terminal.sendText(plan.commandLine, true);
}

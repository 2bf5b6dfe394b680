// The convex-migrate VS Code extension: finds the server binary, starts it with
// vscode-languageclient, forwards settings, and runs migrations in a terminal when the user asks.
// Everything the server does (diagnostics, hover, code actions, code lenses) comes over LSP.

import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { DidChangeConfigurationNotification, ExecuteCommandRequest, LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";
import { findServer, OLD_PATH_SETTING, PATH_SETTING, serverExecutable } from "./binary";
import { isField, PLAN_CHANGES, planArgs } from "./plan";
import { clientState, ServerState, statusView } from "./status";
import { convexRunCommandLine, EXTENSION_COMMANDS, MigrationArgs, MigrationKind, migrationKind, parseMigrationArgs, rewriteLensCommand, runsSomething, SERVER_COMMANDS, terminalPlan } from "./commands";
import { FORWARDED, RESTARTING, runner, shapeSettings } from "./settings";

const SECTION = "convexMigrate";
let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let status: vscode.StatusBarItem;
/** The binary the server was started from, and where it was found (for the status and `plan`). */
let server: { path: string; source: string } | undefined;
const terminals = new Map<string, vscode.Terminal>();

function showStatus(state: ServerState, detail?: string): void {
  const view = statusView(state, EXTENSION_COMMANDS.showOutput, server && `${server.path} (${server.source})`, detail);
  status.text = view.text;
  status.tooltip = view.tooltip;
  status.command = view.command;
  status.backgroundColor = view.background ? new vscode.ThemeColor(view.background) : undefined;
  status.show();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("convex-migrate");
  status = vscode.window.createStatusBarItem("convexMigrate.status", vscode.StatusBarAlignment.Left, 0);
  status.name = "Convex Migrate";
  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand(EXTENSION_COMMANDS.plan, () => planMigration()),
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
  showStatus("starting");
  const config = vscode.workspace.getConfiguration(SECTION);
  const found = findServer({
    // In an untrusted workspace VS Code returns only the user's value (restrictedConfigurations).
    configured: config.get<string>(PATH_SETTING) || config.get<string>(OLD_PATH_SETTING) || "",
    projectFolders: await convexProjectFolders(),
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    // An untrusted workspace's node_modules is code nobody vouched for: it is not run.
    trusted: vscode.workspace.isTrusted,
    extensionPath: context.extensionPath,
    workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    home: os.homedir(),
    pathEnv: process.env.PATH ?? "",
    platform: process.platform,
    isExecutable,
  });
  if (!found.ok) {
    server = undefined;
    output.appendLine(found.message);
    showStatus("error", found.message);
    const choice = await vscode.window.showErrorMessage(found.message, "Open Settings", "Show Output");
    if (choice === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.${PATH_SETTING}`);
    if (choice === "Show Output") output.show(true);
    return;
  }
  server = { path: found.path, source: found.source };
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
  const started = new LanguageClient("convexMigrate", "convex-migrate", serverOptions, clientOptions);
  client = started;
  started.onDidChangeState((change) => {
    if (client === started) showStatus(clientState(change.newState));
  });
  try {
    await started.start();
    showStatus("running");
  } catch (e) {
    const message = `convex-migrate: the server (${found.path}) did not start: ${String(e)}`;
    output.appendLine(message);
    showStatus("error", message);
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
    showStatus("stopped");
  }
  await start(context);
}

/** The Convex project folders of the workspace (holding convex.json or convex/schema.*), outside node_modules. */
async function convexProjectFolders(): Promise<string[]> {
  const found = await vscode.workspace.findFiles("**/{convex.json,schema.ts,schema.js}", "**/node_modules/**", 200);
  const folders = found.flatMap((uri) => {
    const dir = path.dirname(uri.fsPath);
    if (path.basename(uri.fsPath) === "convex.json") return [dir];
    return path.basename(dir) === "convex" ? [path.dirname(dir)] : [];
  });
  return [...new Set(folders)].sort((a, b) => a.length - b.length);
}

/**
 * "Convex Migrate: Plan a migration": asks for the change (and its field and value), runs
 * `convex-migrate plan` with the server's binary in the project, and shows the plan in a document.
 */
async function planMigration(): Promise<void> {
  if (!server) {
    void vscode.window.showErrorMessage("convex-migrate: no server binary was found: cannot plan (Convex Migrate: Show Output says why).");
    return;
  }
  const root = activeProjectRoot();
  if (!root) {
    void vscode.window.showErrorMessage("convex-migrate: open a file of a Convex project (a folder with convex.json or convex/) first.");
    return;
  }
  const picked = await vscode.window.showQuickPick(
    PLAN_CHANGES.map((change) => ({ label: change.label, detail: change.detail, change })),
    { title: "Plan a migration", placeHolder: "The change to plan" },
  );
  if (!picked) return;
  const change = picked.change;
  let field: string | undefined;
  if (change.verb) {
    field = await vscode.window.showInputBox({
      title: `Plan a migration: ${change.label}`,
      prompt: "The field, as table.field",
      placeHolder: "users.role",
      validateInput: (text) => (isField(text) ? undefined : "table.field, e.g. users.role"),
    });
    if (field === undefined) return;
  }
  let value: string | undefined;
  if (change.option) {
    value = await vscode.window.showInputBox({
      title: `Plan a migration: ${change.label}`,
      prompt: change.option.prompt,
      placeHolder: change.option.placeHolder,
      validateInput: (text) => (change.option?.required && text.trim() === "" ? "required" : undefined),
    });
    if (value === undefined) return;
  }
  const args = planArgs(change, field, value, root);
  const binary = server.path;
  output.appendLine(`${root}$ ${binary} ${args.join(" ")}`);
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(binary, args, { cwd: root, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 2) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
  if (result.stderr) output.appendLine(result.stderr.trimEnd());
  if (result.code === 2 || result.stdout.trim() === "") {
    const message = result.stderr.split("\n").find((line) => line.startsWith("error:")) ?? `convex-migrate plan exited ${result.code}`;
    void vscode.window.showErrorMessage(`convex-migrate: ${message}`, "Show Output").then((c) => c && output.show(true));
    return;
  }
  const document = await vscode.workspace.openTextDocument({ content: result.stdout, language: "plaintext" });
  await vscode.window.showTextDocument(document, { preview: true });
}

/** The Convex project holding the active editor's file: the nearest folder with convex.json or convex/. */
function activeProjectRoot(): string | undefined {
  const file = vscode.window.activeTextEditor?.document.uri;
  const folder = file ? vscode.workspace.getWorkspaceFolder(file) : vscode.workspace.workspaceFolders?.[0];
  if (!folder) return undefined;
  let dir = file && file.scheme === "file" ? path.dirname(file.fsPath) : folder.uri.fsPath;
  while (dir.startsWith(folder.uri.fsPath)) {
    if (fs.existsSync(path.join(dir, "convex.json")) || fs.existsSync(path.join(dir, "convex"))) return dir;
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

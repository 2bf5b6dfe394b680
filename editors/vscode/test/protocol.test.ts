// Drives the REAL convex-migrate server binary over stdio with vscode-languageserver-protocol and
// vscode-jsonrpc, the libraries VS Code's language client itself is built on, sending what VS Code
// sends (UTF-16 positions, incremental changes, its client capabilities). VS Code itself cannot be
// downloaded on this machine (no internet but the package registries), so this is the closest
// test of the extension's server side; the extension's own logic is tested in unit.test.ts.
//
// Fixture: editors/fixtures/make-project.sh makes a temporary git repository whose last commit has
// `users.role` optional and whose working tree makes it required.

import assert from "node:assert/strict";
import { ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { PLAN_CHANGES, planArgs } from "../src/plan";
import {
  ClientCapabilities,
  CodeAction,
  CodeActionRequest,
  CodeLens,
  CodeLensRequest,
  Command,
  createProtocolConnection,
  Diagnostic,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  InitializeResult,
  MarkupContent,
  ProtocolConnection,
  PublishDiagnosticsNotification,
  PublishDiagnosticsParams,
  RegistrationRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocumentSyncKind,
  TextEdit,
  WorkspaceEdit,
} from "vscode-languageserver-protocol/node";
import { parseMigrationArgs, rewriteLensCommand, EXTENSION_COMMANDS, SERVER_COMMANDS } from "../src/commands";
import { shapeSettings } from "../src/settings";

const repo = path.resolve(__dirname, "..", "..", "..", "..");
const binary = process.env.CONVEX_MIGRATE_BIN ?? path.join(repo, "target", "debug", "convex-migrate");
const makeProject = path.join(repo, "editors", "fixtures", "make-project.sh");
const TIMEOUT = 30_000;

/** What VS Code 1.82+ tells a server about itself (the parts this server reads). */
function vscodeCapabilities(positionEncodings: string[]): ClientCapabilities {
  return {
    general: { positionEncodings },
    window: { workDoneProgress: true, showMessage: {} },
    workspace: {
      configuration: true,
      didChangeConfiguration: { dynamicRegistration: true },
      didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
      workspaceFolders: true,
      applyEdit: true,
      workspaceEdit: { documentChanges: true, resourceOperations: ["create", "rename", "delete"] },
      executeCommand: { dynamicRegistration: true },
      codeLens: { refreshSupport: true },
    },
    textDocument: {
      synchronization: { dynamicRegistration: true, didSave: true },
      publishDiagnostics: { relatedInformation: true, versionSupport: false, codeDescriptionSupport: true, dataSupport: true },
      hover: { dynamicRegistration: true, contentFormat: ["markdown", "plaintext"] },
      codeAction: {
        dynamicRegistration: true,
        isPreferredSupport: true,
        dataSupport: true,
        resolveSupport: { properties: ["edit"] },
        codeActionLiteralSupport: { codeActionKind: { valueSet: ["", "quickfix", "refactor", "refactor.extract", "refactor.inline", "refactor.rewrite", "source"] } },
      },
      codeLens: { dynamicRegistration: true },
    },
  };
}

/** A server process and the connection to it, with every notification and server request recorded. */
class Server {
  readonly process: ChildProcessWithoutNullStreams;
  readonly connection: ProtocolConnection;
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  readonly registrations: { method: string; registerOptions?: unknown }[] = [];
  readonly stderr: string[] = [];
  readonly appliedEdits: WorkspaceEdit[] = [];
  private waiters: (() => void)[] = [];

  constructor(root: string) {
    assert.ok(fs.existsSync(binary), `no server binary at ${binary}: run \`cargo build -p convex-migrate\` at the repository root`);
    this.process = spawn(binary, ["lsp"], { cwd: root });
    this.process.stderr.on("data", (chunk) => this.stderr.push(String(chunk)));
    this.connection = createProtocolConnection(new StreamMessageReader(this.process.stdout), new StreamMessageWriter(this.process.stdin));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.diagnostics.set(params.uri, params);
      this.wake();
    });
    this.connection.onRequest(RegistrationRequest.type, (params) => {
      this.registrations.push(...params.registrations);
      this.wake();
      return null;
    });
    // Anything else the server asks (workspace/configuration, progress, refreshes): answer as VS Code would, with nothing.
    this.connection.onRequest("workspace/configuration", () => []);
    this.connection.onRequest("workspace/applyEdit", (params: { edit: WorkspaceEdit }) => {
      this.appliedEdits.push(params.edit);
      this.wake();
      return { applied: true };
    });
    for (const method of ["window/workDoneProgress/create", "workspace/codeLens/refresh", "workspace/diagnostic/refresh", "window/showMessageRequest"]) {
      this.connection.onRequest(method, () => null);
    }
    this.connection.listen();
  }

  private wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once `check` returns a value (re-checked on each notification), or fails after a while. */
  async until<T>(what: string, check: () => T | undefined): Promise<T> {
    const deadline = Date.now() + TIMEOUT;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; diagnostics: ${JSON.stringify([...this.diagnostics.values()])}; stderr: ${this.stderr.join("")}`);
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  async initialize(root: string, positionEncodings: string[], initializationOptions?: unknown): Promise<InitializeResult> {
    const uri = pathToFileURL(root).href;
    const result = await this.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      clientInfo: { name: "Visual Studio Code", version: "1.82.0" },
      rootUri: uri,
      workspaceFolders: [{ uri, name: path.basename(root) }],
      capabilities: vscodeCapabilities(positionEncodings),
      initializationOptions,
    });
    await this.connection.sendNotification(InitializedNotification.type, {});
    return result;
  }

  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.process.once("exit", (code) => resolve(code)));
    try {
      await this.connection.sendRequest(ShutdownRequest.type);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // Already gone: the exit code says how.
    }
    const timer = setTimeout(() => this.process.kill(), 5_000);
    const code = await exited;
    clearTimeout(timer);
    this.connection.dispose();
    return code;
  }
}

/** Applies LSP text edits (all against the same text, UTF-16 positions, as VS Code does). */
function applyEdits(text: string, edits: TextEdit[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const offset = (p: { line: number; character: number }) => Math.min((lineStarts[p.line] ?? text.length) + p.character, text.length);
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const edit of sorted) out = out.slice(0, offset(edit.range.start)) + edit.newText + out.slice(offset(edit.range.end));
  return out;
}

/** The text edits a workspace edit makes to one document (`changes` or `documentChanges`). */
/** The action with its edit, as VS Code gets it: resolved (`codeAction/resolve`) when the server
 * offers actions without edits and says it resolves them. */
async function resolved(server: Server, init: InitializeResult, action: CodeAction): Promise<CodeAction> {
  if (action.edit || !init.capabilities.codeActionProvider || typeof init.capabilities.codeActionProvider !== "object" || !init.capabilities.codeActionProvider.resolveProvider) {
    return action;
  }
  return (await server.connection.sendRequest("codeAction/resolve", action)) as CodeAction;
}

function editsFor(edit: WorkspaceEdit | undefined, uri: string): TextEdit[] {
  if (!edit) return [];
  const fromChanges = edit.changes?.[uri] ?? [];
  const fromDocumentChanges = (edit.documentChanges ?? []).flatMap((change) =>
    "textDocument" in change && change.textDocument.uri === uri ? (change.edits as TextEdit[]) : [],
  );
  return [...fromChanges, ...fromDocumentChanges];
}

function fixture(): { root: string; schemaPath: string; schemaUri: string } {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "convex-migrate-vscode-")));
  execFileSync("bash", [makeProject, root]);
  const schemaPath = path.join(root, "convex", "schema.ts");
  return { root, schemaPath, schemaUri: pathToFileURL(schemaPath).href };
}

const byRule = (server: Server, uri: string, rule: string) => server.diagnostics.get(uri)?.diagnostics.filter((d) => d.code === rule) ?? [];

describe("the server, driven as VS Code drives it", () => {
  const { root, schemaPath, schemaUri } = fixture();
  let server: Server;
  let init: InitializeResult;
  let text = fs.readFileSync(schemaPath, "utf8");
  let version = 1;

  before(async () => {
    server = new Server(root);
    init = await server.initialize(root, ["utf-16"], shapeSettings(() => undefined).settings);
  });

  after(async () => {
    const code = await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
    assert.equal(code, 0, "the server exits cleanly after shutdown + exit");
  });

  it("negotiates UTF-16 (VS Code offers nothing else), incremental sync, hover and code actions", () => {
    const caps = init.capabilities;
    assert.equal(init.serverInfo?.name, "convex-migrate");
    assert.equal(caps.positionEncoding, "utf-16");
    const sync = caps.textDocumentSync;
    assert.equal(typeof sync === "object" ? sync.change : sync, TextDocumentSyncKind.Incremental);
    assert.ok(typeof sync === "object" && sync.openClose);
    assert.ok(caps.hoverProvider);
    const kinds = typeof caps.codeActionProvider === "object" ? caps.codeActionProvider.codeActionKinds : [];
    assert.ok(kinds?.includes("quickfix") && kinds.includes("refactor"), `code action kinds: ${JSON.stringify(kinds)}`);
  });

  it("registers file watchers for the Convex folder and git HEAD itself", async () => {
    const watchers = await server.until("a didChangeWatchedFiles registration", () => {
      const r = server.registrations.find((r) => r.method === "workspace/didChangeWatchedFiles");
      return r ? (r.registerOptions as { watchers: { globPattern: string }[] }).watchers.map((w) => w.globPattern) : undefined;
    });
    assert.ok(watchers.includes("**/convex/**"), JSON.stringify(watchers));
    assert.ok(watchers.some((g) => g.includes(".git/HEAD")), JSON.stringify(watchers));
  });

  it("reports required-without-backfill on `role` when the field becomes required", async () => {
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: schemaUri, languageId: "typescript", version, text } });
    const [diagnostic] = await server.until("required-without-backfill", () => {
      const found = byRule(server, schemaUri, "required-without-backfill");
      return found.length ? found : undefined;
    });
    assert.equal(diagnostic.source, "convex-migrate");
    assert.equal(diagnostic.severity, 1, "an error");
    assert.deepEqual(diagnostic.range, { start: { line: 6, character: 4 }, end: { line: 6, character: 8 } }, "on the field name `role`");
    assert.match(diagnostic.message, /`users\.role` becomes required/);
  });

  it("hovers `role` with its migration state", async () => {
    const hover = await server.connection.sendRequest(HoverRequest.type, { textDocument: { uri: schemaUri }, position: { line: 6, character: 5 } });
    const contents = hover?.contents as MarkupContent;
    assert.equal(contents.kind, "markdown");
    assert.ok(contents.value.startsWith("**`users.role`** — narrowing too early: no backfill is deployed"), contents.value);
    assert.match(contents.value, /^- ✓ widen/m);
    assert.match(contents.value, /^- ☐ backfill written/m);
  });

  it("takes rule levels from didChangeConfiguration, in the shape the extension sends", async () => {
    const off = shapeSettings((key) => (key === "rules" ? { "required-without-backfill": "off" } : undefined)).settings;
    await server.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: off });
    await server.until("the rule turned off", () => (server.diagnostics.has(schemaUri) && byRule(server, schemaUri, "required-without-backfill").length === 0 ? true : undefined));
    await server.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: shapeSettings(() => undefined).settings });
    await server.until("the rule back on", () => (byRule(server, schemaUri, "required-without-backfill").length ? true : undefined));
  });

  it("fixes it with the quick fix “Make `role` optional first”, and the diagnostic clears", async () => {
    const [diagnostic] = byRule(server, schemaUri, "required-without-backfill");
    const actions = (await server.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: schemaUri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic], triggerKind: 1 },
    })) as (CodeAction | Command)[];
    const offered = actions.find((a): a is CodeAction => a.title === "Make `role` optional first (v.optional)") as CodeAction | undefined;
    assert.ok(offered, `actions: ${actions.map((a) => a.title).join(" | ")}`);
    const fix = await resolved(server, init, offered);
    assert.equal(fix.kind, "quickfix");
    assert.equal(fix.isPreferred, true);
    assert.deepEqual((fix.diagnostics ?? []).map((d: Diagnostic) => d.code), ["required-without-backfill"]);
    const edits = editsFor(fix.edit, schemaUri);
    assert.ok(edits.length > 0, JSON.stringify(fix.edit));
    const fixed = applyEdits(text, edits);
    assert.match(fixed, /^ {4}role: v\.optional\(v\.string\(\)\),$/m);
    assert.equal(fixed, execFileSync("git", ["show", "HEAD:convex/schema.ts"], { cwd: root, encoding: "utf8" }), "back to what is deployed");

    // Send the edit as VS Code does: incremental changes, last position first.
    version += 1;
    const contentChanges = [...edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character).map((e) => ({ range: e.range, text: e.newText }));
    await server.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: schemaUri, version }, contentChanges });
    text = fixed;
    await server.until("the diagnostic to clear", () => (byRule(server, schemaUri, "required-without-backfill").length === 0 ? true : undefined));
    const hover = await server.connection.sendRequest(HoverRequest.type, { textDocument: { uri: schemaUri }, position: { line: 6, character: 5 } });
    assert.equal(hover, null, "no migration in progress any more: no hover");
  });

  it("puts run/verify commands on code lenses that the extension turns into terminal commands (when the server has code lenses)", async (t) => {
    if (!init.capabilities.codeLensProvider) {
      t.skip("this server build has no code lenses yet");
      return;
    }
    const commands = init.capabilities.executeCommandProvider?.commands ?? [];
    assert.ok(commands.includes(SERVER_COMMANDS.run) && commands.includes(SERVER_COMMANDS.verify), JSON.stringify(commands));
    // Make `role` required again and let the server write the backfill and the verify (refactors).
    version += 1;
    const required = text.replace("role: v.optional(v.string()),", "role: v.string(),");
    await server.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: schemaUri, version }, contentChanges: [{ text: required }] });
    text = required;
    await server.until("required-without-backfill again", () => (byRule(server, schemaUri, "required-without-backfill").length ? true : undefined));
    const migrationsPath = path.join(root, "convex", "migrations.ts");
    const migrationsUri = pathToFileURL(migrationsPath).href;
    for (const title of [/backfill/i, /verify/i]) {
      const actions = (await server.connection.sendRequest(CodeActionRequest.type, {
        textDocument: { uri: schemaUri },
        range: { start: { line: 6, character: 5 }, end: { line: 6, character: 5 } },
        context: { diagnostics: [], only: ["refactor"] },
      })) as CodeAction[] | null;
      const offered = (actions ?? []).find((a) => title.test(a.title));
      assert.ok(offered, `a refactor matching ${title}: ${(actions ?? []).map((a) => a.title).join(" | ")}`);
      const action = await resolved(server, init, offered);
      assert.ok(action.edit, `the refactor's edit: ${JSON.stringify(action)}`);
      const before = fs.existsSync(migrationsPath) ? fs.readFileSync(migrationsPath, "utf8") : "";
      fs.writeFileSync(migrationsPath, applyEdits(before, editsFor(action.edit, migrationsUri)));
    }
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: migrationsUri, languageId: "typescript", version: 1, text: fs.readFileSync(migrationsPath, "utf8") },
    });
    // The lenses come from the analysis of the opened file: ask until they are there.
    let found: CodeLens[] = [];
    for (let attempt = 0; attempt < 50 && !found.some((l) => l.command?.command === SERVER_COMMANDS.verify); attempt++) {
      if (attempt) await new Promise((resolve) => setTimeout(resolve, 200));
      found = (await server.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: migrationsUri } })) ?? [];
    }
    const run = found.find((l) => l.command?.command === SERVER_COMMANDS.run);
    const verify = found.find((l) => l.command?.command === SERVER_COMMANDS.verify);
    assert.ok(run?.command && verify?.command, `lenses: ${JSON.stringify(found)}`);
    const runArgs = parseMigrationArgs(run.command.arguments?.[0]);
    assert.ok(runArgs.ok, JSON.stringify(run.command.arguments));
    assert.equal(runArgs.args.root, root);
    assert.match(runArgs.args.function, /^migrations:/);
    const verifyArgs = parseMigrationArgs(verify.command.arguments?.[0]);
    assert.ok(verifyArgs.ok && verifyArgs.args.field === "users.role", JSON.stringify(verify.command.arguments));
    assert.equal(rewriteLensCommand(run.command).command, EXTENSION_COMMANDS.run);
    assert.equal(rewriteLensCommand(verify.command).command, EXTENSION_COMMANDS.verify);
  });
});

describe("running a migration through the server (convexMigrate.runMigrationsIn: server)", () => {
  it("runs `npx convex run` in the project root only when asked, and records a clean verify in the ledger", async () => {
    const { root } = fixture();
    const npxLog = path.join(root, "..", `${path.basename(root)}-npx.log`);
    const fakeNpx = path.join(root, "..", `${path.basename(root)}-npx`);
    // Stands in for npx (there is no Convex deployment here): logs the call, prints a verify result.
    fs.writeFileSync(fakeNpx, `#!/bin/sh\necho "$(pwd -P) | $*" >> "${npxLog}"\necho '{ "remaining": 0, "scanned": 3 }'\n`, { mode: 0o755 });
    const server = new Server(root);
    try {
      const settings = shapeSettings((key) => (key === "npxPath" ? fakeNpx : undefined)).settings;
      const init = await server.initialize(root, ["utf-16"], settings);
      assert.ok(init.capabilities.executeCommandProvider?.commands.includes(SERVER_COMMANDS.verify));
      await server.until("the first analysis", () => (server.diagnostics.size > 0 ? true : undefined));
      assert.equal(fs.existsSync(npxLog), false, "nothing runs before the user asks");
      await server.connection.sendRequest("workspace/executeCommand", {
        command: SERVER_COMMANDS.verify,
        arguments: [{ root, function: "migrations:verifyUsersRole", field: "users.role", prod: false }],
      });
      assert.equal(fs.readFileSync(npxLog, "utf8"), `${root} | convex run migrations:verifyUsersRole\n`);
      const edit = await server.until("the ledger edit", () => server.appliedEdits[0]);
      const ledgerUri = pathToFileURL(path.join(root, "convex-migrate.json")).href;
      const ledger = JSON.parse(applyEdits("", editsFor(edit, ledgerUri)));
      assert.equal(ledger.verified["users.role"].remaining, 0);
      assert.equal(ledger.verified["users.role"].deployment, "dev");
    } finally {
      assert.equal(await server.stop(), 0);
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(npxLog, { force: true });
      fs.rmSync(fakeNpx, { force: true });
    }
  });
});

describe("Convex Migrate: Plan a migration, with the real binary", () => {
  it("runs the command line the palette builds in the project and prints the plan", () => {
    const { root } = fixture();
    try {
      const require = PLAN_CHANGES.find((c) => c.verb === "require")!;
      const args = planArgs(require, "users.role", '"member"', root);
      const out = execFileSync(binary, args, { cwd: root, encoding: "utf8" });
      assert.match(out, /users\.role/);
      assert.match(out, /Deploy 1/);
      const every = execFileSync(binary, planArgs(PLAN_CHANGES[0], undefined, undefined, root), { cwd: root, encoding: "utf8" });
      assert.match(every, /users\.role/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("position encoding", () => {
  it("takes UTF-8 when the client offers it (as Neovim does)", async () => {
    const { root } = fixture();
    const server = new Server(root);
    try {
      const init = await server.initialize(root, ["utf-8", "utf-16"]);
      assert.equal(init.capabilities.positionEncoding, "utf-8");
      // Let `initialized` finish (it asks the client to register watchers) before shutting down.
      await server.until("the watcher registration", () => (server.registrations.length > 0 ? true : undefined));
    } finally {
      assert.equal(await server.stop(), 0);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

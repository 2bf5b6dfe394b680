// A small editor for the e2e driver: starts the real `convex-migrate lsp` on stdio and talks to it
// with vscode-languageserver-protocol (the protocol library VS Code uses), keeps open documents as
// vscode-languageserver-textdocument TextDocuments, and applies workspace edits the way an editor
// does: resource operations, then text edits sent to the server as incremental changes and saved.

import { spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const require = createRequire(path.join(import.meta.dirname, "convex", "package.json"));
const rpc = require("vscode-languageserver-protocol/node");
const { TextDocument } = require("vscode-languageserver-textdocument");

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const uriOf = (file) => pathToFileURL(file).href;
export const pathOf = (uri) => fileURLToPath(uri);

export class Editor {
  /** @param {string} root workspace folder; @param {string} bin the convex-migrate binary */
  constructor(root, bin) {
    this.root = root;
    this.docs = new Map(); // uri -> TextDocument
    this.diagnostics = new Map(); // uri -> { version, diagnostics, seq }
    this.seq = 0;
    this.logs = [];
    this.stderr = "";
    this.server = spawn(bin, ["lsp"], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
    this.server.stderr.on("data", (d) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.server.on("exit", (code, signal) => resolve({ code, signal })));
    this.connection = rpc.createProtocolConnection(
      new rpc.StreamMessageReader(this.server.stdout),
      new rpc.StreamMessageWriter(this.server.stdin),
    );
    this.connection.onRequest("client/registerCapability", () => null);
    this.connection.onRequest("client/unregisterCapability", () => null);
    this.connection.onRequest("window/workDoneProgress/create", () => null);
    this.connection.onRequest("workspace/configuration", (params) => params.items.map(() => null));
    this.connection.onNotification("window/logMessage", (p) => this.logs.push(p.message));
    this.connection.onNotification("window/showMessage", (p) => this.logs.push(p.message));
    this.connection.onNotification("textDocument/publishDiagnostics", (p) => {
      this.seq += 1;
      this.diagnostics.set(p.uri, { version: p.version, diagnostics: p.diagnostics, seq: this.seq });
    });
    this.connection.listen();
  }

  async start() {
    const uri = uriOf(this.root);
    await this.connection.sendRequest("initialize", {
      processId: process.pid,
      rootUri: uri,
      workspaceFolders: [{ uri, name: path.basename(this.root) }],
      capabilities: {
        general: { positionEncodings: ["utf-16"] },
        workspace: {
          workspaceEdit: { documentChanges: true, resourceOperations: ["create"] },
          didChangeWatchedFiles: { dynamicRegistration: true },
          workspaceFolders: true,
          configuration: true,
        },
        textDocument: {
          synchronization: { dynamicRegistration: false },
          publishDiagnostics: { versionSupport: true, relatedInformation: true, dataSupport: true },
          codeAction: {
            dataSupport: true,
            isPreferredSupport: true,
            codeActionLiteralSupport: { codeActionKind: { valueSet: ["quickfix", "refactor", "refactor.rewrite"] } },
          },
          hover: { contentFormat: ["markdown", "plaintext"] },
        },
      },
    });
    this.connection.sendNotification("initialized", {});
  }

  async stop() {
    try {
      await Promise.race([this.connection.sendRequest("shutdown"), sleep(5000)]);
      this.connection.sendNotification("exit");
    } catch {
      // The server may already be gone; its exit status tells.
    }
    const exit = await Promise.race([this.exited, sleep(5000).then(() => null)]);
    if (exit === null) this.server.kill();
    this.connection.dispose();
    return exit;
  }

  file(rel) {
    return path.join(this.root, rel);
  }

  doc(rel) {
    return this.docs.get(uriOf(this.file(rel)));
  }

  text(rel) {
    const doc = this.doc(rel);
    return doc ? doc.getText() : fs.readFileSync(this.file(rel), "utf8");
  }

  /** Opens a file of the workspace in the editor (didOpen). */
  open(rel) {
    const uri = uriOf(this.file(rel));
    if (this.docs.has(uri)) return this.docs.get(uri);
    const text = fs.existsSync(this.file(rel)) ? fs.readFileSync(this.file(rel), "utf8") : "";
    const doc = TextDocument.create(uri, "typescript", 1, text);
    this.docs.set(uri, doc);
    this.connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri, languageId: rel.endsWith(".json") ? "json" : "typescript", version: 1, text },
    });
    return doc;
  }

  /** Tells the server about files changed on disk outside the editor (its file watcher). */
  filesChanged(events) {
    this.connection.sendNotification("workspace/didChangeWatchedFiles", {
      changes: events.map(([rel, type]) => ({ uri: uriOf(this.file(rel)), type })),
    });
  }

  /** Edits an open document: the server gets incremental changes, the file is saved. */
  edit(uri, edits) {
    const doc = this.docs.get(uri) ?? this.open(path.relative(this.root, pathOf(uri)));
    const expected = TextDocument.applyEdits(doc, edits);
    // One content change per edit, last position first, so that each range is still valid in the
    // text the previous changes left (edits at one position keep their order).
    const ordered = edits
      .map((edit, i) => ({ edit, i, start: doc.offsetAt(edit.range.start) }))
      .sort((a, b) => b.start - a.start || b.i - a.i)
      .map(({ edit }) => ({ range: edit.range, text: edit.newText }));
    const next = TextDocument.update(doc, ordered, doc.version + 1);
    if (next.getText() !== expected) {
      throw new Error(`incremental changes and applyEdits disagree on ${uri}`);
    }
    this.docs.set(uri, next);
    this.connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version: next.version },
      contentChanges: ordered,
    });
    fs.writeFileSync(pathOf(uri), next.getText());
  }

  /** Replaces an open document's text (the user typing). */
  type(rel, text) {
    const doc = this.open(rel);
    const all = { start: doc.positionAt(0), end: doc.positionAt(doc.getText().length) };
    this.edit(doc.uri, [{ range: all, newText: text }]);
  }

  /** Applies a WorkspaceEdit like VS Code: `documentChanges` in order, else `changes`. */
  applyWorkspaceEdit(edit) {
    const summary = { created: [], edited: [] };
    if (edit.documentChanges) {
      for (const change of edit.documentChanges) {
        if (change.kind === "create") {
          const file = pathOf(change.uri);
          const exists = fs.existsSync(file);
          if (exists && change.options?.ignoreIfExists && !change.options?.overwrite) continue;
          if (exists && !change.options?.overwrite) throw new Error(`create: ${file} exists`);
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.writeFileSync(file, "");
          summary.created.push(path.relative(this.root, file));
          this.filesChanged([[path.relative(this.root, file), 1 /* Created */]]);
        } else if (change.kind === "rename" || change.kind === "delete") {
          throw new Error(`unexpected resource operation ${change.kind}`);
        } else {
          const uri = change.textDocument.uri;
          const open = this.docs.get(uri);
          if (open && change.textDocument.version != null && change.textDocument.version !== open.version) {
            throw new Error(`edit for version ${change.textDocument.version} of ${uri}, editor has ${open.version}`);
          }
          this.edit(uri, change.edits);
          summary.edited.push(path.relative(this.root, pathOf(uri)));
        }
      }
    } else {
      for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
        this.edit(uri, edits);
        summary.edited.push(path.relative(this.root, pathOf(uri)));
      }
    }
    return summary;
  }

  async codeActions(rel, range, diagnostics = [], only) {
    const uri = uriOf(this.file(rel));
    return (
      (await this.connection.sendRequest("textDocument/codeAction", {
        textDocument: { uri },
        range,
        context: { diagnostics, ...(only ? { only } : {}), triggerKind: 1 },
      })) ?? []
    );
  }

  async hover(rel, position) {
    return await this.connection.sendRequest("textDocument/hover", { textDocument: { uri: uriOf(this.file(rel)) }, position });
  }

  /**
   * Waits until the server has analysed the current state: a diagnostics publication for `rel`
   * after `sinceSeq` (for the document's current version), then quiet for a moment (a later
   * analysis supersedes an earlier one). With `optional`, a file that gets no publication (it has
   * no diagnostics, before or after) is fine: any publication, or none within `optional` ms.
   */
  async settle(rel, sinceSeq, { timeout = 20000, quiet = 300, optional = 0 } = {}) {
    const uri = uriOf(this.file(rel));
    const started = Date.now();
    const deadline = started + timeout;
    while (Date.now() < deadline) {
      const d = this.diagnostics.get(uri);
      const doc = this.docs.get(uri);
      const fresh = d && d.seq > sinceSeq && (!doc || d.version == null || d.version === doc.version);
      const anyFresh = optional && (this.seq > sinceSeq || Date.now() - started > optional);
      if ((fresh && this.seq === d.seq) || anyFresh) {
        const seen = this.seq;
        await sleep(quiet);
        if (this.seq === seen) {
          // No publication for the current version: the file has no diagnostics (before or after).
          const last = this.diagnostics.get(uri);
          const current = last && (!doc || last.version == null || last.version === this.docs.get(uri)?.version);
          return current ? last.diagnostics : [];
        }
      }
      await sleep(25);
    }
    throw new Error(`no diagnostics for ${rel} after the last change (server stderr: ${this.stderr.slice(-2000)})`);
  }

  /** Asks for code actions until `accept(actions)` holds (the server answers only for analysed versions). */
  async actionsUntil(rel, range, diagnostics, accept, { timeout = 20000 } = {}) {
    const deadline = Date.now() + timeout;
    let last = [];
    while (Date.now() < deadline) {
      last = await this.codeActions(rel, range, diagnostics);
      if (accept(last)) return last;
      await sleep(50);
    }
    return last;
  }
}

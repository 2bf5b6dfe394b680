// `convex-migrate mcp` driven by the official MCP TypeScript client SDK over stdio, on a real git
// project whose working tree changes the schema (the bundled example: `examples/team-app`, its
// deployed side committed, its working side on top). Each tool's answer is compared with the
// command line's `--format json` on the same project: the MCP server must say what the CLI says.
//
//   node --test mcp.test.mjs        CONVEX_MIGRATE_BIN=path (default: target/debug/convex-migrate)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createHash } from "node:crypto";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const bin = process.env.CONVEX_MIGRATE_BIN ?? join(root, "target/debug/convex-migrate");
const example = join(root, "examples/team-app");

let project;
let client;
let stderr = "";

/** A git repository whose HEAD holds the deployed example and whose working tree the changed one. */
function makeProject() {
  const dir = mkdtempSync(join(tmpdir(), "convex-migrate-mcp-"));
  cpSync(join(example, "deployed/convex"), join(dir, "convex"), { recursive: true });
  const git = (...args) => execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], { cwd: dir });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "deployed");
  rmSync(join(dir, "convex"), { recursive: true });
  cpSync(join(example, "working/convex"), join(dir, "convex"), { recursive: true });
  return dir;
}

/** The command line's answer, parsed (its JSON on stdout, whatever its exit code). */
function cli(...args) {
  const run = spawnSync(bin, args, { cwd: project, encoding: "utf8", env: { ...process.env, CI: "" } });
  assert.ok(run.stdout, `convex-migrate ${args.join(" ")} printed nothing: ${run.stderr}`);
  return { json: JSON.parse(run.stdout), status: run.status, stdout: run.stdout };
}

/** A digest of every file of the project's functions folder. */
function digest() {
  const hash = createHash("sha256");
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(path).update(readFileSync(path));
    }
  };
  walk(join(project, "convex"));
  return hash.digest("hex");
}

const text = (result) => result.content.filter((c) => c.type === "text").map((c) => c.text).join("\n");

before(async () => {
  project = makeProject();
  const transport = new StdioClientTransport({ command: bin, args: ["mcp"], cwd: project, stderr: "pipe" });
  transport.stderr?.on("data", (chunk) => (stderr += chunk));
  client = new Client({ name: "convex-migrate-tests", version: "1.0.0" });
  await client.connect(transport);
});

after(async () => {
  await client?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

test("the server introduces itself and lists check, plan and explain with JSON input schemas", async () => {
  assert.equal(client.getServerVersion()?.name, "convex-migrate");
  assert.ok(client.getServerCapabilities()?.tools, "tools capability");
  assert.match(client.getInstructions() ?? "", /check/);
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name), ["check", "plan", "explain"]);
  for (const tool of tools) {
    assert.equal(tool.inputSchema.type, "object", tool.name);
    assert.equal(tool.inputSchema.additionalProperties, false, tool.name);
    assert.ok(tool.description.length > 40, tool.name);
    assert.equal(tool.outputSchema?.type, "object", tool.name);
  }
  const schema = (name) => tools.find((t) => t.name === name).inputSchema.properties;
  assert.deepEqual(Object.keys(schema("check")).sort(), ["base", "baseDir", "deployment", "noBase", "path", "samples", "snapshot"]);
  for (const key of ["change", "field", "default", "to", "as", "into", "map", "with", "apply", "path", "base", "deployment"]) {
    assert.ok(key in schema("plan"), `plan takes ${key}`);
  }
  assert.deepEqual(Object.keys(schema("explain")), ["rule"]);
  assert.equal(tools.find((t) => t.name === "check").annotations?.readOnlyHint, true);
});

test("check: the findings, as the same JSON as `check --format json`, are a successful result", async () => {
  const result = await client.callTool({ name: "check", arguments: { base: "HEAD" } });
  assert.equal(result.isError, false, text(result));
  const expected = cli("check", "--base", "HEAD", "--format", "json");
  assert.equal(expected.status, 1, "the CLI finds errors");
  assert.deepEqual(result.structuredContent, expected.json);
  assert.deepEqual(JSON.parse(result.content[0].text), expected.json, "the JSON as text too");
  const rules = result.structuredContent.diagnostics.map((d) => d.rule);
  assert.ok(rules.includes("required-without-backfill"), rules.join(", "));
  const finding = result.structuredContent.diagnostics.find((d) => d.rule === "required-without-backfill");
  assert.equal(finding.path, "convex/schema.ts");
  assert.equal(finding.severity, "error");
  for (const key of ["line", "column", "endLine", "endColumn", "message"]) assert.ok(key in finding, key);
  assert.equal(result.structuredContent.baseline.kind, "commit");
});

test("check: the default base (HEAD here), an absolute path, a base folder and a deployment", async () => {
  const byDefault = await client.callTool({ name: "check", arguments: {} });
  assert.equal(byDefault.isError, false, text(byDefault));
  assert.equal(byDefault.structuredContent.baseline.describedAs, "HEAD");
  const absolute = await client.callTool({ name: "check", arguments: { path: project, deployment: "dev" } });
  assert.equal(absolute.isError, false, text(absolute));
  assert.equal(absolute.structuredContent.deployment, "dev");
  const folder = await client.callTool({
    name: "check",
    arguments: { path: join(example, "working"), baseDir: join(example, "deployed") },
  });
  assert.equal(folder.isError, false, text(folder));
  assert.equal(folder.structuredContent.baseline.kind, "folder");
  assert.ok(folder.structuredContent.diagnostics.length > 0);
});

test("explain: a rule's doc, as `convex-migrate explain RULE` prints it; without a rule, the list", async () => {
  const result = await client.callTool({ name: "explain", arguments: { rule: "required-without-backfill" } });
  assert.equal(result.isError, false);
  const printed = spawnSync(bin, ["explain", "required-without-backfill"], { encoding: "utf8" }).stdout;
  assert.equal(text(result), printed);
  assert.equal(result.structuredContent.rule, "required-without-backfill");
  assert.equal(result.structuredContent.defaultSeverity, "error");
  assert.equal(result.structuredContent.doc, printed);
  const all = await client.callTool({ name: "explain", arguments: {} });
  assert.equal(all.isError, false);
  assert.ok(all.structuredContent.rules.some((r) => r.rule === "removed-field"));
  assert.equal(text(all), spawnSync(bin, ["explain"], { encoding: "utf8" }).stdout);
});

test("bad input is a tool result with isError, and the server answers the next call", async () => {
  const cases = [
    [{ name: "check", arguments: { path: join(project, "no-such-folder") } }, /error: /],
    // An empty folder: no project in it, above it or below it (a folder with projects below
    // is a monorepo, and each is checked).
    [{ name: "check", arguments: { path: mkdtempSync(join(tmpdir(), "not-a-project-")) } }, /error: /],
    [{ name: "check", arguments: { path: 42 } }, /invalid arguments for `check`/],
    [{ name: "check", arguments: { bogus: true } }, /takes no argument `bogus`/],
    [{ name: "check", arguments: { base: "no-such-revision" } }, /no-such-revision/],
    [{ name: "check", arguments: { base: "HEAD", baseDir: "x" } }, /at most one of base, baseDir and noBase/],
    [{ name: "explain", arguments: { rule: "no-such-rule" } }, /unknown rule `no-such-rule`/],
    [{ name: "plan", arguments: { change: "frobnicate", field: "users.role" } }, /unknown change `frobnicate`/],
    [{ name: "plan", arguments: { change: "require" } }, /needs a field/],
    [{ name: "plan", arguments: { change: "require", field: "users" } }, /error: /],
    [{ name: "plan", arguments: { change: "rename", field: "users.role" } }, /rename needs --to/],
    [{ name: "plan", arguments: { change: "remove", field: "users.role", default: "x" } }, /--default does not apply/],
    [{ name: "plan", arguments: { apply: "yes" } }, /invalid arguments for `plan`/],
  ];
  const before = digest();
  for (const [call, message] of cases) {
    const result = await client.callTool(call);
    assert.equal(result.isError, true, `${JSON.stringify(call)}: ${text(result)}`);
    assert.match(text(result), message, JSON.stringify(call));
    const next = await client.callTool({ name: "explain", arguments: { rule: "removed-field" } });
    assert.equal(next.isError, false, `the server answers after ${JSON.stringify(call)}`);
  }
  assert.equal(digest(), before, "no bad call changed a file");
  // An unknown tool is a protocol error (the MCP specification's), and the server goes on.
  await assert.rejects(client.callTool({ name: "no-such-tool", arguments: {} }), /unknown tool/);
  assert.equal((await client.callTool({ name: "explain", arguments: {} })).isError, false);
});

test("hostile files are findings, not a crash: deep nesting, binary bytes, a huge line", async () => {
  const dir = mkdtempSync(join(tmpdir(), "convex-migrate-mcp-hostile-"));
  try {
    cpSync(join(example, "working/convex"), join(dir, "convex"), { recursive: true });
    writeFileSync(join(dir, "convex/deep.ts"), `export const x = ${"(".repeat(200_000)}1${")".repeat(200_000)};\n`);
    writeFileSync(join(dir, "convex/arrows.ts"), `export const f = ${"() => ".repeat(50_000)}1;\n`);
    writeFileSync(join(dir, "convex/binary.ts"), Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a, 0xc3, 0x28]));
    writeFileSync(join(dir, "convex/long.ts"), `export const s = "${"x".repeat(3_000_000)}";\n`);
    const result = await client.callTool({ name: "check", arguments: { path: dir, noBase: true } });
    assert.equal(result.isError, false, text(result));
    const rules = result.structuredContent.diagnostics.map((d) => `${d.path} ${d.rule}`);
    assert.ok(rules.includes("convex/deep.ts parse-error"), rules.join("\n"));
    const plan = await client.callTool({ name: "plan", arguments: { path: dir } });
    assert.equal(plan.isError, true, "no base to plan against: an error result");
    assert.equal((await client.callTool({ name: "explain", arguments: {} })).isError, false, "still serving");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a client's workspace root is the default project, and relative paths start there", async () => {
  // Editors need not start the server in the workspace: here it starts in another folder, and the
  // client names the project as its root.
  const elsewhere = mkdtempSync(join(tmpdir(), "convex-migrate-mcp-cwd-"));
  const transport = new StdioClientTransport({ command: bin, args: ["mcp"], cwd: elsewhere, stderr: "pipe" });
  const editor = new Client({ name: "an-editor", version: "1.0.0" }, { capabilities: { roots: {} } });
  let asked = 0;
  editor.setRequestHandler(ListRootsRequestSchema, () => {
    asked++;
    return { roots: [{ uri: pathToFileURL(project).href, name: "app" }] };
  });
  try {
    await editor.connect(transport);
    const byRoot = await editor.callTool({ name: "check", arguments: { base: "HEAD" } });
    assert.equal(byRoot.isError, false, text(byRoot));
    assert.deepEqual(byRoot.structuredContent, cli("check", "--base", "HEAD", "--format", "json").json);
    const relative = await editor.callTool({ name: "plan", arguments: { path: ".", base: "HEAD" } });
    assert.equal(relative.isError, false, text(relative));
    const folder = await editor.callTool({ name: "check", arguments: { baseDir: "." } });
    assert.equal(folder.isError, false, text(folder));
    assert.equal(folder.structuredContent.baseline.kind, "folder");
    assert.equal(resolve(folder.structuredContent.baseline.path), resolve(project), "a relative baseDir starts at the root");
    assert.ok(asked >= 2, "the server asked for the roots");
    // Without roots, the server's working folder (not a project here) is the default.
    const plain = new Client({ name: "no-roots", version: "1.0.0" });
    await plain.connect(new StdioClientTransport({ command: bin, args: ["mcp"], cwd: elsewhere, stderr: "pipe" }));
    const none = await plain.callTool({ name: "check", arguments: {} });
    assert.equal(none.isError, true, text(none));
    await plain.close();
  } finally {
    await editor.close();
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test("calls at once are answered each", async () => {
  // A folder with no project in it, above it or below it: that call fails, the others do not.
  const empty = mkdtempSync(join(tmpdir(), "cm-mcp-empty-"));
  try {
    const calls = await Promise.all([
      client.callTool({ name: "check", arguments: { base: "HEAD" } }),
      client.callTool({ name: "plan", arguments: { base: "HEAD" } }),
      client.callTool({ name: "explain", arguments: { rule: "nope" } }),
      client.callTool({ name: "check", arguments: { path: empty } }),
    ]);
    assert.deepEqual(calls.map((c) => c.isError), [false, false, true, true]);
    assert.match(text(calls[3]), /no Convex project/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test("plan: the same steps as `plan --format json`, dry-run unless apply is asked for", async () => {
  const before = digest();
  const result = await client.callTool({ name: "plan", arguments: { base: "HEAD" } });
  assert.equal(result.isError, false, text(result));
  assert.deepEqual(result.structuredContent, cli("plan", "--base", "HEAD", "--format", "json").json);
  const { steps, next } = result.structuredContent;
  assert.ok(steps.length > 5);
  for (const step of steps) for (const key of ["id", "kind", "done"]) assert.ok(key in step, `${step.id}: ${key}`);
  const one = await client.callTool({ name: "plan", arguments: { change: "require", field: "users.role", default: '"member"' } });
  assert.equal(one.isError, false, text(one));
  assert.deepEqual(
    one.structuredContent,
    cli("plan", "require", "users.role", "--default", '"member"', "--format", "json").json,
  );
  assert.equal(digest(), before, "a plan without apply changes no file");

  const applied = await client.callTool({ name: "plan", arguments: { apply: true } });
  assert.equal(applied.isError, false, text(applied));
  assert.equal(applied.structuredContent.applied.id, next);
  assert.deepEqual(applied.structuredContent.applied.changed, ["convex/schema.ts"]);
  assert.notEqual(digest(), before, "apply changed the schema");
  const status = execFileSync("git", ["status", "--porcelain"], { cwd: project, encoding: "utf8" });
  assert.match(status, /convex\/schema\.ts/);
  const after = await client.callTool({ name: "plan", arguments: {} });
  assert.notEqual(after.structuredContent.next, next, "the applied step is done");
});

test("plan apply when the next step is not an edit: nothing applied, the reason said, not an error", async () => {
  // `users.plan`'s next step, once its backfill exists at the base, is a run on the deployment.
  let result;
  for (let i = 0; i < 20; i++) {
    result = await client.callTool({ name: "plan", arguments: { change: "require", field: "users.plan", apply: true } });
    assert.equal(result.isError, false, text(result));
    if (result.structuredContent.applied === null) break;
  }
  assert.equal(result.structuredContent.applied, null);
  assert.equal(typeof result.structuredContent.reason, "string");
  assert.match(text(result), /nothing applied: /);
});

test("the server wrote nothing unexpected on stderr", () => {
  assert.doesNotMatch(stderr, /panicked|thread '/, stderr);
});

// A stand-in for a Convex deployment, for walk.mjs.
//
// There is no real Convex deployment here (no backend, no network, no account): this module is the
// one mock of the walk. It keeps a deployment's documents in a folder and does with them what a
// deployment does, using Convex's own test backend for everything it can:
//   - deploy: the project's functions folder is bundled (esbuild, the bundler `npx convex deploy`
//     uses), its schema loaded, and EVERY stored document is validated against the new schema the
//     way a push does (convex-test's validator, the same document validator `defineTable` exports,
//     with extra fields and missing required fields rejected, tables without a validator and
//     `schemaValidation: false` skipped). One document that does not match fails the deploy and
//     nothing changes, as Convex refuses the push. Otherwise the new modules become the deployment's.
//   - run: a fresh `convex-test` instance is built with the deployed modules and schema, the stored
//     documents are loaded into it with their ids and creation times, the function is called as
//     `npx convex run` calls it (a query, mutation or action, found by its export), the functions
//     it schedules run to completion as the deployment's scheduler would run them, and the
//     documents are stored back.
// The ids are convex-test's (`10001users`), not a real deployment's; they stay the same across
// deploys and runs, so every document can be compared before and after.
//
// The `npx` shim (`node deployment.mjs npx convex …`, with E2E_DEPLOYMENT naming the folder) lets
// the printed commands run unchanged: `npx convex deploy` and `npx convex run FN [ARGS] [--prod]`.

import { AsyncLocalStorage } from "node:async_hooks";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const here = import.meta.dirname;
const require = createRequire(path.join(here, "convex", "package.json"));
const esbuild = require("esbuild");
// The ESM builds, the ones convex-test and the bundled modules import (one copy of convex).
const convexDir = path.dirname(require.resolve("convex/package.json"));
const esm = (sub) => import(pathToFileURL(path.join(convexDir, "dist", "esm", sub, "index.js")).href);
const { convexToJson, jsonToConvex } = await esm("values");
const { makeFunctionReference } = await esm("server");
const { convexTest } = await import(pathToFileURL(require.resolve("convex-test")).href);

// convex-test keeps its database in a module-private object handed to an AsyncLocalStorage; the
// stand-in needs it to load stored documents with their ids (convex-test's public API can only
// insert new ones). It is caught when convex-test enters it.
let caught = null;
const run = AsyncLocalStorage.prototype.run;
AsyncLocalStorage.prototype.run = function (store, ...rest) {
  if (store && typeof store === "object" && store.components && store.transactionManager && store.scheduler) caught = store;
  return run.call(this, store, ...rest);
};

async function databaseOf(t) {
  caught = null;
  await t.run(async () => {});
  if (!caught) throw new Error("stand-in deployment: convex-test's database not found (has convex-test changed?)");
  return caught.components[""].db;
}

/** Files Convex deploys as function modules (DESIGN §1), relative to the functions folder. */
function moduleFiles(functionsDir) {
  const out = [];
  const walk = (dir, rel) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.name.startsWith(".") || entry.name.startsWith("#") || entry.name.includes(" ")) continue;
      if (entry.isDirectory()) {
        if (r === "_generated" || r === "node_modules") continue;
        if (fs.existsSync(path.join(dir, entry.name, "convex.config.ts"))) continue;
        walk(path.join(dir, entry.name), r);
      } else if (/\.(ts|tsx|js|jsx|mjs|cjs|mts|cts)$/.test(entry.name) && !r.endsWith(".d.ts")) {
        if (entry.name.split(".").length > 2) continue; // foo.test.ts, convex.config.ts
        if (r === "schema.ts" || r === "schema.js") continue;
        out.push(r);
      }
    }
  };
  walk(functionsDir, "");
  return out.sort();
}

const statePath = (dir) => path.join(dir, "state.json");

export class Deployment {
  constructor(dir) {
    this.dir = dir;
  }

  /** A new, empty deployment (no modules, no documents). */
  static create(dir) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const d = new Deployment(dir);
    d.save({ deploys: 0, modules: null, nextDocId: 10000, lastCreationTime: 0, documents: [] });
    return d;
  }

  load() {
    return JSON.parse(fs.readFileSync(statePath(this.dir), "utf8"));
  }

  save(state) {
    fs.writeFileSync(statePath(this.dir), `${JSON.stringify(state, null, 1)}\n`);
  }

  /** The stored documents, as Convex values (`{ _id, _creationTime, ...fields }`), by table. */
  documents() {
    const out = {};
    for (const { table, doc } of this.load().documents) (out[table] ??= []).push(jsonToConvex(doc));
    return out;
  }

  /**
   * `npx convex deploy` of `projectDir`: bundles its convex/ folder, validates every stored
   * document against its schema, and makes it the deployment's code. Throws (and changes
   * nothing) when a document does not match, with the documents and Convex's reasons.
   */
  async deploy(projectDir) {
    const state = this.load();
    const n = state.deploys + 1;
    const out = path.join(this.dir, `deploy-${n}`);
    const functionsDir = path.join(projectDir, "convex");
    const files = moduleFiles(functionsDir);
    const generated = fs.existsSync(path.join(functionsDir, "_generated"))
      ? fs.readdirSync(path.join(functionsDir, "_generated")).filter((f) => f.endsWith(".js")).map((f) => `_generated/${f}`)
      : [];
    const schemaFile = ["schema.ts", "schema.js"].find((f) => fs.existsSync(path.join(functionsDir, f)));
    const entries = [...files, ...generated, ...(schemaFile ? [schemaFile] : [])];
    fs.rmSync(out, { recursive: true, force: true });
    // Bundled like `npx convex deploy` bundles: one ESM file per module, packages left to node.
    await esbuild.build({
      entryPoints: entries.map((f) => path.join(functionsDir, f)),
      outbase: functionsDir,
      outdir: out,
      bundle: true,
      format: "esm",
      platform: "node",
      packages: "external",
      outExtension: { ".js": ".mjs" },
      logLevel: "silent",
    });
    const deployed = { dir: out, modules: files.map((f) => f.replace(/\.[^.]+$/, "")), generated, schema: !!schemaFile };
    const { schema } = await this.#instanceParts(deployed);
    const problems = await validateAll(schema, state.documents);
    if (problems.length > 0) {
      fs.rmSync(out, { recursive: true, force: true });
      const error = new Error(
        `Schema validation failed: ${problems.length} stored document(s) do not match the new schema (the push is refused, nothing deployed):\n` +
          problems.slice(0, 20).map((p) => `  ${p}`).join("\n"),
      );
      error.problems = problems;
      throw error;
    }
    state.deploys = n;
    state.modules = deployed;
    this.save(state);
    return { deploy: n, modules: deployed.modules, documents: state.documents.length };
  }

  async #instanceParts(deployed) {
    const url = (rel) => pathToFileURL(path.join(deployed.dir, `${rel}.mjs`)).href;
    const schema = deployed.schema ? (await import(url("schema"))).default : undefined;
    // convex-test finds the functions root from the `_generated` path, and modules without extension.
    const modules = {};
    for (const rel of [...deployed.modules, ...deployed.generated.map((g) => g.replace(/\.js$/, ""))]) {
      modules[`/convex/${rel}.mjs`] = () => import(url(rel));
    }
    if (deployed.generated.length === 0) modules["/convex/_generated/api.mjs"] = async () => ({});
    return { schema, modules };
  }

  /** Adds documents (`{ table, fields }`) as if the app had written them, validated by the schema. */
  async seed(docs) {
    return this.#withInstance(async (t) => {
      const ids = [];
      for (const { table, fields } of docs) ids.push(await t.run((ctx) => ctx.db.insert(table, fields)));
      return ids;
    });
  }

  /**
   * `npx convex run FUNCTION ARGS`: calls it (query, mutation or action, as its export says) and
   * lets what it schedules run to completion. Returns its value.
   */
  async run(functionName, args = {}) {
    const state = this.load();
    if (!state.modules) throw new Error("nothing is deployed");
    const [modulePath, exportName = "default"] = functionName.split(":");
    const moduleUrl = pathToFileURL(path.join(state.modules.dir, `${modulePath}.mjs`)).href;
    if (!state.modules.modules.includes(modulePath)) throw new Error(`Could not find function for '${functionName}': no module ${modulePath}`);
    const fn = (await import(moduleUrl))[exportName];
    const kind = fn?.isMutation ? "mutation" : fn?.isQuery ? "query" : fn?.isAction ? "action" : null;
    if (!kind) throw new Error(`Could not find function for '${functionName}'. Did you forget to run \`npx convex dev\`?`);
    return this.#withInstance(async (t) => {
      const value = await t[kind](makeFunctionReference(functionName), args);
      // The deployment's scheduler runs what the function scheduled (batches scheduling batches).
      await t.finishAllScheduledFunctions(() => {}, 100000);
      return value;
    });
  }

  async #withInstance(fn) {
    const state = this.load();
    if (!state.modules) throw new Error("nothing is deployed");
    const { schema, modules } = await this.#instanceParts(state.modules);
    const t = convexTest(schema, modules);
    const db = await databaseOf(t);
    for (const { doc } of state.documents) {
      const value = jsonToConvex(doc);
      db._documents[value._id] = value;
    }
    db._nextDocId = state.nextDocId;
    db._lastCreationTime = state.lastCreationTime;
    const result = await fn(t);
    state.nextDocId = db._nextDocId;
    state.lastCreationTime = db._lastCreationTime;
    // The app's tables (system tables such as _scheduled_functions are the backend's own).
    state.documents = Object.values(db._documents)
      .map((doc) => ({ table: tableOf(doc._id), doc: convexToJson(doc) }))
      .filter(({ table }) => !table.startsWith("_"))
      .sort((a, b) => a.doc._creationTime - b.doc._creationTime);
    this.save(state);
    return result;
  }
}

/** convex-test's ids are a counter, then the table name. */
const tableOf = (id) => id.replace(/^\d+/, "");

/** Every stored document checked against `schema`, with convex-test's validation (each inserted into a scratch instance). */
async function validateAll(schema, documents) {
  if (!schema) return [];
  const t = convexTest(schema, { "/convex/_generated/api.mjs": async () => ({}) });
  const problems = [];
  for (const { table, doc } of documents) {
    const { _id, _creationTime, ...fields } = jsonToConvex(doc);
    if (!schema.tables[table]) continue; // a table left out of the schema: its documents stay, unvalidated
    try {
      await t.run(async (ctx) => {
        await ctx.db.insert(table, fields);
      });
    } catch (e) {
      problems.push(`${table} ${_id}: ${String(e?.message ?? e).split("\n")[0]}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The `npx` shim: `node deployment.mjs npx convex deploy|run …` in the project folder.

async function npx(argv) {
  const dir = process.env.E2E_DEPLOYMENT;
  if (!dir) throw new Error("E2E_DEPLOYMENT is not set: which stand-in deployment?");
  const d = new Deployment(dir);
  const [tool, command, ...rest] = argv;
  if (tool !== "convex") throw new Error(`the stand-in deployment runs only \`npx convex …\`, not \`npx ${argv.join(" ")}\``);
  const positional = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--prod" || a === "--yes" || a === "-y") continue;
    if (a === "--deployment-name" || a === "--deployment") {
      i++;
      continue;
    }
    if (a === "--component") throw new Error("the stand-in deployment has no components");
    if (a.startsWith("-")) throw new Error(`the stand-in deployment does not know ${a}`);
    positional.push(a);
  }
  if (command === "deploy") {
    const r = await d.deploy(process.cwd());
    console.error(`✔ Deployed (stand-in deployment, deploy ${r.deploy}: ${r.modules.join(", ")}; ${r.documents} documents validated)`);
    return;
  }
  if (command === "run") {
    const [fn, json] = positional;
    if (!fn) throw new Error("npx convex run: no function named");
    const args = json ? JSON.parse(json) : {};
    const value = await d.run(fn, args);
    // As `npx convex run` prints a value: JSON, indented.
    console.log(value === undefined || value === null ? "null" : JSON.stringify(convexToJson(value), null, 2));
    return;
  }
  throw new Error(`the stand-in deployment does not do \`npx convex ${command}\``);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename) && process.argv[2] === "npx") {
  try {
    await npx(process.argv.slice(3));
  } catch (e) {
    console.error(`✖ ${e?.message ?? e}`);
    process.exit(1);
  }
}

// The oracle for `check --snapshot`: Convex's own validation (convex-test, which validates every
// write against the schema) must reject exactly the documents convex-migrate counts.
//
// For each fixture (a project's deployed and working copies and an export of its data in the
// real format, from tests/snapshots/export.py):
//   1. convex-migrate check --snapshot ZIP --format json --samples 1000000: every counted `_id`;
//   2. the export's documents, decoded here independently of the Rust code (its own zip reader,
//      a JSON reader that keeps int64 and float64 apart, `$bytes`/`$float`/`$integer`, and Convex
//      ids decoded to their table through `_tables`, then written as convex-test's ids), are
//      inserted one by one with convex-test under the deployed schema (all must pass: the data is
//      what Convex accepted) and under the working schema;
//   3. the documents the working schema rejects must be exactly those counted (both directions).
// convex-test 0.0.60 does not check `v.record` (its validator has no case for it): documents
// counted only for a record field are expected to pass it, and said so.
//
//   node snapshot-oracle.mjs --bin path/to/convex-migrate
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const npmProject = path.join(here, "convex");
const workDir = path.join(npmProject, "work", "snapshot-oracle");
const args = process.argv.slice(2);
const bin = args.includes("--bin") ? path.resolve(args[args.indexOf("--bin") + 1]) : path.join(root, "target/debug/convex-migrate");

const results = { passed: 0, failed: 0 };
function report(ok, name, detail) {
  results[ok ? "passed" : "failed"] += 1;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `\n${detail}` : ""}`);
}

const FIXTURES = [
  { name: "team-app", project: path.join(root, "examples/team-app"), zip: "team-app.zip", recordFields: [] },
  { name: "kinds", project: path.join(root, "tests/snapshots/kinds"), zip: "kinds.zip", recordFields: ["items.counts"] },
];

// ---- the zip: central directory, deflate ----
function readZip(file) {
  const buf = fs.readFileSync(file);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd -= 1;
  if (eocd < 0) throw new Error(`${file}: no end of central directory`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = new Map();
  for (let i = 0; i < count; i += 1) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString("utf8", at + 46, at + 46 + nameLen);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + size);
    entries.set(name, method === 8 ? zlib.inflateRawSync(raw) : Buffer.from(raw));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

// ---- JSON with int64 and float64 apart: a value tree of tagged leaves ----
function parseJson(text) {
  let i = 0;
  const ws = () => {
    while (" \t\r\n".includes(text[i]) && i < text.length) i += 1;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === "{") {
      i += 1;
      const out = {};
      ws();
      if (text[i] === "}") return (i += 1), { t: "object", v: out };
      for (;;) {
        ws();
        const key = string();
        ws();
        if (text[i++] !== ":") throw new Error(`: expected at ${i}`);
        out[key] = value();
        ws();
        if (text[i] === ",") i += 1;
        else if (text[i] === "}") return (i += 1), { t: "object", v: out };
        else throw new Error(`, or } expected at ${i}`);
      }
    }
    if (c === "[") {
      i += 1;
      const out = [];
      ws();
      if (text[i] === "]") return (i += 1), { t: "array", v: out };
      for (;;) {
        out.push(value());
        ws();
        if (text[i] === ",") i += 1;
        else if (text[i] === "]") return (i += 1), { t: "array", v: out };
        else throw new Error(`, or ] expected at ${i}`);
      }
    }
    if (c === '"') return { t: "string", v: string() };
    if (text.startsWith("true", i)) return (i += 4), { t: "boolean", v: true };
    if (text.startsWith("false", i)) return (i += 5), { t: "boolean", v: false };
    if (text.startsWith("null", i)) return (i += 4), { t: "null", v: null };
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) throw new Error(`value expected at ${i}`);
    i += m[0].length;
    // An integer lexeme is an int64 (as the backend reads it: `-0` is the float -0).
    const integer = m[2] === undefined && m[3] === undefined && m[0] !== "-0";
    return integer ? { t: "int64", v: m[0] } : { t: "float64", v: m[0] };
  };
  const string = () => {
    const start = i;
    i += 1;
    while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i += 1;
    return JSON.parse(text.slice(start, i));
  };
  const out = value();
  ws();
  if (i !== text.length) throw new Error("trailing text");
  return out;
}

// ---- Convex ids (crates/value/src/id_v6.rs, base32.rs) ----
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
function base32(bytes) {
  let out = "";
  let acc = 0n;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8n) | BigInt(b);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[Number((acc >> BigInt(bits)) & 31n)];
    }
  }
  if (bits > 0) out += ALPHABET[Number((acc << BigInt(5 - bits)) & 31n)];
  return out;
}
function tableNumber(id) {
  if (id.length < 31 || id.length > 37) return null;
  const bytes = [];
  let acc = 0;
  let bits = 0;
  for (const c of id) {
    const d = ALPHABET.indexOf(c);
    if (d < 0) return null;
    acc = ((acc << 5) | d) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >> bits) & 0xff);
    }
  }
  let n = 0;
  let pos = 0;
  for (;;) {
    if (pos >= 5 || pos >= bytes.length) return null;
    const b = bytes[pos];
    n += (b & 0x7f) * 2 ** (7 * pos);
    pos += 1;
    if (b < 0x80) break;
  }
  if (n === 0 || bytes.length !== pos + 18) return null;
  let c0 = 0;
  let c1 = 0;
  for (const b of bytes.slice(0, pos + 16)) {
    c0 = (c0 + b) & 0xff;
    c1 = (c1 + c0) & 0xff;
  }
  if (bytes[pos + 16] !== c0 || bytes[pos + 17] !== c1) return null;
  return base32(bytes) === id ? n : null;
}

// ---- export values → the tagged JSON the vitest file turns into Convex values ----
function toTagged(node, ids) {
  switch (node.t) {
    case "null":
    case "boolean":
      return node.v;
    case "int64":
      return { $bigint: node.v };
    case "float64":
      return { $number: node.v };
    case "string":
      return ids(node.v);
    case "array":
      return node.v.map((x) => toTagged(x, ids));
    case "object": {
      const keys = Object.keys(node.v);
      if (keys.length === 1 && keys[0].startsWith("$")) {
        const bytes = Buffer.from(node.v[keys[0]].v, "base64");
        if (keys[0] === "$bytes") return { $bytes: node.v[keys[0]].v };
        if (keys[0] === "$float") return { $number: String(bytes.readDoubleLE(0)) };
        if (keys[0] === "$integer") return { $bigint: bytes.readBigInt64LE(0).toString() };
      }
      return { $object: Object.fromEntries(keys.map((k) => [k, toTagged(node.v[k], ids)])) };
    }
  }
  throw new Error(`unknown node ${node.t}`);
}

function prepare(fixture) {
  const zipPath = path.join(root, "tests/snapshots/zips", fixture.zip);
  const entries = readZip(zipPath);
  const numbers = new Map();
  for (const line of entries.get("_tables/documents.jsonl").toString("utf8").split("\n").filter(Boolean)) {
    const { name, id } = JSON.parse(line);
    numbers.set(id, name);
  }
  const storage = entries.get("_storage/documents.jsonl");
  if (storage) {
    const first = storage.toString("utf8").split("\n").find(Boolean);
    if (first) numbers.set(tableNumber(JSON.parse(first)._id), "_storage");
  }
  // convex-test's ids: digits then the table name (`tableNameFromId`); one per Convex id.
  const translated = new Map();
  const ids = (s) => {
    const n = tableNumber(s);
    if (n === null) return s;
    if (!translated.has(s)) translated.set(s, `${10000 + translated.size}${numbers.get(n) ?? `unknownTable${n}`}`);
    return translated.get(s);
  };
  const tables = {};
  for (const [name, data] of entries) {
    const m = /^([^/_][^/]*)\/documents\.jsonl$/.exec(name);
    if (!m) continue;
    tables[m[1]] = data
      .toString("utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const doc = parseJson(line);
        const { _id, _creationTime, ...fields } = doc.v;
        return { _id: _id.v, fields: toTagged({ t: "object", v: fields }, ids) };
      });
  }
  return { zipPath, tables };
}

function counted(fixture, zipPath) {
  const r = spawnSync(
    bin,
    ["check", path.join(fixture.project, "working"), "--base-dir", path.join(fixture.project, "deployed"), "--snapshot", zipPath, "--format", "json", "--samples", "1000000"],
    { encoding: "utf8" },
  );
  if (r.status !== 0 && r.status !== 1) throw new Error(`check exited ${r.status}: ${r.stderr}`);
  const json = JSON.parse(r.stdout);
  const byTable = {};
  const recordOnly = {};
  for (const d of json.diagnostics) {
    if (!d.data || d.rule === "removed-table") continue;
    const isRecord = fixture.recordFields.some((f) => d.message.startsWith(`\`${f}\``));
    const into = isRecord ? recordOnly : byTable;
    into[d.data.table] = [...new Set([...(into[d.data.table] ?? []), ...d.data.samples])];
    if (d.data.samples.length !== d.data.affected) throw new Error(`${d.rule}: ${d.data.affected} counted, ${d.data.samples.length} ids`);
  }
  for (const [table, ids] of Object.entries(recordOnly)) recordOnly[table] = ids.filter((id) => !(byTable[table] ?? []).includes(id));
  return { byTable, recordOnly, diagnostics: json.diagnostics.length };
}

const TEST = `/// <reference types="vite/client" />
// Written by tests/e2e/snapshot-oracle.mjs: inserts each document of the export with convex-test
// under the deployed and the working schema, and compares what is rejected with what
// convex-migrate counted.
import { convexTest } from "convex-test";
import { expect, test } from "vitest";
import deployed from "./base/schema";
import working from "./convex/schema";
import data from "./oracle.json";

const modules = import.meta.glob("./convex/**/*.*s");

function value(v: any): any {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(value);
  if ("$bigint" in v) return BigInt(v.$bigint);
  if ("$number" in v) return Number(v.$number);
  if ("$bytes" in v) return Uint8Array.from(atob(v.$bytes), (c) => c.charCodeAt(0)).buffer;
  return Object.fromEntries(Object.entries(v.$object).map(([k, x]) => [k, value(x)]));
}

async function rejected(schema: any) {
  const t = convexTest(schema, modules);
  const out: Record<string, string[]> = {};
  const reasons: string[] = [];
  for (const [table, docs] of Object.entries(data.tables as Record<string, { _id: string; fields: any }[]>)) {
    for (const doc of docs) {
      try {
        await t.run((ctx: any) => ctx.db.insert(table, value(doc.fields)));
      } catch (e: any) {
        (out[table] ??= []).push(doc._id);
        reasons.push(\`\${table} \${doc._id}: \${String(e?.message ?? e).split("\\n")[0]}\`);
      }
    }
  }
  for (const ids of Object.values(out)) ids.sort();
  return { out, reasons };
}

test("the deployed schema accepts every document of the export", async () => {
  const { out, reasons } = await rejected(deployed);
  expect(reasons).toEqual([]);
  expect(out).toEqual({});
});

test("the working schema rejects exactly the documents convex-migrate counts", async () => {
  const { out } = await rejected(working);
  expect(out).toEqual(data.expected);
});

test("documents counted only for a record field pass convex-test, which does not check v.record", async () => {
  const { out } = await rejected(working);
  for (const [table, ids] of Object.entries(data.recordOnly as Record<string, string[]>)) {
    for (const id of ids) expect(out[table] ?? []).not.toContain(id);
  }
});
`;

function copy(from, to) {
  fs.cpSync(from, to, { recursive: true, filter: (p) => !p.includes("_generated") });
}

function main() {
  if (!fs.existsSync(bin)) throw new Error(`no convex-migrate binary at ${bin}`);
  const vitest = path.join(npmProject, "node_modules", "vitest", "vitest.mjs");
  for (const fixture of FIXTURES) {
    const dir = path.join(workDir, fixture.name);
    fs.rmSync(dir, { recursive: true, force: true });
    copy(path.join(fixture.project, "working", "convex"), path.join(dir, "convex"));
    copy(path.join(fixture.project, "deployed", "convex"), path.join(dir, "base"));
    fs.writeFileSync(path.join(dir, "package.json"), `${JSON.stringify({ name: `oracle-${fixture.name}`, private: true, type: "module" }, null, 2)}\n`);
    let prepared;
    let tool;
    try {
      prepared = prepare(fixture);
      tool = counted(fixture, prepared.zipPath);
    } catch (e) {
      report(false, `${fixture.name}: read the export and run check --snapshot`, e.stack);
      continue;
    }
    const expected = Object.fromEntries(Object.entries(tool.byTable).map(([t, ids]) => [t, [...ids].sort()]).filter(([, ids]) => ids.length > 0));
    const counts = Object.entries(expected).map(([t, ids]) => `${t}: ${ids.length}`).join(", ");
    const recordOnly = Object.values(tool.recordOnly).flat().length;
    fs.writeFileSync(path.join(dir, "oracle.json"), JSON.stringify({ tables: prepared.tables, expected, recordOnly: tool.recordOnly }, null, 2));
    fs.writeFileSync(path.join(dir, "oracle.test.ts"), TEST);
    fs.writeFileSync(path.join(dir, "vitest.config.mjs"), 'export default { test: { environment: "edge-runtime", server: { deps: { inline: ["convex-test"] } } } };\n');
    const gen = spawnSync(process.execPath, [path.join(here, "codegen.mjs"), dir], { encoding: "utf8" });
    if (gen.status !== 0) {
      report(false, `${fixture.name}: codegen`, gen.stdout + gen.stderr);
      continue;
    }
    const out = path.join(dir, "vitest.json");
    const r = spawnSync(process.execPath, [vitest, "run", "--root", dir, "--reporter=json", `--outputFile.json=${out}`], { cwd: dir, encoding: "utf8" });
    if (!fs.existsSync(out)) {
      report(false, `${fixture.name}: vitest`, `exited ${r.status}:\n${(r.stdout + r.stderr).slice(-3000)}`);
      continue;
    }
    const json = JSON.parse(fs.readFileSync(out, "utf8"));
    for (const file of json.testResults) {
      for (const t of file.assertionResults) {
        const detail = t.status === "passed" ? "" : (t.failureMessages ?? []).join("\n").slice(0, 4000);
        report(t.status === "passed", `${fixture.name} (${counts}${recordOnly ? `; ${recordOnly} record-only` : ""}): ${t.title}`, detail);
      }
      if (file.assertionResults.length === 0) report(false, `${fixture.name}: vitest ran no test`, file.message);
    }
    // Control: had the tool missed one document (or counted one too many), the oracle fails.
    const [table, ids] = Object.entries(expected)[0] ?? [];
    if (!table) continue;
    for (const [what, changed] of [
      ["one counted document fewer", { ...expected, [table]: ids.slice(1) }],
      ["one accepted document counted", { ...expected, [table]: [...ids, prepared.tables[table].map((d) => d._id).find((id) => !ids.includes(id))].filter(Boolean).sort() }],
    ]) {
      fs.writeFileSync(path.join(dir, "oracle.json"), JSON.stringify({ tables: prepared.tables, expected: changed, recordOnly: tool.recordOnly }, null, 2));
      const c = spawnSync(process.execPath, [vitest, "run", "--root", dir, "--reporter=json", `--outputFile.json=${out}`, "-t", "exactly"], { cwd: dir, encoding: "utf8" });
      const res = JSON.parse(fs.readFileSync(out, "utf8"));
      const failed = res.testResults.flatMap((f) => f.assertionResults).some((t) => t.title.includes("exactly") && t.status === "failed");
      report(failed && c.status !== 0, `${fixture.name}: control: with ${what} in \`${table}\`, the oracle fails`, failed ? "" : "it passed");
    }
    fs.writeFileSync(path.join(dir, "oracle.json"), JSON.stringify({ tables: prepared.tables, expected, recordOnly: tool.recordOnly }, null, 2));
  }
}

try {
  main();
} catch (e) {
  report(false, "snapshot oracle", e instanceof Error ? e.stack : String(e));
}
console.log(`${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed > 0 ? 1 : 0);

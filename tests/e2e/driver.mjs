// End-to-end check that what convex-migrate's code actions write is real Convex code.
//
// For each fixture under convex/fixtures/<name>/ (deployed/ = the committed project, working/ =
// the developer's uncommitted changes on top, plan.json = the fields on the migration path), in
// a git repository of its own under convex/work/<name>/repo:
//   1. widen   — the real `convex-migrate lsp` flags the fields; the driver takes the code actions
//                a developer would (generate backfill and verify, make optional first, put the
//                removed field back as optional) and applies their edits like an editor;
//   2. deploy  — commits that state (the first deploy) and copies it to convex/work/<name>/widened;
//   3. narrow  — records the fields as verified in convex-migrate.json and takes "Make … required
//                (verified)"; deletes the restored field as the developer would; the schema must
//                then be the one the developer wrote in the first place;
//   4. clean   — commits the narrowed state (the second deploy) and takes "Remove finished
//                migration" on each backfill.
// Then `_generated/` is made by the convex package's own codegen (codegen.mjs), `tsc --noEmit`
// checks the widened and the cleaned states against the real convex types, and vitest runs the
// fixture's tests (convex/fixtures/<name>/tests/) on the widened state with convex-test.
// Last, 5. test on sample data: the plan step that writes a convex-test test for each migration,
// run on the widened state (must pass) and on broken backfills (must fail); see sampleDataTests.
//
// Prints `ok`/`not ok`/`skip` per check and a closing `N passed, N failed, N skipped` line;
// exits 1 when anything failed. A check skips when the server offers no action to test (the
// unset backfill of a removed field, so far); E2E_STRICT=1 makes such a skip a failure.
//
// Usage: node driver.mjs [--bin PATH] [FIXTURE...]   (CONVEX_MIGRATE_BIN also sets the binary)

import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Editor } from "./lsp-client.mjs";

const here = import.meta.dirname;
const npmProject = path.join(here, "convex");
const fixturesDir = path.join(npmProject, "fixtures");
const workDir = path.join(npmProject, "work");
const repoRoot = path.resolve(here, "..", "..");

const args = process.argv.slice(2);
let bin = process.env.CONVEX_MIGRATE_BIN || path.join(repoRoot, "target", "debug", "convex-migrate");
const binAt = args.indexOf("--bin");
if (binAt !== -1) {
  bin = path.resolve(args[binAt + 1]);
  args.splice(binAt, 2);
}
const only = args;

// ---------------------------------------------------------------------------------------------
// Results

const results = { passed: 0, failed: 0, skipped: 0 };
function report(status, name, detail) {
  results[status === "ok" ? "passed" : status === "skip" ? "skipped" : "failed"] += 1;
  const line = `${status === "ok" ? "ok" : status === "skip" ? "skip" : "not ok"} - ${name}`;
  console.log(detail ? `${line}\n${indent(detail)}` : line);
}
const indent = (text) =>
  String(text)
    .trimEnd()
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");

class Skip extends Error {}

/** Runs one check; a thrown error fails it, a Skip skips it. Returns whether it passed. */
async function check(name, fn) {
  try {
    const note = await fn();
    report("ok", name, typeof note === "string" ? note : undefined);
    return true;
  } catch (e) {
    if (e instanceof Skip && process.env.E2E_STRICT !== "1") {
      report("skip", name, e.message);
      return false;
    }
    report("fail", name, e instanceof Error ? e.stack ?? e.message : String(e));
    return false;
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

// ---------------------------------------------------------------------------------------------
// Helpers

const pascal = (...parts) =>
  parts
    .flatMap((p) => p.split(/[^A-Za-z0-9]+/))
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");

function git(cwd, ...gitArgs) {
  return execFileSync("git", gitArgs, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "e2e",
      GIT_AUTHOR_EMAIL: "e2e@example.invalid",
      GIT_COMMITTER_NAME: "e2e",
      GIT_COMMITTER_EMAIL: "e2e@example.invalid",
      GIT_CONFIG_NOSYSTEM: "1",
      HOME: cwd,
    },
  }).trim();
}

function copyTree(from, to, { skip = [] } = {}) {
  fs.cpSync(from, to, { recursive: true, filter: (src) => !skip.includes(path.basename(src)) });
}

function run(cmd, cmdArgs, cwd) {
  const r = spawnSync(cmd, cmdArgs, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? 1, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

function codegen(project) {
  const r = run(process.execPath, [path.join(here, "codegen.mjs"), project], here);
  if (r.code !== 0) throw new Error(`codegen failed for ${project}:\n${r.output}`);
}

const tsc = path.join(npmProject, "node_modules", "typescript", "bin", "tsc");

/** Offset of a field's key in a schema text (`  role: ...`), within the table's `defineTable(`. */
function fieldOffset(text, table, field) {
  const tableAt = text.search(new RegExp(`\\b${table}\\s*:\\s*defineTable\\(`));
  assert(tableAt !== -1, `table ${table} not found in the schema`);
  const re = new RegExp(`^[ \\t]*(${field})\\s*:`, "m");
  const m = re.exec(text.slice(tableAt));
  assert(m, `field ${table}.${field} not found in the schema`);
  return tableAt + m.index + m[0].indexOf(field);
}

const titles = (actions) => actions.map((a) => a.title);

function pick(actions, title) {
  // A backfill of a union of literals is offered "(choose its value)": its placeholder is replaced
  // by a choice once applied (see `chooseValues`).
  const action = actions.find((a) => a.title === title || a.title === `${title} (choose its value)`);
  assert(action, `no code action "${title}"; offered: ${JSON.stringify(titles(actions), null, 1)}`);
  assert(action.edit, `code action "${title}" has no edit`);
  return action;
}

/**
 * The developer's choice where a generated backfill writes a placeholder (a union of literals and no
 * value given): the first of the choices it names. Returns the value chosen, or null.
 */
function chooseValues(editor, rel) {
  if (!fs.existsSync(editor.file(rel))) return null;
  const text = editor.text(rel);
  const placeholder = /"CHOOSE ONE: (.*?) \(convex-migrate plan --default\)"/;
  const m = placeholder.exec(text);
  if (!m) return null;
  const first = m[1].split(" | ")[0].replace(/\\"/g, '"');
  editor.type(rel, text.replace(placeholder, first));
  return first;
}

/** The text a workspace edit inserts (all its text edits, joined). */
function insertedText(edit) {
  const parts = [];
  for (const change of edit.documentChanges ?? []) if (change.edits) parts.push(...change.edits.map((e) => e.newText));
  for (const edits of Object.values(edit.changes ?? {})) parts.push(...edits.map((e) => e.newText));
  return parts.join("");
}

// ---------------------------------------------------------------------------------------------
// One fixture

async function fixture(name) {
  const src = path.join(fixturesDir, name);
  const plan = JSON.parse(fs.readFileSync(path.join(src, "plan.json"), "utf8"));
  const base = path.join(workDir, name);
  const repo = path.join(base, "repo");
  const widened = path.join(base, "widened");
  fs.rmSync(base, { recursive: true, force: true });
  fs.mkdirSync(base, { recursive: true });
  const schemaRel = "convex/schema.ts";
  const migrationsRel = "convex/migrations.ts";
  const developerSchema = fs.readFileSync(path.join(src, "working", schemaRel), "utf8");
  // What the generated functions are (for the tests and the report).
  const generated = { fill: {}, unset: {} };

  await check(`${name}: committed convex/_generated is what the convex package generates`, () => {
    const r = run(process.execPath, [path.join(here, "codegen.mjs"), path.join(src, "deployed"), "--check"], here);
    assert(r.code === 0, r.output);
  });

  // The deployed project, committed; the developer's changes on top.
  copyTree(path.join(src, "deployed"), repo);
  git(repo, "init", "-q", "-b", "main");
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "deployed");
  copyTree(path.join(src, "working"), repo);

  const editor = new Editor(repo, bin);
  let ok = true;
  try {
    await editor.start();
    editor.open(schemaRel);
    let diagnostics = await editor.settle(schemaRel, 0);

    const schemaText = () => editor.text(schemaRel);
    const fieldPos = (table, field) => editor.doc(schemaRel).positionAt(fieldOffset(schemaText(), table, field));
    const cursor = (table, field) => {
      const p = fieldPos(table, field);
      return { start: p, end: p };
    };
    const diagnosticAt = (rule, table, field) => {
      const p = fieldPos(table, field);
      return diagnostics.find(
        (d) => d.code === rule && d.range.start.line === p.line && d.range.start.character <= p.character && p.character <= d.range.end.character,
      );
    };
    /**
     * Applies a code action's edit and waits until the server has analysed the result. While the
     * schema has diagnostics (every step of the widening) it is published again after each
     * change, and the next quick fix must come from that fresh publication; later steps ask for
     * refactors until they appear, and a schema without diagnostics may see no publication.
     */
    let schemaPublished = true;
    const apply = async (action) => {
      const since = editor.seq;
      const summary = editor.applyWorkspaceEdit(action.edit);
      for (const rel of [...summary.created, ...summary.edited]) editor.open(rel);
      diagnostics = await editor.settle(schemaRel, since, { optional: schemaPublished ? 0 : 800 });
      return summary;
    };

    // 1. widen -------------------------------------------------------------------------------
    for (const [table, field, route = plan.route] of plan.fill) {
      const T = pascal(table, field);
      const backfillTitle = `Generate backfill \`backfill${T}\` for \`${table}.${field}\` in ${migrationsRel}`;
      const verifyTitle = `Generate verify \`verify${T}\` for \`${table}.${field}\` in ${migrationsRel}`;
      const optionalTitle = `Make \`${field}\` optional first (v.optional)`;
      ok &&= await check(`${name}: ${table}.${field} is flagged, backfill and verify generated, made optional`, async () => {
        const flagged = diagnosticAt("required-without-backfill", table, field);
        assert(flagged, `no required-without-backfill on ${table}.${field}; diagnostics: ${JSON.stringify(diagnostics.map((d) => [d.code, d.message]))}`);
        const notes = [];
        const take = async (title, context) => {
          const actions =
            context === "diagnostic"
              ? await editor.codeActions(schemaRel, diagnosticAt("required-without-backfill", table, field).range, [
                  diagnosticAt("required-without-backfill", table, field),
                ])
              : await editor.actionsUntil(schemaRel, cursor(table, field), [], (a) => titles(a).includes(title));
          const action = pick(actions, title);
          const creates = (action.edit.documentChanges ?? []).some((c) => c.kind === "create");
          const summary = await apply(action);
          notes.push(`${title} [${action.kind}]${creates ? ` (created ${summary.created.join(", ")})` : ""}`);
          const chosen = chooseValues(editor, migrationsRel);
          if (chosen) notes.push(`  chose ${chosen} for the placeholder, as the developer would`);
          return action;
        };
        const migrationsExisted = fs.existsSync(editor.file(migrationsRel));
        if (route === "quickfix") {
          const first = await take(backfillTitle, "diagnostic");
          if (!migrationsExisted) {
            assert(
              (first.edit.documentChanges ?? []).some((c) => c.kind === "create" && c.uri.endsWith(migrationsRel)),
              `${migrationsRel} did not exist, but the backfill's edit has no create operation`,
            );
          }
          await take(verifyTitle, "diagnostic");
          await take(optionalTitle, "diagnostic");
        } else {
          await take(optionalTitle, "diagnostic");
          await take(backfillTitle, "cursor");
          await take(verifyTitle, "cursor");
        }
        assert(!diagnosticAt("required-without-backfill", table, field), `${table}.${field} is still flagged after being made optional`);
        generated.fill[`${table}.${field}`] = { backfill: `backfill${T}`, verify: `verify${T}` };
        return notes.join("\n");
      });
    }

    for (const [table, field] of plan.removed) {
      const T = pascal(table, field);
      ok &&= await check(`${name}: removed ${table}.${field} is flagged and put back as optional`, async () => {
        const flagged = diagnostics.find((d) => d.code === "removed-field" && d.message.includes(`\`${table}.${field}\``));
        assert(flagged, `no removed-field for ${table}.${field}; diagnostics: ${JSON.stringify(diagnostics.map((d) => [d.code, d.message]))}`);
        const actions = await editor.codeActions(schemaRel, flagged.range, [flagged]);
        await apply(pick(actions, `Put \`${field}\` back as optional until it is unset everywhere`));
        assert(fieldOffset(schemaText(), table, field) > 0, "the field is not back in the schema");
      });
      // From here on the schema may have no diagnostics left, and actions are refactors.
      schemaPublished = false;
      // The unset migration: a backfill that writes `field: undefined`, offered at the field.
      await check(`${name}: ${table}.${field} gets an unset backfill (${field}: undefined) and its verify`, async () => {
        const actions = await editor.actionsUntil(schemaRel, cursor(table, field), [], (a) => a.some((x) => x.title.startsWith("Generate unset migration")));
        const backfill = actions.find((a) => a.title.startsWith(`Generate unset migration \`unset${T}\``));
        if (!backfill) throw new Skip(`the server offers no backfill for the removed field; offered: ${JSON.stringify(titles(actions))}`);
        const code = insertedText(backfill.edit);
        if (!new RegExp(`${field}: undefined`).test(code)) {
          throw new Skip(
            `the only backfill offered for the removed field ${table}.${field} fills it instead of unsetting it; not applied:\n${code.trim()}`,
          );
        }
        await apply(backfill);
        const verify = (await editor.actionsUntil(schemaRel, cursor(table, field), [], (a) => a.some((x) => x.title.startsWith("Generate verify")))).find((a) =>
          a.title.startsWith(`Generate verify \`verify${T}\``),
        );
        assert(verify, "no verify offered for the removed field");
        assert(/!== undefined/.test(insertedText(verify.edit)), "the verify offered for the removed field does not count documents that still hold it");
        await apply(verify);
        generated.unset[`${table}.${field}`] = { backfill: `unset${T}`, verify: `verify${T}` };
      });
    }
    if (!ok) return;

    // 2. deploy the widened state -----------------------------------------------------------------
    git(repo, "add", "-A");
    git(repo, "commit", "-q", "-m", "widen, with backfills and verifies");
    let since = editor.seq;
    editor.filesChanged([
      [".git/refs/heads/main", 2 /* Changed */],
      [".git/HEAD", 2],
    ]);
    diagnostics = await editor.settle(schemaRel, since, { optional: 1500 });
    copyTree(repo, widened, { skip: [".git"] });

    // 3. narrow ------------------------------------------------------------------------------------
    const ledger = { verified: {} };
    for (const key of [...Object.keys(generated.fill), ...Object.keys(generated.unset)]) ledger.verified[key] = { remaining: 0 };
    since = editor.seq;
    fs.writeFileSync(editor.file("convex-migrate.json"), `${JSON.stringify(ledger, null, 2)}\n`);
    editor.filesChanged([["convex-migrate.json", 1 /* Created */]]);
    diagnostics = await editor.settle(schemaRel, since, { optional: 1500 });
    for (const [table, field] of plan.fill) {
      ok &&= await check(`${name}: ${table}.${field} made required once verified`, async () => {
        const title = `Make \`${field}\` required (verified)`;
        const actions = await editor.actionsUntil(schemaRel, cursor(table, field), [], (a) => titles(a).includes(title));
        await apply(pick(actions, title));
      });
    }
    if (!ok) return;
    const requiredSchema = schemaText();
    // The developer deletes the fields that were put back (their deprecation comment included).
    let narrowed = requiredSchema;
    for (const [table, field] of plan.removed) {
      const at = fieldOffset(narrowed, table, field);
      const lineStart = narrowed.lastIndexOf("\n", at) + 1;
      const lineEnd = narrowed.indexOf("\n", at) + 1;
      const commentStart = narrowed.lastIndexOf("\n", lineStart - 2) + 1;
      const from = /^\s*\/\/ Deprecated/.test(narrowed.slice(commentStart, lineStart)) ? commentStart : lineStart;
      narrowed = narrowed.slice(0, from) + narrowed.slice(lineEnd);
    }
    since = editor.seq;
    editor.type(schemaRel, narrowed);
    diagnostics = await editor.settle(schemaRel, since, { optional: 3000 });
    await check(`${name}: the narrowed schema is the one the developer wrote`, () => {
      assert(narrowed === developerSchema, `narrowed schema differs:\n--- developer\n${developerSchema}\n--- after the code actions\n${narrowed}`);
    });
    await check(`${name}: no transition finding is left on the verified fields`, () => {
      const left = diagnostics.filter(
        (d) => d.severity <= 2 && plan.fill.some(([t, f]) => d.message.includes(`\`${t}.${f}\``) || d.message.includes(`\`${f}\``)),
      );
      assert(left.length === 0, JSON.stringify(left.map((d) => [d.code, d.message]), null, 1));
    });
    fs.mkdirSync(path.join(widened, "narrowed"), { recursive: true });
    fs.writeFileSync(path.join(widened, "narrowed", "required.ts"), requiredSchema);
    fs.writeFileSync(path.join(widened, "narrowed", "schema.ts"), narrowed);

    // 4. deploy the narrowed state and clean up ------------------------------------------------------
    git(repo, "add", "-A");
    git(repo, "commit", "-q", "-m", "narrow");
    since = editor.seq;
    editor.filesChanged([[".git/refs/heads/main", 2]]);
    await editor.settle(schemaRel, since, { optional: 1500 });
    editor.open(migrationsRel);
    // Every generated backfill and verify goes once its migration is done in what is deployed:
    // filled fields are required there, unset fields are gone from it.
    const finished = [
      ...Object.entries(generated.fill).map(([key, fns]) => [key, fns, "is required in what is deployed"]),
      ...Object.entries(generated.unset).map(([key, fns]) => [key, fns, "is removed in what is deployed"]),
    ];
    for (const [key, fns, done] of finished) {
      for (const [kind, fn] of [["migration", fns.backfill], ["verify", fns.verify]]) {
        await check(`${name}: finished ${fn} removed once ${key} ${done}`, async () => {
          const [table, field] = key.split(".");
          const text = editor.text(migrationsRel);
          const at = text.indexOf(`export const ${fn} =`);
          assert(at !== -1, `${fn} not found in ${migrationsRel}`);
          const pos = editor.doc(migrationsRel).positionAt(at + "export const ".length);
          const title = `Remove finished ${kind} \`${fn}\` (\`${table}.${field}\` ${done})`;
          const actions = await editor.actionsUntil(migrationsRel, { start: pos, end: pos }, [], (a) => titles(a).includes(title));
          editor.applyWorkspaceEdit(pick(actions, title).edit);
          const after = editor.text(migrationsRel);
          assert(!after.includes(`export const ${fn} =`), `${fn} is still there`);
          if (kind === "verify") assert(!after.includes(`export const ${fn}Page =`), `${fn}Page is still there`);
        });
      }
    }
  } finally {
    const exit = await editor.stop();
    await check(`${name}: the language server exits cleanly`, () => {
      assert(exit && exit.code === 0, `exit ${JSON.stringify(exit)}; stderr:\n${editor.stderr.slice(-3000)}`);
    });
  }
  if (!ok) return;

  // Type-check both states against the real convex types, with _generated/ from codegen.
  fs.writeFileSync(path.join(widened, "e2e.json"), `${JSON.stringify(generated, null, 2)}\n`);
  copyTree(path.join(src, "tests"), path.join(widened, "tests"));
  fs.writeFileSync(
    path.join(widened, "tsconfig.json"),
    `${JSON.stringify(
      {
        extends: "./convex/tsconfig.json",
        compilerOptions: { skipLibCheck: false, resolveJsonModule: true, types: ["vite/client"] },
        include: ["convex", "tests", "narrowed", "e2e.json"],
        exclude: ["convex/_generated"],
      },
      null,
      2,
    )}\n`,
  );
  await check(`${name}: tsc --noEmit passes on the widened state (generated backfills and verifies, tests)`, () => {
    codegen(widened);
    const r = run(process.execPath, [tsc, "--noEmit", "-p", path.join(widened, "tsconfig.json")], widened);
    assert(r.code === 0, r.output);
  });
  await check(`${name}: tsc --noEmit passes on the narrowed, cleaned state`, () => {
    codegen(repo);
    const r = run(process.execPath, [tsc, "--noEmit", "-p", path.join(repo, "convex", "tsconfig.json"), "--skipLibCheck", "false"], repo);
    assert(r.code === 0, r.output);
  });
}

// ---------------------------------------------------------------------------------------------
// 5. Test the migration on sample data: the plan step that writes a convex-test test for each
// migration (convex-migrate plan require|remove TABLE.FIELD --apply), in a copy of the widened,
// deployed state (convex/work/<name>/testgen, a git repository whose HEAD is that state). The
// generated tests must type-check and pass there, under a vitest config with nothing in it (a
// project that never set vitest up: the test picks its environment itself); and fail in the
// controls: a copy where the backfills write nothing, and (cursor-paged backfills) one where they
// stop after the first batch.

const TEST_STEP = "Test the migration on sample data";

/** Copies a folder but the top-level entries named in `skip`. */
function copyTop(from, to, skip) {
  fs.cpSync(from, to, { recursive: true, filter: (src) => !skip.includes(path.relative(from, src).split(path.sep)[0]) });
}

/** Runs vitest in `root` (JSON report); returns its test results as `{ file, title, status, message }`. */
function vitestIn(root) {
  const out = path.join(root, "vitest.json");
  fs.rmSync(out, { force: true });
  const vitest = path.join(npmProject, "node_modules", "vitest", "vitest.mjs");
  const r = run(process.execPath, [vitest, "run", "--root", root, "--reporter=json", `--outputFile.json=${out}`], root);
  assert(fs.existsSync(out), `vitest exited ${r.code} without a report:\n${r.output.slice(-3000)}`);
  const json = JSON.parse(fs.readFileSync(out, "utf8"));
  const tests = [];
  for (const file of json.testResults) {
    const rel = path.relative(root, file.name);
    if (file.assertionResults.length === 0) tests.push({ file: rel, title: "(file)", status: "failed", message: file.message });
    for (const t of file.assertionResults) {
      tests.push({ file: rel, title: [...t.ancestorTitles, t.title].join(" › "), status: t.status, message: (t.failureMessages ?? []).join("\n") });
    }
  }
  return tests;
}

/**
 * The test step for one field, in `dir`: through `plan … --apply`.
 * Returns `{ created, route, detail }` (`created`: the test file, or null when none is offered).
 */
function renderTest(dir, verb, table, field) {
  const planArgs = ["plan", verb, `${table}.${field}`, "-C", dir];
  const r = run(bin, [...planArgs, "--format", "json"], dir);
  assert(r.code === 0, `convex-migrate ${planArgs.join(" ")} --format json: exit ${r.code}\n${r.output}`);
  const plan = JSON.parse(r.output);
  const step = plan.steps.find((s) => s.id === `${table}.${field}/test`);
  if (step) {
    const why = [...step.missing, step.manual, step.blocked].filter(Boolean);
    assert(plan.next === step.id, `the next step is ${plan.next}, not "${step.title}" (${step.id}):\n${r.output}`);
    if (!step.fix) return { created: null, route: "plan", detail: why.join("\n") };
    const applied = run(bin, [...planArgs, "--apply"], dir);
    assert(applied.code === 0, `plan --apply: exit ${applied.code}\n${applied.output}`);
    const created = /changed (\S+\.test\.[jt]s)/.exec(applied.output);
    assert(created, `plan --apply wrote no test file:\n${applied.output}`);
    return { created: created[1], route: "plan --apply", detail: [...why, applied.output.trim()].join("\n") };
  }
  throw new Error(`the plan has no "${TEST_STEP}" step:\n${r.output}`);
}

async function sampleDataTests(name) {
  const plan = JSON.parse(fs.readFileSync(path.join(fixturesDir, name, "plan.json"), "utf8"));
  const base = path.join(workDir, name);
  const widened = path.join(base, "widened");
  const dir = path.join(base, "testgen");
  fs.rmSync(dir, { recursive: true, force: true });
  // The widened project as deployed, without what the driver added for its own tests.
  copyTop(widened, dir, ["tests", "narrowed", "e2e.json", "tsconfig.json"]);
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "widened and deployed");

  const noTest = new Map((plan.noTest ?? []).map(([t, f, why]) => [`${t}.${f}`, why]));
  const fields = [...plan.fill.map(([t, f]) => ["require", t, f]), ...plan.removed.map(([t, f]) => ["remove", t, f])];
  const generated = []; // { file, key, backfill }
  for (const [verb, table, field] of fields) {
    const key = `${table}.${field}`;
    await check(`${name}: ${TEST_STEP}: ${verb} ${key}`, () => {
      const { created, route, detail } = renderTest(dir, verb, table, field);
      if (noTest.has(key)) {
        assert(!created, `a test was written (${created}), but none can type-check: ${noTest.get(key)}`);
        return `no test offered, as expected (${noTest.get(key)}) [${route}]${detail ? `\n${detail}` : ""}`;
      }
      assert(created, `no test offered for ${key} [${route}]${detail ? `\n${detail}` : ""}`);
      const text = fs.readFileSync(path.join(dir, created), "utf8");
      const backfill = `${verb === "remove" ? "unset" : "backfill"}${pascal(table, field)}`;
      assert(text.includes(`${backfill}`), `${created} does not run ${backfill}`);
      generated.push({ file: created, key, backfill });
      return `${created} [${route}]`;
    });
  }
  if (generated.length === 0) return;

  codegen(dir);
  await check(`${name}: the generated tests type-check (tsc --noEmit, convex/tsconfig.json, skipLibCheck false)`, () => {
    const r = run(process.execPath, [tsc, "--noEmit", "-p", path.join(dir, "convex", "tsconfig.json"), "--skipLibCheck", "false"], dir);
    assert(r.code === 0, r.output);
  });

  // A vitest config with nothing in it, as in a project that never configured vitest.
  const emptyConfig = "// A project without vitest settings: the generated tests choose the edge runtime themselves.\nexport default {};\n";
  fs.writeFileSync(path.join(dir, "vitest.config.mjs"), emptyConfig);
  let results = [];
  await check(`${name}: vitest runs the generated tests`, () => {
    results = vitestIn(dir);
  });
  for (const g of generated) {
    const mine = results.filter((t) => t.file === g.file);
    await check(`${name}: generated ${g.file} passes on the widened state (${g.key})`, () => {
      assert(mine.length > 0, `vitest ran no test of ${g.file}: ${JSON.stringify(results.map((t) => t.file))}`);
      const bad = mine.filter((t) => t.status !== "passed");
      assert(bad.length === 0, bad.map((t) => `${t.title}: ${t.status}\n${t.message.slice(0, 2000)}`).join("\n"));
      return mine.map((t) => t.title).join("\n");
    });
  }

  // Controls: the same tests on broken backfills must fail.
  const migrations = fs.readFileSync(path.join(dir, "convex", "migrations.ts"), "utf8");
  const controls = [
    {
      what: "the backfills write nothing (their patch removed)",
      broken: migrations.replace(/^\s*await ctx\.db\.patch\(doc\._id, \{ \w+: .*\}\);\n/gm, ""),
      applies: () => true,
    },
    {
      what: "the backfills stop after their first batch (next batch not scheduled)",
      broken: migrations.replace(/^\s*await ctx\.scheduler\.runAfter\(0, internal\.migrations\.(?:backfill|unset)\w+, .*\);\n/gm, ""),
      applies: (g) => new RegExp(`runAfter\\(0, internal\\.migrations\\.${g.backfill},`).test(migrations),
    },
  ];
  for (const [i, control] of controls.entries()) {
    const affected = generated.filter(control.applies);
    if (affected.length === 0) continue;
    const copy = path.join(base, `testgen-control${i + 1}`);
    fs.rmSync(copy, { recursive: true, force: true });
    copyTop(dir, copy, [".git", "vitest.json"]);
    assert(control.broken !== migrations, `control ${i + 1} changed nothing in convex/migrations.ts`);
    fs.writeFileSync(path.join(copy, "convex", "migrations.ts"), control.broken);
    let controlResults = [];
    await check(`${name}: control: vitest runs the generated tests when ${control.what}`, () => {
      controlResults = vitestIn(copy);
    });
    for (const g of affected) {
      await check(`${name}: control: ${g.file} fails when ${control.what}`, () => {
        const mine = controlResults.filter((t) => t.file === g.file);
        assert(mine.length > 0, `vitest ran no test of ${g.file}`);
        const passed = mine.filter((t) => t.status === "passed");
        assert(passed.length === 0, `passed on a broken backfill: ${passed.map((t) => t.title).join(", ")}`);
        // It fails where it should: the verify (or the document check) reports what is left.
        const first = mine[0].message.split("\n").find((l) => l.trim()) ?? "";
        assert(/remaining|lacks|toHaveProperty/.test(mine[0].message), `failed for another reason:\n${mine[0].message.slice(0, 2000)}`);
        return first.trim();
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------


// ---------------------------------------------------------------------------------------------
// `plan split`: the new table, the dual-write, the backfill and the verify that `plan --apply`
// writes, type-checked against the real convex package and run with convex-test (with a control).

const SPLIT_SCHEMA = `import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  posts: defineTable({
    title: v.string(),
    tags: v.array(v.string()),
  }),
});
`;
// The app already writes both sides (step 3 is done by hand, before the plan is applied).
const SPLIT_POSTS = `import { v } from "convex/values";
import { mutation } from "./_generated/server";
export const create = mutation({
  args: { title: v.string(), tags: v.array(v.string()) },
  handler: async (ctx, args) => {
    const post = await ctx.db.insert("posts", { title: args.title, tags: args.tags });
    for (const tag of args.tags) await ctx.db.insert("postTags", { post, tag });
  },
});
`;
const SPLIT_TEST = `/// <reference types="vite/client" />
// @vitest-environment edge-runtime
import { convexTest } from "convex-test";
import { expect, test, vi } from "vitest";
import schema from "./schema";
import { internal } from "./_generated/api";

const modules = import.meta.glob("./**/*.*s");

test("the split backfill copies every value into rows, in batches, and verify finds none left", async () => {
  vi.useFakeTimers();
  const t = convexTest(schema, modules);
  await t.run(async (ctx) => {
    for (let i = 0; i < 250; i++) await ctx.db.insert("posts", { title: "p" + i, tags: i % 5 === 0 ? [] : ["a" + i, "b" + i] });
  });
  expect(await t.action(internal.migrations.verifyPostTags, {})).toMatchObject({ scanned: 250, remaining: 200 });
  await t.mutation(internal.migrations.backfillPostTags, {});
  await t.finishAllScheduledFunctions(vi.runAllTimers);
  expect(await t.action(internal.migrations.verifyPostTags, {})).toMatchObject({ scanned: 250, remaining: 0 });
  expect((await t.run((ctx) => ctx.db.query("postTags").collect())).length).toBe(400);
  vi.useRealTimers();
});
`;

async function planSplit() {
  const dir = path.join(workDir, "split");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "convex"), { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), `${JSON.stringify({ name: "split", private: true, type: "module", dependencies: { convex: "1.48.0" } }, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, "convex", "schema.ts"), SPLIT_SCHEMA);
  fs.writeFileSync(path.join(dir, "convex", "posts.ts"), SPLIT_POSTS);
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "deployed");
  const ok = await check("split: plan split posts.tags --into postTags --apply writes the table, the dual-write, the backfill and the verify", () => {
    for (const step of [1, 2, 4, 5]) {
      const r = run(bin, ["plan", "split", "posts.tags", "--into", "postTags", "--apply"], dir);
      assert(r.code === 0 && r.output.startsWith(`Applied step ${step}.`), `step ${step}: exit ${r.code}\n${r.output}`);
    }
    const r = run(bin, ["check"], dir);
    assert(r.code === 0, `check disagrees:\n${r.output}`);
  });
  if (!ok) return;
  const tsconfig = { compilerOptions: { target: "ESNext", module: "ESNext", moduleResolution: "Bundler", strict: true, skipLibCheck: false, noEmit: true, isolatedModules: true, lib: ["ES2021", "dom"], types: ["vite/client"] }, include: ["convex"] };
  fs.writeFileSync(path.join(dir, "tsconfig.json"), `${JSON.stringify(tsconfig, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, "convex", "split.test.ts"), SPLIT_TEST);
  fs.writeFileSync(path.join(dir, "vitest.config.mjs"), "export default {};\n");
  await check("split: tsc --noEmit passes on the generated code against the real convex types", () => {
    codegen(dir);
    const r = run(process.execPath, [tsc, "-p", path.join(dir, "tsconfig.json")], dir);
    assert(r.code === 0, r.output);
  });
  const vitest = path.join(npmProject, "node_modules", "vitest", "vitest.mjs");
  await check("split: the generated backfill fills postTags from every post (250, in batches) and verify finds none left", () => {
    const r = run(process.execPath, [vitest, "run", "--root", dir], dir);
    assert(r.code === 0, r.output.slice(-4000));
  });
  await check("split: control — without its insert, the backfill leaves the rows missing and the test fails", () => {
    const file = path.join(dir, "convex", "migrations.ts");
    const text = fs.readFileSync(file, "utf8");
    const broken = text.replace(/await ctx\.db\.insert\("postTags", [^;]*\);/, "");
    assert(broken !== text, "the backfill's insert was not found");
    fs.writeFileSync(file, broken);
    const r = run(process.execPath, [vitest, "run", "--root", dir], dir);
    fs.writeFileSync(file, text);
    assert(r.code !== 0 && /remaining/.test(r.output), `the control passed:\n${r.output.slice(-2000)}`);
  });
}

async function main() {
  assert(fs.existsSync(bin), `no convex-migrate binary at ${bin} (cargo build -p convex-migrate)`);
  console.log(`convex-migrate: ${bin}`);
  const names = fs
    .readdirSync(fixturesDir)
    .filter((n) => fs.existsSync(path.join(fixturesDir, n, "plan.json")))
    .filter((n) => only.length === 0 || only.includes(n))
    .sort();
  for (const name of names) {
    await fixture(name);
    if (fs.existsSync(path.join(workDir, name, "widened", "tests"))) await sampleDataTests(name);
  }
  if (only.length === 0 || only.includes("split")) await planSplit();

  // vitest with convex-test, on every widened state prepared above.
  const prepared = names.filter((n) => fs.existsSync(path.join(workDir, n, "widened", "tests")));
  if (prepared.length > 0) {
    const out = path.join(workDir, "vitest.json");
    const vitest = path.join(npmProject, "node_modules", "vitest", "vitest.mjs");
    const r = spawnSync(
      process.execPath,
      [vitest, "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...prepared.map((n) => `work/${n}/widened/tests/`)],
      { cwd: npmProject, stdio: "inherit" },
    );
    if (fs.existsSync(out)) {
      const json = JSON.parse(fs.readFileSync(out, "utf8"));
      for (const file of json.testResults) {
        for (const t of file.assertionResults) {
          const name = `${path.relative(workDir, file.name).split(path.sep)[0]}: ${[...t.ancestorTitles, t.title].join(" › ")}`;
          if (t.status === "passed") report("ok", name);
          else if (t.status === "failed") report("fail", name, (t.failureMessages ?? []).join("\n").slice(0, 3000));
          else report("skip", name, t.status);
        }
        if (file.status === "failed" && file.assertionResults.length === 0) report("fail", path.relative(workDir, file.name), file.message);
      }
    } else {
      report("fail", "vitest", `vitest exited ${r.status} without a report`);
    }
    if (r.status !== 0 && results.failed === 0) report("fail", "vitest", `vitest exited ${r.status}`);
  }
}

try {
  await main();
} catch (e) {
  report("fail", "driver", e instanceof Error ? e.stack : String(e));
}
console.log(`${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
process.exit(results.failed > 0 ? 1 : 0);

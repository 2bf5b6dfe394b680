// The walk (issue 13): a migration followed through every step `convex-migrate plan` prints,
// from the developer's first edit to "done", against a deployment holding documents.
//
// For each scenario, in a git repository of its own under convex/work/walk/<name>/repo (scratch,
// git-ignored, where node finds the npm project's packages): a small Convex app (schema, mutations
// and queries that read and write the field) is committed as the deployed base and deployed to a
// stand-in deployment (deployment.mjs: there is no real Convex deployment here) holding seeded
// documents. The developer makes the change in the schema; then, until the plan says it is done:
//   - `convex-migrate plan CHANGE --format json` gives the next step;
//   - edit / cleanup with an edit → `plan CHANGE --apply`; an edit the plan leaves to the developer
//     (a decision in the app's code) → the scenario's hands do it, named by the step's id;
//   - deploy → its printed command (`npx convex deploy`), run as printed with `npx` on PATH being
//     the stand-in's: every stored document is validated against the new schema as a push does
//     (a mismatch fails the deploy), then the working tree is committed: the new base; then the
//     app keeps writing (a few calls of its mutations, as users would);
//   - run → the printed `npx convex run FN 'ARGS' --prod`, as printed (the stand-in calls the
//     function with convex-test and its scheduler runs the batches it schedules; a batch that
//     returns a cursor without scheduling the next is called again with it);
//   - verify → the printed `convex-migrate verify …`, run for real (it runs `npx convex run` of the
//     verify function itself, and records the ledger);
//   - after every step: `_generated/` from the convex package's codegen, `tsc --noEmit` (strict,
//     skipLibCheck false) on the project; any error fails the walk; a step that does not make
//     the plan move on fails it too.
// At the end every document is compared with what it was before: the values the migration
// should have written, nothing else changed, no document lost.
// Controls (must fail, else the harness proves nothing): the run skipped and the ledger written
// by hand — the narrowing deploy must be refused by the validation; the backfill's next batch
// never scheduled — `verify` must refuse to record it.
//
// Prints `ok`/`not ok` per check and a closing `N passed, N failed` line; exits 1 on a failure.
//   node walk.mjs [--bin PATH] [SCENARIO...]

import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Deployment } from "./deployment.mjs";

const here = import.meta.dirname;
const npmProject = path.join(here, "convex");
const workDir = path.join(npmProject, "work", "walk");
const repoRoot = path.resolve(here, "..", "..");
const tsc = path.join(npmProject, "node_modules", "typescript", "bin", "tsc");

const argv = process.argv.slice(2);
let bin = process.env.CONVEX_MIGRATE_BIN || path.join(repoRoot, "target", "debug", "convex-migrate");
if (argv.includes("--bin")) {
  bin = path.resolve(argv[argv.indexOf("--bin") + 1]);
  argv.splice(argv.indexOf("--bin"), 2);
}
const only = argv;

// ---------------------------------------------------------------------------------------------
// Results

const results = { passed: 0, failed: 0 };
const indent = (text) =>
  String(text)
    .trimEnd()
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
function report(ok, name, detail) {
  results[ok ? "passed" : "failed"] += 1;
  const line = `${ok ? "ok" : "not ok"} - ${name}`;
  console.log(detail ? `${line}\n${indent(detail)}` : line);
}
async function check(name, fn) {
  try {
    const note = await fn();
    report(true, name, typeof note === "string" ? note : undefined);
    return true;
  } catch (e) {
    report(false, name, e instanceof Error ? e.stack ?? e.message : String(e));
    return false;
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}

// ---------------------------------------------------------------------------------------------
// Processes

const gitEnv = {
  GIT_AUTHOR_NAME: "e2e",
  GIT_AUTHOR_EMAIL: "e2e@example.invalid",
  GIT_COMMITTER_NAME: "e2e",
  GIT_COMMITTER_EMAIL: "e2e@example.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};
function git(cwd, ...args) {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...gitEnv, HOME: cwd } }).trim();
}
function run(cmd, args, { cwd, env = {} } = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? 1, stdout: r.stdout ?? "", stderr: `${r.stderr ?? ""}${r.error ? String(r.error) : ""}`, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/**
 * A folder of shims put first on PATH: `npx` is the stand-in deployment (deployment.mjs),
 * `convex-migrate` the binary under test. The plan's commands run through them unchanged.
 */
function shims(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const npx = path.join(dir, "npx");
  fs.writeFileSync(npx, `#!/bin/sh\nexec "${process.execPath}" "${path.join(here, "deployment.mjs")}" npx "$@"\n`, { mode: 0o755 });
  const cm = path.join(dir, "convex-migrate");
  fs.writeFileSync(cm, `#!/bin/sh\nexec "${bin}" "$@"\n`, { mode: 0o755 });
  return dir;
}

/** Runs a printed command (its argv) in the project, with the shims and the deployment. */
function runPrinted(world, argv) {
  const [cmd, ...args] = argv;
  assert(["npx", "convex-migrate"].includes(cmd), `a command the walk cannot run: ${JSON.stringify(argv)}`);
  return run(path.join(world.shims, cmd), args, {
    cwd: world.repo,
    env: { PATH: `${world.shims}:${process.env.PATH}`, E2E_DEPLOYMENT: world.deployment.dir },
  });
}

function codegen(project) {
  const r = run(process.execPath, [path.join(here, "codegen.mjs"), project], { cwd: here });
  if (r.code !== 0) throw new Error(`codegen failed for ${project}:\n${r.output}`);
}

/** `_generated/` as `npx convex dev` makes it, then `tsc --noEmit` on the project: its errors, or "". */
function typecheck(repo) {
  codegen(repo);
  // Incremental (its build info beside the repository): the convex types are checked once.
  const info = path.join(path.dirname(repo), "tsbuildinfo.json");
  const r = run(process.execPath, [tsc, "--noEmit", "-p", path.join(repo, "convex", "tsconfig.json"), "--skipLibCheck", "false", "--incremental", "--tsBuildInfoFile", info], { cwd: repo });
  return r.code === 0 ? "" : r.output.trim() || `tsc exited ${r.code}`;
}

// ---------------------------------------------------------------------------------------------
// The app every scenario starts from

const TSCONFIG = `{
  /* As \`npx convex dev\` writes it. */
  "compilerOptions": {
    "allowJs": true,
    "strict": true,
    "moduleResolution": "Bundler",
    "jsx": "react-jsx",
    "skipLibCheck": true,
    "allowSyntheticDefaultImports": true,
    "target": "ESNext",
    "lib": ["ES2023", "dom"],
    "forceConsistentCasingInFileNames": true,
    "module": "ESNext",
    "isolatedModules": true,
    "noEmit": true
  },
  "include": ["./**/*"],
  "exclude": ["./_generated"]
}
`;

const schemaOf = (fields) => `import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  users: defineTable({
${fields.map((f) => `    ${f},`).join("\n")}
  }),
});
`;

/** Replaces `from` by `to` in a file of the repository (must be there exactly once). */
function replaceIn(repo, rel, from, to) {
  const file = path.join(repo, rel);
  const text = fs.readFileSync(file, "utf8");
  const count = text.split(from).length - 1;
  assert(count === 1, `${rel}: expected ${JSON.stringify(from)} once, found ${count}:\n${text}`);
  fs.writeFileSync(file, text.replace(from, to));
}

const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const sortKeys = (o) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));

// ---------------------------------------------------------------------------------------------
// Scenarios: the deployed app, its documents, the developer's change, what their hands do where
// the plan leaves a decision to them, and what every document must be at the end.

const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Donald"];
const LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Knuth"];

const SCENARIOS = [
  {
    name: "require-derived",
    what: "make users.plan required, its value derived from isPro",
    files: {
      "convex/schema.ts": schemaOf(["name: v.string()", "isPro: v.boolean()"]),
      "convex/users.ts": `import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const create = mutation({
  args: { name: v.string(), isPro: v.boolean() },
  handler: async (ctx, args) => {
    return await ctx.db.insert("users", { name: args.name, isPro: args.isPro });
  },
});

export const upgrade = mutation({
  args: { id: v.id("users") },
  handler: async (ctx, args) => {
    await ctx.db.patch(args.id, { isPro: true });
  },
});

export const pros = query({
  args: {},
  handler: async (ctx) => {
    const users = await ctx.db.query("users").take(1000);
    return users.filter((u) => u.isPro).map((u) => u.name);
  },
});
`,
    },
    // 250 users: three batches of the generated backfill (100 per batch).
    seed: () => Array.from({ length: 250 }, (_, i) => ({ table: "users", fields: { name: `${FIRST[i % 8]} ${LAST[(i * 3) % 8]}`, isPro: i % 3 === 0 } })),
    developer: (repo) => replaceIn(repo, "convex/schema.ts", "    isPro: v.boolean(),\n", '    isPro: v.boolean(),\n    plan: v.union(v.literal("free"), v.literal("pro")),\n'),
    change: ["require", "users.plan", "--default", 'doc.isPro ? "pro" : "free"'],
    // Users keep signing up while the migration is under way.
    traffic: (deploy) => [["users:create", { name: `New User${deploy}`, isPro: deploy % 2 === 1 }]],
    expected: (before) => ({ ...before, plan: before.isPro ? "pro" : "free" }),
    // What the app wrote during the walk: the inserts write the value too.
    fresh: (doc) => doc.plan === (doc.isPro ? "pro" : "free"),
  },
  {
    name: "remove",
    what: "remove users.nickname (optional; some documents hold it)",
    files: {
      "convex/schema.ts": schemaOf(["name: v.string()", "nickname: v.optional(v.string())"]),
      "convex/users.ts": `import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const create = mutation({
  args: { name: v.string(), nickname: v.optional(v.string()) },
  handler: async (ctx, args) => {
    return await ctx.db.insert("users", { name: args.name, nickname: args.nickname });
  },
});

export const names = query({
  args: {},
  handler: async (ctx) => {
    const users = await ctx.db.query("users").take(1000);
    return users.map((u) => u.name);
  },
});
`,
    },
    seed: () =>
      Array.from({ length: 230 }, (_, i) => ({ table: "users", fields: i % 4 === 0 ? { name: FIRST[i % 8] } : { name: FIRST[i % 8], nickname: `${FIRST[i % 8].toLowerCase()}${i}` } })),
    developer: (repo) => replaceIn(repo, "convex/schema.ts", "    nickname: v.optional(v.string()),\n", ""),
    change: ["remove", "users.nickname"],
    hands: {
      // The app stops writing the field: the developer's decision (the argument goes too).
      "users.nickname/stop-writes": (repo) => {
        replaceIn(repo, "convex/users.ts", "args: { name: v.string(), nickname: v.optional(v.string()) }", "args: { name: v.string() }");
        replaceIn(repo, "convex/users.ts", "{ name: args.name, nickname: args.nickname }", "{ name: args.name }");
      },
    },
    traffic: (deploy) => [["users:create", { name: `Newcomer${deploy}` }]],
    expected: (before) => {
      const { nickname, ...rest } = before;
      return rest;
    },
    fresh: (doc) => !("nickname" in doc),
  },
  {
    name: "split-fields",
    what: "split users.name into firstName and lastName, with dual-writes, over three deploys",
    files: {
      "convex/schema.ts": schemaOf(["name: v.string()", "email: v.string()"]),
      "convex/users.ts": `import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const create = mutation({
  args: { name: v.string(), email: v.string() },
  handler: async (ctx, args) => {
    return await ctx.db.insert("users", { name: args.name, email: args.email });
  },
});

export const byEmail = query({
  args: { email: v.string() },
  handler: async (ctx, args) => {
    const users = await ctx.db.query("users").take(1000);
    return users.find((u) => u.email === args.email) ?? null;
  },
});
`,
    },
    seed: () =>
      Array.from({ length: 210 }, (_, i) => ({
        table: "users",
        // One-word names, two words, three words.
        fields: { name: [FIRST[i % 8], ...(i % 5 === 0 ? [] : [LAST[i % 8]]), ...(i % 7 === 0 ? ["Jr"] : [])].join(" "), email: `u${i}@example.com` },
      })),
    developer: () => {}, // the plan adds the new fields itself
    change: [
      "split",
      "users.name",
      "--into",
      "firstName,lastName",
      "--with",
      'firstName=doc.name.split(" ")[0]',
      "--with",
      'lastName=doc.name.split(" ").slice(1).join(" ")',
    ],
    hands: {
      // Once the new fields are verified, the app stops writing the old one.
      "users.name/stop-writes": (repo) => {
        const file = path.join(repo, "convex/users.ts");
        const text = fs.readFileSync(file, "utf8");
        const changed = text.replace(/\{ name: args\.name, /, "{ ");
        assert(changed !== text, `convex/users.ts: no write of name found:\n${text}`);
        fs.writeFileSync(file, changed);
      },
    },
    traffic: (deploy) => [["users:create", { name: `Late Comer${deploy}`, email: `late${deploy}@example.com` }]],
    expected: (before) => {
      const { name, ...rest } = before;
      return { ...rest, firstName: name.split(" ")[0], lastName: name.split(" ").slice(1).join(" ") };
    },
    fresh: (doc) => !("name" in doc) && doc.firstName === "Late" && /^Comer\d$/.test(doc.lastName) && doc.email === `late${doc.lastName.slice(5)}@example.com`,
  },
  {
    name: "narrow",
    what: "narrow users.role: guest is mapped to member",
    files: {
      "convex/schema.ts": schemaOf(["name: v.string()", 'role: v.union(v.literal("admin"), v.literal("member"), v.literal("guest"))']),
      "convex/users.ts": `import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const create = mutation({
  args: { name: v.string(), role: v.union(v.literal("admin"), v.literal("member"), v.literal("guest")) },
  handler: async (ctx, args) => {
    return await ctx.db.insert("users", { name: args.name, role: args.role });
  },
});

export const admins = query({
  args: {},
  handler: async (ctx) => {
    const users = await ctx.db.query("users").take(1000);
    return users.filter((u) => u.role === "admin").map((u) => u.name);
  },
});
`,
    },
    seed: () => Array.from({ length: 240 }, (_, i) => ({ table: "users", fields: { name: FIRST[i % 8], role: ["admin", "member", "guest", "guest"][i % 4] } })),
    developer: (repo) => {
      replaceIn(repo, "convex/schema.ts", 'role: v.union(v.literal("admin"), v.literal("member"), v.literal("guest"))', 'role: v.union(v.literal("admin"), v.literal("member"))');
    },
    change: ["narrow", "users.role", "--map", "guest=member"],
    hands: {
      // The app stops writing the removed value (its argument's validator narrows with it).
      "users.role/stop-writes": (repo) => {
        replaceIn(repo, "convex/users.ts", 'role: v.union(v.literal("admin"), v.literal("member"), v.literal("guest"))', 'role: v.union(v.literal("admin"), v.literal("member"))');
      },
    },
    traffic: (deploy) => [["users:create", { name: `Joiner${deploy}`, role: "member" }]],
    expected: (before) => ({ ...before, role: before.role === "guest" ? "member" : before.role }),
    fresh: (doc) => doc.role === "member",
  },
];

// ---------------------------------------------------------------------------------------------
// One walk

/**
 * Sets a scenario up (repository, deployment, seeded documents) and walks its plan. `sabotage`
 * (controls): `{ skipRun: true }` skips the run and verify steps and writes the ledger by hand;
 * `{ oneBatch: true }` removes the scheduling of the next batch from the generated migration.
 * Returns `{ world, before, steps }`; throws where the walk fails.
 */
async function walk(scenario, { label = scenario.name, sabotage = {}, log = () => {} } = {}) {
  const base = path.join(workDir, label);
  fs.rmSync(base, { recursive: true, force: true });
  const repo = path.join(base, "repo");
  fs.mkdirSync(path.join(repo, "convex"), { recursive: true });
  fs.writeFileSync(path.join(repo, "package.json"), `${JSON.stringify({ name: scenario.name, private: true, type: "module", dependencies: { convex: "1.48.0" } }, null, 2)}\n`);
  fs.writeFileSync(path.join(repo, "convex", "tsconfig.json"), TSCONFIG);
  for (const [rel, text] of Object.entries(scenario.files)) fs.writeFileSync(path.join(repo, rel), text);
  const errors = typecheck(repo);
  assert(!errors, `the deployed app does not type-check:\n${errors}`);
  git(repo, "init", "-q", "-b", "main");
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "the app, as deployed");

  const world = { repo, shims: shims(path.join(base, "bin")), deployment: Deployment.create(path.join(base, "deployment")) };
  await world.deployment.deploy(repo);
  await world.deployment.seed(scenario.seed());
  const before = world.deployment.documents();

  scenario.developer(repo);
  const planArgs = (...extra) => ["plan", ...scenario.change, ...extra];
  const steps = [];
  let deploys = 0;
  let last = null;
  const ran = new Set();
  const edited = new Set();
  for (let i = 0; i < 80; i++) {
    const r = run(bin, planArgs("--format", "json"), { cwd: repo });
    assert(r.code === 0, `convex-migrate ${planArgs("--format", "json").join(" ")}: exit ${r.code}\n${r.output}`);
    const plan = JSON.parse(r.stdout);
    if (!plan.next) {
      assert(plan.steps.every((s) => s.done), `no next step, but not every step is done:\n${r.stdout}`);
      return { world, before, steps, deploys };
    }
    let step = plan.steps.find((s) => s.id === plan.next);
    assert(step, `the next step ${plan.next} is not among the steps`);
    if (step.kind === "run" && ran.has(step.id)) {
      // A run is done on the ledger's word, which its verify step writes: that comes next.
      const after = plan.steps.slice(plan.steps.indexOf(step) + 1).find((s) => !s.done);
      assert(after && after.kind === "verify" && after.field === step.field, `after running ${step.id}, the next step is not its verify: ${after?.id}`);
      step = after;
    }
    const key = `${step.id}#${step.number}:${step.title}`;
    assert(key !== last, `the plan did not move on after step ${step.number} (${step.id}) "${step.title}":\n${JSON.stringify(step, null, 2)}`);
    last = key;
    assert(!step.blocked, `the next step ${step.number} (${step.id}) "${step.title}" is blocked: ${step.blocked}\n${JSON.stringify(step, null, 2)}`);
    let how;
    if (step.kind === "edit" || step.kind === "cleanup") {
      // An edit taken twice: the plan goes round in circles.
      assert(!edited.has(step.id), `step ${step.id} "${step.title}" comes back after it was taken (steps so far: ${steps.map((s) => s.id).join(", ")}):\n${JSON.stringify(step, null, 2)}`);
      edited.add(step.id);
      if (step.applicable) {
        const a = run(bin, planArgs("--apply"), { cwd: repo });
        assert(a.code === 0, `plan --apply at step ${step.number} (${step.id}): exit ${a.code}\n${a.output}`);
        how = `plan --apply: ${a.stdout.split("\n")[0]}`;
        if (sabotage.oneBatch && /backfill|unset|map/.test(step.id)) {
          // Control: the next batch is never scheduled (the migration stops after its first).
          const file = path.join(repo, "convex", "migrations.ts");
          const text = fs.readFileSync(file, "utf8");
          const broken = text.replace(/^\s*await ctx\.scheduler\.runAfter\(0, internal\.migrations\.\w+, .*\);\n/gm, "");
          if (broken !== text) {
            fs.writeFileSync(file, broken);
            how += " (sabotaged: no next batch)";
          }
        }
      } else {
        const hand = scenario.hands?.[step.id];
        assert(hand, `step ${step.number} (${step.id}) "${step.title}" has no edit and the scenario has no hands for it: ${step.manual ?? ""}\n${JSON.stringify(step, null, 2)}`);
        hand(repo);
        how = "by hand, as the plan asks";
      }
    } else if (step.kind === "deploy") {
      assert(step.commands.length > 0, `deploy step ${step.number} prints no command`);
      for (const c of step.commands) {
        codegen(repo); // `npx convex deploy` runs codegen first
        const d = runPrinted(world, c.argv);
        assert(d.code === 0, `\`${c.argv.join(" ")}\` failed (exit ${d.code}):\n${d.output}`);
      }
      git(repo, "add", "-A");
      git(repo, "commit", "-q", "-m", `deploy: ${step.title}`);
      deploys += 1;
      how = `${step.commands.map((c) => c.argv.join(" ")).join("; ")} → committed as the base`;
      for (const [fn, args] of scenario.traffic?.(deploys) ?? []) {
        const t = runPrinted(world, ["npx", "convex", "run", fn, JSON.stringify(args), "--prod"]);
        assert(t.code === 0, `the app's ${fn} failed after deploy ${deploys}:\n${t.output}`);
        how += `; the app: ${fn}`;
      }
    } else if (step.kind === "run") {
      const commands = step.commands.filter((c) => !c.purpose);
      assert(commands.length > 0, `run step ${step.number} prints no command:\n${JSON.stringify(step, null, 2)}`);
      if (sabotage.skipRun) {
        how = "skipped (control)";
        steps.push({ id: step.id, kind: step.kind, how });
        // The walk cannot go past a verify it skips: the developer claims it in the ledger.
        const ledger = { verified: { [step.field]: { deployment: "prod", remaining: 0 } } };
        const file = path.join(repo, "convex-migrate.json");
        const existing = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
        fs.writeFileSync(file, `${JSON.stringify({ ...existing, verified: { ...(existing.verified ?? {}), ...ledger.verified } }, null, 2)}\n`);
        log(`  ${step.number}. ${step.id} [${step.kind}] ${how}; the ledger written by hand`);
        continue;
      }
      const outs = [];
      for (const c of commands) {
        assert(c.argv[0] === "npx" && c.argv[1] === "convex" && c.argv[2] === "run" && c.function, `not a run: ${JSON.stringify(c)}`);
        let argvNow = c.argv;
        for (let batch = 0; batch < 1000; batch++) {
          const o = runPrinted(world, argvNow);
          assert(o.code === 0, `\`${argvNow.join(" ")}\` failed (exit ${o.code}):\n${o.output}`);
          outs.push(argvNow.join(" "));
          // A batch that hands back a cursor and does not schedule the next: call it again with it.
          let value = null;
          try {
            value = JSON.parse(o.stdout);
          } catch {}
          if (value && typeof value === "object" && value.isDone === false && typeof value.continueCursor === "string") {
            argvNow = ["npx", "convex", "run", c.function, JSON.stringify({ ...(c.args ?? {}), cursor: value.continueCursor }), "--prod"];
            continue;
          }
          break;
        }
      }
      how = outs.join("; ");
      ran.add(step.id);
    } else if (step.kind === "verify") {
      const commands = step.commands.filter((c) => !c.purpose);
      assert(commands.length > 0, `verify step ${step.number} prints no command`);
      for (const c of commands) {
        const v = runPrinted(world, c.argv);
        assert(v.code === 0, `\`${c.argv.join(" ")}\` refused (exit ${v.code}):\n${v.output}`);
        how = `${c.argv.join(" ")}: ${v.stdout.trim().split("\n").pop()}`;
      }
    } else {
      throw new Error(`a step of an unknown kind: ${JSON.stringify(step)}`);
    }
    const errors = typecheck(repo);
    assert(!errors, `tsc --noEmit fails after step ${step.number} (${step.id}) "${step.title}" [${how}]:\n${errors}`);
    steps.push({ id: step.id, kind: step.kind, how });
    log(`  ${step.number}. ${step.id} [${step.kind}] ${how}; tsc ok`);
  }
  throw new Error("the plan did not finish in 80 steps");
}

/** Every document before vs after: the migration's values, nothing else changed, none lost. */
function compare(scenario, before, after) {
  const problems = [];
  const afterById = new Map(Object.values(after).flat().map((d) => [d._id, d]));
  let compared = 0;
  for (const doc of Object.values(before).flat()) {
    const now = afterById.get(doc._id);
    if (!now) {
      problems.push(`${doc._id} was lost`);
      continue;
    }
    const want = sortKeys(scenario.expected(doc));
    if (!sameJson(want, sortKeys(now))) problems.push(`${doc._id}: expected ${JSON.stringify(want)}\n  got ${JSON.stringify(sortKeys(now))}`);
    compared += 1;
  }
  const known = new Set(Object.values(before).flat().map((d) => d._id));
  for (const doc of afterById.values()) {
    if (!known.has(doc._id) && !scenario.fresh(doc)) problems.push(`${doc._id}, written by the app during the walk, is not in the new shape: ${JSON.stringify(doc)}`);
  }
  return { problems, compared, added: afterById.size - compared };
}

async function scenarioChecks(scenario) {
  const started = Date.now();
  let walked = null;
  const lines = [];
  const ok = await check(`${scenario.name}: ${scenario.what}: every step of the plan, tsc after each`, async () => {
    walked = await walk(scenario, { log: (l) => lines.push(l) });
    return `${lines.join("\n")}\n  done: ${walked.steps.length} steps, ${walked.deploys} deploys, ${((Date.now() - started) / 1000).toFixed(1)}s`;
  });
  if (!ok) {
    if (lines.length) console.log(indent(lines.join("\n")));
    return;
  }
  const { world, before } = walked;
  await check(`${scenario.name}: every document before vs after (the migration's values, nothing else, none lost)`, () => {
    const after = world.deployment.documents();
    const { problems, compared, added } = compare(scenario, before, after);
    assert(problems.length === 0, problems.slice(0, 10).join("\n"));
    // Documents the app wrote during the walk are in the final shape, with the values derived.
    const total = Object.values(after).flat().length;
    return `${compared} documents as expected; ${added} written by the app during the walk, in the new shape; ${total} in all`;
  });
  await check(`${scenario.name}: control: the comparison fails when one document is not what the migration should make it`, () => {
    const after = world.deployment.documents();
    const [table, docs] = Object.entries(after)[0];
    const victim = docs.find((d) => Object.values(before).flat().some((b) => b._id === d._id));
    const tampered = { ...after, [table]: docs.map((d) => (d === victim ? { ...d, tampered: true } : d)) };
    const { problems } = compare(scenario, before, tampered);
    assert(problems.length === 1 && problems[0].startsWith(victim._id), `the comparison missed it: ${JSON.stringify(problems)}`);
    const lost = compare(scenario, before, { ...after, [table]: docs.filter((d) => d !== victim) });
    assert(lost.problems.length === 1 && /was lost/.test(lost.problems[0]), `a lost document was missed: ${JSON.stringify(lost.problems)}`);
  });
  await check(`${scenario.name}: the finished project passes convex-migrate check`, () => {
    // What is deployed is HEAD (the last deploy committed it): named, since in CI (CI=true) a
    // base that defaults to the working tree's own commit is refused as proving nothing.
    const r = run(bin, ["check", "--base", "HEAD"], { cwd: world.repo });
    assert(r.code === 0, `exit ${r.code}\n${r.output}`);
  });
}

async function controls() {
  const require = SCENARIOS.find((s) => s.name === "require-derived");
  await check("control: the backfill never run (the ledger claimed by hand) — the narrowing deploy is refused by validation", async () => {
    try {
      await walk(require, { label: "control-skip-run", sabotage: { skipRun: true } });
    } catch (e) {
      const m = String(e.message);
      assert(/npx convex deploy/.test(m) && /Schema validation failed/.test(m) && /Missing required field `plan`/.test(m), `the walk failed, but not at the deploy's validation:\n${m}`);
      return m.split("\n").slice(0, 4).join("\n");
    }
    throw new Error("the walk finished although the backfill never ran");
  });
  await check("control: the backfill stops after one batch — verify refuses to record it", async () => {
    try {
      await walk(require, { label: "control-one-batch", sabotage: { oneBatch: true } });
    } catch (e) {
      const m = String(e.message);
      assert(/convex-migrate verify users\.plan --prod` refused/.test(m) && /still need the migration/.test(m), `the walk failed, but not at verify:\n${m}`);
      const ledger = path.join(workDir, "control-one-batch", "repo", "convex-migrate.json");
      assert(!fs.existsSync(ledger) || !/users\.plan/.test(fs.readFileSync(ledger, "utf8")), "verify wrote the ledger anyway");
      return m.split("\n").filter((l) => /still need|refused/.test(l)).join("\n");
    }
    throw new Error("the walk finished although the backfill stopped after one batch");
  });
}

async function main() {
  assert(fs.existsSync(bin), `no convex-migrate binary at ${bin} (cargo build -p convex-migrate)`);
  console.log(`convex-migrate: ${bin}`);
  const started = Date.now();
  for (const scenario of SCENARIOS.filter((s) => only.length === 0 || only.includes(s.name))) await scenarioChecks(scenario);
  if (only.length === 0 || only.includes("controls")) await controls();
  console.log(`walk: ${((Date.now() - started) / 1000).toFixed(0)}s`);
}

try {
  await main();
} catch (e) {
  report(false, "walk", e instanceof Error ? e.stack : String(e));
}
console.log(`${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed > 0 ? 1 : 0);

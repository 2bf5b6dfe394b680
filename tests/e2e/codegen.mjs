// Generates a Convex project's `convex/_generated/` offline with the `convex` package's own
// codegen, the steps `npx convex dev` runs, minus the deployment.
//
// `npx convex dev` does: find the component graph (esbuild over convex.config.ts), write the initial
// `_generated/` stubs, bundle the component definitions, send them to the deployment, which
// evaluates them and answers with an analysis (for the app: its child components' names and
// paths), and write the final `_generated/` from that analysis. Here the deployment's one part
// that codegen reads — the evaluated definitions — is done locally: the bundled `convex.config`
// is imported in node with each component import replaced by the same kind of definition stub
// the backend gives it (`componentDefinitionPath`, `defaultName` from the component's own
// `defineComponent(name)`), and its `export()` is the analysis. Every file is then written by the
// convex package's templates. Projects with a custom functions folder or static codegen
// settings in convex.json are out of scope (the fixtures use neither).
//
// Usage: node codegen.mjs PROJECT_DIR [--check]   (--check: fail if _generated/ would change)

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Module, { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const here = import.meta.dirname;
const require = createRequire(path.join(here, "convex", "package.json"));

/**
 * The convex CLI's own functions, from the bundle that `npx convex` runs: the same file, compiled
 * with its last line (`void main();`, which parses argv and runs a command) replaced by an export
 * of the functions `convex dev` calls for codegen.
 */
function loadCli() {
  const file = path.join(path.dirname(require.resolve("convex/package.json")), "dist", "cli.bundle.cjs");
  const source = fs.readFileSync(file, "utf8");
  const entry = "\nvoid main();\n";
  if (source.indexOf(entry) === -1 || source.indexOf(entry) !== source.lastIndexOf(entry)) {
    throw new Error(`unexpected layout of ${file}: cannot find its entry point`);
  }
  const names = [
    "oneoffContext",
    "withTmpDir",
    "getFunctionsDirectoryPath",
    "isComponentDirectory",
    "componentGraph",
    "bundleDefinitions",
    "doInitialComponentCodegen",
    "doFinalComponentCodegen",
  ];
  const exported = `\nmodule.exports = { ${names.join(", ")} };\n`;
  const cli = new Module(file, null);
  cli.filename = file;
  cli.paths = Module._nodeModulePaths(path.dirname(file));
  cli._compile(source.replace(entry, exported), file);
  return cli.exports;
}

const [projectArg, ...flags] = process.argv.slice(2);
if (!projectArg) {
  console.error("usage: node codegen.mjs PROJECT_DIR [--check]");
  process.exit(2);
}
const project = path.resolve(projectArg);
const check = flags.includes("--check");

const {
  oneoffContext,
  withTmpDir,
  getFunctionsDirectoryPath,
  isComponentDirectory,
  componentGraph,
  bundleDefinitions,
  doInitialComponentCodegen,
  doFinalComponentCodegen,
} = loadCli();

/** Evaluates one bundled definition (ESM text) with its `./_componentDeps/<base64 path>` imports stubbed. */
async function evaluateDefinition(source, stubFor, scratch) {
  const deps = new Map();
  const rewritten = source.replace(/(["'])\.\/_componentDeps\/([A-Za-z0-9_-]+)\1/g, (_, quote, encoded) => {
    const componentPath = Buffer.from(encoded, "base64url").toString("utf8");
    const file = path.join(scratch, `dep-${deps.size}.mjs`);
    if (!deps.has(encoded)) {
      deps.set(encoded, file);
      const stub = stubFor(componentPath);
      fs.writeFileSync(file, `export default ${JSON.stringify(stub)};\n`);
    }
    return JSON.stringify(pathToFileURL(deps.get(encoded)).href);
  });
  const file = path.join(scratch, `definition-${Math.random().toString(36).slice(2)}.mjs`);
  fs.writeFileSync(file, rewritten);
  const module = await import(pathToFileURL(file).href);
  return module.default;
}

async function generate(projectDir) {
  process.chdir(projectDir);
  const ctx = await oneoffContext({});
  // Fail loudly instead of the CLI's process.exit inside a library call.
  ctx.crash = async (args) => {
    throw new Error(args.printedMessage ?? `convex codegen failed (${args.errorType})`);
  };
  const convexDir = await getFunctionsDirectoryPath(ctx);
  const found = isComponentDirectory(ctx, convexDir, true);
  if (found.kind === "err") throw new Error(`not a Convex project: ${found.why}`);
  const rootComponent = found.component;
  const options = { codegen: true, typecheck: "disable", verbose: false, liveComponentSources: false };

  const { components, dependencyGraph } = await componentGraph(ctx, path.resolve("."), rootComponent, false, false);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "convex-codegen-"));
  try {
    await withTmpDir(async (tmpDir) => {
      await doInitialComponentCodegen(ctx, tmpDir, rootComponent, options);
      for (const directory of components.values()) {
        if (!directory.isRoot) await doInitialComponentCodegen(ctx, tmpDir, directory, options);
      }
    });

    // What the deployment would answer: the evaluated definitions.
    const analysis = {};
    if (rootComponent.isRootWithoutConfig) {
      analysis[""] = { definition: { childComponents: [], exports: { type: "branch", branch: [] } }, functions: [] };
    } else {
      const { appDefinitionSpecWithoutImpls, componentDefinitionSpecsWithoutImpls } = await bundleDefinitions(
        ctx,
        path.resolve("."),
        dependencyGraph,
        rootComponent,
        [...components.values()],
        false,
        false,
      );
      // Child components first (their default names feed the app's stubs).
      const defaultNames = new Map();
      const pending = [...componentDefinitionSpecsWithoutImpls];
      for (let guard = 0; pending.length > 0 && guard < 100; guard++) {
        const spec = pending.shift();
        const ready = spec.dependencies.every((d) => defaultNames.has(d));
        if (!ready) {
          pending.push(spec);
          continue;
        }
        const definition = await evaluateDefinition(
          spec.definition.source,
          (p) => ({ componentDefinitionPath: p, defaultName: defaultNames.get(p) }),
          scratch,
        );
        defaultNames.set(spec.definitionPath, definition._name);
        analysis[spec.definitionPath] = { definition: definition.export(), functions: [] };
      }
      if (pending.length > 0) throw new Error("component definitions depend on each other in a cycle");
      const app = await evaluateDefinition(
        appDefinitionSpecWithoutImpls.definition.source,
        (p) => ({ componentDefinitionPath: p, defaultName: defaultNames.get(p) }),
        scratch,
      );
      analysis[""] = { definition: app.export(), functions: [] };
    }
    const startPushResponse = { analysis };
    await withTmpDir(async (tmpDir) => {
      await doFinalComponentCodegen(ctx, tmpDir, rootComponent, rootComponent, startPushResponse, components, options);
      for (const directory of components.values()) {
        if (!directory.isRoot) {
          await doFinalComponentCodegen(ctx, tmpDir, rootComponent, directory, startPushResponse, components, options);
        }
      }
    });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function snapshot(dir) {
  if (!fs.existsSync(dir)) return {};
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
}

const generatedDir = path.join(project, "convex", "_generated");
if (check) {
  // Generate into a copy and compare, leaving the project untouched.
  // (in convex/work/, git-ignored, where node finds the npm project's packages)
  const scratch = path.join(here, "convex", "work");
  fs.mkdirSync(scratch, { recursive: true });
  const copy = fs.mkdtempSync(path.join(scratch, ".codegen-check-"));
  try {
    fs.cpSync(project, copy, { recursive: true });
    await generate(copy);
    const before = snapshot(generatedDir);
    const after = snapshot(path.join(copy, "convex", "_generated"));
    const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => before[f] !== after[f]);
    if (changed.length > 0) {
      console.error(`${path.relative(process.cwd(), generatedDir)} is stale: ${changed.join(", ")} (run node tests/e2e/codegen.mjs ${projectArg})`);
      process.exit(1);
    }
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
} else {
  await generate(project);
}

#!/usr/bin/env node
// Writes the npm package folders of convex-migrate (biome's layout): the main package `convex-migrate`
// (a Node launcher as its bin, every platform package as a pinned optional dependency) and one
// `@convex-migrate/cli-<platform>-<arch>` package per binary. `npm pack` / `npm publish` run on the
// folders afterwards. The version is the crate's (server/Cargo.toml) unless --version says otherwise.
//
//   node npm/scripts/write-packages.mjs --out DIR [--main]
//        [--platform P --arch A --binary PATH [--strip]] [--version V] [--repository URL]
//
// Writes DIR/convex-migrate/ (with --main) and DIR/cli-P-A/ (with --platform); prints each folder.
// --strip strips the copied binary (strip, else objcopy --strip-all); the original is left alone.
// --repository defaults to $GITHUB_SERVER_URL/$GITHUB_REPOSITORY when those are set (npm provenance
// needs package.json's repository to name the repository the workflow runs in).

import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const npmDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const root = resolve(npmDir, "..");

/** Every platform with a prebuilt binary; the release workflow's matrix builds the same list. */
export const PLATFORMS = [
  { platform: "linux", arch: "x64", libc: "glibc" },
  { platform: "linux", arch: "arm64", libc: "glibc" },
  { platform: "darwin", arch: "x64" },
  { platform: "darwin", arch: "arm64" },
  { platform: "win32", arch: "x64" },
];

export const SCOPE = "@convex-migrate";
export const platformPackageName = (platform, arch) => `${SCOPE}/cli-${platform}-${arch}`;
export const binaryName = (platform) => (platform === "win32" ? "convex-migrate.exe" : "convex-migrate");

function fail(message) {
  console.error(`write-packages: ${message}`);
  process.exit(2);
}

/** The crate's version: `version` of [package] in server/Cargo.toml, or the workspace's. */
export function crateVersion() {
  const section = (text, name) => {
    const start = text.search(new RegExp(`^\\[${name.replace(".", "\\.")}\\]\\s*$`, "m"));
    if (start < 0) return null;
    const rest = text.slice(start).split("\n").slice(1);
    const end = rest.findIndex((line) => /^\s*\[/.test(line));
    return (end < 0 ? rest : rest.slice(0, end)).join("\n");
  };
  const crate = readFileSync(join(root, "server", "Cargo.toml"), "utf8");
  const pkg = section(crate, "package") ?? fail("no [package] in server/Cargo.toml");
  let m = pkg.match(/^\s*version\s*=\s*"([^"]+)"/m);
  if (m) return m[1];
  if (/^\s*version\s*(\.\s*workspace\s*=\s*true|=\s*\{\s*workspace\s*=\s*true\s*\})/m.test(pkg)) {
    const ws = section(readFileSync(join(root, "Cargo.toml"), "utf8"), "workspace.package") ?? "";
    m = ws.match(/^\s*version\s*=\s*"([^"]+)"/m);
    if (m) return m[1];
  }
  return fail("cannot read the version from server/Cargo.toml");
}

function parseArgs(argv) {
  const opts = { main: false, strip: false };
  const valued = new Set(["--out", "--platform", "--arch", "--binary", "--version", "--repository"]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--main") opts.main = true;
    else if (arg === "--strip") opts.strip = true;
    else if (valued.has(arg)) {
      if (i + 1 >= argv.length) fail(`${arg} needs a value`);
      opts[arg.slice(2)] = argv[++i];
    } else if (arg === "-h" || arg === "--help") {
      console.log(
        "usage: write-packages.mjs --out DIR [--main] [--platform P --arch A --binary PATH [--strip]]" +
          " [--version V] [--repository URL]",
      );
      process.exit(0);
    } else fail(`unknown argument ${arg}`);
  }
  if (!opts.out) fail("--out DIR is required");
  const platformArgs = ["platform", "arch", "binary"].filter((k) => opts[k] !== undefined);
  if (platformArgs.length !== 0 && platformArgs.length !== 3)
    fail("--platform, --arch and --binary go together");
  if (!opts.main && platformArgs.length === 0) fail("nothing to write: give --main and/or --platform");
  return opts;
}

function repositoryField(url) {
  if (!url) return {};
  const clean = url.replace(/\/+$/, "");
  return {
    repository: { type: "git", url: `git+${clean}.git` },
    homepage: `${clean}#readme`,
    bugs: { url: `${clean}/issues` },
  };
}

function writeJson(path, value) {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

function freshDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}

function stripBinary(path, platform) {
  if (platform === "win32") return; // an .exe keeps its debug info in a separate .pdb
  const tools =
    platform === "darwin"
      ? [["strip", ["-x", path]]]
      : [
          ["strip", ["--strip-all", path]],
          ["objcopy", ["--strip-all", path]],
        ];
  const errors = [];
  for (const [tool, args] of tools) {
    try {
      execFileSync(tool, args, { stdio: ["ignore", "ignore", "pipe"] });
      return;
    } catch (error) {
      errors.push(`${tool}: ${(error.stderr || error.message).toString().trim()}`);
    }
  }
  fail(`cannot strip ${path}:\n  ${errors.join("\n  ")}`);
}

function writeMain(out, version, repository) {
  const dir = join(out, "convex-migrate");
  freshDir(dir);
  mkdirSync(join(dir, "bin"));
  const launcher = join(dir, "bin", "convex-migrate");
  copyFileSync(join(npmDir, "convex-migrate", "bin", "convex-migrate"), launcher);
  chmodSync(launcher, 0o755);
  copyFileSync(join(npmDir, "convex-migrate", "README.md"), join(dir, "README.md"));
  const optionalDependencies = {};
  for (const { platform, arch } of PLATFORMS) optionalDependencies[platformPackageName(platform, arch)] = version;
  writeJson(join(dir, "package.json"), {
    name: "convex-migrate",
    version,
    description:
      "Safe Convex schema migrations: a CI check and language server for widen → migrate → narrow",
    keywords: ["convex", "schema", "migration", "lint", "language-server", "lsp"],
    license: "MIT",
    ...repositoryField(repository),
    bin: { "convex-migrate": "bin/convex-migrate" },
    files: ["bin/convex-migrate"],
    engines: { node: ">=18" },
    optionalDependencies,
  });
  return dir;
}

function writePlatform(out, version, repository, { platform, arch, binary, strip }) {
  const known = PLATFORMS.find((p) => p.platform === platform && p.arch === arch);
  if (!known)
    fail(
      `unknown platform ${platform}-${arch}; known: ${PLATFORMS.map((p) => `${p.platform}-${p.arch}`).join(", ")}`,
    );
  if (!existsSync(binary) || !statSync(binary).isFile()) fail(`no binary at ${binary}`);
  const name = platformPackageName(platform, arch);
  const dir = join(out, `cli-${platform}-${arch}`);
  freshDir(dir);
  const exe = binaryName(platform);
  copyFileSync(binary, join(dir, exe));
  chmodSync(join(dir, exe), 0o755);
  if (strip) stripBinary(join(dir, exe), platform);
  writeFileSync(
    join(dir, "README.md"),
    `# ${name}\n\nThe \`convex-migrate\` binary for ${platform}-${arch}${known.libc ? ` (${known.libc})` : ""}.\n\n` +
      "Install [`convex-migrate`](https://www.npmjs.com/package/convex-migrate) instead: it depends on this " +
      "package as an optional dependency, and npm installs only the one that matches your machine.\n",
  );
  writeJson(join(dir, "package.json"), {
    name,
    version,
    description: `The convex-migrate binary for ${platform}-${arch}`,
    license: "MIT",
    ...repositoryField(repository),
    os: [platform],
    cpu: [arch],
    ...(known.libc ? { libc: [known.libc] } : {}),
    files: [exe],
    preferUnplugged: true,
  });
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  const version = opts.version ?? crateVersion();
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) fail(`not a semver version: ${version}`);
  const repository =
    opts.repository ??
    (process.env.GITHUB_SERVER_URL && process.env.GITHUB_REPOSITORY
      ? `${process.env.GITHUB_SERVER_URL}/${process.env.GITHUB_REPOSITORY}`
      : undefined);
  const out = resolve(opts.out);
  mkdirSync(out, { recursive: true });
  if (opts.platform) console.log(writePlatform(out, version, repository, { ...opts, binary: resolve(opts.binary) }));
  if (opts.main) console.log(writeMain(out, version, repository));
}

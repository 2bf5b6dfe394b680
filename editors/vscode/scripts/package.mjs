// Packages the extension as a .vsix for Linux x64 with the server binary inside (server/convex-migrate).
// The binary: $CONVEX_MIGRATE_BIN, else the newer of the repository's target/release and target/debug builds.
// It is stripped of debug info (when `strip` is there) to keep the .vsix small.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const repo = path.resolve(here, "..", "..");
const builds = [path.join(repo, "target", "release", "convex-migrate"), path.join(repo, "target", "debug", "convex-migrate")];
const candidates = process.env.CONVEX_MIGRATE_BIN ? [process.env.CONVEX_MIGRATE_BIN] : builds;
// The newest build: a release binary left from long ago must not win over today's debug build.
const binary = candidates.filter((c) => fs.existsSync(c)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
if (!binary) {
  console.error(`error: no server binary to bundle (looked at ${candidates.join(", ")}); run \`cargo build -p convex-migrate\` at the repository root`);
  process.exit(2);
}
const serverDir = path.join(here, "server");
fs.rmSync(serverDir, { recursive: true, force: true });
fs.mkdirSync(serverDir);
const bundled = path.join(serverDir, "convex-migrate");
fs.copyFileSync(binary, bundled);
try {
  execFileSync("strip", ["--strip-debug", bundled], { stdio: "inherit" });
} catch {
  console.warn("warning: `strip` failed or is missing: the binary is bundled with its debug info");
}
fs.chmodSync(bundled, 0o755);
console.log(`bundling ${binary} (${(fs.statSync(bundled).size / 1e6).toFixed(1)} MB after strip)`);

const version = JSON.parse(fs.readFileSync(path.join(here, "package.json"), "utf8")).version;
const out = path.join(here, `convex-migrate-linux-x64-${version}.vsix`);
const vsce = path.join(here, "node_modules", ".bin", "vsce");
execFileSync(vsce, ["package", "--target", "linux-x64", "--allow-missing-repository", "--out", out], { cwd: here, stdio: "inherit", env: { ...process.env, NODE_ENV: "production" } });
console.log(`packaged ${path.relative(process.cwd(), out)} (${(fs.statSync(out).size / 1e6).toFixed(1)} MB)`);

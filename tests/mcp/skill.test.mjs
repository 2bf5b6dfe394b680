// The agent skill installs the way Convex's own agent skills do: `npx skills add <repository>
// --skill convex-migrate` (the skills CLI, here on this checkout as a local path, offline, with its
// telemetry off) finds skills/convex-migrate/SKILL.md and copies it where each agent reads skills.
// That its command lines parse is server/tests/skill.rs.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const skills = join(here, "node_modules/.bin/skills");
const skill = readFileSync(join(root, "skills/convex-migrate/SKILL.md"), "utf8");

function run(args, cwd, home) {
  const result = spawnSync(skills, args, {
    cwd,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, HOME: home, DISABLE_TELEMETRY: "1", DO_NOT_TRACK: "1", NO_COLOR: "1" },
  });
  assert.equal(result.status, 0, `skills ${args.join(" ")}: ${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

test("npx skills add <repository> --skill convex-migrate installs the skill for Claude Code, Cursor and Codex", () => {
  const project = mkdtempSync(join(tmpdir(), "convex-migrate-skill-"));
  const home = mkdtempSync(join(tmpdir(), "convex-migrate-skill-home-"));
  try {
    const listed = run(["add", root, "--list"], project, home);
    assert.match(listed, /convex-migrate/);
    run(["add", root, "--skill", "convex-migrate", "-a", "claude-code", "-a", "cursor", "-a", "codex", "-y", "--copy"], project, home);
    for (const folder of [".claude/skills", ".agents/skills"]) {
      assert.equal(readFileSync(join(project, folder, "convex-migrate/SKILL.md"), "utf8"), skill, folder);
    }
  } finally {
    rmSync(project, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
});

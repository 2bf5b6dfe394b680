#!/usr/bin/env bash
# `convex-migrate mcp` tested with the official MCP TypeScript client SDK (issue 15): installs
# tests/mcp from its lockfile, builds the binary and runs mcp.test.mjs and skill.test.mjs (the skill
# installed with `npx skills add`) with node's test runner.
#
#   tests/mcp/run.sh        CONVEX_MIGRATE_BIN=path uses that binary instead of building one
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

command -v node >/dev/null || { echo "mcp: node is not installed (Node 20 or later is needed)" >&2; exit 1; }
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "mcp: node $(node --version) is too old: 20 or later is needed" >&2; exit 1; }

cd "$here"
. "$root/tests/npm-ci.sh"
# npm packages, exactly as locked; skipped when node_modules was installed from this lockfile.
stamp=node_modules/.mcp-lockfile.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "mcp: npm ci (tests/mcp)"
  npm_ci --prefer-offline
  echo "$want" > "$stamp"
fi

if [ -z "${CONVEX_MIGRATE_BIN:-}" ]; then
  target="${CARGO_TARGET_DIR:-$root/target}"
  case "$target" in /*) ;; *) target="$root/$target" ;; esac
  (cd "$root" && cargo build --locked -q -p convex-migrate)
  export CONVEX_MIGRATE_BIN="$target/debug/convex-migrate"
fi

node --test mcp.test.mjs skill.test.mjs

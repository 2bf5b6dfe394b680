#!/usr/bin/env bash
# End-to-end checks of the migrations convex-migrate generates (issue 4): installs the npm
# project in tests/e2e/convex from its lockfile, builds the binary when there is none, and runs
# driver.mjs (real language server → code actions applied → codegen → tsc → vitest/convex-test),
# snapshot-oracle.mjs and walk.mjs (plans followed to the end against a stand-in deployment).
# Prints a closing `N passed, N failed, N skipped` line; exits non-zero on any failure.
#
#   tests/e2e/run.sh [FIXTURE...]      CONVEX_MIGRATE_BIN=path overrides target/debug/convex-migrate
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

die() {
  echo "e2e: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

command -v git >/dev/null || die "git is not installed"
command -v node >/dev/null || die "node is not installed (Node 20.19 or later is needed)"
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
  || die "node $(node --version) is too old: vitest 4.1 needs 20.19 or later"

. "$root/tests/npm-ci.sh"
# npm packages, exactly as locked; skipped when node_modules was installed from this lockfile.
cd "$here/convex" || die "no $here/convex"
stamp=node_modules/.e2e-lockfile.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "e2e: npm ci (tests/e2e/convex)"
  npm_ci --prefer-offline || die "npm ci failed"
  echo "$want" > "$stamp"
fi

target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
bin="${CONVEX_MIGRATE_BIN:-$target/debug/convex-migrate}"
if [ ! -x "$bin" ]; then
  echo "e2e: cargo build -p convex-migrate"
  (cd "$root" && cargo build --locked -p convex-migrate) || die "cargo build failed"
  bin="$target/debug/convex-migrate"
fi

cd "$here" || die "no $here"
node driver.mjs --bin "$bin" "$@"
status=$?
# The oracle of check --snapshot: convex-test rejects exactly the documents convex-migrate counts.
if [ $# -eq 0 ] || [[ " $* " == *" snapshot-oracle "* ]]; then
  node snapshot-oracle.mjs --bin "$bin" || status=1
fi
# The walk (issue 13): migrations followed through every step of `plan --apply` against a
# stand-in deployment, with tsc after each step and every document compared (walk.mjs).
if [ $# -eq 0 ] || [[ " $* " == *" walk "* ]]; then
  node walk.mjs --bin "$bin" || status=1
fi
exit $status

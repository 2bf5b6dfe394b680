#!/usr/bin/env bash
# The npm distribution and the GitHub Action, end to end: lints the workflows and action.yml
# (npm/lint-workflows.sh), packs the tarballs with npm/pack.sh, installs them into a fresh Convex app
# (the real `convex` package from the registry), and runs the launcher as users do (`npx
# convex-migrate …`): version, explain, check against a git base, exit codes, signals, the
# missing-platform-package error, CONVEX_MIGRATE_BINARY, and the action's step (npm/action/run.sh).
# Prints a closing `N passed, N failed` line; exits non-zero on any failure.
#
#   npm/test.sh        CONVEX_MIGRATE_BIN=path packs that binary instead of building one (pack.sh)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
export CI="${CI:-true}"
npm_flags=(--prefer-offline --no-audit --no-fund --loglevel=error)

passed=0
failed=0
started=$SECONDS
work="$(mktemp -d "${TMPDIR:-/tmp}/convex-migrate-npm-test.XXXXXX")"
pids=()
# shellcheck disable=SC2329 # invoked by the trap
cleanup() {
  local pid
  for pid in ${pids[@]+"${pids[@]}"}; do kill -KILL "$pid" 2>/dev/null || true; done
  exec 3>&- 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ok() {
  passed=$((passed + 1))
  echo "ok - $1"
}
not_ok() {
  failed=$((failed + 1))
  echo "not ok - $1"
  if [ $# -gt 1 ]; then printf '%s\n' "$2" | sed 's/^/    /'; fi
}
finish() {
  echo "npm: $((SECONDS - started))s"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}
# Setup that the remaining tests need: on failure, count it and stop.
setup() {
  local name="$1" out
  shift
  if out="$("$@" 2>&1)"; then
    ok "$name"
  else
    not_ok "$name" "$out"
    finish
  fi
}
# Runs a command, keeping its stdout, stderr and exit code in $out, $err, $rc.
run() {
  rc=0
  "$@" >"$work/stdout" 2>"$work/stderr" || rc=$?
  out="$(cat "$work/stdout")"
  err="$(cat "$work/stderr")"
}
# expect NAME RC [STRING...]: the last `run` exited RC and printed every STRING (stdout or stderr).
expect() {
  local name="$1" want="$2" s missing=""
  shift 2
  for s in "$@"; do
    case "$out$err" in *"$s"*) ;; *) missing+=" '$s'" ;; esac
  done
  if [ "$rc" = "$want" ] && [ -z "$missing" ]; then
    ok "$name"
  else
    not_ok "$name" "exit $rc (expected $want)${missing:+; missing:$missing}
--- stdout
$out
--- stderr
$err"
  fi
}

for tool in node npm git python3; do
  command -v "$tool" >/dev/null || { not_ok "$tool is not installed"; finish; }
done
version="$(cd "$root" && node --input-type=module -e \
  'import { crateVersion } from "./npm/scripts/write-packages.mjs"; console.log(crateVersion())')"
platform="$(node -p process.platform)"
arch="$(node -p process.arch)"
pkg="@convex-migrate/cli-$platform-$arch"

# --- lint ----------------------------------------------------------------------------------------
lint_rc=0
lint_out="$(bash "$here/lint-workflows.sh" 2>&1)" || lint_rc=$?
printf '%s\n' "$lint_out"
passed=$((passed + $(printf '%s\n' "$lint_out" | grep -c '^ok - ' || true)))
failed=$((failed + $(printf '%s\n' "$lint_out" | grep -c '^not ok - ' || true)))
if [ "$lint_rc" -ne 0 ] && ! printf '%s\n' "$lint_out" | grep -q '^not ok - '; then
  not_ok "npm/lint-workflows.sh exited $lint_rc"
fi

# --- pack ----------------------------------------------------------------------------------------
setup "npm/pack.sh writes the tarballs" bash "$here/pack.sh" "$work/pkgs"
main_tgz="$work/pkgs/convex-migrate-$version.tgz"
plat_tgz="$work/pkgs/convex-migrate-cli-$platform-$arch-$version.tgz"
setup "the tarballs are named by the crate's version ($version)" test -f "$main_tgz" -a -f "$plat_tgz"

mkdir -p "$work/unpacked/main" "$work/unpacked/plat"
tar -xzf "$main_tgz" -C "$work/unpacked/main"
tar -xzf "$plat_tgz" -C "$work/unpacked/plat"
run node - "$work/unpacked/main/package/package.json" "$work/unpacked/plat/package/package.json" \
  "$version" "$platform" "$arch" <<'EOF'
const [mainPath, platPath, version, platform, arch] = process.argv.slice(2);
const main = require(mainPath), plat = require(platPath);
const problems = [];
const eq = (what, got, want) => {
  if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${what}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
};
eq("main name", main.name, "convex-migrate");
eq("main version", main.version, version);
eq("main bin", main.bin, { "convex-migrate": "bin/convex-migrate" });
eq("main engines", main.engines, { node: ">=18" });
eq("main license", main.license, "MIT");
eq("main files", main.files, ["bin/convex-migrate"]);
eq("main dependencies", main.dependencies, undefined);
eq("main optionalDependencies", main.optionalDependencies, Object.fromEntries(
  ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64"].map((p) => [`@convex-migrate/cli-${p}`, version])));
eq("platform name", plat.name, `@convex-migrate/cli-${platform}-${arch}`);
eq("platform version", plat.version, version);
eq("platform os", plat.os, [platform]);
eq("platform cpu", plat.cpu, [arch]);
if (platform === "linux") eq("platform libc", plat.libc, ["glibc"]);
eq("platform license", plat.license, "MIT");
eq("platform bin", plat.bin, undefined);
if (problems.length) { console.log(problems.join("\n")); process.exit(1); }
EOF
expect "package.json of both packages (version, bin, engines, pinned optionalDependencies, os/cpu/libc)" 0

run bash -c 'cd "$1" && find package -type f | sort' _ "$work/unpacked/main"
expect "the main tarball holds only the launcher, package.json and README.md" 0 \
  "package/README.md" "package/bin/convex-migrate" "package/package.json"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ] || not_ok "the main tarball holds more files" "$out"
binary="$work/unpacked/plat/package/convex-migrate"
if [ -x "$binary" ]; then ok "the platform tarball holds the binary, executable"; else not_ok "no executable binary in $plat_tgz"; fi
if command -v readelf >/dev/null && [ "$platform" = linux ]; then
  run readelf -S -W "$binary"
  if [ "$rc" = 0 ] && ! printf '%s\n' "$out" | grep -q -E '\.(debug_[a-z]+|symtab)\b'; then
    ok "the binary is stripped (no .symtab, no .debug_* sections)"
  else
    not_ok "the binary is not stripped" "$(printf '%s\n' "$out" | grep -E 'debug|symtab')"
  fi
fi

# --- a fresh Convex app --------------------------------------------------------------------------
app="$work/app"
mkdir -p "$app/convex"
cd "$app"
setup "npm init -y" npm init -y
setup "npm install convex@1.48.0 (registry)" npm install "${npm_flags[@]}" convex@1.48.0
cat > convex/schema.ts <<'EOF'
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  users: defineTable({
    name: v.string(),
    role: v.optional(v.string()),
  }),
});
EOF
cat > convex/users.ts <<'EOF'
import { v } from "convex/values";
import { mutation } from "./_generated/server";

export const create = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    return await ctx.db.insert("users", { name, role: "member" });
  },
});
EOF
printf 'node_modules/\n' > .gitignore
setup "npm install -D the two tarballs" npm install "${npm_flags[@]}" -D "$main_tgz" "$plat_tgz"
setup "node_modules/.bin/convex-migrate is installed" test -x node_modules/.bin/convex-migrate

run npx convex-migrate --version
expect "npx convex-migrate --version" 0 "convex-migrate $version"
run npx convex-migrate explain required-without-backfill
expect "npx convex-migrate explain required-without-backfill (exit 0, the rule's documentation)" 0 \
  "required-without-backfill" "What it does"

# check against git bases
git init -q -b main .
git config user.email npm-test@example.com
git config user.name "npm test"
git add -A
git commit -q -m "users.role optional"
sed -i 's/role: v.optional(v.string()),/role: v.string(),/' convex/schema.ts
grep -q 'role: v.string(),' convex/schema.ts || not_ok "could not edit convex/schema.ts"
run npx convex-migrate check --base HEAD
expect "check --base HEAD: role made required without a backfill → exit 1" 1 \
  "required-without-backfill" "users.role"
git commit -q -am "users.role required"
sed -i 's/role: v.string(),/role: v.optional(v.string()),/' convex/schema.ts
run npx convex-migrate check --base HEAD~1
expect "check --base HEAD~1: optional again → exit 0" 0
run npx convex-migrate check --base HEAD~1 --format json
expect "check --format json: stdout passes through" 0 '"version": 1' '"diagnostics": []'
run npx convex-migrate check /nonexistent --base HEAD
expect "check /nonexistent → exit 2 passes through, with the error on stderr" 2 "error:"
git checkout -q -- convex/schema.ts

# --- signals -------------------------------------------------------------------------------------
# The LSP waits on stdin: a FIFO held open by this shell.
mkfifo "$work/stdin"
exec 3<>"$work/stdin"
children_of() { ps -e -o pid=,ppid= | awk -v p="$1" '$2 == p { print $1 }'; }
descendants() {
  local c
  for c in $(children_of "$1"); do
    echo "$c"
    descendants "$c"
  done
}
# wait_for_child PID: prints the binary's pid (the child of the launcher PID) once it runs.
wait_for_child() {
  local _ c
  for _ in $(seq 1 100); do
    for c in $(children_of "$1"); do
      case "$(cat "/proc/$c/cmdline" 2>/dev/null | tr '\0' ' ')" in
        *"cli-$platform-$arch/convex-migrate lsp"*) echo "$c"; return 0 ;;
      esac
    done
    sleep 0.1
  done
  return 1
}
# wait_exit PID SECONDS: waits for a job; sets $status to its exit status, or 'timeout'.
wait_exit() {
  local _
  status=timeout
  for _ in $(seq 1 $(($2 * 10))); do
    if ! kill -0 "$1" 2>/dev/null; then
      status=0
      { wait "$1"; } 2>/dev/null || status=$?
      return 0
    fi
    sleep 0.1
  done
}
gone() { ! kill -0 "$1" 2>/dev/null; }

node_modules/.bin/convex-migrate lsp <"$work/stdin" >/dev/null 2>&1 &
launcher=$!
pids+=("$launcher")
if child="$(wait_for_child "$launcher")"; then
  pids+=("$child")
  kill -TERM "$launcher"
  wait_exit "$launcher" 5
  sleep 0.2
  if [ "$status" = 143 ] && gone "$child"; then
    ok "SIGTERM to the launcher: forwarded to the binary, the launcher dies by SIGTERM (143)"
  else
    not_ok "SIGTERM to the launcher" "launcher: $status (expected 143); binary $(gone "$child" && echo exited || echo 'still running')"
  fi
else
  not_ok "the launcher did not start the binary (lsp)"
fi

node_modules/.bin/convex-migrate lsp <"$work/stdin" >/dev/null 2>&1 &
launcher=$!
pids+=("$launcher")
if child="$(wait_for_child "$launcher")"; then
  pids+=("$child")
  exec 4>&2 2>/dev/null # bash reports the job as "Killed": expected here
  kill -KILL "$child"
  wait_exit "$launcher" 5
  exec 2>&4 4>&-
  if [ "$status" = 137 ]; then
    ok "the binary killed by SIGKILL: the launcher re-raises it (137)"
  else
    not_ok "the binary killed by SIGKILL" "launcher: $status (expected 137)"
  fi
else
  not_ok "the launcher did not start the binary (lsp)"
fi

npx convex-migrate lsp <"$work/stdin" >/dev/null 2>&1 &
npx_pid=$!
pids+=("$npx_pid")
launcher=""
for _ in $(seq 1 100); do
  for p in $(descendants "$npx_pid"); do
    case "$(cat "/proc/$p/cmdline" 2>/dev/null | tr '\0' ' ')" in
      *"node_modules/.bin/convex-migrate lsp"*) launcher="$p" ;;
    esac
  done
  [ -z "$launcher" ] || break
  sleep 0.1
done
if [ -n "$launcher" ] && child="$(wait_for_child "$launcher")"; then
  pids+=("$launcher" "$child")
  kill -TERM "$launcher"
  wait_exit "$npx_pid" 5
  sleep 0.2
  if [ "$status" = 143 ] && gone "$launcher" && gone "$child"; then
    ok "npx convex-migrate lsp: SIGTERM to the launcher ends it and the binary, npx exits 143"
  else
    not_ok "npx convex-migrate lsp, SIGTERM to the launcher" \
      "npx: $status (expected 143); launcher $(gone "$launcher" && echo exited || echo running); binary $(gone "$child" && echo exited || echo running)"
  fi
else
  not_ok "npx convex-migrate lsp did not start the launcher and the binary"
fi
exec 3>&-

# --- no platform package -------------------------------------------------------------------------
# The launcher alone, in a folder where no platform package can be resolved.
lone="$work/lone"
mkdir -p "$lone/node_modules"
cp -R node_modules/convex-migrate "$lone/node_modules/"
launcher_js="$lone/node_modules/convex-migrate/bin/convex-migrate"
run node "$launcher_js" --version
expect "without $pkg: a clear error, exit 2" 2 \
  "$platform-$arch" "$pkg" "npm i -D convex-migrate" "--omit=optional" "cargo install" "CONVEX_MIGRATE_BINARY" \
  "linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64"

printf '%s\n' "Object.defineProperty(process, 'platform', { value: 'freebsd' });" > "$work/freebsd.cjs"
run node --require "$work/freebsd.cjs" node_modules/.bin/convex-migrate --version
expect "on an unsupported platform (freebsd): names it and the package, exit 2" 2 \
  "no prebuilt binary for freebsd-$arch" "@convex-migrate/cli-freebsd-$arch" "cargo install" "CONVEX_MIGRATE_BINARY"

mv "node_modules/$pkg" "$work/moved-platform-package"
run npx convex-migrate --version
mv "$work/moved-platform-package" "node_modules/$pkg"
expect "npx convex-migrate with the platform package removed from node_modules: exit 2" 2 "$pkg" "--omit=optional"

run env CONVEX_MIGRATE_BINARY="$app/node_modules/$pkg/convex-migrate" node "$launcher_js" --version
expect "CONVEX_MIGRATE_BINARY runs that binary" 0 "convex-migrate $version"
run env CONVEX_MIGRATE_BINARY="$work/no-such-binary" node "$launcher_js" --version
expect "CONVEX_MIGRATE_BINARY naming no file: exit 2, names it" 2 "$work/no-such-binary" "CONVEX_MIGRATE_BINARY"

# --- the action's step ---------------------------------------------------------------------------
# npm/action/run.sh with the variables action.yml gives it, on the app: HEAD~1 has users.role
# optional, HEAD and the working tree required.
base_sha="$(git rev-parse HEAD~1)"
action_env=(env -u CONVEX_MIGRATE_BINARY -u GITHUB_BASE_REF -u PR_BASE_SHA -u PUSH_BEFORE
  GITHUB_WORKSPACE="$app" RUNNER_TEMP="$work/runner-temp" INPUT_PATH=. INPUT_BASE= INPUT_DEPLOYMENT=prod
  INPUT_VERSION=project INPUT_ARGS=)
mkdir -p "$work/runner-temp"

run "${action_env[@]}" PR_BASE_SHA="$base_sha" bash "$root/npm/action/run.sh"
expect "action: pull request base sha, the project's own binary → annotations, exit 1" 1 \
  "--base $base_sha" "--format github" "::error file=convex/schema.ts" "required-without-backfill"

run "${action_env[@]}" INPUT_VERSION= GITHUB_BASE_REF=main bash "$root/npm/action/run.sh"
expect "action: no pull request sha → origin/GITHUB_BASE_REF; missing from the clone → fetch-depth error, exit 2" 2 \
  "origin/main" "fetch-depth: 0"

cp -R convex "$work/deployed-convex"
mkdir -p "$work/deployed"
mv "$work/deployed-convex" "$work/deployed/convex"
run "${action_env[@]}" PR_BASE_SHA="$base_sha" INPUT_ARGS="--base-dir $work/deployed" bash "$root/npm/action/run.sh"
expect "action: args with --base-dir → no --base added, exit 0" 0 "--base-dir $work/deployed"
case "$out" in *"--base $base_sha"*) not_ok "action: --base added although args has --base-dir" "$out" ;; esac

run "${action_env[@]}" INPUT_VERSION=project INPUT_PATH="$work/deployed" GITHUB_WORKSPACE="$work/deployed" \
  bash "$root/npm/action/run.sh"
expect "action: version project without node_modules/.bin/convex-migrate → exit 2" 2 "version: project"

run "${action_env[@]}" bash "$root/npm/action/run.sh"
expect "action: no base at all (not a pull request) → exit 2, says how to set one" 2 "no base to compare with"

# A shallow clone (actions/checkout's default, depth 1): the action fetches the base commit alone.
git -C "$work" clone -q --depth 1 "file://$app" shallow
run "${action_env[@]}" GITHUB_WORKSPACE="$work/shallow" INPUT_PATH="$work/shallow" INPUT_VERSION=latest \
  CONVEX_MIGRATE_BINARY="$app/node_modules/$pkg/convex-migrate" PR_BASE_SHA="$base_sha" bash "$root/npm/action/run.sh"
expect "action: shallow clone → fetches the base commit; CONVEX_MIGRATE_BINARY skips the install; exit 1" 1 \
  "fetching it" "required-without-backfill"

finish

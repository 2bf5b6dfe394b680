#!/usr/bin/env bash
# Runs test/e2e.lua in a real headless Neovim 0.11 against the real server on a fresh fixture.
# Usage: run.sh [NVIM] [SERVER]  (defaults: `nvim` on PATH, the repository's target/debug/convex-migrate)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
nvim_dir="$(dirname "$here")"
repo="$(cd "$nvim_dir/../.." && pwd)"
nvim="${1:-${NVIM_BIN:-nvim}}"
server="${2:-${CONVEX_MIGRATE_BIN:-$repo/target/debug/convex-migrate}}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/app"
bash "$repo/editors/fixtures/make-project.sh" "$root"
root="$(cd "$root" && pwd -P)"

# Stands in for `npx` (there is no Convex deployment here): logs where and how it was called, and
# prints what a verify function returns.
cat > "$work/npx" <<SH
#!/bin/sh
echo "\$(pwd -P) | \$*" >> "$work/npx.log"
echo '{ "remaining": 0, "scanned": 3 }'
SH
chmod +x "$work/npx"

# The project's own binary, as `npm i -D convex-migrate` puts it in node_modules/.bin: a launcher
# that logs where it was started from and runs the real server.
mkdir -p "$root/node_modules/.bin"
cat > "$root/node_modules/.bin/convex-migrate" <<SH
#!/bin/sh
echo "\$(pwd -P) | \$*" >> "$work/launcher.log"
exec "$server" "\$@"
SH
chmod +x "$root/node_modules/.bin/convex-migrate"
# A JavaScript project that is not a Convex project: the server does not start there.
mkdir -p "$work/plain"
echo '{ "name": "plain" }' > "$work/plain/package.json"
echo 'export const x = 1;' > "$work/plain/index.js"

# A home of its own: no user config, no state from earlier runs.
export XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache"
cd "$root"
"$nvim" --clean --headless -l "$here/e2e.lua" "$root" "$server" "$nvim_dir" "$work/npx" "$work/npx.log" "$work/launcher.log" "$work/plain"

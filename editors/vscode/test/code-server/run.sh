#!/usr/bin/env bash
# The packaged .vsix in a real VS Code: code-server 4.100.3 (VS Code 1.100) on 127.0.0.1, Debian's
# Chromium driven by playwright-core. Installs the .vsix, opens the fixture project, and checks the
# diagnostic, the hover and the quick fix in the editor. Usage: run.sh VSIX
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
vsix="$(readlink -f "${1:?usage: run.sh VSIX}")"
bash "$here/setup.sh"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  # code-server runs in a process group of its own (setsid): end that group, which it started.
  if [ -n "$server_pid" ]; then kill -- "-$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$work/cache"
code_server="$here/node_modules/.bin/code-server"
dirs=(--user-data-dir "$work/user-data" --extensions-dir "$work/extensions")
"$code_server" "${dirs[@]}" --install-extension "$vsix" | tail -1
# A quiet first start: no welcome page, no trust prompt, nothing fetched.
mkdir -p "$work/user-data/User"
cat > "$work/user-data/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "convexMigrate.trace.server": "messages"
}
JSON

bash "$repo/editors/fixtures/make-project.sh" "$work/app"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
setsid "$code_server" "${dirs[@]}" --auth none --bind-addr "127.0.0.1:$port" --disable-telemetry \
  --disable-update-check --disable-workspace-trust "$work/app" >"$work/code-server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
  sleep 0.2
done
mkdir -p "$here/screenshots"
status=0
node "$here/drive.mjs" "http://127.0.0.1:$port" "$work/app" "$here/screenshots" || status=$?
if [ "$status" != 0 ]; then
  echo "--- code-server log"; tail -20 "$work/code-server.log"
  echo "--- convex-migrate output channel"; find "$work/user-data/logs" -name "*convex-migrate*.log" -exec tail -40 {} \;
fi
exit "$status"

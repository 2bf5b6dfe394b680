#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100 served to a browser) and playwright-core in this folder,
# with Debian's Chromium, without the internet beyond the registries. code-server's postinstall
# would run `npm install` in lib/vscode, whose @vscode/ripgrep postinstall downloads ripgrep (fails
# here), so the steps are done by hand: dependencies with scripts off, Debian's `rg` where
# @vscode/ripgrep expects it, the native modules rebuilt against the local Node headers, and the
# symlinks the postinstall makes. Idempotent: a marker file skips what is done.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
marker="$here/node_modules/.convex-migrate-setup-4.100.3"
[ -f "$marker" ] && exit 0

need=()
for pkg in chromium ripgrep libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev g++ make; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" = 20 ] || { echo "code-server 4.100 needs Node.js 20 (found $(node --version))"; exit 1; }
# node-gyp would download Node's headers: use the installed ones.
nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
[ -f "$nodedir/include/node/node.h" ] || { echo "no Node.js headers under $nodedir/include/node (needed to build code-server's native modules)"; exit 1; }

cd "$here"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
vscode="$here/node_modules/code-server/lib/vscode"
(cd "$vscode" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
(cd "$vscode/extensions" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
mkdir -p "$vscode/node_modules/@vscode/ripgrep/bin"
ln -sf "$(command -v rg)" "$vscode/node_modules/@vscode/ripgrep/bin/rg"
# Native modules: built from source (node-pty's own post-install step, which calls `npx node-gyp`
# only to write compile_commands.json, fails offline after the module is built: checked below).
(cd "$vscode" && npm_config_nodedir="$nodedir" npm rebuild kerberos @vscode/spdlog @vscode/deviceid native-watchdog node-pty --foreground-scripts >"$here/rebuild.log" 2>&1) || true
for built in kerberos/build/Release/kerberos.node @vscode/spdlog/build/Release/spdlog.node native-watchdog/build/Release/watchdog.node node-pty/build/Release/pty.node; do
  [ -f "$vscode/node_modules/$built" ] || { echo "native module not built: $built (see $here/rebuild.log)"; exit 1; }
done
(cd "$here" && npm_config_nodedir="$nodedir" npm rebuild argon2 --build-from-source >>"$here/rebuild.log" 2>&1)
# What code-server's postinstall links.
ln -sfn node_modules "$vscode/node_modules.asar"
ln -sfn code-linux.sh "$vscode/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$vscode/bin/helpers/browser.sh"
touch "$marker"

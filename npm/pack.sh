#!/usr/bin/env bash
# Builds the release binary and writes the npm tarballs of convex-migrate to OUTDIR: the main
# package `convex-migrate` (the Node launcher) and `@convex-migrate/cli-<platform>-<arch>` for this
# machine (stripped binary). The version is server/Cargo.toml's.
#
#   npm/pack.sh OUTDIR
#
# CONVEX_MIGRATE_BIN=path packs that binary instead of building one (it must be this version);
# CARGO_TARGET_DIR is honoured. The release workflow writes the other platforms' packages with the
# same script, npm/scripts/write-packages.mjs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"

die() {
  echo "pack: $*" >&2
  exit 1
}

[ $# -eq 1 ] || die "usage: npm/pack.sh OUTDIR"
command -v node >/dev/null || die "node is not installed"
command -v npm >/dev/null || die "npm is not installed"
mkdir -p "$1"
out="$(cd "$1" && pwd)"

if [ -n "${CONVEX_MIGRATE_BIN:-}" ]; then
  bin="$CONVEX_MIGRATE_BIN"
  echo "pack: using $bin (CONVEX_MIGRATE_BIN)"
else
  echo "pack: cargo build --release --locked -p convex-migrate"
  (cd "$root" && cargo build --release --locked -p convex-migrate)
  target="${CARGO_TARGET_DIR:-$root/target}"
  case "$target" in /*) ;; *) target="$root/$target" ;; esac
  bin="$target/release/convex-migrate"
fi
[ -f "$bin" ] && [ -x "$bin" ] || die "no executable binary at $bin"

platform="$(node -p process.platform)"
arch="$(node -p process.arch)"
version="$(cd "$root" && node --input-type=module -e \
  'import { crateVersion } from "./npm/scripts/write-packages.mjs"; console.log(crateVersion())')"

stage="$(mktemp -d "${TMPDIR:-/tmp}/convex-migrate-pack.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
node "$here/scripts/write-packages.mjs" --out "$stage" --main \
  --platform "$platform" --arch "$arch" --binary "$bin" --strip >/dev/null

# The packed binary must be the version the packages are published as.
got="$("$stage/cli-$platform-$arch/convex-migrate" --version)"
[ "$got" = "convex-migrate $version" ] \
  || die "the binary says '$got', the packages are version $version (stale CONVEX_MIGRATE_BIN?)"

for dir in "$stage/cli-$platform-$arch" "$stage/convex-migrate"; do
  file="$(cd "$dir" && npm pack --silent --pack-destination "$out")"
  echo "pack: $out/$file"
done

#!/usr/bin/env bash
# Corpus survey for convex-migrate ("Precision on real Convex apps"). Not run in CI (it needs the
# repositories, and CI has no network). Plain bash + python3, no extra packages.
#
#   CONVEX_MIGRATE_BIN=path/to/convex-migrate tests/corpus/run.sh survey CLONES_DIR [survey.py options]
#       For every `owner/name commit root` line of tests/corpus/repos.txt, found in CLONES_DIR as
#       owner+name/repo (a bare mirror), owner+name (bare or clone) or owner/name (a clone):
#       check the project against itself at `commit` (HEAD vs HEAD: any error is a false positive),
#       then the last 40 first-parent commits touching its Convex folder against their parents.
#       Worktrees go to CLONES_DIR/.survey-work (or --work DIR); results to survey-results.jsonl
#       (or --out FILE); a summary table is printed. Options: --history N, --jobs N, --only owner/name,
#       --timeout S, --repos FILE, --summary-only (re-print the table of an existing --out file).
#
#   CONVEX_MIGRATE_BIN=... tests/corpus/run.sh repros
#       Run the minimal reproductions in tests/corpus/repros/ (base vs working, or a small git history)
#       and compare with the `now:` lines of each EXPECT file: UNCHANGED means the tool still behaves
#       as surveyed; CHANGED means it does something else now (compare with `want:`). With
#       `repros --update`, the `now:` lines of the CHANGED ones are rewritten to what it does now
#       (`now: nothing` for no finding): review the diff against `want:`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${CONVEX_MIGRATE_BIN:-convex-migrate}"
mode="${1:-}"
case "$mode" in
  survey)
    shift
    [ $# -ge 1 ] || { echo "usage: run.sh survey CLONES_DIR [options]" >&2; exit 2; }
    clones="$1"; shift
    exec python3 "$here/survey.py" --repos "$here/repos.txt" --clones "$clones" --bin "$bin" "$@"
    ;;
  repros)
    update=0; [ "${2:-}" = "--update" ] && update=1
    tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
    status=0
    for dir in "$here"/repros/*/; do
      name="$(basename "$dir")"
      root="working"; base="base"
      if grep -q '^root:' "$dir/EXPECT"; then root="$(sed -n 's/^root: *//p' "$dir/EXPECT")"; fi
      if grep -q '^base:' "$dir/EXPECT"; then base="$(sed -n 's/^base: *//p' "$dir/EXPECT")"; fi
      if [ -d "$dir/earlier" ]; then
        # a history: earlier -> base committed, working on disk, checked against HEAD (= base)
        repo="$tmp/$name"; mkdir -p "$repo"
        git -C "$repo" init -q
        cp -r "$dir/earlier/." "$repo/"
        git -C "$repo" add -A && git -C "$repo" -c user.name=survey -c user.email=survey@example.invalid commit -qm earlier
        find "$repo" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
        cp -r "$dir/base/." "$repo/"
        git -C "$repo" add -A && git -C "$repo" -c user.name=survey -c user.email=survey@example.invalid commit -qm base
        find "$repo" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
        cp -r "$dir/working/." "$repo/"
        out="$("$bin" check "$repo" --base HEAD --format json 2>/dev/null || true)"
      else
        out="$("$bin" check "$dir/$root" --base-dir "$dir/$base" --format json 2>/dev/null || true)"
      fi
      got="$(printf '%s' "$out" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    print("no-json"); sys.exit()
for x in d["diagnostics"]:
    print("%s %s %s:%d" % (x["severity"], x["rule"], x["path"], x["line"]))' | sort)"
      want="$(sed -n 's/^now: *//p' "$dir/EXPECT" | grep -vx 'nothing' | sort || true)"
      if [ "$got" = "$want" ]; then verdict="UNCHANGED"; else verdict="CHANGED"; status=1; fi
      if [ "$update" = 1 ] && [ "$verdict" = CHANGED ]; then
        # Record what the binary does now: the `now:` lines replaced, in place of the first one.
        GOT="$got" python3 - "$dir/EXPECT" <<'PY'
import os, sys
path = sys.argv[1]
lines = open(path).read().splitlines()
got = [l for l in os.environ["GOT"].splitlines() if l.strip()]
new = ["now: " + l for l in got] or ["now: nothing"]
at = next((i for i, l in enumerate(lines) if l.startswith("now:")), len(lines))
kept = [l for l in lines if not l.startswith("now:")]
kept[at:at] = new
open(path, "w").write("\n".join(kept) + "\n")
PY
        verdict="UPDATED"; status=0
      fi
      printf '%-52s %-9s %s\n' "$name" "$verdict" "$(printf '%s' "${got:-(nothing)}" | tr '\n' ';')"
    done
    exit $status
    ;;
  *)
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Benchmark `convex-migrate check` on a generated Convex project pair.
#
#   tests/bench/run.sh                      # 300 tables, 2000 function files, 11 runs
#   TABLES=50 FILES=300 RUNS=5 tests/bench/run.sh
#
# Env: TABLES (300), FILES (2000), SEED (1), RUNS (11), WARMUP (1),
#      CONVEX_MIGRATE_BIN (use this binary instead of building target/release/convex-migrate),
#      BENCH_JSON (also write the results as JSON to this file),
#      KEEP=1 (keep the generated projects and print where they are).
# Works from any cwd; the generated projects live in a temp dir that is removed on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TABLES="${TABLES:-300}"
FILES="${FILES:-2000}"
SEED="${SEED:-1}"
RUNS="${RUNS:-11}"
WARMUP="${WARMUP:-1}"
PY="${PYTHON:-python3}"

if [[ -n "${CONVEX_MIGRATE_BIN:-}" ]]; then
    BIN="$CONVEX_MIGRATE_BIN"
else
    echo "bench: cargo build --release -p convex-migrate" >&2
    (cd "$ROOT" && cargo build --release -p convex-migrate)
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/convex-migrate"
    case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
fi
if [[ ! -x "$BIN" ]]; then
    echo "bench: no executable at $BIN" >&2
    exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/convex-migrate-bench.XXXXXX")"
cleanup() {
    if [[ "${KEEP:-}" == 1 ]]; then
        echo "bench: kept $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

OUT="$WORK/out"
# generate.py reports (on stderr) file counts, bytes and its own run time
"$PY" "$HERE/generate.py" "$OUT" --tables "$TABLES" --files "$FILES" --seed "$SEED" 2>&1

args=(--runs "$RUNS" --warmup "$WARMUP" --project "$OUT/working" --project "$OUT/base")
if [[ -n "${BENCH_JSON:-}" ]]; then
    args+=(--json "$BENCH_JSON")
fi
"$PY" "$HERE/timeit.py" "${args[@]}" -- \
    "$BIN" check "$OUT/working" --base-dir "$OUT/base" --format json

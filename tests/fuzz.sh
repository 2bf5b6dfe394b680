#!/usr/bin/env bash
# Bounded fuzzing, as CI runs it (a minute or two):
#   1. the pipeline (parse → model → project → analysis → every fix, refactor and plan), a seeded
#      mutation loop over tests/fixtures/rules, for FUZZ_SECONDS (release build, 2 threads);
#      tests/fixtures/fuzz/ (every crash found so far) is replayed first;
#   2. the language server's document sync against a model of the client (SYNC_CASES cases);
#   3. the frame layer in front of tower-lsp-server (FRAME_CASES random streams).
# Prints executions, crashes and timeouts; exits non-zero on any crash, timeout or failure.
#   FUZZ_SECONDS=1200 tests/fuzz.sh          # a long run
#   FUZZ_SEED=N tests/fuzz.sh                # another sequence of inputs
set -euo pipefail
cd "$(dirname "$0")/.."
export CONVEX_MIGRATE_FUZZ_SECONDS="${FUZZ_SECONDS:-90}"
export CONVEX_MIGRATE_FUZZ_THREADS="${FUZZ_THREADS:-2}"
[[ -n "${FUZZ_SEED:-}" ]] && export CONVEX_MIGRATE_FUZZ_SEED="$FUZZ_SEED"
export CONVEX_MIGRATE_SYNC_CASES="${SYNC_CASES:-20000}"
export CONVEX_MIGRATE_FRAME_CASES="${FRAME_CASES:-200000}"
cargo test --release --locked -p convex-migrate --test fuzz -- --nocapture 2>&1 | grep -E "^fuzz:|panicked|crash|timeouts:|test result"
cargo test --locked -p convex-migrate --lib -- --nocapture \
    lsp::document::tests::document_equals_the_client_after_random_edits \
    lsp::framing::tests::random_streams_lose_no_well_formed_frame 2>&1 | grep -E "^document sync:|^frames:|panicked|test result"

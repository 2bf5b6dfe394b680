#!/usr/bin/env bash
# All the tests: the Rust crate (unit, rule fixtures, CLI and language-server tests on real git
# repositories), then the generated-code end-to-end suite (real convex package, tsc, convex-test).
# Each suite installs what it needs from the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
bash tests/e2e/run.sh

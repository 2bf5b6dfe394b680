#!/usr/bin/env bash
# All the tests: the Rust crate (unit, rule fixtures, CLI and language-server tests on real git
# repositories), the transactional apply under kills and races (tests/apply_kill.py, short), the
# generated-code end-to-end suite (real convex package, tsc, convex-test), the editor tests
# (VS Code extension, headless Neovim, the .vsix in code-server), the npm packages installed
# into a fresh Convex app (with the workflows linted), and the MCP server driven by the official
# MCP TypeScript client SDK.
# Each suite installs what it needs from the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
# plan --apply killed at random moments and raced by a concurrent writer (bounded: 20 + 20).
cargo build --release --locked -p convex-migrate
python3 tests/apply_kill.py target/release/convex-migrate --kills 20 --races 20
bash tests/e2e/run.sh
bash editors/test.sh
bash npm/test.sh
bash tests/mcp/run.sh

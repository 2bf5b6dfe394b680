#!/usr/bin/env bash
# All the tests: the Rust crate (unit, rule fixtures, CLI and language-server tests on real git
# repositories), the generated-code end-to-end suite (real convex package, tsc, convex-test), and
# the editor tests (VS Code extension, headless Neovim, the .vsix in code-server), and the npm
# packages installed into a fresh Convex app (with the workflows linted), and the MCP server driven by
# the official MCP TypeScript client SDK.
# Each suite installs what it needs from the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
bash tests/e2e/run.sh
bash editors/test.sh
bash npm/test.sh
bash tests/mcp/run.sh

#!/usr/bin/env bash
# Runs every test: installs what the tests need (the Python MCP peers, git), builds the
# package with its tests and fixtures, then `swift test`. Extra arguments go to swift test
# (e.g. `scripts/test.sh --filter InteropTests`).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash scripts/setup-system.sh
bash scripts/setup-peers.sh
swift build --build-tests
swift test --skip-build "$@"

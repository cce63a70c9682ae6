#!/usr/bin/env bash
# Runs every test: installs what the tests need (the Python MCP peers, git), builds the
# package with its tests and fixtures, then `swift test`; then builds the release binary the
# README's first command runs and checks it (scripts/check-release.sh). Extra arguments go to
# swift test (e.g. `scripts/test.sh --filter InteropTests`); with them, the release check is
# skipped (HANGAR_CHECK_RELEASE=1 runs it anyway).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash scripts/setup-system.sh
bash scripts/setup-peers.sh
swift build --build-tests
swift test --skip-build "$@"
if [[ $# -eq 0 || ${HANGAR_CHECK_RELEASE:-0} == 1 ]]; then bash scripts/check-release.sh; fi

#!/usr/bin/env bash
# Builds Hangar (release) if needed and runs it: `scripts/hangar.sh serve [--config FILE]`.
# With no arguments it runs `hangar serve` with the embedded defaults (127.0.0.1:8700,
# data in ~/.hangar). Everything it needs is the Swift toolchain already on the machine;
# Swift packages resolve from the local mirror.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash scripts/setup-system.sh
if [[ ! -x .build/release/hangar ]] || [[ -n $(find Sources Package.swift scripts/hot-functions.txt -newer .build/release/hangar -print -quit 2>/dev/null) ]]; then
  echo "hangar: building (release)..." >&2
  bash scripts/build-release.sh --product hangar >&2
fi
if [[ $# -eq 0 ]]; then set -- serve; fi
exec .build/release/hangar "$@"

#!/usr/bin/env bash
# Checks the release binary the README's first command runs: it is built by
# scripts/build-release.sh, answers a proxied tools/call, and has the hottest functions of
# scripts/hot-functions.txt laid out together. Run by scripts/test.sh after the tests (the
# tests themselves run the debug build).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
fail() { printf 'check-release: FAILED: %s\n' "$*" >&2; exit 1; }

bash scripts/build-release.sh --product hangar
bash scripts/build-release.sh --product hangar-fast-upstream
bin=.build/release

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '{"mcpServers": {"fast": {"command": "%s/%s/hangar-fast-upstream"}}}\n' "$repo" "$bin" > "$work/config.json"
out=$(HANGAR_DATA_DIR="$work/data" "$bin/hangar" call fast__echo --args '{"text":"laid out"}' --config "$work/config.json") \
  || fail "hangar call through the release binary: $out"
[[ $out == *"laid out"* ]] || fail "hangar call printed no echo: $out"

# The first 300 functions of the list sit on few pages: 60 of 4 KiB when the list was made,
# against 158 in a build without the layout (functions in the packages' and the runtime's
# archives that were compiled without a section each cannot move, so they count too).
read -r found pages < <(nm --defined-only "$bin/hangar" | python3 -c '
import sys
listed = [l.strip() for l in open("scripts/hot-functions.txt") if l.strip() and not l.startswith("#")][:300]
at = {}
for line in sys.stdin:
    f = line.split()
    if len(f) == 3 and f[1] in "tT": at[f[2]] = int(f[0], 16)
found = [at[s] for s in listed if s in at]
print(len(found), len({a >> 12 for a in found}))')
(( found >= 200 )) || fail "only $found of the first 300 listed hot functions are in the binary: run scripts/order-hot-functions.sh"
(( pages <= 110 )) || fail "the first $found hot functions lie on $pages pages: the layout of scripts/build-release.sh was not applied"
printf 'check-release: ok (the release hangar answers through its upstream; %d hot functions on %d pages)\n' "$found" "$pages" >&2

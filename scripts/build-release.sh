#!/usr/bin/env bash
# Builds release products with Hangar's code layout: `scripts/build-release.sh --product hangar`.
# Any `swift build` arguments pass through; the products land in .build/release as usual.
#
# Between two calls to a Python upstream, Hangar's code goes cold: the upstream's millisecond of
# work evicts it from the caches and the TLB, and each proxied call then costs several times what
# it costs back to back. Three link choices make the code that runs on every call smaller and
# denser, so less of it is fetched again each time:
#   --static-swift-stdlib   the Swift runtime and Foundation are linked in: no calls through the
#                           PLT, no __tls_get_addr, and their hot functions can be laid out too;
#   -function-sections      every function (ours and the packages') gets its own section, so the
#                           linker can place it, and --gc-sections can drop what is never called;
#   lld with scripts/hot-functions.txt
#                           the functions a proxied call runs are laid out together, first in
#                           .text: the 1,410 listed when it was made lie on 195 pages of 4 KiB,
#                           against 406 pages for the 994 of them a plain build has, over 21 MB.
# The list is made by scripts/order-hot-functions.sh; a name that is no longer in the binary is
# skipped, so a stale list costs speed, never correctness. The measured effect is in the README
# (Code layout). A plain `swift build -c release` still builds a working Hangar, without this.
#
# Every release build here should use this script: `swift build` recompiles everything when its
# flags change, so mixing the two in one .build directory rebuilds all packages each time.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# A new list changes no input swift build watches: drop the binary it lays out, to relink it.
if [[ scripts/hot-functions.txt -nt .build/release/hangar ]]; then rm -f .build/release/hangar; fi
exec swift build -c release --static-swift-stdlib \
  -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
  -Xswiftc -use-ld=lld \
  -Xlinker "--symbol-ordering-file=$repo/scripts/hot-functions.txt" -Xlinker --no-warn-symbol-ordering \
  "$@"

#!/usr/bin/env bash
# Installs the Debian packages Hangar builds and sandboxes with, when they are missing:
#   libsqlite3-dev  the store (GRDB links the system SQLite)
#   bubblewrap      namespaces for hosted servers (the sandbox's main layer)
#   util-linux      setpriv and prlimit
#   python3-venv    Debian's python3 with venv/ensurepip: servers installed from PyPI get a venv
#                   on it (its interpreter sits in /usr, which the sandbox mounts read-only)
#   zlib1g-dev      gzip and zip for uploaded server archives
# Idempotent and quick when everything is there. HANGAR_NO_APT=1 only reports what is missing.
set -euo pipefail

log() { printf 'setup-system: %s\n' "$*" >&2; }

need=()
dpkg -s libsqlite3-dev >/dev/null 2>&1 || need+=(libsqlite3-dev)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
{ [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1; } || need+=(python3-venv)
dpkg -s zlib1g-dev >/dev/null 2>&1 || need+=(zlib1g-dev)
{ command -v setpriv >/dev/null 2>&1 && command -v prlimit >/dev/null 2>&1; } || need+=(util-linux)

if [[ ${#need[@]} -eq 0 ]]; then exit 0; fi
if [[ ${HANGAR_NO_APT:-0} == 1 ]]; then log "missing: ${need[*]} (HANGAR_NO_APT=1: not installing)"; exit 0; fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
log "installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2 || log "apt-get update failed; trying the install anyway"
$sudo apt-get install -y -qq "${need[@]}" >/dev/null

#!/usr/bin/env bash
# Creates the Python venvs of the real MCP peers that interop tests and benchmarks run
# (facts about them: shared/PEERS.md). Idempotent: each venv keeps a stamp of what was
# asked for, and a venv whose stamp matches is left alone, so a second run takes well
# under a second.
#
#   HANGAR_PEERS_DIR     where the venvs go (default: <repo>/.peers)
#   HANGAR_PEERS_PYTHON  the interpreter to build them with (default: /usr/bin/python3;
#                        hosted servers run in a sandbox that cannot see a pyenv under /root)
#   HANGAR_PEERS_FORCE=1 rebuild every venv
#
# Venvs: main   = mcp 2.x, fastmcp 4.x, mcp-server-time/git/fetch, mcpcheck
#        legacy = mcp 1.x and mcp-server-sqlite (which crashes on mcp 2.x)
#        proxy  = mcp-proxy (pins mcp 1.x)
# Top-level packages are pinned; the full set each one resolved to is pinned through a
# constraints file, so every machine gets the same bytes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
peers_dir=${HANGAR_PEERS_DIR:-$repo/.peers}
py=${HANGAR_PEERS_PYTHON:-/usr/bin/python3}
force=${HANGAR_PEERS_FORCE:-0}

log() { printf 'setup-peers: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- what each venv holds --------------------------------------------------------------

req_main='mcp==2.3.0 fastmcp==4.1.2 mcp-server-time==2026.10.19 mcp-server-git==2026.10.19
mcp-server-fetch==2026.10.24 jbt-mcpcheck==0.1.1'
req_legacy='mcp[cli]==1.30.0 mcp-server-sqlite==2025.4.25'
req_proxy='mcp-proxy==0.13.0'

# pip freeze of each venv as first built (Python 3.11, Linux x86_64).
con_main='aiofile==3.12.3 annotated-types==0.8.0 anyio==4.16.0 attrs==26.1.0 Authlib==1.9.9
backports.tarfile==1.2.0 beartype==0.23.1 beautifulsoup4==4.15.0 cachetools==8.0.1
caio==0.12.10 certifi==2026.10.18 cffi==2.1.1 charset-normalizer==3.5.2 click==8.5.1
cryptography==50.0.2 cyclopts==5.4.0 dnspython==2.9.2 docstring_parser==0.18.0
email-validator==2.4.0 exceptiongroup==1.3.1 fastmcp==4.1.2 fastmcp-slim==4.1.2
gitdb==4.0.12 GitPython==3.2.1 griffelib==2.4.1 h11==0.16.0 html5lib==1.1
httpcore==1.0.9 httpcore2==2.16.2 httpx==0.28.1 httpx2==2.16.2 idna==3.20
importlib_metadata==10.2.0 jaraco.classes==3.4.0 jaraco.context==6.1.2
jaraco.functools==4.6.0 jbt-mcpcheck==0.1.1 jeepney==0.9.0 joserfc==1.8.0 jsonref==1.1.0
jsonschema==4.26.0 jsonschema-path==0.5.0 jsonschema-specifications==2025.9.1
keyring==25.7.0 lazy-importer==0.1.0 lxml==6.1.3 markdown-it-py==4.3.0
markdownify==1.2.3 mcp==2.3.0 mcp-server-fetch==2026.10.24 mcp-server-git==2026.10.19
mcp-server-time==2026.10.19 mcp-types==2.3.0 mdurl==0.1.2 more-itertools==11.2.1
openapi-pydantic==0.6.0 opentelemetry-api==1.45.2 packaging==26.3 pathable==0.6.0
platformdirs==4.14.7 Protego==0.7.0 py-key-value-aio==0.4.6 pycparser==3.12
pydantic==2.14.3 pydantic-settings==2.16.3 pydantic_core==2.50.4 Pygments==2.21.0
PyJWT==2.15.1 pyperclip==1.11.0 python-dotenv==1.2.4 python-multipart==0.0.34
PyYAML==6.0.3 readabilipy==0.3.0 referencing==0.37.0 regex==2026.11.15 requests==2.34.2
rich==15.0.0 rich-rst==2.2.0 rpds-py==2026.9.1 SecretStorage==3.5.0 six==1.17.0
smmap==5.0.3 socksio==1.0.0 soupsieve==2.10 sse-starlette==3.7.0 starlette==1.10.0
truststore==0.10.5 typing-inspection==0.4.5 typing_extensions==4.16.0 tzdata==2026.6
tzlocal==5.4.5 uncalled-for==0.6.1 urllib3==2.8.0 uvicorn==0.54.0 watchfiles==1.3.0
webencodings==0.6.1 websockets==17.4 zipp==4.1.2'
con_legacy='annotated-doc==0.0.7 annotated-types==0.8.0 anyio==4.16.0 attrs==26.1.0
certifi==2026.10.18 cffi==2.1.1 click==8.5.1 cryptography==50.0.2 h11==0.16.0
httpcore==1.0.9 httpx==0.28.1 httpx-sse==0.4.3 idna==3.20 jsonschema==4.26.0
jsonschema-specifications==2025.9.1 markdown-it-py==4.3.0 mcp==1.30.0
mcp-server-sqlite==2025.4.25 mdurl==0.1.2 pycparser==3.12 pydantic==2.14.3
pydantic-settings==2.16.3 pydantic_core==2.50.4 Pygments==2.21.0 PyJWT==2.15.1
python-dotenv==1.2.4 python-multipart==0.0.34 referencing==0.37.0 rich==15.0.0
rpds-py==2026.9.1 shellingham==1.5.4 sse-starlette==3.7.0 starlette==1.10.0
typer==0.29.2 typing-inspection==0.4.5 typing_extensions==4.16.0 uvicorn==0.54.0'
con_proxy='annotated-types==0.8.0 anyio==4.16.0 attrs==26.1.0 certifi==2026.10.18 cffi==2.1.1
click==8.5.1 cryptography==50.0.2 h11==0.16.0 httpcore==1.0.9 httpx==0.28.1
httpx-sse==0.4.3 httpx_auth==0.23.1 idna==3.20 jsonschema==4.26.0
jsonschema-specifications==2025.9.1 mcp==1.30.0 mcp-proxy==0.13.0 pycparser==3.12
pydantic==2.14.3 pydantic-settings==2.16.3 pydantic_core==2.50.4 PyJWT==2.15.1
python-dotenv==1.2.4 python-multipart==0.0.34 referencing==0.37.0 rpds-py==2026.9.1
sse-starlette==3.7.0 starlette==1.10.0 typing-inspection==0.4.5
typing_extensions==4.16.0 uvicorn==0.54.0'

# --- system packages (only when missing) -----------------------------------------------

apt_updated=0
apt_install() {
    [ "$(id -u)" = 0 ] || die "need root to apt-get install $*"
    if [ "$apt_updated" = 0 ]; then
        log "apt-get update"
        apt-get update -qq >/dev/null
        apt_updated=1
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v git >/dev/null 2>&1; then
    apt_install git
else
    log "git: $(command -v git)"
fi

# --- venvs -----------------------------------------------------------------------------

stamp_of() { # name -> the text its stamp must hold
    local req="req_$1" con="con_$1"
    printf 'python=%s\nrequirements=%s\nconstraints=%s\n' "$py" "${!req}" "${!con}"
}

is_current() { # name -> 0 when the venv exists, works and matches its stamp
    local venv="$peers_dir/$1"
    [ "$force" != 1 ] || return 1
    [ -f "$venv/.hangar-stamp" ] && [ -x "$venv/bin/python" ] || return 1
    [ "$(cat "$venv/.hangar-stamp")" = "$(stamp_of "$1")" ] || return 1
    "$venv/bin/python" -c '' 2>/dev/null
}

ensure_python() {
    if [ ! -x "$py" ]; then
        [ "$py" = /usr/bin/python3 ] || die "$py not found"
        apt_install python3 python3-venv
    fi
    # Debian strips ensurepip from python3 unless python3-venv (or python3.X-venv) is there.
    if ! "$py" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        [ "$py" = /usr/bin/python3 ] || die "$py cannot make venvs (no ensurepip)"
        local minor
        minor=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        apt_install python3-venv || apt_install "python$minor-venv"
        "$py" -c 'import ensurepip, venv' >/dev/null 2>&1 || die "$py still cannot make venvs"
    fi
}

build() { # name
    local name=$1 venv="$peers_dir/$1" req="req_$1" con="con_$1" t0=$SECONDS
    log "$name: building in $venv"
    rm -rf "$venv"
    "$py" -m venv "$venv"
    local -a reqs cons
    read -r -d '' -a reqs <<<"${!req}" || true   # word-split without globbing mcp[cli]
    read -r -d '' -a cons <<<"${!con}" || true
    printf '%s\n' "${cons[@]}" >"$venv/constraints.txt"
    "$venv/bin/pip" install --quiet --no-input --disable-pip-version-check \
        -c "$venv/constraints.txt" "${reqs[@]}" >"$venv/pip.log" 2>&1 \
        || { tail -n 20 "$venv/pip.log" >&2; die "$name: pip install failed (log: $venv/pip.log)"; }
    stamp_of "$name" >"$venv/.hangar-stamp"
    log "$name: ready in $((SECONDS - t0)) s"
}

mkdir -p "$peers_dir"
todo=()
for name in main legacy proxy; do
    if is_current "$name"; then
        log "$name: up to date"
    else
        todo+=("$name")
    fi
done

if [ "${#todo[@]}" -gt 0 ]; then
    ensure_python
    # The venvs are independent: build them side by side (mostly waiting on downloads).
    pids=()
    for name in "${todo[@]}"; do
        build "$name" &
        pids+=("$!")
    done
    failed=0
    for pid in "${pids[@]}"; do
        wait "$pid" || failed=1
    done
    [ "$failed" = 0 ] || die "some venvs failed to build"
fi

log "peers ready in $peers_dir"

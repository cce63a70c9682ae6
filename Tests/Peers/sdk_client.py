#!/usr/bin/env python3
"""Drive the official MCP Python SDK client (`mcp` 2.x `Client`) against one target.

  sdk_client.py [--mode auto|legacy] [--timeout S] (--url URL [--header K=V ...] | --stdio) OPERATION [-- CMD ARGS...]

  OPERATION: --list-tools | --call NAME [--args JSON] | --list-resources
             | --read-resource URI | --list-prompts | --get-prompt NAME [--args JSON]

With --stdio, everything after `--` is the server command line.

Prints ONE JSON document to stdout and exits 0:
  {"protocolVersion": "<negotiated>", "result": <result as plain JSON>}
or, on failure, exits 1 with:
  {"error": "<message>", "type": "<exception class>"[, "code": <JSON-RPC code>]}

Runs with the `main` peer venv from scripts/setup-peers.sh.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, NoReturn

import anyio


def _split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, []


class _Parser(argparse.ArgumentParser):
    """Usage errors are failures too: report them as the one JSON document."""

    def error(self, message: str) -> NoReturn:
        print(json.dumps({"error": f"usage: {message}", "type": "UsageError"}), flush=True)
        sys.exit(1)


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    own, command = _split_command(argv)
    p = _Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=["auto", "legacy"], default="auto")
    p.add_argument("--timeout", type=float, default=None, help="read timeout per request, seconds")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--url")
    target.add_argument("--stdio", action="store_true")
    p.add_argument("--header", action="append", default=[], metavar="K=V")
    op = p.add_mutually_exclusive_group(required=True)
    op.add_argument("--list-tools", action="store_true")
    op.add_argument("--call", metavar="NAME")
    op.add_argument("--list-resources", action="store_true")
    op.add_argument("--read-resource", metavar="URI")
    op.add_argument("--list-prompts", action="store_true")
    op.add_argument("--get-prompt", metavar="NAME")
    p.add_argument("--args", default=None, metavar="JSON")
    ns = p.parse_args(own)
    if ns.stdio and not command:
        p.error("--stdio needs a server command after --")
    if ns.header and not ns.url:
        p.error("--header only applies to --url")
    return ns, command


def _target(ns: argparse.Namespace, command: list[str]) -> Any:
    if ns.stdio:
        from mcp.client.stdio import StdioServerParameters

        return StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    if not ns.header:
        return ns.url
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    headers: dict[str, str] = {}
    for item in ns.header:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--header expects K=V, got {item!r}")
        headers[key] = value
    return streamable_http_client(ns.url, http_client=create_mcp_http_client(headers=headers))


async def _run(ns: argparse.Namespace, command: list[str]) -> dict[str, Any]:
    from mcp import Client

    args = json.loads(ns.args) if ns.args is not None else None
    if args is not None and not isinstance(args, dict):
        raise ValueError("--args must be a JSON object")
    async with Client(_target(ns, command), mode=ns.mode, read_timeout_seconds=ns.timeout) as client:
        if ns.list_tools:
            result = await client.list_tools()
        elif ns.call is not None:
            result = await client.call_tool(ns.call, args or {})
        elif ns.list_resources:
            result = await client.list_resources()
        elif ns.read_resource is not None:
            result = await client.read_resource(ns.read_resource)
        elif ns.list_prompts:
            result = await client.list_prompts()
        else:
            result = await client.get_prompt(ns.get_prompt, {k: str(v) for k, v in (args or {}).items()})
        return {
            "protocolVersion": client.protocol_version,
            "result": result.model_dump(mode="json", by_alias=True, exclude_none=True),
        }


def _leaf(exc: BaseException) -> BaseException:
    """The first real error inside (nested) exception groups from anyio task groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def main() -> int:
    ns, command = _parse(sys.argv[1:])
    try:
        doc = anyio.run(_run, ns, command)
    except Exception as e:  # noqa: BLE001 - report anything as one JSON document
        err = _leaf(e)
        out: dict[str, Any] = {"error": str(err) or repr(err), "type": type(err).__name__}
        code = getattr(getattr(err, "error", None), "code", None)
        if isinstance(code, int):
            out["code"] = code
        print(json.dumps(out), flush=True)
        return 1
    print(json.dumps(doc), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

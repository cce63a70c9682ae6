#!/usr/bin/env python3
"""A small FastMCP (4.x) server that Hangar's tests run as a real upstream.

Tools:     echo(text) -> text, add(a, b) -> a + b, sleep(seconds) -> "slept N",
           client_capabilities() -> the capabilities the request's client declared
Resource:  memo://hello  ("hello from fastmcp")
Prompt:    greet(name)

  fastmcp_server.py --transport stdio
  fastmcp_server.py --transport http [--host 127.0.0.1] [--port 0] [--stateless] [--json-response]

In http mode the endpoint is /mcp, and once the server answers HTTP the script
prints exactly one line to stdout, `READY http://HOST:PORT/mcp`, then nothing
else (logs go to stderr). --port 0 picks a free port. Runs with the `main` peer
venv from scripts/setup-peers.sh.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys

# No network, no banner: set before fastmcp reads its settings.
os.environ.setdefault("FASTMCP_CHECK_FOR_UPDATES", "off")
os.environ.setdefault("FASTMCP_SHOW_SERVER_BANNER", "false")
os.environ.setdefault("FASTMCP_LOG_LEVEL", "WARNING")

from fastmcp import Context, FastMCP  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402

mcp = FastMCP("hangar-test-fastmcp")


@mcp.tool
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


@mcp.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@mcp.tool
async def sleep(seconds: float) -> str:
    """Sleep asynchronously (for cancellation and timeout tests)."""
    await asyncio.sleep(seconds)
    return f"slept {seconds}"


@mcp.tool
def client_capabilities(ctx: Context) -> dict:
    """The capabilities this request's client declared (what a gateway passes on)."""
    declared = ctx.session.client_capabilities
    return declared.model_dump(mode="json", by_alias=True, exclude_none=True) if declared is not None else {}


@mcp.resource("memo://hello", mime_type="text/plain")
def hello_memo() -> str:
    """A static memo."""
    return "hello from fastmcp"


@mcp.prompt
def greet(name: str) -> str:
    """Greet someone by name."""
    return f"Hello, {name}! Welcome to Hangar."


@mcp.custom_route("/healthz", methods=["GET"])
async def healthz(_: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def _wait_until_answering(host: str, port: int, server: asyncio.Task[None]) -> None:
    """Poll GET /healthz until the server answers HTTP (or the server task dies)."""
    while not server.done():
        try:
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
                await writer.drain()
                status = await asyncio.wait_for(reader.readline(), timeout=2)
            finally:
                writer.close()
            if status.startswith(b"HTTP/1.1 200"):
                return
        except (OSError, asyncio.TimeoutError):
            pass
        await asyncio.sleep(0.02)


async def _serve_http(host: str, port: int, stateless: bool, json_response: bool) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    port = sock.getsockname()[1]

    # Only the READY line may reach stdout: point everything else (uvicorn's loggers
    # resolve ext://sys.stdout when configured) at stderr.
    ready_out = sys.stdout
    sys.stdout = sys.stderr

    server = asyncio.create_task(
        mcp.run_http_async(
            transport="http",
            host=host,
            port=port,
            path="/mcp",
            show_banner=False,
            log_level="WARNING",
            stateless_http=stateless,
            json_response=json_response,
            uvicorn_config={"access_log": False},
            sockets=[sock],
        )
    )
    await _wait_until_answering(host, port, server)
    if not server.done():
        display = f"[{host}]" if ":" in host else host
        ready_out.write(f"READY http://{display}:{port}/mcp\n")
        ready_out.flush()
    await server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--stateless", action="store_true", help="http: stateless mode (no sessions)")
    parser.add_argument("--json-response", action="store_true", help="http: JSON bodies instead of SSE")
    args = parser.parse_args()

    if args.transport == "stdio":
        mcp.run("stdio", show_banner=False, log_level="WARNING")
        return
    try:
        asyncio.run(_serve_http(args.host, args.port, args.stateless, args.json_response))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

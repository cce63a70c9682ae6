#!/usr/bin/env python3
"""A minimal legacy (2025-06-18) stdio MCP server on Python's standard library only, so it runs
under Debian's /usr/bin/python3 inside Hangar's sandbox (the upload tests package it).
Tool: hello() -> "hello from an uploaded package"
"""

import json
import sys

for line in sys.stdin:
    message = json.loads(line)
    method, mid = message.get("method"), message.get("id")
    if mid is None:
        continue
    if method == "initialize":
        reply = {"result": {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                            "serverInfo": {"name": "stdio-stdlib", "version": "1.0"}}}
    elif method == "ping":
        reply = {"result": {}}
    elif method == "tools/list":
        reply = {"result": {"tools": [{"name": "hello", "description": "Greets",
                                       "inputSchema": {"type": "object", "properties": {}}}]}}
    elif method == "tools/call":
        reply = {"result": {"content": [{"type": "text", "text": "hello from an uploaded package"}]}}
    else:
        reply = {"error": {"code": -32601, "message": f"Method not found: {method}"}}
    reply.update({"jsonrpc": "2.0", "id": mid})
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()

#!/usr/bin/env python3
"""A minimal legacy (2025-06-18) Streamable HTTP MCP server on Python's standard library only,
so it runs under Debian's /usr/bin/python3 inside Hangar's sandbox. It listens on 127.0.0.1:$PORT
at /mcp (JSON responses, no sessions) and offers one tool: whoami() -> "served over HTTP on port N".
"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ["PORT"])


def answer(message):
    method, mid = message.get("method"), message.get("id")
    if mid is None:
        return None
    if method == "initialize":
        result = {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                  "serverInfo": {"name": "http-stdlib", "version": "1.0"}}
    elif method == "ping":
        result = {}
    elif method == "tools/list":
        result = {"tools": [{"name": "whoami", "description": "Says how it is served",
                             "inputSchema": {"type": "object", "properties": {}}}]}
    elif method == "tools/call" and message.get("params", {}).get("name") == "whoami":
        result = {"content": [{"type": "text", "text": f"served over HTTP on port {PORT}"}]}
    else:
        return {"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": f"Method not found: {method}"}}
    return {"jsonrpc": "2.0", "id": mid, "result": result}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/mcp":
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        reply = answer(json.loads(body))
        if reply is None:
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


print(f"http-stdlib listening on 127.0.0.1:{PORT}", flush=True, file=__import__("sys").stderr)
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()

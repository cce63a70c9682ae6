#!/usr/bin/env python3
"""A legacy MCP server on Python's standard library that writes its tools/call results as
literal text, so a test can see whether Hangar passes a result on as written.
Tools: exact (a 20-digit integer, 1.50 and a \\u escape), repeated (a repeated key).

  raw_result_server.py                 stdio
  raw_result_server.py --http [--sse]  Streamable HTTP on 127.0.0.1, a free port; prints
                                       `READY http://127.0.0.1:PORT/mcp`; answers calls as a
                                       JSON body, or with --sse as an event stream
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESULTS = {
    "exact": '{"content":[{"type":"text","text":"caf\\u00e9"}],"structuredContent":{"big":12345678901234567890,"price":1.50},"isError":false}',
    "repeated": '{"content":[],"structuredContent":{"a":1,"a":2}}',
}
TOOLS = [{"name": name, "inputSchema": {"type": "object"}} for name in RESULTS]


def answer(message):
    """The reply line to a message, or None for a notification."""
    method, mid = message.get("method"), message.get("id")
    if mid is None:
        return None
    if method == "tools/call":
        return '{"jsonrpc":"2.0","id":%s,"result":%s}' % (json.dumps(mid), RESULTS[message["params"]["name"]])
    if method == "initialize":
        reply = {"result": {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                            "serverInfo": {"name": "raw-result", "version": "1.0"}}}
    elif method == "tools/list":
        reply = {"result": {"tools": TOOLS}}
    else:
        reply = {"error": {"code": -32601, "message": f"Method not found: {method}"}}
    reply.update({"jsonrpc": "2.0", "id": mid})
    return json.dumps(reply)


class Handler(BaseHTTPRequestHandler):
    sse = False

    def do_POST(self):
        message = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        line = answer(message)
        if line is None:
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        streamed = self.sse and message.get("method") == "tools/call"
        data = (f"event: message\ndata: {line}\n\n" if streamed else line).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream" if streamed else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


if "--http" in sys.argv:
    Handler.sse = "--sse" in sys.argv
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"READY http://127.0.0.1:{server.server_address[1]}/mcp", flush=True)
    server.serve_forever()
else:
    for text in sys.stdin:
        line = answer(json.loads(text))
        if line is not None:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

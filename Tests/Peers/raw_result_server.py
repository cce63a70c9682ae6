#!/usr/bin/env python3
"""A legacy stdio MCP server on Python's standard library that writes its tools/call results as
literal text, so a test can see whether Hangar passes a result on as written.
Tools: exact (a 20-digit integer, 1.50 and a \\u escape), repeated (a repeated key).
"""

import json
import sys

RESULTS = {
    "exact": '{"content":[{"type":"text","text":"caf\\u00e9"}],"structuredContent":{"big":12345678901234567890,"price":1.50},"isError":false}',
    "repeated": '{"content":[],"structuredContent":{"a":1,"a":2}}',
}
TOOLS = [{"name": name, "inputSchema": {"type": "object"}} for name in RESULTS]

for line in sys.stdin:
    message = json.loads(line)
    method, mid = message.get("method"), message.get("id")
    if mid is None:
        continue
    if method == "tools/call":
        text = RESULTS[message["params"]["name"]]
        sys.stdout.write('{"jsonrpc":"2.0","id":%s,"result":%s}\n' % (json.dumps(mid), text))
        sys.stdout.flush()
        continue
    if method == "initialize":
        reply = {"result": {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                            "serverInfo": {"name": "raw-result", "version": "1.0"}}}
    elif method == "tools/list":
        reply = {"result": {"tools": TOOLS}}
    else:
        reply = {"error": {"code": -32601, "message": f"Method not found: {method}"}}
    reply.update({"jsonrpc": "2.0", "id": mid})
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()

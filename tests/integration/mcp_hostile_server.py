#!/usr/bin/env python3
"""A misbehaving stdio MCP server for ccodex's robustness tests. It completes the handshake
normally and declares the tools `ok`, `flood`, `spew`, `hang`, `invalid` and `die`:
  ok       answers {"content":[{"type":"text","text":"fine"}]}
  flood    first writes 2000 notifications, a 20 MiB line and 500 lines that are not JSON, then
           answers like `ok` (the client must drain and survive it)
  spew     writes bytes without a newline forever and never answers
  hang     never answers
  invalid  answers with a message that is neither a result nor an error, after a non-JSON line
  die      exits in the middle of the call
With --ignore-term it ignores SIGTERM (the client must still end it)."""
import json, os, signal, sys

if "--ignore-term" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
out = sys.stdout.buffer


def send(obj):
    out.write((json.dumps(obj) + "\n").encode())
    out.flush()


TOOLS = [{"name": n, "description": n, "inputSchema": {"type": "object", "properties": {}}}
         for n in ("ok", "flood", "spew", "hang", "invalid", "die")]

for raw in sys.stdin.buffer:
    try:
        msg = json.loads(raw)
    except ValueError:
        continue
    mid, method = msg.get("id"), msg.get("method")
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": mid, "result": {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                                                        "serverInfo": {"name": "hostile", "version": "1"}}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": mid, "result": {"tools": TOOLS}})
    elif method == "tools/call":
        name = msg["params"]["name"]
        if name == "flood":
            for i in range(2000):
                send({"jsonrpc": "2.0", "method": "notifications/progress",
                      "params": {"progressToken": 1, "progress": i}})
            out.write(b'{"jsonrpc":"2.0","method":"x","params":"' + b"A" * (20 << 20) + b'"}\n')
            for i in range(500):
                out.write(b"this is not json at all\n")
            out.flush()
        if name in ("ok", "flood"):
            send({"jsonrpc": "2.0", "id": mid, "result": {"content": [{"type": "text", "text": "fine"}]}})
        elif name == "spew":
            chunk = b"x" * 65536
            try:
                while True:
                    out.write(chunk)
                    out.flush()
            except BrokenPipeError:
                sys.exit(0)
        elif name == "invalid":
            out.write(b"{not json\n")
            send({"jsonrpc": "2.0", "id": mid})
        elif name == "die":
            os._exit(7)
    elif mid is not None:
        send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": "nope"}})

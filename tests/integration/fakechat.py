#!/usr/bin/env python3
"""A scripted fake Chat Completions backend for the responses-server tests (stdlib only).

Entry k of the script answers the k-th POST to .../chat/completions. An entry is a list of chunk
dicts (each sent as one `data:` event, then `data: [DONE]`) or an object with any of:
  chunks         the chunk dicts
  done           send [DONE] at the end (default true)
  status, body   answer with this HTTP status and body instead of a stream
  headers        extra response headers (e.g. Retry-After) with status
  drop_after     close the connection after this many chunks (no [DONE])
  interval       seconds to wait between chunks
Requests are recorded as OUT/chat-NNN.json ({"path","headers","body"}); when the client goes
away while a stream is being written, OUT/chat-NNN.gone holds the time it was noticed.
GET .../models answers {"object":"list","data":[{"id":"fake-model"}]}.
Usable as a module: start(script, out_dir) -> (port, stop_function).
"""
import json, os, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def chunk(delta=None, finish=None, usage=None, choices=True):
    c = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "fake-model"}
    c["choices"] = [{"index": 0, "delta": delta or {}, "finish_reason": finish}] if choices else []
    if usage is not None:
        c["usage"] = usage
    return c


def text(t):
    return chunk({"content": t})


def reasoning(t, key="reasoning_content"):
    return chunk({key: t})


def tool_call(index, name=None, args="", call_id=None):
    tc = {"index": index, "type": "function", "function": {"arguments": args}}
    if name:
        tc["function"]["name"] = name
    if call_id:
        tc["id"] = call_id
    return chunk({"tool_calls": [tc]})


def finish(reason="stop"):
    return chunk(finish=reason)


def usage(prompt=11, completion=7, cached=3, reasoning_tokens=2):
    return chunk(choices=False, usage={"prompt_tokens": prompt, "completion_tokens": completion,
                                       "total_tokens": prompt + completion,
                                       "prompt_tokens_details": {"cached_tokens": cached},
                                       "completion_tokens_details": {"reasoning_tokens": reasoning_tokens}})


class State:
    def __init__(self, script, out):
        self.script = script
        self.out = out
        self.lock = threading.Lock()
        self.posts = 0


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, status, body, ctype="application/json", headers=None):
            data = body.encode()
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path.rstrip("/").endswith("/models"):
                self.reply(200, json.dumps({"object": "list", "data": [{"id": "fake-model", "object": "model"}]}))
            else:
                self.reply(404, json.dumps({"error": {"message": "not found"}}))

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            with state.lock:
                k = state.posts
                state.posts += 1
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            rec = {"path": self.path, "headers": {h.lower(): v for h, v in self.headers.items()}, "body": body}
            with open(os.path.join(state.out, f"chat-{k + 1:03d}.json"), "w") as f:
                json.dump(rec, f)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self.reply(404, json.dumps({"error": {"message": "not found"}}))
                return
            entry = state.script[k] if k < len(state.script) else [text("DONE"), finish()]
            if isinstance(entry, list):
                entry = {"chunks": entry}
            if entry.get("status"):
                self.reply(entry["status"], entry.get("body", json.dumps({"error": {"message": "scripted failure"}})),
                           headers=entry.get("headers"))
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for i, c in enumerate(entry.get("chunks", [])):
                    if entry.get("drop_after") is not None and i >= entry["drop_after"]:
                        self.close_connection = True
                        return
                    self.wfile.write(f"data: {json.dumps(c)}\n\n".encode())
                    self.wfile.flush()
                    if entry.get("interval"):
                        time.sleep(entry["interval"])
                if entry.get("done", True):
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                with open(os.path.join(state.out, f"chat-{k + 1:03d}.gone"), "w") as f:
                    f.write(repr(time.monotonic()))
            self.close_connection = True

    return Handler


def start(script, out):
    os.makedirs(out, exist_ok=True)
    state = State(script, out)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()

    def stop():
        srv.shutdown()
        srv.server_close()

    return srv.server_address[1], stop

#!/usr/bin/env python3
"""A scripted fake Responses API server for ccodex's tests (stdlib only).

Entry k of the script answers the k-th POST to .../responses. An entry is a list of output items
(message / function_call / custom_tool_call / reasoning dicts; a message may give "text") or an
object with any of:
  items              the output items
  deltas             split each message's text into this many output_text deltas
  status             answer with this HTTP status and a JSON error body instead of a stream
  retry_after        the Retry-After header to send with `status`
  drop_after_events  close the connection after this many SSE events
  stall_after_events stop sending (keep the socket open) after this many events, for `stall_seconds`
  raw                send this text as the SSE body verbatim (malformed streams)
  failed             end with response.failed carrying this message
  delay              wait this many seconds before the first event
  usage              fields merged over the default usage of response.completed
  {{agent_id}}       anywhere in an entry: the agent_id of the latest spawn_agent output the
                     request carries
  lane               "subagent": this entry answers only requests that carry the
                     x-openai-subagent header (sub-agents), in their own order; other entries
                     answer only the main agent's requests
Requests are recorded as OUT/request-NNN.json. Binds 127.0.0.1 only; exits after --timeout seconds.
Usable as a module: start(script, out_dir) -> (port, stop_function).
"""
import argparse, json, os, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self, script, out):
        self.script = script
        self.out = out
        self.lock = threading.Lock()
        self.posts = 0
        self.recorded = 0
        self.connections = 0
        self.lane_posts = {}


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def setup(self):
            super().setup()
            with state.lock:
                state.connections += 1

        def record(self, body):
            with state.lock:
                state.recorded += 1
                n = state.recorded
            rec = {"arrival": time.monotonic(), "method": self.command, "path": self.path,
                   "headers": {k.lower(): v for k, v in self.headers.items()}}
            try:
                rec["body"] = json.loads(body) if body else None
            except ValueError:
                rec["body_raw"] = body.decode("utf-8", "replace")
            with open(os.path.join(state.out, f"request-{n:03d}.json"), "w") as f:
                json.dump(rec, f, indent=2, ensure_ascii=False)

        def send_json(self, status, obj, extra=()):
            payload = json.dumps(obj).encode()
            self.send_response(status)
            for k, v in extra:
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):
            self.record(b"")
            self.send_json(200, {"object": "list", "data": [{"id": "gpt-5.1-codex", "object": "model"}]})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            self.record(body)
            if not self.path.rstrip("/").endswith("/responses"):
                self.send_json(404, {"error": {"message": "not found"}})
                return
            sub = self.headers.get("x-openai-subagent") is not None
            with state.lock:
                k = state.posts
                state.posts += 1
                lane = [e for e in state.script
                        if isinstance(e, dict) and e.get("lane") == "subagent"] if sub else \
                       [e for e in state.script
                        if not (isinstance(e, dict) and e.get("lane") == "subagent")]
                n = state.lane_posts.get(sub, 0)
                state.lane_posts[sub] = n + 1
            entry = lane[n] if n < len(lane) else [{"type": "message", "text": "DONE"}]
            if isinstance(entry, list):
                entry = {"items": entry}
            if entry.get("status"):
                extra = []
                if entry.get("retry_after") is not None:
                    extra.append(("Retry-After", str(entry["retry_after"])))
                self.send_json(entry["status"], {"error": {"message": entry.get("message", "scripted failure"),
                                                           "type": "server_error"}}, extra)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            if "{{agent_id}}" in json.dumps(entry):
                entry = fill_agent_id(entry, body)
            try:
                self.stream(k, entry)
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                with open(os.path.join(state.out, f"response-{k + 1:03d}.end"), "w") as f:
                    f.write(repr(time.monotonic()))
            except OSError:
                pass  # the test already cleaned up
            self.close_connection = True

        def stream(self, k, entry):
            if "raw" in entry:
                self.wfile.write(entry["raw"].encode())
                self.wfile.flush()
                return
            count = [0]
            drop = entry.get("drop_after_events")
            stall = entry.get("stall_after_events")

            def sse(kind, data):
                if drop is not None and count[0] >= drop:
                    raise BrokenPipeError()
                if stall is not None and count[0] >= stall:
                    time.sleep(entry.get("stall_seconds", 30))
                    raise BrokenPipeError()
                data = dict(data, type=kind)
                self.wfile.write(f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode())
                self.wfile.flush()
                count[0] += 1

            if entry.get("delay"):
                time.sleep(entry["delay"])
            rid = f"resp_{k}"
            sse("response.created", {"response": {"id": rid, "status": "in_progress"}})
            for i, item in enumerate(entry.get("items", [])):
                item = dict(item)
                item.setdefault("id", f"item_{k}_{i}")
                if item["type"] == "message":
                    item.setdefault("role", "assistant")
                    item.setdefault("status", "completed")
                    text = item.pop("text", None)
                    if text is not None:
                        item["content"] = [{"type": "output_text", "text": text, "annotations": []}]
                    sse("response.output_item.added", {"output_index": i, "item": dict(item, content=[])})
                    full = item["content"][0]["text"]
                    n = max(1, int(entry.get("deltas", 1)))
                    step = max(1, -(-len(full) // n))
                    pieces = [full[j:j + step] for j in range(0, len(full), step)] or [""]
                    for p in pieces:
                        sse("response.output_text.delta", {"item_id": item["id"], "output_index": i,
                                                           "content_index": 0, "delta": p})
                else:
                    sse("response.output_item.added", {"output_index": i, "item": item})
                sse("response.output_item.done", {"output_index": i, "item": item})
            if entry.get("failed"):
                sse("response.failed", {"response": {"id": rid, "status": "failed",
                                                     "error": {"code": "server_error", "message": entry["failed"]}}})
                return
            usage = {"input_tokens": 100, "input_tokens_details": {"cached_tokens": 0},
                     "output_tokens": 10, "output_tokens_details": {"reasoning_tokens": 0},
                     "total_tokens": 110}
            if isinstance(entry, dict) and isinstance(entry.get("usage"), dict):
                usage.update(entry["usage"])
            sse("response.completed", {"response": {"id": rid, "status": "completed", "usage": usage}})
    return Handler


def fill_agent_id(entry, body):
    """Replaces {{agent_id}} in an entry by the agent_id of the latest spawn_agent output in the
    request's input, so a script can address an agent whose id it cannot know in advance."""
    agent = ""
    try:
        for item in json.loads(body).get("input", []):
            if item.get("type") == "function_call_output":
                try:
                    out = json.loads(item.get("output") or "")
                except (ValueError, TypeError):
                    continue
                if isinstance(out, dict) and out.get("agent_id"):
                    agent = out["agent_id"]
    except ValueError:
        pass
    return json.loads(json.dumps(entry).replace("{{agent_id}}", agent))


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
    return srv.server_address[1], stop, state


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--script", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--timeout", type=float, default=120)
    a = p.parse_args()
    port, stop, _ = start(json.load(open(a.script)), a.out)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.rename(tmp, a.port_file)
    # Exit when the parent goes away (stdin closes) or after the timeout.
    deadline = time.time() + a.timeout
    while time.time() < deadline:
        time.sleep(0.1)
        if os.getppid() == 1:
            break
    stop()


if __name__ == "__main__":
    main()

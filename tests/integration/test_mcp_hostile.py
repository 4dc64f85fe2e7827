"""MCP servers that misbehave never stall or crash ccodex: a server that floods its output,
writes an endless line, hangs, answers with invalid JSON-RPC, dies in the middle of a call, or
ignores SIGTERM. Each call ends with an error text for the model, the turn goes on to its next
request, and ccodex exits on time with status 0."""
import json, os, sys, threading, time, unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import Env, HERE

SERVER = os.path.join(HERE, "mcp_hostile_server.py")


def call(name, call_id, args="{}"):
    return {"type": "function_call", "name": name, "call_id": call_id, "arguments": args}


def outputs(req):
    return {i["call_id"]: i["output"] for i in req["body"]["input"] if i.get("type") == "function_call_output"}


def config(extra_args="", timeout=2):
    args = json.dumps([SERVER] + ([extra_args] if extra_args else []))
    return (f'[mcp_servers.bad]\ncommand = "{sys.executable}"\nargs = {args}\n'
            f'tool_timeout_sec = {timeout}\n')


def caused(out, cause):
    """The text upstream gives the model for a failed call."""
    text = f"tool call error: tool call failed for `bad/{out}`\n\nCaused by:\n    {cause}"
    return json.dumps([{"type": "text", "text": text}], separators=(",", ":"))


class HostileServers(unittest.TestCase):
    def world(self, script, extra_args="", timeout=2):
        env = Env(script, config_extra=config(extra_args, timeout))
        self.addCleanup(env.close)
        return env

    def run_calls(self, names, extra_args="", timeout=2, limit=40):
        script = [[call("mcp__bad__" + n, f"c{i}")] for i, n in enumerate(names)]
        script.append([{"type": "message", "text": "survived"}])
        w = self.world(script, extra_args, timeout)
        t0 = time.monotonic()
        p = w.run(["exec", "go"], timeout=limit)
        wall = time.monotonic() - t0
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        self.assertEqual(p.stdout, "survived\n")
        reqs = w.requests()
        self.assertEqual(len(reqs), len(names) + 1)
        outs = {}
        for r in reqs:
            outs.update(outputs(r))
        return [outs[f"c{i}"] for i in range(len(names))], wall

    def test_flood_is_drained_and_the_call_still_answers(self):
        outs, _ = self.run_calls(["flood", "ok"], timeout=30)
        fine = json.dumps([{"type": "text", "text": "fine"}], separators=(",", ":"))
        self.assertEqual(outs, [fine, fine])

    def test_endless_line_times_out_and_session_goes_on(self):
        outs, wall = self.run_calls(["spew", "ok"])
        self.assertEqual(outs[0], caused("spew", "timed out awaiting tools/call after 2s"))
        # the server is still busy spewing and reads nothing more: the next call times out too
        self.assertEqual(outs[1], caused("ok", "timed out awaiting tools/call after 2s"))
        self.assertLess(wall, 20)

    def test_hang_times_out(self):
        outs, wall = self.run_calls(["hang", "ok"])
        self.assertEqual(outs[0], caused("hang", "timed out awaiting tools/call after 2s"))
        self.assertIn("fine", outs[1])  # the server is still usable after a timeout
        self.assertLess(wall, 20)

    def test_invalid_jsonrpc_fails_the_call_at_once(self):
        outs, wall = self.run_calls(["invalid", "ok"], timeout=30)
        self.assertEqual(outs[0], caused("invalid", "invalid JSON-RPC response"))
        self.assertIn("fine", outs[1])
        self.assertLess(wall, 20)  # not the 30 s timeout

    def test_death_mid_call(self):
        outs, wall = self.run_calls(["die", "ok"], timeout=30)
        self.assertEqual(outs[0], caused("die", "connection closed"))
        self.assertEqual(outs[1], caused("ok", "connection closed"))
        self.assertLess(wall, 20)

    def test_server_ignoring_sigterm_is_killed_at_exit(self):
        outs, wall = self.run_calls(["ok"], extra_args="--ignore-term")
        self.assertIn("fine", outs[0])
        self.assertLess(wall, 20)


class HostileHttp(BaseHTTPRequestHandler):
    """A streamable-HTTP MCP server whose behaviour the test picks (server.mode)."""

    def log_message(self, *a):
        pass

    def do_GET(self):
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_DELETE(self):
        self.do_GET()

    def do_POST(self):
        msg = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        mode, method = self.server.mode, msg.get("method")
        if mode == "hang":
            time.sleep(8)
            return
        if "id" not in msg:
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "garbage" or (mode == "fail_call" and method == "tools/call"):
            body = b"not json at all"
            self.send_response(500 if mode == "fail_call" else 200)
        else:
            result = {"protocolVersion": "2025-06-18", "capabilities": {}, "serverInfo": {"name": "h", "version": "1"}}
            if method == "tools/list":
                result = {"tools": [{"name": "t", "inputSchema": {"type": "object"}}]}
            body = json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": result}).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class HostileHttpServers(unittest.TestCase):
    def serve(self, mode):
        srv = ThreadingHTTPServer(("127.0.0.1", 0), HostileHttp)
        srv.daemon_threads = True
        srv.mode = mode
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        return f"http://127.0.0.1:{srv.server_address[1]}/mcp"

    def run_exec(self, mode, script, extra=""):
        url = self.serve(mode)
        w = Env(script, config_extra=f'[mcp_servers.web]\nurl = "{url}"\nstartup_timeout_sec = 2\n'
                                     f'tool_timeout_sec = 2\n{extra}')
        self.addCleanup(w.close)
        t0 = time.monotonic()
        p = w.run(["exec", "go"], timeout=60)
        return p, w, time.monotonic() - t0

    def test_hanging_http_server_fails_startup_on_time(self):
        p, w, wall = self.run_exec("hang", [[{"type": "message", "text": "OK"}]])
        self.assertEqual((p.returncode, p.stdout), (0, "OK\n"), p.stderr)
        self.assertIn("mcp: web failed: MCP client for `web` timed out after 2 seconds", p.stderr)
        self.assertLess(wall, 15)

    def test_garbage_answer_fails_handshake_at_once(self):
        p, w, wall = self.run_exec("garbage", [[{"type": "message", "text": "OK"}]])
        self.assertEqual((p.returncode, p.stdout), (0, "OK\n"), p.stderr)
        self.assertIn("handshaking with MCP server failed: the server's reply held no answer", p.stderr)
        self.assertLess(wall, 15)

    def test_http_error_on_call_is_reported(self):
        p, w, wall = self.run_exec("fail_call", [[call("mcp__web__t", "c0")], [{"type": "message", "text": "OK"}]])
        self.assertEqual((p.returncode, p.stdout), (0, "OK\n"), p.stderr)
        out = outputs(w.requests()[1])["c0"]
        self.assertIn("tool call error: tool call failed for `web/t`", out)
        self.assertIn("unexpected HTTP status 500", out)


if __name__ == "__main__":
    unittest.main()

"""Regression tests for the defects an outside test campaign found (issue 7) on the client side:
a stream kept open after response.completed, an SSE line that never ends, a 2xx that is not
an event stream, long Retry-After waits, retry waits nobody hears about, and secrets in
messages (a response.failed echoing a key, credentials in base_url, a proxy's 407 body,
a proxy password holding a '/'). The servers are rawserver.RawServer on 127.0.0.1."""
import json, os, subprocess, threading, time, unittest

from harness import Env
from rawserver import RawServer, completed_stream, head, sse_event

SSE_HEAD = head(200, "OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])


class DefectTests(unittest.TestCase):
    def world(self, handler, provider_extra="", base_url=None):
        srv = RawServer(handler)
        self.addCleanup(srv.close)
        env = Env([])
        self.addCleanup(env.close)
        url = base_url or f"http://127.0.0.1:{srv.port}/v1"
        with open(os.path.join(env.home, "config.toml"), "w") as f:
            f.write('model = "gpt-5.1-codex"\nmodel_provider = "fake"\n\n[model_providers.fake]\n'
                    f'name = "fake"\nbase_url = "{url}"\nenv_key = "FAKE_API_KEY"\n'
                    f'wire_api = "responses"\n{provider_extra}\n')
        return srv, env

    def hold(self):
        """A handler's way to keep its connection open until the test ends."""
        ev = threading.Event()
        self.addCleanup(ev.set)
        return ev

    def run_exec(self, env, args, timeout=20, **extra):
        extra.setdefault("no_proxy", "*")
        try:
            return env.run(["exec"] + args, timeout=timeout, **extra)
        except subprocess.TimeoutExpired:
            self.fail(f"exec did not finish within {timeout} s")

    # defect 2
    def test_completed_ends_the_stream_when_the_server_keeps_the_connection(self):
        held = self.hold()

        def handler(conn, req, n):
            conn.sendall(SSE_HEAD + completed_stream("DONE"))
            held.wait(60)

        srv, env = self.world(handler, "stream_idle_timeout_ms = 30000")
        t0 = time.monotonic()
        p = self.run_exec(env, ["hi"], timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "DONE\n")
        self.assertLess(time.monotonic() - t0, 10)
        self.assertEqual(len(srv.requests), 1)

    # defect 5
    def test_an_endless_sse_line_ends_the_stream_with_a_clear_error(self):
        held = self.hold()

        def handler(conn, req, n):
            conn.sendall(SSE_HEAD + b"data: ")
            block = b"x" * 65536
            for _ in range(128):  # 8 MiB, never a newline
                conn.sendall(block)
            held.wait(60)

        srv, env = self.world(handler, "stream_max_event_bytes = 1048576")
        p = self.run_exec(env, ["hi"])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("1048576 bytes", p.stderr)
        self.assertIn("stream_max_event_bytes", p.stderr)
        self.assertEqual(len(srv.requests), 1)

    # defect 11
    def test_a_json_or_html_answer_fails_at_once_naming_its_type(self):
        for ctype, body in (("application/json", b'{"id":"x","object":"response"}'),
                            ("text/html; charset=utf-8", b"<html><body>Sign in</body></html>")):
            def handler(conn, req, n, ctype=ctype, body=body):
                conn.sendall(head(200, "OK", [("Content-Type", ctype), ("Content-Length", len(body))]) + body)

            srv, env = self.world(handler)
            p = self.run_exec(env, ["hi"])
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(f"expected text/event-stream but the server sent {ctype}", p.stderr)
            self.assertNotIn("cut off", p.stderr)
            self.assertEqual(len(srv.requests), 1, "a non-SSE answer must not be retried")

    # defect 7: a wait longer than the cap fails with the server's message
    def test_a_long_retry_after_fails_with_the_servers_message(self):
        body = b'{"error":{"message":"Rate limit reached for requests","type":"requests"}}'

        def handler(conn, req, n):
            conn.sendall(head(429, "Too Many Requests", [("Retry-After", "3599"), ("Content-Type", "application/json"),
                                                         ("Content-Length", len(body))]) + body)

        srv, env = self.world(handler)
        t0 = time.monotonic()
        p = self.run_exec(env, ["hi"], timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertLess(time.monotonic() - t0, 15)
        self.assertIn("Rate limit reached for requests", p.stderr)
        self.assertIn("retry after 3599 s, more than the 60 s limit", p.stderr)
        self.assertEqual(len(srv.requests), 1)

    # defect 7: every wait is announced, on stderr and as upstream's --json error event
    def test_retry_waits_are_announced(self):
        body = b'{"error":{"message":"slow down"}}'

        def handler(conn, req, n):
            if n % 2 == 0:
                conn.sendall(head(429, "Too Many Requests", [("Retry-After", "1"), ("Content-Length", len(body))]) + body)
            else:
                conn.sendall(SSE_HEAD + completed_stream("OK"))

        srv, env = self.world(handler, "request_max_retries = 2")
        p = self.run_exec(env, ["hi"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "OK\n")
        self.assertIn("unexpected status 429", p.stderr)
        self.assertIn("slow down", p.stderr)
        self.assertIn("retrying in 1.0 s", p.stderr)
        p = self.run_exec(env, ["--json", "hi"])
        self.assertEqual(p.returncode, 0, p.stderr)
        events = [json.loads(l) for l in p.stdout.splitlines()]
        errors = [e for e in events if e["type"] == "error"]
        self.assertEqual(len(errors), 1, events)
        self.assertTrue(errors[0]["message"].startswith("Reconnecting... 1/2 (unexpected status 429"), errors)
        self.assertEqual(events[-1]["type"], "turn.completed")

    # defect 10: a response.failed message echoing a key
    def test_a_response_failed_message_is_redacted(self):
        msg = ("Incorrect API key provided: sk-test-secret-key (also sk-proj-OTHERkey12345678); "
               "Authorization: Bearer abc.def")

        def handler(conn, req, n):
            conn.sendall(SSE_HEAD + sse_event("response.created", {"response": {"id": "r"}})
                         + sse_event("response.failed", {"response": {"id": "r", "error": {
                             "code": "invalid_api_key", "message": msg}}}))

        srv, env = self.world(handler)
        for args in (["hi"], ["--json", "hi"]):
            p = self.run_exec(env, args)
            self.assertNotEqual(p.returncode, 0)
            out = p.stdout + p.stderr
            self.assertIn("Incorrect API key provided", out)
            for secret in ("sk-test-secret-key", "OTHERkey12345678", "abc.def"):
                self.assertNotIn(secret, out)

    # defect 10: credentials inside base_url, in connection and status errors
    def test_base_url_credentials_stay_out_of_exec_errors(self):
        body = b'{"error":{"message":"no such model"}}'

        def handler(conn, req, n):
            # not a 400: upstream reports those by the body alone, without the URL
            conn.sendall(head(404, "Not Found", [("Content-Length", len(body))]) + body)

        srv = RawServer(handler)
        self.addCleanup(srv.close)
        _, env = self.world(lambda c, r, n: None, base_url=f"http://carol:s3cret-pw@127.0.0.1:{srv.port}/v1")
        p = self.run_exec(env, ["hi"])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no such model", p.stderr)
        self.assertIn(f"http://127.0.0.1:{srv.port}/v1/responses", p.stderr)
        self.assertNotIn("s3cret-pw", p.stderr + p.stdout)
        self.assertNotIn("carol", p.stderr + p.stdout)
        # nothing listening: a connection error names the URL too
        s = RawServer(lambda c, r, n: None)
        dead = s.port
        s.close()
        _, env = self.world(lambda c, r, n: None, "request_max_retries = 0",
                            base_url=f"http://carol:s3cret-pw@127.0.0.1:{dead}/v1")
        p = self.run_exec(env, ["hi"])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f"127.0.0.1:{dead}", p.stderr)
        self.assertNotIn("s3cret-pw", p.stderr + p.stdout)

    # defect 10: a proxy's 407 body echoing the credentials it got
    def test_a_proxy_407_body_is_redacted(self):
        def handler(conn, req, n):
            echo = ("<html>Proxy authentication failed for Proxy-Authorization: Basic "
                    "ZGF2ZTpodW50ZXIy; your request carried Authorization: Bearer sk-test-secret-key"
                    "</html>").encode()
            conn.sendall(head(407, "Proxy Authentication Required",
                              [("Proxy-Authenticate", 'Basic realm="p"'), ("Content-Length", len(echo))]) + echo)

        srv = RawServer(handler)
        self.addCleanup(srv.close)
        _, env = self.world(lambda c, r, n: None, base_url="http://model.example/v1")
        p = self.run_exec(env, ["hi"], http_proxy=f"http://dave:hunter2@127.0.0.1:{srv.port}",
                          HTTP_PROXY="", no_proxy="", NO_PROXY="")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("407", p.stderr)
        self.assertIn("Proxy authentication failed", p.stderr)
        self.assertEqual(srv.requests[0]["path"], "http://model.example/v1/responses")
        for secret in ("ZGF2ZTpodW50ZXIy", "sk-test-secret-key", "hunter2"):
            self.assertNotIn(secret, p.stderr + p.stdout)

    # defect 10: doctor with a proxy password holding '/' and credentials in base_url
    def test_doctor_redacts_slash_passwords_and_base_url_credentials(self):
        _, env = self.world(lambda c, r, n: None, base_url="http://erin:se/cret@127.0.0.1:9/v1")
        proxies = {k: "" for k in ("http_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")}
        proxies.update(no_proxy="", https_proxy="http://alice:pa/ss@proxy.example:3128")
        for args in ([], ["--json"]):
            p = env.run(["doctor", "--skip-live"] + args, timeout=60, **proxies)
            self.assertNotIn("pa/ss", p.stdout)  # the old parser stopped at the '/'
            self.assertNotIn("se/cret", p.stdout)
            self.assertNotIn("erin", p.stdout)
            self.assertIn("http://proxy.example:3128", p.stdout)
            self.assertIn("127.0.0.1", p.stdout)

    # defect 9, client side: a NUL inside tool arguments is refused, never cut at
    def test_a_nul_in_tool_arguments_refuses_the_call(self):
        marker = "pwned-by-truncation"
        args = json.dumps({"cmd": f"touch {marker}\u0000; echo rest"})
        w = Env([[{"type": "function_call", "name": "exec_command", "call_id": "call_1",
                   "arguments": args}],
                 [{"type": "custom_tool_call", "name": "apply_patch", "call_id": "call_2",
                   "input": "*** Begin Patch\n*** Add File: nul.txt\n+a\u0000b\n*** End Patch"}],
                 [{"type": "message", "text": "done"}]])
        self.addCleanup(w.close)
        p = w.run(["exec", "go"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(w.cwd, marker)), "the command ran cut at the NUL")
        self.assertFalse(os.path.exists(os.path.join(w.cwd, "nul.txt")), "the patch was applied cut at the NUL")
        for req, cid in ((w.requests()[1], "call_1"), (w.requests()[2], "call_2")):
            outs = {i["call_id"]: i for i in req["body"]["input"] if i.get("type", "").endswith("call_output")}
            self.assertIn("a string holds \\u0000", outs[cid]["output"])


if __name__ == "__main__":
    unittest.main()

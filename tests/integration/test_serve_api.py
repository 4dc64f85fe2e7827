"""`ccodex serve` as clients other than Codex see it (no `originator` header): parameters translated
for the backend, the stored responses and their bounds (count, bytes, age; store: false), a Redis
store that is down, errors before the stream as HTTP statuses, `response.incomplete`, the mock web
search on the API wire, the Codex wire left as it was for a client that names itself, and the real
Codex 0.115.0 completing a tool round trip through the server (skipped when it is not installed)."""
import json, os, re, socket, subprocess, sys, time, unittest, urllib.error, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fakechat import finish, reasoning, text, tool_call, usage  # noqa: E402
from harness import BIN, Env  # noqa: E402
from test_serve import Serve, parse_sse, user  # noqa: E402


def call(s, method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(s.url(path), data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read().decode()
            return r.status, dict(r.headers), raw
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def create(s, **body):
    status, _, raw = call(s, "POST", "/v1/responses", {"model": "m", "input": "hi", **body})
    return status, json.loads(raw)


class ApiWireTests(unittest.TestCase):
    def serve(self, script, **kw):
        s = Serve(script, **kw)
        self.addCleanup(s.close)
        return s

    def test_parameters_reach_the_backend(self):
        s = self.serve([[text("{}"), finish()], [text("ok"), finish()]])
        schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
        status, r = create(s, temperature=0.5, top_p=0.9, max_output_tokens=64, user="u1",
                           reasoning={"effort": "low"}, metadata={"k": "v"}, parallel_tool_calls=False,
                           text={"format": {"type": "json_schema", "name": "thing", "schema": schema,
                                            "strict": True}, "verbosity": "low"})
        self.assertEqual(status, 200, r)
        chat = s.chat(1)["body"]
        self.assertEqual((chat["temperature"], chat["top_p"], chat["max_tokens"], chat["user"]),
                         (0.5, 0.9, 64, "u1"))
        self.assertEqual(chat["reasoning_effort"], "low")
        self.assertEqual(chat["response_format"], {"type": "json_schema", "json_schema": {
            "name": "thing", "schema": schema, "strict": True}})
        # metadata and verbosity only go to providers that take them (openai)
        self.assertNotIn("metadata", chat)
        self.assertNotIn("verbosity", chat)
        # the Response echoes the request
        self.assertEqual((r["temperature"], r["top_p"], r["max_output_tokens"], r["metadata"]),
                         (0.5, 0.9, 64, {"k": "v"}))
        self.assertEqual(r["text"]["format"]["name"], "thing")

    def test_openai_provider_gets_its_own_fields(self):
        s = self.serve([[text("ok"), finish()]], provider="openai")
        create(s, max_output_tokens=10, metadata={"k": "v"}, text={"verbosity": "high"})
        chat = s.chat(1)["body"]
        self.assertEqual((chat["max_completion_tokens"], chat["metadata"], chat["verbosity"]),
                         (10, {"k": "v"}, "high"))
        self.assertNotIn("max_tokens", chat)

    def test_stored_responses_get_delete_and_store_false(self):
        s = self.serve([[text("kept"), finish()], [text("not kept"), finish()]])
        _, kept = create(s)
        _, unkept = create(s, store=False)
        self.assertFalse(unkept["store"])
        status, _, raw = call(s, "GET", f"/v1/responses/{kept['id']}")
        self.assertEqual((status, json.loads(raw)["output"][0]["content"][0]["text"]), (200, "kept"))
        status, _, raw = call(s, "GET", f"/v1/responses/{unkept['id']}")
        self.assertEqual(status, 404)
        err = json.loads(raw)["error"]
        self.assertEqual(err["message"], f"Response with id '{unkept['id']}' not found.")
        self.assertEqual(err["type"], "invalid_request_error")
        status, _, raw = call(s, "GET", f"/v1/responses/{kept['id']}/input_items?order=asc")
        listed = json.loads(raw)
        self.assertEqual((status, listed["object"], listed["has_more"]), (200, "list", False))
        self.assertEqual(listed["data"], [{"type": "message", "role": "user", "content": "hi"}])
        self.assertEqual(call(s, "GET", f"/v1/responses/{unkept['id']}/input_items")[0], 404)
        self.assertEqual(call(s, "GET", f"/v1/responses/{kept['id']}/other")[0], 404)
        status, _, raw = call(s, "DELETE", f"/v1/responses/{kept['id']}")
        self.assertEqual((status, json.loads(raw)), (200, {"id": kept["id"], "object": "response", "deleted": True}))
        self.assertEqual(call(s, "DELETE", f"/v1/responses/{kept['id']}")[0], 404)
        self.assertEqual(call(s, "GET", f"/v1/responses/{kept['id']}")[0], 404)
        self.assertEqual(call(s, "PUT", f"/v1/responses/{kept['id']}", {})[0], 405)

    def test_memory_store_is_bounded_by_count_bytes_and_age(self):
        s = self.serve([[text("one"), finish()], [text("two"), finish()], [text("three"), finish()],
                        [text("x" * 30000), finish()]],
                       extra=["--store-max-count", "2", "--store-max-bytes", "20000"])
        ids = [create(s)[1]["id"] for _ in range(3)]
        self.assertEqual([call(s, "GET", f"/v1/responses/{i}")[0] for i in ids], [404, 200, 200])
        big = create(s)[1]["id"]  # larger than the whole store: not kept, the others stay
        self.assertEqual(call(s, "GET", f"/v1/responses/{big}")[0], 404)
        self.assertEqual(call(s, "GET", f"/v1/responses/{ids[2]}")[0], 200)
        aged = self.serve([[text("old"), finish()]], extra=["--store-max-age-s", "1"])
        old = create(aged)[1]["id"]
        time.sleep(2.1)
        self.assertEqual(call(aged, "GET", f"/v1/responses/{old}")[0], 404)

    def test_previous_response_id_that_is_unknown_or_not_a_string(self):
        s = self.serve([])
        status, r = create(s, previous_response_id="resp_missing")
        self.assertEqual(status, 404)
        self.assertEqual(r["error"]["message"], "Previous response with id 'resp_missing' not found.")
        status, r = create(s, previous_response_id=7)
        self.assertEqual(status, 400)
        self.assertFalse(os.path.exists(os.path.join(s.out, "chat-001.json")))

    def test_redis_that_is_down(self):
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        port = dead.getsockname()[1]
        dead.close()
        s = self.serve([[text("still served"), finish()]], extra=["--store", f"redis://127.0.0.1:{port}"])
        status, r = create(s)
        self.assertEqual((status, r["output"][0]["content"][0]["text"]), (200, "still served"))
        status, _, raw = call(s, "GET", f"/v1/responses/{r['id']}")
        self.assertEqual(status, 503)
        self.assertIn("response store (redis) is unavailable", json.loads(raw)["error"]["message"])
        p = subprocess.run([BIN, "serve", "--downstream-base-url", "http://127.0.0.1:1", "--store", "redis://"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertIn("invalid Redis URL", p.stderr)
        p = subprocess.run([BIN, "serve", "--downstream-base-url", "http://127.0.0.1:1", "--store", "disk"],
                           capture_output=True, text=True, timeout=10)
        self.assertIn("unknown store 'disk'", p.stderr)

    def test_errors_before_the_stream_are_http_statuses(self):
        s = self.serve([{"status": 503, "body": "overloaded", "headers": {"Retry-After": "3"}}])
        status, headers, raw = call(s, "POST", "/v1/responses", {"model": "m", "input": "hi", "stream": True})
        self.assertEqual(status, 503)
        self.assertEqual(headers.get("Retry-After"), "3")
        err = json.loads(raw)["error"]
        self.assertEqual((err["type"], err["message"]), ("server_error", "chat completions backend answered 503: overloaded"))
        # a backend that cannot be reached at all
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        port = dead.getsockname()[1]
        dead.close()
        proc = subprocess.Popen([BIN, "serve", "--downstream-base-url", f"http://127.0.0.1:{port}", "--port", "0"],
                                stderr=subprocess.PIPE, text=True)
        try:
            sport = re.search(r":(\d+)/v1 ->", proc.stderr.readline()).group(1)
            req = urllib.request.Request(f"http://127.0.0.1:{sport}/v1/responses", method="POST",
                                         data=json.dumps({"model": "m", "input": "hi", "stream": True}).encode())
            with self.assertRaises(urllib.error.HTTPError) as cm:
                urllib.request.urlopen(req, timeout=30)
            self.assertEqual(cm.exception.code, 502)
            self.assertIn("backend failed", json.loads(cm.exception.read())["error"]["message"])
        finally:
            proc.send_signal(2)
            self.assertEqual(proc.wait(timeout=10), 0)
            proc.stderr.close()

    def test_truncated_answer_is_incomplete(self):
        s = self.serve([[text("cut"), finish("length")], [text("cut"), finish("length")]])
        status, _, raw = call(s, "POST", "/v1/responses", {"model": "m", "input": "hi", "stream": True})
        events = parse_sse(raw)
        self.assertEqual(events[-1][0], "response.incomplete")
        self.assertEqual(events[-1][1]["response"]["incomplete_details"], {"reason": "max_output_tokens"})
        _, r = create(s)
        self.assertEqual(r["status"], "incomplete")

    def test_mock_web_search_on_the_api_wire(self):
        s = self.serve([[tool_call(0, "web_search", '{"query":"weather"}', "ws_1"), finish("tool_calls")],
                        [text("nothing found"), finish()]])
        status, _, raw = call(s, "POST", "/v1/responses", {"model": "m", "input": "search", "stream": True,
                                                          "tools": [{"type": "web_search"}]})
        events = parse_sse(raw)
        self.assertEqual([p["sequence_number"] for _, p in events], list(range(len(events))))
        added = [(p["output_index"], p["item"]["type"]) for n, p in events if n == "response.output_item.added"]
        done = [(p["output_index"], p["item"]["type"]) for n, p in events if n == "response.output_item.done"]
        self.assertEqual(added, [(0, "web_search_call"), (1, "message")])
        self.assertEqual(done, added)
        final = events[-1][1]["response"]["output"]
        self.assertEqual([i["type"] for i in final], ["web_search_call", "message"])
        self.assertEqual(final[0]["action"]["query"], "weather")

    def test_codex_wire_is_unchanged_for_a_client_that_names_itself(self):
        s = self.serve([[text("a"), finish()], [text("a"), finish()]])
        status, _, raw = call(s, "POST", "/v1/responses", {"model": "m", "input": [user("hi")], "stream": True},
                              headers={"originator": "codex_cli_rs"})
        names = [n for n, _ in parse_sse(raw)]
        self.assertEqual(names, ["response.created", "response.output_item.added", "response.output_text.delta",
                                 "response.output_item.done", "response.completed"])
        self.assertNotIn("sequence_number", raw)
        self.assertEqual(parse_sse(raw)[-1][1]["response"]["output"], [])
        status, _, raw = call(s, "POST", "/v1/responses", {"model": "m", "input": [user("hi")], "stream": True})
        self.assertIn("response.content_part.added", raw)


UPSTREAM_BIN = os.environ.get("CX_UPSTREAM_CODEX") or (
    "/work/upstream/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/codex/codex")


class UpstreamCodexTests(unittest.TestCase):
    @unittest.skipUnless(os.access(UPSTREAM_BIN, os.X_OK), "upstream codex 0.115.0 not installed: skipped")
    def test_upstream_codex_through_serve(self):
        """The real Codex 0.115.0 (pointed only at loopback) gets the Codex wire and completes a
        function-call round trip through the server."""
        plan = json.dumps({"plan": [{"step": "look", "status": "in_progress"}]})
        s = Serve([[reasoning("planning"), tool_call(0, "update_plan", plan, "call_u"), finish("tool_calls"),
                    usage()],
                   [text("Planned via serve."), finish(), usage()]])
        self.addCleanup(s.close)
        w = Env([])
        self.addCleanup(w.close)
        with open(os.path.join(w.home, "config.toml"), "w") as f:
            f.write('model = "my-model"\nmodel_provider = "local"\n'
                    f'[model_providers.local]\nname = "local"\nbase_url = "http://127.0.0.1:{s.port}/v1"\n'
                    'wire_api = "responses"\n')
        p = subprocess.run([UPSTREAM_BIN, "exec", "Make a plan."], cwd=w.cwd, env=w.env(), capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        self.assertIn("Planned via serve.", p.stdout)
        second = s.chat(2)["body"]["messages"]
        self.assertEqual([m["role"] for m in second][-2:], ["assistant", "tool"])
        self.assertEqual(second[-2]["tool_calls"][0]["function"]["name"], "update_plan")
        self.assertEqual(second[-1]["tool_call_id"], "call_u")


if __name__ == "__main__":
    unittest.main()

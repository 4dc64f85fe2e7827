"""`ccodex serve` against a fake Chat Completions backend: translation both ways, custom tools,
reasoning, usage, provider hooks, the mock web search, failures and client disconnects; then
`ccodex exec` -> `ccodex serve` -> backend end to end, and `--vllm-endpoint`."""
import json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time, unittest, urllib.error, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fakechat  # noqa: E402
from fakechat import finish, reasoning, text, tool_call, usage  # noqa: E402
from harness import BIN, Env  # noqa: E402


# Codex clients name themselves in this header; these tests pin the wire they get (test_serve_api.py
# covers what every other client gets).
CODEX_HEADERS = {"originator": "codex_exec"}


class Serve:
    """A backend with its script, and `ccodex serve` in front of it."""

    def __init__(self, script, provider=None, extra=()):
        self.root = tempfile.mkdtemp(prefix="cx-serve-")
        self.out = os.path.join(self.root, "out")
        self.backend_port, self._stop = fakechat.start(script, self.out)
        argv = [BIN, "serve", "--downstream-base-url", f"http://127.0.0.1:{self.backend_port}", "--port", "0"]
        if provider:
            argv += ["--model-provider", provider]
        self.proc = subprocess.Popen(argv + list(extra), stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/v1 -> (\S+)", line)
        if not m:
            self.close()
            raise AssertionError(f"serve did not start: {line!r}")
        self.port = int(m.group(1))
        self.downstream = m.group(2)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def post(self, body, headers=CODEX_HEADERS):
        """POSTs a Responses request; returns (status, [(event, payload)]) or (status, error json)."""
        req = urllib.request.Request(self.url("/v1/responses"), data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **headers}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, parse_sse(r.read().decode())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def chat(self, n):
        with open(os.path.join(self.out, f"chat-{n:03d}.json")) as f:
            return json.load(f)

    def close(self):
        """Stops serve with SIGINT; it must exit 0 (under ASan that also means no leaks)."""
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                rc = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = "hung"
        rest = self.proc.stderr.read()
        self.proc.stderr.close()
        self._stop()
        shutil.rmtree(self.root, ignore_errors=True)
        if rc != 0:
            raise AssertionError(f"ccodex serve ended with {rc}: {rest[-3000:]}")


def parse_sse(body):
    events = []
    for block in body.split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        if name:
            events.append((name, json.loads("\n".join(data))))
    return events


def done_items(events):
    return [p["item"] for n, p in events if n == "response.output_item.done"]


def request(input_items, tools=None, instructions="Be brief.", **extra):
    body = {"model": "my-model", "instructions": instructions, "input": input_items, "stream": True}
    if tools is not None:
        body["tools"] = tools
    body.update(extra)
    return body


def user(t):
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": t}]}


SHELL_TOOL = {"type": "function", "name": "shell", "description": "run", "strict": False,
              "parameters": {"type": "object", "properties": {"command": {"type": "string"}}}}
PATCH_TOOL = {"type": "custom", "name": "apply_patch", "description": "edit files",
              "format": {"type": "grammar", "syntax": "lark", "definition": "start: begin_patch"}}


class ServeTests(unittest.TestCase):
    def serve(self, script, **kw):
        s = Serve(script, **kw)
        self.addCleanup(s.close)
        return s

    def test_plain_text_with_usage(self):
        s = self.serve([[text("Hel"), text("lo"), finish(), usage()]])
        status, events = s.post(request([user("hi")]))
        self.assertEqual(status, 200)
        names = [n for n, _ in events]
        self.assertEqual(names[0], "response.created")
        self.assertEqual([p["delta"] for n, p in events if n == "response.output_text.delta"], ["Hel", "lo"])
        self.assertEqual(names[-1], "response.completed")
        item = done_items(events)[0]
        self.assertEqual(item["type"], "message")
        self.assertEqual(item["content"][0]["text"], "Hello")
        u = events[-1][1]["response"]["usage"]
        self.assertEqual((u["input_tokens"], u["output_tokens"], u["total_tokens"]), (11, 7, 18))
        self.assertEqual(u["input_tokens_details"], {"cached_tokens": 3})
        self.assertEqual(u["output_tokens_details"], {"reasoning_tokens": 2})
        chat = s.chat(1)["body"]
        self.assertEqual(chat["model"], "my-model")
        self.assertEqual(chat["messages"], [{"role": "developer", "content": "Be brief."},
                                            {"role": "user", "content": "hi"}])
        self.assertTrue(chat["stream"])
        self.assertEqual(chat["stream_options"], {"include_usage": True})

    def test_function_tool_round_trip(self):
        s = self.serve([
            [tool_call(0, "shell", '{"comm', "call_9"), tool_call(0, None, 'and":"ls"}'), finish("tool_calls")],
            [text("two files"), finish()],
        ])
        status, events = s.post(request([user("list")], tools=[SHELL_TOOL], tool_choice="auto",
                                         parallel_tool_calls=False))
        self.assertEqual(status, 200)
        call = done_items(events)[0]
        self.assertEqual(call, {"type": "function_call", "call_id": "call_9", "name": "shell",
                                "arguments": '{"command":"ls"}'})
        chat = s.chat(1)["body"]
        self.assertEqual(chat["tools"][0]["type"], "function")
        self.assertEqual(chat["tools"][0]["function"]["name"], "shell")
        self.assertEqual(chat["tools"][0]["function"]["parameters"], SHELL_TOOL["parameters"])
        self.assertEqual(chat["tool_choice"], "auto")
        self.assertFalse(chat["parallel_tool_calls"])
        history = [user("list"), call, {"type": "function_call_output", "call_id": "call_9", "output": "a\nb"}]
        status, events = s.post(request(history, tools=[SHELL_TOOL]))
        self.assertEqual(done_items(events)[0]["content"][0]["text"], "two files")
        msgs = s.chat(2)["body"]["messages"]
        self.assertEqual(msgs[2], {"role": "assistant", "tool_calls": [
            {"id": "call_9", "type": "function", "function": {"name": "shell", "arguments": '{"command":"ls"}'}}]})
        self.assertEqual(msgs[3], {"role": "tool", "content": "a\nb", "tool_call_id": "call_9"})

    def test_apply_patch_through_the_custom_tool_wrapper(self):
        patch = "*** Begin Patch\n*** Add File: x.txt\n+x\n*** End Patch"
        s = self.serve([[tool_call(0, "apply_patch", json.dumps({"input": patch}), "call_p"), finish("tool_calls")],
                        [text("ok"), finish()]])
        status, events = s.post(request([user("patch")], tools=[PATCH_TOOL]))
        item = done_items(events)[0]
        self.assertEqual(item["type"], "custom_tool_call")
        self.assertEqual((item["call_id"], item["name"], item["input"]), ("call_p", "apply_patch", patch))
        fn = s.chat(1)["body"]["tools"][0]["function"]
        self.assertEqual(fn["name"], "apply_patch")
        self.assertEqual(fn["parameters"]["required"], ["input"])
        self.assertEqual(fn["parameters"]["properties"]["input"]["type"], "string")
        history = [user("patch"), item, {"type": "custom_tool_call_output", "call_id": "call_p", "output": "Done"}]
        s.post(request(history, tools=[PATCH_TOOL]))
        msgs = s.chat(2)["body"]["messages"]
        sent = msgs[2]["tool_calls"][0]
        self.assertEqual(sent["function"]["name"], "apply_patch")
        self.assertEqual(json.loads(sent["function"]["arguments"]), {"input": patch})
        self.assertEqual(msgs[3], {"role": "tool", "content": "Done", "tool_call_id": "call_p"})

    def test_vllm_reasoning_both_ways(self):
        s = self.serve([[reasoning("think "), reasoning("more", key="reasoning"), text("answer"), finish()],
                        [text("again"), finish()]])
        status, events = s.post(request([user("q")]))
        items = done_items(events)
        self.assertEqual(items[0]["type"], "reasoning")
        self.assertEqual(items[0]["content"], [{"type": "reasoning_text", "text": "think more"}])
        self.assertEqual(items[1]["type"], "message")
        history = [user("q"), items[0], items[1], user("next")]
        s.post(request(history))
        msgs = s.chat(2)["body"]["messages"]
        self.assertEqual(msgs[2], {"role": "assistant", "content": "answer", "reasoning": "think more"})
        self.assertEqual(msgs[3], {"role": "user", "content": "next"})

    def test_stepfun_drops_developer_messages(self):
        s = self.serve([[text("ok"), finish()]], provider="stepfun")
        dev = {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "perms"}]}
        s.post(request([dev, user("hi")]))
        self.assertEqual(s.chat(1)["body"]["messages"], [{"role": "user", "content": "hi"}])

    def test_mock_web_search_answers_with_empty_results(self):
        s = self.serve([[tool_call(0, "web_search", '{"query":"weather"}', "ws_1"), finish("tool_calls")],
                        [text("nothing found"), finish()]])
        status, events = s.post(request([user("search")], tools=[{"type": "web_search"}, SHELL_TOOL]))
        items = done_items(events)
        self.assertEqual(items[0]["type"], "web_search_call")
        self.assertEqual(items[0]["action"]["query"], "weather")
        self.assertEqual(items[1]["content"][0]["text"], "nothing found")
        follow = s.chat(2)["body"]
        self.assertEqual([t["function"]["name"] for t in follow["tools"]], ["shell"])
        result = json.loads(follow["messages"][-1]["content"])
        self.assertEqual(result["results"], [])
        self.assertTrue(result["mock"])

    def test_backend_error_status(self):
        s = self.serve([{"status": 500, "body": '{"error":"boom"}'}])
        status, events = s.post(request([user("hi")]))
        self.assertEqual(status, 200)
        self.assertEqual(events[-1][0], "response.failed")
        msg = events[-1][1]["response"]["error"]["message"]
        self.assertIn("500", msg)
        self.assertIn("boom", msg)

    def test_backend_drop_mid_stream(self):
        s = self.serve([{"chunks": [text("partial"), text(" more"), finish()], "drop_after": 1, "done": False}])
        status, events = s.post(request([user("hi")]))
        self.assertEqual([n for n, _ in events][-1], "response.failed")
        self.assertIn("before it finished", events[-1][1]["response"]["error"]["message"])

    def test_backend_unreachable(self):
        port = socket.socket()
        port.bind(("127.0.0.1", 0))
        dead = port.getsockname()[1]
        port.close()
        proc = subprocess.Popen([BIN, "serve", "--downstream-base-url", f"http://127.0.0.1:{dead}/v1", "--port", "0"],
                                stderr=subprocess.PIPE, text=True)
        try:
            m = re.search(r":(\d+)/v1 ->", proc.stderr.readline())
            req = urllib.request.Request(f"http://127.0.0.1:{m.group(1)}/v1/responses",
                                         data=json.dumps(request([user("hi")])).encode(), method="POST",
                                         headers=CODEX_HEADERS)
            with urllib.request.urlopen(req, timeout=30) as r:
                events = parse_sse(r.read().decode())
            self.assertEqual(events[-1][0], "response.failed")
            self.assertIn("backend failed", events[-1][1]["response"]["error"]["message"])
        finally:
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(timeout=10), 0)
            proc.stderr.close()

    def test_client_disconnect_cancels_the_backend_request(self):
        chunks = [text(f"tok{i} ") for i in range(200)] + [finish()]
        s = self.serve([{"chunks": chunks, "interval": 0.05}])
        sock = socket.create_connection(("127.0.0.1", s.port))
        body = json.dumps(request([user("long")])).encode()
        sock.sendall(b"POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        got = b""
        while b"tok1" not in got:
            got += sock.recv(4096)
        t0 = time.monotonic()
        sock.close()
        gone = os.path.join(s.out, "chat-001.gone")
        while not os.path.exists(gone) and time.monotonic() - t0 < 5:
            time.sleep(0.05)
        # the backend noticed well before its 10 s stream would have ended
        self.assertTrue(os.path.exists(gone), "backend request was not cancelled")
        self.assertLess(time.monotonic() - t0, 3)
        # the server is still healthy
        with urllib.request.urlopen(s.url("/healthz"), timeout=5) as r:
            self.assertEqual(json.loads(r.read()), {"ok": True})

    def test_refusals_and_other_endpoints(self):
        s = self.serve([])
        # (non-streaming requests and image input are served now: test_serve_sdk.py)
        out = {"type": "function_call_output", "call_id": "c",
               "output": [{"type": "input_image", "image_url": "data:image/png;base64,AAAA"}]}
        status, err = s.post(request([out]))
        self.assertEqual(status, 400)
        self.assertIn("structured tool output", err["error"]["message"])
        req = urllib.request.Request(s.url("/v1/responses"), data=b"{not json", method="POST")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(cm.exception.code, 400)
        self.assertIn("invalid JSON", json.loads(cm.exception.read())["error"]["message"])
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(s.url("/v1/nothing"), timeout=10)
        self.assertEqual(cm.exception.code, 404)
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(s.url("/v1/responses"), timeout=10)
        self.assertEqual(cm.exception.code, 405)
        with urllib.request.urlopen(s.url("/v1/models"), timeout=10) as r:
            self.assertEqual(json.loads(r.read())["data"][0]["id"], "fake-model")
        with urllib.request.urlopen(s.url("/healthz"), timeout=10) as r:
            self.assertEqual(json.loads(r.read()), {"ok": True})
        self.assertTrue(s.downstream.endswith(f":{s.backend_port}/v1"))

    def test_bad_flags(self):
        p = subprocess.run([BIN, "serve"], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--downstream-base-url", p.stderr)
        p = subprocess.run([BIN, "serve", "--downstream-base-url", "nonsense"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertIn("invalid downstream base URL", p.stderr)


class EndToEndTests(unittest.TestCase):
    def test_exec_through_serve_completes_a_tool_round_trip(self):
        backend_script = [
            [tool_call(0, "exec_command", json.dumps({"cmd": "echo via-serve", "login": False}), "call_e"),
             finish("tool_calls"), usage()],
            [text("It printed via-serve."), finish(), usage()],
        ]
        s = Serve(backend_script)
        self.addCleanup(s.close)
        w = Env([])
        self.addCleanup(w.close)
        with open(os.path.join(w.home, "config.toml"), "w") as f:
            f.write('model = "my-model"\nmodel_provider = "local"\n'
                    f'[model_providers.local]\nname = "local"\nbase_url = "http://127.0.0.1:{s.port}/v1"\n')
        p = w.run(["exec", "run it"], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "It printed via-serve.\n")
        second = s.chat(2)["body"]["messages"]
        tool_msg = [m for m in second if m["role"] == "tool"][0]
        self.assertEqual(tool_msg["tool_call_id"], "call_e")
        self.assertIn("via-serve", tool_msg["content"])
        # upstream's tool set reached the backend as chat tools, apply_patch wrapped
        names = [t["function"]["name"] for t in s.chat(1)["body"]["tools"]]
        self.assertIn("exec_command", names)
        self.assertIn("apply_patch", names)

    def test_chat_wire_api_provider_goes_through_the_bridge(self):
        root = tempfile.mkdtemp(prefix="cx-chatwire-")
        self.addCleanup(shutil.rmtree, root, True)
        port, stop = fakechat.start([[text("bridged"), finish()]], root)
        self.addCleanup(stop)
        w = Env([])
        self.addCleanup(w.close)
        with open(os.path.join(w.home, "config.toml"), "w") as f:
            f.write('model = "m"\nmodel_provider = "stepfun"\n[model_providers.stepfun]\nname = "s"\n'
                    f'base_url = "http://127.0.0.1:{port}/v1"\nwire_api = "chat"\nenv_key = "CX_CHAT_KEY"\n')
        p = w.run(["exec", "hi"], timeout=60, CX_CHAT_KEY="sk-chat")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "bridged\n")
        with open(os.path.join(root, "chat-001.json")) as f:
            rec = json.load(f)
        self.assertEqual(rec["headers"]["authorization"], "Bearer sk-chat")
        # the provider id picks the payload hook: stepfun sends no developer messages
        self.assertNotIn("developer", [m["role"] for m in rec["body"]["messages"]])

    def test_vllm_endpoint_runs_the_server_in_process(self):
        root = tempfile.mkdtemp(prefix="cx-vllm-")
        self.addCleanup(shutil.rmtree, root, True)
        port, stop = fakechat.start([[text("from vllm"), finish()]], root)
        self.addCleanup(stop)
        w = Env([])
        self.addCleanup(w.close)
        p = w.run(["exec", "--vllm-endpoint", f"http://127.0.0.1:{port}", "-m", "qwen", "hi"], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "from vllm\n")
        with open(os.path.join(root, "chat-001.json")) as f:
            rec = json.load(f)
        self.assertEqual(rec["path"], "/v1/chat/completions")
        self.assertEqual(rec["body"]["model"], "qwen")


if __name__ == "__main__":
    unittest.main()

"""Acceptance through the official Codex TypeScript SDK (@openai/codex-sdk, pinned in tests/npm/sdk):
a Node script drives ccodex with codexPathOverride against the scripted server, as CI systems and
editors do. Each case checks what the SDK returned and what ccodex sent; where the real upstream
0.115.0 binary is installed, the same case also runs against it (on its own fake server) and the
final response, item types and usage must match."""
import base64, json, os, shutil, subprocess, sys, tempfile, unittest

from harness import BIN, Env

HERE = os.path.dirname(os.path.abspath(__file__))
SDK_DIR = os.path.join(HERE, "..", "npm", "sdk")
UPSTREAM_BIN = os.environ.get("CX_UPSTREAM_CODEX") or (
    "/work/upstream/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/codex/codex")
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVQI12P4z8AAAAMBAQAY3Y2wAAAAAElFTkSuQmCC")


def setUpModule():
    if not shutil.which("node") or not shutil.which("npm"):
        raise unittest.SkipTest("node and npm are needed to run the Codex SDK")
    if not os.path.isdir(os.path.join(SDK_DIR, "node_modules", "@openai", "codex-sdk")):
        # the SDK only; its optional platform binaries (upstream's codex) are not needed
        p = subprocess.run(["npm", "ci", "--omit=optional", "--no-audit", "--no-fund"], cwd=SDK_DIR,
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise RuntimeError("npm ci in tests/npm/sdk failed:\n" + p.stdout + p.stderr)


class SdkTests(unittest.TestCase):
    def world(self, script, config=""):
        w = Env(script)
        self.addCleanup(w.close)
        # the built-in OpenAI provider, reached through the SDK's baseUrl and apiKey
        with open(os.path.join(w.home, "config.toml"), "w") as f:
            f.write('model = "gpt-5.1-codex"\n' + config)
        return w

    def drive(self, w, binary, turns, thread_options=None, resume_id=None, **codex_opts):
        spec = dict(codexPath=os.path.abspath(binary), baseUrl=f"http://127.0.0.1:{w.port}/v1",
                    apiKey="sk-sdk-test", turns=turns, threadOptions=thread_options or {},
                    resumeId=resume_id, **codex_opts)
        env = dict(os.environ, CODEX_HOME=w.home, HOME=w.userhome, SHELL="/bin/bash", TZ="Etc/UTC")
        for k in ("OPENAI_API_KEY", "CODEX_API_KEY", "OPENAI_BASE_URL", "CODEX_INTERNAL_ORIGINATOR_OVERRIDE"):
            env.pop(k, None)
        p = subprocess.run(["node", os.path.join(SDK_DIR, "drive.mjs"), json.dumps(spec)], cwd=w.cwd,
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [json.loads(l) for l in p.stdout.splitlines()]

    def both(self, script, turns, **kw):
        """Runs the case on ccodex and, when installed, on upstream; returns (ours, world, upstream)."""
        w = self.world(script, kw.pop("config", ""))
        ours = self.drive(w, BIN, turns, **kw)
        theirs = None
        if os.access(UPSTREAM_BIN, os.X_OK):
            u = self.world(script)
            theirs = self.drive(u, UPSTREAM_BIN, turns, **kw)
        return ours, w, theirs

    def same_ending(self, ours, theirs):
        """Same final response, item types and usage as upstream (where it is installed)."""
        if theirs is None:
            return
        for a, b in zip(ours, theirs):
            self.assertEqual(a.get("finalResponse"), b.get("finalResponse"))
            self.assertEqual([i["type"] for i in a.get("items", [])], [i["type"] for i in b.get("items", [])])
            self.assertEqual(a.get("usage"), b.get("usage"))
            self.assertEqual(bool(a.get("error")), bool(b.get("error")), (a, b))
            if "events" in a:
                self.assertEqual([e["type"] for e in a["events"]], [e["type"] for e in b["events"]])

    def test_plain_turn(self):
        ours, w, theirs = self.both([[{"type": "message", "text": "OK"}]], [{"input": "Reply with exactly OK."}])
        r = ours[0]
        self.assertEqual(r.get("finalResponse"), "OK", r)
        self.assertEqual([i["type"] for i in r["items"]], ["agent_message"])
        self.assertEqual(r["usage"], {"input_tokens": 100, "cached_input_tokens": 0, "output_tokens": 10})
        self.assertTrue(r["threadId"])
        req = w.requests()[0]
        # baseUrl -> openai_base_url, apiKey -> CODEX_API_KEY, the SDK's originator
        self.assertEqual(req["path"], "/v1/responses")
        self.assertEqual(req["headers"]["authorization"], "Bearer sk-sdk-test")
        self.assertEqual(req["headers"]["originator"], "codex_sdk_ts")
        self.assertTrue(req["headers"]["user-agent"].startswith("codex_sdk_ts/"))
        self.assertIn("(codex-exec; ", req["headers"]["user-agent"])
        self.assertEqual(req["body"]["input"][-1]["content"][-1]["text"], "Reply with exactly OK.")
        self.same_ending(ours, theirs)

    def test_tool_turn(self):
        script = [[{"type": "function_call", "name": "exec_command", "call_id": "call_1",
                    "arguments": json.dumps({"cmd": "printf HELLO"})}],
                  [{"type": "message", "text": "It printed HELLO."}]]
        ours, w, theirs = self.both(script, [{"input": "Run printf HELLO."}])
        r = ours[0]
        self.assertEqual(r.get("finalResponse"), "It printed HELLO.", r)
        self.assertEqual([i["type"] for i in r["items"]], ["command_execution", "agent_message"])
        cmd = r["items"][0]
        self.assertEqual((cmd["status"], cmd["exit_code"], cmd["aggregated_output"]), ("completed", 0, "HELLO"))
        self.assertEqual(r["usage"]["input_tokens"], 200)
        self.assertEqual(len(w.requests()), 2)
        self.same_ending(ours, theirs)

    def test_run_streamed(self):
        ours, w, theirs = self.both([[{"type": "message", "text": "streamed"}]],
                                    [{"input": "Say streamed.", "streamed": True}])
        ev = ours[0]["events"]
        self.assertEqual([e["type"] for e in ev],
                         ["thread.started", "turn.started", "item.completed", "turn.completed"])
        self.assertEqual(ev[2]["item"]["text"], "streamed")
        self.same_ending(ours, theirs)

    def test_output_schema(self):
        schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"],
                  "additionalProperties": False}
        ours, w, theirs = self.both([[{"type": "message", "text": '{"answer":"yes"}'}]],
                                    [{"input": "Answer as JSON.", "outputSchema": schema}])
        self.assertEqual(json.loads(ours[0]["finalResponse"]), {"answer": "yes"})
        fmt = w.requests()[0]["body"]["text"]["format"]
        self.assertEqual(fmt, {"type": "json_schema", "strict": True, "schema": schema, "name": "codex_output_schema"})
        self.same_ending(ours, theirs)

    def test_image(self):
        w0 = tempfile.mkdtemp(prefix="cx-sdk-img-")
        self.addCleanup(shutil.rmtree, w0, True)
        img = os.path.join(w0, "pixel.png")
        with open(img, "wb") as f:
            f.write(PNG)
        ours, w, theirs = self.both([[{"type": "message", "text": "A pixel."}]],
                                    [{"input": "What is in the image?", "images": [img]}])
        self.assertEqual(ours[0].get("finalResponse"), "A pixel.", ours[0])
        content = w.requests()[0]["body"]["input"][-1]["content"]
        self.assertEqual([c["type"] for c in content], ["input_text", "input_image", "input_text", "input_text"])
        self.assertTrue(content[1]["image_url"].startswith("data:image/png;base64,"))
        self.assertEqual(content[3]["text"], "What is in the image?")
        self.same_ending(ours, theirs)

    def test_thread_options(self):
        extra = tempfile.mkdtemp(prefix="cx-sdk-add-")
        self.addCleanup(shutil.rmtree, extra, True)
        w = self.world([[{"type": "message", "text": "OK"}]])
        sub = os.path.join(w.cwd, "sub")
        os.makedirs(sub)
        opts = {"model": "gpt-5.1-codex-mini", "sandboxMode": "workspace-write", "workingDirectory": sub,
                "skipGitRepoCheck": True, "modelReasoningEffort": "low", "networkAccessEnabled": True,
                "webSearchMode": "disabled", "approvalPolicy": "never", "additionalDirectories": [extra]}
        r = self.drive(w, BIN, [{"input": "Reply with exactly OK."}], thread_options=opts)[0]
        self.assertEqual(r.get("finalResponse"), "OK", r)
        body = w.requests()[0]["body"]
        self.assertEqual(body["model"], "gpt-5.1-codex-mini")
        self.assertEqual(body["reasoning"]["effort"], "low")
        self.assertNotIn("web_search", [t.get("type") for t in body["tools"]])
        env_text = json.dumps(body["input"])
        self.assertIn(sub, env_text)  # the working directory reached the environment context

    def test_web_search_modes(self):
        for mode, want in (("cached", False), ("live", True)):
            w = self.world([[{"type": "message", "text": "OK"}]])
            self.drive(w, BIN, [{"input": "hi"}], thread_options={"webSearchMode": mode})
            tools = [t for t in w.requests()[0]["body"]["tools"] if t.get("type") == "web_search"]
            self.assertEqual(tools, [{"type": "web_search", "external_web_access": want}], mode)

    def test_model_400_fails_the_turn(self):
        ours, w, theirs = self.both([{"status": 400, "message": "bad request from the model"}],
                                    [{"input": "hi"}])
        self.assertIn("bad request from the model", ours[0].get("error", ""), ours[0])
        self.assertNotIn("sk-sdk-test", ours[0]["error"])
        self.same_ending(ours, theirs)

    def test_second_run_and_resume_thread(self):
        script = [[{"type": "message", "text": "first"}], [{"type": "message", "text": "second"}],
                  [{"type": "message", "text": "third"}]]
        w = self.world(script)
        res = self.drive(w, BIN, [{"input": "one"}, {"input": "two"}])
        self.assertEqual([r.get("finalResponse") for r in res], ["first", "second"], res)
        tid = res[0]["threadId"]
        self.assertEqual(res[1]["threadId"], tid)
        second = w.requests()[1]["body"]["input"]
        self.assertIn("first", json.dumps(second))  # the earlier exchange is replayed
        again = self.drive(w, BIN, [{"input": "three"}], resume_id=tid)
        self.assertEqual(again[0].get("finalResponse"), "third", again)
        self.assertIn("second", json.dumps(w.requests()[2]["body"]["input"]))


if __name__ == "__main__":
    unittest.main()

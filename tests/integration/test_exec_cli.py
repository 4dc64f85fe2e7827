"""`ccodex exec` details beyond the recorded opt_* scenarios (test_exec_options.py): the --json events
the SDK parses (error before turn.failed, todo_list completed, file_change statuses), how the
built-in OpenAI provider finds its URL and key (openai_base_url, CODEX_API_KEY, auth.json, a
missing key reported at once), --enable/--disable, --color, and the stdin rules on a terminal."""
import json, os, time, unittest

from harness import BIN, Env
from ptyrun import PtyProc


def events(p):
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]


class ExecCliTests(unittest.TestCase):
    def world(self, script, **kw):
        w = Env(script, **kw)
        self.addCleanup(w.close)
        return w

    def openai_world(self, script, config=""):
        """The built-in provider (no [model_providers] entry), reached through openai_base_url."""
        w = self.world(script)
        with open(os.path.join(w.home, "config.toml"), "w") as f:
            f.write(f'model = "gpt-5.1-codex"\nopenai_base_url = "http://127.0.0.1:{w.port}/v1/"\n{config}')
        return w

    def test_failed_turn_reports_error_then_turn_failed(self):
        w = self.world([{"status": 400, "message": "bad model name"}])
        p = w.run(["exec", "--json", "hi"])
        self.assertEqual(p.returncode, 1)
        ev = events(p)
        self.assertEqual([e["type"] for e in ev], ["thread.started", "turn.started", "error", "turn.failed"])
        self.assertIn("bad model name", ev[2]["message"])
        self.assertEqual(ev[3]["error"]["message"], ev[2]["message"])

    def test_todo_list_completes_with_the_turn(self):
        plan = lambda st: json.dumps({"plan": [{"step": "a", "status": st}]})
        w = self.world([[{"type": "function_call", "name": "update_plan", "call_id": "p1", "arguments": plan("in_progress")}],
                        [{"type": "function_call", "name": "update_plan", "call_id": "p2", "arguments": plan("completed")}],
                        [{"type": "message", "text": "done"}]])
        p = w.run(["exec", "--json", "plan it"])
        self.assertEqual(p.returncode, 0, p.stderr)
        todo = [e for e in events(p) if e.get("item", {}).get("type") == "todo_list"]
        self.assertEqual([e["type"] for e in todo], ["item.started", "item.updated", "item.completed"])
        self.assertEqual(len({e["item"]["id"] for e in todo}), 1)
        self.assertEqual(todo[-1]["item"]["items"], [{"text": "a", "completed": True}])
        types = [e["type"] for e in events(p)]
        self.assertLess(types.index("item.completed", types.index("item.updated")), types.index("turn.completed"))

    def test_file_change_is_reported_once_with_an_sdk_status(self):
        patch = "*** Begin Patch\n*** Add File: new.txt\n+hello\n*** End Patch\n"
        w = self.world([[{"type": "custom_tool_call", "name": "apply_patch", "call_id": "ap", "input": patch}],
                        [{"type": "message", "text": "added"}]])
        p = w.run(["exec", "--json", "--skip-git-repo-check", "-c", 'sandbox_mode="workspace-write"', "add"])
        self.assertEqual(p.returncode, 0, p.stderr)
        fc = [e for e in events(p) if e.get("item", {}).get("type") == "file_change"]
        self.assertEqual([e["type"] for e in fc], ["item.completed"], fc)
        self.assertIn(fc[0]["item"]["status"], ("completed", "failed"))

    def test_openai_base_url_and_codex_api_key(self):
        w = self.openai_world([[{"type": "message", "text": "OK"}]])
        p = w.run(["exec", "hi"], CODEX_API_KEY="sk-codex", OPENAI_API_KEY="sk-openai")
        self.assertEqual(p.returncode, 0, p.stderr)
        req = w.requests()[0]
        self.assertEqual(req["path"], "/v1/responses")
        self.assertEqual(req["headers"]["authorization"], "Bearer sk-codex")

    def test_auth_json_key(self):
        w = self.openai_world([[{"type": "message", "text": "OK"}]])
        with open(os.path.join(w.home, "auth.json"), "w") as f:
            json.dump({"OPENAI_API_KEY": "sk-from-auth-json", "tokens": None, "last_refresh": None}, f)
        env = {"OPENAI_API_KEY": "", "CODEX_API_KEY": ""}
        p = w.run(["exec", "hi"], **env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(w.requests()[0]["headers"]["authorization"], "Bearer sk-from-auth-json")

    def test_missing_key_is_reported_at_once(self):
        w = self.world([])
        with open(os.path.join(w.home, "config.toml"), "w") as f:
            f.write('model = "gpt-5.1-codex"\nopenai_base_url = "http://192.0.2.1:9/v1"\n')
        t0 = time.monotonic()
        p = w.run(["exec", "hi"], OPENAI_API_KEY="", CODEX_API_KEY="")
        self.assertEqual(p.returncode, 1)
        self.assertLess(time.monotonic() - t0, 10)
        self.assertIn("OPENAI_API_KEY", p.stderr)
        self.assertIn("auth.json", p.stderr)
        # a provider's env_key variable, likewise
        w2 = self.world([])
        p = w2.run(["exec", "hi"], FAKE_API_KEY="")
        self.assertEqual(p.returncode, 1)
        self.assertIn("Missing environment variable: `FAKE_API_KEY`", p.stderr)
        self.assertEqual(w2.requests(), [])

    def test_enable_disable_features(self):
        w = self.world([[{"type": "message", "text": "OK"}]] * 2)
        p = w.run(["exec", "--disable", "unified_exec", "hi"])
        self.assertEqual(p.returncode, 0, p.stderr)
        names = [t.get("name") for t in w.requests()[0]["body"]["tools"]]
        self.assertIn("shell_command", names)
        self.assertNotIn("exec_command", names)
        p = w.run(["exec", "--enable", "unified_exec", "hi"])
        names = [t.get("name") for t in w.requests()[1]["body"]["tools"]]
        self.assertIn("exec_command", names)

    def test_color_auto_is_plain_on_a_pipe_and_bad_value_is_refused(self):
        w = self.world([[{"type": "message", "text": "OK"}]])
        p = w.run(["exec", "hi"])
        self.assertNotIn("\033[", p.stderr)
        self.assertIn("\ncodex\nOK\ntokens used\n", p.stderr)
        p = w.run(["exec", "--color", "sometimes", "hi"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("possible values: always, never, auto", p.stderr)

    def test_no_prompt_on_a_terminal(self):
        w = self.world([])
        p = PtyProc([BIN, "exec"], w.cwd, w.env(TERM="xterm"))
        self.addCleanup(p.close)
        p.expect("No prompt provided. Either specify one as an argument or pipe the prompt into stdin.")
        self.assertEqual(p.wait(), 1)
        self.assertEqual(w.requests(), [])

    def test_originator_override(self):
        w = self.world([[{"type": "message", "text": "OK"}]])
        p = w.run(["exec", "hi"], CODEX_INTERNAL_ORIGINATOR_OVERRIDE="my_tool")
        self.assertEqual(p.returncode, 0, p.stderr)
        h = w.requests()[0]["headers"]
        self.assertEqual(h["originator"], "my_tool")
        self.assertTrue(h["user-agent"].startswith("my_tool/"))


if __name__ == "__main__":
    unittest.main()

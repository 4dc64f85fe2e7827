"""The interactive REPL on a pseudo-terminal: two turns replayed against upstream's tui_two_turns
capture, steering during a turn, /queue, slash commands, and Ctrl-C."""
import json, os, sys, time, unittest

from harness import BIN, SHARED, Env
from ptyrun import PtyProc

sys.path.insert(0, os.path.join(SHARED, "conformance", "tools"))
import capture_upstream  # noqa: E402
import compare_requests  # noqa: E402

UPSTREAM = os.path.join(SHARED, "conformance", "upstream-0.115.0", "tui_two_turns")
PROMPT = r"ccodex> "


def wait_requests(w, n, timeout=20):
    """Waits until the fake server has answered n requests."""
    deadline = time.time() + timeout

    def count():  # file names only: a request being written is not parsed half-way
        return len([f for f in os.listdir(w.out) if f.startswith("request-")]) if os.path.isdir(w.out) else 0
    while count() < n:
        if time.time() > deadline:
            raise AssertionError(f"fewer than {n} requests arrived")
        time.sleep(0.05)


class ReplWorld:
    """A fake-server world and ccodex's REPL on a pseudo-terminal in it."""

    def start(self, script, **kw):
        w = Env(script, **kw)
        self.addCleanup(w.close)
        p = PtyProc([BIN], w.cwd, w.env(TERM="xterm", NO_COLOR="1"))
        self.addCleanup(p.close)
        return w, p


class ReplTests(ReplWorld, unittest.TestCase):
    def test_two_turns_match_upstream_tui_capture(self):
        w, p = self.start([[{"type": "message", "text": "FIRST"}], [{"type": "message", "text": "SECOND"}]])
        # Upstream's capture home had skills; plant one so the developer message has the same shape.
        os.makedirs(os.path.join(w.home, "skills", "demo"))
        with open(os.path.join(w.home, "skills", "demo", "SKILL.md"), "w") as f:
            f.write("---\nname: demo\ndescription: demo skill\n---\nbody\n")
        p.expect(PROMPT)
        p.send("Say FIRST.\r")
        m = p.expect(r"assistant> FIRST")
        p.expect(PROMPT, start=m.end())
        p.send("Say SECOND.\r")
        m = p.expect(r"assistant> SECOND")
        p.send("/exit\r")
        self.assertEqual(p.wait(), 0)
        githash = os.popen(f"git -C {w.cwd} rev-parse HEAD").read().strip()
        norm = capture_upstream.normaliser(w.cwd, w.home, w.port, githash)
        reqs = w.requests()
        self.assertEqual(len(reqs), 2)
        problems = []
        for i, rec in enumerate(reqs, start=1):
            rec = dict(rec)
            rec.pop("arrival", None)
            rec["headers"]["authorization"] = "Bearer {KEY}"
            rec["headers"].pop("content-length", None)
            ours = capture_upstream.deep(rec, norm)
            up = json.load(open(os.path.join(UPSTREAM, f"request-{i:03d}.json")))
            problems += compare_requests.compare(up, ours)
        self.assertEqual(problems, [])
        self.assertEqual(reqs[0]["headers"]["originator"], "codex-tui")
        self.assertIn("(codex-tui; ", reqs[0]["headers"]["user-agent"])
        dev = reqs[0]["body"]["input"][0]["content"]
        self.assertTrue(dev[1]["text"].startswith("<collaboration_mode>"))

    def test_history_title_and_unknown_command(self):
        w, p = self.start([[{"type": "message", "text": "ANSWER"}]])
        p.expect(PROMPT)
        p.send("/history\r")
        p.expect("No history yet.")
        p.send("what is the answer\r")
        p.expect("Session: what is the answer")
        m = p.expect("assistant> ANSWER")
        p.expect(PROMPT, start=m.end())
        p.send("/history\r")
        p.expect(r"\[1\] user> what is the answer")
        p.expect(r"assistant> ANSWER")
        p.send("/title\r")
        p.expect("Session: what is the answer")
        p.send("/bogus\r")
        p.expect(r"Unknown command /bogus")
        p.send("/queue\r")
        p.expect(r"Usage: /queue <message>")
        p.send("/model other-model\r")
        p.expect(r"Switched model to other-model\.")
        p.send("/quit\r")
        self.assertEqual(p.wait(), 0)

    def test_model_lists_provider_models(self):
        w, p = self.start([])
        p.expect(PROMPT)
        p.send("/model\r")
        p.expect("Current model: gpt-5.1-codex")
        p.expect("Available models: gpt-5.1-codex")
        p.send("/exit\r")
        self.assertEqual(p.wait(), 0)

    def test_steer_joins_next_request(self):
        slow = {"type": "function_call", "name": "exec_command", "call_id": "call_1",
                "arguments": json.dumps({"cmd": "sleep 2; echo slept", "yield_time_ms": 10000})}
        w, p = self.start([[slow], [{"type": "message", "text": "DONE"}]])
        p.expect(PROMPT)
        p.send("run the slow thing\r")
        wait_requests(w, 1)  # the slow command runs now ([exec] is shown when it ends)
        time.sleep(0.3)
        p.send("and also say hi\r")
        p.expect(r"\[steer\] queued: and also say hi")
        p.expect(r"\[steer\] inserted: and also say hi")
        p.expect("assistant> DONE")
        p.send("/exit\r")
        self.assertEqual(p.wait(), 0)
        reqs = w.requests()
        self.assertEqual(len(reqs), 2)
        tail = reqs[1]["body"]["input"][-3:]
        self.assertEqual([t["type"] for t in tail], ["function_call", "function_call_output", "message"])
        self.assertEqual(tail[2]["content"][0]["text"], "and also say hi")

    def test_queue_runs_a_turn_of_its_own(self):
        slow = {"type": "function_call", "name": "exec_command", "call_id": "call_1",
                "arguments": json.dumps({"cmd": "sleep 2", "yield_time_ms": 10000})}
        w, p = self.start([[slow], [{"type": "message", "text": "ONE"}], [{"type": "message", "text": "TWO"}]])
        p.expect(PROMPT)
        p.send("first\r")
        wait_requests(w, 1)
        time.sleep(0.3)
        p.send("/queue second\r")
        p.expect(r"\[steer\] queued: second")
        m = p.expect("assistant> ONE")
        # reported when the queued text starts its turn, as a typed steer line is (pycodex)
        m = p.expect(r"\[steer\] inserted: second", start=m.end())
        p.expect("assistant> TWO", start=m.end())
        p.send("/exit\r")
        self.assertEqual(p.wait(), 0)
        reqs = w.requests()
        self.assertEqual(len(reqs), 3)
        # the queued text is not in request 2 (same turn) but starts request 3
        texts2 = [c.get("text") for it in reqs[1]["body"]["input"] for c in it.get("content", []) if isinstance(c, dict)]
        self.assertNotIn("second", texts2)
        self.assertEqual(reqs[2]["body"]["input"][-1]["content"][0]["text"], "second")

    def test_ctrl_c_interrupts_the_turn(self):
        w, p = self.start([{"items": [{"type": "message", "text": "x"}], "stall_after_events": 1,
                            "stall_seconds": 20}])
        p.expect(PROMPT)
        p.send("hang please\r")
        p.expect(r"ccodex> ", start=p.buf.find("hang please"))
        import time
        time.sleep(0.5)
        p.interrupt()
        p.expect(r"\[interrupted\]", timeout=5)
        p.send("/exit\r")
        self.assertEqual(p.wait(), 0)

    def test_spinner_while_the_model_thinks(self):
        w, p = self.start([{"delay": 1.5, "items": [{"type": "message", "text": "slow answer"}]}])
        p.expect(PROMPT)
        p.send("think\r")
        # a spinner frame with the elapsed time, erased before the answer streams
        p.expect(r"[-\\|/] working \(\ds\)")
        p.expect(r"\r\x1b\[Kassistant> slow answer")
        p.send("\x04")
        self.assertEqual(p.wait(), 0)

    def test_no_spinner_when_disabled(self):
        w = Env([{"delay": 1.0, "items": [{"type": "message", "text": "plain"}]}])
        self.addCleanup(w.close)
        p = PtyProc([BIN], w.cwd, w.env(TERM="xterm", NO_COLOR="1", CCODEX_NO_SPINNER="1"))
        self.addCleanup(p.close)
        p.expect(PROMPT)
        p.send("hi\r")
        p.expect("assistant> plain")
        self.assertNotIn("working (", p.buf)
        p.send("\x04")
        self.assertEqual(p.wait(), 0)

    def test_plan_mode_question_is_answered_at_the_prompt(self):
        questions = {"questions": [
            {"id": "db", "header": "Database", "question": "Which database?",
             "options": [{"label": "Postgres (Recommended)", "description": "the usual"},
                         {"label": "SQLite", "description": "a file"}]},
            {"id": "name", "header": "Name", "question": "Project name?",
             "options": [{"label": "demo", "description": "short"}]}]}
        call = {"type": "function_call", "name": "request_user_input", "call_id": "q1",
                "arguments": json.dumps(questions)}
        w, p = self.start([[call], [{"type": "message", "text": "noted"}]])
        p.expect(PROMPT)
        p.send("/plan\r")
        p.expect("Switched to Plan mode.")
        p.send("plan it\r")
        p.expect(r"\[question\] Database: Which database\?")
        p.expect(r"2\. SQLite - a file")
        p.expect(r"3\. Other: type your own answer")
        p.send("2\r")
        p.expect(r"\[question\] Name: Project name\?")
        p.send("2\r")
        p.expect("your answer> ")
        p.send("my-own-name\r")
        p.expect("assistant> noted")
        p.send("\x04")
        self.assertEqual(p.wait(), 0)
        out = [i for i in w.requests()[1]["body"]["input"] if i.get("type") == "function_call_output"][0]
        self.assertEqual(json.loads(out["output"]),
                         {"answers": {"db": {"answers": ["SQLite"]}, "name": {"answers": ["my-own-name"]}}})

    def test_request_permissions_is_asked_at_the_prompt(self):
        call = {"type": "function_call", "name": "request_permissions", "call_id": "rp",
                "arguments": json.dumps({"reason": "fetch deps", "permissions": {"network": {"enabled": True}}})}
        w, p = self.start([[call], [{"type": "message", "text": "thanks"}]],
                          config_extra='experimental_supported_tools = ["request_permissions"]')
        p.expect(PROMPT)
        p.send("install\r")
        p.expect(r"\[question\] Permissions: Grant these permissions \(fetch deps\)\? \{\"network\"")
        p.expect(r"3\. Grant for the session")
        p.send("3\r")
        p.expect("assistant> thanks")
        time.sleep(0.2)
        p.send("\x04")
        self.assertEqual(p.wait(), 0)
        reqs = w.requests()
        self.assertIn("request_permissions", [t.get("name") for t in reqs[0]["body"]["tools"]])
        out = [i for i in reqs[1]["body"]["input"] if i.get("type") == "function_call_output"][0]
        self.assertEqual(json.loads(out["output"]), {"permissions": {"network": {"enabled": True}}, "scope": "session"})

    def test_eof_exits(self):
        w, p = self.start([])
        p.expect(PROMPT)
        # A Ctrl-D that reaches the terminal before libedit has switched it out of canonical
        # mode is taken by the kernel as end-of-file and never reaches the REPL; no person
        # types within that first instant, a test does, so it waits for the editor first
        time.sleep(0.5)
        p.send("\x04")
        self.assertEqual(p.wait(), 0)


if __name__ == "__main__":
    unittest.main()

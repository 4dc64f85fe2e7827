"""The command line as pycodex 0.1.1 users know it (issue 16; /queue's insertion line is in
test_repl.py), checked on the screen of a
pseudo-terminal and in the requests sent: several words are one prompt, a piped prompt is
stripped, the plain one-shot is the interactive client's turn (codex-tui), pycodex's progress
lines ([plan] with the explanation and [>], [exec] COMMAND -> first output line, [web] searched /
opened, no [model] lines), and /history keeping steered turns."""
import json, os, time, unittest

from harness import Env
from test_repl import PROMPT, ReplWorld, wait_requests


def user_texts(req):
    return [c.get("text") for it in req["body"]["input"] if it.get("role") == "user"
            for c in it.get("content", [])]


class OneShotTests(unittest.TestCase):
    def world(self, script):
        w = Env(script)
        self.addCleanup(w.close)
        return w

    def assert_interactive_client(self, req):
        self.assertEqual(req["headers"]["originator"], "codex-tui")
        self.assertIn("(codex-tui; ", req["headers"]["user-agent"])
        self.assertTrue(req["headers"]["user-agent"].startswith("codex-tui/"))
        dev = [c["text"] for c in req["body"]["input"][0]["content"]]
        self.assertTrue(any(t.startswith("<collaboration_mode>") for t in dev), dev)

    def test_several_words_are_one_prompt(self):
        w = self.world([[{"type": "message", "text": "hi"}]])
        p = w.run(["hello", "world"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "hi\n")
        req = w.requests()[0]
        self.assertEqual(req["body"]["input"][-1]["content"][-1]["text"], "hello world")
        self.assert_interactive_client(req)

    def test_piped_prompt_is_stripped_and_interactive(self):
        w = self.world([[{"type": "message", "text": "ok"}]])
        p = w.run([], input="\n   say ok please  \n\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        req = w.requests()[0]
        self.assertEqual(req["body"]["input"][-1]["content"][-1]["text"], "say ok please")
        self.assert_interactive_client(req)

    def test_exec_stays_codex_exec_with_one_prompt_argument(self):
        w = self.world([[{"type": "message", "text": "ok"}]])
        p = w.run(["exec", "hello", "world"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("unexpected argument 'world'", p.stderr)
        p = w.run(["exec", "hello world"])
        self.assertEqual(p.returncode, 0, p.stderr)
        req = w.requests()[0]
        self.assertEqual(req["headers"]["originator"], "codex_exec")
        self.assertIn("(codex-exec; ", req["headers"]["user-agent"])


class ReplProgressTests(ReplWorld, unittest.TestCase):
    def test_progress_lines(self):
        plan = {"explanation": "Check the files first", "plan": [
            {"step": "look around", "status": "completed"},
            {"step": "print greeting", "status": "in_progress"},
            {"step": "report", "status": "pending"}]}
        script = [
            [{"type": "function_call", "name": "update_plan", "call_id": "p1", "arguments": json.dumps(plan)}],
            [{"type": "function_call", "name": "exec_command", "call_id": "e1",
              "arguments": json.dumps({"cmd": "printf 'HELLO\\nWORLD\\n'"})}],
            [{"type": "web_search_call", "status": "completed",
              "action": {"type": "search", "query": "ccodex release notes"}},
             {"type": "web_search_call", "status": "completed",
              "action": {"type": "open_page", "url": "https://example.com/notes"}},
             {"type": "message", "text": "ALL DONE"}],
        ]
        w, p = self.start(script)
        p.expect(PROMPT)
        p.send("do the work\r")
        m = p.expect("assistant> ALL DONE")
        p.expect(PROMPT, start=m.end())
        p.send("/exit\r")
        self.assertEqual(p.wait(), 0)
        screen = p.buf.replace("\r", "")
        self.assertIn("[plan] Check the files first\n", screen)
        self.assertIn("  [x] look around\n  [>] print greeting\n  [ ] report\n", screen)
        self.assertIn("[exec] printf 'HELLO\\nWORLD\\n' -> HELLO\n", screen)
        self.assertNotIn("/bin/bash -lc", screen)
        self.assertIn("[web] searched: ccodex release notes\n", screen)
        self.assertIn("[web] opened: https://example.com/notes\n", screen)
        self.assertNotIn("[model]", screen)
        self.assertEqual(len(w.requests()), 3)

    def test_failed_command_line(self):
        script = [[{"type": "function_call", "name": "exec_command", "call_id": "e1",
                    "arguments": json.dumps({"cmd": "echo oops; exit 3"})}],
                  [{"type": "message", "text": "FINE"}]]
        w, p = self.start(script)
        p.expect(PROMPT)
        p.send("fail please\r")
        p.expect("assistant> FINE")
        p.send("/exit\r")
        self.assertEqual(p.wait(), 0)
        self.assertRegex(p.buf.replace("\r", ""), r"\[exec\] echo oops; exit 3 -> oops\n")

    def test_history_keeps_steered_turns(self):
        slow = {"type": "function_call", "name": "exec_command", "call_id": "call_1",
                "arguments": json.dumps({"cmd": "sleep 2", "yield_time_ms": 10000})}
        w, p = self.start([{"items": [{"type": "message", "text": "Working on it."}, slow], "deltas": 2},
                           [{"type": "message", "text": "Said hi."}]])
        p.expect(PROMPT)
        p.send("run the slow thing\r")
        p.expect("Working on it.")
        time.sleep(0.3)
        p.send("and also say hi\r")
        p.expect(r"\[steer\] inserted: and also say hi")
        m = p.expect("assistant> Said hi.")
        p.expect(PROMPT, start=m.end())
        p.send("/history\r")
        m = p.expect(r"\[1\] user> run the slow thing\n?\r?\n? *assistant> Working on it\.")
        p.expect(r"\[2\] user> and also say hi\r?\n *assistant> Said hi\.", start=m.end())
        p.send("/exit\r")
        self.assertEqual(p.wait(), 0)
        self.assertEqual(user_texts(w.requests()[1])[-1], "and also say hi")


if __name__ == "__main__":
    unittest.main()

"""Sessions end to end: rollout files survive kill -9, exec resume and the REPL's /resume and
/compact, and round trips with the real upstream Codex 0.115.0 binary (skipped, saying so, when it
is not installed)."""
import glob, json, os, signal, subprocess, sys, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Env, BIN  # noqa: E402
from ptyrun import PtyProc  # noqa: E402

UPSTREAM_BIN = os.environ.get("CX_UPSTREAM_CODEX") or (
    "/work/upstream/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/codex/codex")
PROMPT = r"ccodex> "


def rollouts(home):
    return sorted(glob.glob(os.path.join(home, "sessions", "*", "*", "*", "rollout-*.jsonl")))


def texts(req):
    out = []
    for it in req["body"]["input"]:
        for c in it.get("content") or []:
            if isinstance(c, dict) and "text" in c:
                out.append(c["text"])
        if it.get("type") == "function_call":
            out.append("CALL " + it["arguments"])
    return out


class Sessions(unittest.TestCase):
    def env(self, script, extra=""):
        w = Env(script, config_extra=extra)
        self.addCleanup(w.close)
        return w

    def test_kill9_mid_turn_leaves_a_rollout_that_resumes(self):
        w = self.env([[{"type": "function_call", "name": "exec_command", "call_id": "call_1",
                        "arguments": "{\"cmd\": \"sleep 30\"}"}],
                      [{"type": "message", "text": "RESUMED"}]])
        p = subprocess.Popen([BIN, "exec", "First prompt KILLED."], cwd=w.cwd, env=w.env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while time.time() < deadline:
            files = rollouts(w.home)
            if files and "function_call" in open(files[0]).read():
                break
            time.sleep(0.1)
        p.send_signal(signal.SIGKILL)
        p.communicate()
        files = rollouts(w.home)
        self.assertEqual(len(files), 1)
        # a torn last line, as a crash in the middle of a write leaves
        with open(files[0], "a") as f:
            f.write('{"timestamp":"2026-01-01T00:00:00.000Z","type":"response_item","payl')
        sid = files[0][-len("00000000-0000-0000-0000-000000000000.jsonl"):-6]
        r = w.run(["exec", "resume", sid, "After the crash."])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "RESUMED")
        reqs = w.requests()
        self.assertEqual(reqs[1]["headers"]["session_id"], sid)
        t = texts(reqs[1])
        self.assertIn("First prompt KILLED.", t)
        self.assertIn('CALL {"cmd": "sleep 30"}', t)
        self.assertEqual(t[-1], "After the crash.")
        self.assertEqual(rollouts(w.home), files)  # appended, no second file

    def test_ephemeral_and_unknown_id(self):
        w = self.env([[{"type": "message", "text": "ONE"}], [{"type": "message", "text": "TWO"}]])
        r = w.run(["exec", "--ephemeral", "Nothing stored."])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(rollouts(w.home), [])
        r = w.run(["exec", "resume", "01a22a25-0000-7000-8000-000000000000", "Fresh."])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(rollouts(w.home)), 1)
        self.assertEqual(texts(w.requests()[1])[-1], "Fresh.")
        self.assertNotIn("Nothing stored.", texts(w.requests()[1]))

    def test_model_switch_on_resume(self):
        w = self.env([[{"type": "message", "text": "ONE"}], [{"type": "message", "text": "TWO"}],
                      [{"type": "message", "text": "THREE"}], [{"type": "message", "text": "FOUR"}],
                      [{"type": "message", "text": "FIVE"}], [{"type": "message", "text": "SIX"}]])
        r1 = w.run(["exec", "-m", "gpt-5.1-codex", "P1."])
        self.assertEqual(r1.returncode, 0, r1.stderr)
        # another model and another sandbox: one developer message, <model_switch> first
        r2 = w.run(["exec", "-m", "gpt-5.2", "-s", "danger-full-access", "resume", "--last", "P2."])
        self.assertEqual(r2.returncode, 0, r2.stderr)
        self.assertIn("warning: This session was recorded with model `gpt-5.1-codex` but is resuming "
                      "with `gpt-5.2`. Consider switching back to `gpt-5.1-codex` as it may affect "
                      "Codex performance.", r2.stderr)
        body = w.requests()[1]["body"]
        self.assertEqual(body["model"], "gpt-5.2")
        self.assertEqual(body["input"][-1]["content"][0]["text"], "P2.")
        dev = body["input"][-2]
        self.assertEqual((dev["type"], dev["role"]), ("message", "developer"))
        self.assertEqual(len(dev["content"]), 2)
        sw = dev["content"][0]["text"]
        head = ("<model_switch>\nThe user was previously using a different model. Please continue the "
                "conversation according to the following instructions:\n\n")
        self.assertTrue(sw.startswith(head) and sw.endswith("\n</model_switch>"), sw[:200])
        self.assertTrue(dev["content"][1]["text"].startswith("<permissions instructions>"))
        # the section carries the new model's own instructions (what a fresh session sends);
        # the request keeps the stored session's instructions
        r3 = w.run(["exec", "--ephemeral", "-m", "gpt-5.2", "Fresh."])
        self.assertEqual(r3.returncode, 0, r3.stderr)
        self.assertEqual(sw[len(head):-len("\n</model_switch>")], w.requests()[2]["body"]["instructions"])
        self.assertEqual(body["instructions"], w.requests()[0]["body"]["instructions"])
        # written to the rollout before the new turn_context; no second switch once recorded
        lines = [json.loads(l) for l in open(rollouts(w.home)[0])]
        kinds = [(l["type"], l["payload"].get("type")) for l in lines]
        at = [i for i, l in enumerate(lines) if l["type"] == "response_item"
              and "<model_switch>" in json.dumps(l["payload"])]
        self.assertEqual(len(at), 1)
        self.assertEqual(kinds[at[0] + 1][0], "turn_context")
        r4 = w.run(["exec", "-m", "gpt-5.2", "-s", "danger-full-access", "resume", "--last", "P3."])
        self.assertEqual(r4.returncode, 0, r4.stderr)
        self.assertNotIn("recorded with model", r4.stderr)
        self.assertEqual(sum("<model_switch>" in t for t in texts(w.requests()[3])), 1)
        # --json: the warning is a completed "error" item before the turn starts
        w.run(["exec", "-m", "gpt-5.1-codex", "P4."])
        r5 = w.run(["exec", "--json", "-m", "gpt-5.2", "resume", "--last", "P5."])
        ev = [json.loads(l) for l in r5.stdout.splitlines()]
        self.assertEqual([e["type"] for e in ev[:3]], ["thread.started", "item.completed", "turn.started"])
        self.assertEqual(ev[1]["item"], {"id": "item_0", "type": "error", "message":
                         "This session was recorded with model `gpt-5.1-codex` but is resuming with "
                         "`gpt-5.2`. Consider switching back to `gpt-5.1-codex` as it may affect Codex "
                         "performance."})

    def test_cumulative_usage_after_resume_in_json(self):
        w = self.env([[{"type": "message", "text": "ONE"}], [{"type": "message", "text": "TWO"}]])
        r1 = w.run(["exec", "--json", "P1."])
        r2 = w.run(["exec", "--json", "resume", "--last", "P2."])
        self.assertEqual(r2.returncode, 0, r2.stderr)
        u1 = [json.loads(l) for l in r1.stdout.splitlines() if "turn.completed" in l][0]["usage"]
        u2 = [json.loads(l) for l in r2.stdout.splitlines() if "turn.completed" in l][0]["usage"]
        self.assertGreater(u1["input_tokens"], 0)
        self.assertEqual(u2["input_tokens"], 2 * u1["input_tokens"])
        self.assertEqual(json.loads(r1.stdout.splitlines()[0]), json.loads(r2.stdout.splitlines()[0]))

    def test_compaction_failure_keeps_the_history(self):
        w = self.env([{"items": [{"type": "message", "text": "ONE"}],
                       "usage": {"input_tokens": 5000, "output_tokens": 10, "total_tokens": 5010}},
                      {"status": 500}, {"status": 500}, {"status": 500}, {"status": 500}, {"status": 500},
                      [{"type": "message", "text": "TWO"}]],
                     extra="model_auto_compact_token_limit = 1000\n")
        w.run(["exec", "P1."])
        before = open(rollouts(w.home)[0]).read()
        # five 500s spend the request's retries; no new attempt after them (upstream makes
        # stream_max_retries of them, compaction included)
        r = w.run(["exec", "-c", "model_providers.fake.stream_max_retries=0", "resume", "--last",
                   "P2."], timeout=120)
        self.assertEqual(r.returncode, 1)
        after = open(rollouts(w.home)[0]).read()
        self.assertTrue(after.startswith(before))
        added = [json.loads(l)["payload"].get("type") for l in after[len(before):].splitlines()]
        self.assertEqual(added, ["task_started", "task_complete"])  # nothing lost, prompt not recorded

    def repl(self, w, *args):
        p = PtyProc([BIN] + list(args), w.cwd, w.env(TERM="xterm", NO_COLOR="1"))
        self.addCleanup(p.close)
        return p

    def test_repl_resume_compact_and_history(self):
        w = self.env([[{"type": "message", "text": "EXEC-ANSWER"}],
                      [{"type": "message", "text": "ANSWER-ONE"}],
                      [{"type": "message", "text": "SUMMARY-TEXT"}],
                      [{"type": "message", "text": "ANSWER-TWO"}],
                      [{"type": "message", "text": "ANSWER-THREE"}],
                      [{"type": "message", "text": "ANSWER-FOUR"}]])
        w.run(["exec", "Exec sessions are not listed."])
        p = self.repl(w)
        p.expect(PROMPT)
        p.send("First REPL prompt.\r")
        m = p.expect("ANSWER-ONE")
        p.expect(PROMPT, start=m.end())
        p.send("/compact\r")
        m = p.expect("context compacted")
        p.send("Second prompt.\r")
        p.expect("ANSWER-TWO", start=m.end())
        p.send("/exit\r")
        self.assertEqual(p.wait(), 0)
        reqs = w.requests()[1:]
        # [P1, summary, developer, context, P2]: upstream's shape after a /compact
        self.assertTrue(texts(reqs[2])[1].startswith("Another language model started"), texts(reqs[2]))
        self.assertTrue(texts(reqs[2])[1].endswith("SUMMARY-TEXT"))
        self.assertEqual(texts(reqs[2])[-1], "Second prompt.")
        self.assertEqual(texts(reqs[2])[0], "First REPL prompt.")
        hist = [json.loads(l)["text"] for l in open(os.path.join(w.home, "history.jsonl"))]
        self.assertEqual(hist, ["First REPL prompt.", "Second prompt."])
        # a new REPL lists the REPL session (not the exec one) and resumes it; up-arrow recalls
        p = self.repl(w)
        p.expect(PROMPT)
        p.send("/resume\r")
        m = p.expect(r" 1\. \S+ \S+  First REPL prompt\.")
        self.assertNotIn("Exec sessions", p.buf)
        p.send("/resume 1\r")
        m = p.expect("Resumed session", start=m.end())
        p.send("\x1b[A" * 3 + "\r")  # past /resume 1 and /resume: the last prompt of history.jsonl
        p.expect("ANSWER-THREE", start=m.end())
        p.send("/exit\r")
        self.assertEqual(p.wait(), 0)
        last = texts(w.requests()[-1])
        self.assertEqual(last[-1], "Second prompt.")
        self.assertIn("ANSWER-TWO", last)
        # `ccodex resume` lists; `ccodex resume --last PROMPT` continues the same session
        p = self.repl(w, "resume")
        p.expect(r" 1\. \S+ \S+  First REPL prompt\.")
        p.send("/exit\r")
        self.assertEqual(p.wait(), 0)
        sid = w.requests()[-1]["headers"]["session_id"]
        p = self.repl(w, "resume", "--last", "Fourth.")
        p.expect("session id: " + sid)
        p.expect("ANSWER-FOUR")
        p.send("/exit\r")
        self.assertEqual(p.wait(), 0)
        self.assertEqual(w.requests()[-1]["headers"]["session_id"], sid)
        self.assertEqual(texts(w.requests()[-1])[-1], "Fourth.")

    @unittest.skipUnless(os.access(UPSTREAM_BIN, os.X_OK), "upstream codex 0.115.0 not installed: "
                         "round trips with upstream skipped")
    def test_round_trip_with_upstream(self):
        w = self.env([[{"type": "function_call", "name": "exec_command", "call_id": "call_1",
                        "arguments": "{\"cmd\": \"printf HELLO\"}"}],
                      [{"type": "message", "text": "HELLO"}],
                      [{"type": "message", "text": "UP-TWO"}],
                      [{"type": "message", "text": "UP-ONE"}],
                      [{"type": "message", "text": "CX-TWO"}]])
        env = w.env()
        # ccodex writes, upstream resumes
        r = w.run(["exec", "Run printf HELLO."])
        self.assertEqual(r.returncode, 0, r.stderr)
        sid = rollouts(w.home)[0][-42:-6]
        up = subprocess.run([UPSTREAM_BIN, "exec", "--skip-git-repo-check", "resume", sid, "Upstream turn."],
                            cwd=w.cwd, env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(up.returncode, 0, up.stderr)
        req = w.requests()[2]
        self.assertEqual(req["headers"]["session_id"], sid)
        t = texts(req)
        for want in ("Run printf HELLO.", 'CALL {"cmd": "printf HELLO"}', "HELLO", "Upstream turn."):
            self.assertIn(want, t)
        self.assertEqual(t[-1], "Upstream turn.")
        self.assertEqual(len(rollouts(w.home)), 1)
        # upstream writes, ccodex resumes (upstream's file has both sessions' turns now)
        up = subprocess.run([UPSTREAM_BIN, "exec", "--skip-git-repo-check", "--cd", w.cwd, "Upstream first."],
                            cwd=w.cwd, env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(up.returncode, 0, up.stderr)
        new = [f for f in rollouts(w.home) if sid not in f][0]
        sid2 = new[-42:-6]
        r = w.run(["exec", "resume", sid2, "ccodex turn."])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "CX-TWO")
        ours, theirs = w.requests()[4], w.requests()[3]
        self.assertEqual(ours["headers"]["session_id"], sid2)
        self.assertEqual(ours["body"]["instructions"], theirs["body"]["instructions"])
        self.assertEqual(ours["body"]["input"][:len(theirs["body"]["input"])] and
                         [i for i in ours["body"]["input"][:3]], [i for i in theirs["body"]["input"][:3]])
        self.assertEqual(texts(ours)[-2:], ["UP-ONE", "ccodex turn."])


if __name__ == "__main__":
    unittest.main()

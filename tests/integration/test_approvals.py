"""Approval policies in the REPL (issue 9 item 4): escalation requests are put to the user as a
yes / no / always question, and the answer decides whether the command runs outside the sandbox.
Driven on a pseudo-terminal against the scripted model server; the default sandbox is read-only,
so a file written in the workspace proves the command ran unsandboxed."""
import json, os, re, sys, time, unittest

from harness import BIN, Env
from ptyrun import PtyProc

PROMPT = r"ccodex> "
QUESTION = r"\[question\] Approve: Run this command outside the sandbox\? `{}` \(reason: {}\)"


def call(name, args, call_id="call_1"):
    return {"type": "function_call", "name": name, "call_id": call_id, "arguments": json.dumps(args)}


def outputs(req):
    return {i["call_id"]: i["output"] for i in req["body"]["input"]
            if i.get("type") == "function_call_output"}


def esc(**kw):
    return dict(kw, sandbox_permissions="require_escalated", justification="write the marker")


class ApprovalTests(unittest.TestCase):
    def start(self, script, policy="on-request", extra=""):
        w = Env(script, config_extra=f'approval_policy = "{policy}"\n{extra}')
        self.addCleanup(w.close)
        p = PtyProc([BIN], w.cwd, w.env(TERM="xterm", NO_COLOR="1"))
        self.addCleanup(p.close)
        p.expect(PROMPT)
        return w, p

    def finish(self, p):
        time.sleep(0.2)
        p.send("\x04")
        self.assertEqual(p.wait(), 0)

    def exists(self, w, name):
        return os.path.exists(os.path.join(w.cwd, name))

    def test_yes_runs_the_command_outside_the_sandbox(self):
        for tool, args in (("exec_command", esc(cmd="touch m1", login=False)),
                           ("shell_command", esc(command="touch m1", login=False)),
                           ("shell", esc(command=["touch", "m1"]))):
            with self.subTest(tool=tool):
                w, p = self.start([[call(tool, args)], [{"type": "message", "text": "done"}]])
                p.send("write it\r")
                p.expect(QUESTION.format("touch m1", "write the marker"))
                p.expect(r"1\. Yes, run it")
                p.expect(r"3\. No")
                self.assertFalse(self.exists(w, "m1"))  # nothing ran before the answer
                p.send("1\r")
                p.expect("assistant> done")
                self.finish(p)
                self.assertTrue(self.exists(w, "m1"))
                out = outputs(w.requests()[1])["call_1"]
                self.assertNotIn("rejected", out)
                self.assertNotIn("Permission denied", out)

    def test_no_answers_the_model_with_upstreams_rejection(self):
        for tool, args in (("exec_command", esc(cmd="touch m2", login=False)),
                           ("shell_command", esc(command="touch m2", login=False))):
            with self.subTest(tool=tool):
                w, p = self.start([[call(tool, args)], [{"type": "message", "text": "ok"}]])
                p.send("write it\r")
                p.expect(QUESTION.format("touch m2", "write the marker"))
                p.send("3\r")
                p.expect("assistant> ok")
                self.finish(p)
                self.assertFalse(self.exists(w, "m2"))
                self.assertEqual(outputs(w.requests()[1])["call_1"], "rejected by user")

    def test_free_text_is_not_a_yes(self):
        w, p = self.start([[call("exec_command", esc(cmd="touch m3", login=False))],
                           [{"type": "message", "text": "ok"}]])
        p.send("write it\r")
        p.expect(QUESTION.format("touch m3", "write the marker"))
        p.send("4\r")
        p.expect("your answer> ")
        p.send("yes\r")
        p.expect("assistant> ok")
        self.finish(p)
        self.assertFalse(self.exists(w, "m3"))
        self.assertEqual(outputs(w.requests()[1])["call_1"], "rejected by user")

    def test_always_remembers_the_exact_command_for_the_session(self):
        a = esc(cmd="echo x >> m4", login=False)
        other = esc(cmd="touch m5", login=False)
        w, p = self.start([[call("exec_command", a, "c1")],
                           [call("exec_command", a, "c2")],
                           [call("exec_command", other, "c3")],
                           [{"type": "message", "text": "done"}]])
        p.send("write it\r")
        p.expect(QUESTION.format("echo x >> m4", "write the marker"))
        p.send("2\r")
        # the same command runs again unasked; a different one is asked about
        m = p.expect(QUESTION.format("touch m5", "write the marker"))
        self.assertEqual(len(re.findall(r"\[question\]", p.buf[:m.end()])), 2)
        p.send("3\r")
        p.expect("assistant> done")
        self.finish(p)
        with open(os.path.join(w.cwd, "m4")) as f:
            self.assertEqual(f.read(), "x\nx\n")
        self.assertFalse(self.exists(w, "m5"))
        self.assertEqual(outputs(w.requests()[3])["c3"], "rejected by user")

    def test_without_escalation_the_command_stays_sandboxed_and_unasked(self):
        w, p = self.start([[call("exec_command", {"cmd": "touch m6", "login": False})],
                           [{"type": "message", "text": "ok"}]])
        p.send("write it\r")
        p.expect("assistant> ok")
        self.finish(p)
        self.assertNotIn("[question]", p.buf)
        self.assertFalse(self.exists(w, "m6"))
        self.assertIn("Permission denied", outputs(w.requests()[1])["call_1"])

    def test_never_refuses_without_asking(self):
        w, p = self.start([[call("exec_command", esc(cmd="touch m7", login=False))],
                           [{"type": "message", "text": "ok"}]], policy="never")
        p.send("write it\r")
        p.expect("assistant> ok")
        self.finish(p)
        self.assertNotIn("[question]", p.buf)
        self.assertFalse(self.exists(w, "m7"))
        self.assertIn("approval policy is Never", outputs(w.requests()[1])["call_1"])


if __name__ == "__main__":
    unittest.main()

"""Approval policies in the REPL (issue 9 item 4): escalation requests are put to the user as a
yes / no / always question, and the answer decides whether the command runs outside the sandbox.
Driven on a pseudo-terminal against the scripted model server; the default sandbox is read-only,
so a file written in the workspace proves the command ran unsandboxed."""
import json, os, re, shutil, sys, tempfile, time, unittest

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
                self.assertNotIn("Read-only file system", out)

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
        self.assertIn("Read-only file system", outputs(w.requests()[1])["call_1"])

    def test_never_refuses_without_asking(self):
        w, p = self.start([[call("exec_command", esc(cmd="touch m7", login=False))],
                           [{"type": "message", "text": "ok"}]], policy="never")
        p.send("write it\r")
        p.expect("assistant> ok")
        self.finish(p)
        self.assertNotIn("[question]", p.buf)
        self.assertFalse(self.exists(w, "m7"))
        self.assertIn("approval policy is Never", outputs(w.requests()[1])["call_1"])

    def test_untrusted_runs_known_safe_commands_and_asks_about_the_rest(self):
        safe = ["ls", "git status", "cat a.txt | wc -l", "sed -n 1,2p a.txt && pwd", "rg -n one ."]
        asked = ["rg --pre cat one .", "echo $HOME", "cat a.txt > copy.txt", "git push"]
        script = [[call("exec_command", {"cmd": c, "login": False}, f"s{i}") for i, c in enumerate(safe)],
                  [call("exec_command", {"cmd": "touch u1", "login": False}, "y")]]
        script += [[call("exec_command", {"cmd": c, "login": False}, f"n{i}")] for i, c in enumerate(asked)]
        script += [[call("exec_command", {"cmd": "touch u2", "login": False}, "f")],
                   [{"type": "message", "text": "done"}]]
        w, p = self.start(script, policy="untrusted", extra='sandbox_mode = "workspace-write"')
        p.send("go\r")
        # the known-safe batch ran unasked; the first question is about touch
        m = p.expect(r"\[question\] Approve: Run this command\? `touch u1`")
        self.assertEqual(p.buf[:m.start()].count("[question]"), 0)
        p.send("1\r")
        for c in asked:
            p.expect(r"\[question\] Approve: Run this command\? `" + re.escape(c) + "`")
            p.send("3\r")
        p.expect(r"\[question\] Approve: Run this command\? `touch u2`")
        p.send("4\r")
        p.expect("your answer> ")
        p.send("sure, go ahead\r")
        p.expect("assistant> done")
        self.finish(p)
        reqs = w.requests()
        outs = outputs(reqs[1])
        self.assertIn("Process exited with code 0", outs["s2"])
        self.assertIn("3", outs["s2"])
        for i in range(len(safe)):
            self.assertNotIn("rejected", outs[f"s{i}"])
        # approved: it ran, in the workspace-write sandbox (.git stays read-only there)
        self.assertTrue(self.exists(w, "u1"))
        for i in range(len(asked)):
            self.assertEqual(outputs(reqs[3 + i])[f"n{i}"], "rejected by user")
        self.assertFalse(self.exists(w, "copy.txt"))
        self.assertFalse(self.exists(w, "u2"))
        self.assertEqual(outputs(reqs[3 + len(asked)])["f"], "rejected by user")

    def test_untrusted_approval_keeps_the_sandbox(self):
        # read-only sandbox: an approved ordinary command is still denied its write
        w, p = self.start([[call("exec_command", {"cmd": "touch u3", "login": False})],
                           [{"type": "message", "text": "ok"}]], policy="untrusted")
        p.send("go\r")
        p.expect(r"\[question\] Approve: Run this command\? `touch u3`")
        p.send("2\r")
        p.expect("assistant> ok")
        self.finish(p)
        self.assertFalse(self.exists(w, "u3"))
        self.assertIn("Read-only file system", outputs(w.requests()[1])["call_1"])

    def test_on_failure_offers_a_rerun_outside_the_sandbox(self):
        retry = r"\[question\] Approve: The sandbox denied this command\. Run this command outside the sandbox\? `{}`"
        for answer, written in (("1", True), ("3", False)):
            with self.subTest(answer=answer):
                w, p = self.start([[call("shell_command", {"command": "touch f1", "login": False})],
                                   [call("shell", {"command": ["false"]}, "c2")],
                                   [{"type": "message", "text": "ok"}]], policy="on-failure")
                p.send("go\r")
                p.expect(retry.format("touch f1"))
                self.assertFalse(self.exists(w, "f1"))  # the sandboxed run was denied
                p.send(answer + "\r")
                p.expect("assistant> ok")
                self.finish(p)
                self.assertEqual(self.exists(w, "f1"), written)
                out = outputs(w.requests()[1])["call_1"]
                if written:
                    self.assertTrue(out.startswith("Exit code: 0"), out)
                else:
                    self.assertTrue(out.startswith("Exit code: 1"), out)
                    self.assertIn("Read-only file system", out)
                # a failure that is no denial is not offered a re-run
                self.assertEqual(p.buf.count("[question]"), 1)

    def test_on_request_does_not_offer_a_rerun(self):
        w, p = self.start([[call("shell_command", {"command": "touch f2", "login": False})],
                           [{"type": "message", "text": "ok"}]])
        p.send("go\r")
        p.expect("assistant> ok")
        self.finish(p)
        self.assertNotIn("[question]", p.buf)
        self.assertFalse(self.exists(w, "f2"))


    def test_on_failure_reruns_a_denied_exec_command(self):
        retry = r"\[question\] Approve: The sandbox denied this command\. Run this command outside the sandbox\? `{}`"
        for answer, written in (("1", True), ("3", False)):
            with self.subTest(answer=answer):
                w, p = self.start([[call("exec_command", {"cmd": "touch f3", "login": False})],
                                   [{"type": "message", "text": "ok"}]], policy="on-failure")
                p.send("go\r")
                p.expect(retry.format("touch f3"))
                self.assertFalse(self.exists(w, "f3"))
                p.send(answer + "\r")
                p.expect("assistant> ok")
                self.finish(p)
                self.assertEqual(self.exists(w, "f3"), written)
                out = outputs(w.requests()[1])["call_1"]
                if written:
                    self.assertRegex(out, r"(?s)^Command: /bin/\w+ -c 'touch f3'\n.*Process exited with code 0\n")
                else:
                    # upstream's answer for a sandbox denial
                    self.assertTrue(out.startswith("exec_command failed for `/bin/bash -c 'touch f3'`: "
                                                   "CreateProcess { message: \"Codex(Sandbox(Denied { "
                                                   "output: ExecToolCallOutput { exit_code: 1, "), out)
                    self.assertIn("Read-only file system", out)

    def grant_session(self, answer, turn2_write):
        """A request_permissions grant of a directory outside the (read-only) workspace, a write
        there in the same turn and one in the next turn."""
        d = tempfile.mkdtemp(prefix="cx-grant-")
        self.addCleanup(shutil.rmtree, d, True)
        perms = {"file_system": {"write": [d]}}
        w, p = self.start([[call("request_permissions", {"reason": "write results", "permissions": perms},
                                 "rp")],
                           [call("exec_command", {"cmd": f"touch {d}/g1", "login": False}, "c1")],
                           [{"type": "message", "text": "first"}],
                           [call("shell_command", {"command": turn2_write.format(d=d), "login": False},
                                 "c2")],
                           [{"type": "message", "text": "second"}]],
                          extra='experimental_supported_tools = ["request_permissions"]\n')
        p.send("go\r")
        p.expect(r"\[question\] Permissions: Grant these permissions \(write results\)\?")
        p.expect(r"3\. Grant for the session")
        p.send(answer + "\r")
        p.expect("assistant> first")
        p.send("again\r")
        p.expect("assistant> second")
        self.finish(p)
        return d, w

    def test_request_permissions_session_grant_widens_the_sandbox(self):
        d, w = self.grant_session("3", "touch {d}/g2")
        self.assertTrue(os.path.exists(os.path.join(d, "g1")))
        self.assertTrue(os.path.exists(os.path.join(d, "g2")))  # still granted in the next turn
        # nothing else was opened: the workspace stays read-only
        self.assertFalse(self.exists(w, "x"))

    def test_request_permissions_turn_grant_ends_with_the_turn(self):
        d, w = self.grant_session("2", "touch {d}/g2")
        self.assertTrue(os.path.exists(os.path.join(d, "g1")))
        self.assertFalse(os.path.exists(os.path.join(d, "g2")))
        self.assertIn("Read-only file system", outputs(w.requests()[4])["c2"])

    def test_request_permissions_denied_keeps_the_sandbox(self):
        d, w = self.grant_session("1", "touch {d}/g2; touch x")
        self.assertFalse(os.path.exists(os.path.join(d, "g1")))
        self.assertFalse(os.path.exists(os.path.join(d, "g2")))
        self.assertFalse(self.exists(w, "x"))


if __name__ == "__main__":
    unittest.main()

"""A model error (an HTTP error status from the Responses endpoint) is reported as upstream Codex
0.115.0 reports it, on stderr and in `exec --json`: a 400 by the server's body alone; any other
status as "unexpected status CODE REASON: MESSAGE, url: URL", MESSAGE being the body's
error.message (else the trimmed body, else "Unknown error"). When the upstream binary is installed
the final messages are compared with its own (skipped, saying so, otherwise)."""
import json, os, re, subprocess, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Env, BIN  # noqa: E402

UPSTREAM_BIN = os.environ.get("CX_UPSTREAM_CODEX") or (
    "/work/upstream/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/codex/codex")
BODY = '{"error": {"message": "scripted failure", "type": "server_error"}}'


def final_errors(binary, script, json_mode):
    """(exit code, the ERROR line of stderr or the --json error/turn.failed messages)."""
    w = Env(script)
    try:
        args = ["exec", "--skip-git-repo-check"] + (["--json"] if json_mode else []) + ["hi"]
        p = subprocess.run([binary] + args, cwd=w.cwd, env=w.env(), capture_output=True, text=True,
                           timeout=180)
        norm = lambda s: re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", s)
        if json_mode:
            ev = [json.loads(l) for l in p.stdout.splitlines()]
            errs = [e["message"] for e in ev if e["type"] == "error"
                    and not e["message"].startswith("Reconnecting")]
            failed = [e["error"]["message"] for e in ev if e["type"] == "turn.failed"]
            return p.returncode, [norm(m) for m in errs + failed]
        return p.returncode, [norm(l) for l in p.stderr.splitlines() if l.startswith("ERROR: ")]
    finally:
        w.close()


class ModelErrors(unittest.TestCase):
    def test_400_is_reported_by_its_body(self):
        self.assertEqual(final_errors(BIN, [{"status": 400}], False), (1, ["ERROR: " + BODY]))
        self.assertEqual(final_errors(BIN, [{"status": 400}], True), (1, [BODY, BODY]))

    def test_other_statuses_name_status_message_and_url(self):
        want = "unexpected status 404 Not Found: scripted failure, url: http://127.0.0.1:PORT/v1/responses"
        self.assertEqual(final_errors(BIN, [{"status": 404}] * 8, False), (1, ["ERROR: " + want]))
        self.assertEqual(final_errors(BIN, [{"status": 404}] * 8, True), (1, [want, want]))
        # a blank error.message: the body itself
        blank = '{"error": {"message": "  ", "type": "server_error"}}'
        self.assertEqual(final_errors(BIN, [{"status": 422, "message": "  "}] * 8, False),
                         (1, ["ERROR: unexpected status 422 Unprocessable Entity: " + blank +
                              ", url: http://127.0.0.1:PORT/v1/responses"]))

    def test_same_final_messages_as_upstream(self):
        if not os.access(UPSTREAM_BIN, os.X_OK):
            self.skipTest(f"upstream codex not installed at {UPSTREAM_BIN}")
        for status in (400, 404):
            for json_mode in (False, True):
                with self.subTest(status=status, json=json_mode):
                    script = [{"status": status}] * 8
                    self.assertEqual(final_errors(BIN, script, json_mode),
                                     final_errors(UPSTREAM_BIN, script, json_mode))


if __name__ == "__main__":
    unittest.main()

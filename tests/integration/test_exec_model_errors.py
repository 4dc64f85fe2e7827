"""A model error (an HTTP error status from the Responses endpoint) is reported as upstream Codex
0.115.0 reports it, on stderr and in `exec --json`: a 400 by the server's body alone; any other
status as "unexpected status CODE REASON: MESSAGE, url: URL", MESSAGE being the body's
error.message (else the trimmed body, else "Unknown error"). As upstream's turn loop, an error status
other than 400 and 429 is attempted again stream_max_retries times, each announced as
"Reconnecting... N/M (MESSAGE)". When the upstream binary is installed the final messages, the
notices and the number of requests are compared with its own (skipped, saying so, otherwise)."""
import json, os, re, subprocess, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Env, BIN  # noqa: E402

UPSTREAM_BIN = os.environ.get("CX_UPSTREAM_CODEX") or (
    "/work/upstream/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/codex/codex")
BODY = '{"error": {"message": "scripted failure", "type": "server_error"}}'


def norm(s):
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", s)


def run_exec(binary, script, json_mode, **provider):
    """One `exec hi` against the scripted server: (process, --json events or None, the number of
    requests); provider: settings of the fake provider, e.g. stream_max_retries=2."""
    w = Env(script)
    try:
        args = ["exec", "--skip-git-repo-check"] + (["--json"] if json_mode else [])
        for k, v in provider.items():
            args += ["-c", f"model_providers.fake.{k}={v}"]
        args.append("hi")
        p = subprocess.run([binary] + args, cwd=w.cwd, env=w.env(), capture_output=True, text=True,
                           timeout=180)
        events = [json.loads(l) for l in p.stdout.splitlines()] if json_mode else None
        return p, events, len(w.requests())
    finally:
        w.close()


def attempts(binary, script, json_mode, **provider):
    """(exit code, the Reconnecting notices, the number of requests)."""
    p, events, n = run_exec(binary, script, json_mode, **provider)
    lines = [e["message"] for e in events if e["type"] == "error"] if json_mode else p.stderr.splitlines()
    return p.returncode, [norm(m) for m in lines if m.startswith("Reconnecting")], n


def final_errors(binary, script, json_mode):
    """(exit code, the ERROR line of stderr or the --json error/turn.failed messages)."""
    p, events, _ = run_exec(binary, script, json_mode)
    if json_mode:
        errs = [e["message"] for e in events if e["type"] == "error"
                and not e["message"].startswith("Reconnecting")]
        failed = [e["error"]["message"] for e in events if e["type"] == "turn.failed"]
        return p.returncode, [norm(m) for m in errs + failed]
    return p.returncode, [norm(l) for l in p.stderr.splitlines() if l.startswith("ERROR: ")]


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

    def test_error_statuses_are_attempted_again_as_upstream_does(self):
        url = "http://127.0.0.1:PORT/v1/responses"
        rc, notices, n = attempts(BIN, [{"status": 404}] * 8, False)  # stream_max_retries = 5
        self.assertEqual((rc, n), (1, 6))
        self.assertEqual(notices, [f"Reconnecting... {i}/5 (unexpected status 404 Not Found: "
                                   f"scripted failure, url: {url})" for i in range(1, 6)])
        for status, reason in ((401, "Unauthorized"), (403, "Forbidden"), (422, "Unprocessable Entity")):
            with self.subTest(status=status):
                rc, notices, n = attempts(BIN, [{"status": status}] * 8, False, stream_max_retries=1)
                self.assertEqual((rc, n), (1, 2))
                self.assertEqual(notices, [f"Reconnecting... 1/1 (unexpected status {status} {reason}: "
                                           f"scripted failure, url: {url})"])
        rc, notices, n = attempts(BIN, [{"status": 404}] * 3, True, stream_max_retries=2)
        self.assertEqual((rc, n), (1, 3))
        self.assertEqual(notices, [f"Reconnecting... {i}/2 (unexpected status 404 Not Found: "
                                   f"scripted failure, url: {url})" for i in (1, 2)])
        # the request itself is wrong: once
        self.assertEqual(attempts(BIN, [{"status": 400}] * 8, False), (1, [], 1))
        # a 5xx spends the request's own retries first, then the attempt is made again
        rc, notices, n = attempts(BIN, [{"status": 500}] * 8, False, request_max_retries=1,
                                  stream_max_retries=1)
        self.assertEqual((rc, n), (1, 4))
        failure = f"unexpected status 500 Internal Server Error: scripted failure, url: {url}"
        self.assertEqual(len(notices), 3, notices)
        for i in (0, 2):  # the request's own retries say how long they wait (ours alone)
            self.assertRegex(notices[i], r"^Reconnecting\.\.\. 1/1 \(" + re.escape(failure) +
                             r" \(retrying in 0\.\d s\)\)$")
        self.assertEqual(notices[1], f"Reconnecting... 1/1 ({failure})")

    def test_same_attempts_as_upstream(self):
        if not os.access(UPSTREAM_BIN, os.X_OK):
            self.skipTest(f"upstream codex not installed at {UPSTREAM_BIN}")
        for status, json_mode in ((404, False), (401, True)):
            with self.subTest(status=status, json=json_mode):
                script = [{"status": status}] * 8
                self.assertEqual(attempts(BIN, script, json_mode),
                                 attempts(UPSTREAM_BIN, script, json_mode))

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

"""End-to-end tests of `ccodex exec` / one-shot against the scripted fake Responses server:
plain turns, retries, dropped and stalled streams, malformed SSE, and CLI error handling."""
import json, os, time, unittest

from harness import Env


class ExecTests(unittest.TestCase):
    def world(self, script, **kw):
        env = Env(script, **kw)
        self.addCleanup(env.close)
        return env

    def test_plain_turn_prints_reply(self):
        w = self.world([[{"type": "message", "text": "OK"}]])
        p = w.run(["exec", "Reply with exactly OK."])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "OK\n")
        reqs = w.requests()
        self.assertEqual(len(reqs), 1)
        body = reqs[0]["body"]
        self.assertEqual(body["input"][-1]["content"][0]["text"], "Reply with exactly OK.")
        self.assertEqual(reqs[0]["headers"]["authorization"], "Bearer sk-test-secret-key")

    def test_one_shot_streams_deltas_and_reads_stdin(self):
        w = self.world([{"items": [{"type": "message", "text": "hello there world"}], "deltas": 5}])
        p = w.run([], input="Say hello\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "hello there world\n")
        # the one-shot strips a piped prompt's surrounding whitespace (pycodex)
        self.assertEqual(w.requests()[0]["body"]["input"][-1]["content"][0]["text"], "Say hello")

    def test_retry_after_429_honours_retry_after(self):
        w = self.world([{"status": 429, "retry_after": 1}, [{"type": "message", "text": "OK"}]])
        t0 = time.monotonic()
        p = w.run(["exec", "hi"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "OK\n")
        reqs = w.requests()
        self.assertEqual(len(reqs), 2)
        self.assertGreaterEqual(reqs[1]["arrival"] - reqs[0]["arrival"], 0.9)
        self.assertLess(time.monotonic() - t0, 20)

    def test_retry_after_500(self):
        w = self.world([{"status": 500}, [{"type": "message", "text": "OK"}]])
        p = w.run(["exec", "hi"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(w.requests()), 2)

    def test_400_fails_at_once_naming_status_without_key(self):
        w = self.world([{"status": 400, "message": "bad model name"}])
        p = w.run(["exec", "hi"])
        self.assertNotEqual(p.returncode, 0)
        # upstream reports a 400 by the server's body alone (test_exec_model_errors.py)
        self.assertIn('ERROR: {"error": {"message": "bad model name"', p.stderr)
        self.assertNotIn("sk-test-secret-key", p.stderr + p.stdout)
        self.assertEqual(len(w.requests()), 1)

    def test_request_retries_exhausted(self):
        w = self.world([{"status": 503}] * 5, config_extra="")
        # the request's own retries alone (no new attempt of the turn's sample after them)
        p = w.run(["exec", "-c", "model_providers.fake.request_max_retries=1",
                   "-c", "model_providers.fake.stream_max_retries=0", "hi"])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("503", p.stderr)
        self.assertEqual(len(w.requests()), 2)

    def test_dropped_stream_is_retried(self):
        w = self.world([{"items": [{"type": "message", "text": "partial"}], "drop_after_events": 2},
                        [{"type": "message", "text": "OK"}]])
        p = w.run(["exec", "hi"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "OK\n")
        self.assertEqual(len(w.requests()), 2)

    def test_dropped_stream_fails_after_stream_retries(self):
        drop = {"items": [{"type": "message", "text": "partial"}], "drop_after_events": 2}
        w = self.world([drop] * 4)
        p = w.run(["exec", "-c", "model_providers.fake.stream_max_retries=1", "hi"])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("stream", p.stderr.lower())
        self.assertEqual(len(w.requests()), 2)

    def test_stalled_stream_hits_idle_timeout(self):
        w = self.world([{"items": [{"type": "message", "text": "x"}], "stall_after_events": 1,
                         "stall_seconds": 20}])
        t0 = time.monotonic()
        p = w.run(["exec", "-c", "model_providers.fake.stream_idle_timeout_ms=400",
                   "-c", "model_providers.fake.stream_max_retries=0", "hi"])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("idle", p.stderr.lower())
        self.assertLess(time.monotonic() - t0, 10)

    def test_malformed_sse_gives_clear_error(self):
        w = self.world([{"raw": "event: response.created\ndata: {not json\n\n"}])
        p = w.run(["exec", "-c", "model_providers.fake.stream_max_retries=0", "hi"])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("error", p.stderr.lower())
        # after the banner (13 lines in upstream's layout) the error is one line
        after = p.stderr.split("mcp startup: no servers\n", 1)[1]
        self.assertLess(len(after.strip().splitlines()), 3, p.stderr)

    def test_response_failed_reports_message(self):
        w = self.world([{"items": [], "failed": "the model is overloaded"}])
        p = w.run(["exec", "-c", "model_providers.fake.stream_max_retries=0", "hi"])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("the model is overloaded", p.stderr)

    def test_bad_config_names_file_and_line(self):
        w = self.world([])
        with open(os.path.join(w.home, "config.toml"), "a") as f:
            f.write("\nbroken = [1, 2\n")
        p = w.run(["exec", "hi"])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("config.toml", p.stderr)
        self.assertRegex(p.stderr, r"line \d+")
        self.assertEqual(w.requests(), [])

    def test_empty_prompt_is_an_error(self):
        w = self.world([])
        p = w.run(["exec"], input="   \n")
        # upstream's words and exit code, after its notice
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, "Reading prompt from stdin...\nNo prompt provided via stdin.\n")
        self.assertEqual(w.requests(), [])

    def test_unknown_option_is_an_error(self):
        w = self.world([])
        p = w.run(["--no-such-flag"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("--no-such-flag", p.stderr)

    def test_version_and_help(self):
        w = self.world([])
        p = w.run(["--version"])
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^ccodex \d+\.\d+\.\d+\n$")
        p = w.run(["--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("exec", p.stdout)

    def test_server_unreachable(self):
        w = self.world([])
        w.write_config("")
        with open(os.path.join(w.home, "config.toml")) as f:
            cfg = f.read()
        with open(os.path.join(w.home, "config.toml"), "w") as f:
            f.write(cfg.replace(f"127.0.0.1:{w.port}", "127.0.0.1:9"))
        p = w.run(["exec", "-c", "model_providers.fake.request_max_retries=0", "hi"], timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip())


if __name__ == "__main__":
    unittest.main()

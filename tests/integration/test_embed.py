"""examples/embed.c, a program that links only libccodex and uses only its public headers,
runs a turn against the scripted fake server: the request reaches the server with the user's
prompt and the reply comes back through the events and cx_agent_last_message."""
import os, subprocess, unittest

from harness import Env

EMBED = os.environ.get("CX_EMBED_BIN")


@unittest.skipUnless(EMBED and os.path.exists(EMBED), "CX_EMBED_BIN is not built")
class EmbedTests(unittest.TestCase):
    def test_embedder_runs_a_turn(self):
        w = Env([[{"type": "message", "text": "hello from the fake model"}]])
        self.addCleanup(w.close)
        p = subprocess.run([EMBED, "say hello"], cwd=w.cwd, env=w.env(), capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("item: agent_message\n", p.stdout)
        self.assertIn("last message: hello from the fake model\n", p.stdout)
        reqs = w.requests()
        self.assertEqual(len(reqs), 1)
        user = [i for i in reqs[0]["body"]["input"] if i.get("role") == "user"]
        self.assertIn("say hello", user[-1]["content"][0]["text"])

    def test_embedder_reports_a_bad_config(self):
        w = Env([[{"type": "message", "text": "unused"}]])
        self.addCleanup(w.close)
        with open(os.path.join(w.home, "config.toml"), "a") as f:
            f.write("model = [unclosed\n")
        p = subprocess.run([EMBED, "say hello"], cwd=w.cwd, env=w.env(), capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stderr.startswith("config: "), p.stderr)
        self.assertIn("config.toml", p.stderr)
        self.assertEqual(w.requests(), [])


if __name__ == "__main__":
    unittest.main()

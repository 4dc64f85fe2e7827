"""Upstream's captures committed under tests/fixtures/ keep the place of upstream's prose but
not its words (scrub_captures.py); a capture recorded later and committed unscrubbed fails here."""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")


class CapturesScrubbed(unittest.TestCase):
    def test_no_upstream_prose_in_fixtures(self):
        p = subprocess.run([sys.executable, os.path.join(HERE, "scrub_captures.py"), "--check", FIXTURES],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_check_finds_prose(self):
        import json
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "request-001.json"), "w") as f:
                json.dump({"body": {"instructions": "You are a model.", "tools": [
                    {"type": "function", "name": "t", "description": "does things"}]}}, f)
            p = subprocess.run([sys.executable, os.path.join(HERE, "scrub_captures.py"), "--check", d],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 1)
            subprocess.run([sys.executable, os.path.join(HERE, "scrub_captures.py"), d], check=True)
            with open(os.path.join(d, "request-001.json")) as f:
                body = json.load(f)["body"]
            self.assertEqual(body["instructions"], "<upstream prose omitted>")
            self.assertEqual(body["tools"][0]["description"], "<upstream prose omitted>")


if __name__ == "__main__":
    unittest.main()

"""Conformance with upstream Codex 0.115.0: replays every exec scenario of
../shared/conformance with the shared capture script, then compares our requests with upstream's
field by field (compare_requests.py; prose excluded) and our stdout with upstream's."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capture import UPSTREAM, CaptureTest, captured, load_scenarios  # noqa: E402


class Conformance(CaptureTest):
    @classmethod
    def setUpClass(cls):
        cls.scratch("cx-conf-")
        cls.capture("capture_upstream.py", captured(load_scenarios("scenarios.json")), timeout=600)

    def compare(self, name):
        rc, out = self.compare_scenario(name)
        self.assertEqual(rc, 0, f"{name}:\n{out}\ncapture log:\n{self.capture_log}")

    def stdout_equal(self, name, fname):
        want = open(os.path.join(UPSTREAM, name, fname)).read()
        got = open(os.path.join(self.ours, name, fname)).read()
        self.assertEqual(got, want, f"{name}/{fname}\ncapture log:\n{self.capture_log}")

    def test_plain(self):
        self.compare("plain")
        self.stdout_equal("plain", "stdout.txt")

    def test_shell(self):
        self.compare("shell")
        self.stdout_equal("shell", "stdout.txt")

    def test_apply_patch(self):
        self.compare("apply_patch")
        self.stdout_equal("apply_patch", "stdout.txt")
        self.assertIn("ok=True", self.capture_log.split("apply_patch:")[1].splitlines()[0])

    def test_patch_update(self):
        self.compare("patch_update")
        self.stdout_equal("patch_update", "stdout.txt")
        self.assertIn("ok=True", self.capture_log.split("patch_update:")[1].splitlines()[0])

    def test_json_events(self):
        self.compare("json")
        self.stdout_equal("json", "stdout.jsonl")


if __name__ == "__main__":
    unittest.main()

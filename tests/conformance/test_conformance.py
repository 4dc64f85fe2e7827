"""Conformance with upstream Codex 0.115.0: replays every exec scenario of
../shared/conformance with the shared capture script, then compares our requests with upstream's
field by field (compare_requests.py; prose excluded) and our stdout with upstream's."""
import json, os, shutil, stat, subprocess, sys, tempfile, unittest

SHARED = os.environ.get("CX_SHARED_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared")
CONF = os.path.join(SHARED, "conformance")
TOOLS = os.path.join(CONF, "tools")
UPSTREAM = os.path.join(CONF, "upstream-0.115.0")
BIN = os.environ.get("CCODEX_BIN") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "ccodex")

# Upstream's capture home had its system skills installed, so its developer message carries a
# skills block; ccodex ships no skills, so the wrapper plants one to exercise the same shape.
WRAPPER = """#!/bin/sh
mkdir -p "$CODEX_HOME/skills/demo"
printf -- '---\\nname: demo\\ndescription: A demonstration skill used by the conformance test.\\n---\\nDo the demo.\\n' > "$CODEX_HOME/skills/demo/SKILL.md"
exec "{bin}" "$@"
"""


class Conformance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cx-conf-")
        wrapper = os.path.join(cls.tmp, "ccodex-wrapper")
        with open(wrapper, "w") as f:
            f.write(WRAPPER.replace("{bin}", os.path.abspath(BIN)))
        os.chmod(wrapper, os.stat(wrapper).st_mode | stat.S_IEXEC)
        scenarios = json.load(open(os.path.join(CONF, "scenarios.json")))
        cls.names = [n for n in scenarios if os.path.isdir(os.path.join(UPSTREAM, n))]
        p = subprocess.run([sys.executable, os.path.join(TOOLS, "capture_upstream.py"), wrapper, "ccodex",
                            cls.tmp] + cls.names, capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, TERM=os.environ.get("TERM", "xterm")))
        cls.capture_log = p.stdout + p.stderr
        cls.ours = os.path.join(cls.tmp, "upstream-ccodex")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def compare(self, name):
        p = subprocess.run([sys.executable, os.path.join(TOOLS, "compare_requests.py"),
                            os.path.join(UPSTREAM, name), os.path.join(self.ours, name)],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, f"{name}:\n{p.stdout}\ncapture log:\n{self.capture_log}")

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

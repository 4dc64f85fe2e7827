"""Sub-agents, view_image, web search and code mode against upstream Codex 0.115.0.

Two scenario sets are replayed with the shared capture script (capture_more.py):
- ../shared/conformance/scenarios-extra.json (captures in ../shared/conformance/upstream-0.115.0);
- tests/fixtures/upstream-extra/scenarios.json, recorded by us from the same 0.115.0 binary (error
  texts of the agent tools, closed agents, id forms, and code mode run with a Node.js new enough for
  upstream, which the shared captures lacked).
Requests are compared field by field (prose excluded, random nicknames blanked) and, for --json
runs, the JSONL events line by line."""
import json, os, shutil, subprocess, sys, tempfile, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("CX_SHARED_DIR") or os.path.join(HERE, "..", "..", "..", "shared")
CONF = os.path.join(SHARED, "conformance")
TOOLS = os.path.join(CONF, "tools")
OURS_FIX = os.path.join(HERE, "..", "fixtures", "upstream-extra")
BIN = os.environ.get("CCODEX_BIN") or os.path.join(HERE, "..", "..", "build", "ccodex")

# Scenarios whose difference from upstream is deliberate, with the reason.
DELIBERATE = {
    # pycodex's switch (experimental_supported_tools = ["exec"]) keeps pycodex's code mode;
    # upstream 0.115.0 does not know that key and answers "unsupported custom tool call".
    "code_mode_ccodex_key": "pycodex's code-mode switch is kept",
    # recorded with a Node.js older than upstream requires: upstream disabled code mode there;
    # tests/fixtures/upstream-extra has the same scenario recorded with a new enough Node.
    "code_mode_feature": "superseded by the re-recorded fixture",
}


def capture(scenarios, names, dest):
    env = dict(os.environ, SCENARIOS=scenarios, CAPTURE_TMP=os.path.join(dest, "tmp"))
    p = subprocess.run([sys.executable, os.path.join(TOOLS, "capture_more.py"), os.path.abspath(BIN),
                        "ccodex", dest] + names, capture_output=True, text=True, timeout=900, env=env)
    return p.stdout + p.stderr


class AgentsExtra(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cx-extra-")
        shared = json.load(open(os.path.join(CONF, "scenarios-extra.json")))
        cls.shared_names = [n for n in shared if n not in DELIBERATE]
        ours = json.load(open(os.path.join(OURS_FIX, "scenarios.json")))
        cls.our_names = list(ours)
        cls.log = capture(os.path.join(CONF, "scenarios-extra.json"), cls.shared_names,
                          os.path.join(cls.tmp, "shared"))
        cls.log += capture(os.path.join(OURS_FIX, "scenarios.json"), cls.our_names,
                           os.path.join(cls.tmp, "ours"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def check(self, upstream_dir, ours_dir, name):
        env = dict(os.environ, IGNORE_SKILLS="1", IGNORE_NICKNAME="1")
        p = subprocess.run([sys.executable, os.path.join(TOOLS, "compare_requests.py"),
                            os.path.join(upstream_dir, name), os.path.join(ours_dir, name)],
                           capture_output=True, text=True, env=env)
        self.assertEqual(p.returncode, 0, f"{name}:\n{p.stdout}\n{self.log}")
        want = os.path.join(upstream_dir, name, "stdout.jsonl")
        if os.path.exists(want):
            got = open(os.path.join(ours_dir, name, "stdout.jsonl")).read()
            self.assertEqual(got, open(want).read(), f"{name}: --json events")

    def test_shared_scenarios(self):
        for name in self.shared_names:
            with self.subTest(name):
                self.check(os.path.join(CONF, "upstream-0.115.0"),
                           os.path.join(self.tmp, "shared", "upstream-ccodex"), name)

    def test_recorded_scenarios(self):
        for name in self.our_names:
            with self.subTest(name):
                self.check(os.path.join(OURS_FIX, "upstream-0.115.0"),
                           os.path.join(self.tmp, "ours", "upstream-ccodex"), name)


if __name__ == "__main__":
    unittest.main()

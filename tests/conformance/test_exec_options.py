"""Conformance of `ccodex exec`'s options with upstream Codex 0.115.0: replays the opt_* scenarios of
../shared/conformance/scenarios-more.json with the shared capture_more.py, then compares what ccodex
sent (compare_requests.py, prose excluded), its exit codes, stdout, the files it wrote (-o output,
notify payloads) and its stderr layout (banner line aside) with upstream's captures."""
import json, os, re, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capture import CONF, UPSTREAM, CaptureTest, captured, load_scenarios  # noqa: E402

# Scenarios owned by other areas: MCP servers (opt_color_always_mixed), the sandbox's
# command quoting (opt_dangerously_bypass_write), sessions (--ephemeral) and a local Ollama
# (--oss probes against a real server).
SKIP = ("opt_color_always_mixed", "opt_dangerously_bypass_write", "opt_ephemeral", "opt_not_ephemeral",
        "opt_ephemeral_json", "opt_oss_ollama", "opt_oss_lmstudio", "opt_oss_configured",
        "opt_oss_lmstudio_fake", "opt_oss_ollama_fake", "opt_oss_ollama_fake_model")

# Stderr lines that differ by design: upstream's own banner title and PATH warning.
STDERR_SKIP = re.compile(r"^(WARNING: proceeding|OpenAI Codex v|ccodex v)")
# Timings under --color are not normalised by the capture tool.
TIMING = re.compile(r" in (?:\d+ms|[0-9.]+s|\d+m \d+s):")


class ExecOptions(CaptureTest):
    @classmethod
    def setUpClass(cls):
        names = [n for n in captured(load_scenarios("scenarios-more.json"))
                 if n.startswith("opt_") and n not in SKIP]
        cls.scratch("cx-opt-")
        cls.capture("capture_more.py", names, timeout=900,
                    env={"SCENARIOS": os.path.join(CONF, "scenarios-more.json"),
                         "CAPTURE_TMP": os.path.join(cls.tmp, "runs")})

    def meta(self, base, name):
        with open(os.path.join(base, name, "meta.json")) as f:
            return json.load(f)

    def check(self, name):
        up, ours = os.path.join(UPSTREAM, name), os.path.join(self.ours, name)
        self.assertTrue(os.path.exists(os.path.join(ours, "meta.json")), f"{name}: not run\n{self.capture_log}")
        mu, mo = self.meta(UPSTREAM, name), self.meta(self.ours, name)
        self.assertEqual((mo["rc"], mo["requests"]), (mu["rc"], mu["requests"]),
                         f"{name}: exit code / request count\n" + open(os.path.join(ours, "stderr.txt")).read())
        if mu["requests"]:
            rc, out = self.compare_scenario(name)
            self.assertEqual(rc, 0, f"{name}:\n{out}")
        for f in sorted(os.listdir(up)):
            if f.startswith("stdout") or (f.startswith("collected-") and not f.endswith(".MISSING")):
                with open(os.path.join(up, f), "rb") as a:
                    want = a.read()
                self.assertTrue(os.path.exists(os.path.join(ours, f)), f"{name}: {f} not written")
                with open(os.path.join(ours, f), "rb") as b:
                    self.assertEqual(b.read(), want, f"{name}/{f}")

    def stderr_layout(self, name):
        def lines(base):
            with open(os.path.join(base, name, "stderr.txt")) as f:
                return [TIMING.sub(" in Nms:", l) for l in f.read().splitlines() if not STDERR_SKIP.match(l)]
        self.assertEqual(lines(self.ours), lines(UPSTREAM), name)

    # -o / --output-last-message
    def test_output_last_message(self):
        for n in ("opt_output_last_message", "opt_output_last_message_tool", "opt_output_last_message_none",
                  "opt_output_last_message_json", "opt_output_last_message_fail"):
            with self.subTest(n):
                self.check(n)
        for n in ("opt_output_last_message", "opt_output_last_message_none"):
            self.stderr_layout(n)

    def test_output_schema(self):
        for n in ("opt_output_schema", "opt_output_schema_json", "opt_output_schema_missing"):
            with self.subTest(n):
                self.check(n)
                self.stderr_layout(n) if n.endswith("missing") else None

    def test_images(self):
        for n in ("opt_image", "opt_image_equals", "opt_image_json", "opt_image_missing", "opt_image_eats_prompt"):
            with self.subTest(n):
                self.check(n)
        self.stderr_layout("opt_image_eats_prompt")

    def test_sandbox_flags(self):
        for n in ("opt_full_auto", "opt_dangerously_bypass", "opt_profile", "opt_cd"):
            with self.subTest(n):
                self.check(n)
                self.stderr_layout(n)

    def test_color(self):
        for n in ("opt_color_always", "opt_color_never", "opt_progress_cursor"):
            with self.subTest(n):
                self.check(n)
                self.stderr_layout(n)

    def test_stdin_rules(self):
        for n in ("opt_stdin_dash", "opt_stdin_noprompt", "opt_stdin_and_prompt"):
            with self.subTest(n):
                self.check(n)
                self.stderr_layout(n)

    def test_notify(self):
        for n in ("opt_notify", "opt_notify_plain", "opt_notify_fail", "opt_notify_missing"):
            with self.subTest(n):
                self.check(n)
        # a failed turn runs no hook
        self.assertFalse(os.path.exists(os.path.join(self.ours, "opt_notify_fail", "collected-notify.jsonl")))

    def test_oss_without_a_provider(self):
        self.check("opt_oss")
        self.stderr_layout("opt_oss")

    def test_git_check(self):
        for n in ("opt_no_git", "opt_no_git_skip"):
            with self.subTest(n):
                self.check(n)
                self.stderr_layout(n)

    def test_options_before_exec(self):
        for n in ("opt_toplevel_approval_flag", "opt_toplevel_sandbox", "opt_toplevel_config",
                  "opt_toplevel_full_auto", "opt_toplevel_image", "opt_ask_for_approval_flag"):
            with self.subTest(n):
                self.check(n)
        self.stderr_layout("opt_toplevel_sandbox")


if __name__ == "__main__":
    unittest.main()

"""Conformance of the sandbox and approvals with upstream Codex 0.115.0: replays the sb_*, ap_*
and sandbox_cli_linux scenarios of ../shared/conformance/scenarios-more.json with the shared
capture tool (capture_more.py), then compares our request bodies with upstream's captures field
by field (compare_requests.py; prose excluded) and checks the effects on files the scenarios
name (check_file / check_absent, reported by the capture as ok=True)."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capture import CONF, CaptureTest, captured, load_scenarios  # noqa: E402

MATCHING = [
    "sb_ww_write_inside", "sb_ww_write_outside", "sb_ww_writable_roots", "sb_ww_add_dir",
    "sb_ww_network_fail", "sb_dfa_write_inside", "sb_dfa_write_outside", "sb_dfa_escalate",
    "sb_ro_patch_denied", "sb_ro_escalate_never", "sb_config_mode", "sandbox_cli_linux",
    "ap_untrusted_escalate", "ap_on-request_write", "ap_on-failure_write", "ap_on-failure_escalate",
    "ap_never_write", "ap_never_escalate", "ap_untrusted_safe_cmd", "ap_full_auto_escalate",
]

# Scenarios that still differ, and why (docs/SANDBOX.md); each must keep differing until fixed,
# then move to MATCHING.
KNOWN_DIFFERENCES = {
    # Landlock denies with EACCES ("Permission denied"); upstream's namespaces give EROFS
    "sb_ro_write_inside": "EACCES instead of EROFS in the command's output",
    "sb_ro_write_outside": "EACCES instead of EROFS in the command's output",
    "ap_with_escalated_permissions": "EACCES instead of EROFS in the command's output",
    # upstream answers a sandbox denial with a Rust debug dump of split stdout/stderr
    "sb_ro_write_fail": "exec_command's CreateProcess/Sandbox(Denied) form not produced",
    "sb_ro_write_fail_json": "exec_command's CreateProcess/Sandbox(Denied) form not produced",
    # not sandbox matters: the Command: line's quoting and the shell tools' schema order
    "sb_ro_network": "quoting of the Command: line",
    "sb_ww_network": "quoting of the Command: line",
    "sb_dfa_network": "quoting of the Command: line",
    "sb_ww_network_access": "quoting of the Command: line",
    "sb_ro_shell_tool": "shell_command schema key order; shell's text form; EACCES",
    "sb_ro_shell_tool_escalate": "shell_command schema key order",
    "sb_ro_shell_command": "shell_command schema key order; EACCES",
    "sb_ro_shell_command_ok": "shell_command schema key order",
    "sb_ro_shell_command_escalate": "shell_command schema key order",
    "sb_legacy_landlock": "--enable is not an option of ccodex",
}


class SandboxConformance(CaptureTest):
    @classmethod
    def setUpClass(cls):
        scenarios = load_scenarios("scenarios-more.json")
        names = captured(n for n in MATCHING + list(KNOWN_DIFFERENCES) if n in scenarios)
        cls.scratch("cx-conf-sb-")
        cls.capture("capture_more.py", names, timeout=1200,
                    env={"SCENARIOS": os.path.join(CONF, "scenarios-more.json"),
                         "CAPTURE_TMP": os.path.join(cls.tmp, "work")})

    def differences(self, name):
        return self.compare_scenario(name)

    def capture_line(self, name):
        for line in self.capture_log.splitlines():
            if line.startswith(name + ":"):
                return line
        return ""

    def test_scenarios_match_upstream(self):
        for name in MATCHING:
            with self.subTest(scenario=name):
                rc, out = self.differences(name)
                self.assertEqual(rc, 0, f"{name}:\n{out}\ncapture log:\n{self.capture_log}")
                self.assertIn("ok=True", self.capture_line(name), self.capture_log)

    def test_known_differences_still_differ(self):
        for name, why in KNOWN_DIFFERENCES.items():
            with self.subTest(scenario=name):
                rc, out = self.differences(name)
                self.assertNotEqual(rc, 0, f"{name} now matches upstream ({why}): move it to MATCHING")


if __name__ == "__main__":
    unittest.main()

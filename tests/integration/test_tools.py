"""Tool round trips through `ccodex exec` against the scripted Responses server: which tools
are declared under which config, and what each sends back to the model."""
import json, os, re, unittest

from harness import Env


def call(name, args, call_id="call_1"):
    return {"type": "function_call", "name": name, "call_id": call_id, "arguments": json.dumps(args)}


def outputs(req):
    return {i["call_id"]: i for i in req["body"]["input"]
            if i.get("type") in ("function_call_output", "custom_tool_call_output")}


def tool_names(req):
    return [t.get("name") or t.get("type") for t in req["body"]["tools"]]


class ToolTests(unittest.TestCase):
    def world(self, script, **kw):
        env = Env(script, **kw)
        self.addCleanup(env.close)
        return env

    def test_shell_command_replaces_unified_exec_when_disabled(self):
        w = self.world([[call("shell_command", {"command": "echo from-shell; exit 4", "login": False})],
                        [{"type": "message", "text": "done"}]])
        p = w.run(["exec", "-c", "features.unified_exec=false", "go"])
        self.assertEqual(p.returncode, 0, p.stderr)
        reqs = w.requests()
        names = tool_names(reqs[0])
        self.assertIn("shell_command", names)
        self.assertNotIn("exec_command", names)
        self.assertNotIn("write_stdin", names)
        self.assertEqual(names.index("shell_command"), 0)
        out = outputs(reqs[1])["call_1"]["output"]
        self.assertRegex(out, r"^Exit code: 4\nWall time: \d+(\.\d)? seconds\nOutput:\nfrom-shell\n$")

    def test_undeclared_shell_alias_is_still_served(self):
        w = self.world([[call("shell", {"command": ["bash", "-c", "echo aliased"]})],
                        [{"type": "message", "text": "done"}]])
        p = w.run(["exec", "go"])
        self.assertEqual(p.returncode, 0, p.stderr)
        reqs = w.requests()
        self.assertNotIn("shell", tool_names(reqs[0]))
        out = json.loads(outputs(reqs[1])["call_1"]["output"])
        self.assertEqual(out["output"], "aliased\n")
        self.assertEqual(out["metadata"]["exit_code"], 0)

    def test_experimental_tools_are_declared_after_the_defaults(self):
        w = self.world([[call("read_file", {"file_path": "REPLACE"}, "r1")], [{"type": "message", "text": "hi"}]],
                       config_extra='experimental_supported_tools = ["list_dir", "shell", "read_file", "grep_files"]')
        # the script cannot know the temp path in advance: point read_file at a.txt now
        w.state.script[0][0]["arguments"] = json.dumps({"file_path": os.path.join(w.cwd, "a.txt"), "offset": 2})
        p = w.run(["exec", "go"])
        self.assertEqual(p.returncode, 0, p.stderr)
        names = tool_names(w.requests()[0])
        self.assertEqual(names[0], "exec_command")
        self.assertEqual(names[-4:], ["shell", "grep_files", "read_file", "list_dir"])
        self.assertEqual(outputs(w.requests()[1])["r1"]["output"], "L2: two\nL3: three")

    def test_code_mode_cell_calls_other_tools(self):
        js = ("const out = await tools.exec_command({cmd: 'echo from-js', login: false});\n"
              "text(out.includes('from-js') ? 'saw it' : out);")
        w = self.world([[{"type": "custom_tool_call", "name": "exec", "call_id": "js1", "input": js}],
                        [{"type": "message", "text": "done"}]],
                       config_extra='experimental_supported_tools = ["exec"]')
        p = w.run(["exec", "go"], timeout=90)
        self.assertEqual(p.returncode, 0, p.stderr)
        reqs = w.requests()
        names = tool_names(reqs[0])
        self.assertEqual(names[-2:], ["exec", "wait"])
        out = outputs(reqs[1])["js1"]
        self.assertEqual(out["type"], "custom_tool_call_output")
        self.assertRegex(out["output"], r"^Script completed\nWall time \d+\.\d seconds\nOutput:\n\nsaw it$")

    def test_failing_command_through_exec_command(self):
        w = self.world([[call("exec_command", {"cmd": "echo nope >&2; exit 2", "login": False})],
                        [{"type": "message", "text": "done"}]])
        p = w.run(["exec", "go"])
        self.assertEqual(p.returncode, 0, p.stderr)
        out = outputs(w.requests()[1])["call_1"]["output"]
        self.assertRegex(out, r"^Command: /bin/\w+ -c 'echo nope >&2; exit 2'\nChunk ID: [0-9a-f]{6}\n"
                              r"Wall time: \d+\.\d{4} seconds\nProcess exited with code 2\n"
                              r"Original token count: 2\nOutput:\nnope\n$")

    def test_update_plan_and_bad_patch(self):
        plan = {"explanation": "steps", "plan": [{"step": "a", "status": "in_progress"},
                                                  {"step": "b", "status": "pending"}]}
        bad = ("*** Begin Patch\n*** Update File: a.txt\n@@\n-no such line\n+x\n*** End Patch")
        w = self.world([[call("update_plan", plan, "p1"),
                         {"type": "custom_tool_call", "name": "apply_patch", "call_id": "ap1", "input": bad}],
                        [{"type": "message", "text": "done"}]])
        p = w.run(["exec", "--json", "go"])
        self.assertEqual(p.returncode, 0, p.stderr)
        outs = outputs(w.requests()[1])
        self.assertEqual(outs["p1"]["output"], "Plan updated")
        self.assertEqual(outs["ap1"]["type"], "custom_tool_call_output")
        self.assertTrue(outs["ap1"]["output"].startswith("apply_patch verification failed: "),
                        outs["ap1"]["output"])
        self.assertIn("no such line", outs["ap1"]["output"])
        with open(os.path.join(w.cwd, "a.txt")) as f:
            self.assertEqual(f.read(), "one\ntwo\nthree\n")
        events = [json.loads(l) for l in p.stdout.splitlines()]
        self.assertTrue(any(e.get("item", {}).get("type") == "todo_list" for e in events))


if __name__ == "__main__":
    unittest.main()

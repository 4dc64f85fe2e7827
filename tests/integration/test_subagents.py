"""Sub-agents end to end through `ccodex exec`: spawn_agent starts a helper that runs its own
turn against the server (with the x-openai-subagent header and its own tool set), wait_agent
returns its final message, close_agent shuts it down."""
import json, unittest

from harness import Env


def call(name, args, call_id):
    return {"type": "function_call", "name": name, "call_id": call_id, "arguments": json.dumps(args)}


def outputs(req):
    return {i["call_id"]: i["output"] for i in req["body"]["input"] if i.get("type") == "function_call_output"}


class SubagentTests(unittest.TestCase):
    def world(self, script, **kw):
        env = Env(script, **kw)
        self.addCleanup(env.close)
        return env

    def test_spawn_wait_close(self):
        w = self.world([
            [call("spawn_agent", {"message": "Count the files."}, "sp")],
            [call("wait_agent", {"ids": ["{{agent_id}}"], "timeout_ms": 30000}, "wt")],
            [call("close_agent", {"id": "{{agent_id}}"}, "cl")],
            [{"type": "message", "text": "all done"}],
            {"lane": "subagent", "items": [{"type": "message", "text": "There are 2 files."}]},
        ])
        p = w.run(["exec", "go"], timeout=90)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "all done\n")
        reqs = w.requests()
        subs = [r for r in reqs if "x-openai-subagent" in r["headers"]]
        mains = [r for r in reqs if "x-openai-subagent" not in r["headers"]]
        self.assertEqual(len(subs), 1)
        self.assertEqual(len(mains), 4)
        sub = subs[0]
        # the helper got the task as its user message and a narrower tool set
        self.assertEqual(sub["body"]["input"][-1]["content"][0]["text"], "Count the files.")
        names = [t.get("name") or t.get("type") for t in sub["body"]["tools"]]
        self.assertNotIn("spawn_agent", names)
        self.assertNotIn("request_user_input", names)
        self.assertIn("exec_command", names)
        main_names = [t.get("name") or t.get("type") for t in mains[0]["body"]["tools"]]
        self.assertIn("spawn_agent", main_names)
        spawned = json.loads(outputs(mains[1])["sp"])
        self.assertTrue(spawned["agent_id"])
        waited = json.loads(outputs(mains[2])["wt"])
        self.assertEqual(waited["status"][spawned["agent_id"]], {"completed": "There are 2 files."})
        self.assertFalse(waited["timed_out"])
        closed = json.loads(outputs(mains[3])["cl"])
        self.assertIn("status", closed)

    def test_spawn_without_message_is_refused(self):
        w = self.world([[call("spawn_agent", {}, "sp")], [{"type": "message", "text": "ok"}]])
        p = w.run(["exec", "go"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(outputs(w.requests()[1])["sp"], "Provide one of: message or items")


if __name__ == "__main__":
    unittest.main()

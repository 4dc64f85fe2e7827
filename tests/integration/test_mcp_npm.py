"""A real third-party MCP server from npm: @modelcontextprotocol/server-filesystem (pinned in
tests/npm/mcp/, installed with `npm ci` on first use) run under Node.js as a stdio server of
`ccodex exec` against the scripted Responses server. Its tools must reach the model as
mcp__fs__* function tools with cleaned schemas, and calls must come back with the files' contents."""
import json, os, shutil, subprocess, unittest

from harness import Env, HERE

NPM_DIR = os.path.join(HERE, "..", "npm", "mcp")
SERVER = os.path.join(NPM_DIR, "node_modules", "@modelcontextprotocol", "server-filesystem", "dist", "index.js")


def install():
    if os.path.exists(SERVER):
        return None
    if not shutil.which("npm") or not shutil.which("node"):
        return "node/npm not installed"
    p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NPM_DIR, capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0 or not os.path.exists(SERVER):
        raise RuntimeError("npm ci failed in tests/npm/mcp:\n" + p.stdout + p.stderr)
    return None


def call(name, call_id, args):
    return {"type": "function_call", "name": name, "call_id": call_id, "arguments": json.dumps(args)}


class NpmFilesystemServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = install()
        if why:
            raise unittest.SkipTest(why)

    def test_list_and_read_through_exec(self):
        w = Env([
            [call("mcp__fs__list_directory", "c1", {"path": "{CWD}"})],
            [call("mcp__fs__read_text_file", "c2", {"path": "{CWD}/a.txt"})],
            [{"type": "message", "text": "done"}],
        ])
        self.addCleanup(w.close)
        # the scripted calls need the real working directory
        script = json.loads(json.dumps(w.state.script).replace("{CWD}", os.path.realpath(w.cwd)))
        w.state.script[:] = script
        w.write_config(f'[mcp_servers.fs]\ncommand = "node"\nargs = {json.dumps([SERVER, os.path.realpath(w.cwd)])}\n'
                       'startup_timeout_sec = 30\n')
        p = w.run(["exec", "look at the files"], timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "done\n")
        self.assertIn("mcp: fs ready", p.stderr)
        reqs = w.requests()
        self.assertEqual(len(reqs), 3)
        tools = {t["name"]: t for t in reqs[0]["body"]["tools"] if t.get("type") == "function"}
        for name in ("mcp__fs__list_directory", "mcp__fs__read_text_file", "mcp__fs__write_file"):
            self.assertIn(name, tools)
        names = [t.get("name", t.get("type")) for t in reqs[0]["body"]["tools"]]
        mcp = [n for n in names if n.startswith("mcp__")]
        self.assertEqual(mcp, sorted(mcp))
        self.assertEqual(names[-len(mcp):], mcp)  # after every built-in tool
        self.assertEqual(names[2:5], ["list_mcp_resources", "list_mcp_resource_templates", "read_mcp_resource"])
        for t in (tools[n] for n in mcp):
            self.assertEqual(t["strict"], False)
            params = t["parameters"]
            self.assertEqual(params["type"], "object")
            self.assertIn("properties", params)
            self.assertNotIn("$schema", json.dumps(params))
        out1 = [i["output"] for i in reqs[1]["body"]["input"] if i.get("type") == "function_call_output"][0]
        self.assertIn("a.txt", out1)
        self.assertIn("AGENTS.md", out1)
        out2 = [i["output"] for i in reqs[2]["body"]["input"] if i.get("type") == "function_call_output"][-1]
        # structuredContent {"content": TEXT} comes back as its compact JSON
        self.assertEqual(json.loads(out2), {"content": "one\ntwo\nthree\n"})


if __name__ == "__main__":
    unittest.main()

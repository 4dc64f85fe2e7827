"""MCP beyond `exec`: the interactive REPL calls an MCP server's tools, and `ccodex mcp-server`
serves a scripted MCP client session (initialize, tools/list, a `codex` call completing a turn
against the scripted Responses server with codex/event and progress notifications, a
`codex-reply` continuing the thread, errors as isError results), then exits when its client goes."""
import json, os, select, subprocess, sys, time, unittest

from harness import BIN, Env, HERE
from ptyrun import PtyProc

HOSTILE = os.path.join(HERE, "mcp_hostile_server.py")


class ReplUsesMcp(unittest.TestCase):
    def test_repl_calls_mcp_tool(self):
        w = Env([[{"type": "function_call", "name": "mcp__srv__ok", "call_id": "c1", "arguments": "{}"}],
                 [{"type": "message", "text": "TOOLDONE"}]],
                config_extra=f'[mcp_servers.srv]\ncommand = "{sys.executable}"\nargs = ["{HOSTILE}"]\n')
        self.addCleanup(w.close)
        p = PtyProc([BIN], w.cwd, w.env(TERM="xterm", NO_COLOR="1"))
        self.addCleanup(p.close)
        p.expect(r"ccodex> ")
        p.send("use the tool\r")
        p.expect(r"TOOLDONE")
        p.send("/exit\r")
        self.assertEqual(p.wait(), 0)
        reqs = w.requests()
        self.assertIn("mcp__srv__ok", [t.get("name") for t in reqs[0]["body"]["tools"]])
        out = [i for i in reqs[1]["body"]["input"] if i.get("type") == "function_call_output"]
        self.assertEqual(out[0]["output"], '[{"type":"text","text":"fine"}]')


class McpClient:
    def __init__(self, env, cwd):
        self.p = subprocess.Popen([BIN, "mcp-server"], cwd=cwd, env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buf = b""
        self.seen = []

    def send(self, msg):
        self.p.stdin.write((json.dumps(msg) + "\n").encode())
        self.p.stdin.flush()

    def read(self, timeout=60):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                raise AssertionError("no message from mcp-server; got so far: %r" % self.seen[-5:])
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError("mcp-server closed stdout: " + self.p.stderr.read().decode())
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        msg = json.loads(line)
        self.seen.append(msg)
        return msg

    def answer(self, rid, timeout=60):
        """Reads until the answer to rid; returns (answer, notifications before it)."""
        notes = []
        while True:
            m = self.read(timeout)
            if m.get("id") == rid and "method" not in m:
                return m, notes
            notes.append(m)


class McpServerSession(unittest.TestCase):
    def test_scripted_client_session(self):
        w = Env([[{"type": "message", "text": "FIRST"}], [{"type": "message", "text": "SECOND"}]])
        self.addCleanup(w.close)
        c = McpClient(w.env(), w.cwd)
        self.addCleanup(c.p.kill)
        c.send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                           "clientInfo": {"name": "test-client", "version": "9.9"}}})
        init, _ = c.answer(1)
        self.assertEqual(init["result"]["serverInfo"]["name"], "codex-mcp-server")
        self.assertTrue(init["result"]["serverInfo"]["user_agent"].endswith("(test-client; 9.9)"))
        c.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        c.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        tools, _ = c.answer(2)
        self.assertEqual([t["name"] for t in tools["result"]["tools"]], ["codex", "codex-reply"])

        c.send({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                "params": {"name": "codex", "arguments": {"prompt": "Say FIRST."}, "_meta": {"progressToken": "p3"}}})
        res, notes = c.answer(3)
        thread = res["result"]["structuredContent"]["threadId"]
        self.assertEqual(res["result"], {"content": [{"type": "text", "text": "FIRST"}],
                                         "structuredContent": {"threadId": thread, "content": "FIRST"}})
        kinds = [n["params"]["msg"]["type"] for n in notes if n.get("method") == "codex/event"]
        for k in ("session_configured", "mcp_startup_complete", "task_started", "agent_message_delta",
                  "agent_message", "token_count", "task_complete"):
            self.assertIn(k, kinds)
        self.assertTrue(all(n["params"]["_meta"] == {"requestId": 3, "threadId": thread}
                            for n in notes if n.get("method") == "codex/event"))
        progress = [n["params"] for n in notes if n.get("method") == "notifications/progress"]
        self.assertEqual([p["progress"] for p in progress], list(range(1, len(kinds) + 1)))
        self.assertTrue(all(p["progressToken"] == "p3" for p in progress))

        c.send({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
                "params": {"name": "codex-reply", "arguments": {"prompt": "Say SECOND.", "threadId": thread}}})
        res, notes = c.answer(4)
        self.assertEqual(res["result"]["structuredContent"], {"threadId": thread, "content": "SECOND"})
        reqs = w.requests()
        self.assertEqual(len(reqs), 2)
        self.assertEqual(reqs[0]["headers"]["originator"], "codex_cli_rs")
        self.assertTrue(reqs[0]["headers"]["user-agent"].endswith("(test-client; " + reqs[0]["headers"]["user-agent"].rsplit("; ", 1)[1]))
        # the reply's request carries the first turn: same thread, same history
        texts = [json.dumps(i) for i in reqs[1]["body"]["input"]]
        self.assertTrue(any("Say FIRST." in t for t in texts) and any("FIRST" in t and "assistant" in t for t in texts))
        self.assertEqual(reqs[0]["headers"]["session_id"], reqs[1]["headers"]["session_id"])

        c.send({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "nope", "arguments": {}}})
        self.assertEqual(c.answer(5)[0]["result"], {"content": [{"type": "text", "text": "Unknown tool 'nope'"}],
                                                    "isError": True})
        c.send({"jsonrpc": "2.0", "id": 6, "method": "tools/call",
                "params": {"name": "codex-reply", "arguments": {"prompt": "x", "threadId": "missing"}}})
        self.assertTrue(c.answer(6)[0]["result"]["isError"])
        c.send({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                "params": {"name": "codex", "arguments": {"prompt": "x", "approval-policy": "sometimes"}}})
        self.assertIn("unknown variant `sometimes`", c.answer(7)[0]["result"]["content"][0]["text"])
        c.send({"jsonrpc": "2.0", "id": 8, "method": "resources/list"})
        self.assertEqual(c.answer(8)[0]["error"]["code"], -32601)
        c.p.stdin.write(b"{not json\n")
        c.p.stdin.flush()
        self.assertEqual(c.read()["error"]["code"], -32700)
        c.p.stdin.close()
        self.assertEqual(c.p.wait(timeout=30), 0)


if __name__ == "__main__":
    unittest.main()

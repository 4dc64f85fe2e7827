"""MCP conformance with upstream Codex 0.115.0: replays every mcp_* scenario of
../shared/conformance/scenarios-more.json with the shared capture script (capture_more.py) against
ccodex, then compares with upstream's captures: requests field by field (compare_requests.py, prose
excluded), exit codes, request counts, stdout, the `mcp:` start-up lines on stderr, what the test MCP
servers received (the stdio handshake, tool calls, environment, SIGTERM; the HTTP methods, paths,
headers and bodies) and the outputs of the `mcp` subcommands.

The scenarios that take minutes (default startup and tool timeouts: 10 s, 75 s, 130 s) run only with
CX_MCP_LONG=1."""
import json, os, re, shutil, subprocess, sys, tempfile, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capture import BIN, CONF, TOOLS, UPSTREAM, CaptureTest, compare  # noqa: E402

LONG = {"mcp_startup_timeout_default", "mcp_tool_timeout_default", "mcp_tool_timeout_default_long"}
# HTTP headers worth comparing (host, length and curl's own accept for bodiless requests aside)
HTTP_HEADERS = {"accept", "content-type", "mcp-session-id", "authorization", "x-custom", "x-from-env",
                "mcp-protocol-version"}


def load(path):
    with open(path) as f:
        return f.read()


def load_json(path):
    return json.loads(load(path))


def jsonl(path):
    return [json.loads(l) for l in load(path).splitlines() if l.strip()]


def scenarios():
    if not os.path.isdir(UPSTREAM):
        return []
    names = load_json(os.path.join(CONF, "scenarios-more.json"))
    only = os.environ.get("CX_MCP_ONLY", "").split(",")  # e.g. CX_MCP_ONLY=mcp_http_json,mcp_resources
    return [n for n in names if n.startswith("mcp_") and os.path.isdir(os.path.join(UPSTREAM, n))
            and (n not in LONG or os.environ.get("CX_MCP_LONG")) and (only == [""] or n in only)]


def mcp_lines(stderr):
    """The `mcp:` lines (with the continuation lines of the start-up timeout hint), sorted: the
    order of several servers' lines varies upstream."""
    out, lines = [], stderr.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("mcp: ") or line.startswith("mcp startup:"):
            out.append(line)
            if "Add or adjust `startup_timeout_sec`" in line:
                out.extend(lines[i + 1:i + 3])
    return sorted(out)


def stdio_log(path):
    out = []
    for d in jsonl(path):
        if d["kind"] == "start":
            msg = dict(d["msg"])
            msg["env"] = dict(msg["env"], PATH="{PATH}") if "PATH" in msg["env"] else msg["env"]
            out.append(("start", msg))
        elif d["kind"] in ("recv", "signal"):
            out.append((d["kind"], d["msg"]))
    return out


def http_log(path):
    """Requests in order, except the GET of the event stream, which races tools/list upstream
    (either order was captured): it is listed last."""
    out, streams = [], []
    for d in jsonl(path):
        hdrs = {k.lower(): v for k, v in d.get("headers", {}).items()
                if k.lower() in HTTP_HEADERS and not (k.lower() == "accept" and v == "*/*")}
        entry = (d["method"], d["path"], hdrs, d.get("body"))
        (streams if d["method"] == "GET" and "well-known" not in d["path"] else out).append(entry)
    return out + streams


def post_text(path):
    """A post-N.txt capture with upstream's PATH warning dropped; a JSON stdout is parsed (the
    env map has no fixed key order upstream) and table cells are split on their padding (column
    widths follow the length of machine-specific paths, which the capture replaces)."""
    lines = [l for l in load(path).splitlines() if not l.startswith("WARNING: proceeding")]
    text = "\n".join(lines)
    m = re.search(r"\n--- stdout\n(.*)\n--- stderr", text, re.S)
    if m and m.group(1).strip()[:1] in "[{":
        try:
            return text[:m.start(1)], json.loads(m.group(1)), text[m.end(1):]
        except ValueError:
            pass
    return table_cells(text)


def table_cells(text):
    return [re.split(r" {2,}", l.rstrip()) for l in text.splitlines()]


class McpConformance(CaptureTest):
    @classmethod
    def setUpClass(cls):
        cls.names = scenarios()
        if not cls.names:
            raise unittest.SkipTest("no conformance captures")
        cls.scratch("cx-mcp-conf-")
        cls.capture("capture_more.py", cls.names, timeout=1200, wrapper=False,
                    env={"SCENARIOS": os.path.join(CONF, "scenarios-more.json")})

    def check(self, name):
        up, us = os.path.join(UPSTREAM, name), os.path.join(self.ours, name)
        ctx = f"{name} (capture log:\n{self.capture_log[-3000:]})"
        self.assertTrue(os.path.isdir(us), ctx)
        m_up, m_us = load_json(os.path.join(up, "meta.json")), load_json(os.path.join(us, "meta.json"))
        self.assertEqual(m_us["rc"], m_up["rc"], f"exit code of {name}\n" + load(os.path.join(us, "stderr.txt")))
        self.assertEqual(m_us["requests"], m_up["requests"], f"model requests of {name}")
        if m_up["requests"]:
            rc, out = compare(up, us, env={"IGNORE_SKILLS": "1"})
            self.assertEqual(rc, 0, f"{name}:\n{out}")
        for out in ("stdout.txt", "stdout.jsonl"):
            if os.path.exists(os.path.join(up, out)):
                want, got = load(os.path.join(up, out)), load(os.path.join(us, out))
                if name.startswith("mcp_cli_"):
                    want, got = table_cells(want), table_cells(got)
                self.assertEqual(got, want, f"{name}/{out}")
        err_up, err_us = load(os.path.join(up, "stderr.txt")), load(os.path.join(us, "stderr.txt"))
        if "--json" in m_up["argv"] or name.startswith("mcp_cli_") or name.startswith("mcp_http"):
            # HTTP failures carry rmcp's transport debug text; the rest is checked through the logs
            self.assertEqual(len(mcp_lines(err_us)), len(mcp_lines(err_up)), f"{name} stderr:\n{err_us}")
        else:
            self.assertEqual(mcp_lines(err_us), mcp_lines(err_up), f"{name} stderr:\n{err_us}")
        for line in err_up.splitlines():
            if line.startswith("Error: "):
                self.assertIn(line, err_us.splitlines(), f"{name} stderr")
        log = os.path.join(up, "collected-mcp-log.jsonl")
        if os.path.exists(log):
            got, want = stdio_log(os.path.join(us, "collected-mcp-log.jsonl")), stdio_log(log)
            if sum(1 for k, _ in want if k == "start") > 1:
                # several servers share one log and start in parallel: their lines interleave
                key = lambda e: json.dumps(e, sort_keys=True)
                got, want = sorted(map(key, got)), sorted(map(key, want))
            self.assertEqual(got, want, name)
        log = os.path.join(up, "collected-mcp-http-log.jsonl")
        if os.path.exists(log):
            self.assertEqual(http_log(os.path.join(us, "collected-mcp-http-log.jsonl")), http_log(log), name)
        for f in sorted(os.listdir(up)):
            if f.startswith("post-"):
                self.assertEqual(post_text(os.path.join(us, f)), post_text(os.path.join(up, f)), f"{name}/{f}")


class McpServerConformance(unittest.TestCase):
    """`ccodex mcp-server` driven by the shared driver as upstream's was: the requests its turns
    send, and the shapes of what it answers."""

    def test_mcp_server(self):
        up = os.path.join(UPSTREAM, "mcp_server")
        if not os.path.isdir(up):
            self.skipTest("no mcp_server capture")
        tmp = tempfile.mkdtemp(prefix="cx-mcps-")
        self.addCleanup(shutil.rmtree, tmp, True)
        us = os.path.join(tmp, "mcp_server")
        p = subprocess.run([sys.executable, os.path.join(TOOLS, "drive_mcp_server.py"), os.path.abspath(BIN), us],
                           capture_output=True, text=True, timeout=180)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        _, out = compare(up, us, env={"IGNORE_SKILLS": "1"})
        # Known difference: upstream's first turn takes the MCP request id ("3") as its turn id;
        # ccodex gives every turn a fresh id.
        diffs = [l for l in out.splitlines() if "differences" not in l and "turn-metadata.turn_id" not in l]
        self.assertEqual(diffs, [], out)

        def transcript(d):
            return jsonl(os.path.join(d, "transcript.jsonl"))

        def answers(t):
            return {m["msg"]["id"]: m["msg"].get("result", m["msg"].get("error"))
                    for m in t if m["dir"] == "codex->client" and "id" in m["msg"]}

        def events(t, rid):
            return [m["msg"]["params"]["msg"]["type"] for m in t if m["msg"].get("method") == "codex/event"
                    and m["msg"]["params"]["_meta"]["requestId"] == rid]

        t_up, t_us = transcript(up), transcript(us)
        a_up, a_us = answers(t_up), answers(t_us)
        init_up, init_us = a_up.pop(1), a_us.pop(1)
        self.assertEqual(init_us["capabilities"], init_up["capabilities"])
        self.assertEqual({k: v for k, v in init_us["serverInfo"].items() if k != "user_agent"},
                         {k: v for k, v in init_up["serverInfo"].items() if k != "user_agent"})
        self.assertRegex(init_us["serverInfo"]["user_agent"], r"^codex_cli_rs/\S+ \(.*\) \S+ \(conformance-driver; 0\.1\)$")
        tools_up, tools_us = a_up.pop(2), a_us.pop(2)
        strip = lambda tools: [json.loads(json.dumps(t), object_hook=lambda o: {k: v for k, v in o.items()
                                                                                   if k != "description"})
                               for t in tools["tools"]]
        self.assertEqual(strip(tools_us), strip(tools_up))
        # codex, codex-reply, unknown tool, bad sandbox: the same results (upstream never answered
        # resources/list and prompts/list; ccodex answers them with "Method not found")
        for rid in (3, 4, 9, 10):
            self.assertEqual(a_us[rid], a_up[rid], f"answer to request {rid}")
        for rid in (3, 4):
            for kind in ("task_started", "agent_message_delta", "agent_message", "token_count", "task_complete"):
                self.assertIn(kind, events(t_us, rid), f"request {rid}")
        for kind in ("session_configured", "mcp_startup_complete"):
            self.assertIn(kind, events(t_us, 3))


def make_test(name):
    return lambda self: self.check(name)


for _n in scenarios():
    setattr(McpConformance, "test_" + _n, make_test(_n))

if __name__ == "__main__":
    unittest.main()

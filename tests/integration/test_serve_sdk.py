"""The official `openai` npm client (tests/npm/openai, pinned) against `ccodex serve` in front of the
scripted chat backend (fakechat.py): streaming with `for await`, the `responses.stream()` helper for
text, function and custom tools and reasoning, non-streaming `create()`, string and image input, a
function-call round trip continued with previous_response_id (also alternating between two servers
that share one Redis), and each error raising the SDK's typed error."""
import json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fakechat  # noqa: E402
from fakechat import finish, reasoning, text, tool_call, usage  # noqa: E402
from harness import BIN  # noqa: E402

NPM_DIR = os.path.join(HERE, "..", "npm", "openai")


def setUpModule():
    if not shutil.which("node") or not shutil.which("npm"):
        raise unittest.SkipTest("node and npm are needed for the openai SDK suite")
    if not os.path.isdir(os.path.join(NPM_DIR, "node_modules", "openai")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NPM_DIR, check=True,
                       timeout=600)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Redis:
    """Debian's redis-server on a loopback port of our own, no persistence."""

    def __init__(self):
        exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(exe):
            raise unittest.SkipTest("redis-server is not installed (scripts/deps.sh installs it)")
        self.dir = tempfile.mkdtemp(prefix="cx-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen([exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise AssertionError("redis-server did not start")

    def command(self, db, *lines):
        """Sends inline commands after SELECT db; returns the raw replies."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as c:
            c.sendall("".join(f"{x}\r\n" for x in (f"SELECT {db}",) + lines).encode())
            time.sleep(0.2)
            return c.recv(65536).decode()

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    """One `ccodex serve` process in front of a backend port."""

    def __init__(self, backend_port, extra=()):
        self.proc = subprocess.Popen([BIN, "serve", "--downstream-base-url", f"http://127.0.0.1:{backend_port}",
                                      "--port", "0", *extra], stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/v1", line)
        if not m:
            self.proc.kill()
            raise AssertionError(f"serve did not start: {line!r} {self.proc.stderr.read()[-2000:]}")
        self.url = f"http://127.0.0.1:{m.group(1)}/v1"

    def close(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = "hung"
        rest = self.proc.stderr.read()
        self.proc.stderr.close()
        if rc != 0:
            raise AssertionError(f"ccodex serve ended with {rc}: {rest[-3000:]}")


class SdkTests(unittest.TestCase):
    def backend(self, script):
        self.out = tempfile.mkdtemp(prefix="cx-sdk-")
        self.addCleanup(shutil.rmtree, self.out, True)
        port, stop = fakechat.start(script, self.out)
        self.addCleanup(stop)
        return port

    def server(self, port, extra=()):
        s = Server(port, extra)
        self.addCleanup(s.close)
        return s

    def node(self, scenario, *urls):
        p = subprocess.run(["node", os.path.join(NPM_DIR, "scenarios.mjs"), scenario, *urls],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, f"{scenario}: {p.stderr[-3000:]}")
        return json.loads(p.stdout)

    def chat(self, n):
        with open(os.path.join(self.out, f"chat-{n:03d}.json")) as f:
            return json.load(f)["body"]

    def run_one(self, scenario, script, extra=()):
        s = self.server(self.backend(script), extra)
        return self.node(scenario, s.url)

    def test_for_await_sees_every_event_in_order(self):
        got = self.run_one("for_await", [[text("Hel"), text("lo"), finish(), usage()]])
        types = [e["type"] for e in got["events"]]
        self.assertEqual(types, [
            "response.created", "response.in_progress", "response.output_item.added",
            "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done",
            "response.completed"])
        self.assertEqual([e["seq"] for e in got["events"]], list(range(len(types))))
        self.assertEqual([e["delta"] for e in got["events"] if e["type"] == "response.output_text.delta"],
                         ["Hel", "lo"])
        # string input became one user message
        self.assertEqual(self.chat(1)["messages"], [{"role": "user", "content": "hi"}])

    def test_stream_helper_text(self):
        got = self.run_one("helper_text", [[text("Hel"), text("lo"), finish(), usage()]])
        self.assertEqual(got["output_text"], "Hello")
        self.assertEqual(got["status"], "completed")
        self.assertEqual(got["deltas"], ["Hel", "Hello"])
        self.assertEqual(got["usage"]["input_tokens"], 11)
        self.assertEqual(got["usage"]["output_tokens"], 7)
        self.assertEqual(len(got["output"]), 1)
        self.assertEqual(self.chat(1)["messages"][0], {"role": "developer", "content": "Be brief."})

    def test_stream_helper_function_tool(self):
        got = self.run_one("helper_function", [[tool_call(0, "shell", '{"comm', "call_7"),
                                                tool_call(0, None, 'and":"ls"}'), finish("tool_calls")]])
        call = got["output"][0]
        self.assertEqual((call["type"], call["name"], call["call_id"], call["arguments"]),
                         ("function_call", "shell", "call_7", '{"command":"ls"}'))
        self.assertEqual(got["snapshots"], ['{"comm', '{"command":"ls"}'])

    def test_stream_helper_custom_tool(self):
        patch = "*** Begin Patch\n*** Add File: a\n+x\n*** End Patch"
        got = self.run_one("helper_custom", [[tool_call(0, "apply_patch", json.dumps({"input": patch}), "call_p"),
                                              finish("tool_calls")]])
        item = got["output"][0]
        self.assertEqual((item["type"], item["name"], item["input"]), ("custom_tool_call", "apply_patch", patch))
        self.assertEqual(got["inputs"], [patch])

    def test_stream_helper_reasoning(self):
        got = self.run_one("helper_reasoning", [[reasoning("let me "), reasoning("think"), text("42"), finish()]])
        kinds = [i["type"] for i in got["output"]]
        self.assertEqual(kinds, ["reasoning", "message"])
        self.assertEqual(got["output"][0]["content"], [{"type": "reasoning_text", "text": "let me think"}])
        self.assertEqual(got["output_text"], "42")
        self.assertEqual(self.chat(1)["reasoning_effort"], "high")

    def test_create_without_stream(self):
        got = self.run_one("create", [[text("plain "), text("answer"), finish()]])
        self.assertEqual((got["object"], got["status"], got["output_text"]), ("response", "completed", "plain answer"))
        self.assertEqual(got["retrieved"], "plain answer")
        chat = self.chat(1)
        self.assertEqual((chat["temperature"], chat["max_tokens"]), (0.2, 50))
        self.assertTrue(chat["stream"])

    def test_image_input(self):
        got = self.run_one("image", [[text("a cat"), finish()]])
        self.assertEqual(got["output_text"], "a cat")
        self.assertEqual(self.chat(1)["messages"], [{"role": "user", "content": [
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}])

    ROUND_TRIP = [[tool_call(0, "shell", '{"command":"ls"}', "call_1"), finish("tool_calls")],
                  [text("two files"), finish()],
                  [text("still two"), finish()]]

    def check_round_trip(self, got):
        self.assertEqual(got["call"]["call_id"], "call_1")
        self.assertEqual(got["second"], "two files")
        self.assertEqual(got["third"], "still two")
        self.assertEqual(got["gone"]["raised"], "NotFoundError")
        # the backend saw the assistant's call before its output, then the whole conversation
        self.assertEqual(self.chat(2)["messages"], [
            {"role": "user", "content": "list files"},
            {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                                                  "function": {"name": "shell", "arguments": '{"command":"ls"}'}}]},
            {"role": "tool", "content": "a.txt\nb.txt", "tool_call_id": "call_1"}])
        self.assertEqual(self.chat(3)["messages"][3:], [{"role": "assistant", "content": "two files"},
                                                        {"role": "user", "content": "and now?"}])

    def test_round_trip_with_previous_response_id(self):
        self.check_round_trip(self.run_one("round_trip", self.ROUND_TRIP))

    def test_round_trip_alternating_between_two_servers_sharing_redis(self):
        redis = Redis()
        self.addCleanup(redis.close)
        port = self.backend(self.ROUND_TRIP)
        store = ["--store", f"redis://127.0.0.1:{redis.port}/2"]
        a, b = self.server(port, store), self.server(port, store)
        self.check_round_trip(self.node("round_trip", a.url, b.url))
        # the responses live in Redis (database 2, with a TTL), not in either process
        keys = re.findall(r"ccodex:response:resp_\w+", redis.command(2, "KEYS *"))
        self.assertEqual(len(keys), 2)  # the first was deleted
        ttl = int(redis.command(2, f"TTL {keys[0]}").split(":")[-1])
        self.assertTrue(0 < ttl <= 86400, ttl)
        self.assertNotIn("ccodex:response:", redis.command(0, "KEYS *"))

    def test_errors_raise_the_sdk_typed_errors(self):
        script = [{"status": 404, "body": json.dumps({"error": {"message": "The model `not_found` does not exist.",
                                                                "type": "invalid_request_error",
                                                                "code": "model_not_found"}})},
                  {"status": 401, "body": json.dumps({"error": {"message": "bad key"}})},
                  {"status": 429, "body": json.dumps({"error": "slow down"}), "headers": {"Retry-After": "7"}},
                  {"status": 500, "body": "kaputt"},
                  {"status": 404, "body": json.dumps({"error": {"message": "no model x"}})}]
        got = self.run_one("errors", script)
        want = {"not_found": ("NotFoundError", 404), "unauthorized": ("AuthenticationError", 401),
                "rate_limited": ("RateLimitError", 429), "server_error": ("InternalServerError", 500),
                "stream_not_found": ("NotFoundError", 404), "previous": ("NotFoundError", 404),
                "retrieve": ("NotFoundError", 404), "bad_input": ("BadRequestError", 400)}
        for name, (cls, status) in want.items():
            self.assertEqual((got[name]["raised"], got[name]["status"]), (cls, status), name)
        self.assertIn("The model `not_found` does not exist.", got["not_found"]["message"])
        self.assertEqual(got["not_found"]["body"]["code"], "model_not_found")
        self.assertEqual(got["rate_limited"]["retryAfter"], "7")
        self.assertIn("slow down", got["rate_limited"]["message"])
        self.assertIn("kaputt", got["server_error"]["message"])
        self.assertIn("resp_nope", got["previous"]["message"])
        self.assertIn("input_file", got["bad_input"]["message"])

    def test_failure_after_the_stream_began(self):
        got = self.run_one("mid_stream_failure", [[text("partial"), {"error": {"message": "engine died"}}]])
        self.assertEqual(got["types"][-1], "response.failed")
        self.assertEqual(got["types"].count("response.failed"), 1)
        err = got["last"]["response"]["error"]
        self.assertEqual(err["message"], "backend error: engine died")
        self.assertEqual(got["last"]["response"]["status"], "failed")


if __name__ == "__main__":
    unittest.main()

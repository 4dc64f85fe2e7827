"""`exec --oss` against a fake Ollama (and LM Studio) on loopback: upstream 0.115.0's probes
(GET /v1/models, /api/version, /v1/models, /api/tags), the model pull (POST /api/pull with its
streamed JSON progress) when the model is missing, the turn then sent to the local server with
model gpt-oss:20b and no key, and upstream's errors (no provider, no server, old server, failed
pull). When the upstream binary is installed the request sequences are compared with its own."""
import http.server, json, os, subprocess, sys, threading, unittest, urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import Env, BIN  # noqa: E402

UPSTREAM_BIN = os.environ.get("CX_UPSTREAM_CODEX") or (
    "/work/upstream/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/codex/codex")


class FakeOllama:
    """models: what /api/tags and /v1/models list; pull: the JSON lines /api/pull streams (None:
    404); version: what /api/version says."""

    def __init__(self, models=(), pull=None, version="0.13.5", upstream_port=None):
        self.models, self.pull, self.version = list(models), pull, version
        self.upstream_port = upstream_port
        self.log = []  # (method, path, body)
        fake = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, status, obj, ctype="application/json"):
                data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                fake.log.append(("GET", self.path, None))
                if self.path == "/api/version":
                    self.reply(200, {"version": fake.version})
                elif self.path == "/api/tags":
                    self.reply(200, {"models": [{"name": m, "model": m} for m in fake.models]})
                elif self.path == "/v1/models":
                    self.reply(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in fake.models]})
                else:
                    self.reply(404, {"error": "not found"})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
                fake.log.append(("POST", self.path, dict(body=body, auth=self.headers.get("Authorization"))))
                if self.path == "/api/pull":
                    if fake.pull is None:
                        return self.reply(404, b"404 page not found", "text/plain")
                    data = "".join(json.dumps(l) + "\n" for l in fake.pull).encode()
                    return self.reply(200, data, "application/x-ndjson")
                if self.path == "/v1/responses" and fake.upstream_port:
                    # the turn itself is answered by the scripted model server
                    req = urllib.request.Request(f"http://127.0.0.1:{fake.upstream_port}/v1/responses",
                                                 data=json.dumps(body).encode(), method="POST",
                                                 headers={"Content-Type": "application/json"})
                    with urllib.request.urlopen(req, timeout=30) as r:
                        return self.reply(r.status, r.read(), r.headers.get("Content-Type"))
                self.reply(404, {"error": "not found"})

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()

    def paths(self):
        return [(m, p) for m, p, _ in self.log]


class Oss(unittest.TestCase):
    def setUp(self):
        self.w = Env([[{"type": "message", "text": "LOCAL-OK"}]] * 4)
        self.addCleanup(self.w.close)

    def run_oss(self, fake, args, binary=BIN, **env):
        e = self.w.env(CODEX_OSS_BASE_URL=f"http://127.0.0.1:{fake.port}/v1", **env) if fake else self.w.env(**env)
        p = subprocess.run([binary, "exec", "--skip-git-repo-check"] + args + ["Say OK."], cwd=self.w.cwd,
                           env=e, capture_output=True, timeout=60)
        # bytes kept as they are: the progress is drawn with carriage returns
        p.stdout, p.stderr = p.stdout.decode(), p.stderr.decode()
        return p

    def fake(self, **kw):
        f = FakeOllama(upstream_port=self.w.port, **kw)
        self.addCleanup(f.close)
        return f

    def test_model_present_turn_goes_to_the_local_server(self):
        f = self.fake(models=["gpt-oss:20b"])
        p = self.run_oss(f, ["--oss", "--local-provider", "ollama"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "LOCAL-OK\n")
        self.assertIn("provider: ollama", p.stderr)
        self.assertIn("model: gpt-oss:20b", p.stderr)
        self.assertEqual(f.paths(), [("GET", "/v1/models"), ("GET", "/api/version"), ("GET", "/v1/models"),
                                     ("GET", "/api/tags"), ("POST", "/v1/responses")])
        req = f.log[-1][2]
        self.assertEqual(req["body"]["model"], "gpt-oss:20b")
        self.assertIsNone(req["auth"])

    def test_missing_model_is_pulled_with_progress(self):
        f = self.fake(pull=[{"status": "pulling manifest"},
                            {"status": "downloading", "digest": "sha256:a", "total": 2 * 1024 ** 3, "completed": 0},
                            {"status": "downloading", "digest": "sha256:a", "total": 2 * 1024 ** 3,
                             "completed": 1024 ** 3},
                            {"status": "verifying sha256 digest"}, {"status": "success"}])
        p = self.run_oss(f, ["--oss"])
        self.assertNotEqual(p.returncode, 0)  # no provider configured yet
        self.assertIn("Error: No default OSS provider configured. Use --local-provider=provider or set "
                      "oss_provider to one of: lmstudio, ollama in config.toml", p.stderr)
        self.w.write_config('oss_provider = "ollama"')  # the provider from config.toml
        p = self.run_oss(f, ["--oss"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(f.paths(), [("GET", "/v1/models"), ("GET", "/api/version"), ("GET", "/v1/models"),
                                     ("GET", "/api/tags"), ("POST", "/api/pull"), ("POST", "/v1/responses")])
        self.assertEqual(f.log[4][2]["body"], {"model": "gpt-oss:20b", "stream": True})
        err = p.stderr
        self.assertIn("\rPulling model gpt-oss:20b...", err)
        self.assertNotIn("pulling manifest", err)
        self.assertIn("Downloading model: total 2.00 GB\n", err)
        self.assertRegex(err, r"\r1\.00/2\.00 GB \(50\.0%\) [0-9.]+ MB/s")
        self.assertIn("\rverifying sha256 digest", err)
        self.assertIn("\rsuccess", err)
        self.assertEqual(p.stdout, "LOCAL-OK\n")

    def test_errors(self):
        # a pull the server refuses, and one whose stream reports an error
        f = self.fake()
        p = self.run_oss(f, ["--oss", "--local-provider", "ollama"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("Pulling model gpt-oss:20b...Error: OSS setup failed: OSS setup failed: failed to start "
                      "pull: HTTP 404 Not Found\n", p.stderr)
        self.assertNotIn(("POST", "/v1/responses"), f.paths())
        f = self.fake(pull=[{"status": "pulling manifest"}, {"error": "pull model manifest: file does not exist"}])
        p = self.run_oss(f, ["--oss", "--local-provider", "ollama", "-m", "nosuch:1b"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("OSS setup failed: OSS setup failed: Pull failed: pull model manifest: file does not "
                      "exist\n", p.stderr)
        self.assertEqual(f.log[4][2]["body"], {"model": "nosuch:1b", "stream": True})
        # an old server
        f = self.fake(models=["gpt-oss:20b"], version="0.12.0")
        p = self.run_oss(f, ["--oss", "--local-provider", "ollama"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("Error: OSS setup failed: Ollama 0.12.0 is too old. Codex requires Ollama 0.13.4 or "
                      "newer.\n", p.stderr)
        # nothing listening (a port just closed)
        g = FakeOllama()
        port = g.port
        g.close()
        p = subprocess.run([BIN, "exec", "--skip-git-repo-check", "--oss", "--local-provider", "ollama", "hi"],
                           cwd=self.w.cwd, env=self.w.env(CODEX_OSS_BASE_URL=f"http://127.0.0.1:{port}/v1"),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("Error: OSS setup failed: No running Ollama server detected. Start it with: `ollama serve` "
                      "(after installing). Install instructions: https://github.com/ollama/ollama?tab=readme-ov-file"
                      "#ollama\n", p.stderr)
        # LM Studio answering without the model: upstream would need its `lms` tool
        f = self.fake()
        p = self.run_oss(f, ["--oss", "--local-provider", "lmstudio"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("Error: OSS setup failed: OSS setup failed: LM Studio not found. Please install LM Studio "
                      "from https://lmstudio.ai/\n", p.stderr)
        self.assertEqual(f.paths(), [("GET", "/v1/models"), ("GET", "/v1/models")])

    def test_same_requests_as_upstream(self):
        if not os.access(UPSTREAM_BIN, os.X_OK):
            self.skipTest(f"upstream codex not installed at {UPSTREAM_BIN}")
        for models, pull in ((["gpt-oss:20b"], None), ([], [{"status": "success"}]), ([], None)):
            with self.subTest(models=models, pull=pull):
                seen = []
                for binary in (UPSTREAM_BIN, BIN):
                    f = self.fake(models=models, pull=pull)
                    p = self.run_oss(f, ["--oss", "--local-provider", "ollama"], binary=binary)
                    seen.append((p.returncode, f.paths(), [l[2]["body"] for l in f.log if l[1] == "/api/pull"],
                                 [l for l in p.stderr.splitlines() if "Error" in l]))
                self.assertEqual(seen[0], seen[1])


if __name__ == "__main__":
    unittest.main()

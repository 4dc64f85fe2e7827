"""The static release binary in an empty root: a chroot holding only the binary and
/etc/ssl/certs (the machine's bundle plus a throwaway test CA), no /bin/sh, /proc, /dev, passwd or
terminfo. Outside it, on 127.0.0.1: the scripted fake Responses server behind a TLS front, and a
fake Chat Completions backend. Inside it: an `exec` turn over https (CA found at the default
Debian path) with an apply_patch tool call that writes a file, and `ccodex serve` answering a
Responses request from outside. The binary comes from CCODEX_STATIC_BIN (scripts/test.sh sets it
after scripts/release.sh); the test skips clearly without it or when not root.

A binary for another architecture (release.sh --arch aarch64) runs through CCODEX_STATIC_RUNNER, a
static user-mode emulator (Debian's qemu-user-static: /usr/bin/qemu-aarch64-static) copied into
the root beside it, so the root still holds nothing the binary could lean on."""
import json, os, pty, re, select, shutil, signal, subprocess, sys, tempfile, time, unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fakechat, fakeserver, tlsfront  # noqa: E402
from fakechat import finish, text, usage  # noqa: E402

BIN = os.environ.get("CCODEX_STATIC_BIN")
RUNNER = os.environ.get("CCODEX_STATIC_RUNNER")
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+made in an empty root\n*** End Patch\n"


@unittest.skipUnless(BIN and os.path.isfile(BIN), "CCODEX_STATIC_BIN unset (scripts/release.sh)")
@unittest.skipUnless(os.geteuid() == 0, "chroot needs root")
class EmptyRoot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for f in [BIN] + ([RUNNER] if RUNNER else []):
            out = subprocess.run(["file", "-b", f], capture_output=True, text=True).stdout
            assert "statically linked" in out or "static-pie" in out, f"{f}: {out}"
            if f == BIN:
                cls.arch = "aarch64" if "aarch64" in out else "x86_64" if "x86-64" in out else "?"
        cls.tmp = tempfile.mkdtemp(prefix="cx-root-")
        cls.root = os.path.join(cls.tmp, "root")
        certs = os.path.join(cls.root, "etc", "ssl", "certs")
        os.makedirs(certs)
        os.makedirs(os.path.join(cls.root, "work"))
        shutil.copy(BIN, os.path.join(cls.root, "ccodex"))
        if RUNNER:
            shutil.copy(RUNNER, os.path.join(cls.root, "emulator"))
        cls.ca, cls.cert, cls.key = tlsfront.make_ca(cls.tmp)
        with open(os.path.join(certs, "ca-certificates.crt"), "wb") as f:
            if os.path.isfile("/etc/ssl/certs/ca-certificates.crt"):
                with open("/etc/ssl/certs/ca-certificates.crt", "rb") as system:
                    f.write(system.read())
            with open(cls.ca, "rb") as ca:
                f.write(ca.read())
        cls.env = {"PATH": "/", "HOME": "/home", "CODEX_HOME": "/home/codex", "FAKE_API_KEY": "sk-x",
                   "TERM": "dumb"}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def chroot(self, *args):
        # the environment's PATH is the root's, so chroot is named by its full path
        return [CHROOT, self.root, *(["/emulator"] if RUNNER else []), "/ccodex", *args]

    def test_root_is_empty_but_for_binary_and_certs(self):
        found = sorted(os.path.relpath(os.path.join(d, f), self.root)
                       for d, _, fs in os.walk(self.root) for f in fs)
        self.assertEqual([f for f in found if not f.startswith(("work/", "home/"))],
                         ["ccodex"] + (["emulator"] if RUNNER else []) +
                         ["etc/ssl/certs/ca-certificates.crt"])

    def test_version_verbose_lists_libraries(self):
        p = subprocess.run(self.chroot("--version", "--verbose"), env=self.env, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        for want in (f"build: static, {self.arch}, ", "libcurl: ", "HTTP2", "tls: OpenSSL/", "json-c: ",
                     "libevent: ", "debian source packages: ", "curl 7.", "openssl 3.",
                     "ca certificates: /etc/ssl/certs/ca-certificates.crt"):
            self.assertIn(want, p.stdout)
        protocols = re.search(r"protocols: (.*)", p.stdout).group(1).split()
        self.assertEqual(sorted(protocols), ["http", "https"])

    def test_exec_turn_with_tool_call_over_https(self):
        script = [[{"type": "custom_tool_call", "name": "apply_patch", "call_id": "p1",
                    "input": PATCH}],
                  [{"type": "message", "text": "patched"}]]
        out = os.path.join(self.tmp, "exec-out")
        port, stop, _ = fakeserver.start(script, out)
        front = tlsfront.TlsFront(self.cert, self.key, port)
        try:
            args = ["exec", "--skip-git-repo-check", "-C", "/work", "-c", "model_provider=\"fake\"",
                    "-c", "model_providers.fake.name=\"fake\"",
                    "-c", f"model_providers.fake.base_url=\"https://127.0.0.1:{front.port}/v1\"",
                    "-c", "model_providers.fake.env_key=\"FAKE_API_KEY\"",
                    "-c", "model_providers.fake.wire_api=\"responses\"",
                    "-s", "danger-full-access", "make hello.txt"]  # exec's approval is always never
            p = subprocess.run(self.chroot(*args), env=self.env, capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout, "patched\n")
            with open(os.path.join(self.root, "work", "hello.txt")) as f:
                self.assertEqual(f.read(), "made in an empty root\n")
            self.assertGreaterEqual(front.handshakes, 1)
            reqs = sorted(n for n in os.listdir(out) if n.startswith("request-"))
            posts = []
            for n in reqs:
                with open(os.path.join(out, n)) as f:
                    posts.append(json.load(f))
            posts = [r for r in posts if r["method"] == "POST"]
            self.assertEqual(len(posts), 2)
            outputs = [i for i in posts[1]["body"]["input"] if i.get("call_id") == "p1"
                       and i["type"] == "custom_tool_call_output"]
            self.assertEqual(len(outputs), 1)
            self.assertIn("hello.txt", json.dumps(outputs[0]))
        finally:
            front.close()
            stop()

    def test_sandbox_refuses_rather_than_run_unconfined(self):
        # The root of a plain chroot is no mount point: the sandbox's mount namespace cannot be
        # made private there, so a sandboxed command is refused, saying why. Bind-mounting the
        # root onto itself (in a namespace of the test's own) is the remedy the message names.
        # Under a user-mode emulator the kernel's Landlock is out of reach: refused too.
        cmd = ["sandbox", "linux", "--", "/ccodex", "--version"]
        p = subprocess.run(self.chroot(*cmd), env=self.env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertEqual(p.stdout, "")
        self.assertIn("sandbox unavailable: ", p.stderr)
        self.assertIn("the command was not run", p.stderr)
        if not RUNNER:
            self.assertIn("/ is not a mount point", p.stderr)
        if not shutil.which("unshare"):
            return
        script = 'mount --bind "$0" "$0" && exec "$@"'
        p = subprocess.run([shutil.which("unshare"), "-m", "--propagation", "private", "sh", "-c",
                            script, self.root] + self.chroot(*cmd),
                           env=dict(self.env, PATH=os.environ.get("PATH", "/usr/bin:/bin")),
                           capture_output=True, text=True, timeout=60)
        if RUNNER:
            self.assertEqual(p.returncode, 1, p.stdout)
            self.assertIn("sandbox unavailable: ", p.stderr)
        else:
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertRegex(p.stdout, r"^ccodex \d+\.\d+\.\d+\n")

    def test_repl_edits_lines_without_a_terminfo_database(self):
        # xterm-256color is compiled into the static libtinfo; the root has no /usr/share/terminfo
        pid, fd = pty.fork()
        if pid == 0:
            # a key, so the REPL starts (a missing one is reported before the prompt)
            os.execve(CHROOT, self.chroot("-C", "/work"),
                      dict(self.env, TERM="xterm-256color", OPENAI_API_KEY="sk-x"))
        out = b""
        deadline = time.monotonic() + 30
        sent = False
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            if not sent and b"ccodex> " in out:
                os.write(fd, b"/exit\r")
                sent = True
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        self.assertTrue(sent, out)
        self.assertNotIn(b"terminal", out.lower().replace(b"interactive", b""))
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, out)

    def test_serve_round_trip(self):
        out = os.path.join(self.tmp, "serve-out")
        backend_port, stop = fakechat.start([[text("Hello from "), text("the root"), finish(),
                                              usage()]], out)
        proc = subprocess.Popen(self.chroot("serve", "--downstream-base-url",
                                            f"http://127.0.0.1:{backend_port}", "--port", "0"),
                                env=self.env, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stderr.readline()
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/v1", line)
            self.assertTrue(m, line + (proc.stderr.read() if proc.poll() is not None else ""))
            body = {"model": "m", "instructions": "x", "stream": True,
                    "input": [{"type": "message", "role": "user",
                               "content": [{"type": "input_text", "text": "hi"}]}]}
            req = urllib.request.Request(f"http://127.0.0.1:{m.group(1)}/v1/responses",
                                         data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=30) as r:
                sse = r.read().decode()
            self.assertIn("event: response.completed", sse)
            deltas = re.findall(r'"delta":"([^"]*)"', sse)
            self.assertEqual("".join(deltas), "Hello from the root")
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                rc = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = "hung"
            proc.stderr.close()
            stop()
        self.assertEqual(rc, 0)


if __name__ == "__main__":
    unittest.main()

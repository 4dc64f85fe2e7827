"""Escape attempts against the command sandbox, each a real command run under each mode with
`ccodex sandbox linux` (the same policy and spawner the agent's tools use), plus the agent's own
exec_command (pipes and PTY) and shell_command. Read-only and workspace-write must let nothing
out; danger-full-access must let everything through (which proves each attempt is a real one).
Runs as any user, root included (CI runs as root): the mount namespace, Landlock and seccomp
bind root too."""
import json, os, shutil, socket, subprocess, sys, tempfile, threading, time, unittest

from harness import BIN, Env

PY = os.path.realpath(sys.executable)  # not a pyenv shim: the shim's scripts are not the test
MODES = {
    "read-only": [],
    "workspace-write": ["--full-auto"],
    # upstream's features.use_legacy_landlock: Landlock without the read-only mount tree
    "legacy-landlock": ["--full-auto", "-c", "features.use_legacy_landlock=true"],
    "danger-full-access": ["-c", 'sandbox_mode="danger-full-access"'],
}
# /tmp and $TMPDIR are writable roots by default; the tests' "outside" lives under /tmp
NO_TMP = "[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n"


class Server:
    """Accepts connections on sock in a thread; handle(conn) sees each one."""

    def __init__(self, sock):
        self.sock = sock
        sock.listen(16)
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.handle(c)
            c.close()

    def close(self):
        self.sock.close()


class TcpServer(Server):
    def __init__(self):
        self.hits = 0
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        super().__init__(s)

    def handle(self, c):
        self.hits += 1


class UnixServer(Server):
    def __init__(self, path):
        self.path, self.got = path, []
        s = socket.socket(socket.AF_UNIX)
        s.bind(path)
        super().__init__(s)

    def handle(self, c):
        self.got.append(c.recv(100))


class World:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="cx-sbx-")
        self.ws = os.path.join(self.root, "ws")
        self.out = os.path.join(self.root, "outside")
        self.home = os.path.join(self.root, "home")
        for d in (self.ws, self.out, self.home):
            os.makedirs(d)
        subprocess.run(["git", "init", "-q", self.ws], check=True)
        with open(os.path.join(self.home, "config.toml"), "w") as f:
            f.write(NO_TMP)
        with open(os.path.join(self.out, "secret.txt"), "w") as f:
            f.write("secret\n")
        with open(os.path.join(self.ws, "a.txt"), "w") as f:
            f.write("a\n")
        with open(os.path.join(self.ws, "movable.txt"), "w") as f:
            f.write("m\n")
        os.symlink(self.out, os.path.join(self.ws, "lnk"))

    def sandbox(self, mode, script, timeout=30, extra_env=None, prefix=()):
        env = dict(os.environ, CODEX_HOME=self.home, HOME=self.root)
        env.pop("TMPDIR", None)
        env.update(extra_env or {})
        return subprocess.run(list(prefix) + [BIN, "sandbox", "linux"] + MODES[mode]
                              + ["--", "/bin/sh", "-c", script],
                              cwd=self.ws, env=env, capture_output=True, text=True, timeout=timeout)

    def give_to(self, uid):
        for top, dirs, files in os.walk(self.root):
            for name in [top] + [os.path.join(top, n) for n in dirs + files]:
                os.lchown(name, uid, uid)

    def exists(self, *parts):
        return os.path.exists(os.path.join(self.root, *parts))

    def read(self, *parts):
        with open(os.path.join(self.root, *parts)) as f:
            return f.read()

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


# name -> (shell script using $OUT, check(world) -> True when the attempt got out)
ATTEMPTS = {
    "write_outside": ("echo pwn > $OUT/w1", lambda w: w.exists("outside", "w1")),
    "symlink_out": ("echo pwn > lnk/w2", lambda w: w.exists("outside", "w2")),
    "rename_out": ("mv movable.txt $OUT/w4", lambda w: w.exists("outside", "w4")),
    "hardlink_out": ("ln a.txt $OUT/w5", lambda w: w.exists("outside", "w5")),
    "hardlink_in_then_write": ("ln $OUT/secret.txt hl; echo pwn >> hl",
                               lambda w: w.read("outside", "secret.txt") != "secret\n"),
    "proc_self_root": ("echo pwn > /proc/self/root$OUT/w7", lambda w: w.exists("outside", "w7")),
    "proc_parent_root": ("echo pwn > /proc/$PPID/root$OUT/w8", lambda w: w.exists("outside", "w8")),
    "proc_self_cwd": ("echo pwn > /proc/self/cwd/../outside/w9", lambda w: w.exists("outside", "w9")),
    "truncate_outside": (": > $OUT/secret.txt", lambda w: w.read("outside", "secret.txt") != "secret\n"),
    "mkdir_outside": ("mkdir $OUT/d", lambda w: w.exists("outside", "d")),
    "late_child": ("(sleep 0.4; echo pwn > $OUT/w10) & exit 0", lambda w: w.exists("outside", "w10")),
    # a process on a new pseudo-terminal that writes after its parent is gone
    "pty_later": (
        PY + " -c \"import pty, signal, sys, time\nif pty.fork()[0] == 0:\n"
        "    signal.signal(signal.SIGHUP, signal.SIG_IGN); time.sleep(0.4)\n"
        "    open(sys.argv[1], 'w').write('pwn')\n\" $OUT/w11",
        lambda w: w.exists("outside", "w11")),
}


class EscapeTests(unittest.TestCase):
    def world(self):
        w = World()
        self.addCleanup(w.close)
        return w

    def attempt(self, mode, name):
        w = self.world()
        script, escaped = ATTEMPTS[name]
        p = w.sandbox(mode, f"OUT={w.out}; {script}")
        time.sleep(1.0)  # background children write late
        return w, p, escaped(w)

    def test_every_attempt_in_every_mode(self):
        for name in ATTEMPTS:
            for mode in MODES:
                with self.subTest(attempt=name, mode=mode):
                    w, p, out = self.attempt(mode, name)
                    if mode == "danger-full-access":
                        self.assertTrue(out, f"{name} should work without a sandbox: {p.stderr}")
                    else:
                        self.assertFalse(out, f"{name} escaped {mode}: {p.stdout} {p.stderr}")

    def test_git_dir_stays_read_only(self):
        for mode, allowed in (("read-only", False), ("workspace-write", False),
                              ("legacy-landlock", False), ("danger-full-access", True)):
            with self.subTest(mode=mode):
                w = self.world()
                p = w.sandbox(mode, "echo pwn > .git/probe; echo pwn > .git/hooks/pre-commit; "
                                    + ("" if allowed else "mv .git .git2; rm -rf .git"))
                self.assertEqual(w.exists("ws", ".git", "probe"), allowed, p.stderr)
                self.assertEqual(w.exists("ws", ".git", "hooks", "pre-commit"), allowed, p.stderr)
                if not allowed:
                    self.assertTrue(w.exists("ws", ".git"), "the .git directory was moved away")
                    # the read-only mounts refuse, in every mode (legacy too: a bind)
                    self.assertIn("Read-only file system", p.stderr)

    def test_workspace_and_devices(self):
        for mode, writable in (("read-only", False), ("workspace-write", True),
                               ("legacy-landlock", True), ("danger-full-access", True)):
            with self.subTest(mode=mode):
                w = self.world()
                p = w.sandbox(mode, "echo x > /dev/null && echo null-ok; echo in > inside.txt; "
                                    "mkdir sub && echo sub > sub/f")
                self.assertIn("null-ok", p.stdout)
                self.assertEqual(w.exists("ws", "inside.txt"), writable, p.stderr)
                self.assertEqual(w.exists("ws", "sub", "f"), writable, p.stderr)
                if not writable:
                    self.assertIn("Read-only file system", p.stderr)

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"),
                         "needs root to start a command as an unprivileged user")
    def test_unprivileged_user_gets_the_same_walls(self):
        # CI runs as root, which needs no user namespace; an ordinary user goes through one
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        for mode, inside in (("read-only", False), ("workspace-write", True),
                             ("legacy-landlock", True)):
            with self.subTest(mode=mode):
                w = self.world()
                w.give_to(65534)
                p = w.sandbox(mode, f"id -u; echo in > inside.txt; echo x > .git/probe; "
                                    f"echo x > {w.out}/w1; echo x > /proc/$PPID/root{w.out}/w2; "
                                    f"echo x > lnk/w3", prefix=nobody)
                self.assertEqual(p.stdout.split("\n")[0], "65534", p.stderr)
                self.assertEqual(w.exists("ws", "inside.txt"), inside, p.stderr)
                for name in ("w1", "w2", "w3"):
                    self.assertFalse(w.exists("outside", name), p.stderr)
                self.assertFalse(w.exists("ws", ".git", "probe"), p.stderr)
                self.assertIn(".git/probe: Read-only file system", p.stderr)
                self.assertIn(f"{w.out}/w1: " + ("Permission denied" if mode == "legacy-landlock"
                                                 else "Read-only file system"), p.stderr)

    def test_denied_write_reads_as_upstreams(self):
        # upstream's default sandbox answers EROFS; its legacy Landlock mode EACCES
        for mode, text in (("read-only", "Read-only file system"),
                           ("workspace-write", "Read-only file system"),
                           ("legacy-landlock", "Permission denied")):
            with self.subTest(mode=mode):
                w = self.world()
                p = w.sandbox(mode, f"echo x > {w.out}/denied; echo x > /proc/$PPID/root{w.out}/p")
                self.assertFalse(w.exists("outside", "denied"))
                self.assertFalse(w.exists("outside", "p"))
                self.assertIn(f"{w.out}/denied: {text}", p.stderr)

    def test_tcp_to_loopback(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                w = self.world()
                srv = TcpServer()
                self.addCleanup(srv.close)
                code = f"import socket; socket.create_connection(('127.0.0.1', {srv.port}), 3); print('connected')"
                p = w.sandbox(mode, f"{PY} -c \"{code}\"")
                time.sleep(0.2)
                if mode == "danger-full-access":
                    self.assertEqual(srv.hits, 1, p.stderr)
                    self.assertEqual(p.returncode, 0)
                else:
                    self.assertEqual(srv.hits, 0, p.stdout)
                    self.assertNotEqual(p.returncode, 0)
                    self.assertIn("Operation not permitted", p.stderr)

    def test_network_access_setting_opens_the_network(self):
        w = self.world()
        srv = TcpServer()
        self.addCleanup(srv.close)
        with open(os.path.join(w.home, "config.toml"), "a") as f:
            f.write("network_access = true\n")
        code = f"import socket; socket.create_connection(('127.0.0.1', {srv.port}), 3)"
        p = w.sandbox("workspace-write", f"{PY} -c \"{code}\"")
        self.assertEqual(p.returncode, 0, p.stderr)
        time.sleep(0.2)
        self.assertEqual(srv.hits, 1)
        p = w.sandbox("read-only", f"{PY} -c \"{code}\"")  # read-only has no network, ever
        self.assertNotEqual(p.returncode, 0)

    def test_unix_socket_is_allowed(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                w = self.world()
                srv = UnixServer(os.path.join(w.root, "s.sock"))
                self.addCleanup(srv.close)
                code = (f"import socket; s=socket.socket(socket.AF_UNIX); s.connect('{srv.path}'); "
                        f"s.send(b'hello')")
                p = w.sandbox(mode, f"{PY} -c \"{code}\"")
                self.assertEqual(p.returncode, 0, p.stderr)
                time.sleep(0.2)
                self.assertEqual(srv.got, [b"hello"])

    def test_writable_tmp_by_default(self):
        w = self.world()
        with open(os.path.join(w.home, "config.toml"), "w") as f:
            f.write("")  # defaults: /tmp writable in workspace-write, not in read-only
        p = w.sandbox("workspace-write", f"echo x > {w.out}/in-tmp")
        self.assertTrue(w.exists("outside", "in-tmp"), p.stderr)
        p = w.sandbox("read-only", f"echo x > {w.out}/in-tmp-ro")
        self.assertFalse(w.exists("outside", "in-tmp-ro"))

    def test_exit_code_is_the_commands(self):
        w = self.world()
        self.assertEqual(w.sandbox("read-only", "exit 7").returncode, 7)
        self.assertEqual(w.sandbox("read-only", "kill -TERM $$").returncode, 128 + 15)

    def test_fail_closed(self):
        w = self.world()
        for mode in ("read-only", "workspace-write"):
            with self.subTest(mode=mode):
                p = w.sandbox(mode, "touch ran-anyway",
                              extra_env={"CCODEX_SANDBOX_FORCE_UNAVAILABLE": "1"})
                self.assertNotEqual(p.returncode, 0)
                self.assertIn("sandbox unavailable", p.stderr)
                self.assertIn("danger-full-access", p.stderr)
                self.assertFalse(w.exists("ws", "ran-anyway"))
        p = w.sandbox("danger-full-access", "touch ran",
                      extra_env={"CCODEX_SANDBOX_FORCE_UNAVAILABLE": "1"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(w.exists("ws", "ran"))


def call(name, args, call_id="call_1"):
    return {"type": "function_call", "name": name, "call_id": call_id, "arguments": json.dumps(args)}


def outputs(req):
    return {i["call_id"]: i["output"] for i in req["body"]["input"]
            if i.get("type") == "function_call_output"}


class AgentToolTests(unittest.TestCase):
    """The agent's own spawners run inside the sandbox too."""

    def agent(self, script, config_extra=""):
        env = Env(script, config_extra=config_extra)
        self.addCleanup(env.close)
        outside = tempfile.mkdtemp(prefix="cx-sbx-out-", dir=os.path.dirname(env.root))
        self.addCleanup(shutil.rmtree, outside, True)
        return env, outside

    def run_exec(self, env, *args, **extra):
        e = dict(extra)
        p = subprocess.run([BIN, "exec", *args, "go"], cwd=env.cwd, capture_output=True, text=True,
                           timeout=90, env={**env.env(**e), "TMPDIR": ""})
        return p

    def test_exec_command_pipes_and_pty_cannot_write_outside(self):
        env, outside = self.agent([], config_extra='sandbox_mode = "workspace-write"\n' + NO_TMP)
        env.state.script.extend([
            [call("exec_command", {"cmd": f"echo pwn > {outside}/pipe; echo in > inside.txt", "login": False},
                  "c1"),
             call("exec_command", {"cmd": f"(sleep 0.5; echo pwn > {outside}/pty) & sleep 0.1; echo started",
                                   "login": False, "tty": True}, "c2")],
            [{"type": "message", "text": "done"}]])
        p = self.run_exec(env)
        self.assertEqual(p.returncode, 0, p.stderr)
        time.sleep(1.2)
        self.assertFalse(os.path.exists(os.path.join(outside, "pipe")))
        self.assertFalse(os.path.exists(os.path.join(outside, "pty")))
        self.assertTrue(os.path.exists(os.path.join(env.cwd, "inside.txt")))

    def test_shell_command_in_read_only_reports_the_denial(self):
        env, _ = self.agent([[call("shell_command", {"command": "printf X > inside.txt", "login": False})],
                             [{"type": "message", "text": "done"}]])
        p = self.run_exec(env, "-c", "features.unified_exec=false")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(env.cwd, "inside.txt")))
        out = outputs(env.requests()[1])["call_1"]
        self.assertRegex(out, r"^Exit code: [12]\nWall time: [\d.]+ seconds\nOutput:\n.*inside.txt: "
                              r"Read-only file system\n$")

    def test_tool_refused_when_the_sandbox_is_unavailable(self):
        env, _ = self.agent([[call("exec_command", {"cmd": "touch ran-anyway", "login": False})],
                             [{"type": "message", "text": "done"}]],
                            config_extra='sandbox_mode = "workspace-write"')
        p = self.run_exec(env, CCODEX_SANDBOX_FORCE_UNAVAILABLE="1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(env.cwd, "ran-anyway")))
        out = outputs(env.requests()[1])["call_1"]
        self.assertIn("sandbox unavailable", out)

    def patch_call(self, path, call_id="p1"):
        return {"type": "custom_tool_call", "name": "apply_patch", "call_id": call_id,
                "input": f"*** Begin Patch\n*** Add File: {path}\n+hello\n*** End Patch\n"}

    def test_apply_patch_obeys_the_policy(self):
        rejected = ("patch rejected: writing outside of the project; rejected by user approval "
                    "settings")
        cases = [("read-only", "hello.txt", False), ("workspace-write", "hello.txt", True),
                 ("workspace-write", "OUT/x.txt", False), ("workspace-write", ".git/x.txt", False),
                 ("workspace-write", "sub/../../escape.txt", False),
                 ("danger-full-access", "OUT/y.txt", True)]
        for mode, rel, ok in cases:
            with self.subTest(mode=mode, path=rel):
                env, outside = self.agent([], config_extra=f'sandbox_mode = "{mode}"\n' + NO_TMP)
                path = rel.replace("OUT", outside)
                env.state.script.extend([[self.patch_call(path)], [{"type": "message", "text": "ok"}]])
                p = self.run_exec(env)
                self.assertEqual(p.returncode, 0, p.stderr)
                target = os.path.normpath(os.path.join(env.cwd, path))
                self.assertEqual(os.path.exists(target), ok)
                out = [i["output"] for i in env.requests()[1]["body"]["input"]
                       if i.get("type") == "custom_tool_call_output"][0]
                if ok:
                    self.assertTrue(out.startswith("Exit code: 0"), out)
                else:
                    self.assertEqual(out, rejected)

    def test_escalation_is_refused_in_exec(self):
        never = ("approval policy is Never; reject command \u2014 you {} ask for escalated "
                 "permissions if the approval policy is Never")
        for mode in ("read-only", "danger-full-access"):
            for policy in ("never", "on-request", "untrusted"):
                with self.subTest(mode=mode, policy=policy):
                    esc = {"sandbox_permissions": "require_escalated", "justification": "need it?"}
                    env, _ = self.agent([[call("exec_command", dict(cmd="touch e1", login=False, **esc), "c1"),
                                          call("shell_command", dict(command="touch e2", login=False, **esc), "c2"),
                                          call("shell", dict(command=["touch", "e3"], **esc), "c3")],
                                         [{"type": "message", "text": "done"}]],
                                        config_extra=f'sandbox_mode = "{mode}"')
                    p = self.run_exec(env, "-c", f'approval_policy="{policy}"')
                    self.assertEqual(p.returncode, 0, p.stderr)
                    outs = outputs(env.requests()[1])
                    self.assertEqual(outs["c1"], never.format("cannot"))
                    self.assertEqual(outs["c2"], never.format("should not"))
                    self.assertEqual(outs["c3"], never.format("should not"))
                    for f in ("e1", "e2", "e3"):
                        self.assertFalse(os.path.exists(os.path.join(env.cwd, f)))

    def test_old_with_escalated_permissions_field_is_ignored(self):
        env, _ = self.agent([[call("exec_command", {"cmd": "touch w1", "login": False,
                                                    "with_escalated_permissions": True})],
                             [{"type": "message", "text": "done"}]])
        p = self.run_exec(env)
        self.assertEqual(p.returncode, 0, p.stderr)
        # it ran, inside the read-only sandbox
        self.assertFalse(os.path.exists(os.path.join(env.cwd, "w1")))
        self.assertIn("Read-only file system", outputs(env.requests()[1])["call_1"])


if __name__ == "__main__":
    unittest.main()

"""Shared helpers for ccodex's Python integration tests: a fresh CODEX_HOME, a git work tree,
the scripted fake Responses server, and a way to run the ccodex binary against them."""
import json, os, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fakeserver  # noqa: E402

BIN = os.environ.get("CCODEX_BIN") or os.path.join(HERE, "..", "..", "build", "ccodex")
SHARED = os.environ.get("CX_SHARED_DIR") or os.path.join(HERE, "..", "..", "..", "shared")


class Env:
    """One test's world: temp root with wd/ (a git repo), home/ (CODEX_HOME), out/ (requests)."""

    def __init__(self, script, config_extra="", git=True, agents_md="Answer briefly. MARKER-LINE-42\n"):
        self.root = tempfile.mkdtemp(prefix="cx-it-")
        self.cwd = os.path.join(self.root, "wd")
        self.home = os.path.join(self.root, "home")
        self.out = os.path.join(self.root, "out")
        self.userhome = os.path.join(self.root, "userhome")
        for d in (self.cwd, self.home, self.userhome):
            os.makedirs(d)
        if agents_md is not None:
            with open(os.path.join(self.cwd, "AGENTS.md"), "w") as f:
                f.write(agents_md)
        with open(os.path.join(self.cwd, "a.txt"), "w") as f:
            f.write("one\ntwo\nthree\n")
        if git:
            g = ["git", "-c", "user.email=a@b", "-c", "user.name=x"]
            subprocess.run(["git", "init", "-q"], cwd=self.cwd, check=True)
            subprocess.run(["git", "add", "-A"], cwd=self.cwd, check=True)
            subprocess.run(g + ["commit", "-qm", "init"], cwd=self.cwd, check=True)
        self.port, self._stop, self.state = fakeserver.start(script, self.out)
        self.write_config(config_extra)

    def write_config(self, extra=""):
        with open(os.path.join(self.home, "config.toml"), "w") as f:
            f.write(f'model = "gpt-5.1-codex"\nmodel_provider = "fake"\n{extra}\n'
                    f'[model_providers.fake]\nname = "fake"\n'
                    f'base_url = "http://127.0.0.1:{self.port}/v1"\nenv_key = "FAKE_API_KEY"\n'
                    f'wire_api = "responses"\n')

    def env(self, **extra):
        e = dict(os.environ, CODEX_HOME=self.home, FAKE_API_KEY="sk-test-secret-key",
                 HOME=self.userhome, SHELL="/bin/bash", TZ="Etc/UTC")
        e.update(extra)
        return e

    def run(self, args, input=None, timeout=60, **env):
        return subprocess.run([BIN] + args, cwd=self.cwd, env=self.env(**env), input=input,
                              capture_output=True, text=True, timeout=timeout)

    def requests(self, posts_only=True):
        out = []
        if not os.path.isdir(self.out):
            return out
        for name in sorted(n for n in os.listdir(self.out) if n.startswith("request-")):
            with open(os.path.join(self.out, name)) as f:
                rec = json.load(f)
            if posts_only and rec["method"] != "POST":
                continue
            out.append(rec)
        return out

    def close(self):
        self._stop()
        shutil.rmtree(self.root, ignore_errors=True)

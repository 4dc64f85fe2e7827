"""What every conformance test here shares (imported, never run as a test): where the shared
captures and the binary are, the wrapper that plants the demonstration skill upstream's capture
home had, running one of the shared capture tools over a list of scenarios, and running a shared
compare tool (compare_requests.py, compare_rollouts.py) on one scenario's two captures.

A test class built on CaptureTest captures in setUpClass and removes its scratch folder after."""
import json, os, shutil, stat, subprocess, sys, tempfile, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("CX_SHARED_DIR") or os.path.join(HERE, "..", "..", "..", "shared")
CONF = os.path.join(SHARED, "conformance")
TOOLS = os.path.join(CONF, "tools")
UPSTREAM = os.path.join(CONF, "upstream-0.115.0")
BIN = os.environ.get("CCODEX_BIN") or os.path.join(HERE, "..", "..", "build", "ccodex")

# Upstream's capture home had its system skills installed, so its developer message carries a
# skills block; ccodex ships no skills, so the wrapper plants one to exercise the same shape.
WRAPPER = """#!/bin/sh
mkdir -p "$CODEX_HOME/skills/demo"
printf -- '---\\nname: demo\\ndescription: A demonstration skill used by the conformance test.\\n---\\nDo the demo.\\n' > "$CODEX_HOME/skills/demo/SKILL.md"
exec "{bin}" "$@"
"""


def make_wrapper(folder):
    """Writes the skill-planting wrapper around BIN into folder; returns its path."""
    path = os.path.join(folder, "ccodex-wrapper")
    with open(path, "w") as f:
        f.write(WRAPPER.replace("{bin}", os.path.abspath(BIN)))
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return path


def load_scenarios(filename):
    """The scenario table ../shared/conformance/<filename> (name -> scenario)."""
    with open(os.path.join(CONF, filename)) as f:
        return json.load(f)


def captured(names):
    """Those of names that upstream's captures hold."""
    return [n for n in names if os.path.isdir(os.path.join(UPSTREAM, n))]


def run_capture(tool, binary, dest, names, timeout=900, env=None, path=None):
    """Runs the shared capture tool (capture_upstream.py, capture_more.py, ...) with binary for
    names into dest/upstream-ccodex; returns its log (stdout and stderr). env adds variables;
    path goes in front of PATH."""
    full = dict(os.environ, TERM=os.environ.get("TERM", "xterm"))
    full.update(env or {})
    if path:
        full["PATH"] = path + os.pathsep + full.get("PATH", "")
    p = subprocess.run([sys.executable, os.path.join(TOOLS, tool), binary, "ccodex", dest] + list(names),
                       capture_output=True, text=True, timeout=timeout, env=full)
    return p.stdout + p.stderr


def compare(want_dir, got_dir, tool="compare_requests.py", env=None):
    """Runs a shared compare tool on two captures of one scenario; returns (exit code, stdout)."""
    full = dict(os.environ)
    full.update(env or {})
    p = subprocess.run([sys.executable, os.path.join(TOOLS, tool), want_dir, got_dir],
                       capture_output=True, text=True, env=full)
    return p.returncode, p.stdout


class CaptureTest(unittest.TestCase):
    """Base of a test class whose setUpClass captures once: cls.scratch(...), then cls.capture(...)."""
    tmp = None

    @classmethod
    def scratch(cls, prefix):
        """Makes cls.tmp, the class's scratch folder (removed after its tests)."""
        cls.tmp = tempfile.mkdtemp(prefix=prefix)
        return cls.tmp

    @classmethod
    def capture(cls, tool, names, timeout=900, env=None, wrapper=True, path=None, dest=None):
        """Captures names with tool (through the wrapper unless told not to) into dest (default:
        cls.tmp, made by scratch() first) and sets cls.names, cls.capture_log and cls.ours (our
        captures, one folder a scenario). Returns the log."""
        dest = dest or cls.tmp
        os.makedirs(dest, exist_ok=True)
        binary = make_wrapper(cls.tmp) if wrapper else os.path.abspath(BIN)
        cls.names = list(names)
        cls.capture_log = run_capture(tool, binary, dest, cls.names, timeout, env, path)
        cls.ours = os.path.join(dest, "upstream-ccodex")
        return cls.capture_log

    @classmethod
    def tearDownClass(cls):
        if cls.tmp:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def compare_scenario(self, name, tool="compare_requests.py", env=None):
        """compare() on upstream's capture of name and ours."""
        return compare(os.path.join(UPSTREAM, name), os.path.join(self.ours, name), tool, env)

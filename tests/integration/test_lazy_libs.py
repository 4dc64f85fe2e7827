"""The dynamic ccodex program's start-up memory (issue 14): libcurl.so.4 and its ~33 libraries are
loaded only by a command that talks HTTP (src/cli/curl_dl.c), libedit only by the interactive
client (src/cli/edit_dl.c), libevent and hiredis only by the servers and the Redis store
(src/cli/event_dl.c), a library that cannot be loaded is one clear sentence rather than a crash, and a session whose provider is plain HTTP does not read OpenSSL's configuration file.
The loader tests are skipped for a program that links the libraries (the static release,
-DCCODEX_LAZY_LIBS=OFF)."""
import os, shutil, subprocess, sys, tempfile, time, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from ptyrun import PtyProc  # noqa: E402

BIN = harness.BIN


def needed(binary):
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True).stdout
    return [l.split("[", 1)[1].rstrip("]") for l in out.splitlines() if "(NEEDED)" in l]


def loaded_files(argv, **kw):
    """Shared objects the dynamic loader opened for argv (LD_DEBUG=files), and the result."""
    env = dict(kw.pop("env", os.environ), LD_DEBUG="files")
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, **kw)
    files = {l.split("file=", 1)[1].split()[0] for l in p.stderr.splitlines() if "file=" in l}
    return files, p


@unittest.skipUnless(shutil.which("readelf"), "needs readelf")
class LazyLibcurl(unittest.TestCase):
    def setUp(self):
        if "libc.so.6" not in needed(BIN):
            self.skipTest("a static ccodex links its own libcurl")
        cache = os.path.join(os.environ.get("CX_BUILD_DIR", ""), "CMakeCache.txt")
        if os.path.exists(cache) and "CCODEX_LAZY_LIBS:BOOL=OFF" in open(cache).read():
            self.skipTest("built with -DCCODEX_LAZY_LIBS=OFF")
        self.tmp = tempfile.mkdtemp(prefix="cx-lazy-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_version_loads_no_libcurl(self):
        self.assertFalse([n for n in needed(BIN) if n.startswith("libcurl")], needed(BIN))
        files, p = loaded_files([BIN, "--version"])
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        self.assertTrue(any("libc.so" in f for f in files), "LD_DEBUG output not understood")
        self.assertFalse([f for f in files if "libcurl" in f or "gnutls" in f], files)
        self.assertFalse([f for f in files if "libedit" in f], files)
        if not [f for f in files if "san.so" in f]:  # the sanitizer runtimes bring libm
            self.assertFalse([f for f in files if "libm.so" in f], files)
        self.assertFalse([f for f in files if "libevent" in f or "hiredis" in f], files)

    def test_exec_turn_loads_it_and_works(self):
        w = harness.Env([[{"type": "message", "text": "OK"}]], git=False)
        try:
            files, p = loaded_files([BIN, "exec", "--skip-git-repo-check", "hi"], cwd=w.cwd,
                                    env=w.env())
            self.assertEqual((p.returncode, p.stdout), (0, "OK\n"), p.stderr[-2000:])
            self.assertTrue([f for f in files if "libcurl.so.4" in f], files)
            self.assertFalse([f for f in files if "libedit" in f or "libevent" in f or
                              "hiredis" in f], files)
        finally:
            w.close()

    def test_unloadable_libcurl_is_a_clear_error(self):
        # an empty file found first under the soname: dlopen fails ("file too short")
        open(os.path.join(self.tmp, "libcurl.so.4"), "w").close()
        w = harness.Env([[{"type": "message", "text": "OK"}]], git=False)
        try:
            p = subprocess.run([BIN, "exec", "--skip-git-repo-check", "hi"], cwd=w.cwd,
                               env=w.env(LD_LIBRARY_PATH=self.tmp), capture_output=True,
                               text=True, timeout=60)
            self.assertNotEqual(p.returncode, 0)
            self.assertGreater(p.returncode, 0, "killed by a signal")
            self.assertIn("ccodex: cannot load libcurl.so.4 (needed to talk HTTP): ", p.stderr)
            self.assertEqual(p.stderr.count("cannot load libcurl.so.4"), 1, p.stderr)
            self.assertEqual(w.requests(), [])
            # commands without HTTP are unaffected
            v = subprocess.run([BIN, "--version"], env=w.env(LD_LIBRARY_PATH=self.tmp),
                               capture_output=True, text=True, timeout=30)
            self.assertEqual((v.returncode, v.stderr), (0, ""))
        finally:
            w.close()

    def test_serve_without_libevent_is_a_clear_error(self):
        open(os.path.join(self.tmp, "libevent-2.1.so.7"), "w").close()
        p = subprocess.run([BIN, "serve", "--port", "0", "--downstream-base-url",
                            "http://127.0.0.1:9/v1"], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, LD_LIBRARY_PATH=self.tmp))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("ccodex: cannot load libevent-2.1.so.7 (needed by the HTTP servers): ", p.stderr)

    def test_repl_loads_libedit_and_an_unloadable_one_is_a_clear_error(self):
        w = harness.Env([], git=False)
        self.addCleanup(w.close)
        env = w.env(TERM="xterm", NO_COLOR="1", LD_DEBUG="files")
        p = PtyProc([BIN], w.cwd, env)
        self.addCleanup(p.close)
        p.expect(r"file=libedit\.so\.2 \[0\];\s+dynamically loaded by")
        p.expect(r"ccodex> ")  # the prompt: libedit works through the loader
        time.sleep(0.5)
        p.send("\x04")
        self.assertEqual(p.wait(), 0)

        open(os.path.join(self.tmp, "libedit.so.2"), "w").close()
        p = PtyProc([BIN], w.cwd, w.env(TERM="xterm", NO_COLOR="1", LD_LIBRARY_PATH=self.tmp))
        self.addCleanup(p.close)
        p.expect("ccodex: cannot load libedit.so.2 \\(needed by the interactive client\\): ")
        p.expect("error: the interactive client needs libedit")
        self.assertEqual(p.wait(), 1)


class PlainHttpOpenSSL(unittest.TestCase):
    """Static and dynamic builds alike."""

    def test_plain_http_session_reads_no_openssl_config(self):
        self.tmp = tempfile.mkdtemp(prefix="cx-lazy-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        # OpenSSL opens OPENSSL_CONF while initialising; a FIFO with no writer would block
        # that open forever, so the turn completing shows the file was never read
        fifo = os.path.join(self.tmp, "openssl.cnf")
        os.mkfifo(fifo)
        w = harness.Env([[{"type": "message", "text": "OK"}]], git=False)
        try:
            p = subprocess.run([BIN, "exec", "--skip-git-repo-check", "hi"], cwd=w.cwd,
                               env=w.env(OPENSSL_CONF=fifo), capture_output=True, text=True,
                               timeout=30)
            self.assertEqual((p.returncode, p.stdout), (0, "OK\n"), p.stderr[-2000:])
        finally:
            w.close()


if __name__ == "__main__":
    unittest.main()

"""The library as an embedder gets it: `cmake --install` into a temporary prefix gives the
public headers, libccodex.a, libccodex.so and ccodex.pc; every public header compiles in a C++
file (extern "C", no C-only types); examples/embed.c builds through pkg-config against the
shared and against the static library, and each binary runs a turn against the fake server."""
import glob, os, shutil, subprocess, tempfile, unittest

from harness import Env

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BUILD = os.environ.get("CX_BUILD_DIR")
# a sanitized build's library needs the same runtime in whatever links it
SAN = os.environ.get("CX_SANITIZE_FLAGS", "").split()


@unittest.skipUnless(BUILD and shutil.which("pkg-config") and shutil.which("c++"),
                     "needs CX_BUILD_DIR, pkg-config and a C++ compiler")
class InstallTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.prefix = tempfile.mkdtemp(prefix="cx-install-")
        subprocess.run(["cmake", "--install", BUILD, "--prefix", cls.prefix], check=True,
                       capture_output=True)
        libdirs = glob.glob(os.path.join(cls.prefix, "lib*"))
        cls.libdir = libdirs[0]
        cls.pcenv = dict(os.environ, PKG_CONFIG_PATH=os.path.join(cls.libdir, "pkgconfig"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.prefix, ignore_errors=True)

    def pkg(self, *args):
        p = subprocess.run(["pkg-config"] + list(args) + ["ccodex"], env=self.pcenv,
                           capture_output=True, text=True, check=True)
        return p.stdout.split()

    def test_installed_files(self):
        names = os.listdir(self.libdir)
        self.assertIn("libccodex.a", names)
        self.assertIn("libccodex.so", names)
        headers = sorted(os.listdir(os.path.join(self.prefix, "include", "ccodex")))
        for h in ("agent.h", "config.h", "error.h", "events.h", "export.h", "items.h",
                  "runtime.h", "tools.h", "version.h"):
            self.assertIn(h, headers)
        self.assertEqual(self.pkg("--modversion"), [self.version()])

    def version(self):
        with open(os.path.join(self.prefix, "include", "ccodex", "version.h")) as f:
            for line in f:
                if line.startswith("#define CCODEX_VERSION_STRING"):
                    return line.split('"')[1]
        self.fail("no CCODEX_VERSION_STRING")

    def test_every_public_header_compiles_as_cxx(self):
        work = tempfile.mkdtemp(prefix="cx-cxx-")
        self.addCleanup(shutil.rmtree, work, True)
        headers = sorted(os.listdir(os.path.join(self.prefix, "include", "ccodex")))
        src = os.path.join(work, "all.cpp")
        with open(src, "w") as f:
            for h in headers:
                f.write(f'#include "ccodex/{h}"\n')
            f.write('#include <cstdio>\n#include <cstring>\n'
                    'static void on_event(void *, const cx_event *) {}\n'
                    'int main() {\n'
                    '  cx_agent_options o = cx_agent_options();\n'
                    '  o.on_event = on_event;\n'
                    '  cx_tool_env env = cx_tool_env();\n'
                    '  if (cx_tool_cancelled(&env)) return 3;\n'
                    '  if (std::strcmp(cx_version(), CCODEX_VERSION_STRING) != 0) return 2;\n'
                    '  if (cx_version_number() != CCODEX_VERSION_NUMBER) return 2;\n'
                    '  std::printf("%s\\n", cx_version());\n'
                    '  return o.mode == CX_MODE_EXEC ? 0 : 1;\n}\n')
        exe = os.path.join(work, "all")
        p = subprocess.run(["c++", "-std=c++11", "-Wall", "-Wextra", "-Werror", src, "-o", exe]
                           + SAN + self.pkg("--cflags", "--libs"), capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        r = subprocess.run([exe], capture_output=True, text=True,
                           env=dict(os.environ, LD_LIBRARY_PATH=self.libdir))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), self.version())

    def build_embed(self, static):
        work = tempfile.mkdtemp(prefix="cx-embed-")
        self.addCleanup(shutil.rmtree, work, True)
        exe = os.path.join(work, "embed")
        if static:
            # libccodex.a with its private requirements as shared libraries (a fully
            # static libcurl needs archives Debian does not ship)
            private = subprocess.run(["pkg-config", "--libs", "libcurl", "libcrypto", "libseccomp"],
                                     capture_output=True, text=True, check=True).stdout.split()
            libs = [os.path.join(self.libdir, "libccodex.a")] + \
                [a for a in self.pkg("--libs") if a != "-lccodex"] + private + \
                ["-lpthread", "-lutil", "-lm"]
        else:
            libs = self.pkg("--libs")
        p = subprocess.run(["cc", "-std=c17", "-Wall", "-Wextra", "-Werror",
                            os.path.join(ROOT, "examples", "embed.c"), "-o", exe]
                           + SAN + self.pkg("--cflags") + libs, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        return exe

    def run_turn(self, exe):
        w = Env([[{"type": "message", "text": "installed and working"}]])
        self.addCleanup(w.close)
        p = subprocess.run([exe, "hi"], cwd=w.cwd, env=w.env(LD_LIBRARY_PATH=self.libdir),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("last message: installed and working\n", p.stdout)
        return p

    def test_embed_against_shared_library(self):
        exe = self.build_embed(static=False)
        ldd = subprocess.run(["ldd", exe], capture_output=True, text=True,
                             env=dict(os.environ, LD_LIBRARY_PATH=self.libdir)).stdout
        self.assertIn(f"libccodex.so.0 => {self.libdir}/libccodex.so.0", ldd)
        self.assertNotIn("libevent", ldd)
        self.run_turn(exe)

    def test_embed_against_static_library(self):
        exe = self.build_embed(static=True)
        ldd = subprocess.run(["ldd", exe], capture_output=True, text=True).stdout
        self.assertNotIn("libccodex", ldd)
        self.assertNotIn("libevent", ldd)
        self.run_turn(exe)


if __name__ == "__main__":
    unittest.main()

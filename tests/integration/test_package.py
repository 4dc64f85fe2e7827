"""The dynamic build's packaging: `cmake --install` puts a working ccodex under the prefix, and
`cpack -G DEB` (cmake/Packaging.cmake) makes a .deb whose Depends come from the binary's shared
libraries and whose ccodex runs."""
import os, shutil, subprocess, tempfile, unittest

BUILD = os.environ.get("CX_BUILD_DIR")


@unittest.skipUnless(BUILD and os.path.isfile(os.path.join(BUILD or "", "CPackConfig.cmake")),
                     "needs CX_BUILD_DIR (set by ctest) configured with cmake/Packaging.cmake")
class Package(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="cx-pkg-")

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def version_of(self, binary):
        p = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^ccodex \d+\.\d+\.\d+\n$")
        return p.stdout

    def test_cmake_install_puts_a_working_binary_under_the_prefix(self):
        prefix = os.path.join(self.root, "prefix")
        p = subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.version_of(os.path.join(prefix, "bin", "ccodex"))
        self.assertTrue(os.path.isfile(os.path.join(prefix, "share", "doc", "ccodex", "README.md")))

    @unittest.skipUnless(shutil.which("cpack") and shutil.which("dpkg-deb")
                         and shutil.which("dpkg-shlibdeps"), "needs cpack and dpkg-dev")
    def test_deb_has_computed_depends_and_a_working_binary(self):
        out = os.path.join(self.root, "out")
        p = subprocess.run(["cpack", "-G", "DEB", "-B", out], cwd=BUILD, capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        debs = [n for n in os.listdir(out) if n.endswith(".deb")]
        self.assertEqual(len(debs), 1, os.listdir(out))
        deb = os.path.join(out, debs[0])
        self.assertRegex(debs[0], r"^ccodex_\d+\.\d+\.\d+_[a-z0-9]+\.deb$")
        info = subprocess.run(["dpkg-deb", "-f", deb, "Package", "Depends", "Recommends"],
                              capture_output=True, text=True, check=True).stdout
        self.assertIn("Package: ccodex", info)
        for dep in ("libcurl4", "libjson-c5", "libevent-2.1-7", "libedit2", "libc6"):
            self.assertIn(dep, info)
        self.assertIn("ca-certificates", info)
        tree = os.path.join(self.root, "tree")
        subprocess.run(["dpkg-deb", "-x", deb, tree], check=True)
        self.version_of(os.path.join(tree, "usr", "bin", "ccodex"))


if __name__ == "__main__":
    unittest.main()

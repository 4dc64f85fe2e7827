"""scripts/install.sh: installs only after the SHA-256 sum matches, into --dir or the default
for the user (~/.local/bin when not root), atomically; refuses a missing or wrong sum and leaves
nothing behind."""
import hashlib, os, shutil, subprocess, tempfile, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "install.sh")


class Install(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="cx-install-")
        self.bin = os.path.join(self.root, "ccodex-9.9.9-linux-x86_64")
        with open(self.bin, "w") as f:
            f.write("#!/bin/sh\necho fake ccodex\n")
        digest = hashlib.sha256(open(self.bin, "rb").read()).hexdigest()
        with open(self.bin + ".sha256", "w") as f:
            f.write(f"{digest}  {os.path.basename(self.bin)}\n")
        self.digest = digest
        self.dest = os.path.join(self.root, "dest", "bin")

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def run_install(self, *args, env=None):
        return subprocess.run(["sh", SCRIPT, *args], capture_output=True, text=True, timeout=30,
                              env=env or dict(os.environ))

    def test_installs_after_checking_the_sum(self):
        p = self.run_install("--dir", self.dest, self.bin)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(self.digest, p.stdout)
        out = subprocess.run([os.path.join(self.dest, "ccodex")], capture_output=True, text=True)
        self.assertEqual(out.stdout, "fake ccodex\n")
        self.assertEqual(os.stat(os.path.join(self.dest, "ccodex")).st_mode & 0o777, 0o755)
        self.assertEqual(os.listdir(self.dest), ["ccodex"])

    def test_wrong_sum_installs_nothing(self):
        with open(self.bin, "a") as f:
            f.write("# tampered\n")
        p = self.run_install("--dir", self.dest, self.bin)
        self.assertEqual(p.returncode, 1)
        self.assertIn("SHA-256 mismatch", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dest, "ccodex")))

    def test_missing_or_empty_sum_file_is_refused(self):
        os.unlink(self.bin + ".sha256")
        p = self.run_install("--dir", self.dest, self.bin)
        self.assertEqual(p.returncode, 1)
        self.assertIn("sum is required", p.stderr)
        other = os.path.join(self.root, "sums")
        with open(other, "w") as f:
            f.write("not-a-sum  file\n")
        p = self.run_install("--dir", self.dest, self.bin, other)
        self.assertEqual(p.returncode, 1)
        self.assertIn("holds no SHA-256 sum", p.stderr)
        self.assertFalse(os.path.exists(self.dest))

    def test_default_for_a_normal_user_is_local_bin(self):
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            self.skipTest("needs root and setpriv to run as another user")
        home = os.path.join(self.root, "home")
        os.makedirs(home)
        os.chown(home, 65534, 65534)
        os.chmod(self.root, 0o755)
        env = {"HOME": home, "PATH": "/usr/bin:/bin"}
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            "sh", SCRIPT, self.bin], capture_output=True, text=True, env=env,
                           timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.isfile(os.path.join(home, ".local", "bin", "ccodex")))
        self.assertIn("is not on PATH", p.stderr)


if __name__ == "__main__":
    unittest.main()

"""TLS trust and proxies as a user meets them: an https provider behind a loopback TLS front
signed by a throwaway CA, trusted through SSL_CERT_FILE or SSL_CERT_DIR; a clear error naming the
places searched when there are no CA certificates at all; HTTPS_PROXY / ALL_PROXY with
Proxy-Authorization on CONNECT, and NO_PROXY. Runs against CCODEX_STATIC_BIN when set (the
release binary; scripts/test.sh does that after scripts/release.sh), else CCODEX_BIN."""
import os, shutil, subprocess, sys, tempfile, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tlsfront  # noqa: E402
from harness import BIN, Env  # noqa: E402

BINS = [os.environ.get("CCODEX_STATIC_BIN") or BIN]
# a static binary of another architecture runs through a user-mode emulator (test_static_root.py)
RUNNER = [os.environ["CCODEX_STATIC_RUNNER"]] if os.environ.get("CCODEX_STATIC_RUNNER") else []
SCRUB = ("SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "HTTPS_PROXY", "https_proxy",
         "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")


@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command to make certificates")
class TlsProxy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certdir = tempfile.mkdtemp(prefix="cx-tls-")
        cls.ca, cert, key = tlsfront.make_ca(cls.certdir)
        cls.cert, cls.key = cert, key
        # a c_rehash-style directory: <subject hash>.0
        h = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", cls.ca], check=True,
                           capture_output=True, text=True).stdout.strip()
        cls.hashdir = os.path.join(cls.certdir, "hashed")
        os.makedirs(cls.hashdir)
        shutil.copy(cls.ca, os.path.join(cls.hashdir, h + ".0"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.certdir, ignore_errors=True)

    def setUp(self):
        self.w = Env([[{"type": "message", "text": "OK"}]] * 3, git=False)
        self.front = tlsfront.TlsFront(self.cert, self.key, self.w.port)
        with open(os.path.join(self.w.home, "config.toml"), "w") as f:
            f.write('model = "gpt-5.1-codex"\nmodel_provider = "fake"\n'
                    '[model_providers.fake]\nname = "fake"\n'
                    f'base_url = "https://127.0.0.1:{self.front.port}/v1"\n'
                    'env_key = "FAKE_API_KEY"\nwire_api = "responses"\nrequest_max_retries = 0\n')

    def tearDown(self):
        self.front.close()
        self.w.close()

    def run_bin(self, binary, prefix=(), **env):
        e = self.w.env()
        for k in SCRUB:
            e.pop(k, None)
        e.update(env)
        return subprocess.run(list(prefix) + RUNNER + [binary, "exec", "--skip-git-repo-check", "hi"], cwd=self.w.cwd, env=e,
                              capture_output=True, text=True, timeout=60)

    def test_ssl_cert_file_is_trusted(self):
        for b in BINS:
            p = self.run_bin(b, SSL_CERT_FILE=self.ca)
            self.assertEqual((p.returncode, p.stdout), (0, "OK\n"), f"{b}: {p.stderr}")

    def test_ssl_cert_dir_is_trusted(self):
        for b in BINS:
            p = self.run_bin(b, SSL_CERT_DIR=self.hashdir)
            self.assertEqual((p.returncode, p.stdout), (0, "OK\n"), f"{b}: {p.stderr}")

    def test_certificates_are_verified(self):
        # the machine's own bundle does not know the throwaway CA
        for b in BINS:
            p = self.run_bin(b)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("certificate", p.stderr.lower())
        self.assertEqual(len(self.w.requests()), 0)

    def test_unreadable_ssl_cert_file_is_named(self):
        for b in BINS:
            p = self.run_bin(b, SSL_CERT_FILE="/nonexistent/ca.pem")
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("SSL_CERT_FILE is set to /nonexistent/ca.pem", p.stderr)
            # one clear error, not a retry flood (exec's banner precedes it)
            self.assertLessEqual(sum("SSL_CERT_FILE" in l for l in p.stderr.splitlines()), 2)
            self.assertLess(len(p.stderr.splitlines()), 30)
        self.assertEqual(self.front.handshakes, 0)

    def test_no_certificates_anywhere_names_the_paths_tried(self):
        # hide every usual CA location behind empty tmpfs mounts in a private mount namespace
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare for a private mount namespace")
        hide = " ".join(f"mount -t tmpfs none {d};" for d in ("/etc/ssl", "/etc/pki")
                        if os.path.isdir(d))
        for b in BINS:
            e = self.w.env()
            for k in SCRUB:
                e.pop(k, None)
            p = subprocess.run(["unshare", "-m", "sh", "-c", hide + ' exec "$@" exec --skip-git-repo-check hi',
                                "sh", *RUNNER, b],
                               cwd=self.w.cwd, env=e, capture_output=True, text=True, timeout=60)
            if "unshare failed" in p.stderr or "mount:" in p.stderr:
                self.skipTest(f"cannot make a mount namespace here: {p.stderr.strip()}")
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(f"no CA certificates to verify 127.0.0.1:{self.front.port}", p.stderr)
            for path in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                         "/etc/ssl/cert.pem", "SSL_CERT_FILE"):
                self.assertIn(path, p.stderr)
        self.assertEqual(self.front.handshakes, 0)

    def check_proxied(self, var):
        proxy = tlsfront.ConnectProxy("alice", "p@ss word")
        try:
            for b in BINS:
                n = len(proxy.seen)
                p = self.run_bin(b, SSL_CERT_FILE=self.ca,
                                 **{var: f"http://alice:p%40ss%20word@127.0.0.1:{proxy.port}"})
                self.assertEqual((p.returncode, p.stdout), (0, "OK\n"), f"{b}: {p.stderr}")
                self.assertEqual(proxy.seen[n:], [(f"CONNECT 127.0.0.1:{self.front.port} HTTP/1.1",
                                                   proxy.expected)])
        finally:
            proxy.close()

    def test_https_proxy_gets_proxy_authorization_on_connect(self):
        self.check_proxied("HTTPS_PROXY")

    def test_all_proxy_is_honoured(self):
        self.check_proxied("ALL_PROXY")

    def test_wrong_proxy_password_fails_clearly(self):
        proxy = tlsfront.ConnectProxy("alice", "right")
        try:
            for b in BINS:
                p = self.run_bin(b, SSL_CERT_FILE=self.ca,
                                 HTTPS_PROXY=f"http://alice:wrong@127.0.0.1:{proxy.port}")
                self.assertNotEqual(p.returncode, 0)
                self.assertIn("407", p.stderr)
                self.assertNotIn("wrong", p.stderr)
        finally:
            proxy.close()
        self.assertEqual(len(self.w.requests()), 0)

    def test_no_proxy_bypasses_the_proxy(self):
        proxy = tlsfront.ConnectProxy("alice", "pw")
        try:
            for b in BINS:
                p = self.run_bin(b, SSL_CERT_FILE=self.ca, NO_PROXY="localhost,127.0.0.1",
                                 HTTPS_PROXY=f"http://alice:pw@127.0.0.1:{proxy.port}")
                self.assertEqual((p.returncode, p.stdout), (0, "OK\n"), f"{b}: {p.stderr}")
            self.assertEqual(proxy.seen, [])
        finally:
            proxy.close()


if __name__ == "__main__":
    unittest.main()

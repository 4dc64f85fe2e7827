"""Portable mode: `ccodex storage-server`, `ccodex --put` and `ccodex --call`, end to end and
against an independent implementation of pycodex's format (Python's zipfile and hashlib, and
AES-256-GCM from libcrypto through ctypes), so the bytes on the wire are checked by code that
shares nothing with ours. When pycodex's own portable.py is available (PYCODEX_SRC), the real
thing is exercised too; otherwise those tests are skipped with a reason."""
import base64, ctypes, ctypes.util, hashlib, io, json, os, re, shutil, signal, subprocess, sys, tempfile
import unittest, urllib.request, zipfile

from harness import BIN, Env

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
PYCODEX_SRC = os.environ.get("PYCODEX_SRC", os.path.join(os.path.dirname(__file__), "..", "..", "..", "notes",
                                                         "pycodex", "pycodex"))


def b58(data):
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + (out or ("" if data.lstrip(b"\0") == b"" and data else "1"))


class Gcm:
    """AES-256-GCM from libcrypto via ctypes: an implementation independent of ccodex's C code."""
    def __init__(self):
        self.lib = ctypes.CDLL(ctypes.util.find_library("crypto"))
        for name in ("EVP_CIPHER_CTX_new", "EVP_aes_256_gcm"):
            getattr(self.lib, name).restype = ctypes.c_void_p
        self.lib.EVP_CIPHER_CTX_free.argtypes = [ctypes.c_void_p]
        for name in ("EVP_EncryptInit_ex", "EVP_DecryptInit_ex"):
            getattr(self.lib, name).argtypes = [ctypes.c_void_p] * 5
        self.lib.EVP_CIPHER_CTX_ctrl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
        for name in ("EVP_EncryptUpdate", "EVP_DecryptUpdate"):
            getattr(self.lib, name).argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int),
                                                ctypes.c_char_p, ctypes.c_int]
        for name in ("EVP_EncryptFinal_ex", "EVP_DecryptFinal_ex"):
            getattr(self.lib, name).argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]

    def run(self, encrypt, key, nonce, data, tag=None):
        L = self.lib
        ctx = L.EVP_CIPHER_CTX_new()
        init, update, final = ((L.EVP_EncryptInit_ex, L.EVP_EncryptUpdate, L.EVP_EncryptFinal_ex) if encrypt else
                               (L.EVP_DecryptInit_ex, L.EVP_DecryptUpdate, L.EVP_DecryptFinal_ex))
        init(ctx, L.EVP_aes_256_gcm(), None, None, None)
        L.EVP_CIPHER_CTX_ctrl(ctx, 0x9, len(nonce), None)
        init(ctx, None, None, key, nonce)
        out = ctypes.create_string_buffer(len(data) + 32)
        n = ctypes.c_int(0)
        update(ctx, out, ctypes.byref(n), data, len(data))
        total = n.value
        if not encrypt:
            L.EVP_CIPHER_CTX_ctrl(ctx, 0x11, 16, ctypes.c_char_p(tag))
        tail = ctypes.create_string_buffer(32)  # GCM's final step writes nothing
        ok = final(ctx, tail, ctypes.byref(n))
        result = out.raw[:total]
        if encrypt:
            t = ctypes.create_string_buffer(16)
            L.EVP_CIPHER_CTX_ctrl(ctx, 0x10, 16, t)
            result += t.raw
        L.EVP_CIPHER_CTX_free(ctx)
        if not encrypt and ok != 1:
            raise ValueError("authentication failed")
        return result


def seal(secret, plain, gcm):
    nonce = os.urandom(12)
    return b"PCX1" + nonce + gcm.run(True, hashlib.sha256(secret.encode()).digest(), nonce, plain)


def unseal(secret, payload, gcm):
    assert payload[:4] == b"PCX1"
    nonce, body = payload[4:16], payload[16:]
    return gcm.run(False, hashlib.sha256(secret.encode()).digest(), nonce, body[:-16], body[-16:])


class Storage:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="cx-storage-")
        self.proc = subprocess.Popen([BIN, "storage-server", "--port", "0", "--root", self.root],
                                     stderr=subprocess.PIPE, text=True)
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.proc.stderr.readline())
        assert m, "storage server did not start"
        self.port = int(m.group(1))
        self.address = f"127.0.0.1:{self.port}"

    def get(self, call_id):
        with urllib.request.urlopen(f"http://{self.address}/v1/storage/call/{call_id}", timeout=10) as r:
            return r.read(), r.headers

    def close(self):
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=10)
        rest = self.proc.stderr.read()
        self.proc.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)
        if rc != 0:
            raise AssertionError(f"storage-server ended with {rc}: {rest[-2000:]}")


class PortableTests(unittest.TestCase):
    def setUp(self):
        self.gcm = Gcm()
        self.store = Storage()
        self.addCleanup(self.store.close)
        self.world = Env([[{"type": "message", "text": "from the called home"}]])
        self.addCleanup(self.world.close)
        self.cache = tempfile.mkdtemp(prefix="cx-calls-")
        self.addCleanup(shutil.rmtree, self.cache, True)
        # a home to carry: config pointing at the fake server, AGENTS.md, a skill, instructions, and
        # files that must stay behind
        self.home = tempfile.mkdtemp(prefix="cx-home-")
        self.addCleanup(shutil.rmtree, self.home, True)
        shutil.copy(os.path.join(self.world.home, "config.toml"), os.path.join(self.home, "config.toml"))
        with open(os.path.join(self.home, "config.toml"), "a") as f:
            f.write('\n[profiles.p]\nmodel_instructions_file = "prompts/base.md"\n')
        os.makedirs(os.path.join(self.home, "skills", "pdf"))
        os.makedirs(os.path.join(self.home, "prompts"))
        os.makedirs(os.path.join(self.home, "sessions"))
        files = {"AGENTS.md": "CARRIED-RULE-7\n", "skills/pdf/SKILL.md": "---\nname: pdf\ndescription: d\n---\n",
                 "prompts/base.md": "base\n", "sessions/old.jsonl": "private\n", "auth.json": "{}\n",
                 ".env": "SOME_VAR=1\n"}
        for rel, text in files.items():
            with open(os.path.join(self.home, rel), "w") as f:
                f.write(text)

    def run_cc(self, args, **env):
        e = self.world.env(CCODEX_STORAGE_ROOT=self.cache, **env)
        return subprocess.run([BIN] + args, cwd=self.world.cwd, env=e, capture_output=True, text=True, timeout=60)

    def put(self):
        p = self.run_cc(["--put", f"{self.home}@{self.store.address}"])
        self.assertEqual(p.returncode, 0, p.stderr)
        return p, p.stdout.strip().splitlines()[-1].split()[-1]

    def test_put_prints_progress_and_a_working_call_line(self):
        p, token = self.put()
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], f"[put] source: {os.path.realpath(self.home)}")
        self.assertEqual(lines[1], f"[put] checking server: {self.store.address}")
        files = [l[len("[put] file: "):] for l in lines if l.startswith("[put] file: ")]
        self.assertEqual(files, [".env", "AGENTS.md", "config.toml", "prompts/base.md", "skills/pdf/SKILL.md"])
        self.assertIn("[put] packing 5 files", lines)
        self.assertRegex(p.stdout, r"\[put\] bundle: \d+ bytes plaintext, sha256=[0-9a-f]{64}")
        self.assertIn("[put] call test ok: config.toml", lines)
        self.assertEqual(lines[-2], "[put] one-click start:")
        self.assertRegex(lines[-1], r"^ccodex --call [1-9A-HJ-NP-Za-km-z]+-[1-9A-HJ-NP-Za-km-z]+@127\.0\.0\.1:\d+$")

    def test_bundle_matches_the_format_independently(self):
        _, token = self.put()
        secret, rest = token.rsplit("-", 1)
        call_id = rest.split("@")[0]
        payload, headers = self.store.get(call_id)
        self.assertEqual(headers["X-Pycodex-Sha256"], hashlib.sha256(payload).hexdigest())
        self.assertEqual(b58(hashlib.sha256(payload).digest()[:8]), call_id)
        plain = unseal(secret, payload, self.gcm)
        with zipfile.ZipFile(io.BytesIO(plain)) as z:
            self.assertEqual(sorted(z.namelist()),
                             [".env", "AGENTS.md", "config.toml", "prompts/base.md", "skills/pdf/SKILL.md"])
            self.assertEqual(z.read("AGENTS.md"), b"CARRIED-RULE-7\n")
            self.assertTrue(all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist()))
        with self.assertRaises(ValueError):
            unseal(secret + "x", payload, self.gcm)

    def test_call_runs_with_the_carried_home(self):
        _, token = self.put()
        p = self.run_cc(["--call", token, "hi"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "from the called home\n")
        body = json.dumps(self.world.requests()[0]["body"])
        self.assertIn("CARRIED-RULE-7", body)
        # and what was left behind did not travel
        homes = [os.path.join(r, d) for r, ds, _ in os.walk(self.cache) for d in ds if d == "home"]
        self.assertEqual(len(homes), 1)
        self.assertFalse(os.path.exists(os.path.join(homes[0], "sessions")))
        self.assertFalse(os.path.exists(os.path.join(homes[0], "auth.json")))

    def test_call_accepts_a_bundle_sealed_by_another_implementation(self):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            with open(os.path.join(self.home, "config.toml")) as f:
                z.writestr("config.toml", f.read())
            z.writestr("AGENTS.md", "FOREIGN-RULE-9\n")
        secret = b58(os.urandom(16))
        payload = seal(secret, buf.getvalue(), self.gcm)
        req = urllib.request.Request(f"http://{self.store.address}/v1/storage/put", data=payload, method="POST",
                                     headers={"Content-Type": "application/octet-stream",
                                              "X-Pycodex-Sha256": hashlib.sha256(payload).hexdigest()})
        with urllib.request.urlopen(req, timeout=10) as r:
            answer = json.loads(r.read())
        self.assertEqual(answer["call_id"], b58(hashlib.sha256(payload).digest()[:8]))
        token = f"{secret}-{answer['call_id']}@{self.store.address}"
        p = self.run_cc(["--call", token, "hi"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("FOREIGN-RULE-9", json.dumps(self.world.requests()[0]["body"]))

    def test_errors(self):
        _, token = self.put()
        secret, rest = token.rsplit("-", 1)
        p = self.run_cc(["--call", "wrongsecret-" + rest, "hi"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("call secret is invalid or bundle is corrupted", p.stderr)
        p = self.run_cc(["--call", f"{secret}-1111111@{self.store.address}", "hi"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("call id not found", p.stderr)
        p = self.run_cc(["--call", "nonsense", "hi"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("<secret>-<call_id>@<host:port>", p.stderr)
        p = self.run_cc(["--put", f"{self.home}@127.0.0.1:9"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("storage server preflight failed for 127.0.0.1:9", p.stderr)
        empty = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, empty, True)
        p = self.run_cc(["--put", f"{empty}@{self.store.address}"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("Codex home is missing required file", p.stderr)
        p = self.run_cc(["--put", f"{self.home}@{self.store.address}", "--call", token])
        self.assertEqual(p.returncode, 2)
        # the server refuses ids that are not base58 (no path tricks)
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(f"http://{self.store.address}/v1/storage/call/..%2Fobjects", timeout=10)
        self.assertEqual(cm.exception.code, 404)

    @unittest.skipUnless(os.path.isfile(os.path.join(PYCODEX_SRC, "portable.py")),
                         "pycodex's portable.py not available (set PYCODEX_SRC to its package folder)")
    def test_real_pycodex_both_ways(self):
        try:
            import cryptography, requests  # noqa: F401
        except ImportError as e:
            self.skipTest(f"pycodex's dependencies missing: {e}")
        pkg = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, pkg, True)
        os.makedirs(os.path.join(pkg, "pxport"))
        open(os.path.join(pkg, "pxport", "__init__.py"), "w").close()
        shutil.copy(os.path.join(PYCODEX_SRC, "portable.py"), os.path.join(pkg, "pxport"))
        sys.path.insert(0, pkg)
        from pxport.portable import bootstrap_called_home, upload_codex_home
        _, token = self.put()
        cfg = bootstrap_called_home(token, storage_root=tempfile.mkdtemp())
        with open(cfg.parent / "AGENTS.md") as f:
            self.assertEqual(f.read(), "CARRIED-RULE-7\n")
        token2 = upload_codex_home(f"{self.home}@{self.store.address}")
        p = self.run_cc(["--call", token2, "hi"])
        self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    unittest.main()

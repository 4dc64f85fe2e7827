"""Portable mode end to end: `ccodex storage-server`, `ccodex --put`, `ccodex --call`.

The wire format is checked by code that shares nothing with ccodex's C: Python's zipfile and
hashlib, a base58 written here, and AES-256-GCM from the `cryptography` package or, when that is
not installed, from libcrypto through ctypes. The zip inside a ccodex bundle must equal, byte for
byte, what pycodex's recipe (zipfile.ZipFile(..., ZIP_DEFLATED).write(path, name)) makes of the
same files. When pycodex's own portable.py and portable_server.py are available (PYCODEX_SRC, with
their dependencies cryptography and requests), both directions run against the real thing;
otherwise those tests are skipped with the reason."""
import ctypes, ctypes.util, hashlib, http.client, io, json, os, re, shutil, signal, stat, subprocess, sys, tempfile
import threading, time, unittest, zipfile

from harness import BIN, Env

HERE = os.path.dirname(os.path.abspath(__file__))
PYCODEX_SRC = os.environ.get("PYCODEX_SRC", os.path.join(HERE, "..", "..", "..", "notes", "pycodex", "pycodex"))
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
WHITELISTED = [".env", "AGENTS.md", "config.toml", "prompts/base.md", "skills/pdf/SKILL.md",
               "skills/pdf/tools/blob.bin"]


def b58(data):
    """pycodex's spelling: '1' per leading zero byte, and a zero number is '1' whatever its length."""
    n = int.from_bytes(data, "big")
    if n == 0:
        return "1"
    digits = ""
    while n:
        n, r = divmod(n, 58)
        digits = B58[r] + digits
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + digits


class CryptographyGcm:
    name = "cryptography"

    def __init__(self):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        self.aesgcm = AESGCM

    def encrypt(self, key, nonce, plain):
        return self.aesgcm(key).encrypt(nonce, plain, None)

    def decrypt(self, key, nonce, sealed):
        from cryptography.exceptions import InvalidTag
        try:
            return self.aesgcm(key).decrypt(nonce, sealed, None)
        except InvalidTag:
            raise ValueError("authentication failed")


class LibcryptoGcm:
    """EVP AES-256-GCM through ctypes: the same primitive, none of ccodex's code."""
    name = "libcrypto via ctypes"
    SET_IVLEN, GET_TAG, SET_TAG = 0x9, 0x10, 0x11

    def __init__(self):
        path = ctypes.util.find_library("crypto") or "libcrypto.so.3"
        lib = self.lib = ctypes.CDLL(path)
        P, I = ctypes.c_void_p, ctypes.c_int
        lib.EVP_CIPHER_CTX_new.restype = P
        lib.EVP_aes_256_gcm.restype = P
        lib.EVP_CIPHER_CTX_free.argtypes = [P]
        lib.EVP_CIPHER_CTX_ctrl.argtypes = [P, I, I, P]
        for fn in ("EVP_EncryptInit_ex", "EVP_DecryptInit_ex"):
            getattr(lib, fn).argtypes = [P, P, P, ctypes.c_char_p, ctypes.c_char_p]
        for fn in ("EVP_EncryptUpdate", "EVP_DecryptUpdate"):
            getattr(lib, fn).argtypes = [P, ctypes.c_char_p, ctypes.POINTER(I), ctypes.c_char_p, I]
        for fn in ("EVP_EncryptFinal_ex", "EVP_DecryptFinal_ex"):
            getattr(lib, fn).argtypes = [P, ctypes.c_char_p, ctypes.POINTER(I)]

    def _run(self, encrypt, key, nonce, data, tag=None):
        L = self.lib
        init, update, final = ((L.EVP_EncryptInit_ex, L.EVP_EncryptUpdate, L.EVP_EncryptFinal_ex) if encrypt
                               else (L.EVP_DecryptInit_ex, L.EVP_DecryptUpdate, L.EVP_DecryptFinal_ex))
        ctx = L.EVP_CIPHER_CTX_new()
        try:
            init(ctx, L.EVP_aes_256_gcm(), None, None, None)
            L.EVP_CIPHER_CTX_ctrl(ctx, self.SET_IVLEN, len(nonce), None)
            init(ctx, None, None, key, nonce)
            out, n = ctypes.create_string_buffer(len(data) + 16), ctypes.c_int(0)
            update(ctx, out, ctypes.byref(n), data, len(data))
            result = out.raw[:n.value]
            if not encrypt:
                tag_buf = ctypes.create_string_buffer(tag, 16)
                L.EVP_CIPHER_CTX_ctrl(ctx, self.SET_TAG, 16, ctypes.cast(tag_buf, ctypes.c_void_p))
            ok = final(ctx, ctypes.create_string_buffer(32), ctypes.byref(n))
            if not encrypt:
                if ok != 1:
                    raise ValueError("authentication failed")
                return result
            tag_buf = ctypes.create_string_buffer(16)
            L.EVP_CIPHER_CTX_ctrl(ctx, self.GET_TAG, 16, ctypes.cast(tag_buf, ctypes.c_void_p))
            return result + tag_buf.raw
        finally:
            L.EVP_CIPHER_CTX_free(ctx)

    def encrypt(self, key, nonce, plain):
        return self._run(True, key, nonce, plain)

    def decrypt(self, key, nonce, sealed):
        return self._run(False, key, nonce, sealed[:-16], sealed[-16:])


def reference_gcm():
    errors = []
    for kind in (CryptographyGcm, LibcryptoGcm):
        try:
            gcm = kind()
            probe = gcm.encrypt(b"k" * 32, b"n" * 12, b"probe")
            if gcm.decrypt(b"k" * 32, b"n" * 12, probe) == b"probe":
                return gcm, None
        except Exception as e:  # noqa: BLE001 - any failure means this reference is unusable
            errors.append(f"{kind.name}: {e}")
    return None, "; ".join(errors)


GCM, GCM_MISSING = reference_gcm()
needs_gcm = unittest.skipIf(GCM is None, f"no independent AES-256-GCM available ({GCM_MISSING})")


def seal(secret, plain):
    nonce = os.urandom(12)
    return b"PCX1" + nonce + GCM.encrypt(hashlib.sha256(secret.encode()).digest(), nonce, plain)


def unseal(secret, payload):
    if payload[:4] != b"PCX1":
        raise ValueError("no PCX1 magic")
    return GCM.decrypt(hashlib.sha256(secret.encode()).digest(), payload[4:16], payload[16:])


def pycodex_zip(home, names):
    """pycodex's _build_bundle_bytes, step for step, with the standard library."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.write(os.path.join(home, name), name)
    return buf.getvalue()


def request(method, address, path, body=None, headers=None):
    """(status, headers, body) of one request, with no proxy in between."""
    host, port = address.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.headers, r.read()
    finally:
        c.close()


def tree(root):
    """{relative path: bytes} of every file below root."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


class Storage:
    """`ccodex storage-server` on a free port; its stdout lines are collected."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="cx-storage-")
        env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
        self.proc = subprocess.Popen([BIN, "storage-server", "--port", "0", "--root", self.root],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.banner = [self.proc.stdout.readline().rstrip("\n") for _ in range(4)]
        m = re.fullmatch(r"storage server listening on http://127\.0\.0\.1:(\d+)/v1/storage", self.banner[0])
        assert m, f"storage server did not start: {self.banner} {self.proc.stderr.read() if not m else ''}"
        self.port = int(m.group(1))
        self.address = f"127.0.0.1:{self.port}"
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_lines(self, n, timeout=5):
        deadline = time.time() + timeout
        while len(self.lines) < n and time.time() < deadline:
            time.sleep(0.02)
        return self.lines

    def close(self):
        if self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=10)
        self.reader.join(timeout=5)
        rest = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)
        if rc != 0:
            raise AssertionError(f"storage-server ended with {rc}: {rest[-2000:]}")


class PortableTests(unittest.TestCase):
    def setUp(self):
        self.store = Storage()
        self.addCleanup(lambda: self.store.close())
        self.world = Env([[{"type": "message", "text": "from the called home"}]] * 4)
        self.addCleanup(self.world.close)
        self.cache = tempfile.mkdtemp(prefix="cx-calls-")
        self.addCleanup(shutil.rmtree, self.cache, True)
        # the home to carry: config pointing at the fake model server, AGENTS.md, a skill with a
        # binary file, an instructions file named by a profile, and files that must stay behind
        self.home = tempfile.mkdtemp(prefix="cx-home-")
        self.addCleanup(shutil.rmtree, self.home, True)
        shutil.copy(os.path.join(self.world.home, "config.toml"), os.path.join(self.home, "config.toml"))
        with open(os.path.join(self.home, "config.toml"), "a") as f:
            f.write('\n[profiles.p]\nmodel_instructions_file = "prompts/base.md"\n')
        files = {"AGENTS.md": b"CARRIED-RULE-7\n", "skills/pdf/SKILL.md": b"---\nname: pdf\ndescription: d\n---\n",
                 "skills/pdf/tools/blob.bin": bytes(range(256)) * 3 + b"\0\0",
                 "prompts/base.md": b"base\n", "prompts/unused.md": b"stays\n", "sessions/old.jsonl": b"private\n",
                 "auth.json": b"{}\n", ".env": b"SOME_VAR=1\n"}
        for rel, data in files.items():
            os.makedirs(os.path.dirname(os.path.join(self.home, rel)), exist_ok=True)
            with open(os.path.join(self.home, rel), "wb") as f:
                f.write(data)

    def tmp(self):
        d = tempfile.mkdtemp(prefix="cx-portable-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def run_cc(self, args, **env):
        e = self.world.env(CCODEX_STORAGE_ROOT=self.cache, **env)
        for k in PROXY_VARS:
            e.pop(k, None)
        return subprocess.run([BIN] + args, cwd=self.world.cwd, env=e, capture_output=True, text=True, timeout=60)

    def put(self, address=None):
        p = self.run_cc(["--put", f"{self.home}@{address or self.store.address}"])
        self.assertEqual(p.returncode, 0, p.stderr)
        return p, p.stdout.strip().splitlines()[-1].split()[-1]

    def assert_whitelisted_copy(self, called_home):
        want = {rel: data for rel, data in tree(self.home).items() if rel in WHITELISTED}
        self.assertEqual(sorted(want), WHITELISTED)
        self.assertEqual(tree(called_home), want)

    def test_server_banner_and_protocol(self):
        a = self.store.address
        self.assertEqual(self.store.banner[1:], [f"storage root: {os.path.realpath(self.store.root)}",
                                                 f"put current home: ccodex --put @{a}",
                                                 f"put custom home: ccodex --put /data/.codex/@{a}"])
        self.assertEqual(request("GET", a, "/healthz")[2], b'{"ok": true}')
        self.assertEqual(request("GET", a, "/nope")[0::2], (404, b'{"error": "not found"}'))
        self.assertEqual(request("POST", a, "/v1/storage/put", b"")[0::2], (400, b'{"error": "empty body"}'))
        payload = b"PCX1" + os.urandom(60)
        digest = hashlib.sha256(payload).hexdigest()
        status, _, body = request("POST", a, "/v1/storage/put", payload, {"X-Pycodex-Sha256": "0" * 64})
        self.assertEqual((status, body), (400, b'{"error": "checksum mismatch"}'))
        call_id = b58(hashlib.sha256(payload).digest()[:8])
        for attempt in ("stored", "reused"):
            status, _, body = request("POST", a, "/v1/storage/put", payload,
                                   {"X-Pycodex-Sha256": digest.upper(), "Content-Type": "application/octet-stream"})
            self.assertEqual(status, 200)
            self.assertEqual(body, f'{{"call_id": "{call_id}", "call": "{call_id}@{a}"}}'.encode())
        with open(os.path.join(self.store.root, "objects", call_id + ".bin"), "rb") as f:
            self.assertEqual(f.read(), payload)
        status, headers, body = request("GET", a, f"/v1/storage/call/{call_id}")
        self.assertEqual((status, body), (200, payload))
        self.assertEqual(headers["X-Pycodex-Sha256"], digest)
        self.assertEqual(headers["X-Pycodex-Call-Id"], call_id)
        self.assertEqual(headers["Content-Type"], "application/octet-stream")
        self.assertEqual(request("GET", a, "/v1/storage/call/1111")[0], 404)
        # ids that are not base58 name nothing, so no path can leave the objects folder
        self.assertEqual(request("GET", a, "/v1/storage/call/..%2F..%2Fetc%2Fpasswd")[0], 404)
        self.assertEqual(request("GET", a, "/v1/storage/call/%20")[0::2], (400, b'{"error": "missing call_id"}'))
        obj = os.path.join(os.path.realpath(self.store.root), "objects", call_id + ".bin")
        self.assertEqual(self.store.wait_for_lines(3)[:3], [
            f"[server] put: client=127.0.0.1 call_id={call_id} status=stored path={obj}",
            f"[server] put: client=127.0.0.1 call_id={call_id} status=reused path={obj}",
            f"[server] call: client=127.0.0.1 call_id={call_id} path={obj}"])

    def test_put_prints_progress_and_a_working_call_line(self):
        p, token = self.put()
        lines = p.stdout.splitlines()
        self.assertEqual(lines[:4], [f"[put] source: {os.path.realpath(self.home)}",
                                     f"[put] checking server: {self.store.address}",
                                     "[put] mode: whitelist", "[put] packing 6 files"])
        self.assertEqual(lines[4:10], [f"[put] file: {n}" for n in WHITELISTED])
        self.assertRegex(lines[10], r"^\[put\] bundle: \d+ bytes plaintext, sha256=[0-9a-f]{64}$")
        self.assertEqual(lines[11:], [f"[put] uploading ciphertext to {self.store.address}",
                                      f"[put] uploaded: {token}", f"[put] testing call: {token}",
                                      "[put] call test ok: config.toml", "[put] one-click start:",
                                      f"ccodex --call {token}"])
        self.assertRegex(token, r"^[1-9A-HJ-NP-Za-km-z]{16,22}-[1-9A-HJ-NP-Za-km-z]{1,11}@127\.0\.0\.1:\d+$")
        self.assertEqual(p.stderr, "")
        # no path: $CODEX_HOME
        p = self.run_cc(["--put", f"@{self.store.address}"], CODEX_HOME=self.home)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines()[0], f"[put] source: {os.path.realpath(self.home)}")

    def test_call_round_trip_gives_the_same_files_and_runs(self):
        _, token = self.put()
        p = self.run_cc(["--call", token, "hi"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "from the called home\n")
        self.assertIn("CARRIED-RULE-7", json.dumps(self.world.requests()[0]["body"]))
        homes = [os.path.join(r, d) for r, ds, _ in os.walk(self.cache) for d in ds if d == "home"]
        self.assertEqual(len(homes), 1)
        self.assert_whitelisted_copy(homes[0])
        key = hashlib.sha256(token.encode()).hexdigest()[:16]
        self.assertEqual(homes[0], os.path.join(os.path.realpath(self.cache), key, "home"))
        with open(os.path.join(self.cache, key, "metadata.json")) as f:
            meta = f.read()
        call_id = token.split("@")[0].rsplit("-", 1)[1]
        self.assertEqual(meta, json.dumps({"call_id": call_id, "server_address": self.store.address},
                                          ensure_ascii=False, indent=2))
        # a second call reuses the unpacked home: it works with the server gone
        self.store.close()
        self.store = Storage()
        p = self.run_cc(["--call", token, "again"])
        self.assertEqual(p.returncode, 0, p.stderr)

    @needs_gcm
    def test_bundle_bytes_match_pycodex_recipe(self):
        _, token = self.put()
        secret, rest = token.rsplit("-", 1)
        call_id = rest.split("@")[0]
        status, headers, payload = request("GET", self.store.address, f"/v1/storage/call/{call_id}")
        self.assertEqual(status, 200)
        self.assertEqual(headers["X-Pycodex-Sha256"], hashlib.sha256(payload).hexdigest())
        self.assertEqual(b58(hashlib.sha256(payload).digest()[:8]), call_id)
        plain = unseal(secret, payload)
        self.assertEqual(plain, pycodex_zip(self.home, WHITELISTED), f"AES reference: {GCM.name}")
        with self.assertRaises(ValueError):
            unseal(secret + "x", payload)

    @needs_gcm
    def test_call_opens_a_bundle_sealed_elsewhere(self):
        with open(os.path.join(self.home, "AGENTS.md"), "w") as f:
            f.write("FOREIGN-RULE-9\n")
        secret = b58(os.urandom(16))
        payload = seal(secret, pycodex_zip(self.home, ["config.toml", "AGENTS.md"]))
        status, _, body = request("POST", self.store.address, "/v1/storage/put", payload,
                               {"X-Pycodex-Sha256": hashlib.sha256(payload).hexdigest()})
        self.assertEqual(status, 200)
        answer = json.loads(body)
        self.assertEqual(answer["call_id"], b58(hashlib.sha256(payload).digest()[:8]))
        p = self.run_cc(["--call", f"{secret}-{answer['call_id']}@{self.store.address}", "hi"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("FOREIGN-RULE-9", json.dumps(self.world.requests()[0]["body"]))

    def test_errors_are_one_line_and_nonzero(self):
        _, token = self.put()
        secret, rest = token.rsplit("-", 1)
        call_id = rest.split("@")[0]
        cases = [
            (["--call", "wrong" + secret + "-" + rest, "hi"], 1, "call secret is invalid or bundle is corrupted"),
            (["--call", f"{secret}-1111111@{self.store.address}", "hi"], 1, "call id not found: 1111111"),
            (["--call", "nonsense", "hi"], 1, "call spec must look like <secret>-<call_id>@<host:port>"),
            (["--call", f"{secret}-{call_id}@127.0.0.1:9", "hi"], 1, "call download failed: "),
            (["--put", f"{self.home}@127.0.0.1:9"], 1, "storage server preflight failed for 127.0.0.1:9: "),
            (["--put", f"{self.home}@"], 2, "put spec is missing server after @"),
            (["--put", f"{self.home}/nowhere@{self.store.address}"], 1, "Codex home is not a directory: "),
        ]
        for args, rc, text in cases:
            p = self.run_cc(args)
            self.assertEqual(p.returncode, rc, (args, p.stderr))
            self.assertEqual(len(p.stderr.splitlines()), 1, (args, p.stderr))
            self.assertIn(text, p.stderr, args)
        empty = self.tmp()
        p = self.run_cc(["--put", f"{empty}@{self.store.address}"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("Codex home is missing required file", p.stderr)
        p = self.run_cc(["--put", f"{self.home}@{self.store.address}", "--call", token])
        self.assertEqual(p.returncode, 2)
        # a byte changed on the server's disk: the digest header matches (the server recomputes
        # it) but the GCM tag does not
        obj = os.path.join(self.store.root, "objects", call_id + ".bin")
        with open(obj, "r+b") as f:
            f.seek(40)
            b = f.read(1)
            f.seek(40)
            f.write(bytes([b[0] ^ 0x40]))
        p = self.run_cc(["--call", token, "hi"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("call secret is invalid or bundle is corrupted", p.stderr)

    def _pycodex(self):
        if not os.path.isfile(os.path.join(PYCODEX_SRC, "portable_server.py")):
            self.skipTest(f"pycodex's source not found at {PYCODEX_SRC} (set PYCODEX_SRC)")
        try:
            import cryptography, requests  # noqa: F401
        except ImportError as e:
            self.skipTest(f"pycodex's dependencies missing: {e}")
        # pycodex/__init__.py imports the whole agent; the two portable modules need only these
        pkg = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, pkg, True)
        os.makedirs(os.path.join(pkg, "pxport"))
        open(os.path.join(pkg, "pxport", "__init__.py"), "w").close()
        for name in ("portable.py", "portable_server.py"):
            shutil.copy(os.path.join(PYCODEX_SRC, name), os.path.join(pkg, "pxport"))
        sys.path.insert(0, pkg)
        self.addCleanup(sys.path.remove, pkg)
        from pxport import portable, portable_server
        for k in PROXY_VARS:  # requests honours them too
            os.environ.pop(k, None)
        return portable, portable_server

    def test_real_pycodex_client_against_ccodex_server(self):
        portable, _ = self._pycodex()
        _, token = self.put()
        cfg = portable.bootstrap_called_home(token, storage_root=self.tmp())
        self.assert_whitelisted_copy(cfg.parent)
        token2 = portable.upload_codex_home(f"{self.home}@{self.store.address}")
        p = self.run_cc(["--call", token2, "hi"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("CARRIED-RULE-7", json.dumps(self.world.requests()[0]["body"]))
        with self.assertRaisesRegex(portable.RemoteStorageError, "invalid or bundle is corrupted"):
            portable.bootstrap_called_home("x" + token, storage_root=self.tmp())

    def test_ccodex_client_against_real_pycodex_server(self):
        portable, portable_server = self._pycodex()
        root = self.tmp()
        server = portable_server.CodexStorageServer(root, port=0)
        server.start()
        self.addCleanup(server.stop)
        p, token = self.put(server.server_address)
        self.assertIn("[put] call test ok: config.toml", p.stdout)
        p = self.run_cc(["--call", token, "hi"])
        self.assertEqual(p.returncode, 0, p.stderr)
        homes = [os.path.join(r, d) for r, ds, _ in os.walk(self.cache) for d in ds if d == "home"]
        self.assert_whitelisted_copy(homes[0])
        # pycodex's client opens ccodex's upload from pycodex's server, and the other way round
        cfg = portable.bootstrap_called_home(token, storage_root=self.tmp())
        self.assert_whitelisted_copy(cfg.parent)
        token2 = portable.upload_codex_home(f"{self.home}@{server.server_address}")
        p = self.run_cc(["--call", token2, "hi"])
        self.assertEqual(p.returncode, 0, p.stderr)
        # both servers answer the same upload with the same bytes (but for their own address)
        payload = b"PCX1" + os.urandom(40)
        answers = []
        for address in (server.server_address, self.store.address):
            status, _, body = request("POST", address, "/v1/storage/put", payload,
                                   {"X-Pycodex-Sha256": hashlib.sha256(payload).hexdigest()})
            answers.append((status, body.replace(address.encode(), b"ADDR")))
        self.assertEqual(answers[0], answers[1])
        for path in ("/healthz", "/v1/storage/call/1111", "/elsewhere"):
            self.assertEqual(request("GET", server.server_address, path)[0::2],
                             request("GET", self.store.address, path)[0::2], path)


if __name__ == "__main__":
    unittest.main()

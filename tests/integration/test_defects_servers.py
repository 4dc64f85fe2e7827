"""Regression tests for the server-side defects of issue 7, against both `ccodex serve` and
`ccodex storage-server`: unbounded request headers (#3), a busy loop at the fd limit (#4), and
storage downloads held whole in memory (#6). Each server runs as a real process; its output
goes to files so a flood of log lines shows up as their size."""
import hashlib, os, re, resource, shutil, signal, socket, subprocess, tempfile, threading, time, unittest

from harness import BIN

PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"}


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """One server process. kind: "serve" or "storage"; nofile: (soft, hard) fd limits or None."""

    def __init__(self, kind, nofile=None):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix="cx-srv-")
        self.out_path = os.path.join(self.dir, "out")
        self.err_path = os.path.join(self.dir, "err")
        self.root = os.path.join(self.dir, "root")
        if kind == "serve":
            args = [BIN, "serve", "--port", "0", "--downstream-base-url", "http://127.0.0.1:9/v1"]
            banner, where = r"listening on http://127\.0\.0\.1:(\d+)/v1", self.err_path
        else:
            args = [BIN, "storage-server", "--port", "0", "--root", self.root]
            banner, where = r"listening on http://127\.0\.0\.1:(\d+)/v1/storage", self.out_path
        env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
        # under ASan freed blocks wait in a quarantine (256 MB by default) before reuse, which
        # would read as growth here: keep it small so RSS shows what the server holds
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4:detect_leaks=0").lstrip(":")

        def limit():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, nofile)

        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(args, stdout=out, stderr=err, env=env, preexec_fn=limit)
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(where) as f:
                m = re.search(banner, f.read())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        with open(self.err_path) as f:
            raise AssertionError(f"{kind} did not start: {f.read()}")

    def request(self, raw, timeout=10):
        """Sends raw bytes, returns what came back until the server closed or went quiet."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            try:
                s.sendall(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer and close before reading everything
            data = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except (socket.timeout, ConnectionResetError):
                    break
                if not chunk:
                    break
                data += chunk
                if b"\r\n\r\n" in data and b"Connection: close" not in data and b"Content-Length: 0" in data:
                    break
            return data
        finally:
            s.close()

    def healthz(self):
        return self.request(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    def log_bytes(self):
        return os.path.getsize(self.out_path) + os.path.getsize(self.err_path)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class ServerDefectTests(unittest.TestCase):
    def server(self, kind, **kw):
        s = Server(kind, **kw)
        self.addCleanup(s.close)
        return s

    # defect 3
    def test_oversized_headers_get_431_and_cost_nothing_lasting(self):
        for kind in ("serve", "storage"):
            with self.subTest(kind=kind):
                s = self.server(kind)
                base = rss_kb(s.proc.pid)
                big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n"
                self.assertTrue(s.request(big).startswith(b"HTTP/1.1 431 "), kind)
                many = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(
                    b"X-F%d: v\r\n" % i for i in range(150)) + b"\r\n"
                answer = s.request(many)
                self.assertTrue(answer.startswith(b"HTTP/1.1 431 "), answer[:100])
                self.assertIn(b"request headers too large", answer)
                # one 32 MB header line: evhttp stops reading at 256 KiB and drops the request
                t0 = time.monotonic()
                cpu0 = cpu_seconds(s.proc.pid)
                line = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"b" * (32 << 20) + b"\r\n\r\n"
                answer = s.request(line, timeout=20)
                self.assertFalse(answer.startswith(b"HTTP/1.1 200"), answer[:100])
                self.assertLess(cpu_seconds(s.proc.pid) - cpu0, 2.0)
                self.assertLess(time.monotonic() - t0, 15)
                self.assertLess(rss_kb(s.proc.pid) - base, 20 * 1024, "headers were buffered")
                self.assertTrue(s.healthz().startswith(b"HTTP/1.1 200"), kind)

    # defect 4
    def test_at_the_fd_limit_the_server_backs_off_and_recovers(self):
        for kind in ("serve", "storage"):
            with self.subTest(kind=kind):
                s = self.server(kind, nofile=(48, 48))
                held = []
                self.addCleanup(lambda: [c.close() for c in held])
                for _ in range(80):  # more connections than the server has fds
                    c = socket.socket()
                    c.settimeout(2)
                    try:
                        c.connect(("127.0.0.1", s.port))
                    except OSError:
                        c.close()
                        break
                    held.append(c)
                time.sleep(0.5)
                cpu0, log0 = cpu_seconds(s.proc.pid), s.log_bytes()
                time.sleep(3)
                cpu = cpu_seconds(s.proc.pid) - cpu0
                logged = s.log_bytes() - log0
                self.assertLess(cpu, 0.6, f"{kind} spun at the fd limit: {cpu:.2f} s CPU in 3 s")
                self.assertLess(logged, 2000, f"{kind} logged {logged} bytes in 3 s")
                for c in held:
                    c.close()
                held.clear()
                deadline = time.time() + 10
                ok = False
                while time.time() < deadline and not ok:
                    try:
                        ok = s.healthz().startswith(b"HTTP/1.1 200")
                    except OSError:
                        time.sleep(0.2)
                self.assertTrue(ok, f"{kind} did not serve again once fds were free")
                with open(s.out_path if kind == "storage" else s.err_path) as f:
                    self.assertIn("accept failed: Too many open files", f.read())

    # defect 6
    def test_storage_downloads_stream_from_disk(self):
        s = self.server("storage")
        size = 64 << 20
        objects = os.path.join(s.root, "objects")
        os.makedirs(objects, exist_ok=True)
        call_id = "3mJr7AoUXx2Wqd"  # any base58 name: the server serves the file under it
        path = os.path.join(objects, call_id + ".bin")
        with open(path, "wb") as f:
            f.truncate(size)  # sparse: no disk, all zeros
        base = rss_kb(s.proc.pid)
        req = (f"GET /v1/storage/call/{call_id} HTTP/1.1\r\nHost: x\r\n\r\n").encode()
        slow = []
        for _ in range(4):
            c = socket.create_connection(("127.0.0.1", s.port))
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            c.sendall(req)
            c.recv(4096)  # the headers and a little: then this reader stalls
            slow.append(c)
        self.addCleanup(lambda: [c.close() for c in slow])
        time.sleep(2)
        grown = rss_kb(s.proc.pid) - base
        self.assertLess(grown, 48 * 1024, f"RSS grew by {grown} KiB with 4 stalled readers")
        # a full download is whole and carries the right checksum
        c = socket.create_connection(("127.0.0.1", s.port), timeout=60)
        c.sendall(req.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        data = b""
        while True:
            chunk = c.recv(1 << 20)
            if not chunk:
                break
            data += chunk
        c.close()
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(b"Content-Length: %d" % size, head)
        self.assertEqual(len(body), size)
        want = hashlib.sha256(b"\0" * size).hexdigest().encode()
        self.assertIn(b"X-Pycodex-Sha256: " + want, head)
        self.assertLess(rss_kb(s.proc.pid) - base, 48 * 1024)


if __name__ == "__main__":
    unittest.main()

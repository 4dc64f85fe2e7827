#!/usr/bin/env python3
"""Soak test of `ccodex serve` (issue 7): many concurrent hostile and normal clients for a while,
with serve's RSS and open fds sampled every second. Not part of CI; see bench/soak/README.md.

usage: bench/soak/soak.py [--bin build/ccodex] [--clients 1000] [--seconds 600] [--events 200]
                          [--json FILE]

Starts bench/serve/chatbackend.c (compiled here) as the chat backend and `ccodex serve` in front
of it, then runs --clients asyncio clients in a loop until --seconds pass. Each round a client
picks one behaviour:
  normal      POST /v1/responses, read the whole stream, check it ends with response.completed
  disconnect  the same request, hang up after a random part of the stream
  slowloris   send the request line and headers one byte every 0.2-1 s, give up after 5-20 s
  oversized   70 KiB of headers (must get 431) or 1 MiB of one header line (dropped)
  malformed   garbage bytes, a bad request line, a lying Content-Length, invalid JSON
Prints one line per 10 s and a summary; exits 1 if serve died, if any normal request failed
beyond --max-normal-failures, or if RSS / fds at the end exceed their level after warm-up by
more than --rss-slack-mb / --fd-slack.
"""
import argparse, asyncio, json, os, random, re, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
BODY = json.dumps({"model": "bench", "stream": True,
                   "input": [{"type": "message", "role": "user", "content": "go"}]}).encode()
sys.path.insert(0, os.path.join(ROOT, "bench", "serve"))
from run import free_port  # noqa: E402  (the serve benchmark's helper)

MIX = [("normal", 40), ("disconnect", 20), ("slowloris", 10), ("oversized", 10), ("malformed", 20)]


def proc_stats(pid):
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) // 1024
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def post(body=BODY, extra=b"Connection: close\r\n"):
    return (b"POST /v1/responses HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\n" + extra +
            b"Content-Length: %d\r\n\r\n" % len(body) + body)


class Soak:
    def __init__(self, port, deadline):
        self.port, self.deadline = port, deadline
        self.counts = {k: 0 for k, _ in MIX}
        self.normal_ok = self.normal_failed = 0
        self.failures = []
        self.oversized_431 = 0

    async def open(self):
        return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 10)

    async def normal(self, cut=None):
        r, w = await self.open()
        try:
            w.write(post())
            await w.drain()
            data = b""
            while True:
                chunk = await asyncio.wait_for(r.read(65536), 30)
                if not chunk:
                    break
                data += chunk
                if cut is not None and len(data) >= cut:
                    return  # hang up mid-stream
                # "Connection: close": the stream ends when serve closes

            if cut is None:
                if data.startswith(b"HTTP/1.1 200") and b"response.completed" in data:
                    self.normal_ok += 1
                else:
                    self.normal_failed += 1
                    self.failures.append(data[:200])
        finally:
            w.close()

    async def slowloris(self):
        r, w = await self.open()
        try:
            give_up = time.monotonic() + random.uniform(5, 20)
            for b in post():
                if time.monotonic() > give_up or time.monotonic() > self.deadline:
                    return
                w.write(bytes([b]))
                await w.drain()
                await asyncio.sleep(random.uniform(0.2, 1.0))
        finally:
            w.close()

    async def oversized(self):
        r, w = await self.open()
        try:
            if random.random() < 0.5:
                w.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
                await w.drain()
                head = await asyncio.wait_for(r.read(64), 10)
                if head.startswith(b"HTTP/1.1 431"):
                    self.oversized_431 += 1
            else:
                w.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Huge: ")
                for _ in range(16):
                    w.write(b"b" * 65536)
                    await w.drain()
                await asyncio.wait_for(r.read(64), 10)
        finally:
            w.close()

    async def malformed(self):
        r, w = await self.open()
        try:
            choice = random.randrange(4)
            if choice == 0:
                w.write(os.urandom(random.randint(1, 4096)))
            elif choice == 1:
                w.write(b"GARBAGE / HTTP/9.9\r\n\r\n")
            elif choice == 2:
                w.write(b"POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"a\":")
                await w.drain()
                await asyncio.sleep(random.uniform(0.1, 2))
            else:
                w.write(post(b'{"model": "bench", "input": [{"type": "mess'))
            await w.drain()
            await asyncio.wait_for(r.read(65536), 10)
        finally:
            w.close()

    async def client(self):
        names = [k for k, n in MIX for _ in range(n)]
        while time.monotonic() < self.deadline:
            kind = random.choice(names)
            self.counts[kind] += 1
            try:
                if kind == "normal":
                    await self.normal()
                elif kind == "disconnect":
                    await self.normal(cut=random.randint(1, 4000))
                else:
                    await getattr(self, kind)()
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
                if kind == "normal":
                    self.normal_failed += 1
                    self.failures.append(repr(e).encode())
            await asyncio.sleep(random.uniform(0, 0.2))


async def run(a, port, serve):
    deadline = time.monotonic() + a.seconds
    soak = Soak(port, deadline)
    samples = []
    tasks = [asyncio.create_task(soak.client()) for _ in range(a.clients)]
    start = time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(1)
        if serve.poll() is not None:
            break
        rss, fds = proc_stats(serve.pid)
        t = time.monotonic() - start
        samples.append((t, rss, fds))
        if len(samples) % 10 == 0:
            print(f"  t={t:5.0f}s rss={rss} MB fds={fds} normal ok={soak.normal_ok} "
                  f"failed={soak.normal_failed} rounds={sum(soak.counts.values())}", flush=True)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return soak, samples


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "ccodex"))
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--max-normal-failures", type=int, default=0)
    ap.add_argument("--rss-slack-mb", type=int, default=64)
    ap.add_argument("--fd-slack", type=int, default=200)
    ap.add_argument("--json")
    a = ap.parse_args()
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # this process holds --clients sockets
    tmp = tempfile.mkdtemp(prefix="cx-soak-")
    backend_bin = os.path.join(tmp, "chatbackend")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libevent"], capture_output=True, text=True,
                           check=True).stdout.split()
    subprocess.run(["cc", "-O2", "-o", backend_bin, os.path.join(ROOT, "bench", "serve", "chatbackend.c")] + flags,
                   check=True)
    bport = free_port()
    backend = subprocess.Popen([backend_bin, str(bport), str(a.events)], stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    err_path = os.path.join(tmp, "serve.err")
    with open(err_path, "w") as err:
        serve = subprocess.Popen([os.path.abspath(a.bin), "serve", "--downstream-base-url",
                                  f"http://127.0.0.1:{bport}/v1", "--port", "0"], stderr=err)
    port = None
    for _ in range(100):
        m = re.search(r":(\d+)/v1 ->", open(err_path).read())
        if m:
            port = int(m.group(1))
            break
        time.sleep(0.05)
    if port is None:
        sys.exit("serve did not start: " + open(err_path).read())
    print(f"soak: {a.clients} clients for {a.seconds} s against serve pid {serve.pid} (port {port})", flush=True)
    try:
        soak, samples = asyncio.run(run(a, port, serve))
        alive = serve.poll() is None
        warm = [s for s in samples if s[0] >= min(30, a.seconds / 4)] or samples
        rss0, fds0 = warm[0][1], warm[0][2]
        rss_end, fds_end = samples[-1][1], samples[-1][2]
        rss_max = max(s[1] for s in samples)
        result = {"clients": a.clients, "seconds": a.seconds, "alive": alive, "rounds": soak.counts,
                  "normal_ok": soak.normal_ok, "normal_failed": soak.normal_failed,
                  "oversized_431": soak.oversized_431,
                  "rss_mb_after_warmup": rss0, "rss_mb_end": rss_end, "rss_mb_max": rss_max,
                  "fds_after_warmup": fds0, "fds_end": fds_end, "fds_max": max(s[2] for s in samples),
                  "serve_log_bytes": os.path.getsize(err_path),
                  "first_failures": [f.decode("latin-1") for f in soak.failures[:5]]}
        print(json.dumps(result, indent=2))
        if a.json:
            with open(a.json, "w") as f:
                json.dump(dict(result, samples=samples), f)
        ok = (alive and soak.normal_failed <= a.max_normal_failures and soak.normal_ok > 0
              and rss_end - rss0 <= a.rss_slack_mb and fds_end - fds0 <= a.fd_slack)
        print("soak: " + ("PASS" if ok else "FAIL"))
        return 0 if ok else 1
    finally:
        if serve.poll() is None:
            serve.send_signal(2)
            try:
                serve.wait(timeout=20)
            except subprocess.TimeoutExpired:
                serve.kill()
        backend.terminate()
        backend.wait()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Load benchmark of `ccodex serve` (issues 4 and 13). Prints a Markdown table.

usage: bench/serve/run.py [--bin build/ccodex] [--events 1000] [--seconds 5] [--concurrent 2000]
                          [--many-seconds 30] [--skip-redis] [--only NAME,...]
Starts bench/serve/chatbackend.c (a libevent backend streaming EVENTS chat chunks per request),
then `ccodex serve` in front of it, and measures with wrk (bench/serve/post.lua: every request one
full streaming Responses request on the API wire, as the official SDKs get it):
  latency   the added latency per event: one stream through serve minus the same stream straight
            from the backend (curl, medians of 30), divided by EVENTS
  one       streams/s for one keep-alive client, and for one client with `Connection: close`
  ten       streams/s at 10 keep-alive clients
  fifty     streams/s at 50 clients, with the in-memory store and with Redis (a redis-server of
            its own on a loopback port), and their ratio
  many      CONCURRENT clients at once on a fresh server for MANY_SECONDS (long enough for streams
            to complete: wrk counts only those): errors, and the server's peak RSS
The other wrk runs are SECONDS long. The backend, serve, Redis and wrk share the machine's cores.
"""
import argparse, os, re, shutil, signal, socket, statistics, subprocess, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def curl_time(url, body):
    p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download}", "-X", "POST",
                        "-H", "Content-Type: application/json", "-d", body, url], capture_output=True, text=True)
    t, size = p.stdout.split()
    return float(t), int(size)


def wrk(url, conns, seconds, close=False):
    threads = 1 if conns < 2 else 2
    argv = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "30s", "-s",
            os.path.join(HERE, "post.lua")]
    if close:
        argv += ["-H", "Connection: close"]
    p = subprocess.run(argv + [url], capture_output=True, text=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", p.stdout).group(1))
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", p.stdout)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
    if m:
        errors += int(m.group(1))
    lat = re.search(r"Latency\s+(\S+)", p.stdout).group(1)
    return rps, errors, lat


class Serve:
    def __init__(self, binary, bport, extra=()):
        self.proc = subprocess.Popen([binary, "serve", "--downstream-base-url", f"http://127.0.0.1:{bport}/v1",
                                      "--port", "0", *extra], stderr=subprocess.PIPE, text=True)
        self.port = int(re.search(r":(\d+)/v1 ->", self.proc.stderr.readline()).group(1))
        self.url = f"http://127.0.0.1:{self.port}/v1/responses"

    def hwm_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) / 1024

    def close(self):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "..", "build", "ccodex"))
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--concurrent", type=int, default=2000)
    ap.add_argument("--many-seconds", type=int, default=30)
    ap.add_argument("--skip-redis", action="store_true")
    ap.add_argument("--only", default="latency,one,ten,fifty,many")
    a = ap.parse_args()
    only = set(a.only.split(","))
    binary = os.path.abspath(a.bin)
    tmp = tempfile.mkdtemp(prefix="cx-bench-serve-")
    backend_bin = os.path.join(tmp, "chatbackend")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libevent"], capture_output=True, text=True,
                           check=True).stdout.split()
    subprocess.run(["cc", "-O2", "-o", backend_bin, os.path.join(HERE, "chatbackend.c")] + flags, check=True)
    bport = free_port()
    backend = subprocess.Popen([backend_bin, str(bport), str(a.events)], stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    redis = None
    rows = []
    serve = Serve(binary, bport)
    try:
        body = open(os.path.join(HERE, "post.lua")).read().split("wrk.body = '")[1].split("'\n")[0]
        # a stream through serve must complete before anything is timed
        out = subprocess.run(["curl", "-s", "-X", "POST", "-d", body, serve.url], capture_output=True,
                             text=True).stdout
        assert "response.completed" in out and out.count("event: response.output_text.delta") == a.events, out[-500:]
        if "latency" in only:
            direct_url = f"http://127.0.0.1:{bport}/v1/chat/completions"
            chat_body = '{"model":"bench","stream":true,"messages":[{"role":"user","content":"go"}]}'
            direct = [curl_time(direct_url, chat_body)[0] for _ in range(30)]
            via = [curl_time(serve.url, body)[0] for _ in range(30)]
            d, v = statistics.median(direct), statistics.median(via)
            rows += [("one stream straight from the backend (curl, median of 30)", f"{d * 1000:.2f} ms", ""),
                     ("the same stream through serve", f"{v * 1000:.2f} ms", ""),
                     ("added latency per event", f"{(v - d) * 1000 / a.events:.4f} ms", "<= 0.02 ms")]
        if "one" in only:
            rps, errors, _ = wrk(serve.url, 1, a.seconds)
            rows.append(("streams/s, 1 keep-alive client", f"{rps:.0f} ({errors} errors)", ""))
            rps, errors, _ = wrk(serve.url, 1, a.seconds, close=True)
            rows.append(("streams/s, 1 client with Connection: close", f"{rps:.0f} ({errors} errors)", ""))
        if "ten" in only:
            rps, errors, lat = wrk(serve.url, 10, a.seconds)
            rows.append(("streams/s, 10 keep-alive clients", f"{rps:.0f} ({errors} errors, mean {lat})",
                         ">= 1,000"))
        if "fifty" in only:
            mem, errors, lat = wrk(serve.url, 50, a.seconds)
            rows.append(("streams/s, 50 clients, memory store", f"{mem:.0f} ({errors} errors, mean {lat})", ""))
            if not a.skip_redis and shutil.which("redis-server"):
                rport = free_port()
                redis = subprocess.Popen(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                                          "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
                time.sleep(0.3)
                rs = Serve(binary, bport, ["--store", f"redis://127.0.0.1:{rport}"])
                try:
                    red, errors, lat = wrk(rs.url, 50, a.seconds)
                finally:
                    rs.close()
                rows.append(("streams/s, 50 clients, Redis store", f"{red:.0f} ({errors} errors, mean {lat})", ""))
                rows.append(("Redis store's cost", f"{(1 - red / mem) * 100:.1f} %", "<= 20 %"))
        serve.close()
        serve = None
        if "many" in only:
            fresh = Serve(binary, bport)
            try:
                rps, errors, lat = wrk(fresh.url, a.concurrent, a.many_seconds)
                hwm = fresh.hwm_mb()
            finally:
                fresh.close()
            rows.append((f"{a.concurrent} concurrent streams for {a.many_seconds} s",
                         f"{rps:.0f} streams/s, {errors} errors, mean {lat}", "no errors"))
            rows.append((f"peak RSS (VmHWM) of a fresh server after them", f"{hwm:.1f} MB", "<= 64 MB"))
        print(f"binary: {binary}; backend: chatbackend.c, {a.events} events per stream; "
              f"wrk runs of {a.seconds} s\n")
        print("| measure | value | target |\n|---|---|---|")
        for r in rows:
            print(f"| {r[0]} | {r[1]} | {r[2]} |")
    finally:
        if serve:
            serve.close()
        if redis:
            redis.terminate()
            redis.wait()
        backend.kill()
        backend.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Load benchmark of `ccodex serve` (issue 4). Prints a Markdown table.

usage: bench/serve/run.py [--bin build/ccodex] [--events 1000] [--seconds 10]
Starts bench/serve/chatbackend.c (a libevent backend streaming EVENTS chat chunks per request),
then `ccodex serve` in front of it, and measures:
  - the added latency per event: one stream through serve minus the same stream straight from the
    backend (both fetched with curl, medians of 30), divided by EVENTS;
  - streams per second with wrk at 50 and at 500 concurrent clients (each request one full stream);
  - errors wrk saw, and serve's peak RSS (VmHWM) at the end.
"""
import argparse, os, re, signal, socket, statistics, subprocess, sys, tempfile, time

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


def wrk(url, conns, seconds):
    p = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--timeout", "30s", "-s",
                        os.path.join(HERE, "post.lua"), url], capture_output=True, text=True)
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "..", "build", "ccodex"))
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=10)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cx-bench-serve-")
    backend_bin = os.path.join(tmp, "chatbackend")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libevent"], capture_output=True, text=True,
                           check=True).stdout.split()
    subprocess.run(["cc", "-O2", "-o", backend_bin, os.path.join(HERE, "chatbackend.c")] + flags, check=True)
    bport = free_port()
    backend = subprocess.Popen([backend_bin, str(bport), str(a.events)], stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    serve = subprocess.Popen([os.path.abspath(a.bin), "serve", "--downstream-base-url",
                              f"http://127.0.0.1:{bport}/v1", "--port", "0"], stderr=subprocess.PIPE, text=True)
    sport = int(re.search(r":(\d+)/v1 ->", serve.stderr.readline()).group(1))
    try:
        direct_url = f"http://127.0.0.1:{bport}/v1/chat/completions"
        via_url = f"http://127.0.0.1:{sport}/v1/responses"
        body = open(os.path.join(HERE, "post.lua")).read().split("wrk.body = '")[1].split("'\n")[0]
        chat_body = '{"model":"bench","stream":true,"messages":[{"role":"user","content":"go"}]}'
        # a stream through serve must complete before anything is timed
        out = subprocess.run(["curl", "-s", "-X", "POST", "-d", body, via_url], capture_output=True, text=True).stdout
        assert "response.completed" in out and out.count("event: response.output_text.delta") == a.events, out[-500:]
        direct = [curl_time(direct_url, chat_body)[0] for _ in range(30)]
        via = [curl_time(via_url, body)[0] for _ in range(30)]
        d, v = statistics.median(direct), statistics.median(via)
        per_event_ms = (v - d) * 1000 / a.events
        rows = [("one stream straight from the backend", f"{d * 1000:.2f} ms", ""),
                ("one stream through serve", f"{v * 1000:.2f} ms", ""),
                ("added latency per event", f"{per_event_ms:.4f} ms", "target <= 0.02 ms")]
        for conns in (50, 500):
            rps, errors, lat = wrk(via_url, conns, a.seconds)
            rows.append((f"streams/s at {conns} clients ({a.events} events each)", f"{rps:.0f}",
                         "target >= 300" if conns == 50 else "target: no errors"))
            rows.append((f"errors at {conns} clients", str(errors), ""))
            rows.append((f"mean stream latency at {conns} clients", lat, ""))
        with open(f"/proc/{serve.pid}/status") as f:
            hwm = int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))
        rows.append(("serve peak RSS (VmHWM) after the runs", f"{hwm / 1024:.1f} MB", "target <= 50 MB"))
        print(f"binary: {os.path.abspath(a.bin)}; backend: chatbackend.c, {a.events} events per stream\n")
        print("| measure | value | target |\n|---|---|---|")
        for r in rows:
            print(f"| {r[0]} | {r[1]} | {r[2]} |")
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=10)
        backend.kill()
        backend.wait()


if __name__ == "__main__":
    main()

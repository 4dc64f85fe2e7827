#!/usr/bin/env python3
"""Session benchmarks (issue 10, item 6). Prints a Markdown table of medians.

usage: bench/sessions.py [--bin build/ccodex] [--runs N] [--sessions 10000]
  1. `ccodex exec` launch -> first request with an empty CODEX_HOME and with N rollout files in
     sessions/ (start-up must not grow with the home: only resume lists sessions);
  2. `ccodex exec resume --last` launch -> first request over N sessions, when the newest session
     is the one picked (usual case) and when only the oldest matches the directory: "cold" is the
     first listing of a home (every file's first 4 KiB is read, and the listing cache
     CODEX_HOME/ccodex-sessions-index is written), "warm" the next one (the cache, checked against
     each file's stat, spares opening the 9,999 files that cannot match);
CPU time (user+sys of the ccodex process) is printed beside the wall time: on a loaded machine it
is the steadier figure.
Everything runs on 127.0.0.1 against tests/integration/fakeserver.py. Rollout files are ~4 KB
each (a session_meta, a turn, an answer), spread over 100 days.
"""
import argparse, json, os, resource, statistics, subprocess, sys, time, uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402


def fill(home, n, cwd_of):
    base = "x" * 3000  # stands in for base_instructions
    t0 = time.time() - n * 60
    for i in range(n):
        t = t0 + i * 60
        lt = time.localtime(t)
        sid = str(uuid.uuid4())
        d = os.path.join(home, "sessions", time.strftime("%Y/%m/%d", lt))
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, time.strftime("rollout-%Y-%m-%dT%H-%M-%S-", lt) + sid + ".jsonl")
        lines = [
            {"timestamp": "2026-01-01T00:00:00.000Z", "type": "session_meta",
             "payload": {"id": sid, "timestamp": "2026-01-01T00:00:00.000Z", "cwd": cwd_of(i),
                         "originator": "codex_exec", "cli_version": "0.115.0", "source": "exec",
                         "model_provider": "fake", "base_instructions": {"text": base}}},
            {"timestamp": "2026-01-01T00:00:00.000Z", "type": "response_item",
             "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": f"prompt {i}"}]}},
            {"timestamp": "2026-01-01T00:00:00.000Z", "type": "event_msg",
             "payload": {"type": "user_message", "message": f"prompt {i}", "images": [], "local_images": [], "text_elements": []}},
            {"timestamp": "2026-01-01T00:00:00.000Z", "type": "response_item",
             "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "answer"}]}},
        ]
        with open(path, "w") as f:
            f.write("".join(json.dumps(l, separators=(",", ":")) + "\n" for l in lines))
        os.utime(path, (t, t))


def first_request_ms(binary, args, runs, n, cwd_of_factory, warm=False):
    """Median (wall ms to the first request, CPU ms of the whole process)."""
    out, cpu = [], []
    for _ in range(runs):
        w = harness.Env([[{"type": "message", "text": "OK"}]] * 2)
        try:
            if n:
                fill(w.home, n, cwd_of_factory(w))
            if warm:  # a first listing fills the cache; it is not timed
                subprocess.run([binary, "exec"] + args, cwd=w.cwd, env=w.env(), capture_output=True, timeout=120)
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            subprocess.run([binary, "exec"] + args, cwd=w.cwd, env=w.env(), capture_output=True, timeout=120)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            out.append((w.requests()[-1]["arrival"] - t0) * 1000)
            cpu.append((r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000)
        finally:
            w.close()
    return statistics.median(out), statistics.median(cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "ccodex"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=10000)
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)
    n = a.sessions
    elsewhere = lambda w: (lambda i: "/somewhere/else")
    here_newest = lambda w: (lambda i: w.cwd if i == n - 1 else "/somewhere/else")
    here_oldest = lambda w: (lambda i: w.cwd if i == 0 else "/somewhere/else")
    last = ["resume", "--last", "hi"]
    rows = [
        ("exec launch -> first request, empty CODEX_HOME", first_request_ms(a.bin, ["hi"], a.runs, 0, elsewhere), ""),
        (f"exec launch -> first request, {n} sessions", first_request_ms(a.bin, ["hi"], a.runs, n, elsewhere),
         "within 2 ms of empty"),
        (f"exec resume --last -> first request, {n} sessions, newest matches, cold",
         first_request_ms(a.bin, last, a.runs, n, here_newest), "< 100 ms"),
        (f"exec resume --last -> first request, {n} sessions, only the oldest matches, cold",
         first_request_ms(a.bin, last, a.runs, n, here_oldest), "< 100 ms"),
        (f"exec resume --last -> first request, {n} sessions, only the oldest matches, warm",
         first_request_ms(a.bin, last, a.runs, n, here_oldest, warm=True), "< 100 ms"),
    ]
    print("| measure | wall (median) | CPU (median) | target |")
    print("|---|---|---|---|")
    for name, (wall, cpu), target in rows:
        print(f"| {name} | {wall:.2f} ms | {cpu:.1f} ms | {target} |")


if __name__ == "__main__":
    main()

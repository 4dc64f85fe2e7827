#!/usr/bin/env python3
"""Per-turn client CPU over a long session (issue 10, item 7). Prints a Markdown table.

usage: bench/long_session.py [--bin build/ccodex] [--turns 500] [--window 40]
One `ccodex exec --ephemeral` turn of TURNS model round trips: each response calls update_plan
with ~200 bytes of arguments, so the request grows by ~0.2 KB a round (~110 KB at 500). A thread
samples the client's CPU time (sum of /proc/PID/task/*/schedstat, nanoseconds) every 2 ms; the
fake server stamps each request's arrival; the CPU the client spent between request k and
request k+WINDOW, divided by WINDOW, is the per-turn figure near turn k (parsing the response,
running the tool, building and sending the next request). The fake server's own time is not in
it. Serialising the request body is in it, so the figure grows with the bytes sent at most.
"""
import argparse, bisect, glob, json, os, subprocess, sys, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402


def cpu_ns(pid):
    total = 0
    for f in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            total += int(open(f).read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "ccodex"))
    ap.add_argument("--turns", type=int, default=500)
    ap.add_argument("--no-ephemeral", action="store_true", help="for builds without --ephemeral")
    ap.add_argument("--window", type=int, default=40)
    a = ap.parse_args()
    plan = json.dumps({"explanation": "x" * 120, "plan": [{"step": "step one of the plan", "status": "in_progress"}]})
    script = [[{"type": "function_call", "name": "update_plan", "call_id": f"call_{i}", "arguments": plan}]
              for i in range(a.turns)] + [[{"type": "message", "text": "DONE"}]]
    w = harness.Env(script)
    samples = []
    try:
        p = subprocess.Popen([a.bin, "exec"] + ([] if a.no_ephemeral else ["--ephemeral"]) + ["go"], cwd=w.cwd, env=w.env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        done = threading.Event()

        def sampler():
            while not done.is_set():
                samples.append((time.monotonic(), cpu_ns(p.pid)))
                time.sleep(0.002)
        t = threading.Thread(target=sampler)
        t.start()
        p.wait(timeout=1800)
        done.set()
        t.join()
        reqs = w.requests()
        sizes = [len(json.dumps(r["body"])) for r in reqs]
        times = [s[0] for s in samples]

        def cpu_at(ts):
            i = min(bisect.bisect_left(times, ts), len(samples) - 1)
            return samples[i][1]
        print("| near turn | request size | client CPU per turn |")
        print("|---|---|---|")
        for k in (10, 100, a.turns - a.window):
            if k + a.window >= len(reqs):
                continue
            c = (cpu_at(reqs[k + a.window]["arrival"]) - cpu_at(reqs[k]["arrival"])) / a.window / 1e6
            print(f"| {k} | {sizes[k] / 1024:.0f} KB | {c:.2f} ms |")
    finally:
        w.close()


if __name__ == "__main__":
    main()

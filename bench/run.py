#!/usr/bin/env python3
"""ccodex client benchmarks (issue 2's targets). Prints a Markdown table of medians.

usage: bench/run.py [--bin build/ccodex] [--runs N]
Measures, each beside its floor:
  1. `ccodex --version`: wall time and peak RSS, beside a trivial C program that only prints;
  2. launch -> first request arriving at a fake server, beside a bare `curl` POST;
  3. one-shot `ccodex exec` total wall time and peak RSS;
  4. the client gap between the end of a response and the next request, over 20 round trips
     through a trivial tool (update_plan);
  5. CPU time (user+sys) for one message streamed as 20,000 deltas.
Everything runs on 127.0.0.1 against tests/integration/fakeserver.py.
"""
import argparse, json, os, resource, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402


def run_measured(argv, **kw):
    """Runs argv; returns (wall seconds, peak RSS in KiB, cpu seconds, exit code, stdout).
    The child's own peak RSS comes from GNU time (%M): a child forked straight from Python would
    report the interpreter's pages that it carried until exec."""
    fd, rss_file = tempfile.mkstemp()
    os.close(fd)
    t0 = time.perf_counter()
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_file] + argv,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    out, _ = p.communicate()
    wall = time.perf_counter() - t0
    _, _, ru = 0, 0, None
    try:
        rss = int(open(rss_file).read().strip().splitlines()[-1])
    finally:
        os.unlink(rss_file)
    cpu = 0.0
    return wall, rss, cpu, p.returncode, out


def run_cpu(argv, **kw):
    """CPU seconds (user, sys) of argv and its children, via getrusage after the wait."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(argv, capture_output=True, **kw)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ((after.ru_utime - before.ru_utime), (after.ru_stime - before.ru_stime)), p.returncode, p.stdout


def median(xs):
    return statistics.median(xs)


def bench_version(binary, runs, floor):
    rows = []
    for name, argv in (("trivial C program", [floor]), ("ccodex --version", [binary, "--version"])):
        walls, rss = [], []
        for _ in range(runs):
            w, r, _, rc, _ = run_measured(argv)
            assert rc == 0, argv
            walls.append(w * 1000); rss.append(r / 1024)
        rows.append((name, median(walls), median(rss)))
    return rows


def first_request(binary, runs):
    ours, curl = [], []
    for _ in range(runs):
        w = harness.Env([[{"type": "message", "text": "OK"}]])
        try:
            t0 = time.monotonic()
            run_measured([binary, "exec", "hi"], cwd=w.cwd, env=w.env())
            ours.append((w.requests()[0]["arrival"] - t0) * 1000)
        finally:
            w.close()
        w = harness.Env([[{"type": "message", "text": "OK"}]])
        try:
            body = json.dumps({"model": "m", "input": [], "stream": True})
            t0 = time.monotonic()
            run_measured(["curl", "-s", "-o", "/dev/null", "-X", "POST", "-H", "content-type: application/json",
                          "--data", body, f"http://127.0.0.1:{w.port}/v1/responses"])
            curl.append((w.requests()[0]["arrival"] - t0) * 1000)
        finally:
            w.close()
    return median(ours), median(curl)


def one_shot(binary, runs):
    walls, rss = [], []
    for _ in range(runs):
        w = harness.Env([[{"type": "message", "text": "OK"}]])
        try:
            wall, r, _, rc, out = run_measured([binary, "exec", "hi"], cwd=w.cwd, env=w.env())
            assert rc == 0 and out == b"OK\n", out
            walls.append(wall * 1000); rss.append(r / 1024)
        finally:
            w.close()
    return median(walls), median(rss)


def tool_gap(binary, trips=20):
    plan = json.dumps({"plan": [{"step": "a", "status": "in_progress"}]})
    script = [[{"type": "function_call", "name": "update_plan", "call_id": f"c{i}", "arguments": plan}]
              for i in range(trips)] + [[{"type": "message", "text": "done"}]]
    w = harness.Env(script)
    try:
        _, _, _, rc, _ = run_measured([binary, "exec", "go"], cwd=w.cwd, env=w.env())
        assert rc == 0
        reqs = w.requests()
        gaps = []
        for k in range(1, len(reqs)):
            end = float(open(os.path.join(w.out, f"response-{k:03d}.end")).read())
            gaps.append((reqs[k]["arrival"] - end) * 1000)
        return median(gaps), len(gaps)
    finally:
        w.close()


def delta_cpu(binary, deltas=20000, runs=5):
    """CPU (user, sys) of `ccodex exec` receiving one message as `deltas` deltas, and of a bare
    `curl` receiving the same stream: the kernel's work for 20,000 small TCP segments on loopback
    is the same for any client and shows up as sys time. No git repository, so that no `git
    status` child adds its CPU."""
    text = "x" * deltas
    script = [{"items": [{"type": "message", "text": text}], "deltas": deltas}] * runs
    w = harness.Env(script, git=False)
    ours, bare = [], []
    try:
        for _ in range(runs):
            (u, s), rc, out = run_cpu([binary, "exec", "go"], cwd=w.cwd, env=w.env())
            assert rc == 0 and len(out) == deltas + 1, (rc, len(out))
            ours.append((u * 1000, s * 1000))
    finally:
        w.close()
    w = harness.Env(script, git=False)
    try:
        body = '{"model":"x","input":[],"stream":true}'
        for _ in range(runs):
            (u, s), rc, out = run_cpu(["curl", "-sN", "-X", "POST", "-H", "content-type: application/json",
                                       "-d", body, f"http://127.0.0.1:{w.port}/v1/responses"])
            assert rc == 0 and len(out) > deltas * 50
            bare.append((u * 1000, s * 1000))
    finally:
        w.close()
    pick = lambda xs: sorted(xs, key=lambda t: t[0] + t[1])[len(xs) // 2]
    return pick(ours), pick(bare)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "ccodex"))
    ap.add_argument("--runs", type=int, default=15)
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    tmp = tempfile.mkdtemp(prefix="cx-bench-")
    floor = os.path.join(tmp, "floor")
    subprocess.run(["cc", "-O2", "-o", floor, os.path.join(HERE, "floor.c")], check=True)
    print(f"binary: {binary}\nruns per figure: {a.runs} (medians)\n")
    print("| measure | value | floor / target |\n|---|---|---|")
    (fn, fw, fr), (_, vw, vr) = bench_version(binary, a.runs, floor)
    print(f"| `--version` wall | {vw:.2f} ms | floor {fw:.2f} ms; target <= 20 ms |")
    print(f"| `--version` peak RSS | {vr:.1f} MB | floor {fr:.1f} MB; target <= 8 MB |")
    ours, curl = first_request(binary, max(5, a.runs // 2))
    print(f"| launch -> first request | {ours:.2f} ms | curl POST {curl:.2f} ms; target <= curl + 10 ms |")
    ow, orss = one_shot(binary, max(5, a.runs // 2))
    print(f"| one-shot exec total wall | {ow:.2f} ms | - |")
    print(f"| one-shot exec peak RSS | {orss:.1f} MB | target <= 10 MB |")
    gap, n = tool_gap(binary)
    print(f"| response end -> next request (tool round trip, n={n}) | {gap:.3f} ms | target <= 1 ms |")
    (ou, os_), (cu, cs) = delta_cpu(binary)
    print(f"| CPU for 20,000-delta stream, user | {ou:.1f} ms | curl {cu:.1f} ms |")
    print(f"| CPU for 20,000-delta stream, sys | {os_:.1f} ms | curl {cs:.1f} ms |")
    print(f"| CPU for 20,000-delta stream, user+sys | {ou + os_:.1f} ms | curl {cu + cs:.1f} ms; target <= 50 ms |")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Issue 14's targets for the static release binary (scripts/release.sh), each beside a floor
built in the same run with the same musl toolchain. Prints a Markdown table of medians.

usage: bench/static.py [--bin dist/ccodex-V-linux-ARCH] [--dynamic build/ccodex] [--runs N]
  1. binary size, stripped (target <= 8 MB);
  2. `--version` wall and peak RSS beside bench/floor.c linked statically with musl
     (targets: wall <= 1.5x the floor, RSS <= 3 MB);
  3. one-shot `exec` turn peak RSS against tests/integration/fakeserver.py (target <= 4 MB);
  4. launch -> first request at the server beside bench/static_post.c (a static libcurl POST
     linked against the release's own libcurl from build-static/deps; target <= floor + 10 ms);
  5. with --dynamic, the default dynamic build's `--version` and one-shot peak RSS (targets 8 MB
     and 10 MB) beside a dynamic trivial program and the same program linked with libcurl.
"""
import argparse, glob, json, os, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import harness  # noqa: E402
from run import median, run_cpu, run_measured  # noqa: E402


def dep_prefix(deps, pkg):
    # release.sh names the builds it linked for this machine's architecture: the cache also
    # holds other architectures' (release.sh --arch) and superseded ones
    listing = os.path.join(os.path.dirname(os.path.abspath(deps)), f"deps-{os.uname().machine}.txt")
    if os.path.isfile(listing):
        with open(listing) as f:
            for line in f:
                name, _, path = line.strip().partition(" ")
                if name == pkg and os.path.isfile(os.path.join(path, ".done")):
                    return path
    found = sorted(glob.glob(os.path.join(deps, f"{pkg}-*", ".done")), key=os.path.getmtime)
    if not found:
        sys.exit(f"no built {pkg} under {deps}: run scripts/release.sh first")
    return os.path.dirname(found[-1])


def build_floors(tmp, deps):
    floor = os.path.join(tmp, "floor-static")
    subprocess.run(["musl-gcc", "-static", "-O2", "-s", "-o", floor, os.path.join(HERE, "floor.c")],
                   check=True)
    post = os.path.join(tmp, "static_post")
    p = {k: dep_prefix(deps, k) for k in ("curl", "openssl", "nghttp2", "zlib")}
    subprocess.run(["musl-gcc", "-static", "-O2", "-s", "-o", post, os.path.join(HERE, "static_post.c"),
                    f"-I{p['curl']}/include", f"{p['curl']}/lib/libcurl.a",
                    f"{p['nghttp2']}/lib/libnghttp2.a", f"{p['openssl']}/lib/libssl.a",
                    f"{p['openssl']}/lib/libcrypto.a", f"{p['zlib']}/lib/libz.a", "-lpthread"],
                   check=True)
    return floor, post


def version(argv, runs):
    walls, rss = [], []
    for _ in range(runs):
        w, r, _, rc, _ = run_measured(argv)
        assert rc == 0, argv
        walls.append(w * 1000)
        rss.append(r / 1024)
    return median(walls), median(rss)


def version_cpu(argv, runs):
    """Median user+sys CPU ms: on a shared machine wall time mostly measures the queue for a
    core, CPU time what the program itself costs."""
    out = []
    for _ in range(runs):
        (u, s), rc, _ = run_cpu(argv)
        assert rc == 0, argv
        out.append((u + s) * 1000)
    return median(out)


def one_shot(binary, runs):
    walls, rss = [], []
    for _ in range(runs):
        w = harness.Env([[{"type": "message", "text": "OK"}]], git=False)
        try:
            wall, r, _, rc, out = run_measured([binary, "exec", "--skip-git-repo-check", "hi"],
                                               cwd=w.cwd, env=w.env())
            assert rc == 0 and out == b"OK\n", out
            walls.append(wall * 1000)
            rss.append(r / 1024)
        finally:
            w.close()
    return median(walls), median(rss)


def first_request(argv_for, runs):
    """Median ms from launch to the request's arrival at the fake server."""
    out = []
    body = json.dumps({"model": "m", "input": [], "stream": True})
    for _ in range(runs):
        w = harness.Env([[{"type": "message", "text": "OK"}]], git=False)
        try:
            argv = argv_for(w, body)
            t0 = time.monotonic()
            run_measured(argv, cwd=w.cwd, env=w.env())
            out.append((w.requests()[0]["arrival"] - t0) * 1000)
        finally:
            w.close()
    return min(out), median(out)


def dynamic(binary, runs, n, tmp):
    """The default dynamic build (Debian's packages) beside two dynamic floors built in the same
    run: the trivial program, and the same program linked against Debian's libcurl (which maps
    its ~33 libraries at start, as ccodex did before it loaded libcurl on first use)."""
    floor = os.path.join(tmp, "floor-dyn")
    subprocess.run(["cc", "-O2", "-o", floor, os.path.join(HERE, "floor.c")], check=True)
    with_curl = os.path.join(tmp, "floor-libcurl")
    subprocess.run(["cc", "-O2", "-o", with_curl, os.path.join(HERE, "floor.c"),
                    "-Wl,--no-as-needed", "-lcurl"], check=True)
    fw, fr = version([floor], runs)
    cw, cr = version([with_curl], runs)
    dw, dr = version([binary, "--version"], runs)
    print(f"\ndynamic build: {binary}\n")
    print("| measure | dynamic ccodex | floor: trivial program | floor: same, linking libcurl | "
          "target | met? |\n|---|---|---|---|---|---|")
    print(f"| `--version` peak RSS | {dr:.2f} MB ({dr / fr:.2f}x) | {fr:.2f} MB | {cr:.2f} MB | "
          f"<= 8 MB | {'yes' if dr <= 8 else 'no'} |")
    print(f"| `--version` wall | {dw:.2f} ms ({dw / fw:.2f}x) | {fw:.2f} ms | {cw:.2f} ms | - | - |")
    ow, orss = one_shot(binary, n)
    print(f"| one-shot exec peak RSS | {orss:.2f} MB ({orss / fr:.2f}x) | {fr:.2f} MB | {cr:.2f} MB | "
          f"<= 10 MB | {'yes' if orss <= 10 else 'no'} |")
    print(f"| one-shot exec total wall | {ow:.2f} ms | - | - | - | - |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=None)
    ap.add_argument("--dynamic", default=None)
    ap.add_argument("--deps", default=os.path.join(REPO, "build-static", "deps"))
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--first-runs", type=int, default=0,
                    help="launch -> first request pairs (default: half of --runs, at least 5)")
    ap.add_argument("--dynamic-only", action="store_true", help="only the --dynamic figures")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cx-bench-static-")
    try:
        if a.dynamic_only:
            if not a.dynamic:
                sys.exit("--dynamic-only needs --dynamic BINARY")
            print(f"runs per figure: {a.runs} (medians)")
            dynamic(os.path.abspath(a.dynamic), a.runs, max(5, a.runs // 2), tmp)
            return
        binary = os.path.abspath(a.bin or sorted(
            f for f in glob.glob(os.path.join(REPO, "dist", "ccodex-*-linux-*"))
            if not f.endswith(".sha256"))[-1])
        floor, post = build_floors(tmp, a.deps)
        print(f"binary: {binary}\nruns per figure: {a.runs} (medians)\n")
        print("| measure | static ccodex | floor | target | met? |\n|---|---|---|---|---|")
        size = os.path.getsize(binary) / 1e6
        print(f"| binary size (stripped) | {size:.2f} MB | floor {os.path.getsize(floor) / 1e3:.0f} kB"
              f" | <= 8 MB | {'yes' if size <= 8 else 'no'} |")
        fw, fr = version([floor], a.runs)
        vw, vr = version([binary, "--version"], a.runs)
        print(f"| `--version` wall | {vw:.2f} ms ({vw / fw:.2f}x) | {fw:.2f} ms | <= 1.5x | "
              f"{'yes' if vw <= 1.5 * fw else 'no'} |")
        fc = version_cpu([floor], a.runs * 3)
        vc = version_cpu([binary, "--version"], a.runs * 3)
        print(f"| `--version` CPU (user+sys) | {vc:.2f} ms ({vc / fc:.2f}x) | {fc:.2f} ms | - | - |")
        print(f"| `--version` peak RSS | {vr:.2f} MB | {fr:.2f} MB | <= 3 MB | {'yes' if vr <= 3 else 'no'} |")
        n = max(5, a.runs // 2)
        ow, orss = one_shot(binary, n)
        print(f"| one-shot exec peak RSS | {orss:.2f} MB | - | <= 4 MB | {'yes' if orss <= 4 else 'no'} |")
        print(f"| one-shot exec total wall | {ow:.2f} ms | - | - | - |")
        # alternate the two so that a change in the machine's load falls on both alike
        ours, base = [], []
        nf = a.first_runs or n
        for _ in range(nf):
            ours.append(first_request(lambda w, body: [binary, "exec", "--skip-git-repo-check", "hi"], 1)[0])
            base.append(first_request(lambda w, body: [post, f"http://127.0.0.1:{w.port}/v1/responses", body], 1)[0])
        ours, base = (min(ours), median(ours)), (min(base), median(base))
        for i, what in enumerate(("min", "median")):
            print(f"| launch -> first request, {what} of {nf} | {ours[i]:.2f} ms | static libcurl POST "
                  f"{base[i]:.2f} ms | <= floor + 10 ms | {'yes' if ours[i] <= base[i] + 10 else 'no'} |")
        if a.dynamic:
            dynamic(os.path.abspath(a.dynamic), a.runs, n, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

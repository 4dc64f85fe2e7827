#!/usr/bin/env python3
"""Session benchmarks (issue 10, item 6). Prints a Markdown table of medians.

usage: bench/sessions.py [--bin build/ccodex] [--runs N] [--sessions 10000]
  1. `ccodex exec` launch -> first request with an empty CODEX_HOME and with N rollout files in
     sessions/ (start-up must not grow with the home: only resume lists sessions);
  2. `ccodex exec resume --last` launch -> first request over N sessions, when the newest session
     is the one picked (usual case) and when only the oldest matches the directory (every file's
     first line is read);
Everything runs on 127.0.0.1 against tests/integration/fakeserver.py. Rollout files are ~4 KB
each (a session_meta, a turn, an answer), spread over 100 days.
"""
import argparse, json, os, statistics, subprocess, sys, time, uuid

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


def first_request_ms(binary, args, runs, n, cwd_of_factory):
    out = []
    for _ in range(runs):
        w = harness.Env([[{"type": "message", "text": "OK"}]])
        try:
            if n:
                fill(w.home, n, cwd_of_factory(w))
            t0 = time.monotonic()
            subprocess.run([binary, "exec"] + args, cwd=w.cwd, env=w.env(), capture_output=True, timeout=120)
            out.append((w.requests()[0]["arrival"] - t0) * 1000)
        finally:
            w.close()
    return statistics.median(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "ccodex"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=10000)
    a = ap.parse_args()
    n = a.sessions
    elsewhere = lambda w: (lambda i: "/somewhere/else")
    here_newest = lambda w: (lambda i: w.cwd if i == n - 1 else "/somewhere/else")
    here_oldest = lambda w: (lambda i: w.cwd if i == 0 else "/somewhere/else")
    empty = first_request_ms(a.bin, ["hi"], a.runs, 0, elsewhere)
    full = first_request_ms(a.bin, ["hi"], a.runs, n, elsewhere)
    newest = first_request_ms(a.bin, ["resume", "--last", "hi"], a.runs, n, here_newest)
    oldest = first_request_ms(a.bin, ["resume", "--last", "hi"], a.runs, n, here_oldest)
    print("| measure | median | target |")
    print("|---|---|---|")
    print(f"| exec launch -> first request, empty CODEX_HOME | {empty:.2f} ms | |")
    print(f"| exec launch -> first request, {n} sessions | {full:.2f} ms | within 2 ms of empty |")
    print(f"| exec resume --last -> first request, {n} sessions, newest matches | {newest:.2f} ms | < 100 ms |")
    print(f"| exec resume --last -> first request, {n} sessions, only the oldest matches | {oldest:.2f} ms | < 100 ms |")


if __name__ == "__main__":
    main()

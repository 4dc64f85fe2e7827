"""The events thread rule (include/ccodex/events.h) seen from `exec --json`: six exec_command
calls that run in parallel on worker threads still give six well-formed JSONL items with
distinct ids, each started before it completes. scripts/test.sh also runs this test on a
ThreadSanitizer build (build-tsan/), where any race in delivering the events fails it."""
import json, re, unittest

from harness import Env

N = 6


def call(i):
    # each command sleeps a little so that the calls overlap
    cmd = f"sleep 0.{(i * 3) % 5 + 1}; echo out-{i}"
    return {"type": "function_call", "name": "exec_command", "call_id": f"call_{i}",
            "arguments": json.dumps({"cmd": cmd, "login": False, "yield_time_ms": 5000})}


class ParallelEventsTests(unittest.TestCase):
    def test_six_parallel_exec_command_calls_give_distinct_items(self):
        w = Env([[call(i) for i in range(N)], [{"type": "message", "text": "done"}]])
        self.addCleanup(w.close)
        p = w.run(["exec", "--json", "go"], timeout=120)
        self.assertNotIn("ThreadSanitizer", p.stderr)
        self.assertEqual(p.returncode, 0, p.stderr)
        events = [json.loads(line) for line in p.stdout.splitlines()]
        started = [e["item"] for e in events if e["type"] == "item.started"
                   and e["item"]["type"] == "command_execution"]
        completed = [e["item"] for e in events if e["type"] == "item.completed"
                     and e["item"]["type"] == "command_execution"]
        self.assertEqual(len(started), N, p.stdout)
        self.assertEqual(len(completed), N, p.stdout)
        ids = [s["id"] for s in started]
        self.assertEqual(len(set(ids)), N, f"duplicate item ids: {ids}")
        for s in started:
            self.assertRegex(s["id"], r"^item_\d+$")
        seen = set()
        for e in events:  # every item starts before it completes, once each
            if e["type"] == "item.started":
                seen.add(e["item"]["id"])
            elif e["type"] == "item.completed" and e["item"]["type"] == "command_execution":
                self.assertIn(e["item"]["id"], seen)
        outs = {re.search(r"out-(\d)", c["aggregated_output"]).group(1): c for c in completed}
        self.assertEqual(sorted(outs), [str(i) for i in range(N)])
        for c in completed:
            self.assertEqual(c["exit_code"], 0)
            self.assertEqual(c["status"], "completed")
        # all six outputs reach the model, in call order
        req = w.requests()[1]["body"]["input"]
        results = [i for i in req if i.get("type") == "function_call_output"]
        self.assertEqual([r["call_id"] for r in results], [f"call_{i}" for i in range(N)])


if __name__ == "__main__":
    unittest.main()

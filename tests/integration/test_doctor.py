"""`ccodex doctor`: every check against a fake Responses server, --skip-live, --json, a broken
config, a missing key, an unreachable port, an unresolvable host, and proxy credentials redacted."""
import json, os, socket, unittest

from harness import Env


def checks(report):
    return {c["name"]: c for c in report["checks"]}


class DoctorTests(unittest.TestCase):
    def world(self, script=None, **kw):
        env = Env(script or [[{"type": "message", "text": "OK"}]], **kw)
        self.addCleanup(env.close)
        return env

    def doctor(self, w, *args, **env):
        env.setdefault("no_proxy", "")
        for k in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
            env.setdefault(k, "")
        return w.run(["doctor"] + list(args), timeout=60, **env)

    def test_all_ok_with_live_request(self):
        w = self.world()
        p = self.doctor(w)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[-1], "overall: ok")
        names = [l.split(":")[0] for l in lines if " - " in l]
        self.assertEqual(names, ["config", "dotenv", "provider", "api_key", "proxy", "dns", "transport", "live",
                                 "sandbox"])
        self.assertIn("live_output: OK", lines)
        self.assertIn(f"responses_url: http://127.0.0.1:{w.port}/v1/responses", lines)
        self.assertRegex(p.stdout, r"transport: ok - tcp 127\.0\.0\.1:\d+ connected in \d+\.\d\ds")
        reqs = w.requests()
        self.assertEqual(len(reqs), 1)
        self.assertEqual(reqs[0]["body"]["input"][-1]["content"][0]["text"], "Reply with exactly OK.")
        self.assertEqual(reqs[0]["body"]["tools"], [])

    def test_skip_live_and_json(self):
        w = self.world()
        p = self.doctor(w, "--skip-live", "--json")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        report = json.loads(p.stdout)
        self.assertTrue(report["ok"])
        for key in ("config_path", "dotenv_path", "profile", "provider_name", "model", "base_url", "responses_url",
                    "api_key_env", "api_key_loaded", "checks", "live_output_text"):
            self.assertIn(key, report)
        self.assertEqual(report["provider_name"], "fake")
        self.assertTrue(report["api_key_loaded"])
        self.assertNotIn("live", checks(report))
        self.assertEqual(w.requests(), [])
        # the key itself never appears
        self.assertNotIn("sk-test-secret-key", p.stdout)

    def test_broken_config(self):
        w = self.world()
        with open(os.path.join(w.home, "config.toml"), "a") as f:
            f.write("\nbroken = [1, \n")
        p = self.doctor(w, "--skip-live")
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stdout, r"config_parse: fail - .*config\.toml: line \d+, column \d+")
        self.assertEqual(p.stdout.splitlines()[-1], "overall: fail")

    def test_missing_api_key(self):
        w = self.world()
        p = self.doctor(w, FAKE_API_KEY="")
        self.assertEqual(p.returncode, 1)
        self.assertIn("api_key: fail - FAKE_API_KEY is missing", p.stdout)
        self.assertIn("live: fail - skipped: missing API key", p.stdout)
        self.assertEqual(w.requests(), [])

    def test_unreachable_port(self):
        w = self.world()
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
        s.close()
        p = self.doctor(w, "--skip-live", "-c", f'model_providers.fake.base_url="http://127.0.0.1:{dead}/v1"')
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stdout, rf"transport: fail - HTTP 127\.0\.0\.1:{dead} failed after")

    def test_unresolvable_host(self):
        w = self.world()
        p = self.doctor(w, "--skip-live", "-c", 'model_providers.fake.base_url="http://no-such-host.invalid/v1"')
        self.assertEqual(p.returncode, 1)
        self.assertIn("dns: fail - no-such-host.invalid:80 -> ", p.stdout)

    def test_proxy_credentials_are_redacted(self):
        w = self.world()
        p = self.doctor(w, "--skip-live", https_proxy="http://alice:s3cret@proxy.example:3128",
                        http_proxy="http://bob:hunter2@proxy.example:8080/")
        self.assertNotIn("s3cret", p.stdout)
        self.assertNotIn("hunter2", p.stdout)
        self.assertIn("proxy: ok - http=http://proxy.example:8080/, https=http://proxy.example:3128", p.stdout)
        self.assertIn("transport: ok - skipped direct probe", p.stdout)
        p = self.doctor(w, "--skip-live", "--json", https_proxy="http://alice:s3cret@proxy.example:3128")
        self.assertNotIn("s3cret", p.stdout)
        self.assertEqual(checks(json.loads(p.stdout))["proxy"]["detail"], "https=http://proxy.example:3128")


if __name__ == "__main__":
    unittest.main()

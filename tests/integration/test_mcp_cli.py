"""`ccodex mcp add/remove` on a config.toml a user wrote by hand: everything outside the edited
server (comments, order, spacing, quoting, other servers) is kept byte for byte; a server written
in a form the editor does not rewrite is refused with the file unchanged; list masks env values."""
import json, os, unittest

from harness import Env

USER_FILE = '''# my codex settings
model = "gpt-5.1-codex"   # the default
model_provider = "fake"

[model_providers.fake]
name = "fake"
base_url = "http://127.0.0.1:9/v1"
env_key = "FAKE_API_KEY"
wire_api = "responses"

# the docs server
[mcp_servers."docs"]
command = 'docs-mcp'
args = [ "--port",   "0" ]

[profiles.fast]
model = "x"
'''


class McpCli(unittest.TestCase):
    def setUp(self):
        self.w = Env([])
        self.addCleanup(self.w.close)
        self.path = os.path.join(self.w.home, "config.toml")
        with open(self.path, "w") as f:
            f.write(USER_FILE)

    def text(self):
        with open(self.path) as f:
            return f.read()

    def test_add_replace_remove_keep_the_rest(self):
        p = self.w.run(["mcp", "add", "foo", "--env", "TOKEN=s3cret", "--", "python3", "srv.py", "a b"])
        self.assertEqual((p.returncode, p.stdout), (0, "Added global MCP server 'foo'.\n"), p.stderr)
        self.assertEqual(self.text(), USER_FILE + '\n[mcp_servers.foo]\ncommand = "python3"\n'
                         'args = ["srv.py", "a b"]\n\n[mcp_servers.foo.env]\nTOKEN = "s3cret"\n')
        p = self.w.run(["mcp", "list"])
        self.assertIn("TOKEN=*****", p.stdout)
        self.assertNotIn("s3cret", p.stdout)
        got = json.loads(self.w.run(["mcp", "get", "foo", "--json"]).stdout)
        self.assertEqual(got["transport"]["args"], ["srv.py", "a b"])
        # replacing the docs server keeps its place and the other tables
        p = self.w.run(["mcp", "add", "docs", "--url", "http://127.0.0.1:1/mcp"])
        self.assertEqual(p.returncode, 0, p.stderr)
        # the comment above [mcp_servers."docs"] goes with the table it described
        head = USER_FILE.split("# the docs")[0]
        self.assertTrue(self.text().startswith(head + '[mcp_servers.docs]\nurl = "http://127.0.0.1:1/mcp"\n'
                                               '\n[profiles.fast]\nmodel = "x"\n'), self.text())
        p = self.w.run(["mcp", "remove", "foo"])
        self.assertEqual(p.stdout, "Removed global MCP server 'foo'.\n")
        p = self.w.run(["mcp", "remove", "docs"])
        self.assertEqual(p.stdout, "Removed global MCP server 'docs'.\n")
        self.assertEqual(self.text(), USER_FILE.replace(
            "# the docs server\n[mcp_servers.\"docs\"]\ncommand = 'docs-mcp'\n"
            "args = [ \"--port\",   \"0\" ]\n\n", ""))
        p = self.w.run(["mcp", "remove", "docs"])
        self.assertEqual((p.returncode, p.stdout), (0, "No MCP server named 'docs' found.\n"))

    def test_inline_server_is_refused_without_change(self):
        with open(self.path, "a") as f:
            f.write("\n[mcp_servers]\ninline = { command = \"x\" }\n")
        before = self.text()
        p = self.w.run(["mcp", "remove", "inline"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("edit it by hand", p.stderr)
        self.assertEqual(self.text(), before)

    def test_broken_file_is_reported_not_touched(self):
        with open(self.path, "a") as f:
            f.write("\n[[broken\n")
        before = self.text()
        p = self.w.run(["mcp", "add", "x", "--", "y"])
        self.assertEqual(p.returncode, 1)
        self.assertIn("config.toml", p.stderr)
        self.assertEqual(self.text(), before)


if __name__ == "__main__":
    unittest.main()

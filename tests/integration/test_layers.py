"""scripts/check_layers.py, the build-time layer check: the real tree passes with the table
CMakeLists.txt gives it (the build runs it; see build/layers.ok), and small made-up trees with
an upward include, an include cycle or a CLI reaching into an unexported header fail."""
import os, shutil, subprocess, sys, tempfile, unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SCRIPT = os.path.join(ROOT, "scripts", "check_layers.py")
TABLE = ["base=", "tools=base", "core=base,tools", "cli=core", "--app=cli",
         "--export=tools:tools/pub.h"]


ROOTS = []


def tree(files):
    root = tempfile.mkdtemp(prefix="cx-layers-")
    ROOTS.append(root)
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return root


def check(root):
    stamp = os.path.join(root, "ok")
    p = subprocess.run([sys.executable, SCRIPT, root, stamp] + TABLE, capture_output=True, text=True)
    return p.returncode, p.stderr, os.path.exists(stamp)


GOOD = {"src/base/a.h": "", "src/base/a.c": '#include "base/a.h"\n',
        "src/tools/t.c": '#include "base/a.h"\n#include "ccodex/error.h"\n',
        "src/tools/pub.h": "", "src/tools/priv.h": "",
        "src/core/c.c": '#include "tools/priv.h"\n',
        "src/cli/main.c": '#include "tools/pub.h"\n#include "ccodex/agent.h"\n',
        "include/ccodex/error.h": "", "include/ccodex/agent.h": '#include "ccodex/error.h"\n'}


class LayerCheckTests(unittest.TestCase):
    def tearDown(self):
        while ROOTS:
            shutil.rmtree(ROOTS.pop(), ignore_errors=True)

    def test_real_tree_passes(self):
        build = os.environ.get("CX_BUILD_DIR")
        if not build or not os.path.exists(os.path.join(build, "layers.ok")):
            self.skipTest("no build directory with a layer check")
        with open(os.path.join(build, "layers.ok")) as f:
            self.assertEqual(f.read(), "ok\n")

    def test_good_tree_passes(self):
        rc, err, stamped = check(tree(GOOD))
        self.assertEqual(rc, 0, err)
        self.assertTrue(stamped)

    def test_upward_include_fails(self):
        rc, err, stamped = check(tree(dict(GOOD, **{"src/base/b.c": '#include "tools/priv.h"\n'})))
        self.assertEqual(rc, 1)
        self.assertIn("src/base/b.c: includes tools/priv.h of layer tools", err)
        self.assertFalse(stamped)

    def test_public_header_of_higher_layer_fails(self):
        rc, err, _ = check(tree(dict(GOOD, **{"src/tools/u.c": '#include "ccodex/agent.h"\n'})))
        self.assertEqual(rc, 1)
        self.assertIn("includes ccodex/agent.h of layer core", err)

    def test_cycle_fails(self):
        files = dict(GOOD, **{"src/tools/x.h": "", "src/tools/y.h": "",
                              "src/tools/x.c": '#include "tools/y.h"\n',
                              "src/tools/y.c": '#include "tools/x.h"\n'})
        rc, err, _ = check(tree(files))
        self.assertEqual(rc, 1)
        self.assertIn("include cycle among: src/tools/x <-> src/tools/y", err)

    def test_cycle_through_a_public_header_fails(self):
        # core/agent.c -> core/tset.c -> core/subs.c -> "ccodex/agent.h", which core/agent.c
        # implements: the shape of the agent -> tool set -> sub-agents loop
        files = dict(GOOD, **{"src/core/agent.c": '#include "core/tset.h"\n',
                              "src/core/tset.h": "", "src/core/subs.h": "",
                              "src/core/tset.c": '#include "core/subs.h"\n',
                              "src/core/subs.c": '#include "ccodex/agent.h"\n'})
        rc, err, _ = check(tree(files))
        self.assertEqual(rc, 1)
        self.assertIn("include cycle among: src/core/agent <-> src/core/subs <-> src/core/tset", err)

    def test_cli_may_use_only_exported_headers(self):
        rc, err, _ = check(tree(dict(GOOD, **{"src/cli/x.c": '#include "tools/priv.h"\n'})))
        self.assertEqual(rc, 1)
        self.assertIn("includes tools/priv.h, which layer tools does not export", err)

    def test_folder_outside_the_table_fails(self):
        rc, err, _ = check(tree(dict(GOOD, **{"src/newthing/n.c": ""})))
        self.assertEqual(rc, 1)
        self.assertIn("src/newthing/n.c: not in any layer", err)


if __name__ == "__main__":
    unittest.main()

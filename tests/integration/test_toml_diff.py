"""Differential test of ccodex's TOML parser against Python's tomllib: real Codex configs,
every valid toml-test document, and deterministic one-byte mutations of the configs (both
parsers must agree on accept/reject, and on the value when both accept)."""
import datetime, glob, json, math, os, random, subprocess, sys, tempfile, tomllib, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("CX_BUILD_DIR") or os.path.join(HERE, "..", "..", "build")
SHARED = os.environ.get("CX_SHARED_DIR") or os.path.join(HERE, "..", "..", "..", "shared")
DUMP = os.path.join(BUILD, "tests", "test_toml_suite")
# Known limitation: json-c object keys are C strings, so a key containing U+0000 loses
# everything from the NUL on. No Codex config has such a key.
KEYS_WITH_NUL = {"quoted-unicode.toml"}
CONFIGS = sorted(glob.glob(os.path.join(HERE, "..", "fixtures", "configs", "*.toml")))


def tag(v):
    """tomllib's value in toml-test's typed JSON, normalised like the C side's dump."""
    if isinstance(v, dict):
        return {k: tag(x) for k, x in v.items()}
    if isinstance(v, list):
        return [tag(x) for x in v]
    if isinstance(v, bool):
        return {"type": "bool", "value": "true" if v else "false"}
    if isinstance(v, int):
        if not -2**63 <= v < 2**63:
            # TOML 1.0 requires an error for integers that do not fit in 64 bits;
            # tomllib keeps Python's big ints, so count it as a rejection
            raise OverflowError(v)
        return {"type": "integer", "value": str(v)}
    if isinstance(v, float):
        return {"type": "float", "value": "nan" if math.isnan(v) else repr(v)}
    if isinstance(v, datetime.datetime):
        return {"type": "datetime" if v.tzinfo else "datetime-local", "value": None}
    if isinstance(v, datetime.date):
        return {"type": "date-local", "value": None}
    if isinstance(v, datetime.time):
        return {"type": "time-local", "value": None}
    return {"type": "string", "value": v}


def normalise_c(v):
    """The C dump with floats made comparable and date-time texts dropped (only kinds are
    compared: tomllib turns them into objects)."""
    if isinstance(v, dict) and set(v) == {"type", "value"} and isinstance(v["value"], str):
        t = v["type"]
        if t == "float":
            s = v["value"]
            if s in ("nan", "-nan"):
                return {"type": t, "value": "nan"}
            return {"type": t, "value": repr(float(s))}
        if t in ("datetime", "datetime-local", "date-local", "time-local"):
            return {"type": t, "value": None}
        return v
    if isinstance(v, dict):
        return {k: normalise_c(x) for k, x in v.items()}
    if isinstance(v, list):
        return [normalise_c(x) for x in v]
    return v


def c_parse(path):
    p = subprocess.run([DUMP, "--dump", path], capture_output=True, timeout=30)
    if p.returncode == 0:
        return True, normalise_c(json.loads(p.stdout))
    # a rejection must be a clear message with a position, never a crash
    assert p.returncode == 1, (path, p.returncode, p.stderr)
    assert b"line " in p.stderr and b"column " in p.stderr, p.stderr
    return False, None


def py_parse(data):
    try:
        return True, tag(tomllib.loads(data.decode("utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OverflowError):
        return False, None


class TomlDiff(unittest.TestCase):
    def check(self, path, data):
        ok_c, v_c = c_parse(path)
        ok_p, v_p = py_parse(data)
        self.assertEqual(ok_c, ok_p, f"{path}: ccodex {'accepts' if ok_c else 'rejects'}, "
                         f"tomllib {'accepts' if ok_p else 'rejects'}: {data[:200]!r}")
        if ok_c:
            self.assertEqual(v_c, v_p, path)

    def test_codex_configs(self):
        self.assertGreaterEqual(len(CONFIGS), 2)
        for path in CONFIGS:
            with open(path, "rb") as f:
                self.check(path, f.read())

    def test_valid_suite_documents(self):
        files = sorted(glob.glob(os.path.join(SHARED, "toml-test", "tests", "valid", "**", "*.toml"),
                             recursive=True))
        self.assertGreater(len(files), 100)
        for path in files:
            with open(path, "rb") as f:
                data = f.read()
            if not py_parse(data)[0]:
                continue  # newer-than-1.0 cases tomllib does not take either
            if os.path.basename(path) in KEYS_WITH_NUL:
                continue
            self.check(path, data)

    def test_mutated_configs(self):
        rng = random.Random(20261125)
        tmp = tempfile.mkdtemp(prefix="cx-tomldiff-")
        alphabet = b" \n\t=\"'[]{},.#\\_-+0e:xT"
        done = 0
        for path in CONFIGS:
            with open(path, "rb") as f:
                base = f.read()
            for i in range(150):
                data = bytearray(base)
                at = rng.randrange(len(data))
                op = rng.randrange(3)
                if op == 0:
                    del data[at]
                elif op == 1:
                    data[at] = alphabet[rng.randrange(len(alphabet))]
                else:
                    data.insert(at, alphabet[rng.randrange(len(alphabet))])
                out = os.path.join(tmp, f"m{done}.toml")
                with open(out, "wb") as f:
                    f.write(data)
                self.check(out, bytes(data))
                done += 1
        self.assertGreater(done, 200)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""Keep upstream's prose out of the captures committed under tests/fixtures/.

A capture of upstream's request carries upstream's own texts (base instructions, the
permissions and skills developer messages, tool descriptions). The comparison leaves those out
(compare_requests.py puts "<prose>" in their place on both sides), so the committed copy keeps
only their place, never their words.

usage: scrub_captures.py DIR...         rewrite every request-*.json/child-*.json below DIR
       scrub_captures.py --check DIR... exit 1 naming each capture that still carries prose
"""
import json, os, re, sys

OMITTED = "<upstream prose omitted>"
TAG = re.compile(r"^<([a-z_]+)>")


def scrub_text(text):
    """Keep a wrapping tag (<permissions instructions>, <skills_instructions>...): the
    comparison recognises some blocks by it."""
    m = TAG.match(text)
    if m and text != "<%s>\n%s\n</%s>" % (m.group(1), OMITTED, m.group(1)):
        return "<%s>\n%s\n</%s>" % (m.group(1), OMITTED, m.group(1))
    return text if m else OMITTED


def scrub_tools(x):
    if isinstance(x, dict):
        return {k: (OMITTED if k == "description" and isinstance(v, str) else scrub_tools(v))
                for k, v in x.items()}
    if isinstance(x, list):
        return [scrub_tools(v) for v in x]
    return x


def scrub_body(body):
    if isinstance(body.get("instructions"), str):
        body["instructions"] = OMITTED
    if "tools" in body:
        body["tools"] = scrub_tools(body["tools"])
    for item in body.get("input") or []:
        if isinstance(item, dict) and item.get("type") == "message" and item.get("role") == "developer":
            for part in item.get("content") or []:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    part["text"] = scrub_text(part["text"])
    return body


def captures(dirs):
    for d in dirs:
        for root, _, files in os.walk(d):
            for f in sorted(files):
                if f.endswith(".json") and (f.startswith("request-") or f.startswith("child-")):
                    yield os.path.join(root, f)


def main(argv):
    check = argv[:1] == ["--check"]
    dirs = argv[1:] if check else argv
    if not dirs:
        sys.exit(__doc__)
    dirty = []
    for path in captures(dirs):
        with open(path) as f:
            text = f.read()
        cap = json.loads(text)
        body = cap.get("body") if isinstance(cap, dict) else None
        if not isinstance(body, dict):
            continue
        before = json.dumps(body, sort_keys=True)
        scrub_body(body)
        if json.dumps(body, sort_keys=True) == before:
            continue
        if check:
            dirty.append(path)
            continue
        with open(path, "w") as f:
            json.dump(cap, f, indent=2, ensure_ascii=False)
            f.write("\n")
    for path in dirty:
        print("capture carries upstream prose: " + path)
    return 1 if dirty else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

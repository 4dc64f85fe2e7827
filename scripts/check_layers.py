#!/usr/bin/env python3
"""Build-time check of the layer rule (docs/ARCHITECTURE.md, "Layers"): every #include "..."
in src/ and include/ccodex/ names a header of the includer's own layer or of a layer it may
use, and no include cycle exists among modules (a module is a .c file with its .h).

  check_layers.py ROOT STAMP [--export=LAYER:HDR,HDR] [--app=LAYER] LAYER=DEP,DEP ...
  (the table comes from CMakeLists.txt, cx_add_layer)

Public headers belong to the layer that implements them (PUBLIC_LAYER below). An app
layer (the CLI) may include, of the other layers' src/ headers, only those exported.
Exits 1 and names each offending include or cycle; on success writes STAMP."""
import os, re, sys

# include/ccodex/<name> -> the layer that implements it
PUBLIC_LAYER = {"error.h": "base", "events.h": "base", "config.h": "config", "session.h": "session",
                "tools.h": "tools", "items.h": "core", "agent.h": "core", "runtime.h": "core",
                "version.h": "base", "export.h": "base"}
# include/ccodex/<name> -> the module that implements it, so that a cycle through a public
# header (core/agent.c -> ... -> #include "ccodex/agent.h") is a cycle of that module
PUBLIC_MODULE = {"agent.h": "src/core/agent", "runtime.h": "src/core/runtime",
                 "items.h": "src/core/items", "config.h": "src/config/config",
                 "tools.h": "src/tools/registry"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main(argv):
    root, stamp = argv[1], argv[2]
    exported, apps, table = set(), set(), []
    for arg in argv[3:]:
        if arg.startswith("--export="):
            _, _, hdrs = arg[len("--export="):].partition(":")
            exported |= {h for h in hdrs.split(",") if h}
        elif arg.startswith("--app="):
            apps.add(arg[len("--app="):])
        else:
            table.append(arg)
    deps = {}
    for entry in table:
        name, _, rest = entry.partition("=")
        deps[name] = [d for d in rest.split(",") if d]
    allowed = {}

    def closure(layer, seen=()):
        if layer in allowed:
            return allowed[layer]
        if layer in seen:
            sys.exit(f"layer table has a cycle through {layer}")
        out = {layer}
        for d in deps.get(layer, []):
            if d not in deps:
                sys.exit(f"layer {layer} uses unknown layer {d}")
            out |= closure(d, seen + (layer,))
        allowed[layer] = out
        return out

    for layer in deps:
        closure(layer)

    def layer_of(rel):  # rel: path relative to root
        parts = rel.split("/")
        if parts[0] == "include":
            return PUBLIC_LAYER.get(parts[-1])
        if parts[0] == "src" and len(parts) > 2:
            return parts[1]
        return None

    def module_of(rel):
        if rel.startswith("include/ccodex/") and os.path.basename(rel) in PUBLIC_MODULE:
            return PUBLIC_MODULE[os.path.basename(rel)]
        # x.c with x.h is one module; so is x's private header x_int.h / x_internal.h /
        # x_priv.h, which both x.c and x.h's family may include
        mod = os.path.splitext(rel)[0]
        for suffix in ("_int", "_internal", "_priv"):
            if mod.endswith(suffix):
                base = mod[: -len(suffix)]
                if os.path.exists(os.path.join(root, base + ".c")) or \
                        os.path.exists(os.path.join(root, base + ".h")):
                    return base
        return mod

    files = []
    for top in ("src", "include/ccodex"):
        for d, _, names in os.walk(os.path.join(root, top)):
            for n in sorted(names):
                if n.endswith((".c", ".h")):
                    files.append(os.path.relpath(os.path.join(d, n), root))
    problems = []
    graph = {}  # module -> set of modules it includes
    for rel in sorted(files):
        layer = layer_of(rel)
        if layer is None or layer not in deps:
            problems.append(f"{rel}: not in any layer (add its folder to the layer table)")
            continue
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            text = f.read()
        mod = module_of(rel)
        for inc in INCLUDE.findall(text):
            target = ("include/" + inc) if inc.startswith("ccodex/") else ("src/" + inc)
            if not os.path.exists(os.path.join(root, target)):
                continue  # generated or system-relative; not ours to judge
            tl = layer_of(target)
            if layer in apps and tl != layer and target.startswith("src/") and inc not in exported:
                problems.append(f"{rel}: includes {inc}, which layer {tl} does not export "
                                f"(EXPORTS in CMakeLists.txt)")
            if tl not in allowed[layer]:
                problems.append(f"{rel}: includes {inc} of layer {tl}, above or beside {layer} "
                                f"(may use: {', '.join(sorted(allowed[layer]))})")
            tmod = module_of(target)
            if tmod != mod:
                graph.setdefault(mod, set()).add(tmod)

    # Tarjan's strongly connected components: any with more than one module is a cycle
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    for comp in sccs:
        problems.append("include cycle among: " + " <-> ".join(comp))
    if problems:
        print("layer check failed (see docs/ARCHITECTURE.md, Layers):", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    with open(stamp, "w") as f:
        f.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Fails when an include in userspace/ runs against the layering.

Layers, lowest first (a file may include its own layer and lower ones only):
  base                 errors, logging, RAII owners, option helpers, StackFrame
  symbols | report     siblings: neither includes the other
  core                 probing, planner, sessions, stacks, run loop (and BPF skeletons)
  memcg                features several tools share
  serve                the exporter behind `bpfscope serve` (HTTP, config, collectors)
  tools, main.cpp      the drivers
Usage: check_layers.py [USERSPACE_DIR]; prints each violation as file:line.
"""
import pathlib
import re
import sys

RANK = {"base": 0, "symbols": 1, "report": 1, "core": 2, "memcg": 3, "serve": 4, "tools": 5}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def layer_of(path, root):
    parts = path.relative_to(root).parts
    return parts[0] if len(parts) > 1 else "tools"  # main.cpp sits with the drivers


def violations(root):
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".h", ".cpp", ".hpp"):
            continue
        layer = layer_of(path, root)
        if layer not in RANK:
            yield f"{path}: folder '{layer}' has no place in the layering (add it to {__file__})"
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            target = match.group(1)
            if "/" in target:
                target_layer = target.split("/", 1)[0]
                if target_layer not in RANK:
                    continue  # generated or third-party paths
            elif target.endswith(".skel.h"):
                target_layer = "core"  # loading BPF is core's business and above
            else:
                continue
            same_rank_sibling = RANK[target_layer] == RANK[layer] and target_layer != layer
            if RANK[target_layer] > RANK[layer] or same_rank_sibling:
                yield (f"{path}:{number}: {layer} includes {target} ({target_layer}); "
                       f"layers run base -> symbols|report -> core -> memcg -> serve -> tools")


def self_test():
    """The check must fail on a tree with a wrong-way include, and pass on a good one."""
    import tempfile
    with tempfile.TemporaryDirectory() as directory:
        root = pathlib.Path(directory)
        for folder in RANK:
            (root / folder).mkdir()
        (root / "base" / "a.h").write_text('#include "base/b.h"\n')
        (root / "core" / "c.cpp").write_text('#include "report/r.h"\n#include "x.skel.h"\n')
        if list(violations(root)):
            print("self-test: a good tree was flagged")
            return 1
        bad = {"base/d.cpp": "core/c.h", "symbols/s.cpp": "report/r.h",
               "report/r.cpp": "x.skel.h", "core/e.cpp": "memcg/m.h"}
        for name, target in bad.items():
            (root / name).write_text(f'#include "{target}"\n')
        found = list(violations(root))
        if len(found) != len(bad):
            print(f"self-test: expected {len(bad)} violations, found {found}")
            return 1
    print("self-test ok")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else
                        pathlib.Path(__file__).resolve().parent.parent / "userspace")
    found = list(violations(root))
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} include(s) against the layering")
        return 1
    print(f"layering ok: {sum(1 for _ in root.rglob('*.[ch]*'))} files checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Function lengths (p90 per crate) and struct field counts of the workspace's production code.

A function's length is its lines from the `fn` line to its closing brace, both included (doc
comments and attributes above it not counted; blank and comment lines inside it counted). Only
production code counts: modules declared under `#[cfg(test)]`, inline `#[cfg(test)]` items and
integration-test folders are left out; trait methods without a body are not functions here.
The p90 is the nearest-rank 90th percentile of one package's functions (its lib and bins).

Usage: sizes.py [--root DIR] [--max-p90 N] [--longest K] [--structs CRATE ...]
  --max-p90 N     exit 1 when a package's p90 is above N (default 30)
  --longest K     list each failing package's K longest functions (default 10; always with -v)
  --structs       list the structs with the most named fields in the given packages instead
"""
import argparse
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from modgraph import Crate, crate_roots, strip_noise  # noqa: E402

FN = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")
STRUCT = re.compile(r"\bstruct\s+([A-Za-z_][A-Za-z0-9_]*)[^;{(]*\{")
CFG_TEST = re.compile(r"#\[cfg\(test\)\]")


def block_end(text, i):
    """Index just past the brace block that opens at text[i] == '{'."""
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(text)


def body_start(text, i):
    """Index of the `{` opening the item that starts at i, or None when `;` ends it first."""
    depth = 0
    for j in range(i, len(text)):
        c = text[j]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif depth == 0 and c == ";":
            return None
        elif depth == 0 and c == "{":
            return j
    return None


def blank_test_items(text):
    """Blanks every item under an inline #[cfg(test)] (keeps newlines, so line numbers hold)."""
    for m in reversed(list(CFG_TEST.finditer(text))):
        start = body_start(text, m.end())
        if start is None:
            continue
        end = block_end(text, start)
        text = text[:m.start()] + re.sub(r"[^\n]", " ", text[m.start():end]) + text[end:]
    return text


def production_files(root):
    """(package, file) for every production source file of every package."""
    seen = set()
    for label, src in crate_roots(root):
        package = label.split(":")[0]
        crate = Crate(label, src)
        for module, file in crate.modules.items():
            if any(module[:k] in crate.test_modules for k in range(1, len(module) + 1)):
                continue
            if file not in seen:
                seen.add(file)
                yield package, file


def functions(file):
    """(name, first line, length) of every function with a body in the file."""
    with open(file, encoding="utf-8") as f:
        text = blank_test_items(strip_noise(f.read()))
    for m in FN.finditer(text):
        start = body_start(text, m.end())
        if start is None:
            continue
        end = block_end(text, start)
        first = text.count("\n", 0, m.start()) + 1
        last = text.count("\n", 0, end - 1) + 1
        yield m.group(1), first, last - first + 1


def structs(file):
    """(name, line, named field count) of every struct with named fields in the file."""
    with open(file, encoding="utf-8") as f:
        text = blank_test_items(strip_noise(f.read()))
    for m in STRUCT.finditer(text):
        start = m.end() - 1
        body = text[start + 1:block_end(text, start) - 1].replace("=>", "  ").replace("->", "  ")
        depth, fields = 0, 0
        for part in re.split(r"([{}()<>\[\],])", body):
            if part and part in "{(<[":
                depth += 1
            elif part and part in "})>]":
                depth -= 1
            elif depth == 0 and re.match(r"\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?[a-z_][a-z0-9_]*\s*:", part):
                fields += 1
        yield m.group(1), text.count("\n", 0, m.start()) + 1, fields


def p90(values):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)] if ordered else 0


def report_functions(root, max_p90, longest, verbose):
    per_package = {}
    for package, file in production_files(root):
        for name, line, length in functions(file):
            per_package.setdefault(package, []).append((length, f"{os.path.relpath(file, root)}:{line}", name))
    failed = 0
    print(f"{'package':<20} {'fns':>5} {'p50':>4} {'p90':>4} {'max':>4}")
    for package, fns in sorted(per_package.items()):
        lengths = [f[0] for f in fns]
        bad = p90(lengths) > max_p90
        failed += bad
        median = sorted(lengths)[(len(lengths) - 1) // 2]
        flag = f"  > {max_p90}" if bad else ""
        print(f"{package:<20} {len(fns):>5} {median:>4} {p90(lengths):>4} {max(lengths):>4}{flag}")
        if bad or verbose:
            for length, where, name in sorted(fns, reverse=True)[:longest]:
                print(f"    {length:>4}  {name}  {where}")
    return failed


def report_structs(root, packages, top):
    rows = []
    for package, file in production_files(root):
        if package in packages or os.path.basename(package) in packages:
            rows += [(n, name, f"{os.path.relpath(file, root)}:{line}") for name, line, n in structs(file)]
    for n, name, where in sorted(rows, reverse=True)[:top]:
        print(f"{n:>4}  {name}  {where}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    ap.add_argument("--max-p90", type=int, default=30)
    ap.add_argument("--longest", type=int, default=10)
    ap.add_argument("--structs", nargs="+", metavar="PACKAGE")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    if args.structs:
        report_structs(root, args.structs, args.longest)
        return
    failed = report_functions(root, args.max_p90, args.longest, args.verbose)
    if failed:
        print(f"{failed} package(s) with a function-length p90 above {args.max_p90}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

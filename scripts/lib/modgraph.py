#!/usr/bin/env python3
"""Module graph of every crate in the workspace, and the cycles in it.

Reads each crate's module tree from its `mod` declarations (file modules; inline `mod x { }`
blocks count as part of the file around them), then every path that names a module of the same
crate: `use` trees and qualified paths starting with `crate::`, `self::`, `super::` or the name
of a child module. An edge M -> T between two modules that are not ancestor and descendant is
lifted to the children of their lowest common ancestor (crate::a::x -> crate::b::y becomes a -> b
under crate), so each module's children must form a directed acyclic graph: no circle between
siblings, at any depth. A child using its parent (super::) or a parent using its children is
ownership, not a circle.

Usage: modgraph.py [--root DIR] [--verbose]   exit 1 when a cycle is found.
"""
import argparse
import glob
import os
import re
import sys

MOD_DECL = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([A-Za-z_][A-Za-z0-9_]*)\s*;", re.M)
PATH_ATTR = re.compile(r'#\[path\s*=\s*"([^"]+)"\]\s*$')
USE_STMT = re.compile(r"\buse\s+([^;]+);", re.S)
QUALIFIED = re.compile(r"(?<![A-Za-z0-9_:])((?:[A-Za-z_][A-Za-z0-9_]*)(?:\s*::\s*[A-Za-z_][A-Za-z0-9_]*)+)")


def strip_noise(text):
    """Blanks comments and string/char literals, keeping line numbers."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 8]) and (i == 0 or not text[i - 1].isalnum()):
            m = re.match(r'r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            j = n if end < 0 else end + 1 + len(m.group(1))
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(re.sub(r"[^\n]", " ", text[i:j + 1]))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]) or re.match(r"'\\u\{[0-9a-fA-F]+\}'", text[i:i + 12]):
            j = text.find("'", i + 2) + 1
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def expand_use(tree):
    """Expands a use tree (`a::{b, c::{d, e}}`) into its paths."""
    tree = re.sub(r"\s+", "", re.sub(r"\s+as\s+[A-Za-z_][A-Za-z0-9_]*", "", tree))
    paths, depth, start, brace = [], 0, 0, tree.find("{")
    if brace < 0:
        return [tree]
    prefix, inner = tree[:brace], tree[brace + 1:tree.rfind("}")]
    for i, c in enumerate(inner + ","):
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "," and depth == 0:
            part = inner[start:i]
            start = i + 1
            if part:
                paths += [prefix + p if p != "self" else prefix.rstrip(":") for p in expand_use(part)]
    return paths


class Crate:
    def __init__(self, name, src_root):
        self.name = name
        self.modules = {}  # tuple path -> file
        self.test_modules = set()  # modules declared under #[cfg(test)]
        self.load((), src_root)

    def load(self, path, file):
        self.modules[path] = file
        with open(file, encoding="utf-8") as f:
            text = strip_noise(f.read())
        lines = text.split("\n")
        base = os.path.dirname(file)
        stem = os.path.splitext(os.path.basename(file))[0]
        if path and stem not in ("mod", "lib", "main"):
            base = os.path.join(base, stem)
        for m in MOD_DECL.finditer(text):
            name = m.group(1)
            line_no = text.count("\n", 0, m.start())
            attr = PATH_ATTR.search(lines[line_no - 1].strip()) if line_no > 0 else None
            if attr:
                child = os.path.join(os.path.dirname(file), attr.group(1))
            else:
                child = os.path.join(base, name + ".rs")
                if not os.path.exists(child):
                    child = os.path.join(base, name, "mod.rs")
            if os.path.exists(child):
                if line_no > 0 and "cfg(test)" in lines[line_no - 1]:
                    self.test_modules.add(path + (name,))
                self.load(path + (name,), child)

    def resolve(self, module, segments):
        """The module a path names (its longest module prefix), or None outside the crate."""
        segs = list(segments)
        if segs[0] == "crate":
            cur, segs = (), segs[1:]
        elif segs[0] in ("self", "super"):
            cur = module
            while segs and segs[0] in ("self", "super"):
                if segs[0] == "super":
                    cur = cur[:-1]
                segs = segs[1:]
        elif module + (segs[0],) in self.modules:
            cur = module
        else:
            return None
        for s in segs:
            if cur + (s,) in self.modules:
                cur = cur + (s,)
            else:
                break
        return cur

    def edges(self):
        """(from module, to module, file, line) for every path to another module."""
        for module, file in self.modules.items():
            with open(file, encoding="utf-8") as f:
                text = strip_noise(f.read())
            spans = []
            for m in USE_STMT.finditer(text):
                spans.append((m.start(), m.end()))
                line = text.count("\n", 0, m.start()) + 1
                for p in expand_use(m.group(1)):
                    yield from self.edge(module, p.split("::"), file, line)
            for m in QUALIFIED.finditer(text):
                if any(a <= m.start() < b for a, b in spans):
                    continue
                line = text.count("\n", 0, m.start()) + 1
                yield from self.edge(module, re.sub(r"\s+", "", m.group(1)).split("::"), file, line)

    def edge(self, module, segs, file, line):
        segs = [s for s in segs if s and s != "*"]
        if not segs:
            return
        target = self.resolve(module, segs)
        if target is None or target == module:
            return
        yield module, target, file, line


def lift(src, dst):
    """(parent, a, b): the edge between the children of the lowest common ancestor, or None."""
    k = 0
    while k < min(len(src), len(dst)) and src[k] == dst[k]:
        k += 1
    if k == len(src) or k == len(dst):
        return None
    return src[:k], src[k], dst[k]


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

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
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def target_paths(manifest):
    """The src paths of a package's lib and bin targets: [lib]/[[bin]] `path`, else the defaults."""
    paths, section = [], None
    with open(manifest, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section in ("[lib]", "[[bin]]"):
                m = re.match(r'path\s*=\s*"([^"]+)"', line)
                if m and m.group(1) not in paths:
                    paths.append(m.group(1))
    d = os.path.dirname(manifest)
    defaults = ["src/lib.rs", "src/main.rs"] + sorted(os.path.relpath(p, d) for p in glob.glob(os.path.join(d, "src/bin/*.rs")))
    return paths + [p for p in defaults if p not in paths and os.path.exists(os.path.join(d, p))]


def crate_roots(root):
    """(crate label, root file) for every lib and bin target of the workspace's packages."""
    manifests = glob.glob(os.path.join(root, "*", "*", "Cargo.toml")) + glob.glob(os.path.join(root, "*", "Cargo.toml"))
    for manifest in sorted(manifests):
        d = os.path.dirname(manifest)
        rel = os.path.relpath(d, root)
        if rel.split(os.sep)[0] in ("target", "fuzz") or rel.startswith(os.path.join("tests", "compat")):
            continue
        for f in target_paths(manifest):
            yield f"{rel}:{f}", os.path.join(d, f)


def check(root, verbose):
    found, n_modules, n_edges = 0, 0, 0
    for name, src in crate_roots(root):
        crate = Crate(name, src)
        n_modules += len(crate.modules)
        graphs, where = {}, {}
        for a, b, file, line in crate.edges():
            lifted = lift(a, b)
            if lifted is None:
                continue
            n_edges += 1
            parent, x, y = lifted
            graphs.setdefault(parent, {}).setdefault(x, set()).add(y)
            where.setdefault((parent, x, y), f"{os.path.relpath(file, root)}:{line} ({'::'.join(a) or 'crate'} -> {'::'.join(b)})")
        for parent, graph in sorted(graphs.items()):
            for comp in cycles(graph):
                found += 1
                label = "::".join(("crate",) + parent)
                print(f"cycle in {name} under {label}: {' <-> '.join(comp)}")
                for x in comp:
                    for y in sorted(graph.get(x, ())):
                        if y in comp:
                            print(f"  {x} -> {y}: {where[(parent, x, y)]}")
        if verbose:
            print(f"{name}: {len(crate.modules)} modules")
    print(f"module cycles: {found} ({n_modules} modules, {n_edges} cross-module uses)")
    return found


def self_test():
    """Checks the checker on two tiny crates: one with a sibling circle, one without."""
    import contextlib
    import io
    import tempfile

    files = {
        "Cargo.toml": "[package]\nname = \"t\"\n",
        "src/lib.rs": "mod a;\nmod b;\n#[cfg(test)]\nmod tests;\n",
        "src/a.rs": "use crate::b::{self, Thing as T};\npub fn f() {}\nmod inner;\n",
        "src/a/inner.rs": "use super::super::b::Thing; // crate::a::inner -> crate::b\n",
        "src/b.rs": "pub struct Thing;\nfn g() { let s = \"crate::a::f\"; }\n",
        "src/tests.rs": "use super::a::f;\nuse super::b::Thing;\n",
    }
    for circle in (False, True):
        with tempfile.TemporaryDirectory() as d:
            for name, text in files.items():
                os.makedirs(os.path.dirname(os.path.join(d, "c", name)), exist_ok=True)
                if circle and name == "src/b.rs":
                    text += "fn h() { crate::a::f(); }\n"
                with open(os.path.join(d, "c", name), "w", encoding="utf-8") as f:
                    f.write(text)
            with contextlib.redirect_stdout(io.StringIO()):
                found = check(d, False)
            if found != int(circle):
                print(f"modgraph self-test failed: {found} cycle(s) found, {int(circle)} expected")
                return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--self-test", action="store_true", help="check the checker on two tiny crates first")
    args = ap.parse_args()
    if args.self_test and self_test():
        sys.exit(2)
    sys.exit(1 if check(os.path.abspath(args.root), args.verbose) else 0)


if __name__ == "__main__":
    main()

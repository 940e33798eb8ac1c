"""`./run bench`: run every benchmark in turn, the ones named, or one with its options.

    ./run bench                 every benchmark
    ./run bench --help          the list, with what each measures
    ./run bench NAME [NAME...]  those benchmarks
    ./run bench NAME --help     that benchmark's options (any other options go to it too)
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
from pathlib import Path

import bench


def benchmarks() -> dict[str, str]:
    """Each benchmark's name and the first line of its docstring, read without importing
    it (a benchmark imports the hub, the edge and the test services)."""
    found = {}
    for module in pkgutil.iter_modules(bench.__path__):
        if module.name.startswith("_"):
            continue
        source = Path(bench.__path__[0], f"{module.name}.py").read_text(encoding="utf-8")
        doc = ast.get_docstring(ast.parse(source)) or ""
        found[module.name] = " ".join(doc.split("\n\n")[0].split())
    return dict(sorted(found.items()))


def usage() -> str:
    known = benchmarks()
    width = max(len(name) for name in known)
    lines = [__doc__.strip(), "", "benchmarks:"]
    lines += [f"  {name:<{width}}  {summary}" for name, summary in known.items()]
    return "\n".join(lines)


def run(name: str, args: list[str]) -> None:
    module = importlib.import_module(f"bench.{name}")
    sys.argv = [f"bench.{name}", *args]
    module.main()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    known = benchmarks()
    if argv and argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    if argv and argv[0] not in known:
        print(f"unknown benchmark: {argv[0]}\n\n{usage()}", file=sys.stderr)
        return 2
    if argv and not all(arg in known for arg in argv):
        run(argv[0], argv[1:])  # one benchmark with its own options
        return 0
    for name in argv or list(known):
        print(f"\n=== bench.{name}", flush=True)
        run(name, [])
    return 0


if __name__ == "__main__":
    sys.exit(main())

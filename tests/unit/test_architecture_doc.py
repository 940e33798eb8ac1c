"""docs/architecture.md, the one-page map, checked against the tree: every file or folder
it names in backticks exists (and every relative link), and every folder of the code is
named in it, so a new folder or a moved file fails here until the map says so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from tests.unit.test_architecture import PACKAGES

ROOT = Path(__file__).resolve().parents[2]
DOC = Path("docs/architecture.md")

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
# A path as the map writes it: no braces, wildcards, ellipses or spaces (those are topics,
# URL paths and patterns), relative to the repository's root.
PATH_LIKE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.-]+)*/?")
FILE_ENDINGS = (".py", ".md", ".yaml", ".yml", ".toml", ".js", ".html", ".css", ".json",
                ".ini", ".cfg", ".txt", ".sh")
SKIPPED_FOLDERS = ("__pycache__",)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    # Fenced blocks (the flow sketch) hold no names to check; keep the line numbers.
    text = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    yield from enumerate(text.splitlines(), 1)


def named_paths(text: str) -> Iterator[tuple[int, str]]:
    """(line, path) for every backticked name that looks like a file or folder."""
    for number, line in _lines(text):
        for token in CODE_SPAN.findall(line):
            if PATH_LIKE.fullmatch(token) and ("/" in token or token.endswith(FILE_ENDINGS)):
                yield number, token


def _holds_files(folder: Path) -> bool:
    """A folder of the code: it holds a file that is not a cache (a folder git moved
    away from can linger with only `__pycache__`)."""
    return any(p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
               for p in folder.rglob("*"))


def code_folders(root: Path) -> list[str]:
    """Every top-level Python package (the parts, and tests/, bench/ ...) and every folder
    inside a part of the code (PACKAGES: the hub's parts, the contract, the agent and the
    simulator), as `a/b/`."""
    tops = {p.name for p in root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / "__init__.py").exists()}
    parts = [folder for folder in PACKAGES.values() if (root / folder).is_dir()]
    found = [f"{top}/" for top in sorted(tops | set(parts))]
    for top in sorted(parts):
        for path in sorted((root / top).rglob("*")):
            relative = path.relative_to(root)
            if (path.is_dir() and not any(part.startswith(".") or part in SKIPPED_FOLDERS
                                          for part in relative.parts)
                    and _holds_files(path)):
                found.append(f"{relative.as_posix()}/")
    return found


def missing_paths(root: Path, doc: Path = DOC) -> list[str]:
    """`docs/architecture.md:line: ...` for every named path or relative link that is not
    there. A bare file name (`schemas.py`) must exist in some part."""
    problems = []
    text = (root / doc).read_text(encoding="utf-8")
    for number, name in named_paths(text):
        path = name.rstrip("/")
        if "/" in path:
            there = (root / path).is_dir() if name.endswith("/") else (root / path).exists()
        else:
            there = (root / path).exists() or any(
                any((root / top).rglob(path)) for top in PACKAGES.values()
                if (root / top).is_dir())
        if not there:
            problems.append(f"{doc.as_posix()}:{number}: names `{name}`, which does not "
                            f"exist: correct the map (moved? renamed?)")
    for number, line in _lines(text):
        for target in LINK.findall(line):
            if "://" in target or target.startswith("#"):
                continue
            if not (root / doc.parent / target.split("#", 1)[0]).exists():
                problems.append(f"{doc.as_posix()}:{number}: links to `{target}`, which does "
                                f"not exist")
    return problems


def unnamed_folders(root: Path, doc: Path = DOC) -> list[str]:
    """Every folder of the code that the map does not name (as `a/b/` or `a/b`)."""
    named = {name.rstrip("/") for _, name in named_paths(
        (root / doc).read_text(encoding="utf-8"))}
    return [f"{folder} is a folder of the code that {doc.as_posix()} does not name: say in "
            f"the map what it holds" for folder in code_folders(root)
            if folder.rstrip("/") not in named]


def test_every_path_the_map_names_exists() -> None:
    problems = missing_paths(ROOT)
    assert not problems, "\n" + "\n".join(problems)


def test_the_map_names_every_folder_of_the_code() -> None:
    problems = unnamed_folders(ROOT)
    assert not problems, "\n" + "\n".join(problems)


def test_the_map_says_where_a_dispatch_is_decided_and_an_alarm_message_written() -> None:
    named = {name for _, name in named_paths((ROOT / DOC).read_text(encoding="utf-8"))}
    for place in ("inventory/services.py", "inventory/allocation.py", "inventory/repository.py",
                  "alerts/notifications/plan.py", "alerts/engine/conditions.py"):
        assert place in named, place


def _tree(root: Path, doc: str) -> None:
    for folder in PACKAGES.values():
        (root / folder).mkdir()
        (root / folder / "__init__.py").write_text("")
    (root / "inventory" / "allocation.py").write_text("")
    (root / "docs").mkdir()
    (root / "docs" / "other.md").write_text("")
    (root / "docs" / "architecture.md").write_text(doc)


MAP = ("".join(f"`{folder}/` " for folder in PACKAGES.values())
       + "\nDispatch: `inventory/allocation.py`, `schemas.py` is per part, [x](other.md).\n")


def test_a_sound_map_passes(tmp_path: Path) -> None:
    _tree(tmp_path, MAP.replace("`schemas.py`", "`allocation.py`"))
    assert missing_paths(tmp_path) == []
    assert unnamed_folders(tmp_path) == []


def test_a_path_that_is_gone_is_named_with_its_line(tmp_path: Path) -> None:
    _tree(tmp_path, MAP + "Pick: `inventory/pick.py`, topic `stockwarden/v1/{site}/scan`, "
                          "`/api/v1/moves`, `*.orm`, [y](gone.md#top).\n")
    assert missing_paths(tmp_path) == [
        "docs/architecture.md:2: names `schemas.py`, which does not exist: correct the map "
        "(moved? renamed?)",
        "docs/architecture.md:3: names `inventory/pick.py`, which does not exist: correct "
        "the map (moved? renamed?)",
        "docs/architecture.md:3: links to `gone.md#top`, which does not exist"]


def test_a_new_folder_fails_until_the_map_names_it(tmp_path: Path) -> None:
    _tree(tmp_path, MAP)
    (tmp_path / "inventory" / "picking").mkdir()
    (tmp_path / "inventory" / "picking" / "__init__.py").write_text("")
    (tmp_path / "alerts" / "gone" / "__pycache__").mkdir(parents=True)  # left by a move
    (tmp_path / "alerts" / "gone" / "__pycache__" / "x.pyc").write_text("")
    assert unnamed_folders(tmp_path) == [
        "inventory/picking/ is a folder of the code that docs/architecture.md does not name: "
        "say in the map what it holds"]
    (tmp_path / "docs" / "architecture.md").write_text(MAP + "`inventory/picking/`\n")
    assert unnamed_folders(tmp_path) == []

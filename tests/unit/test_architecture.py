"""The dependency directions between the hub's parts, checked on the source.

Every import statement of every module (also those inside functions) is read
with `ast`; a rule names the modules it covers and the imports they may not
make. A broken rule fails with the file, the import and the rule."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Package name -> folder (firmware-sim/ is the package firmware_sim).
PACKAGES = {
    "hub": "hub", "kernel": "kernel", "ingest": "ingest", "inventory": "inventory",
    "alerts": "alerts", "edge": "edge", "firmware_sim": "firmware-sim", "contract": "contract",
}
PARTS = ("kernel", "ingest", "inventory", "alerts", "edge", "firmware_sim", "contract")
HUB_PARTS = ("hub", "kernel", "ingest", "inventory", "alerts")
FRAMEWORKS = ("fastapi", "sqlalchemy", "starlette", "paho", "pymodbus", "serial")
HUB_ONLY = ("fastapi", "sqlalchemy", "alembic", "influxdb_client", "uvicorn")

# Domain rules as plain Python: unit-tested in milliseconds, no IO. Modules
# listed but not (yet) written are skipped.
PURE = (
    "inventory/allocation.py",
    "inventory/domain.py",
    "inventory/gs1.py",
    "inventory/consignees.py",
    "inventory/scans/interpret.py",
    "inventory/commands.py",
    "inventory/hooks.py",
    "inventory/stocktakes/domain.py",
    "inventory/labels/render.py",
    "kernel/actors.py",
    "kernel/errors.py",
    "kernel/clock.py",
    "kernel/audit_chain.py",
    "hub/accounts/lockout.py",
    "hub/accounts/password_policy.py",
    "ingest/rollup.py",
    "ingest/out_of_range.py",
    "ingest/checks.py",
    "ingest/lineproto.py",
    "ingest/settings.py",
    "ingest/compliance.py",
    "inventory/abc.py",
    "inventory/scans/settings.py",
    "alerts/rules/document.py",
    "alerts/engine/evaluator.py",
    "alerts/notifications/plan.py",
    "alerts/notifications/words.py",
    "alerts/challenge/plan.py",
    "alerts/model.py",
    "alerts/engine/lifecycle.py",
    "alerts/engine/conditions.py",
    "alerts/engine/excursions.py",
    "alerts/rules/book.py",
    "alerts/rules/edits.py",
    "alerts/rules/url_secrets.py",
    "alerts/engine/stock_findings.py",
    "alerts/engine/findings.py",
    "alerts/sources.py",
    "alerts/settings.py",
)


@dataclass(frozen=True)
class Rule:
    name: str
    modules: tuple[str, ...]  # folders ("ingest/") or files ("ingest/rollup.py")
    forbidden: tuple[str, ...]  # top-level package names
    exempt: tuple[str, ...] = ()  # folders or files inside `modules` the rule leaves out
    # Module names by their last part, in any package ("orm": kernel.orm, ingest.orm ...),
    # also when imported by name (`from ingest import orm`).
    forbidden_leaves: tuple[str, ...] = ()

    def forbids(self, target: str) -> bool:
        return (target.split(".")[0] in self.forbidden
                or target.rsplit(".", 1)[-1] in self.forbidden_leaves)

    def covers(self, relative: str) -> bool:
        def within(places: tuple[str, ...]) -> bool:
            return any(relative == m or relative.startswith(m) for m in places)
        return within(self.modules) and not within(self.exempt)


def _folder(package: str) -> str:
    return PACKAGES[package] + "/"


RULES = (
    Rule("the kernel imports no part of the hub",
         (_folder("kernel"),), ("hub", *[p for p in PARTS if p != "kernel"])),
    Rule("ingest does not import the inventory (only the kernel)",
         (_folder("ingest"),), ("inventory",)),
    Rule("the inventory does not import ingest (only the kernel)",
         (_folder("inventory"),), ("ingest",)),
    Rule("alerts imports neither ingest nor the inventory (the hub injects what it needs)",
         (_folder("alerts"),), ("ingest", "inventory")),
    Rule("no part imports hub (the composition root)",
         tuple(_folder(p) for p in PARTS), ("hub",)),
    Rule("pure domain modules import no framework or IO library", PURE, FRAMEWORKS),
    Rule("the edge and the simulator import nothing of the hub's packages or extras",
         (_folder("edge"), _folder("firmware_sim")),
         ("hub", "ingest", "inventory", "alerts", "kernel", *HUB_ONLY)),
    Rule("the contract (what gateways and hub share) imports neither the hub's parts nor the "
         "gateway agent, nor the hub's or the edge's extras",
         (_folder("contract"),),
         ("hub", "ingest", "inventory", "alerts", "kernel", "edge", "firmware_sim", *HUB_ONLY,
          "pymodbus", "serial")),
    # The one CLI also starts a gateway agent and the simulator (`stockwarden edge`,
    # `stockwarden demo`): those commands import them lazily, as programs to run.
    Rule("no hub part imports the gateway agent (shared code is in contract/)",
         tuple(_folder(p) for p in HUB_PARTS), ("edge", "firmware_sim"),
         exempt=("hub/cli/", "hub/demo.py")),
    # hub/db.py is the one file of the composition root that builds engines and sessions
    # (and names their types for the others): it is not listed.
    Rule("the composition root runs no SQL: it imports neither sqlalchemy nor any part's "
         "tables (*.orm); it calls the parts' services and queries",
         ("hub/alarm_wiring.py", "hub/gateway_status.py", "hub/container.py", "hub/app.py",
          "hub/routes/alarms.py"),
         ("sqlalchemy",), forbidden_leaves=("orm",)),
    # SQL has two homes per part (repository.py, queries.py): a route calls them.
    Rule("routes run no SQL of their own (they call a part's services and queries)",
         ("hub/routes/",), ("sqlalchemy",), forbidden_leaves=("orm",)),
)


def _module_name(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    parts[0] = next(k for k, v in PACKAGES.items() if v == parts[0])
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import in the file, relative ones resolved;
    `from a import b` gives `a` and `a.b` (b may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                if node.module is None:  # from .. import a, b: each name is a module
                    for alias in node.names:
                        yield node.lineno, ".".join([*base, alias.name])
                    continue
                target = ".".join([*base, node.module])
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{target}.{alias.name}"


def violations(root: Path, rules: tuple[Rule, ...] = RULES) -> list[str]:
    found = []
    for folder in PACKAGES.values():
        for path in sorted((root / folder).rglob("*.py")):
            relative = path.relative_to(root)
            text = relative.as_posix()
            if "/migrations/" in text:
                continue
            applicable = [r for r in rules if r.covers(text)]
            if not applicable:
                continue
            broken: set[tuple[int, str]] = set()  # one problem per import statement and rule
            for line, target in imports(path, _module_name(relative)):
                for rule in applicable:
                    if rule.forbids(target) and (line, rule.name) not in broken:
                        broken.add((line, rule.name))
                        found.append(f"{text}:{line}: imports {target}: breaks "
                                     f"'{rule.name}'")
    return found


# SQL has homes inside the inventory, ingest, alerts and the accounts (and each of their
# subpackages): `orm.py` (tables), `repository.py` (use-case reads, writes, locks) and
# `queries.py` (read models). Any other module may name a session's type and catch
# database errors, nothing more.
SQL_PARTS = ("inventory/", "ingest/", "alerts/", "hub/accounts/")
SQL_RULE = ("inside inventory/, ingest/, alerts/ and hub/accounts/ only orm.py, repository.py "
            "and queries.py build SQL: other modules import from sqlalchemy only Session, "
            "sessionmaker and sqlalchemy.exc")
SQL_HOMES = ("orm.py", "repository.py", "queries.py")
SQL_EXCEPTIONS = {
    # Posting a booking is the hot path: prebuilt Core inserts, measured in bench/.
    "inventory/ledger.py": "the benchmark-justified hot path of every booking",
    # The reports' read models: a queries module of its own, as queries.py would pass 400 lines.
    "inventory/report_queries.py": "the reports' read models, split from queries.py for size",
    # The readings' hot path (called by ingest/store.py): built through the ORM its
    # statements cost ~100 µs a row.
    "ingest/batch_sql.py": "the readings' hot path: one set-wise statement per table and "
                           "batch, in each database's own terms",
    # The drain reads, sends and deletes outbox batches in its own loop and transactions.
    "ingest/tsdb.py": "the time-series outbox drain: a row is deleted only after the store "
                      "accepted it",
}
SQL_TYPES = ("sqlalchemy.orm.Session", "sqlalchemy.orm.sessionmaker")


def sqlalchemy_names(path: Path) -> Iterator[tuple[int, str]]:
    """(line, name) for every name a file imports from sqlalchemy: `sqlalchemy.select`,
    `sqlalchemy.orm.Session`, or the module itself for `import sqlalchemy`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module and \
                node.module.split(".")[0] == "sqlalchemy":
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _sql_allowed(name: str) -> bool:
    return name in SQL_TYPES or name == "sqlalchemy.exc" or name.startswith("sqlalchemy.exc.")


def sql_outside_its_homes(root: Path) -> list[str]:
    """`file:line: imports name: breaks '<SQL_RULE>'` for every sqlalchemy import of
    the parts in SQL_PARTS outside their SQL homes and the named exceptions."""
    found = []
    for part in SQL_PARTS:
        for path in sorted((root / part).rglob("*.py")):
            text = path.relative_to(root).as_posix()
            if path.name in SQL_HOMES or text in SQL_EXCEPTIONS:
                continue
            for line, name in sqlalchemy_names(path):
                if not _sql_allowed(name):
                    found.append(f"{text}:{line}: imports {name}: breaks '{SQL_RULE}'")
    return found


def test_the_parts_build_sql_in_their_homes_only() -> None:
    problems = sql_outside_its_homes(ROOT)
    assert not problems, "\n" + "\n".join(problems)


def test_every_sql_exception_exists() -> None:
    assert [m for m in SQL_EXCEPTIONS if not (ROOT / m).exists()] == []
    assert all(SQL_EXCEPTIONS.values()), "every exception says why"


@pytest.mark.parametrize(("module", "source", "line", "name"), [
    ("inventory/services.py", "from sqlalchemy.orm import Session\nfrom sqlalchemy import select\n",
     2, "sqlalchemy.select"),
    ("inventory/scans/booking.py", "from sqlalchemy.orm import Session, aliased\n", 1,
     "sqlalchemy.orm.aliased"),
    ("inventory/labels/sheets.py", "def f():\n    import sqlalchemy\n", 2, "sqlalchemy"),
    ("inventory/stocktakes/service.py", "from sqlalchemy import orm\n", 1, "sqlalchemy.orm"),
    ("ingest/sensors.py", "from sqlalchemy.orm import Session\nfrom sqlalchemy import select\n",
     2, "sqlalchemy.select"),
    ("alerts/service.py", "def f():\n    import sqlalchemy\n", 2, "sqlalchemy"),
    ("hub/accounts/service.py", "from sqlalchemy.orm import Mapped\n", 1,
     "sqlalchemy.orm.Mapped"),
])
def test_sql_outside_its_homes_is_named_with_file_and_line(
    tmp_path: Path, module: str, source: str, line: int, name: str,
) -> None:
    (tmp_path / module).parent.mkdir(parents=True)
    (tmp_path / module).write_text(source)
    assert sql_outside_its_homes(tmp_path) == [f"{module}:{line}: imports {name}: breaks "
                                               f"'{SQL_RULE}'"]


def test_sql_in_its_homes_and_session_types_elsewhere_pass(tmp_path: Path) -> None:
    for home in ("inventory/queries.py", "inventory/scans/repository.py",
                 "inventory/labels/queries.py", "inventory/stocktakes/orm.py",
                 "inventory/ledger.py", "ingest/batch_sql.py", "alerts/queries.py",
                 "hub/accounts/repository.py"):
        (tmp_path / home).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / home).write_text("from sqlalchemy import select, update\n")
    (tmp_path / "inventory/services.py").write_text(
        "from sqlalchemy.orm import Session, sessionmaker\n"
        "from sqlalchemy.exc import IntegrityError\nfrom sqlalchemy import exc\n")
    assert sql_outside_its_homes(tmp_path) == []


def test_the_parts_import_in_the_allowed_directions_only() -> None:
    problems = violations(ROOT)
    assert not problems, "\n" + "\n".join(problems)


def test_every_pure_module_listed_exists() -> None:
    missing = [m for m in PURE if not (ROOT / m).exists()]
    assert not missing


@pytest.mark.parametrize(("module", "source", "rule"), [
    ("kernel/bad.py", "from inventory.orm import Item\n", "the kernel imports no part"),
    ("ingest/bad.py", "def f():\n    import inventory.services\n",
     "ingest does not import the inventory"),
    ("inventory/bad.py", "from ingest import queries\n", "the inventory does not import ingest"),
    ("alerts/bad.py", "from hub.settings import HubSettings\n", "no part imports hub"),
    ("alerts/service.py", "from ingest import queries\n", "alerts imports neither ingest"),
    ("alerts/repository.py", "import inventory.services\n", "alerts imports neither ingest"),
    ("inventory/domain.py", "from sqlalchemy import select\n",
     "pure domain modules import no framework"),
    ("alerts/rules/document.py", "import paho.mqtt.client\n",
     "pure domain modules import no framework"),
    ("edge/bad.py", "from kernel.errors import Invalid\n", "the edge and the simulator"),
    ("firmware-sim/bad.py", "import fastapi\n", "the edge and the simulator"),
    ("contract/bad.py", "from edge import config\n", "the contract"),
    ("contract/bad.py", "import sqlalchemy\n", "the contract"),
    ("ingest/bad.py", "from edge.outbox import Outbox\n", "no hub part imports the gateway agent"),
    ("hub/bad.py", "import edge.config\n", "no hub part imports the gateway agent"),
    ("kernel/sub/__init__.py", "from ... import hub\n", "the kernel imports no part"),
    ("hub/alarm_wiring.py", "from sqlalchemy import select\n", "the composition root runs no SQL"),
    ("hub/alarm_wiring.py", "from inventory.orm import Lot\n", "the composition root runs no SQL"),
    ("hub/alarm_wiring.py", "from ingest import orm\n", "the composition root runs no SQL"),
    ("hub/container.py", "from sqlalchemy.orm import sessionmaker\n",
     "the composition root runs no SQL"),
    ("hub/app.py", "def f():\n    from kernel.orm import Zone\n",
     "the composition root runs no SQL"),
])
def test_a_broken_rule_is_named_with_file_and_import(
    tmp_path: Path, module: str, source: str, rule: str
) -> None:
    for folder in PACKAGES.values():
        (tmp_path / folder).mkdir()
    (tmp_path / module).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / module).write_text(source)
    problems = violations(tmp_path)
    assert len(problems) >= 1, problems
    assert problems[0].startswith(f"{module}:")
    assert rule in problems[0]
    assert "imports " in problems[0]


def test_allowed_imports_pass(tmp_path: Path) -> None:
    for folder in PACKAGES.values():
        (tmp_path / folder).mkdir()
    (tmp_path / "ingest/ok.py").write_text(
        "from kernel.orm import Zone\nfrom contract import wire\n")
    (tmp_path / "inventory/ok.py").write_text("from . import domain\nfrom kernel import uow\n")
    (tmp_path / "hub/routes").mkdir()
    (tmp_path / "hub/routes/ok.py").write_text(
        "from inventory import queries\nfrom inventory.schemas import ItemPublic\n"
        "from hub.deps import SessionDep\n")
    assert violations(tmp_path) == []


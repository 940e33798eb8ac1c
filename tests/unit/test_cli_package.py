"""hub/cli/ has no import circle: the command modules share hub/cli/common.py and
import no other command module; only the package's __init__ gathers them."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_architecture import ROOT, imports

CLI = ROOT / "hub" / "cli"


def test_command_modules_import_only_the_common_module_of_the_cli() -> None:
    problems = []
    for path in sorted(CLI.glob("*.py")):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        module = f"hub.cli.{path.stem}"
        for line, target in imports(path, module):
            # `from hub.cli.common import fail` also reads as hub.cli.common.fail.
            within_common = target == "hub.cli.common" or target.startswith("hub.cli.common.")
            if target.startswith("hub.cli") and not within_common:
                problems.append(f"hub/cli/{path.name}:{line}: imports {target}")
    assert not problems, "\n" + "\n".join(problems)


def test_the_common_module_imports_no_command_module() -> None:
    common: Path = CLI / "common.py"
    assert not [t for _, t in imports(common, "hub.cli.common") if t.startswith("hub.cli")]

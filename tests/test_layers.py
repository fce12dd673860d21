"""The layers contract: imports point down, never up.

The layers are declared once, in pyproject.toml's `[tool.importlinter]` layers contract. This file
enforces them twice: with import-linter itself (when it is installed, as the `test` extra does), and with
its own reading of every import statement of every module by `ast`, function-local and
`if TYPE_CHECKING:` imports included, so the guard runs in CI either way and no import can hide from it.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT


@dataclass(frozen=True)
class Contract:
    """The layers, top first; each layer is a set of module prefixes, and `independent` says whether its
    modules may import each other (`|` in import-linter: no; `:`: yes)."""

    roots: tuple[str, ...]
    layers: tuple[tuple[frozenset[str], bool], ...]

    def place(self, module: str) -> tuple[int, str] | None:
        """(layer index, the layer module that holds ``module``), the longest prefix winning."""
        best: tuple[int, str] | None = None
        for index, (names, _) in enumerate(self.layers):
            for name in names:
                if (module == name or module.startswith(name + ".")) and (best is None or len(name) > len(best[1])):
                    best = (index, name)
        return best

    def packages(self) -> set[str]:
        """The packages that hold layers without being one (gate, gate.core): a docstring, a version."""
        names = [name for names, _ in self.layers for name in names]
        return {name.rsplit(".", depth)[0] for name in names for depth in range(1, name.count(".") + 1)}


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    importer: str
    imported: str


def load_contract(pyproject: Path) -> Contract:
    config = tomllib.loads(pyproject.read_text())["tool"]["importlinter"]
    (layered,) = [c for c in config["contracts"] if c["type"] == "layers"]
    layers = []
    for spec in layered["layers"]:
        independent = "|" in spec
        assert not (independent and ":" in spec), f"a layer mixes | and : ({spec})"
        layers.append((frozenset(s.strip() for s in spec.replace("|", ":").split(":")), independent))
    return Contract(tuple(config["root_packages"]), tuple(layers))


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(root: Path, packages: tuple[str, ...]) -> Iterator[Import]:
    """Every import statement in ``packages`` under ``root``, wherever it sits in the module."""
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            importer = module_name(root, path)
            here = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    if node.level:
                        base = here.split(".")[: len(here.split(".")) - node.level + 1]
                        origin = ".".join(base + ([node.module] if node.module else []))
                    else:
                        origin = node.module or ""
                    # `from a import b` may import the module a.b: count both
                    targets = [origin] + [f"{origin}.{alias.name}" for alias in node.names]
                else:
                    continue
                for target in targets:
                    yield Import(path, node.lineno, importer, target)


def violations(root: Path, contract: Contract) -> list[str]:
    found = []
    for imp in imports(root, contract.roots):
        where, what = contract.place(imp.importer), contract.place(imp.imported)
        if imp.imported.split(".")[0] not in contract.roots:
            continue  # a third-party or stdlib module
        if where is None:
            found.append(f"{imp.path.relative_to(root)}: {imp.importer} is in no layer")
            continue
        if what is None:
            if imp.imported in contract.packages() or imp.imported.rpartition(".")[0] in contract.packages():
                # a package that holds layers, or a name from its __init__ (`from gate import __version__`):
                # inert (test_the_packages_that_hold_layers_import_nothing); its modules are checked as
                # `from gate.core import model` also yields gate.core.model
                continue
            found.append(f"{imp.path.relative_to(root)}:{imp.line}: {imp.imported} is in no layer")
            continue
        if what[0] < where[0]:
            found.append(f"{imp.path.relative_to(root)}:{imp.line}: {imp.importer} imports {imp.imported}, "
                         f"a higher layer ({what[1]} above {where[1]})")
        elif what[0] == where[0] and what[1] != where[1] and contract.layers[what[0]][1]:
            found.append(f"{imp.path.relative_to(root)}:{imp.line}: {imp.importer} imports {imp.imported}, "
                         f"an independent sibling ({what[1]} beside {where[1]})")
    return sorted(set(found))


def private_imports(root: Path, packages: tuple[str, ...]) -> list[str]:
    """`from module import _helper` across modules: a private name is its module's own business."""
    found = []
    for path in sorted(p for package in packages for p in (root / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.relative_to(root)}:{node.lineno}: imports {node.module}.{alias.name}")
    return found


CONTRACT = load_contract(ROOT / "pyproject.toml")


def test_no_import_points_up_a_layer() -> None:
    assert violations(ROOT, CONTRACT) == []


def test_every_module_sits_in_a_layer() -> None:
    # the core is listed module by module (its pipeline, gate.core.scan, sits above the checks): a new core
    # module must be placed too, or it would escape the contract
    unplaced = [name for path in ROOT.glob("gate/**/*.py")
                if (name := module_name(ROOT, path)) not in CONTRACT.packages() and CONTRACT.place(name) is None]
    assert unplaced == []


def test_the_packages_that_hold_layers_import_nothing() -> None:
    for package in CONTRACT.packages():
        init = ROOT.joinpath(*package.split("."), "__init__.py")
        nodes = ast.walk(ast.parse(init.read_text()))
        assert not any(isinstance(node, ast.Import | ast.ImportFrom) for node in nodes), init


def test_no_private_name_is_imported_across_modules() -> None:
    assert private_imports(ROOT, CONTRACT.roots) == []


def test_the_check_sees_function_local_and_type_checking_imports(tmp_path: Path) -> None:
    (tmp_path / "gate" / "core").mkdir(parents=True)
    (tmp_path / "gate" / "web").mkdir()
    for package in ("gate", "gate/core", "gate/web"):
        (tmp_path / package / "__init__.py").write_text('"""x."""\n')
    (tmp_path / "gate" / "web" / "app.py").write_text("from ..core import model\n")  # down: fine
    (tmp_path / "gate" / "core" / "model.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from gate.web.app import create_app\n"
        "def f():\n    from ..web import app\n    return app\n"
    )
    contract = Contract(("gate",), ((frozenset({"gate.web"}), False), (frozenset({"gate.core"}), False)))
    assert violations(tmp_path, contract) == [
        "gate/core/model.py:3: gate.core.model imports gate.web.app, a higher layer (gate.web above gate.core)",
        "gate/core/model.py:3: gate.core.model imports gate.web.app.create_app, a higher layer "
        "(gate.web above gate.core)",
        "gate/core/model.py:5: gate.core.model imports gate.web, a higher layer (gate.web above gate.core)",
        "gate/core/model.py:5: gate.core.model imports gate.web.app, a higher layer (gate.web above gate.core)",
    ]


@pytest.mark.skipif(importlib.util.find_spec("importlinter") is None, reason="import-linter not installed")
def test_import_linter_keeps_every_contract() -> None:
    out = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                          "lint_imports_command()"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_core_and_checks_import_no_web_or_queue_modules() -> None:
    code = (
        "import sys, gate.core.scan, gate.cli.main, gate.cli.render, checks\n"
        "checks.discover()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'redis', 'rq', 'webhooks', 'workers'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""

"""The layering rule: bot → providers and bot → db, never back (nor db ↔ providers)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"providers": {"bot", "db"}, "db": {"bot", "providers"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_never_import_upwards(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files under {package}/"
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package])
        for path in files
        if _imports(path) & FORBIDDEN[package]
    }
    assert offenders == {}


#: Slices of ``bot/`` that must never reach the playground: it talks to vpsbot over HTTP only.
SLICES_WITHOUT_PLAYGROUND = ("core", "create", "servers", "admin", "status", "help")


def _full_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("slice_", SLICES_WITHOUT_PLAYGROUND)
def test_bot_slices_never_import_the_playground(slice_: str) -> None:
    files = sorted((ROOT / "bot" / slice_).rglob("*.py"))
    assert files, f"no Python files under bot/{slice_}/"
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in _full_imports(path) if name.startswith("bot.playground")
        )
        for path in files
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_playground_never_imports_the_bot_it_drives() -> None:
    """Only the stand-in side: ``bot.playground`` may use no other part of ``bot``."""
    files = sorted((ROOT / "bot" / "playground").rglob("*.py"))
    assert files
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in _full_imports(path)
            if name.startswith("bot.") and not name.startswith("bot.playground")
        )
        for path in files
    }
    assert {path: names for path, names in offenders.items() if names} == {}

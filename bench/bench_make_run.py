"""``make run`` from a fresh clone to the playground's line: how long a newcomer waits.

Clones the committed tree into a temporary folder and times ``make run`` (no Slack
credentials, no ``DATABASE_URL``: the embedded PostgreSQL, the sandbox and the
playground, exactly as the README's first command) until it prints
``local playground (not Slack) at …``, then stops it with SIGTERM. Two runs:

- **warm**: pip's usual cache (what a developer's second clone sees);
- **cold**: empty caches (``PIP_CACHE_DIR`` and ``UV_CACHE_DIR`` in a temporary
  folder), every wheel downloaded again.

The baseline, measured in the same run, is what installing alone took before
``make run`` used uv: ``python -m venv`` plus ``pip install`` of the same runtime pins
into an empty venv, warm cache. Below 1.0x, ``make run`` (install and start-up:
database, migrations, sandbox, playground) beats that install alone. Takes 2-4 minutes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
READY = "local playground (not Slack) at"
LIMIT = 600.0


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "VPSBOT_")) and k not in ("DATABASE_URL", "PORT")
    }
    env.update(
        VPSBOT_DATA_DIR=str(tmp / "data"),
        PORT=str(_free_port()),
        VPSBOT_SANDBOX_PORT=str(_free_port()),
        VPSBOT_PLAYGROUND_PORT=str(_free_port()),
        **extra,
    )
    return env


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _clone(tmp: Path) -> Path:
    dest = tmp / "vpsbot"
    subprocess.run(["git", "clone", "-q", str(REPO), str(dest)], check=True)
    return dest


def time_make_run(cache: Path | None) -> tuple[float, list[str]]:
    """Seconds from ``make run`` to the playground line, in a fresh clone."""
    with tempfile.TemporaryDirectory(prefix="vpsbot-makerun-") as name:
        tmp = Path(name)
        clone = _clone(tmp)
        extra = {"PIP_CACHE_DIR": str(cache), "UV_CACHE_DIR": str(cache)} if cache else {}
        start = time.perf_counter()
        proc = subprocess.Popen(
            ["make", "run"],
            cwd=clone,
            env=_env(tmp, **extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        lines: list[str] = []
        elapsed = float("nan")
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line.rstrip())
                if READY in line:
                    elapsed = time.perf_counter() - start
                    break
                if time.perf_counter() - start > LIMIT:
                    break
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        return elapsed, lines


def time_install_floor() -> float:
    """``venv`` + ``pip install`` of the runtime pins (no vpsbot start-up), warm cache:
    how ``make run`` installed before uv."""
    with tempfile.TemporaryDirectory(prefix="vpsbot-floor-") as name:
        tmp = Path(name)
        clone = _clone(tmp)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True)
        pip = [str(tmp / "venv/bin/python"), "-m", "pip", "install", "--quiet"]
        subprocess.run(
            [*pip, "--disable-pip-version-check", "--constraint", "constraints.txt", "."],
            cwd=clone,
            check=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore::UserWarning"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return time.perf_counter() - start


def main() -> None:
    if shutil.which("make") is None:
        sys.exit("make is not installed")
    time_make_run(None)  # warms pip's cache with exactly these pins
    floor = time_install_floor()
    warm, lines = time_make_run(None)
    with tempfile.TemporaryDirectory(prefix="vpsbot-pipcache-") as cache:
        cold, _ = time_make_run(Path(cache))
    print("make run, fresh clone -> playground line (no Slack, embedded PostgreSQL)")
    print(f"  warm pip cache : {warm:6.1f} s  (goal <= 35 s)")
    print(f"  cold pip cache : {cold:6.1f} s")
    print(f"  baseline, venv + pip install of the runtime pins (no start-up): {floor:6.1f} s")
    print(f"  ratio warm / baseline: {warm / floor:4.2f}x")
    print(f"  lines printed before the playground line: {len(lines) - 1}")
    print(f"  last line: {lines[-1] if lines else '(none)'}")


if __name__ == "__main__":
    main()

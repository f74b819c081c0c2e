"""``vpsbot playground`` and ``serve``'s playground switch, run as the real command line."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

REPO = Path(__file__).resolve().parents[3]
TIMEOUT = 30


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(REPO),
        "VPSBOT_DATA_DIR": str(tmp_path / "data"),
        **extra,
    }


async def _vpsbot(
    tmp_path: Path, *args: str, **env: str
) -> tuple[int, str, str, asyncio.subprocess.Process]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(tmp_path, **env),
        cwd=tmp_path,
    )
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    return proc.returncode or 0, out.decode(), err.decode(), proc


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_playground_refuses_real_slack_settings(tmp_path: Path) -> None:
    code, _, err, _ = await _vpsbot(
        tmp_path,
        "playground",
        SLACK_BOT_TOKEN="xoxb-a-real-looking-token",
        SLACK_SIGNING_SECRET="a-real-looking-secret",
    )
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("vpsbot: error: SLACK_API_URL is https://slack")
    assert "real Slack" in err and "Traceback" not in err


async def test_playground_without_settings_says_how_to_join_a_vpsbot(tmp_path: Path) -> None:
    code, _, err, _ = await _vpsbot(tmp_path, "playground")
    assert code == 1 and err.count("\n") == 1
    assert "SLACK_API_URL=http://127.0.0.1:3002/api/" in err and "vpsbot serve" in err


async def test_serve_with_half_the_credentials_never_starts_the_playground(
    tmp_path: Path,
) -> None:
    code, out, err, _ = await _vpsbot(tmp_path, "serve", SLACK_BOT_TOKEN="xoxb-only-a-token")
    assert code == 1 and "playground" not in out + err
    assert err.startswith("vpsbot: error: missing SLACK_SIGNING_SECRET")


@pytest.fixture
async def fake_vpsbot() -> AsyncIterator[tuple[str, list[tuple[bool, str]]]]:
    """An HTTP endpoint in vpsbot's place that checks Slack's signature on each request."""
    verifier = SignatureVerifier("shared-playground-secret")
    seen: list[tuple[bool, str]] = []

    async def events(request: web.Request) -> web.Response:
        body = await request.text()
        valid = verifier.is_valid(
            body,
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
        )
        seen.append((valid, body))
        return web.json_response({"response_type": "ephemeral", "text": "pong"})

    app = web.Application()
    app.router.add_post("/slack/events", events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", seen
    finally:
        await runner.cleanup()


async def test_playground_joins_a_running_vpsbot(
    tmp_path: Path, fake_vpsbot: tuple[str, list[tuple[bool, str]]]
) -> None:
    vpsbot_url, seen = fake_vpsbot
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "playground",
        "--vpsbot",
        vpsbot_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(
            tmp_path,
            SLACK_API_URL=f"http://127.0.0.1:{port}/api/",
            SLACK_BOT_TOKEN="xoxb-shared-playground-token",
            SLACK_SIGNING_SECRET="shared-playground-secret",
        ),
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), TIMEOUT)).decode()
        assert line.startswith(f"local playground (not Slack) at http://127.0.0.1:{port}/")
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"http://127.0.0.1:{port}/_playground/command",
                json={"user": "U0ADA00001", "text": "/vps ping"},
            ) as response:
                assert (await response.json())["ok"] is True
            async with http.post(
                f"http://127.0.0.1:{port}/api/auth.test",
                headers={"Authorization": "Bearer xoxb-shared-playground-token"},
            ) as response:
                assert (await response.json())["ok"] is True  # vpsbot's token is the one set
        assert len(seen) == 1 and seen[0][0] is True  # signed with the shared secret
        assert "command=%2Fvps" in seen[0][1] and "text=ping" in seen[0][1]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err.decode()

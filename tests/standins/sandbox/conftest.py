"""Fixtures for the sandbox tests: a running sandbox and a raw aiohttp client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from standins.sandbox import Sandbox

DO_AUTH = {"Authorization": "Bearer sandbox-digitalocean-token"}
LI_AUTH = {"Authorization": "Bearer sandbox-linode-token"}


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any


class Client:
    """Raw HTTP against the sandbox (deliberately not the vpsbot clients)."""

    def __init__(self, sb: Sandbox, session: aiohttp.ClientSession) -> None:
        self.sb = sb
        self.session = session

    async def call(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, **kw: Any
    ) -> Reply:
        async with self.session.request(method, url, headers=headers, **kw) as resp:
            text = await resp.text()
            body = await resp.json(content_type=None) if text else None
            return Reply(resp.status, body, resp.headers)

    async def do(self, method: str, path: str, **kw: Any) -> Reply:
        headers = {**DO_AUTH, **kw.pop("headers", {})}
        return await self.call(method, self.sb.digitalocean_url + path, headers=headers, **kw)

    async def li(self, method: str, path: str, **kw: Any) -> Reply:
        headers = {**LI_AUTH, **kw.pop("headers", {})}
        return await self.call(method, self.sb.linode_url + path, headers=headers, **kw)

    async def ctl(self, method: str, path: str, **kw: Any) -> Reply:
        return await self.call(method, self.sb.url + "/_sandbox" + path, **kw)


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(provision_seconds=20.0, action_seconds=5.0)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


@pytest.fixture
async def api(sb: Sandbox) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession() as session:
        yield Client(sb, session)

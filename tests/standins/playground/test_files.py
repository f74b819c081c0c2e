"""Slack's external upload in the stand-in: through slack_sdk's files_upload_v2, kept
private, served to the playground, and image blocks checked as Slack checks them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from standins.playground.slack_api import SlackStandIn

TOKEN = "xoxb-test-token"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
async def api() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn(bot_token=TOKEN, team_id="T0001", bot_user_id="U0BOT") as stand_in:
        yield stand_in


@pytest.fixture
def client(api: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=api.base_url)


def image(file_id: str, alt: str = "CPU: peak 50.0 %.") -> dict[str, Any]:
    return {"type": "image", "slack_file": {"id": file_id}, "alt_text": alt}


async def test_an_upload_without_a_channel_stays_private_and_is_served(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    done = await client.files_upload_v2(
        content=PNG, filename="cpu.png", title="CPU", alt_txt="CPU graph"
    )
    file = done["file"]
    assert file["title"] == "CPU" and file["is_public"] is False and file["channels"] == []
    assert [c.method for c in api.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    complete = api.calls[-1].args
    assert "channel_id" not in complete and "channels" not in complete
    stored = api.files.files[file["id"]]
    assert stored.data == PNG and stored.completed and stored.shared_to == []
    assert api.files.uploads == 1
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{api.root_url}/files/{file['id']}") as got,
    ):
        assert got.status == 200 and got.content_type == "image/png"
        assert await got.read() == PNG
    posted = await client.chat_postMessage(channel="C1", text="graph", blocks=[image(file["id"])])
    assert posted["ok"]


async def test_image_blocks_are_checked_like_slack(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    done = await client.files_upload_v2(content=PNG, filename="cpu.png", title="CPU")
    file_id = done["file"]["id"]
    bad = [
        [image("FNOSUCH")],
        [image(file_id, alt="")],
        [image(file_id, alt="x" * 2001)],
        [{**image(file_id), "image_url": "https://example.com/a.png"}],
    ]
    for blocks in bad:
        with pytest.raises(SlackApiError) as failed:
            await client.chat_postMessage(channel="C1", text="graph", blocks=blocks)
        assert failed.value.response["error"] == "invalid_blocks"
    assert (await client.chat_postMessage(channel="C1", text="ok", blocks=[image(file_id)]))["ok"]
    url = api.response_url(channel="C1", user="U1")
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"text": "g", "blocks": [image("FNOSUCH")]}) as answer:
            assert answer.status == 404 and "invalid_blocks" in await answer.text()
        async with http.post(url, json={"text": "g", "blocks": [image(file_id)]}) as answer:
            assert answer.status == 200


async def test_an_upload_is_completed_only_after_its_bytes_and_by_its_uploader(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    ticket = await client.files_getUploadURLExternal(filename="a.png", length=len(PNG))
    with pytest.raises(SlackApiError) as early:
        await client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}])
    assert early.value.response["error"] == "file_not_found"
    async with aiohttp.ClientSession() as http:
        async with http.post(ticket["upload_url"], data=PNG[:10]) as short:
            assert short.status == 400
        async with http.post(ticket["upload_url"], data=PNG) as sent:
            assert sent.status == 200
    api.valid_tokens.add("xoxb-other")
    other = AsyncWebClient(token="xoxb-other", base_url=api.base_url)
    with pytest.raises(SlackApiError):
        await other.files_completeUploadExternal(files=[{"id": ticket["file_id"]}])
    done = await client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}])
    assert done["files"][0]["title"] == "a.png"
    with pytest.raises(SlackApiError) as no_length:
        await client.api_call("files.getUploadURLExternal", params={"filename": "a.png"})
    assert no_length.value.response["error"] == "invalid_arguments"


async def test_a_file_names_in_blocks_only_once_slack_has_processed_it(
    api: SlackStandIn, client: AsyncWebClient
) -> None:
    api.files.processing_seconds = 0.3
    done = await client.files_upload_v2(content=PNG, filename="cpu.png", title="CPU")
    with pytest.raises(SlackApiError) as early:
        await client.chat_postMessage(channel="C1", text="g", blocks=[image(done["file"]["id"])])
    assert "invalid slack file" in str(early.value.response["response_metadata"])
    await asyncio.sleep(0.35)
    later = await client.chat_postMessage(
        channel="C1", text="g", blocks=[image(done["file"]["id"])]
    )
    assert later["ok"]

"""The Slack stand-in in OAuth mode (``strict_workspaces``): as strict as Slack
about whose token a call carries, through slack_sdk's real AsyncWebClient."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from standins.playground.slack_api import SlackStandIn

ONE, TWO, ORG = "T0ONE", "T0TWO", "E0ORG"


@pytest.fixture
async def api() -> AsyncIterator[SlackStandIn]:
    stand_in = SlackStandIn(team_id=ONE)
    stand_in.strict_workspaces = True
    await stand_in.start()
    stand_in.place(TWO, "C0TWO", "UTWO0001")
    yield stand_in
    await stand_in.stop()


async def _error(client: AsyncWebClient, method: str, **args: object) -> str:
    with pytest.raises(SlackApiError) as caught:
        await client.api_call(method, json=dict(args))
    return str(caught.value.response["error"])


async def test_tokens_must_be_an_installs_own_and_live(api: SlackStandIn) -> None:
    one = api.install(ONE)
    post = {"channel": "C0ONE", "text": "hi"}
    assert await _error(AsyncWebClient(base_url=api.base_url), "chat.postMessage", **post) == (
        "not_authed"
    )
    # the single-token mode's token is no install's
    stray = AsyncWebClient(token=api.bot_token, base_url=api.base_url)
    assert await _error(stray, "chat.postMessage", **post) == "invalid_auth"
    client = AsyncWebClient(token=one, base_url=api.base_url)
    assert (await client.chat_postMessage(channel="C0ONE", text="hi"))["ok"]
    api.uninstall(ONE)
    assert await _error(client, "chat.postMessage", **post) == "token_revoked"
    assert [c.error for c in api.refusals] == ["not_authed", "invalid_auth", "token_revoked"]


async def test_one_workspaces_token_reaches_nothing_of_another(api: SlackStandIn) -> None:
    one = AsyncWebClient(token=api.install(ONE), base_url=api.base_url)
    two = AsyncWebClient(token=api.install(TWO), base_url=api.base_url)
    assert await _error(one, "chat.postMessage", channel="C0TWO", text="x") == "channel_not_found"
    assert await _error(one, "chat.postMessage", channel="UTWO0001", text="x") == (
        "channel_not_found"
    )
    assert await _error(one, "users.info", user="UTWO0001") == "user_not_found"
    home = {"type": "home", "blocks": []}
    assert await _error(one, "views.publish", user_id="UTWO0001", view=home) == "user_not_found"
    published = await two.views_publish(user_id="UTWO0001", view=home)
    view_id = published["view"]["id"]
    assert await _error(one, "views.update", view_id=view_id, view=home) == "not_found"
    assert (await two.views_update(view_id=view_id, view=home))["ok"]
    assert (await one.chat_postMessage(channel="C0ONE", text="mine"))["ok"]
    assert len(api.refusals) == 5


async def test_an_org_wide_token_reaches_the_orgs_workspaces_only(api: SlackStandIn) -> None:
    org = AsyncWebClient(
        token=api.install(ORG, enterprise_id=ORG, org_wide=True), base_url=api.base_url
    )
    api.orgs[TWO] = ORG
    assert (await org.chat_postMessage(channel="C0TWO", text="in the org"))["ok"]
    assert await _error(org, "chat.postMessage", channel="C0ONE", text="x") == "channel_not_found"


async def test_not_strict_by_default() -> None:
    async with SlackStandIn() as api:
        client = AsyncWebClient(token=api.bot_token, base_url=api.base_url)
        assert (await client.chat_postMessage(channel="C0ANY", text="hi"))["ok"]
        assert api.refusals == []

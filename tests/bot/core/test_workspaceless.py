"""OAuth mode has no Slack client without a workspace (issue 18): the template
client refuses every call that does not bring its own credentials, and nothing in
bot/ speaks to Slack through it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Installation

from bot.core.config import Settings
from bot.core.services import NoWorkspaceError, Services, WorkspacelessClient
from db.engine import Database
from standins.playground.slack_api import SlackStandIn

BOT = Path(__file__).resolve().parents[3] / "bot"


async def test_oauth_mode_has_no_client_without_a_workspace(
    db: Database, database_url: str, fernet_keys: list[str]
) -> None:
    async with SlackStandIn(team_id="T0A") as api:
        api.strict_workspaces = True
        settings = Settings(
            slack_client_id=api.client_id,
            slack_client_secret=api.client_secret,
            slack_signing_secret="signing",
            slack_api_url=api.base_url,
            database_url=database_url,
            vpsbot_encryption_keys=",".join(fernet_keys),
            _env_file=None,
        )
        services = Services.build(settings, database_url=database_url)
        await services.start()
        try:
            assert isinstance(services.slack, WorkspacelessClient)
            assert services.slack.token is None
            with pytest.raises(NoWorkspaceError, match="slack_for"):
                await services.slack.chat_postMessage(channel="C0A", text="to whom?")
            assert api.calls == []  # refused before it left the process
            token = api.install("T0A")
            assert services.installations is not None
            await services.installations.async_save(
                Installation(app_id=api.app_id, team_id="T0A", bot_token=token, user_id="U0A")
            )
            client = await services.slack_for("T0A")
            assert client is not None and client.token == token
            assert (await client.chat_postMessage(channel="C0A", text="hello"))["ok"]
            # what Bolt's OAuth flow does with the template: its own credentials
            assert (await services.slack.auth_test(token=token))["team_id"] == "T0A"
            assert await services.slack_for("T0OTHER") is None
            assert api.refusals == []
        finally:
            await services.aclose()


def test_single_token_mode_keeps_its_one_client() -> None:
    services = Services.build(
        Settings(
            slack_bot_token="xoxb-one",
            slack_signing_secret="signing",
            database_url="postgresql://nobody@127.0.0.1:1/none",
            vpsbot_encryption_keys="x" * 43 + "=",
            _env_file=None,
        ),
        database_url="postgresql://nobody@127.0.0.1:1/none",
    )
    assert type(services.slack) is not WorkspacelessClient
    assert services.slack.token == "xoxb-one"


#: the places in bot/ that may name ``services.slack``: Bolt's template, and the
#: single-token mode's own paths (start-up check, operator-level drift report)
_ALLOWED = {
    "bot/app/bolt.py": "client=services.slack,",
    "bot/app/serve.py": "services.slack.auth_test()",
    "bot/status/drift.py": "client = services.slack",
}


def test_nothing_in_bot_speaks_to_slack_through_the_workspaceless_client() -> None:
    found = []
    for path in sorted(BOT.rglob("*.py")):
        relative = path.relative_to(BOT.parent).as_posix()
        if relative == "bot/core/services.py":
            continue
        for line in path.read_text().splitlines():
            named = re.search(r"\bservices\.slack\b(?!_)", line)
            if named and _ALLOWED.get(relative, "\0") not in line:
                found.append(f"{relative}: {line.strip()}")
    assert found == []

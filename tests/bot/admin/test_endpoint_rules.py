"""Provider API URLs a workspace may use (issue 25): Slack chooses among the
official APIs and the operator's VPSBOT_PROVIDER_HOSTS; workspace providers stored
earlier with any other URL are disabled at start-up, once, and shown so."""

from __future__ import annotations

import json
import logging

import pytest

from bot.admin import home_views, screens
from bot.admin import service as admin_ops
from bot.admin.endpoint_rules import disable_refused
from bot.core.endpoints import chosen_in_slack, refusal
from bot.core.errors import AdminError
from bot.core.services import Services
from db.models import ActivityLog, ServiceProvider
from db.repo import providers
from tests.bot.conftest import TEAM

LEGACY = "http://127.0.0.1:8080"


async def stored(
    services: Services, name: str, url: str | None, *, team_id: str | None = TEAM, **extra: object
) -> ServiceProvider:
    configuration: dict[str, object] = {"api_url": url} if url else {}
    configuration.update(extra)
    async with services.db.session() as session, session.begin():
        return await providers.add(
            session,
            name=name,
            type="digitalocean",
            api_key_encrypted=services.box.encrypt("dop_v1_stored"),
            configuration=configuration,
            team_id=team_id,
        )


async def fresh(services: Services, row: ServiceProvider) -> ServiceProvider:
    async with services.db.session() as session:
        found = await providers.get(session, row.id)
    assert found is not None
    return found


def allow(services: Services, *urls: str) -> None:
    services.settings = services.settings.model_copy(update={"vpsbot_provider_hosts": list(urls)})


async def test_legacy_workspace_rows_are_disabled_once_with_one_log_line_each(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    legacy = await stored(services, "legacy", LEGACY)
    metadata = await stored(services, "metadata", "http://169.254.169.254")
    official = await stored(services, "official", "https://api.digitalocean.com")
    plain = await stored(services, "plain", None)
    operators = await stored(services, "operators", LEGACY, team_id=None)
    vouched = await stored(services, "vouched", LEGACY, trusted=True)  # the operator's CLI

    with caplog.at_level(logging.WARNING, logger="bot.admin.endpoint_rules"):
        assert await disable_refused(services) == 2
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.admin.endpoint_rules"]
    assert len(lines) == 2
    assert all(("disabled" in line and "127.0.0.1" in line) or "169.254" in line for line in lines)
    for row in (legacy, metadata):
        assert (await fresh(services, row)).active is False
    for row in (official, plain, operators, vouched):
        assert (await fresh(services, row)).active is True
    async with services.db.session() as session:
        logged = (await session.execute(ActivityLog.__table__.select())).all()
    assert sum(1 for entry in logged if entry.event_type == "provider.disable") == 2

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.admin.endpoint_rules"):
        assert await disable_refused(services) == 0  # the next start: still one line each
    assert len([r for r in caplog.records if "stays disabled" in r.getMessage()]) == 2


async def test_a_disabled_legacy_row_cannot_be_reenabled_checked_or_rotated(
    services: Services,
) -> None:
    row = await stored(services, "legacy", LEGACY)
    await disable_refused(services)
    for attempt in (
        admin_ops.set_provider_active(services, "legacy", True, team_id=TEAM),
        admin_ops.check_provider(services, "legacy", team_id=TEAM),
        admin_ops.rotate_token(services, "legacy", "dop_v1_new", team_id=TEAM),
    ):
        with pytest.raises(AdminError) as refused:
            await attempt
        assert "VPSBOT_PROVIDER_HOSTS" in refused.value.message
    assert (await fresh(services, row)).active is False
    # the operator allows the endpoint: it may be enabled again
    allow(services, LEGACY + "/")
    assert await disable_refused(services) == 0
    await admin_ops.set_provider_active(services, "legacy", True, team_id=TEAM)
    assert (await fresh(services, row)).active is True


async def test_admin_shows_the_disabled_row_and_what_to_do(services: Services) -> None:
    row = await stored(services, "legacy", LEGACY)
    await disable_refused(services)
    status = await screens.status_of(services, await fresh(services, row))
    assert status.refused is not None
    shown = json.dumps(home_views.home_view([status]).to_dict())
    assert "*disabled*" in shown and "127.0.0.1" in shown
    assert "VPSBOT_PROVIDER_HOSTS" in shown and "official API" in shown
    assert f"on:{row.id}" not in shown  # no Activate button


def test_slack_chooses_only_what_the_operator_offers(services: Services) -> None:
    assert chosen_in_slack(services.settings, "official") is None
    assert chosen_in_slack(services.settings, None) is None
    with pytest.raises(AdminError):
        chosen_in_slack(services.settings, "https://do-proxy.corp.example")
    allow(services, "https://do-proxy.corp.example")
    assert services.settings.vpsbot_provider_hosts == ["https://do-proxy.corp.example"]
    assert (
        chosen_in_slack(services.settings, "https://do-proxy.corp.example/")
        == "https://do-proxy.corp.example"
    )
    for other in ("https://do-proxy.corp.example:8443", "http://do-proxy.corp.example"):
        with pytest.raises(AdminError):
            chosen_in_slack(services.settings, other)


def test_refusal_applies_to_workspace_rows_only(services: Services) -> None:
    def refused(url: str, team: str | None = TEAM, **extra: object) -> bool:
        configuration = {"api_url": url, **extra}
        found = refusal(
            services.settings, type="digitalocean", team_id=team, configuration=configuration
        )
        return found is not None

    assert refused(LEGACY)
    assert refused("https://api.digitalocean.com.evil.example")
    assert not refused("https://api.digitalocean.com/")
    assert not refused(LEGACY, None)
    assert not refused(LEGACY, trusted=True)
    assert refused(LEGACY, trusted="yes")

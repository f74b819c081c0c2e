"""The *Admins* section of `/vps admin`, its listeners called directly: a fake
``ack`` and Slack client (``users.info`` answered by hand), a real
:class:`Services` on the test database.

Naming and removing admins is audited and drops the workspace's cached admin
verdicts; bots, deactivated and foreign accounts are refused where they were
picked; nobody removes themselves or the last named admin, not even two admins
removing each other at the same moment.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any
from unittest.mock import AsyncMock

import asyncpg
import pytest
from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from sqlalchemy import update

from bot.admin import admins_listeners, admins_service, screens, views
from bot.core.access import is_admin
from bot.core.services import Services
from db.engine import asyncpg_url
from db.models import WorkspaceAdmin
from db.repo import workspaces
from tests.bot.admin.test_listeners import ROOT, action, audit_entries, updated_views
from tests.bot.conftest import ADMIN, MEMBER, TEAM, context

JSON = dict[str, Any]
ANN, CAROL = "U0ANN001", "U0CAROL1"


def picked(user: str) -> JSON:
    """A person chosen in the "Add admin" picker (a users_select in a section)."""
    return {
        "type": "block_actions",
        "trigger_id": "1.2.abc",
        "view": {"id": ROOT, "private_metadata": "{}"},
        "actions": [
            {
                "action_id": views.ADD_ADMIN_ACTION,
                "block_id": "admins",
                "type": "users_select",
                "selected_user": user,
            }
        ],
    }


def person(user: str, **fields: Any) -> JSON:
    """What ``users.info`` says about a member of TEAM."""
    return {"ok": True, "user": {"id": user, "team_id": TEAM, "deleted": False, **fields}}


async def name(services: Services, user: str, added_by: str | None) -> None:
    async with services.db.session() as session, session.begin():
        await workspaces.add_admin(session, TEAM, user, added_by=added_by)


async def named(services: Services, team: str = TEAM) -> list[str]:
    async with services.db.session() as session:
        return await workspaces.admins_of(session, team)


def admins_notice(client: AsyncMock) -> str:
    """The line under the picker in the last rendered home."""
    view = json.loads(updated_views(client)[-1])
    (notice,) = [b for b in view["blocks"] if b.get("block_id") == "admins_notice"]
    return str(notice["elements"][0]["text"])


async def test_the_home_lists_the_installer_first_marks_you_and_the_orgs_admins(
    services: Services,
) -> None:
    await name(services, CAROL, ANN)
    await name(services, ANN, ANN)  # installed vpsbot
    async with services.db.session() as session, session.begin():
        # Carol named a day before Ann's row: the installer is listed first all the same
        await session.execute(
            update(WorkspaceAdmin)
            .where(WorkspaceAdmin.user_id == CAROL)
            .values(created_at=WorkspaceAdmin.created_at - timedelta(days=1))
        )
        await workspaces.add_admin(session, "E0ORG", "U0ORG001", added_by="U0ORG001")
    home = (await screens.home(services, TEAM, viewer=CAROL, enterprise_id="E0ORG")).to_dict()
    rows = [
        b
        for b in home["blocks"]
        if b.get("block_id", "").partition(":")[0] in ("admin", "org_admin")
    ]
    assert [b["block_id"] for b in rows] == [
        f"admin:{ANN}",
        f"admin:{CAROL}",
        "org_admin:U0ORG001",
    ]
    assert "installed vpsbot" in rows[0]["text"]["text"]
    assert rows[1]["text"]["text"].startswith(f"<@{CAROL}> (you) · named by <@{ANN}>")


async def test_naming_a_person_audits_it_and_drops_the_cached_verdicts(
    services: Services, client: AsyncMock
) -> None:
    assert not await is_admin(services, TEAM, MEMBER)  # cached: users.info said no
    services.admin_verdicts[("T0OTHER", MEMBER)] = False
    client.users_info.return_value = person(MEMBER)
    ack = AsyncMock()
    await admins_listeners.add_admin(ack, picked(MEMBER), context(ADMIN), client, services)
    ack.assert_awaited_once_with()
    client.users_info.assert_awaited_once_with(user=MEMBER)
    assert await named(services) == [MEMBER]
    (entry,) = await audit_entries(services)
    assert (entry.event_type, entry.user_id, entry.entity_type, entry.entity_id) == (
        "admin.add",
        ADMIN,
        "admin",
        MEMBER,
    )
    assert entry.team_id == TEAM and entry.metadata_["via"] == "slack"
    assert (TEAM, MEMBER) not in services.admin_verdicts
    assert services.admin_verdicts[("T0OTHER", MEMBER)] is False  # another workspace's
    assert await is_admin(services, TEAM, MEMBER)
    assert f"<@{MEMBER}> is now a vpsbot admin" in admins_notice(client)
    client.views_update.assert_awaited_once()
    assert client.views_update.await_args.kwargs["view_id"] == ROOT
    # picked again: nothing changes, nothing more is audited
    await admins_listeners.add_admin(ack, picked(MEMBER), context(ADMIN), client, services)
    assert "already a named vpsbot admin" in admins_notice(client)
    assert len(await audit_entries(services)) == 1


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (person("U0HOOK01", is_bot=True), "is a bot: only people can be vpsbot admins"),
        (person("U0HOOK01", is_app_user=True), "is a bot"),
        (person("U0HOOK01", deleted=True), "is deactivated in Slack"),
        (person("U0HOOK01", team_id="T0ELSE"), "is not a member of this workspace"),
        (SlackApiError("no", {"ok": False, "error": "user_not_found"}), "does not know"),
        (SlackApiError("no", {"ok": False, "error": "ratelimited"}), "try again"),
        (TimeoutError(), "try again"),
    ],
)
async def test_bots_deactivated_foreign_and_unknown_people_are_refused_where_picked(
    services: Services, client: AsyncMock, answer: Any, said: str
) -> None:
    if isinstance(answer, BaseException):
        client.users_info.side_effect = answer
    else:
        client.users_info.return_value = answer
    await admins_listeners.add_admin(
        AsyncMock(), picked("U0HOOK01"), context(ADMIN), client, services
    )
    assert said in admins_notice(client)
    assert admins_notice(client).startswith(":warning:")
    assert await named(services) == []
    assert await audit_entries(services) == []


async def test_a_forged_pick_is_refused_without_asking_slack(
    services: Services, client: AsyncMock
) -> None:
    for forged in ("", "<!channel>", "not-a-user", "U0" + "X" * 40):
        await admins_listeners.add_admin(
            AsyncMock(), picked(forged), context(ADMIN), client, services
        )
        assert "Pick a person from the list." in admins_notice(client)
    client.users_info.assert_not_awaited()
    assert await named(services) == []


async def test_a_workspace_names_at_most_the_admins_its_screen_lists(
    services: Services, client: AsyncMock
) -> None:
    for n in range(admins_service.MAX_NAMED):
        await name(services, f"U0FULL{n:02d}", ANN)
    client.users_info.return_value = person(MEMBER)
    await admins_listeners.add_admin(AsyncMock(), picked(MEMBER), context(ADMIN), client, services)
    assert "remove one first" in admins_notice(client)
    assert MEMBER not in await named(services)


async def test_removing_never_yourself_never_the_last_and_audited(
    services: Services, client: AsyncMock
) -> None:
    await name(services, ANN, ANN)
    await name(services, CAROL, ANN)
    assert await is_admin(services, TEAM, CAROL)  # cached True from here on
    ack = AsyncMock()

    async def remove(user: str, by: str) -> str:
        await admins_listeners.remove_admin(
            ack, action(views.REMOVE_ADMIN_ACTION, user), context(by), client, services
        )
        return admins_notice(client)

    said = await remove(ANN, ANN)
    assert "You cannot remove yourself: another vpsbot admin has to" in said
    assert await named(services) == [ANN, CAROL]

    said = await remove(CAROL, ANN)
    assert said == f":white_check_mark: <@{CAROL}> is no longer a named vpsbot admin."
    assert await named(services) == [ANN]
    assert (TEAM, CAROL) not in services.admin_verdicts
    services.admin_verdicts[(TEAM, CAROL)] = False  # what users.info would say now
    assert not await is_admin(services, TEAM, CAROL)

    # the operator (VPSBOT_ADMINS, not named) may not leave the workspace with nobody
    said = await remove(ANN, ADMIN)
    assert f"<@{ANN}> is the last named vpsbot admin here: name another admin first." in said
    assert await named(services) == [ANN]

    said = await remove(CAROL, ANN)  # a stale Remove button
    assert f"<@{CAROL}> is not a named vpsbot admin here." in said
    entries = await audit_entries(services)
    assert [(e.event_type, e.user_id, e.entity_id) for e in entries] == [
        ("admin.remove", ANN, CAROL)
    ]
    assert ack.await_count == 4


async def test_an_org_wide_admin_is_not_removed_from_one_workspace(
    services: Services, client: AsyncMock
) -> None:
    async with services.db.session() as session, session.begin():
        await workspaces.add_admin(session, "E0ORG", "U0ORG001", added_by="U0ORG001")
    await name(services, ANN, ANN)
    await admins_listeners.remove_admin(
        AsyncMock(),
        action(views.REMOVE_ADMIN_ACTION, "U0ORG001"),
        AsyncBoltContext({"team_id": TEAM, "user_id": ANN, "enterprise_id": "E0ORG"}),
        client,
        services,
    )
    assert "named for the whole Enterprise Grid org" in admins_notice(client)
    async with services.db.session() as session:
        assert await workspaces.admins_of(session, "E0ORG") == ["U0ORG001"]
    # the org's admin counts: the workspace's only own admin may go
    await admins_listeners.remove_admin(
        AsyncMock(),
        action(views.REMOVE_ADMIN_ACTION, ANN),
        AsyncBoltContext({"team_id": TEAM, "user_id": "U0ORG001", "enterprise_id": "E0ORG"}),
        client,
        services,
    )
    assert await named(services) == []


async def test_admins_added_at_once_never_pass_the_limit(services: Services) -> None:
    for n in range(admins_service.MAX_NAMED - 1):
        await name(services, f"U0FULL{n:02d}", ANN)
    outcomes = await asyncio.gather(
        *(
            admins_service.add(
                services, TEAM, f"U0RACE{n:02d}", by=ANN, limit=admins_service.MAX_NAMED
            )
            for n in range(6)
        ),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, admins_service.AdminError)]
    assert outcomes.count(True) == 1 and len(refused) == 5, outcomes
    assert len(await named(services)) == admins_service.MAX_NAMED


async def test_two_admins_removing_each_other_at_once_leave_one(services: Services) -> None:
    await name(services, ANN, ANN)
    await name(services, CAROL, ANN)
    outcomes = await asyncio.gather(
        admins_service.remove(services, TEAM, CAROL, by=ANN),
        admins_service.remove(services, TEAM, ANN, by=CAROL),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1 and "is the last named vpsbot admin" in str(refused[0])
    assert len(await named(services)) == 1


async def test_every_replica_hears_that_a_workspaces_admins_changed(
    services: Services, database_url: str
) -> None:
    conn = await asyncpg.connect(asyncpg_url(database_url).replace("+asyncpg", "", 1))
    heard: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def listen(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload.startswith(workspaces.ADMINS_CHANGED) and not heard.done():
            heard.set_result(payload)

    await conn.add_listener("vpsbot_catalog", listen)
    try:
        await admins_service.add(services, TEAM, CAROL, by=ANN)
        payload = await asyncio.wait_for(heard, 5)
    finally:
        await conn.close()
    assert payload == f"admins:{TEAM}"
    # what another replica does with it: its verdicts about TEAM go, others stay
    services.admin_verdicts[(TEAM, CAROL)] = False
    services.admin_verdicts[("T0GRID", CAROL)] = False
    services.admin_verdicts[("T0ELSE", CAROL)] = False
    services._orgs["T0GRID"] = "E0ORG"
    services._changed(payload)
    assert (TEAM, CAROL) not in services.admin_verdicts
    services._changed("admins:E0ORG")  # an org's admins: every workspace of the org
    assert set(services.admin_verdicts) == {("T0ELSE", CAROL)}

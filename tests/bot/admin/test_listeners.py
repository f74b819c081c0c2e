"""The admin listeners called directly: a fake ``ack`` and Slack client, a real
:class:`Services` on the test database.

What Slack would send is built by hand, including forged and truncated payloads:
the team and user come from Bolt's context, never from the payload, and a payload
without ``view``, ``actions`` or ``state`` must be answered, not raise.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any
from unittest.mock import AsyncMock

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy import select

from bot.admin import (
    admins_listeners,
    listeners,
    plan_listeners,
    policy_listeners,
    provider_listeners,
    views,
)
from bot.core.access import ADMINS_ONLY, admins_only
from bot.core.services import Services
from db.models import ActivityLog, Plan, ServiceProvider
from db.repo import plans, providers
from tests.bot.conftest import ADMIN, MEMBER, TEAM, context

JSON = dict[str, Any]
ROOT = "VROOT01"


def submission(callback_id: str, values: JSON, meta: JSON | None = None, **view: Any) -> JSON:
    """A ``view_submission`` payload; its ``user``/``team`` deliberately name someone else."""
    return {
        "type": "view_submission",
        "team": {"id": "TFORGED"},
        "user": {"id": "UFORGED", "team_id": "TFORGED"},
        "view": {
            "id": "VFORM01",
            "callback_id": callback_id,
            "private_metadata": json.dumps(meta or {"root": ROOT}),
            "state": {"values": values},
            **view,
        },
    }


def action(action_id: str, value: str, *, overflow: bool = False, meta: JSON | None = None) -> JSON:
    pressed: JSON = {"action_id": action_id, "block_id": "b"}
    if overflow:
        pressed["selected_option"] = {"value": value}
    else:
        pressed["value"] = value
    return {
        "type": "block_actions",
        "trigger_id": "1.2.abc",
        "view": {"id": ROOT, "private_metadata": json.dumps(meta or {})},
        "actions": [pressed],
    }


def text(value: str | None) -> JSON:
    return {"type": "plain_text_input", "value": value}


def choice(value: str) -> JSON:
    return {"type": "static_select", "selected_option": {"value": value}}


def add_values(name: str, url: str | None, token: str = "dop_v1_secret") -> JSON:
    return {
        "type": {"type": choice("digitalocean")},
        "name": {"name": text(name)},
        "token": {"token": text(token)},
        "api_url": {"api_url": choice(url or "official")},
    }


async def stored_provider(services: Services, name: str = "do-main") -> ServiceProvider:
    async with services.db.session() as session, session.begin():
        return await providers.add(
            session,
            name=name,
            type="digitalocean",
            api_key_encrypted=services.box.encrypt("dop_v1_stored"),
            configuration={"api_url": "http://127.0.0.1:9"},  # refused at once, never the internet
        )


async def stored_plan(services: Services, row: ServiceProvider, plan_id: str) -> Plan:
    async with services.db.session() as session, session.begin():
        await plans.upsert(
            session,
            row.id,
            [plans.PlanInput(plan_id, plan_id, Decimal("6.00"), Decimal("1.00"), {"vcpus": 1})],
        )
        found = await plans.by_provider_plan_id(session, row.id, plan_id)
    assert found is not None
    return found


async def provider_names(services: Services) -> set[str]:
    async with services.db.session() as session:
        return {row.name for row in await providers.list_all(session)}


async def audit_entries(services: Services) -> list[ActivityLog]:
    async with services.db.session() as session:
        return list((await session.execute(select(ActivityLog).order_by(ActivityLog.id))).scalars())


def answer(mock: AsyncMock) -> JSON:
    """The keyword arguments of ``mock``'s last await."""
    assert mock.await_args is not None, "never awaited"
    return dict(mock.await_args.kwargs)


def updated_views(client: AsyncMock) -> list[str]:
    return [
        json.dumps(call.kwargs["view"].to_dict()) for call in client.views_update.await_args_list
    ]


# ---------------------------------------------------------------------------- add provider


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com",
        "http://127.0.0.1:9",
        "http://localhost:5432",
        "http://169.254.169.254/latest",
        "https://attacker.example.net",
    ],
)
async def test_an_api_url_the_operator_does_not_offer_is_refused_at_its_field(
    url: str, services: Services, client: AsyncMock
) -> None:
    """A forged submission naming any other URL (Slack only offers the official API
    and VPSBOT_PROVIDER_HOSTS) is refused before anything is sent or stored."""
    ack = AsyncMock()
    body = submission(views.ADD, add_values("do-2", url))
    await provider_listeners.add_submitted(ack, body, context(), client, services)
    ack.assert_awaited_once()
    errors = answer(ack)["errors"]
    assert list(errors) == ["api_url"]
    assert "set by vpsbot's operator" in errors["api_url"]
    assert await provider_names(services) == set()
    client.views_update.assert_not_awaited()


async def test_an_empty_name_is_refused_at_its_field(services: Services, client: AsyncMock) -> None:
    ack = AsyncMock()
    body = submission(views.ADD, add_values("   ", None))
    await provider_listeners.add_submitted(ack, body, context(), client, services)
    assert answer(ack)["errors"] == {"name": "a provider needs a name"}
    assert await provider_names(services) == set()


# ---------------------------------------------------------------------------- who may


async def test_a_forged_submission_by_a_member_gets_the_refusal_and_nothing_else(
    services: Services, client: AsyncMock
) -> None:
    """Through the middleware as Bolt runs it: the listener never starts."""
    ack = AsyncMock()
    listener = AsyncMock()
    body = submission(views.ADD, add_values("sneaky", "https://example.com"))
    await admins_only(ack, body, context(MEMBER), services, listener)
    listener.assert_not_awaited()
    (answer,) = ack.await_args_list
    assert answer.kwargs["response_action"] == "update"
    refusal = json.dumps(answer.kwargs["view"].to_dict())
    assert ADMINS_ONLY in refusal and "do-main" not in refusal
    client.views_update.assert_not_awaited()
    client.views_push.assert_not_awaited()
    assert await provider_names(services) == set()


async def test_the_payloads_user_is_never_taken_for_the_actor(
    services: Services, client: AsyncMock
) -> None:
    """The payload names an admin of another workspace; the context names a member."""
    ack = AsyncMock()
    body = submission(views.ADD, add_values("sneaky", None))
    body["user"] = {"id": ADMIN, "team_id": TEAM}
    listener = AsyncMock()
    await admins_only(ack, body, context(MEMBER), services, listener)
    listener.assert_not_awaited()

    passed = AsyncMock()
    await admins_only(AsyncMock(), body, context(ADMIN), services, passed)
    passed.assert_awaited_once()


async def test_rename_records_the_contexts_admin_not_the_payloads(
    services: Services, client: AsyncMock
) -> None:
    row = await stored_provider(services)
    ack = AsyncMock()
    body = submission(
        views.RENAME, {"name": {"name": text("DO Europe")}}, {"provider": str(row.id), "root": ROOT}
    )
    await provider_listeners.rename_submitted(ack, body, context(), client, services)
    ack.assert_awaited_once_with()
    assert await provider_names(services) == {"DO Europe"}
    (entry,) = await audit_entries(services)
    assert (entry.user_id, entry.team_id) == (ADMIN, TEAM)
    assert answer(client.views_update)["view_id"] == ROOT
    assert "is now called *DO Europe*" in updated_views(client)[0]


def test_every_admin_listener_is_wired_behind_admins_only() -> None:
    wired: list[tuple[str, str, list[Any]]] = []

    class Recorder:
        def _record(self, kind: str, key: str, middleware: list[Any]) -> Callable[..., Any]:
            def take(fn: Callable[..., Any]) -> Callable[..., Any]:
                wired.append((kind, key, middleware))
                return fn

            return take

        def action(self, key: str, middleware: list[Any]) -> Callable[..., Any]:
            return self._record("action", key, middleware)

        def view(self, key: str, middleware: list[Any]) -> Callable[..., Any]:
            return self._record("view", key, middleware)

    listeners.register(Recorder())  # type: ignore[arg-type]
    assert {key for kind, key, _ in wired if kind == "view"} == {
        views.HOME,
        views.ADD,
        views.RENAME,
        views.ROTATE,
        views.DELETE,
        views.IMPORT,
        views.MARKUP,
        views.ALLOW,
        policy_listeners.POLICY,
    }
    actions = [k for kind, k, _ in wired if kind == "action"]
    assert len(actions) == 13
    assert {views.ADD_ADMIN_ACTION, views.REMOVE_ADMIN_ACTION} <= set(actions)
    assert all(middleware == [admins_only] for _, _, middleware in wired)


# ---------------------------------------------------------------------------- untrusted payloads


def _every_listener() -> list[Callable[..., Awaitable[None]]]:
    return [
        fn
        for module in (provider_listeners, plan_listeners, admins_listeners)
        for name in module.__all__
        if inspect.iscoroutinefunction(fn := getattr(module, name))
    ]


@pytest.mark.parametrize("kind", ["view_submission", "block_actions"])
async def test_a_payload_without_view_actions_or_state_does_not_raise(
    services: Services, client: AsyncMock, kind: str
) -> None:
    await stored_provider(services)
    found = _every_listener()
    assert len(found) == 20
    for listener in found:
        ack = AsyncMock()
        offered = {
            "ack": ack,
            "body": {"type": kind},
            "context": context(),
            "client": client,
            "services": services,
        }
        wanted = inspect.signature(listener).parameters
        await listener(**{name: offered[name] for name in wanted})
        ack.assert_awaited_once()
    client.views_push.assert_not_awaited()


async def test_a_forged_provider_id_is_looked_up_and_refused(
    services: Services, client: AsyncMock
) -> None:
    row = await stored_provider(services)
    ack = AsyncMock()
    for forged in ("off:not-a-uuid", "off:00000000-0000-0000-0000-000000000000", "off:"):
        await provider_listeners.toggle(
            ack, action(views.TOGGLE_ACTION, forged), context(), client, services
        )
    assert all("That provider no longer exists." in v for v in updated_views(client))
    async with services.db.session() as session:
        assert (await providers.get(session, row.id)).active  # type: ignore[union-attr]
    assert await audit_entries(services) == []


async def test_a_plan_of_another_provider_is_gone_for_the_markup_form(
    services: Services, client: AsyncMock
) -> None:
    mine = await stored_provider(services, "mine")
    theirs = await stored_provider(services, "theirs")
    other = await stored_plan(services, theirs, "s-1")
    ack = AsyncMock()
    meta = {"provider": str(mine.id), "plan": str(other.id), "parent": "VPLANS", "root": ROOT}
    values = {
        "markup_kind": {"markup_kind": {"selected_option": {"value": "amount"}}},
        "markup": {"markup": text("0")},
    }
    await plan_listeners.markup_submitted(
        ack, submission(views.MARKUP, values, meta), context(), client, services
    )
    ack.assert_awaited_once_with(response_action="errors", errors={"markup": "This plan is gone."})
    async with services.db.session() as session:
        again = await plans.get(session, other.id)
    assert again is not None and again.markup_price == Decimal("1.00")


async def test_a_bad_markup_is_refused_at_its_field(services: Services, client: AsyncMock) -> None:
    row = await stored_provider(services)
    plan = await stored_plan(services, row, "s-1")
    meta = {"provider": str(row.id), "plan": str(plan.id), "parent": "VPLANS", "root": ROOT}
    for bad, message in (("lots", "enter a number"), ("-5", "from 0 to 100000")):
        ack = AsyncMock()
        values = {"markup": {"markup": text(bad)}}
        await plan_listeners.markup_submitted(
            ack, submission(views.MARKUP, values, meta), context(), client, services
        )
        assert answer(ack)["response_action"] == "errors"
        assert message in answer(ack)["errors"]["markup"]


async def test_a_slack_error_page_while_refreshing_does_not_crash(
    services: Services, client: AsyncMock
) -> None:
    """A proxy's HTML instead of Slack's JSON: the change stands, the refresh is skipped."""
    row = await stored_provider(services)
    page = AsyncSlackResponse(
        client=None,
        http_verb="POST",
        api_url="http://127.0.0.1:9/api/views.update",
        req_args={},
        data="<html>502 Bad Gateway</html>",  # type: ignore[arg-type]
        headers={},
        status_code=502,
    )
    client.views_update.side_effect = SlackApiError("bad gateway", page)  # type: ignore[no-untyped-call]
    ack = AsyncMock()
    values: JSON = {"mode": {"mode": {"selected_option": {"value": "selected"}}}}
    values["allowed"] = {"allowed": {"selected_options": [{"value": "wordpress"}, {}, "junk"]}}
    meta = {"provider": str(row.id), "root": ROOT}
    await plan_listeners.allow_submitted(
        ack, submission(views.ALLOW, values, meta), context(), client, services
    )
    ack.assert_awaited_once_with()
    client.views_update.assert_awaited_once()
    async with services.db.session() as session:
        again = await providers.get(session, row.id)
    assert again is not None and again.configuration["allowed_deployments"] == ["wordpress"]


async def test_delete_asks_again_when_a_server_appeared_since_the_form_opened(
    services: Services, client: AsyncMock
) -> None:
    from db.models import VpsInstance

    row = await stored_provider(services)
    async with services.db.session() as session, session.begin():
        session.add(
            VpsInstance(
                label="web-1",
                status="running",
                provider_id=row.id,
                provider_type="digitalocean",
                team_id=TEAM,
                created_by=ADMIN,
            )
        )
    ack = AsyncMock()
    body = submission(views.DELETE, {}, {"provider": str(row.id), "root": ROOT}, blocks="junk")
    await provider_listeners.delete_submitted(ack, body, context(), client, services)
    assert answer(ack)["response_action"] == "update"
    assert "1 server(s)" in json.dumps(answer(ack)["view"].to_dict())
    assert await provider_names(services) == {"do-main"}


async def test_vps_log_reads_the_commands_workspace(services: Services, client: AsyncMock) -> None:
    row = await stored_provider(services)
    await provider_listeners.check(  # fails to reach 127.0.0.1:9 and records a warning
        AsyncMock(), action(views.CHECK_ACTION, str(row.id)), context(), client, services
    )
    ack = AsyncMock()
    command = {"team_id": TEAM, "user_id": ADMIN, "text": "log 5"}
    await listeners.log_command(services, command, "5", ack, AsyncMock(), client)
    shown = json.dumps(answer(ack)["blocks"], default=lambda b: b.to_dict())
    assert "`provider.check` provider *do-main*" in shown
    usage = AsyncMock()
    await listeners.log_command(services, command, "lots", usage, AsyncMock(), client)
    assert answer(usage)["text"].startswith("Usage: `/vps log [n]`")

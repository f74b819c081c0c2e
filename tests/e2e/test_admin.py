"""`/vps admin` and `/vps log`, driven like a Slack admin's session end to end.

The real Bolt app over HTTP, the Slack stand-in (which enforces Block Kit limits
on every view), both sandbox providers and real PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from db.models import ActivityLog, Plan, ServiceProvider, VpsInstance, WorkspacePolicy
from standins.playground.slack_client import Response, SlackSender
from standins.playground.slack_client import state_value as sv
from standins.sandbox.catalog import linode_catalog
from tests.e2e.conftest import ADMIN, TEAM, Bot
from tests.e2e.session import CreateSession, options_of, plan_id_of

JSON = dict[str, Any]


class AdminSession:
    """An admin's `/vps admin` modal stack, as Slack would drive it."""

    def __init__(self, bot: Bot, user: str = ADMIN) -> None:
        self.bot = bot
        self.api = bot.api
        self.slack: SlackSender = bot.slack.as_user(user)
        self.home_id = ""

    @property
    def home(self) -> JSON:
        return self.api.views[self.home_id]

    def view(self, view_id: str) -> JSON:
        return self.api.views[view_id]

    async def open(self) -> JSON:
        mark = self.api.mark()
        response = await self.slack.command("/vps", "admin")
        assert response.status == 200
        assert response.data == {}  # a plain ack: the modal says the rest
        call = await self.api.wait_for_call("views.open", after=mark)
        assert call.ok, call.response
        self.home_id = call.response["view"]["id"]
        return self.home

    async def _act(
        self, action_id: str, view_id: str, value: str, *, overflow: bool = False
    ) -> int:
        mark = self.api.mark()
        if overflow:
            response = await self.slack.block_action(
                action_id, view=view_id, selected_option=value, action_type="overflow"
            )
        else:
            response = await self.slack.block_action(action_id, value, view=view_id)
        assert response.status == 200
        return mark

    async def updated(self, view_id: str, mark: int, expect: str = "") -> JSON:
        """Wait for the views.update of ``view_id`` (containing ``expect``) after ``mark``."""
        call = await self.api.wait_for_call(
            "views.update",
            after=mark,
            predicate=lambda c: c.args.get("view_id") == view_id and expect in str(c.args),
        )
        assert call.ok, call.response
        return self.view(view_id)

    async def press(
        self, action_id: str, value: str, *, view_id: str | None = None, expect: str = ""
    ) -> JSON:
        """Press a button that updates the view it is on."""
        target = view_id or self.home_id
        mark = await self._act(action_id, target, value)
        return await self.updated(target, mark, expect)

    async def pick(self, action_id: str, value: str, *, view_id: str, expect: str = "") -> JSON:
        """Choose an overflow-menu item that updates the view it is on."""
        mark = await self._act(action_id, view_id, value, overflow=True)
        return await self.updated(view_id, mark, expect)

    async def push(
        self, action_id: str, value: str, *, view_id: str | None = None, overflow: bool = False
    ) -> str:
        """Press something that pushes a view; returns the pushed view's id."""
        mark = await self._act(action_id, view_id or self.home_id, value, overflow=overflow)
        call = await self.api.wait_for_call("views.push", after=mark)
        assert call.ok, call.response
        return str(call.response["view"]["id"])

    async def submit(self, view_id: str, values: dict[str, JSON]) -> Response:
        response = await self.slack.view_submission(view_id, values)
        assert response.status == 200
        return response

    async def submit_and_refresh(
        self, view_id: str, values: dict[str, JSON], refreshed: str, expect: str
    ) -> JSON:
        """Submit a pushed form that closes and refreshes the view ``refreshed``."""
        mark = self.api.mark()
        response = await self.submit(view_id, values)
        assert response.data == {}, response.data
        assert not self.api.is_open(view_id)
        return await self.updated(refreshed, mark, expect)


def provider_options(view: JSON) -> set[str]:
    return {o["value"] for o in options_of(view, "provider")}


async def provider_rows(bot: Bot) -> list[ServiceProvider]:
    async with bot.services.db.session() as session:
        return list((await session.execute(select(ServiceProvider))).scalars())


async def plans_of(bot: Bot, type_: str) -> list[Plan]:
    async with bot.services.db.session() as session:
        query = select(Plan).where(Plan.provider_id == bot.providers[type_].id)
        return list((await session.execute(query)).scalars())


async def events(bot: Bot, event_type: str) -> list[ActivityLog]:
    async with bot.services.db.session() as session:
        query = select(ActivityLog).where(ActivityLog.event_type == event_type)
        return list((await session.execute(query.order_by(ActivityLog.id))).scalars())


def add_values(type_: str, name: str, token: str, url: str | None) -> dict[str, JSON]:
    return {
        "type": {"type": sv.static_select(type_)},
        "name": {"name": sv.plain_text(name)},
        "token": {"token": sv.plain_text(token)},
        "api_url": {"api_url": sv.static_select(url or "official")},
    }


def markup_values(kind: str, value: str) -> dict[str, JSON]:
    return {
        "markup_kind": {"markup_kind": sv.radio(kind)},
        "markup": {"markup": sv.plain_text(value)},
    }


async def offered_plan_texts(bot: Bot, type_: str) -> list[str]:
    user = CreateSession(bot)
    await user.open()
    view = await user.choose_provider(type_)
    # "s-1vcpu-1gb — $7.20/mo": the provider's id (under the name) and the price shown
    return [
        f"{plan_id_of(o)} — {o['text']['text'].rpartition(' — ')[2]}"
        for o in options_of(view, "plan")
    ]


# ---------------------------------------------------------------------------- who may


async def test_a_member_is_refused_with_one_ephemeral_line(bot: Bot) -> None:
    member = bot.slack.as_user("UMEMBER1")
    bot.api.users["UMEMBER1"] = {"id": "UMEMBER1", "team_id": TEAM}
    for command in ("admin", "log"):
        response = await member.command("/vps", command)
        assert response.status == 200
        assert response.data["response_type"] == "ephemeral"
        assert response.data["text"] == f"Only vpsbot admins can use `/vps {command}`."
        assert "blocks" not in response.data
    # the admin's modal is the only one ever opened
    admin = AdminSession(bot)
    await admin.open()
    assert len(bot.api.calls_to("views.open")) == 1


async def test_a_member_cannot_act_on_an_admin_modal(bot: Bot) -> None:
    admin = AdminSession(bot)
    await admin.open()
    bot.api.users["UMEMBER2"] = {"id": "UMEMBER2", "team_id": TEAM}
    intruder = bot.slack.as_user("UMEMBER2")
    mark = bot.api.mark()
    linode = bot.provider_id("linode")
    response = await intruder.block_action("admin_toggle", f"off:{linode}", view=admin.home_id)
    assert response.status == 200
    await bot.api.wait_for_call(
        "users.info", after=mark, predicate=lambda c: c.args.get("user") == "UMEMBER2"
    )
    response = await intruder.view_submission(
        {"callback_id": "vps_admin:add", "private_metadata": "{}"},
        add_values("linode", "sneaky", bot.sandbox.tokens["linode"], bot.sandbox.linode_url),
        apply_to_api=False,
    )
    assert response.data["response_action"] == "update"  # the refusal in place of the form
    assert "Only vpsbot admins can do this." in str(response.data["view"])
    rows = await provider_rows(bot)
    assert {r.name for r in rows} == {"sandbox-digitalocean", "sandbox-linode"}
    assert all(r.active for r in rows)


async def test_a_slack_workspace_admin_is_allowed(bot: Bot) -> None:
    bot.api.users["UOWNER01"] = {"id": "UOWNER01", "team_id": TEAM, "is_admin": True}
    admin = AdminSession(bot, user="UOWNER01")
    home = await admin.open()
    assert home["title"]["text"] == "vpsbot admin"
    shown = str(home["blocks"])
    for name in ("sandbox-digitalocean", "sandbox-linode"):
        assert name in shown
    await bot.api.wait_for_call("users.info", predicate=lambda c: c.args["user"] == "UOWNER01")


# ---------------------------------------------------------------------------- providers


async def test_home_shows_each_providers_status(bot: Bot) -> None:
    admin = AdminSession(bot)
    home = await admin.open()
    do_id = bot.provider_id("digitalocean")
    blocks = {b.get("block_id"): b for b in home["blocks"]}
    header = blocks[f"provider:{do_id}"]["text"]["text"]
    assert "*sandbox-digitalocean* · DigitalOcean" in header and "*active*" in header
    fields = " ".join(f["text"] for f in blocks[f"status:{do_id}"]["fields"])
    assert ":white_check_mark: valid" in fields  # validated when added
    for capability in ("1-Click apps", "VPC", "IPv6", "monitoring"):
        assert f":white_check_mark: {capability}" in fields
    assert "left" in fields  # the sandbox sent its rate-limit headers
    linode_fields = str(blocks[f"status:{bot.provider_id('linode')}"]["fields"])
    assert ":white_check_mark: StackScripts" in linode_fields
    assert ":heavy_minus_sign: IPv6" in linode_fields


async def test_last_successful_call_follows_every_provider_call(bot: Bot) -> None:
    import re

    def shown(home: dict) -> int:  # type: ignore[type-arg]
        blocks = {b.get("block_id"): b for b in home["blocks"]}
        fields = " ".join(
            f["text"] for f in blocks[f"status:{bot.provider_id('linode')}"]["fields"]
        )
        stamp = re.search(r"Last successful call\*\n<!date\^(\d+)", fields)
        assert stamp is not None, fields
        return int(stamp.group(1))

    admin = AdminSession(bot)
    first = shown(await admin.open())
    await asyncio.sleep(1.1)
    provider = bot.services.provider_for(bot.providers["linode"])
    await provider.list_instances()  # any successful call, not only a check
    assert shown(await admin.open()) > first


async def test_adding_a_provider_with_a_bad_token_stores_nothing(bot: Bot) -> None:
    admin = AdminSession(bot)
    await admin.open()
    form = await admin.push("admin_add_provider", "add")
    response = await admin.submit(
        form, add_values("digitalocean", "do-second", "dop_v1_wrong", bot.sandbox.digitalocean_url)
    )
    assert response.data["response_action"] == "errors"
    assert set(response.data["errors"]) == {"token"}
    assert "rejected this token" in response.data["errors"]["token"]
    assert "dop_v1_wrong" not in response.body
    assert bot.api.is_open(form)
    assert {r.name for r in await provider_rows(bot)} == {"sandbox-digitalocean", "sandbox-linode"}
    assert [e.metadata_["name"] for e in await events(bot, "provider.create")] == [
        "sandbox-digitalocean",
        "sandbox-linode",
    ]


async def test_adding_a_provider_rejects_a_taken_name_and_a_bad_url(bot: Bot) -> None:
    admin = AdminSession(bot)
    await admin.open()
    form = await admin.push("admin_add_provider", "add")
    token = bot.sandbox.tokens["linode"]
    taken = await admin.submit(form, add_values("linode", "sandbox-linode", token, None))
    assert taken.data["errors"] == {"name": "a provider named 'sandbox-linode' already exists"}
    bad_url = await admin.submit(form, add_values("linode", "li-2", token, "ftp://example"))
    assert set(bad_url.data["errors"]) == {"api_url"}
    assert len(await provider_rows(bot)) == 2


async def test_slack_offers_the_operators_endpoints_and_refuses_any_other(bot: Bot) -> None:
    """The form lists the official API and VPSBOT_PROVIDER_HOSTS (here the sandbox's);
    a submission forged to name the operator's database port is refused at the field
    and nothing reaches that port."""
    admin = AdminSession(bot)
    await admin.open()
    form = await admin.push("admin_add_provider", "add")
    offered = [o["value"] for o in options_of(bot.api.views[form], "api_url")]
    assert offered == ["official", bot.sandbox.digitalocean_url, bot.sandbox.linode_url]
    token = bot.sandbox.tokens["linode"]
    mark = len(bot.sandbox.requests)
    for url in ("http://127.0.0.1:5432", "http://localhost:9", "http://[::ffff:127.0.0.1]:80"):
        refused = await admin.submit(form, add_values("linode", "probe", token, url))
        assert list(refused.data["errors"]) == ["api_url"], refused.data
        assert "operator" in refused.data["errors"]["api_url"]
    assert len(bot.sandbox.requests) == mark
    assert len(await provider_rows(bot)) == 2


async def test_adding_a_provider_validates_and_never_echoes_the_token(
    bot: Bot, captured_logs: pytest.LogCaptureFixture
) -> None:
    admin = AdminSession(bot)
    await admin.open()
    token = bot.sandbox.tokens["linode"]
    form = await admin.push("admin_add_provider", "add")
    home = await admin.submit_and_refresh(
        form,
        add_values("linode", "linode-two", token, bot.sandbox.linode_url),
        admin.home_id,
        "Added *linode-two*",
    )
    assert "linode-two" in str(home["blocks"])

    row = next(r for r in await provider_rows(bot) if r.name == "linode-two")
    assert row.type == "linode" and row.active
    assert row.api_key_encrypted != token and token not in row.api_key_encrypted
    assert bot.services.box.decrypt(row.api_key_encrypted) == token
    assert row.credentials_valid is True
    assert row.last_checked_at is not None and row.last_success_at is not None
    async with bot.services.db.session() as session:
        stored = (await session.execute(text("SELECT t::text FROM service_providers t"))).scalars()
        assert all(token not in line for line in stored)
    created = (await events(bot, "provider.create"))[-1]
    assert (created.user_id, created.team_id) == (ADMIN, TEAM)
    request_id = created.metadata_.pop("request_id")  # the Slack request that made the row
    assert created.metadata_ == {"name": "linode-two", "type": "linode"}
    assert len(request_id) == 16 and int(request_id, 16) >= 0

    recorded = [json.dumps([c.args, c.response], default=str) for c in bot.api.calls]
    assert recorded and all(token not in call for call in recorded)
    assert all(token not in str(post.payload) for post in bot.api.responses)
    assert all(token not in record.getMessage() for record in captured_logs.records)


async def test_deactivating_hides_a_provider_from_create_until_reactivated(bot: Bot) -> None:
    admin = AdminSession(bot)
    await admin.open()
    do_id = bot.provider_id("digitalocean")
    home = await admin.press("admin_toggle", f"off:{do_id}", expect="is deactivated")
    assert ":black_circle: *inactive*" in str(home["blocks"])
    user = CreateSession(bot)
    assert provider_options(await user.open()) == {bot.provider_id("linode")}

    await admin.press("admin_toggle", f"on:{do_id}", expect="is active again")
    again = CreateSession(bot)
    assert provider_options(await again.open()) == {do_id, bot.provider_id("linode")}
    assert [e.status for e in await events(bot, "provider.disable")] == ["success"]
    assert [e.user_id for e in await events(bot, "provider.enable")] == [ADMIN]


async def test_rename_and_rotate_token(bot: Bot) -> None:
    admin = AdminSession(bot)
    await admin.open()
    linode = bot.provider_id("linode")
    form = await admin.push("admin_more", f"rename:{linode}", overflow=True)
    taken = await admin.submit(form, {"name": {"name": sv.plain_text("sandbox-digitalocean")}})
    assert set(taken.data["errors"]) == {"name"}
    await admin.submit_and_refresh(
        form, {"name": {"name": sv.plain_text("Linode EU")}}, admin.home_id, "now called"
    )
    user = CreateSession(bot)
    names = {o["text"]["text"] for o in options_of(await user.open(), "provider")}
    assert "Linode EU" in names  # the cloud named already: not said twice

    before = next(r for r in await provider_rows(bot) if r.name == "Linode EU")
    form = await admin.push("admin_more", f"rotate:{linode}", overflow=True)
    bad = await admin.submit(form, {"token": {"token": sv.plain_text("wrong-token-123")}})
    assert set(bad.data["errors"]) == {"token"}
    unchanged = next(r for r in await provider_rows(bot) if r.name == "Linode EU")
    assert unchanged.api_key_encrypted == before.api_key_encrypted

    token = bot.sandbox.tokens["linode"]
    await admin.submit_and_refresh(
        form, {"token": {"token": sv.plain_text(token)}}, admin.home_id, "new token checked"
    )
    rotated = next(r for r in await provider_rows(bot) if r.name == "Linode EU")
    assert rotated.api_key_encrypted != before.api_key_encrypted
    assert bot.services.box.decrypt(rotated.api_key_encrypted) == token
    assert rotated.last_checked_at is not None and rotated.last_checked_at > before.last_checked_at
    changes = [e.metadata_["change"] for e in await events(bot, "provider.update")]
    assert changes == ["name", "token"]
    assert all(token not in json.dumps(c.args, default=str) for c in bot.api.calls)


async def test_check_now_records_the_verdict(bot: Bot) -> None:
    admin = AdminSession(bot)
    await admin.open()
    do_id = bot.provider_id("digitalocean")
    first = next(r for r in await provider_rows(bot) if r.type == "digitalocean")
    await admin.press("admin_check", do_id, expect="credentials valid")
    checked = next(r for r in await provider_rows(bot) if r.type == "digitalocean")
    assert checked.credentials_valid is True
    assert checked.last_checked_at is not None and first.last_checked_at is not None
    assert checked.last_checked_at > first.last_checked_at
    assert checked.updated_at == first.updated_at  # a check is not a new row version

    bot.sandbox.tokens["digitalocean"] = "revoked-at-the-provider"
    home = await admin.press("admin_check", do_id, expect="rejected the stored token")
    assert ":x: rejected" in str(home["blocks"])
    revoked = next(r for r in await provider_rows(bot) if r.type == "digitalocean")
    assert revoked.credentials_valid is False
    assert revoked.last_success_at == checked.last_success_at
    assert [e.status for e in await events(bot, "provider.check")] == ["success", "error"]


async def test_delete_is_refused_while_a_server_uses_the_provider(bot: Bot) -> None:
    linode = bot.providers["linode"]
    async with bot.services.db.session() as session, session.begin():
        session.add(
            VpsInstance(
                label="web-1",
                status="running",
                provider_id=linode.id,
                provider_type="linode",
                team_id=TEAM,
                created_by="U0001",
            )
        )
    admin = AdminSession(bot)
    await admin.open()
    form = await admin.push("admin_more", f"delete:{linode.id}", overflow=True)
    assert "1 server(s)" in str(admin.view(form)["blocks"])
    refused = await admin.submit(form, {"confirm": {"confirm": sv.checkboxes([])}})
    assert refused.data["response_action"] == "errors"
    assert "tick the box" in refused.data["errors"]["confirm"]
    assert len(await provider_rows(bot)) == 2

    await admin.submit_and_refresh(
        form,
        {"confirm": {"confirm": sv.checkboxes(["force"])}},
        admin.home_id,
        "Deleted *sandbox-linode*",
    )
    assert [r.type for r in await provider_rows(bot)] == ["digitalocean"]
    async with bot.services.db.session() as session:
        server = (await session.execute(select(VpsInstance))).scalar_one()
    assert server.provider_id is None
    deleted = await events(bot, "provider.delete")
    assert [(e.status, e.metadata_["forced"]) for e in deleted] == [("warning", True)]


async def test_delete_without_servers_needs_no_box(bot: Bot) -> None:
    admin = AdminSession(bot)
    await admin.open()
    do_id = bot.provider_id("digitalocean")
    form = await admin.push("admin_more", f"delete:{do_id}", overflow=True)
    assert "confirm" not in [b.get("block_id") for b in admin.view(form)["blocks"]]
    await admin.submit_and_refresh(form, {}, admin.home_id, "Deleted *sandbox-digitalocean*")
    assert [r.type for r in await provider_rows(bot)] == ["linode"]
    assert await plans_of(bot, "digitalocean") == []


# ---------------------------------------------------------------------------- plans


async def _open_plans(admin: AdminSession, bot: Bot, type_: str) -> str:
    return await admin.push("admin_plans", bot.provider_id(type_))


async def test_importing_plans_twice_never_duplicates(bot: Bot) -> None:
    admin = AdminSession(bot)
    await admin.open()
    plans_view = await _open_plans(admin, bot, "linode")
    before = await plans_of(bot, "linode")
    assert before and len(before) == len({p.provider_plan_id for p in before})

    form = await admin.push("admin_import", bot.provider_id("linode"), view_id=plans_view)
    await admin.submit_and_refresh(
        form, markup_values("percent", "10"), plans_view, f"Imported {len(before)} plan(s)"
    )
    form = await admin.push("admin_import", bot.provider_id("linode"), view_id=plans_view)
    refreshed = await admin.submit_and_refresh(
        form, markup_values("amount", "2"), plans_view, "with a $2.00 markup"
    )
    after = await plans_of(bot, "linode")
    assert sorted(p.provider_plan_id for p in after) == sorted(p.provider_plan_id for p in before)
    assert {p.id for p in after} == {p.id for p in before}
    assert {p.markup_price for p in after} == {Decimal("2.00")}
    assert "+ $2.00 markup" in str(refreshed["blocks"])
    imports = [e for e in await events(bot, "plans.import") if e.user_id == ADMIN]
    assert [e.metadata_["markup"] for e in imports] == ["10%", "$2.00"]
    # imported from Slack, the plans keep the provider's regional prices too
    nanode = next(p for p in after if p.provider_plan_id == "g6-nanode-1")
    assert nanode.region_prices and all(
        Decimal(price["monthly"]) != nanode.base_price for price in nanode.region_prices.values()
    )


async def test_an_invalid_markup_is_refused_at_the_field(bot: Bot) -> None:
    admin = AdminSession(bot)
    await admin.open()
    plans_view = await _open_plans(admin, bot, "linode")
    form = await admin.push("admin_import", bot.provider_id("linode"), view_id=plans_view)
    for bad in ("lots", "-5"):
        response = await admin.submit(form, markup_values("percent", bad))
        assert set(response.data["errors"]) == {"markup"}


async def test_editing_a_markup_changes_the_price_in_create(bot: Bot) -> None:
    assert "s-1vcpu-1gb — $7.20/mo" in await offered_plan_texts(bot, "digitalocean")
    admin = AdminSession(bot)
    await admin.open()
    plans_view = await _open_plans(admin, bot, "digitalocean")
    plan = next(
        p for p in await plans_of(bot, "digitalocean") if p.provider_plan_id == "s-1vcpu-1gb"
    )
    form = await admin.push("admin_plan", f"markup:{plan.id}", view_id=plans_view, overflow=True)
    await admin.submit_and_refresh(
        form, markup_values("amount", "2.50"), plans_view, "now costs users $8.50/mo"
    )
    assert "s-1vcpu-1gb — $8.50/mo" in await offered_plan_texts(bot, "digitalocean")

    form = await admin.push("admin_plan", f"markup:{plan.id}", view_id=plans_view, overflow=True)
    await admin.submit_and_refresh(
        form, markup_values("percent", "50"), plans_view, "now costs users $9.00/mo"
    )
    assert "s-1vcpu-1gb — $9.00/mo" in await offered_plan_texts(bot, "digitalocean")
    updates = await events(bot, "plans.update")
    assert [e.metadata_["markup"] for e in updates] == ["2.50", "3.00"]


async def test_a_disabled_plan_is_gone_from_create(bot: Bot) -> None:
    admin = AdminSession(bot)
    await admin.open()
    plans_view = await _open_plans(admin, bot, "digitalocean")
    plan = next(
        p for p in await plans_of(bot, "digitalocean") if p.provider_plan_id == "s-1vcpu-1gb"
    )
    await admin.pick(
        "admin_plan", f"disable:{plan.id}", view_id=plans_view, expect="no longer offered"
    )
    texts = await offered_plan_texts(bot, "digitalocean")
    assert texts and not any(t.startswith("s-1vcpu-1gb ") for t in texts)

    await admin.pick("admin_plan", f"enable:{plan.id}", view_id=plans_view, expect="offered again")
    assert any(t.startswith("s-1vcpu-1gb ") for t in await offered_plan_texts(bot, "digitalocean"))
    changes = [e.metadata_["change"] for e in await events(bot, "plans.update")]
    assert changes == ["disable", "enable"]


async def test_a_plan_of_another_provider_is_not_touched(bot: Bot) -> None:
    admin = AdminSession(bot)
    await admin.open()
    plans_view = await _open_plans(admin, bot, "linode")
    other = (await plans_of(bot, "digitalocean"))[0]
    await admin.pick(
        "admin_plan", f"disable:{other.id}", view_id=plans_view, expect="no longer exists"
    )
    assert all(p.active for p in await plans_of(bot, "digitalocean"))


# ---------------------------------------------------------------------------- allowlists


async def _deployment_apps(bot: Bot) -> set[str]:
    user = CreateSession(bot)
    await user.open()
    response = await user.plan_step("digitalocean", "s-1vcpu-1gb", "nyc3", label="app-1")
    view = response.data["view"]
    assert view["callback_id"] == "vps_create:deployment"
    return {o["value"] for o in options_of(view, "deployment")} - {"none"}


async def test_an_allowlist_restricts_the_apps_offered(bot: Bot) -> None:
    everything = await _deployment_apps(bot)
    assert {"wordpress", "docker-20-04"} < everything

    admin = AdminSession(bot)
    await admin.open()
    do_id = bot.provider_id("digitalocean")
    mark = bot.api.mark()
    form = await admin.push("admin_allowlist", do_id)
    view = await admin.updated(form, mark, "allowed")
    assert {o["value"] for o in options_of(view, "allowed")} == everything
    home = await admin.submit_and_refresh(
        form,
        {
            "mode": {"mode": sv.radio("selected")},
            "allowed": {"allowed": sv.multi_static_select(["wordpress", "docker-20-04"])},
        },
        admin.home_id,
        "2 1-Click apps allowed",
    )
    assert "2 allowed" in str(home["blocks"])
    assert await _deployment_apps(bot) == {"wordpress", "docker-20-04"}

    mark = bot.api.mark()
    form = await admin.push("admin_allowlist", do_id)
    view = await admin.updated(form, mark, "allowed")
    allowed_block = next(b for b in view["blocks"] if b.get("block_id") == "allowed")
    initial = {o["value"] for o in allowed_block["element"]["initial_options"]}
    assert initial == {"wordpress", "docker-20-04"}
    await admin.submit_and_refresh(
        form, {"mode": {"mode": sv.radio("all")}}, admin.home_id, "all 1-Click apps allowed"
    )
    assert await _deployment_apps(bot) == everything
    allowed = [e.metadata_["allowed"] for e in await events(bot, "allowlist.update")]
    assert allowed == [2, "all"]


# ---------------------------------------------------------------------------- /vps log


async def test_vps_log_shows_the_latest_events(bot: Bot) -> None:
    admin = AdminSession(bot)
    await admin.open()
    linode = bot.provider_id("linode")
    await admin.press("admin_toggle", f"off:{linode}", expect="is deactivated")
    await admin.press("admin_toggle", f"on:{linode}", expect="is active again")
    await admin.press("admin_check", linode, expect="credentials valid")
    async with bot.services.db.session() as session, session.begin():
        session.add(
            ActivityLog(
                event_type="vps.reboot",
                status="success",
                team_id="TOTHER",
                user_id="UOTHER",
                entity_type="vps",
                entity_id=str(uuid.uuid4()),
                metadata_={"label": "secret-box"},
            )
        )

    response = await admin.slack.command("/vps", "log 3")
    assert response.data["response_type"] == "ephemeral"
    shown = str(response.data["blocks"])
    lines = [line for line in shown.split("\\n") if "`provider." in line]
    assert len(lines) == 3
    assert "`provider.check` provider *sandbox-linode* (credentials valid) — success" in lines[0]
    assert "`provider.enable`" in lines[1] and "`provider.disable`" in lines[2]
    assert f"<@{ADMIN}>" in lines[0]
    assert "secret-box" not in shown  # another workspace's server

    everything = await admin.slack.command("/vps", "log")
    text_all = str(everything.data["blocks"])
    imported = len(linode_catalog().types)
    assert f"`plans.import` provider *sandbox-linode* ({imported} plan(s), markup 20%)" in text_all
    assert "`provider.create`" in text_all


async def test_vps_log_stays_within_slacks_limits(bot: Bot) -> None:
    async with bot.services.db.session() as session, session.begin():
        for n in range(70):
            session.add(
                ActivityLog(
                    event_type="vps.create",
                    status="info",
                    team_id=TEAM,
                    user_id="U0001",
                    entity_type="vps",
                    entity_id=str(uuid.uuid4()),
                    metadata_={
                        "label": f"srv-{n:02d}-" + "x" * 50,
                        "provider": "sandbox-linode",
                        "region": "us-east",
                        "stage": "requested",
                    },
                )
            )
    admin = AdminSession(bot)
    response = await admin.slack.command("/vps", "log 500")
    blocks = response.data["blocks"]
    assert len(blocks) <= 50
    shown = str(blocks)
    assert shown.count("`vps.create`") == 50
    assert "srv-69-" in shown and "srv-20-" in shown and "srv-19-" not in shown
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    usage = await admin.slack.command("/vps", "log many")
    assert usage.data["text"].startswith("Usage: `/vps log [n]`")


def initial_state(view: JSON) -> dict[str, JSON]:
    """What Slack submits for a form nobody touched: every input's initial value."""
    state: dict[str, JSON] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        kind, action = element["type"], element["action_id"]
        value: JSON = {"type": kind}
        if kind == "plain_text_input":
            value["value"] = element.get("initial_value")
        elif kind == "multi_users_select":
            value["selected_users"] = element.get("initial_users") or []
        elif kind == "multi_conversations_select":
            value["selected_conversations"] = element.get("initial_conversations") or []
        elif kind == "conversations_select":
            value["selected_conversation"] = element.get("initial_conversation")
        else:
            value["selected_option"] = element.get("initial_option")
        state[block["block_id"]] = {action: value}
    return state


async def test_the_spend_policy_is_set_with_slacks_pickers(bot: Bot) -> None:
    bot.api.usergroups["S0000OPS"] = ["U0000BOSS"]
    bot.api.usergroup_names["S0000OPS"] = "Ops team"
    admin = AdminSession(bot)
    await admin.open()
    form_id = await admin.push("admin_policy", "policy")
    form = admin.view(form_id)
    element = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert element["approver_ids"]["type"] == "multi_users_select"
    assert element["approval_channel"]["type"] == "conversations_select"
    assert element["create_channels"]["type"] == "multi_conversations_select"
    assert element["lease_end_action"]["type"] == "radio_buttons"
    groups = [(o["value"], o["text"]["text"]) for o in element["approver_group"]["options"]]
    assert groups == [("none", "No user group"), ("S0000OPS", "Ops team (@ops-team)")]
    assert element["default_lease_hours"]["initial_value"] == "30"  # days

    # every bad field at once, nothing saved
    bad = await admin.submit(
        form_id,
        initial_state(form)
        | {
            "monthly_budget": {"monthly_budget": sv.plain_text("lots")},
            "max_lease_hours": {"max_lease_hours": sv.plain_text("forever")},
        },
    )
    assert bad.data["response_action"] == "errors"
    assert set(bad.data["errors"]) == {"monthly_budget", "max_lease_hours"}, bad.data

    picked = {
        "monthly_budget": {"monthly_budget": sv.plain_text("500")},
        "max_lease_hours": {"max_lease_hours": sv.plain_text("60")},
        "approval_threshold": {"approval_threshold": sv.plain_text("20")},
        "approver_ids": {
            "approver_ids": {"type": "multi_users_select", "selected_users": ["U0000BOSS"]}
        },
        "approver_group": {"approver_group": sv.static_select("S0000OPS")},
        "approval_channel": {"approval_channel": sv.conversations_select("C0000APPR")},
        "lease_end_action": {"lease_end_action": sv.radio("delete")},
    }
    saved = await admin.submit(form_id, initial_state(form) | picked)
    assert saved.data == {}, saved.data
    async with bot.services.db.session() as session:
        row = await session.get(WorkspacePolicy, TEAM)
    assert row is not None
    assert (row.max_lease_hours, row.default_lease_hours) == (60 * 24, 30 * 24)
    assert list(row.approver_ids or ()) == ["U0000BOSS"]
    assert (row.approver_group, row.approval_channel) == ("S0000OPS", "C0000APPR")
    assert row.lease_end_action == "delete"

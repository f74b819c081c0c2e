"""A user manages a server from its details message: power, reboot, rebuild,
resize and delete on both providers, against the sandbox, followed to the end
by the status watcher; plus the refusals and provider failures."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.actions import ACTIONS
from bot.core.actions import word as action_word
from bot.core.tags import VPSBOT_TAG
from bot.status.watcher import StatusWatcher
from db.models import ActivityLog, Plan, VpsInstance
from db.repo import instances
from providers.models import CreateRequest
from standins.playground.slack_client import SlackSender
from standins.playground.slack_client import state_value as sv
from tests.e2e.conftest import Bot, is_graphs, not_graphs
from tests.e2e.session import options_of, plan_id_of

JSON = dict[str, Any]
PROVIDERS = ("digitalocean", "linode")
SETUP = {
    "digitalocean": ("s-1vcpu-1gb", "nyc3", "ubuntu-24-04-x64", "s-1vcpu-2gb", "debian-12-x64"),
    "linode": ("g6-nanode-1", "us-east", "linode/ubuntu24.04", "g6-standard-1", "linode/debian12"),
}
#: Plans the sandbox has that cannot run in SETUP's region now.
NOT_HERE = {
    "digitalocean": ("m-2vcpu-16gb",),
    "linode": ("g2-gpu-rtx4000a1-s", "g1-gpu-rtx6000-1", "g1-accelerated-netint-vpu-t1u1-s"),
}
#: The provider call each direct action makes at the sandbox.
ACTION_PATHS = {
    "digitalocean": "/v2/droplets/{id}/actions",
    "linode": "/v4/linode/instances/{id}/reboot",
}


async def create_server(
    bot: Bot, type_: str, label: str, *, user: str = "U0001", team: str = "T0001"
) -> uuid.UUID:
    """A running server at the sandbox and its row, as `/vps create` leaves them."""
    plan, region, image, _, _ = SETUP[type_]
    provider_row = bot.providers[type_]
    instance_id = uuid.uuid4()
    tag = f"vpsbot-{instance_id}"
    server = await bot.services.provider_for(provider_row).create_instance(
        CreateRequest(
            label=label,
            region=region,
            plan=plan,
            image=image,
            tag=tag,
            root_password="Create-Pass-1234",
            extra_tags=[VPSBOT_TAG],
        )
    )
    async with bot.services.db.session() as session, session.begin():
        plan_row = (
            await session.execute(
                select(Plan).where(
                    Plan.provider_id == provider_row.id, Plan.provider_plan_id == plan
                )
            )
        ).scalar_one()
        session.add(
            VpsInstance(
                id=instance_id,
                label=label,
                status=server.status.value,
                team_id=team,
                created_by=user,
                provider_id=provider_row.id,
                provider_type=type_,
                plan_id=plan_row.id,
                region=region,
                tag=tag,
                provider_instance_id=server.id,
                channel_id="C0001",
                configuration={"plan": plan, "image": image},
            )
        )
        await instances.schedule_watch(session, instance_id)
    row = await follow(bot, instance_id)
    assert row.status == "running"
    return instance_id


async def follow(bot: Bot, instance_id: uuid.UUID) -> VpsInstance:
    """Let time pass at the sandbox and the watcher catch up until the row settles."""
    watcher = StatusWatcher(bot.services)
    for _ in range(10):
        bot.sandbox.advance(60)
        await watcher.cycle(ignore_schedule=True)
        row = await load(bot, instance_id)
        if row.watch_next_at is None:
            return row
    raise AssertionError("the server never settled")


async def load(bot: Bot, instance_id: uuid.UUID) -> VpsInstance:
    async with bot.services.db.session() as session:
        row = await session.get(VpsInstance, instance_id)
    assert row is not None
    return row


async def events(bot: Bot, instance_id: uuid.UUID) -> list[tuple[str, str, str | None]]:
    async with bot.services.db.session() as session:
        rows = (
            await session.execute(
                select(ActivityLog)
                .where(ActivityLog.entity_id == str(instance_id))
                .order_by(ActivityLog.id)
            )
        ).scalars()
        return [(r.event_type, r.status, r.user_id) for r in rows]


def thread_replies(bot: Bot, after: int) -> list[str]:
    return [
        str(c.args["text"])
        for c in bot.api.calls_to("chat.postMessage")[after:]
        if c.args.get("thread_ts")
    ]


def button(blocks: list[JSON], action_id: str) -> JSON | None:
    for b in blocks:
        for element in b.get("elements") or []:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element
    return None


class Owner:
    """One user's side of the conversation: the details message and what it answers."""

    def __init__(self, bot: Bot, instance_id: uuid.UUID, slack: SlackSender | None = None):
        self.bot = bot
        self.instance_id = instance_id
        self.slack = slack or bot.slack
        self.blocks: list[JSON] = []

    async def details(self) -> list[JSON]:
        row = await load(self.bot, self.instance_id)
        after = len(self.bot.api.responses)
        body = (await self.slack.command("/vps", f"show {row.label}")).data
        self.blocks = body.get("blocks") or []
        # the graphs follow in a message of their own: let it arrive before the next press
        await self.bot.api.wait_for_response(is_graphs, after=after, timeout=30)
        return self.blocks

    def offers(self, action_id: str) -> bool:
        """A button of that action, or its entry in the "More" menu."""
        return button(self.blocks, action_id) is not None or self.in_menu(action_id) is not None

    def in_menu(self, action_id: str) -> str | None:
        """The "More" menu's option value for ``action_id`` (None: not in the menu)."""
        name = action_id.removeprefix("vps_act_").removeprefix("vps_")
        menu = button(self.blocks, "vps_more")
        for option in (menu or {}).get("options") or []:
            if option["value"] == f"{name}:{self.instance_id}":
                return str(option["value"])
        return None

    async def choose(self, value: str) -> JSON:
        """Choose an entry of the "More" menu: the confirmation that replaces the details."""
        after = len(self.bot.api.responses)
        response = await self.slack.block_action(
            "vps_more", selected_option=value, action_type="overflow", block_id="vps_actions"
        )
        assert response.status == 200
        post = await self.bot.api.wait_for_response(after=after)
        assert post.payload.get("replace_original") is True
        self.blocks = post.payload.get("blocks") or []
        return post.payload

    async def press(self, action_id: str, value: str | None = None) -> JSON:
        """Press a button of the details message (an action in the "More" menu is
        chosen there first, and its confirmation pressed); the message the app
        answered with."""
        chosen = self.in_menu(action_id) if button(self.blocks, action_id) is None else None
        if chosen is not None:
            confirmation = await self.choose(chosen)
            assert ACTIONS[chosen.partition(":")[0]].explain in str(confirmation["blocks"])
            assert button(self.blocks, action_id) is not None
        after = len(self.bot.api.responses)
        response = await self.slack.block_action(
            action_id, value=value or str(self.instance_id), block_id="vps_actions"
        )
        assert response.status == 200
        post = await self.bot.api.wait_for_response(not_graphs, after=after)
        if post.payload.get("replace_original"):
            self.blocks = post.payload.get("blocks") or []
        return post.payload

    async def open_modal(self, action_id: str) -> JSON:
        """Open an action's form from its button or, when it sits there, the menu."""
        mark = self.bot.api.mark()
        chosen = self.in_menu(action_id) if button(self.blocks, action_id) is None else None
        if chosen is not None:
            response = await self.slack.block_action(
                "vps_more", selected_option=chosen, action_type="overflow", block_id="vps_actions"
            )
        else:
            response = await self.slack.block_action(
                action_id, value=str(self.instance_id), block_id="vps_actions"
            )
        assert response.status == 200
        call = await self.bot.api.wait_for_call("views.open", after=mark)
        return dict(call.response["view"])  # as opened (it may be updated since)

    async def submit(self, view: JSON, values: JSON) -> JSON:
        response = await self.slack.view_submission(view["id"], values)
        assert response.status == 200
        return response.data

    async def ephemeral(self, mark: int, contains: str) -> str:
        call = await self.bot.api.wait_for_call(
            "chat.postEphemeral", after=mark, predicate=lambda c: contains in c.args["text"]
        )
        assert call.args["user"] == self.slack.user_id
        return str(call.args["text"])


async def direct_action(bot: Bot, owner: Owner, action: str, busy: str, settled: str) -> None:
    """Press ``action``; the row shows ``busy`` until the watcher sees ``settled``."""
    await owner.details()
    assert owner.offers(f"vps_act_{action}"), action
    posted = len(bot.api.calls_to("chat.postMessage"))
    answer = await owner.press(f"vps_act_{action}")
    assert answer["replace_original"] is True
    assert "requested" in str(answer["blocks"][0])
    row = await load(bot, owner.instance_id)
    assert row.status == busy
    assert row.configuration["pending_action"]["action"] == action
    assert row.configuration["pending_action"]["by"] == "U0001"
    assert row.watch_next_at is not None
    word = action_word(action).lower()
    assert any(f"<@U0001> requested {word} of" in t for t in thread_replies(bot, posted))
    row = await follow(bot, owner.instance_id)
    assert row.status == settled
    assert "pending_action" not in row.configuration
    assert any("completed" in t for t in thread_replies(bot, posted))
    log = await events(bot, owner.instance_id)
    assert (f"vps.{action}", "info", "U0001") in log
    assert (f"vps.{action}", "success", "U0001") in log


@pytest.mark.parametrize("type_", PROVIDERS)
async def test_every_action_from_the_details_message(
    bot: Bot, type_: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, _, _, bigger, other_image = SETUP[type_]
    instance_id = await create_server(bot, type_, f"{type_[:2]}-box")
    owner = Owner(bot, instance_id)

    await direct_action(bot, owner, "reboot", "rebooting", "running")
    if type_ == "digitalocean":
        await direct_action(bot, owner, "power_cycle", "rebooting", "running")
    else:  # Linode has no power cycle: not offered
        await owner.details()
        assert not owner.offers("vps_act_power_cycle")
    await direct_action(bot, owner, "shutdown", "stopped", "stopped")
    await direct_action(bot, owner, "power_on", "provisioning", "running")
    await owner.details()
    assert button(owner.blocks, "vps_act_power_off") is None  # in the menu, said in full
    assert owner.in_menu("vps_act_power_off") is not None
    await direct_action(bot, owner, "power_off", "stopped", "stopped")

    # resize: a modal offering the provider's other active plans
    view = await owner.open_modal("vps_resize")
    assert view["callback_id"] == "vps_resize_modal"
    options = options_of(view, "plan")
    assert not any(plan_id_of(o) == SETUP[type_][0] for o in options)
    # only plans the server's region can run now: not one no region runs (empty
    # list), nor one sold out there (Linode's RTX6000 in us-east)
    for never in NOT_HERE[type_]:
        assert not any(plan_id_of(o) == never for o in options), never
    choice = next(o for o in options if plan_id_of(o) == bigger)
    mark = bot.api.mark()
    ack = await owner.submit(view, {"plan": {"vps_resize_plan": sv.static_select(choice)}})
    assert ack == {}
    await owner.ephemeral(mark, "Resize of")
    row = await follow(bot, instance_id)
    assert row.configuration["plan"] == bigger
    server = next(
        s for s in bot.sandbox.instances(type_) if str(s["id"]) == row.provider_instance_id
    )
    assert (server.get("size_slug") or server.get("type")) == bigger
    assert ("vps.resize", "success", "U0001") in await events(bot, instance_id)
    await direct_action(bot, owner, "power_on", "provisioning", "running")

    # rebuild: images load into the modal; Linode takes a new root password
    mark = bot.api.mark()
    view = await owner.open_modal("vps_rebuild")
    assert "Loading images" in str(view["blocks"])
    await bot.api.wait_for_call("views.update", after=mark)
    view = bot.api.views[view["id"]]
    ids = [b.get("block_id") for b in view["blocks"]]
    assert ("password" in ids) == (type_ == "linode")
    mark = bot.api.mark()
    ack = await owner.submit(
        view,
        {
            "image": {"vps_rebuild_image": sv.static_select(other_image)},
            "password": {"password": sv.plain_text(None)},
        },
    )
    assert ack == {}
    await owner.ephemeral(mark, "Rebuild of")
    password = None
    if type_ == "linode":
        text = await owner.ephemeral(mark, "New root password")
        password = text.split("`")[1]
        assert len(password) >= 16
    row = await follow(bot, instance_id)
    assert row.status == "running" and row.configuration["image"] == other_image
    server = next(
        s for s in bot.sandbox.instances(type_) if str(s["id"]) == row.provider_instance_id
    )
    assert other_image in str(server["image"])

    # delete: the label must be typed
    view = await owner.open_modal("vps_delete")
    before = bot.sandbox.request_count(type_, method="DELETE")
    ack = await owner.submit(view, {"confirm_label": {"label": sv.plain_text("wrong")}})
    assert ack["response_action"] == "errors"
    assert f"Type {row.label} exactly" in ack["errors"]["confirm_label"]
    assert bot.sandbox.request_count(type_, method="DELETE") == before
    mark = bot.api.mark()
    answered = len(bot.api.responses)
    ack = await owner.submit(view, {"confirm_label": {"label": sv.plain_text(f" {row.label} ")}})
    assert ack == {}
    await owner.ephemeral(mark, "Delete of")
    # the details message it was deleted from says so, with nothing left to press
    updated = await bot.api.wait_for_response(after=answered)
    assert updated.payload["replace_original"] is True
    assert "*deleting*" in str(updated.payload["blocks"])
    assert not [b for b in updated.payload["blocks"] if b["type"] == "actions"]
    assert (await load(bot, instance_id)).status == "deleting"
    row = await follow(bot, instance_id)
    assert row.status == "deleted"
    assert bot.sandbox.instances(type_) == []
    assert ("vps.delete", "info", "U0001") in await events(bot, instance_id)
    body = (await bot.slack.command("/vps", "list")).data
    assert row.label not in str(body["blocks"])

    # the generated password went to the requester once and nowhere else
    if password is not None:
        shown = [c for c in bot.api.calls if password in str(c.args)]
        assert [c.method for c in shown] == ["chat.postEphemeral"]
        assert password not in caplog.text
        async with bot.services.db.session() as session:
            logs = (await session.execute(select(ActivityLog))).scalars().all()
        assert all(password not in str(entry.metadata_) for entry in logs)
        assert password not in str((await load(bot, instance_id)).configuration)


async def test_linode_rebuild_checks_a_chosen_password_like_create(bot: Bot) -> None:
    instance_id = await create_server(bot, "linode", "pw-box")
    owner = Owner(bot, instance_id)
    mark = bot.api.mark()
    view = await owner.open_modal("vps_rebuild")
    await bot.api.wait_for_call("views.update", after=mark)
    view = bot.api.views[view["id"]]
    posts = bot.sandbox.request_count("linode", method="POST")
    image = {"image": {"vps_rebuild_image": sv.static_select("linode/debian12")}}
    ack = await owner.submit(view, {**image, "password": {"password": sv.plain_text("short")}})
    assert ack["response_action"] == "errors"
    assert "password" in ack["errors"] and "at least 11" in ack["errors"]["password"]
    ack = await owner.submit(view, {"password": {"password": sv.plain_text("Chosen-Pass-99")}})
    assert ack == {"response_action": "errors", "errors": {"image": "Choose an image."}}
    assert bot.sandbox.request_count("linode", method="POST") == posts

    mark = bot.api.mark()
    ack = await owner.submit(
        view, {**image, "password": {"password": sv.plain_text("Chosen-Pass-99")}}
    )
    assert ack == {}
    await owner.ephemeral(mark, "Rebuild of")
    assert not any(
        "New root password" in c.args["text"] for c in bot.api.calls_to("chat.postEphemeral")[mark:]
    )
    assert "Chosen-Pass-99" not in str([c.args for c in bot.api.calls])


async def test_resize_refuses_a_plan_of_the_other_provider(bot: Bot) -> None:
    instance_id = await create_server(bot, "linode", "mixed")
    owner = Owner(bot, instance_id)
    view = await owner.open_modal("vps_resize")
    async with bot.services.db.session() as session:
        foreign = (
            (
                await session.execute(
                    select(Plan).where(Plan.provider_id == bot.providers["digitalocean"].id)
                )
            )
            .scalars()
            .first()
        )
    assert foreign is not None
    posts = bot.sandbox.request_count("linode", method="POST")
    ack = await owner.submit(view, {"plan": {"vps_resize_plan": sv.static_select(str(foreign.id))}})
    assert ack == {
        "response_action": "errors",
        "errors": {"plan": "That plan is not offered for this server's provider."},
    }
    assert bot.sandbox.request_count("linode", method="POST") == posts


@pytest.mark.parametrize("type_", PROVIDERS)
@pytest.mark.parametrize(
    ("status", "expected"),
    [(429, "rate limiting vpsbot; please retry in about 1 s"), (500, "is unavailable right now")],
)
async def test_provider_failure_is_told_and_changes_nothing(
    bot: Bot, type_: str, status: int, expected: str
) -> None:
    instance_id = await create_server(bot, type_, "flaky")
    before = await load(bot, instance_id)
    path = ACTION_PATHS[type_].format(id=before.provider_instance_id)
    bot.sandbox.inject(type_, method="POST", path=path, status=status)
    owner = Owner(bot, instance_id)
    answer = await owner.press("vps_act_reboot")
    assert answer["replace_original"] is False
    assert answer["text"].startswith(":x: Reboot of *flaky* failed: ")
    assert expected in answer["text"]
    after = await load(bot, instance_id)
    assert (after.status, after.configuration, after.watch_next_at) == (
        before.status,
        before.configuration,
        before.watch_next_at,
    )
    assert ("vps.reboot", "error", "U0001") in await events(bot, instance_id)
    assert ("vps.reboot", "info", "U0001") not in await events(bot, instance_id)
    # the next press goes through
    answer = await owner.press("vps_act_reboot")
    assert answer["replace_original"] is True
    assert (await load(bot, instance_id)).status == "rebooting"


async def test_a_member_is_refused_on_someone_elses_server(bot: Bot) -> None:
    instance_id = await create_server(bot, "digitalocean", "owned")
    bot.api.users["U0002"] = {"id": "U0002", "team_id": "T0001", "is_admin": False}
    member = Owner(bot, instance_id, bot.slack.as_user("U0002"))
    posts = bot.sandbox.request_count("digitalocean", method="POST")
    for action in ("vps_act_reboot", "vps_act_power_off", "vps_delete", "vps_rebuild"):
        answer = await member.press(action)
        assert answer["text"] == "Only <@U0001> or a vpsbot admin can manage *owned*."
        assert answer["replace_original"] is False
    # a submission for a modal the member could never open is refused too
    mark = bot.api.mark()
    forged = {
        "callback_id": "vps_delete_modal",
        "private_metadata": f'{{"id": "{instance_id}", "c": "C0001"}}',
    }
    response = await member.slack.view_submission(
        forged, {"confirm_label": {"label": sv.plain_text("owned")}}, apply_to_api=False
    )
    assert response.status == 200
    await member.ephemeral(mark, "Only <@U0001> or a vpsbot admin")
    assert bot.sandbox.request_count("digitalocean", method="POST") == posts
    assert bot.sandbox.request_count("digitalocean", method="DELETE") == 0
    assert bot.api.calls_to("views.open") == []
    assert (await load(bot, instance_id)).status == "running"


@pytest.mark.parametrize("admin", ["UADMIN01", "U0003"])
async def test_admins_may_act_on_any_server_of_the_workspace(bot: Bot, admin: str) -> None:
    # UADMIN01 is in VPSBOT_ADMINS; U0003 is a Slack workspace admin
    bot.api.users["U0003"] = {"id": "U0003", "team_id": "T0001", "is_admin": True}
    instance_id = await create_server(bot, "linode", "members-box", user="U0001")
    owner = Owner(bot, instance_id, bot.slack.as_user(admin))
    await owner.details()
    assert owner.offers("vps_act_reboot")
    answer = await owner.press("vps_act_reboot")
    assert answer["replace_original"] is True
    row = await load(bot, instance_id)
    assert row.status == "rebooting" and row.configuration["pending_action"]["by"] == admin
    assert ("vps.reboot", "info", admin) in await events(bot, instance_id)


async def test_a_forged_payload_for_another_workspaces_server_reaches_no_provider(
    bot: Bot,
) -> None:
    theirs = await create_server(bot, "digitalocean", "their-box", user="U0900", team="T0002")
    before = await load(bot, theirs)
    posts = bot.sandbox.request_count("digitalocean", method="POST")
    mark = bot.api.mark()
    # an admin of T0001 (admin rights are per workspace) names T0002's server
    attacker = Owner(bot, theirs, bot.slack.as_user("UADMIN01"))
    for action in (
        "vps_act_reboot",
        "vps_act_power_off",
        "vps_delete",
        "vps_resize",
        "vps_rebuild",
        "vps_refresh",
    ):
        answer = await attacker.press(action)
        assert answer["text"] == "That server does not exist in this workspace."
    for callback, values in (
        ("vps_delete_modal", {"confirm_label": {"label": sv.plain_text("their-box")}}),
        ("vps_rebuild_modal", {"image": {"vps_rebuild_image": sv.static_select("debian-12-x64")}}),
    ):
        forged = {"callback_id": callback, "private_metadata": f'{{"id": "{theirs}"}}'}
        response = await attacker.slack.view_submission(forged, values, apply_to_api=False)
        assert response.status == 200
    options = await attacker.slack.block_suggestion(
        "vps_rebuild_image",
        "",
        view={"callback_id": "vps_rebuild_modal", "private_metadata": f'{{"id": "{theirs}"}}'},
    )
    assert options.data == {"options": []}
    assert bot.sandbox.request_count("digitalocean", method="POST") == posts
    assert bot.sandbox.request_count("digitalocean", method="DELETE") == 0
    assert bot.api.calls_to("views.open")[mark:] == []
    after = await load(bot, theirs)
    assert (after.status, after.configuration) == (before.status, before.configuration)


async def test_a_second_action_waits_for_the_first(bot: Bot) -> None:
    instance_id = await create_server(bot, "digitalocean", "busy-box")
    owner = Owner(bot, instance_id)
    await owner.press("vps_act_reboot")
    posts = bot.sandbox.request_count("digitalocean", method="POST")
    answer = await owner.press("vps_act_reboot")
    assert (
        answer["text"] == "Reboot of *busy-box* is still in progress; try again when it finishes."
    )
    assert bot.sandbox.request_count("digitalocean", method="POST") == posts
    await follow(bot, instance_id)
    answer = await owner.press("vps_act_reboot")
    assert answer["replace_original"] is True


async def test_a_double_click_sends_one_request(bot: Bot) -> None:
    instance_id = await create_server(bot, "digitalocean", "double")
    row = await load(bot, instance_id)
    path = ACTION_PATHS["digitalocean"].format(id=row.provider_instance_id)
    # the provider is slow to answer, so the second click arrives mid-request
    bot.sandbox.inject("digitalocean", method="POST", path=path, latency=1.0)
    posts = bot.sandbox.request_count("digitalocean", method="POST", path_prefix=path)
    after = len(bot.api.responses)
    clicks = [
        bot.slack.block_action("vps_act_reboot", value=str(instance_id), block_id="vps_power")
        for _ in range(2)
    ]
    assert [r.status for r in await asyncio.gather(*clicks)] == [200, 200]
    await bot.api.wait_for_response(after=after + 1)
    answers = sorted(
        (p.payload for p in bot.api.responses[after:]), key=lambda p: p["replace_original"]
    )
    assert answers[0]["text"] == "Another request for *double* is being sent right now."
    assert answers[1]["replace_original"] is True
    assert bot.sandbox.request_count("digitalocean", method="POST", path_prefix=path) == posts + 1
    assert [e for e in await events(bot, instance_id) if e[0] == "vps.reboot"] == [
        ("vps.reboot", "info", "U0001")
    ]
    assert "requesting" not in (await load(bot, instance_id)).configuration


async def test_a_server_that_was_never_created_can_be_removed(bot: Bot) -> None:
    async with bot.services.db.session() as session, session.begin():
        row = VpsInstance(
            label="never-made",
            status="error",
            team_id="T0001",
            created_by="U0001",
            provider_id=bot.providers["linode"].id,
            provider_type="linode",
            region="us-east",
            configuration={"note": "The provider never confirmed this server."},
        )
        session.add(row)
        await session.flush()
        instance_id = row.id
    owner = Owner(bot, instance_id)
    await owner.details()
    actions = [
        e["action_id"] for b in owner.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert actions == ["vps_refresh", "vps_delete", "vps_create_again"]
    answer = await owner.press("vps_act_reboot")
    assert (
        answer["text"] == "*never-made* is not created at the provider yet; try again in a minute."
    )
    view = await owner.open_modal("vps_delete")
    mark = bot.api.mark()
    ack = await owner.submit(view, {"confirm_label": {"label": sv.plain_text("never-made")}})
    assert ack == {}
    await owner.ephemeral(mark, "was never created at the provider; removed it")
    assert (await load(bot, instance_id)).status == "deleted"
    assert bot.sandbox.request_count("linode", method="DELETE") == 0
    assert bot.sandbox.request_count("linode", method="POST") == 0


async def test_extend_from_the_details_asks_how_long_and_updates_them(bot: Bot) -> None:
    instance_id = await create_server(bot, "digitalocean", "leased-box")
    ends = datetime.now(UTC) + timedelta(days=2)
    async with bot.services.db.session() as session, session.begin():
        row = await session.get(VpsInstance, instance_id)
        assert row is not None
        row.expires_at = ends
    owner = Owner(bot, instance_id)
    await owner.details()
    assert f"ends <!date^{int(ends.timestamp())}^" in str(owner.blocks)
    extend = button(owner.blocks, "vps_lease_extend")
    assert extend is not None
    mark = bot.api.mark()
    await owner.slack.block_action("vps_lease_extend", str(instance_id), block_id="vps_actions")
    view = (await bot.api.wait_for_call("views.open", after=mark)).response["view"]
    menu = next(b for b in view["blocks"] if b.get("block_id") == "duration")["element"]
    # the default policy: at most 90 days from creation, two of them already leased
    assert [o["value"] for o in menu["options"]] == ["24", "72", "168", "336", "720", "1440"]
    answered = len(bot.api.responses)
    done = await owner.slack.view_submission(
        view["id"], {"duration": {"duration": sv.static_select("72")}}
    )
    assert done.status == 200 and not done.data
    await owner.ephemeral(mark, "extended the lease of *leased-box*")
    updated = await bot.api.wait_for_response(after=answered)
    assert updated.payload["replace_original"] is True
    later = ends + timedelta(hours=72)
    assert f"ends <!date^{int(later.timestamp())}^" in str(updated.payload["blocks"])
    assert (await load(bot, instance_id)).expires_at == later

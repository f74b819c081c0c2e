"""A user looks at the workspace's servers: `/vps list`, its filters and pages,
`/vps show` and the Details button."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from db.models import Plan, VpsInstance
from db.repo import activity
from standins.playground.slack_client import SlackSender
from tests.e2e.conftest import Bot, another_workspace, not_graphs

JSON = dict[str, Any]
BASE = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


async def add_server(
    bot: Bot,
    label: str,
    *,
    type_: str | None = "digitalocean",
    team: str = "T0001",
    user: str = "U0001",
    status: str = "running",
    plan: str | None = None,
    region: str | None = None,
    ip: str | None = "203.0.113.10",
    ipv6: str | None = None,
    minutes: int = 0,
    image: str | None = None,
) -> uuid.UUID:
    """A server row as vpsbot would have stored it (``type_=None``: Linode, as migration
    0002 typed the rows of the single-provider design)."""
    kind = type_ or "linode"
    plan = plan or ("s-1vcpu-1gb" if kind == "digitalocean" else "g6-nanode-1")
    provider = bot.providers[kind]
    async with bot.services.db.session() as session, session.begin():
        plan_row = (
            await session.execute(
                select(Plan).where(Plan.provider_id == provider.id, Plan.provider_plan_id == plan)
            )
        ).scalar_one()
        row = VpsInstance(
            label=label,
            status=status,
            team_id=team,
            created_by=user,
            provider_id=provider.id,
            provider_type=kind,
            plan_id=plan_row.id,
            region=region or ("nyc3" if kind == "digitalocean" else "us-east"),
            ip_address=ip,
            ipv6_address=ipv6,
            provider_instance_id=str(1000 + minutes),
            configuration={"plan": plan, "image": image},
            created_at=BASE + timedelta(minutes=minutes),
        )
        session.add(row)
        await session.flush()
        return row.id


def servers_in(blocks: list[JSON]) -> list[str]:
    """The server sections of a list message, as their text."""
    return [
        b["text"]["text"]
        for b in blocks
        if b["type"] == "section" and (b.get("accessory") or {}).get("action_id") == "vps_details"
    ]


def labels_in(blocks: list[JSON]) -> list[str]:
    return [text.split("*")[1] for text in servers_in(blocks)]


def block(blocks: list[JSON], prefix: str) -> JSON:
    return next(b for b in blocks if str(b.get("block_id", "")).startswith(prefix))


def button(blocks: list[JSON], action_id: str) -> JSON | None:
    for b in blocks:
        for element in [*(b.get("elements") or []), b.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return dict(element)
    return None


async def click(bot: Bot, action_id: str, slack: SlackSender | None = None, **kw: Any) -> JSON:
    """Press a button or pick an option; the message the app answered with."""
    after = len(bot.api.responses)
    response = await (slack or bot.slack).block_action(action_id, **kw)
    assert response.status == 200
    post = await bot.api.wait_for_response(not_graphs, after=after)
    return post.payload


async def test_list_shows_both_providers_newest_first_with_prices(bot: Bot) -> None:
    await add_server(bot, "old-linode", type_=None, minutes=1, ip="198.51.100.7")
    await add_server(bot, "web-do", minutes=3, ip="203.0.113.3")
    await add_server(bot, "db-linode", type_="linode", minutes=2, plan="g6-standard-1")
    await add_server(bot, "gone-do", minutes=4, status="deleted")
    await add_server(bot, "their-server", team="T0002", user="U0900", minutes=5)

    response = await bot.slack.command("/vps", "list")
    body = response.data
    assert body["response_type"] == "ephemeral"
    assert labels_in(body["blocks"]) == ["web-do", "db-linode", "old-linode"]
    web, db, old = servers_in(body["blocks"])
    # DigitalOcean s-1vcpu-1gb is $6.00 at the sandbox; +20 % markup
    # the provider as the admin named it, the region and the plan by their names
    assert "sandbox-digitalocean" in web and "New York 3" in web
    assert "Basic · 1 vCPU · 1 GB · 25 GB SSD" in web
    assert "(digitalocean)" not in web and "nyc3" not in web and "s-1vcpu-1gb" not in web
    assert "`203.0.113.3`" in web and "$7.20/mo" in web
    assert "sandbox-linode" in db and "Linode 2GB · 1 vCPU" in db and "$14.40/mo" in db
    # a row from before multi-provider support has no provider_type: it is Linode
    assert "sandbox-linode" in old and "`198.51.100.7`" in old and "$6.00/mo" in old
    assert "3 servers" in body["text"]
    assert "their-server" not in str(body) and "gone-do" not in str(body)
    assert button(body["blocks"], "vps_list_next") is None
    # nothing was posted in the channel
    assert bot.api.calls_to("chat.postMessage") == []


async def test_the_other_workspace_sees_only_its_own(bot: Bot) -> None:
    await add_server(bot, "ours")
    await add_server(bot, "theirs", team="T0002", user="U0900", minutes=1)
    await another_workspace(bot, "T0002", "U0900")
    other = bot.slack.as_user("U0900", team_id="T0002")
    body = (await other.command("/vps", "list")).data
    assert labels_in(body["blocks"]) == ["theirs"]


async def test_filters_re_render_the_message_in_place(bot: Bot) -> None:
    await add_server(bot, "do-running", minutes=1)
    await add_server(bot, "do-stopped", minutes=2, status="stopped")
    await add_server(bot, "li-running", type_="linode", minutes=3)
    await add_server(bot, "li-stopped", type_="linode", minutes=4, status="stopped")
    await add_server(bot, "legacy-stopped", type_=None, minutes=5, status="stopped")

    first = (await bot.slack.command("/vps", "list")).data["blocks"]
    assert len(labels_in(first)) == 5
    filters = block(first, "vps_list:")
    kinds = [e["action_id"] for e in filters["elements"]]
    assert kinds == ["vps_list_provider", "vps_list_status"]
    assert all(e["type"] == "static_select" for e in filters["elements"])

    answer = await click(
        bot, "vps_list_provider", block_id=filters["block_id"], selected_option="linode"
    )
    assert answer["replace_original"] is True
    assert labels_in(answer["blocks"]) == ["legacy-stopped", "li-stopped", "li-running"]

    filters = block(answer["blocks"], "vps_list:")
    answer = await click(
        bot, "vps_list_status", block_id=filters["block_id"], selected_option="stopped"
    )
    assert labels_in(answer["blocks"]) == ["legacy-stopped", "li-stopped"]
    chosen = [
        e["initial_option"]["value"] for e in block(answer["blocks"], "vps_list:")["elements"]
    ]
    assert chosen == ["linode", "stopped"]

    filters = block(answer["blocks"], "vps_list:")
    answer = await click(
        bot, "vps_list_provider", block_id=filters["block_id"], selected_option="all"
    )
    assert labels_in(answer["blocks"]) == ["legacy-stopped", "li-stopped", "do-stopped"]
    assert bot.api.calls_to("chat.postMessage") == []


async def test_paging_walks_through_25_servers_within_slack_limits(bot: Bot) -> None:
    for n in range(25):
        await add_server(
            bot, f"node-{n:02d}", minutes=n, type_="linode" if n % 2 else "digitalocean"
        )

    body = (await bot.slack.command("/vps", "list")).data
    seen = labels_in(body["blocks"])
    assert seen == [f"node-{n:02d}" for n in range(24, 14, -1)]
    assert button(body["blocks"], "vps_list_prev") is None
    pages = [body["blocks"]]
    while (following := button(pages[-1], "vps_list_next")) is not None:
        answer = await click(bot, "vps_list_next", value=following["value"])
        assert answer["replace_original"] is True
        pages.append(answer["blocks"])
        seen += labels_in(answer["blocks"])
    assert len(pages) == 3
    assert seen == [f"node-{n:02d}" for n in range(24, -1, -1)]
    assert "Showing 21-25 of 25" in str(pages[-1])
    assert all(len(p) <= 50 for p in pages)

    previous = button(pages[-1], "vps_list_prev")
    assert previous is not None
    answer = await click(bot, "vps_list_prev", value=previous["value"])
    assert labels_in(answer["blocks"]) == labels_in(pages[1])


async def test_paging_keeps_the_filters(bot: Bot) -> None:
    for n in range(14):
        await add_server(bot, f"web-{n:02d}", minutes=n, type_="linode")
        await add_server(bot, f"db-{n:02d}", minutes=n, type_="linode")
    body = (await bot.slack.command("/vps", "list linode web")).data
    assert "14 servers" in body["text"] and "web" in body["text"]
    following = button(body["blocks"], "vps_list_next")
    assert following is not None
    answer = await click(bot, "vps_list_next", value=following["value"])
    assert labels_in(answer["blocks"]) == [f"web-{n:02d}" for n in range(3, -1, -1)]
    assert button(answer["blocks"], "vps_list_next") is None


async def test_search_by_label_text_and_words_as_filters(bot: Bot) -> None:
    await add_server(bot, "web-1", minutes=1)
    await add_server(bot, "web-2", type_="linode", minutes=2, status="stopped")
    await add_server(bot, "db-1", minutes=3)
    await add_server(bot, "100%_sure", minutes=4)

    body = (await bot.slack.command("/vps", "list WEB")).data
    assert labels_in(body["blocks"]) == ["web-2", "web-1"]
    body = (await bot.slack.command("/vps", "list linode stopped web")).data
    assert labels_in(body["blocks"]) == ["web-2"]
    body = (await bot.slack.command("/vps", "list do")).data
    assert labels_in(body["blocks"]) == ["100%_sure", "db-1", "web-1"]
    # LIKE wildcards are searched for literally
    body = (await bot.slack.command("/vps", "list %_")).data
    assert labels_in(body["blocks"]) == ["100%_sure"]
    body = (await bot.slack.command("/vps", "list nothing-like-this")).data
    assert labels_in(body["blocks"]) == []
    assert "No servers match" in str(body["blocks"])


async def test_show_gives_specs_prices_addresses_and_recent_activity(bot: Bot) -> None:
    instance_id = await add_server(
        bot,
        "api-1",
        type_="linode",
        plan="g6-standard-2",
        ip="192.0.2.44",
        ipv6="2600:3c00::f03c:91ff:fe00:1/128",
        image="linode/debian12",
    )
    async with bot.services.db.session() as session, session.begin():
        for n in range(7):
            await activity.record(
                session,
                event_type=f"vps.step_{n}",
                status="success" if n % 2 else "info",
                team_id="T0001",
                user_id="U0001",
                entity_type="vps",
                entity_id=str(instance_id),
            )

    body = (await bot.slack.command("/vps", "show API-1")).data
    assert body["response_type"] == "ephemeral"
    shown = str(body["blocks"])
    for expected in (
        "api-1",
        "sandbox-linode",
        "Newark, NJ",
        "Linode 4GB · 2 vCPU · 4 GB · 80 GB SSD",  # the plan by its name, not g6-standard-2
        "$28.80/mo",  # $24.00 + 20 %
        "$0.0432/h",
        "`192.0.2.44`",
        "`2600:3c00::f03c:91ff:fe00:1/128`",
        "Debian 12",
        "<@U0001>",
        "<!date^1714564800^",
    ):
        assert expected in shown, expected
    assert "linode/debian12" not in shown and "us-east" not in shown
    assert "g6-standard-2" not in shown
    activity_text = next(
        b["text"]["text"] for b in body["blocks"] if "Recent activity" in str(b.get("text"))
    )
    assert [f"step {n}" in activity_text for n in range(7)] == [False, False] + [True] * 5
    assert activity_text.index("step 6") < activity_text.index("step 2")

    missing = (await bot.slack.command("/vps", "show nope")).data
    assert "No server named `nope`" in missing["text"]
    usage = (await bot.slack.command("/vps", "show")).data
    assert "Usage" in usage["text"]


async def test_details_button_opens_the_same_details_below_the_list(bot: Bot) -> None:
    await add_server(bot, "box-a", minutes=1)
    listing = (await bot.slack.command("/vps", "list")).data["blocks"]
    details = button(listing, "vps_details")
    assert details is not None
    answer = await click(bot, "vps_details", value=details["value"])
    assert answer["replace_original"] is False
    assert answer["response_type"] == "ephemeral"
    assert "box-a" in str(answer["blocks"]) and "$7.20/mo" in str(answer["blocks"])
    # the owner gets the buttons that fit a running DigitalOcean droplet
    actions = [
        e["action_id"] for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert actions == [
        "vps_act_shutdown",
        "vps_act_reboot",
        "vps_refresh",
        "vps_more",
        "vps_create_again",
    ]
    menu = button(answer["blocks"], "vps_more")
    assert menu is not None
    assert [o["value"].partition(":")[0] for o in menu["options"]] == [
        "power_off",
        "power_cycle",
        "rebuild",
        "resize",
        "delete",
    ]
    shutdown = button(answer["blocks"], "vps_act_shutdown")
    assert shutdown is not None and "ACPI" in shutdown["confirm"]["text"]["text"]


async def test_another_member_sees_details_without_action_buttons(bot: Bot) -> None:
    instance_id = await add_server(bot, "mine")
    other = bot.slack.as_user("U0002")
    bot.api.users["U0002"] = {"id": "U0002", "team_id": "T0001", "is_admin": False}
    answer = await click(bot, "vps_details", slack=other, value=str(instance_id))
    assert "mine" in str(answer["blocks"])
    assert button(answer["blocks"], "vps_act_reboot") is None
    assert "Only <@U0001> or a vpsbot admin can manage this server." in str(answer["blocks"])


async def test_details_of_another_workspaces_server_are_refused(bot: Bot) -> None:
    theirs = await add_server(bot, "secret-box", team="T0002", user="U0900")
    answer = await click(bot, "vps_details", value=str(theirs))
    assert answer["text"] == "That server does not exist in this workspace."
    assert "secret-box" not in str(answer)
    answer = await click(bot, "vps_details", value="not-a-uuid")
    assert answer["text"] == "That server does not exist in this workspace."
    answer = await click(bot, "vps_list_next", value='{"o": -5, "p": "gcp", "t": 7, "s": "bogus"}')
    assert labels_in(answer["blocks"]) == []
    assert "No servers yet" in str(answer["blocks"])

"""What following servers costs the provider's budget, and statuses it must not
wait on forever: the status watcher against the sandbox at scale."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import insert, select

from bot.core.tags import VPSBOT_TAG
from bot.status.watcher import StatusWatcher
from db.models import ActivityLog, VpsInstance
from db.repo import instances
from providers.http import RateBudget
from providers.models import CreateRequest
from tests.e2e.conftest import Bot
from tests.e2e.test_servers_actions import create_server, load

PLAN = {"digitalocean": ("s-1vcpu-1gb", "nyc3", "ubuntu-24-04-x64")}


async def _population(bot: Bot, type_: str, n: int) -> None:
    """``n`` settled vpsbot servers at the sandbox, each with its row."""
    ids = bot.sandbox.seed_instances(type_, n, tag=VPSBOT_TAG)
    row = bot.providers[type_]
    values = [
        {
            "id": uuid.uuid4(),
            "label": f"seed-{server_id}",
            "status": "running",
            "provider_id": row.id,
            "provider_type": type_,
            "provider_instance_id": server_id,
            "configuration": {},
        }
        for server_id in ids
    ]
    async with bot.services.db.engine.begin() as conn:
        await conn.execute(insert(VpsInstance), values)


async def _new_server(bot: Bot, label: str) -> uuid.UUID:
    """A droplet just created (status new) and its row, watched from now on."""
    plan, region, image = PLAN["digitalocean"]
    instance_id = uuid.uuid4()
    server = await bot.services.provider_for(bot.providers["digitalocean"]).create_instance(
        CreateRequest(
            label=label,
            region=region,
            plan=plan,
            image=image,
            tag=f"vpsbot-{instance_id}",
            extra_tags=[VPSBOT_TAG],
        )
    )
    async with bot.services.db.session() as session, session.begin():
        session.add(
            VpsInstance(
                id=instance_id,
                label=label,
                status=server.status.value,
                provider_id=bot.providers["digitalocean"].id,
                provider_type="digitalocean",
                region=region,
                tag=f"vpsbot-{instance_id}",
                provider_instance_id=server.id,
                channel_id="C0001",
                configuration={"plan": plan},
            )
        )
        await instances.schedule_watch(session, instance_id, delay=0)
    return instance_id


def _calls(bot: Bot) -> int:
    return bot.sandbox.request_count("digitalocean")


async def test_one_changing_server_among_many_costs_one_call_per_poll(bot: Bot) -> None:
    await _population(bot, "digitalocean", 1200)  # a listing would be 6 pages
    instance_id = await _new_server(bot, "one-of-many")
    watcher = StatusWatcher(bot.services)
    before = _calls(bot)
    polls = 0
    while (await load(bot, instance_id)).watch_next_at is not None:
        polls += 1
        assert polls < 10, "never settled"
        start = _calls(bot)
        await watcher.cycle(ignore_schedule=True)
        assert _calls(bot) - start == 1  # min(k=1, ceil(1201/200)=7)
        bot.sandbox.advance(15)
    assert (await load(bot, instance_id)).status == "running"
    assert bot.sandbox.request_count("digitalocean", path_prefix="/v2/droplets?") == 0
    assert _calls(bot) - before == polls


async def test_many_changing_servers_share_one_listing(bot: Bot) -> None:
    rows = [await _new_server(bot, f"batch-{n}") for n in range(4)]
    watcher = StatusWatcher(bot.services)
    start = _calls(bot)
    await watcher.cycle(ignore_schedule=True)
    # k=4 changing among N=4: one page lists them all
    assert _calls(bot) - start == 1
    bot.sandbox.advance(60)
    await watcher.cycle(ignore_schedule=True)
    for instance_id in rows:
        assert (await load(bot, instance_id)).status == "running"


async def test_the_next_poll_follows_what_the_change_is_expected_to_take(bot: Bot) -> None:
    watcher = StatusWatcher(bot.services)
    account = str(bot.providers["digitalocean"].id)
    watcher.durations.observe(account, "create", 50.0)
    instance_id = await _new_server(bot, "predicted")
    await watcher.cycle(ignore_schedule=True)
    row = await load(bot, instance_id)
    assert row.watch_next_at is not None
    wait = (row.watch_next_at - row.updated_at).total_seconds()
    assert 40 < wait < 50  # not before about 48 s after the create, not a blind 2 s


async def test_background_polls_yield_when_the_budget_runs_low(bot: Bot) -> None:
    instance_id = await _new_server(bot, "low-budget")
    provider = bot.services.provider_for(bot.providers["digitalocean"])
    provider.inner.api.account.budget = RateBudget(  # type: ignore[attr-defined]
        limit=250, remaining=5, reset_at=time.time() + 40
    )
    start = _calls(bot)
    await StatusWatcher(bot.services).cycle(ignore_schedule=True)
    assert _calls(bot) == start  # nothing sent: the rest is for users
    row = await load(bot, instance_id)
    assert row.watch_next_at is not None
    assert (row.watch_next_at - row.updated_at).total_seconds() > 30


@pytest.mark.parametrize("status", ["canceled", "completed"])
async def test_a_canceled_or_completed_linode_event_ends_the_wait(bot: Bot, status: str) -> None:
    instance_id = await create_server(bot, "linode", f"ev-{status}")
    row = await load(bot, instance_id)
    provider = bot.services.provider_for(bot.providers["linode"])
    result = await provider.perform_action(row.provider_instance_id or "", "reboot")
    pending = {"id": result.id, "action": "reboot", "by": "U0001", "at": time.time()}
    async with bot.services.db.session() as session, session.begin():
        await instances.mark(
            session,
            instance_id,
            status="rebooting",
            configuration={**row.configuration, "pending_action": pending},
        )
        await instances.schedule_watch(session, instance_id, delay=0)
    bot.sandbox.linode.set_event_status(int(result.id), status)
    watcher = StatusWatcher(bot.services)
    for _ in range(3):
        await watcher.cycle(ignore_schedule=True)
    row = await load(bot, instance_id)
    assert "pending_action" not in row.configuration
    assert row.watch_next_at is None
    async with bot.services.db.session() as session:
        logged = (
            await session.execute(
                select(ActivityLog.status).where(
                    ActivityLog.event_type == "vps.reboot",
                    ActivityLog.entity_id == str(instance_id),
                )
            )
        ).scalar_one()
    assert logged == ("warning" if status == "canceled" else "success")


async def test_a_proxy_html_page_reaches_slack_as_a_clean_sentence(bot: Bot) -> None:
    from tests.e2e.test_servers_actions import ACTION_PATHS, Owner

    instance_id = await create_server(bot, "digitalocean", "behind-proxy")
    row = await load(bot, instance_id)
    path = ACTION_PATHS["digitalocean"].format(id=row.provider_instance_id)
    bot.sandbox.inject("digitalocean", method="POST", path=path, body="html", status=502)
    answer = await Owner(bot, instance_id).press("vps_act_reboot")
    text = answer["text"]
    assert text.startswith(":x: Reboot of *behind-proxy* failed: ")
    assert "HTTP 502 Bad Gateway" in text
    assert "<" not in text.replace("<@", "") and "nginx" not in text


async def test_a_busy_linode_is_told_only_when_it_stays_busy(bot: Bot) -> None:
    from tests.e2e.test_servers_actions import ACTION_PATHS, Owner

    instance_id = await create_server(bot, "linode", "busy-box")
    row = await load(bot, instance_id)
    path = ACTION_PATHS["linode"].format(id=row.provider_instance_id)
    bot.sandbox.inject("linode", method="POST", path=path, body="busy", count=1)
    owner = Owner(bot, instance_id)
    answer = await owner.press("vps_act_reboot")  # busy once: retried, then done
    assert answer["replace_original"] is True
    assert bot.sandbox.request_count("linode", "POST", path) == 2

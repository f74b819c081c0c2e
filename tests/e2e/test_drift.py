"""Drift: what changes at the provider behind vpsbot's back is noticed and told."""

from __future__ import annotations

import asyncio
import time
import uuid

from sqlalchemy import select

from bot.status.drift import Reconciler
from bot.status.watcher import StatusWatcher
from db.models import ActivityLog, VpsInstance
from db.repo import workspaces
from providers.http import RateBudget
from providers.models import CreateRequest
from standins.playground.slack_client import state_value as sv
from tests.e2e.conftest import ADMIN, TEAM, Bot
from tests.e2e.session import CreateSession


async def _create(bot: Bot, label: str) -> VpsInstance:
    user = CreateSession(bot)
    await user.open(label)
    await user.plan_step("linode", "g6-nanode-1", "us-east", label=label)
    await user.submit({"deployment": {"create_deployment_pick": sv.static_select("none")}})
    await user.submit({"image": {"image": sv.static_select("linode/debian12")}})
    await user.submit({})
    mark = bot.api.mark()
    await user.submit({})
    await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "is being created" in str(c.args)
    )
    async with bot.services.db.session() as session:
        return (
            await session.execute(select(VpsInstance).where(VpsInstance.label == label))
        ).scalar_one()


async def test_deleted_and_powered_off_servers_are_noticed(bot: Bot) -> None:
    gone = await _create(bot, "will-vanish")
    off = await _create(bot, "will-stop")
    steady = await _create(bot, "stays-up")
    bot.sandbox.advance(120)
    await StatusWatcher(bot.services).cycle(ignore_schedule=True)  # all running now

    bot.sandbox.remove_instance("linode", gone.provider_instance_id)
    bot.sandbox.set_status("linode", off.provider_instance_id, "offline")
    lists_before = bot.sandbox.request_count("linode", "GET", "/v4/linode/instances")
    mark = bot.api.mark()
    report = await Reconciler(bot.services).cycle(force=True)
    assert report is not None
    assert report.deleted == ["will-vanish"] and report.changed == ["will-stop"]
    # one list call for the whole account, not one per server
    assert bot.sandbox.request_count("linode", "GET", "/v4/linode/instances") - lists_before == 1

    async with bot.services.db.session() as session:
        rows = {r.label: r for r in (await session.execute(select(VpsInstance))).scalars()}
        drift = (
            (
                await session.execute(
                    select(ActivityLog).where(ActivityLog.event_type == "vps.drift")
                )
            )
            .scalars()
            .all()
        )
    assert rows["will-vanish"].status == "deleted"  # marked, not dropped
    # when it was noticed, in each reader's own time zone
    assert "(noticed <!date^" in rows["will-vanish"].configuration["note"]
    assert rows["will-stop"].status == "stopped"
    assert rows["stays-up"].status == "running"
    assert {d.entity_id for d in drift} == {str(gone.id), str(off.id)}
    threads = [c for c in bot.api.calls[mark:] if c.method == "chat.postMessage"]
    texts = " ".join(c.args["text"] for c in threads)
    assert "deleted outside vpsbot" in texts and "outside vpsbot" in texts
    assert all(c.args.get("thread_ts") for c in threads)

    again = await Reconciler(bot.services).cycle(force=True)
    assert again is not None and again.deleted == [] and again.changed == []
    del steady


async def test_lost_servers_with_a_vpsbot_tag_are_reported_to_admins(bot: Bot) -> None:
    provider = bot.services.provider_for(bot.providers["digitalocean"])
    await provider.create_instance(
        CreateRequest(
            label="lost-one",
            region="nyc3",
            plan="s-1vcpu-1gb",
            image="debian-12-x64",
            tag=f"vpsbot-{uuid.uuid4()}",
            extra_tags=["vpsbot"],
        )
    )
    # OAuth mode: the workspace's own provider, reported to its named admins
    async with bot.services.db.session() as session, session.begin():
        await workspaces.add_admin(session, TEAM, ADMIN)
    mark = bot.api.mark()
    report = await Reconciler(bot.services).cycle(force=True)
    assert report is not None and len(report.orphans) == 1
    dm = await bot.api.wait_for_call("chat.postMessage", after=mark)
    assert dm.args["channel"] == ADMIN and "lost-one" in dm.args["text"]


async def test_an_orphans_name_from_the_cloud_reaches_the_admins_inert(bot: Bot) -> None:
    """A name set at the provider (outside vpsbot) is shown as typed in the report:
    no broadcast, mention, link or formatting reaches the admins live."""
    from tests.bot.core.test_mrkdwn_inert import HOSTILE, assert_inert

    provider = bot.services.provider_for(bot.providers["digitalocean"])
    lost = await provider.create_instance(
        CreateRequest(
            label="lost-two",
            region="nyc3",
            plan="s-1vcpu-1gb",
            image="debian-12-x64",
            tag=f"vpsbot-{uuid.uuid4()}",
            extra_tags=["vpsbot"],
        )
    )
    bot.sandbox.do.droplets[int(lost.id)].name = HOSTILE  # renamed in the cloud's console
    # OAuth mode: the workspace's own provider, reported to its named admins
    async with bot.services.db.session() as session, session.begin():
        await workspaces.add_admin(session, TEAM, ADMIN)
    mark = bot.api.mark()
    report = await Reconciler(bot.services).cycle(force=True)
    assert report is not None and len(report.orphans) == 1
    dm = await bot.api.wait_for_call("chat.postMessage", after=mark)
    assert dm.args["channel"] == ADMIN
    assert_inert([{"type": "mrkdwn", "text": dm.args["text"]}], fallback=dm.args["text"])


async def test_runs_once_per_period_across_replicas(bot: Bot) -> None:
    first, second = Reconciler(bot.services), Reconciler(bot.services)
    results = await asyncio.gather(first.cycle(), second.cycle())
    assert sorted(r is None for r in results) == [False, True]
    assert await first.cycle() is None  # still the same period


async def test_drift_waits_for_a_low_rate_limit_budget_to_refill(bot: Bot) -> None:
    provider = bot.services.provider_for(bot.providers["digitalocean"])
    provider.inner.api.account.budget = RateBudget(  # type: ignore[attr-defined]
        limit=250, remaining=5, reset_at=time.time() + 40
    )
    before = bot.sandbox.request_count("digitalocean")
    report = await Reconciler(bot.services).cycle(force=True)
    assert report is not None
    assert report.deferred == ["sandbox-digitalocean"]
    assert bot.sandbox.request_count("digitalocean") == before  # no listing sent
    assert "sandbox-linode" not in report.deferred

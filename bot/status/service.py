"""Posting and updating a server's channel card, once across replicas, until it is current.

The first writer claims ``message_ts`` with a conditional UPDATE (a claim that
outlives its poster by a minute is free again), so a creating process and a
status watcher that race never post two cards, and a crash mid-post never leaves
a card that is never posted. When the bot cannot post in the channel it tells
the creator directly (DM). When Slack refuses or fails an update the row is
marked ``card_stale`` and the status watcher publishes it again on a later pass,
so every card converges on the server's real state.
"""

from __future__ import annotations

import logging
import time
import uuid
from decimal import Decimal
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.blocks import plan_choice
from bot.core.names import image_name_of, region_name
from bot.core.services import Services
from bot.core.slack import slack_error, update_view
from bot.status.views import ServerCard, outcome_modal, status_message
from db.models import Plan, ServiceProvider, VpsInstance
from db.repo import drafts, instances

__all__ = ["card_for", "client_for", "creation_known", "is_posted", "post_event", "publish"]

log = logging.getLogger(__name__)


async def _changed(services: Services, instance_id: uuid.UUID) -> None:
    """Tell the services' server hooks (:meth:`Services.on_server_change`)."""
    if not services.server_hooks:
        return
    async with services.db.session() as session:
        row = await instances.get(session, instance_id)
    if row is None:
        return
    for hook in list(services.server_hooks):
        try:
            await hook(services, row)
        except Exception:
            log.exception("server change hook failed for %s", instance_id)


#: What a failed Slack call can raise: Slack's refusal, or the connection to it.
_SLACK_FAILURES = (SlackClientError, aiohttp.ClientError, TimeoutError)


def is_posted(row: VpsInstance) -> bool:
    """Whether the row's card exists in Slack (not merely being posted)."""
    return bool(row.message_ts) and not str(row.message_ts).startswith(instances.CARD_CLAIM)


def _why(exc: BaseException) -> str:
    return slack_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__


async def card_for(services: Services, row: VpsInstance, note: str | None = None) -> ServerCard:
    async with services.db.session() as session:
        provider = await session.get(ServiceProvider, row.provider_id) if row.provider_id else None
        plan = await session.get(Plan, row.plan_id) if row.plan_id else None
    price = "—"
    plan_name = str(row.configuration.get("plan", "—"))
    if plan is not None:
        monthly: Decimal = plan.price_in(row.region)  # the region's price, not the base
        price = f"${monthly:.2f}/mo"
        plan_name = plan_choice(plan).headline()  # as the create modal named it
    region = row.region
    image = _text(row.configuration.get("image"))
    if provider is not None:
        # from the catalogue cache only: a card costs the watcher no provider call
        client = services.provider_for(provider)
        region = await region_name(client, region, load=False) if region else region
        named = await image_name_of(client, image, load=False)
        # a 1-Click app's image is the app itself: its id says nothing more
        image = None if named == image and row.configuration.get("software") else named
    return ServerCard(
        id=str(row.id),
        label=row.label,
        provider_name=provider.name if provider else row.provider_type,
        provider_type=row.provider_type,
        plan=plan_name,
        region=region or "—",
        price=price,
        status=row.status,
        raw_status=row.configuration.get("raw_status"),
        created_by=row.created_by or "unknown",
        ipv4=row.ip_address,
        ipv6=row.ipv6_address,
        note=note or row.configuration.get("note"),
        software=_text(row.configuration.get("software")),
        image=image,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


async def _mark(services: Services, row_id: uuid.UUID, *, stale: bool, **values: Any) -> None:
    async with services.db.session() as session, session.begin():
        await instances.mark_card(session, row_id, stale=stale, **values)


async def client_for(services: Services, row: VpsInstance) -> AsyncWebClient | None:
    """The Slack client for the server's own workspace, or None (logged) when that
    workspace has no installation any more: nothing is posted there, and nothing
    is marked for a retry — a reinstall posts again on the next change."""
    enterprise = row.configuration.get("enterprise_id")
    client = await services.slack_for(
        row.team_id, enterprise if isinstance(enterprise, str) else None
    )
    if client is None:
        log.info("card of %s not posted: workspace %s is not installed", row.id, row.team_id)
    return client


async def publish(services: Services, instance_id: uuid.UUID, note: str | None = None) -> None:
    """Post the server's card, or bring the existing one up to date; then tell the
    services' server hooks."""
    await _publish(services, instance_id, note)
    await _changed(services, instance_id)


async def _publish(services: Services, instance_id: uuid.UUID, note: str | None) -> None:
    async with services.db.session() as session:
        row = await instances.get(session, instance_id)
    if row is None:
        return
    client = await client_for(services, row)
    if client is None:
        return
    text, blocks = status_message(await card_for(services, row, note))
    if is_posted(row) and row.channel_id:
        try:
            await client.chat_update(
                channel=row.channel_id, ts=row.message_ts or "", text=text, blocks=blocks
            )
        except _SLACK_FAILURES as exc:
            log.warning("could not update the card of %s: %s", row.id, _why(exc))
            await _mark(services, row.id, stale=True)
            return
        if row.configuration.get("card_stale"):
            await _mark(services, row.id, stale=False)
        return
    async with services.db.session() as session, session.begin():
        claimed = await instances.claim_card(session, row.id, now=time.time())
    if not claimed:
        return  # another replica is posting it right now
    # the operator's notify channel lives in one workspace: with many, each card
    # stays in its own workspace (the channel of the command, else a DM)
    notify = services.settings.vpsbot_notify_channel if services.single_workspace else None
    channel = notify or row.channel_id
    posted = None
    try:
        for target in (channel, row.created_by):
            if not target:
                continue
            try:
                posted = await client.chat_postMessage(channel=target, text=text, blocks=blocks)
                break
            except _SLACK_FAILURES as exc:
                log.warning("cannot post the card of %s in %s: %s", row.id, target, _why(exc))
    finally:
        # whatever happened, the claim is settled: posted, or free for the next pass
        if posted is None:
            await _mark(services, row.id, stale=True, message_ts=None)
        else:
            await _mark(
                services,
                row.id,
                stale=False,
                message_ts=posted.get("ts"),
                channel_id=posted.get("channel"),
            )


async def post_event(services: Services, instance_id: uuid.UUID, text: str) -> None:
    """A notable event as a reply in the card's thread (nothing when there is no card)."""
    async with services.db.session() as session:
        row = await instances.get(session, instance_id)
    if row is None or not row.channel_id or not is_posted(row):
        return
    client = await client_for(services, row)
    if client is None:
        return
    try:
        await client.chat_postMessage(
            channel=row.channel_id, thread_ts=row.message_ts, text=text[:3000]
        )
    except _SLACK_FAILURES as exc:
        log.warning("cannot post an event for %s: %s", row.id, _why(exc))


async def creation_known(services: Services, row: VpsInstance, *, created: bool) -> None:
    """Tell the create modal (if it is still open) how a create whose answer was lost
    ended: the watcher found the server by its tag, or it never appeared."""
    async with services.db.session() as session:
        view_id = await drafts.view_creating(session, row.id)
        provider = await session.get(ServiceProvider, row.provider_id) if row.provider_id else None
    name = provider.name if provider else row.provider_type
    client = await client_for(services, row)
    if client is None:
        return
    await update_view(client, view_id, outcome_modal(row.label, name, created=created))

"""Posting and updating a server's channel message, once across replicas.

The first writer claims ``message_ts`` with a conditional UPDATE, so a creating
process and a status watcher that race never post two messages. When the bot
cannot post in the channel it tells the creator directly (DM).
"""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

from slack_sdk.errors import SlackApiError
from sqlalchemy import update

from bot.core.services import Services
from bot.status.views import ServerCard, status_message
from db.models import LEGACY_PROVIDER_TYPE, Plan, ServiceProvider, VpsInstance
from db.repo import instances

__all__ = ["card_for", "post_event", "publish"]

log = logging.getLogger(__name__)
_CLAIM = "posting"


async def card_for(services: Services, row: VpsInstance, note: str | None = None) -> ServerCard:
    async with services.db.session() as session:
        provider = await session.get(ServiceProvider, row.provider_id) if row.provider_id else None
        plan = await session.get(Plan, row.plan_id) if row.plan_id else None
    price = "—"
    plan_name = str(row.configuration.get("plan", "—"))
    if plan is not None:
        monthly: Decimal = plan.price_in(row.region)  # the region's price, not the base
        price = f"${monthly:.2f}/mo"
        plan_name = plan.name
    return ServerCard(
        label=row.label,
        provider_name=provider.name if provider else (row.provider_type or LEGACY_PROVIDER_TYPE),
        provider_type=row.provider_type or LEGACY_PROVIDER_TYPE,
        plan=plan_name,
        region=row.region or "—",
        price=price,
        status=row.status,
        raw_status=row.configuration.get("raw_status"),
        created_by=row.created_by or "unknown",
        ipv4=row.ip_address,
        ipv6=row.ipv6_address,
        note=note or row.configuration.get("note"),
    )


async def _claim(services: Services, instance_id: uuid.UUID) -> bool:
    async with services.db.session() as session, session.begin():
        result = await session.execute(
            update(VpsInstance)
            .where(VpsInstance.id == instance_id, VpsInstance.message_ts.is_(None))
            .values(message_ts=_CLAIM)
            .returning(VpsInstance.id)
        )
        return result.scalar_one_or_none() is not None


async def publish(services: Services, instance_id: uuid.UUID, note: str | None = None) -> None:
    """Post the server's status message, or bring the existing one up to date."""
    async with services.db.session() as session:
        row = await instances.get(session, instance_id)
    if row is None:
        return
    text, blocks = status_message(await card_for(services, row, note))
    client = services.slack
    if row.message_ts and row.message_ts != _CLAIM and row.channel_id:
        try:
            await client.chat_update(
                channel=row.channel_id, ts=row.message_ts, text=text, blocks=blocks
            )
        except SlackApiError as exc:
            log.warning("could not update status message of %s: %s", row.id, exc.response["error"])
        return
    if row.message_ts == _CLAIM or not await _claim(services, row.id):
        return
    channel = services.settings.vpsbot_notify_channel or row.channel_id
    posted = None
    for target in (channel, row.created_by):
        if not target:
            continue
        try:
            posted = await client.chat_postMessage(channel=target, text=text, blocks=blocks)
            break
        except SlackApiError as exc:
            log.warning("cannot post status of %s in %s: %s", row.id, target, exc.response["error"])
    async with services.db.session() as session, session.begin():
        if posted is None:
            await instances.mark(session, row.id, message_ts=None)
        else:
            await instances.mark(
                session, row.id, message_ts=posted["ts"], channel_id=posted["channel"]
            )


async def post_event(services: Services, instance_id: uuid.UUID, text: str) -> None:
    """A notable event as a reply in the server message's thread."""
    async with services.db.session() as session:
        row = await instances.get(session, instance_id)
    if row is None or not row.channel_id or not row.message_ts or row.message_ts == _CLAIM:
        return
    try:
        await services.slack.chat_postMessage(
            channel=row.channel_id, thread_ts=row.message_ts, text=text[:3000]
        )
    except SlackApiError as exc:
        log.warning("cannot post event for %s: %s", row.id, exc.response["error"])

"""The App Home tab and `/vps cost`.

The Home tab is published when the member opens it, when they press Refresh,
and whenever one of their servers' status card changes (a hook on
:func:`bot.status.service.publish`), so it stays current without polling.
Home is a surface over the other features: its buttons open the create modal
and post a server's details to the member, through those features' public parts.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.services import Services
from bot.core.slack import Subcommand, answer, first_action, slack_error, team_and_user
from bot.create import catalog, channels
from bot.create.draft import generate_label
from bot.create.render import first_view
from bot.home import charts, service
from bot.home.views import HOME_CREATE, HOME_DETAILS, HOME_REFRESH, cost_blocks, home_view
from bot.servers import service as servers
from bot.servers.views import details_message
from db.models import ApprovalRequest, VpsInstance

__all__ = [
    "SUBCOMMANDS",
    "cost_command",
    "create_clicked",
    "details_clicked",
    "home_opened",
    "publish_home",
    "refresh_clicked",
    "register",
]

log = logging.getLogger(__name__)


async def publish_home(
    services: Services, team_id: str, user_id: str, *, draw_chart: bool = False
) -> bool:
    """Render and publish ``user_id``'s Home tab; False when Slack refused. The spend
    chart follows (:mod:`bot.home.charts`): drawn when ``draw_chart``, else kept."""
    client = await services.slack_for(team_id)
    if client is None:
        log.info("Home of %s not published: workspace %s is not installed", user_id, team_id)
        return False
    data = await service.home_data(services, team_id, user_id, datetime.now(UTC))
    try:
        await client.views_publish(user_id=user_id, view=home_view(data))
    except SlackApiError as exc:
        log.warning("views.publish for %s failed: %s", user_id, slack_error(exc))
        return False
    charts.spawn_home(services, team_id, user_id, data, draw=draw_chart)
    return True


async def home_opened(event: dict[str, Any], context: AsyncBoltContext, services: Services) -> None:
    """``app_home_opened`` on the Home tab (not the Messages tab): publish it."""
    if event.get("tab", "home") != "home":
        return
    team_id, user_id = team_and_user(context)
    if user_id:
        await publish_home(services, team_id, user_id, draw_chart=True)


async def refresh_clicked(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, services: Services
) -> None:
    await ack()
    team_id, user_id = team_and_user(context)
    await publish_home(services, team_id, user_id, draw_chart=True)


async def create_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Create a server: the same modal as `/vps create`, under the channel policy:
    the card goes to the one allowed channel, or the member picks one of several
    in step 1 (no policy: to the member directly)."""
    await ack()
    team_id, user_id = team_and_user(context)
    if not user_id:
        return  # nobody to open it for (a forged click)
    rows = await catalog.active_providers(services, team_id)
    if not rows:
        try:
            await client.chat_postMessage(
                channel=user_id,
                text="No cloud provider is set up yet; ask a vpsbot admin to add one.",
            )
        except SlackApiError as exc:
            log.warning("no-provider note from the Home tab not sent: %s", slack_error(exc))
        return
    allowed = await channels.allowed_channels(services, team_id)
    choices = await channels.channel_choices(client, allowed) if len(allowed) > 1 else ()
    channel = allowed[0] if len(allowed) == 1 else None
    view, row = await first_view(services, rows, generate_label(), channel, team_id, choices)
    try:
        # the view is JSON text already (see first_view); Slack takes it as is
        await client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)  # type: ignore[arg-type]
    except SlackApiError as exc:
        log.warning("views.open from the Home tab failed: %s", slack_error(exc))
        return
    catalog.prefetch(services, row)


async def details_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Details: the server's message with its buttons, posted to the member (the Home
    tab has no place for replies)."""
    await ack()
    team_id, user_id = team_and_user(context)
    value = first_action(body).get("value")
    try:
        parsed = uuid.UUID(value if isinstance(value, str) else "")
    except ValueError:
        return
    found = await servers.details(services, team_id, parsed)
    if found is None:
        await client.chat_postMessage(channel=user_id, text="That server no longer exists.")
        return
    shown, row = found
    provider = await servers.provider_of(services, row)
    possible = servers.offered_actions(row, provider)
    allowed = bool(possible) and await servers.may_manage(services, row, team_id, user_id)
    text, blocks = details_message(
        shown,
        possible if allowed else (),
        managed_by=row.created_by if possible and not allowed else None,
    )
    await client.chat_postMessage(channel=user_id, text=text, blocks=blocks)


async def cost_command(
    services: Services,
    command: dict[str, Any],
    rest: str,
    ack: AsyncAck,
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    """`/vps cost`: month-to-date and projected spend (the workspace's for admins)."""
    await ack()
    team_id, user_id = str(command.get("team_id") or ""), str(command.get("user_id") or "")
    report = await service.cost_report(services, team_id, user_id, datetime.now(UTC))
    await answer(
        respond,
        response_type="ephemeral",
        text=f"Your spend this month: ${report.mine.month_to_date:,.2f}",
        blocks=cost_blocks(report),
    )
    await charts.follow_cost(services, client, respond, team_id, user_id, report)


SUBCOMMANDS: dict[str, Subcommand] = {"cost": cost_command}


async def _server_changed(services: Services, row: VpsInstance) -> None:
    if row.team_id and row.created_by:
        await publish_home(services, row.team_id, row.created_by)


async def _request_decided(services: Services, row: ApprovalRequest, by: str | None) -> None:
    """The decider's waiting list and the requester's Home, as they are now."""
    for user in {u for u in (by, row.requested_by) if u}:
        await publish_home(services, row.team_id, user)


def register(app: AsyncApp) -> None:
    """Wire the Home tab's event and buttons."""
    app.event("app_home_opened")(home_opened)
    app.action(HOME_REFRESH)(refresh_clicked)
    app.action(HOME_CREATE)(create_clicked)
    app.action(HOME_DETAILS)(details_clicked)


def keep_current(services: Services) -> None:
    """Publish the Home tabs a server change or a request's decision concerns."""
    services.on_server_change(_server_changed)
    services.on_request_decided(_request_decided)

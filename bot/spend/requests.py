"""Asking for approval: store the request, post it to the approvers' channel.

The request keeps the draft *without* its secrets: the root password a requester
typed is dropped when the request is stored, and the approved server gets a
generated password shown once to the requester (or SSH keys only, when they
picked keys). Keeping a password sealed for up to ``approval_ttl_hours`` while
nobody may use it would only widen what a database leak exposes; a generated one
is as strong and lives only in the requester's Slack. Secret script fields cannot
be generated, so a create with them cannot wait for approval (said at the review).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, SectionBlock

from bot.core.blocks import cut, date, esc, md
from bot.core.services import Services
from bot.core.slack import slack_error, tell
from bot.spend.guard import Check, SpendRefused
from db.models import ApprovalRequest, VpsInstance
from db.repo import activity, approvals, drafts

__all__ = [
    "APPROVE_ACTION",
    "DENY_ACTION",
    "ask_about_server",
    "decided",
    "request_blocks",
    "request_label",
    "submit",
    "submitted_text",
]

log = logging.getLogger(__name__)


class WaitingDraft(Protocol):
    """What a request needs of the create modal's draft (``bot.create.draft.Draft``)."""

    label: str
    secrets_sealed: dict[str, str]

    def without_secrets(self) -> Any: ...


APPROVE_ACTION = "vps_approval_approve"
DENY_ACTION = "vps_approval_deny"


async def decided(services: Services, row: ApprovalRequest, by: str | None) -> None:
    """Tell the services' decided hooks (:meth:`Services.on_request_decided`); a
    failing hook is logged."""
    for hook in list(services.decided_hooks):
        try:
            await hook(services, row, by)
        except Exception:
            log.exception("approval hook failed for %s", row.id)


def submitted_text(label: str, check: Check) -> str:
    return (
        f":raised_hand: *{esc(label)}* needs approval (${check.monthly:.2f}/month is over "
        f"${check.policy.approval_threshold or 0:,.2f}). The approvers were asked; you will "
        "hear in the request's thread and privately. Nothing is created until then."
    )


def request_label(row: ApprovalRequest) -> str:
    """The server a request is about: an extension's or a resize's ``label``, a create's
    draft's."""
    summary: dict[str, Any] = row.summary or {}
    draft = summary.get("draft")
    label = summary.get("label") or (draft.get("label") if isinstance(draft, dict) else None)
    return str(label or "a server")


#: what each kind of request asks for, the server's (escaped) name put in
_WHAT = {"create": "a new server, {}", "extend": "a longer lease of {}", "resize": "a resize of {}"}


def asked_for(row: ApprovalRequest, *, bold: bool = True) -> str:
    """ "a longer lease of *db-main*": what the request asks for, naming the server."""
    name = esc(cut(request_label(row), 64))
    return _WHAT.get(row.kind, _WHAT["extend"]).format(f"*{name}*" if bold else name)


def _until(summary: dict[str, Any]) -> datetime | None:
    """The end of the lease an extension asks for, if it asks for one."""
    raw = summary.get("until")
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def request_blocks(row: ApprovalRequest, *, decided: str | None = None) -> list[Block]:
    """The request as the approvers see it; the buttons go once it is decided."""
    summary: dict[str, Any] = row.summary
    lines = "\n".join(f"*{esc(name)}:* {esc(value)}" for name, value in summary.get("lines", []))
    until = _until(summary)
    if until is not None:  # in each reader's own time zone
        lines += f"\n*Lease until:* {date(until)}"
    what = asked_for(row)
    blocks: list[Block] = [
        SectionBlock(text=md(f":raised_hand: <@{row.requested_by}> asks for {what}.")),
        SectionBlock(text=md(cut(lines or "—", 3000))),
        SectionBlock(
            text=md(
                f"*Cost:* ${row.price_hourly or 0:.4f}/hour · ${row.price_monthly or 0:.2f}/month"
            )
        ),
    ]
    if decided:
        blocks.append(ContextBlock(elements=[md(decided)]))
    else:
        blocks.append(
            ActionsBlock(
                block_id="approval",
                elements=[
                    ButtonElement(
                        action_id=APPROVE_ACTION, text="Approve", style="primary", value=str(row.id)
                    ),
                    ButtonElement(
                        action_id=DENY_ACTION, text="Deny", style="danger", value=str(row.id)
                    ),
                ],
            )
        )
        when = date(row.expires_at)
        blocks.append(
            ContextBlock(
                elements=[md(f"Approvers other than the requester may decide. Expires {when}.")]
            )
        )
    return blocks


async def submit(
    services: Services,
    *,
    view_id: str,
    draft: WaitingDraft,
    summary: list[tuple[str, str]],
    provider_id: str,
    provider_name: str,
    check: Check,
    team_id: str,
    user_id: str,
    channel_id: str | None,
    now: datetime | None = None,
) -> ApprovalRequest | None:
    """Store the request (claiming the draft: a repeat submission stores nothing and
    returns None) and post it to the approvers' channel."""
    policy = check.policy
    if draft.secrets_sealed:
        raise SpendRefused(
            "This deployment has secret fields, which vpsbot will not keep while a request "
            "waits. Choose a plan under the approval threshold or ask an admin.",
            field="review",
        )
    if not policy.approval_channel:
        raise SpendRefused(
            "This server needs approval, but no approval channel is set; ask a vpsbot admin.",
            field="review",
        )
    now = now or datetime.now(UTC)
    request_id = uuid.uuid4()
    stored = draft.without_secrets().model_copy(update={"errors": {}}).store()
    async with services.db.session() as session, session.begin():
        if await drafts.claim_for_create(session, view_id, request_id) is None:
            return None
        saved = await drafts.get(session, view_id)
        if saved is not None:  # the typed password is not kept while waiting
            saved.data = {**saved.data, "password_sealed": None, "secrets_sealed": {}}
        row = await approvals.add(
            session,
            id=request_id,
            team_id=team_id,
            requested_by=user_id,
            kind="create",
            summary={
                "draft": stored,
                "lines": [list(pair) for pair in summary if pair[0] != "Root password"],
                "provider_id": provider_id,
                "provider_name": provider_name,
            },
            price_monthly=check.monthly,
            price_hourly=check.hourly,
            requester_channel=channel_id,
            expires_at=now + timedelta(hours=policy.approval_ttl_hours),
        )
        await activity.record(
            session,
            event_type="approval.requested",
            status="info",
            team_id=team_id,
            user_id=user_id,
            entity_type="approval",
            entity_id=str(request_id),
            metadata={"label": draft.label, "monthly": str(check.monthly)},
        )
    await post(services, row, policy.approval_channel)
    return row


async def ask_about_server(
    services: Services,
    server: VpsInstance,
    *,
    kind: str,
    user_id: str,
    fields: dict[str, str],
    lines: list[list[str]],
    hourly: Decimal | None,
    monthly: Decimal | None,
    channel: str,
    expires_at: datetime,
    requester_channel: str | None = None,
    audit: dict[str, str] | None = None,
) -> ApprovalRequest:
    """Store a request about an existing ``server`` (a resize, a longer lease) and post
    it to the approvers' ``channel``. The summary names the server (its ``label``, and
    a first ``Server`` line before ``lines``) beside ``fields``; ``audit``, when given,
    is the metadata of the ``approval.requested`` activity stored with it."""
    async with services.db.session() as session, session.begin():
        request = await approvals.add(
            session,
            id=uuid.uuid4(),
            team_id=server.team_id or "",
            requested_by=user_id,
            kind=kind,
            instance_id=server.id,
            summary={"label": server.label, **fields, "lines": [["Server", server.label], *lines]},
            price_monthly=monthly,
            price_hourly=hourly,
            requester_channel=requester_channel,
            expires_at=expires_at,
        )
        if audit is not None:
            await activity.record(
                session,
                event_type="approval.requested",
                status="info",
                team_id=server.team_id,
                user_id=user_id,
                entity_type="approval",
                entity_id=str(request.id),
                metadata=audit,
            )
    await post(services, request, channel)
    return request


async def post(services: Services, row: ApprovalRequest, channel: str) -> None:
    """Post the request to ``channel`` and remember where (for its thread)."""
    what = asked_for(row, bold=False)
    client = await services.slack_for(row.team_id)
    if client is None:
        log.warning("approval request %s not posted: %s is not installed", row.id, row.team_id)
        return
    try:
        posted = await client.chat_postMessage(
            channel=channel,
            text=f"Approval needed: {what} for <@{row.requested_by}>",
            blocks=request_blocks(row),
        )
    except SlackApiError as exc:
        log.warning("approval request %s not posted: %s", row.id, slack_error(exc))
        await tell(
            client,
            row.requester_channel,
            row.requested_by,
            "vpsbot could not post your approval request; ask an admin to check the approval "
            "channel.",
        )
        return
    ts = posted.get("ts")
    if isinstance(ts, str):
        async with services.db.session() as session, session.begin():
            await approvals.set_message(session, row.id, channel, ts)
        row.channel_id, row.message_ts = channel, ts

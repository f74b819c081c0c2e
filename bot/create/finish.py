"""A submitted step's answer, and the review's Create: the spend check, then an
approval request or the exactly-once claim, then the provider.

The listeners (:mod:`bot.create.listeners`) read the submission; this decides what
happens to a complete one, and what the spend policy adds to the config and
review steps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.pricing import BackupsUnpriced, Price, plan_price
from bot.core.services import Services
from bot.core.slack import update_view
from bot.create import service
from bot.create.drafts import DraftState
from bot.create.leases import lease_text
from bot.create.views import StepData, creating_view, message_view, review_lines, view_for
from bot.spend import guard, requests
from bot.spend.policy import effective, lease_choices, lease_for
from db.repo import spend as spend_repo

__all__ = ["Reply", "finish", "with_policy"]


class Reply:
    """Answers a submission: with the ack while inside Slack's window, by
    ``views.update`` after a loading view went out instead."""

    def __init__(self, ack: AsyncAck, client: AsyncWebClient, view_id: str) -> None:
        self.ack: AsyncAck | None = ack
        self.client = client
        self.view_id = view_id

    @property
    def acked(self) -> bool:
        return self.ack is None

    async def show(self, screen: View | dict[str, Any]) -> None:
        if self.ack is None:
            await update_view(self.client, self.view_id, screen)
        else:
            ack, self.ack = self.ack, None
            await ack(response_action="update", view=screen)

    async def errors(self, errors: dict[str, str]) -> None:
        assert self.ack is not None
        ack, self.ack = self.ack, None
        await ack(response_action="errors", errors=errors)


async def with_policy(services: Services, state: DraftState, step: str, data: StepData) -> None:
    """What the spend policy adds to a step: the leases offered at the config step,
    the cost and budget section of the review."""
    if step == "config":
        async with services.db.session() as session:
            row = await spend_repo.get_policy(session, state.team_id)
            member = await spend_repo.get_member(session, state.team_id, state.user_id)
        policy = effective(row, member)
        data.leases = tuple(lease_choices(policy))
        data.default_lease = lease_for(policy, None)
    elif step == "review":
        try:
            verdict = await _spend_check(services, state, data)
        except BackupsUnpriced as exc:  # the price changed since the config step
            data.spend = [f":warning: {exc.message}"]
            return
        data.spend = verdict.lines()
        data.lease_line = _lease_line(verdict, data)
        data.needs_approval = verdict.needs_approval


def _lease_line(verdict: guard.Check, data: StepData) -> str:
    """The lease the claim will give (:func:`lease_for` under the same policy)."""
    draft = data.draft
    return lease_text(lease_for(verdict.policy, draft.lease_hours, no_expiry=draft.no_expiry))


async def _spend_check(services: Services, state: DraftState, data: StepData) -> guard.Check:
    """What the create would cost and what the policy says (no lock: display only)."""
    plan = data.plan
    draft = state.draft
    price = (
        plan_price(plan, draft.region, backups=draft.backups)
        if plan
        else Price(Decimal(0), Decimal(0))
    )
    async with services.db.session() as session:
        return await guard.check(
            session,
            team_id=state.team_id,
            user_id=state.user_id,
            hourly=price.hourly,
            monthly=price.monthly,
            now=datetime.now(UTC),
            lock=False,
        )


# Not a block id: with_errors puts a message keyed to no block at the top of the view.
REFUSAL = "refusal"


async def _refuse_at_review(reply: Reply, data: StepData, message: str) -> None:
    """Show why the create is refused at the top of the review, by ``update``.

    The review has no input block, and Slack shows ``response_action: errors`` only
    under input blocks: keyed to anything else, it fails the whole answer and the
    person never learns why.
    """
    data.draft.errors = {REFUSAL: message}
    await reply.show(view_for("review", data))


async def finish(
    services: Services,
    reply: Reply,
    state: DraftState,
    data: StepData,
    provider_row: Any,
    provider: Any,
) -> None:
    """Create: claim the draft (exactly once), close on "creating", call the provider."""
    missing = [
        name
        for name, value in (
            ("provider", provider_row),
            ("plan", data.plan),
            ("region", data.draft.region),
            ("label", data.draft.label),
        )
        if not value
    ]
    if missing:
        await _refuse_at_review(reply, data, f"Go back and choose: {', '.join(missing)}.")
        return
    try:
        verdict = await _spend_check(services, state, data)
    except BackupsUnpriced as exc:
        await _refuse_at_review(reply, data, exc.message)
        return
    data.spend = verdict.lines()
    data.lease_line = _lease_line(verdict, data)
    data.needs_approval = verdict.needs_approval
    if verdict.refusal is not None:
        await _refuse_at_review(reply, data, verdict.refusal)
        return
    if verdict.needs_approval:
        try:
            request = await requests.submit(
                services,
                view_id=state.view_id,
                draft=data.draft,
                summary=review_lines(data),
                provider_id=str(provider_row.id),
                provider_name=provider_row.name,
                check=verdict,
                team_id=state.team_id,
                user_id=state.user_id,
                channel_id=state.channel_id,
            )
        except guard.SpendRefused as exc:
            await _refuse_at_review(reply, data, exc.message)
            return
        if request is not None:
            await reply.show(message_view(requests.submitted_text(data.draft.label, verdict)))
        return
    try:
        claim = await service.claim(
            services,
            view_id=state.view_id,
            data=data,
            row=provider_row,
            team_id=state.team_id,
            user_id=state.user_id,
            channel_id=state.channel_id,
        )
    except guard.SpendRefused as exc:
        await _refuse_at_review(reply, data, exc.message)
        return
    await reply.show(creating_view(data.draft.label, provider_row.name))
    if claim is None:
        return
    await service.run_creation(
        services,
        claim=claim,
        view_id=state.view_id,
        data=data,
        row=provider_row,
        provider=provider,
        team_id=state.team_id,
        user_id=state.user_id,
    )

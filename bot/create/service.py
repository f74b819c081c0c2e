"""Creating the server, safely: row first (:mod:`bot.create.claim`), then the
provider, then the row again.

The provider call carries the claimed row's unique tag; if the process dies
before the answer is stored, the status watcher finds the server by its tag and
completes the row. A generated password is shown before anything else follows.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.views import View

from bot.core.blocks import esc
from bot.core.logs import redactor
from bot.core.services import Services
from bot.core.slack import tell, update_view
from bot.core.tags import VPSBOT_TAG
from bot.create.claim import CREATIONS, PROVIDER_CHOICES, Claim, claim
from bot.create.draft import Draft
from bot.create.flows import ProviderFlow
from bot.create.views import (
    StepData,
    checking_view,
    done_view,
    failed_view,
    password_lost_view,
    view_for,
)
from bot.status import service as status
from db.models import ServiceProvider
from db.repo import activity, drafts, instances
from providers.base import Provider
from providers.errors import OutcomeUnknownError, ProviderError, ValidationError
from providers.models import CreateRequest, Instance
from providers.passwords import generate_password

__all__ = [
    "CREATIONS",
    "PROVIDER_CHOICES",
    "Claim",
    "claim",
    "field_errors",
    "run_creation",
]

# claiming is its own module; the create path goes claim → run_creation

log = logging.getLogger(__name__)


def field_errors(data: StepData, exc: ValidationError) -> tuple[str, dict[str, str]]:
    """Where a provider's refusal goes back: every field it names at its own block,
    on the earliest step among them (the others wait on theirs)."""
    assert data.flow is not None
    named = exc.fields or ({exc.field: exc.message} if exc.field else {})
    if not named:
        return "review", {"review": exc.user_message()}
    errors: dict[str, str] = {}
    steps: list[str] = []
    for name, reason in named.items():
        spot = data.flow.spot(name)
        if spot.block_id in errors:
            errors[spot.block_id] = f"{errors[spot.block_id]} {reason}"
        else:
            errors[spot.block_id] = reason if spot.step != "review" else f"{name}: {reason}"
        steps.append(spot.step)
    order = data.steps
    first = min(steps, key=lambda st: order.index(st) if st in order else len(order))
    return first, errors


def _request(
    claim: Claim,
    data: StepData,
    flow: ProviderFlow,
    password: str | None,
    secrets: dict[str, str] | None = None,
) -> CreateRequest:
    draft = claim.draft
    plan = data.plan
    assert plan is not None and draft.region is not None
    image = draft.image or flow.deployment_image(draft, data.deployments)
    return CreateRequest(
        label=draft.label,
        region=draft.region,
        plan=plan.provider_plan_id,
        image=image,
        tag=claim.tag,
        root_password=password,
        ssh_key_ids=list(draft.ssh_key_ids),
        backups=draft.backups,
        private_ip=bool(draft.options.get("private_ip")),
        monitoring=bool(draft.options.get("monitoring")),
        ipv6=bool(draft.options.get("ipv6")),
        vpc_id=draft.options.get("vpc_id") or None,
        deployment_id=draft.deployment_id,
        deployment_data={**draft.deployment_fields, **(secrets or {})},
        extra_tags=[VPSBOT_TAG],
    )


async def _record(
    services: Services, claim: Claim, team_id: str, user_id: str, result: str, **meta: object
) -> None:
    async with services.db.session() as session, session.begin():
        await activity.record(
            session,
            event_type="vps.create",
            status=result,
            team_id=team_id,
            user_id=user_id,
            entity_type="vps",
            entity_id=str(claim.instance_id),
            metadata={"label": claim.draft.label, **meta},
        )


async def _release(
    services: Services, view_id: str, claim: Claim, step: str, errors: dict[str, str]
) -> Draft:
    """Undo the claim after a definite refusal: no server, the draft back for editing."""
    draft = claim.draft.model_copy(update={"errors": errors})
    async with services.db.session() as session, session.begin():
        row = await instances.get(session, claim.instance_id)
        if row is not None:
            await session.delete(row)
        saved = await drafts.get(session, view_id)
        if saved is not None:
            saved.instance_id = None
            saved.step = step
            saved.data = draft.store()
    return draft


async def _store_created(services: Services, claim: Claim, server: Instance) -> None:
    async with services.db.session() as session, session.begin():
        row = await instances.get(session, claim.instance_id)
        if row is None:
            return
        row.provider_instance_id = server.id
        row.status = server.status.value
        row.ip_address = server.ipv4
        row.ipv6_address = server.ipv6
        row.configuration = {**row.configuration, "raw_status": server.raw_status}
        await instances.schedule_watch(session, claim.instance_id, delay=2.0)


async def _forget_secrets(services: Services, view_id: str) -> None:
    """Drop the typed password and secret fields from the draft: the create is sent."""
    async with services.db.session() as session, session.begin():
        saved = await drafts.get(session, view_id)
        if saved is not None and (
            saved.data.get("password_sealed") or saved.data.get("secrets_sealed")
        ):
            saved.data = {**saved.data, "password_sealed": None, "secrets_sealed": {}}


async def _update_view(
    services: Services, team_id: str, view_id: str, view: View | dict[str, Any]
) -> bool:
    """``views.update`` with the workspace's own token, looked up now: a workspace
    that uninstalled meanwhile is not written to at all."""
    client = await services.slack_for(team_id)
    if client is None:
        log.info("modal %s not updated: workspace %s has no installation", view_id, team_id)
        return False
    return await update_view(client, view_id, view)


async def _show_password(
    services: Services,
    *,
    team_id: str,
    channel_id: str | None,
    user_id: str,
    label: str,
    password: str,
) -> bool:
    """The generated root password, once, only to its owner: True when Slack took it."""
    text = (
        f":key: Root password for *{esc(label)}*: `{password}`\n"
        "Shown only to you, only this once; vpsbot does not keep it."
    )
    client = await services.slack_for(team_id)
    delivered = client is not None and await tell(client, channel_id, user_id, text)
    if not delivered:
        log.warning("the generated root password of %s could not be shown", label)
    return delivered


def _secrets(services: Services, draft: Draft) -> dict[str, str]:
    """The draft's secret fields, unsealed for the provider call (and kept out of logs)."""
    opened = {
        name: services.box.decrypt(sealed, what=f"the draft's field {name}")
        for name, sealed in draft.secrets_sealed.items()
    }
    redactor.add(*opened.values())
    return opened


async def _follow_up(what: str, step: Awaitable[object]) -> None:
    """A step after the provider answered; its failure is logged, never stops the
    ones after it (the user must still see the modal and the password)."""
    try:
        await step
    except Exception:
        log.exception("create follow-up failed: %s", what)


def _password(services: Services, draft: Draft) -> tuple[str | None, bool]:
    """(the root password to set, whether vpsbot generated it). A password only when
    asked for one, or when there is no other way in: with SSH keys chosen and no
    password, none is set (DigitalOcean then leaves SSH password login off; Linode
    sets a random one that is never shown)."""
    if draft.password_sealed is not None:
        password = services.box.decrypt(draft.password_sealed, what="the draft's password")
        generated = False
    elif not draft.ssh_key_ids:
        password, generated = generate_password(), True
    else:
        password, generated = None, False
    redactor.add(password)
    return password, generated


@dataclass
class _Creation:
    """One create after its claim: what each way the provider call can end does
    in the modal, the channel and the audit log."""

    services: Services
    claim: Claim
    view_id: str
    data: StepData
    row: ServiceProvider
    team_id: str
    user_id: str
    #: the generated root password to show its owner (None: nothing to show)
    generated: str | None

    async def show_password(self) -> bool:
        """Whether the person has what they need to log in (False: Slack lost it)."""
        if self.generated is None:
            return True
        return await _show_password(
            self.services,
            team_id=self.team_id,
            channel_id=self.claim.channel_id,
            user_id=self.user_id,
            label=self.claim.draft.label,
            password=self.generated,
        )

    async def show(self, view: View | dict[str, Any]) -> None:
        await _update_view(self.services, self.team_id, self.view_id, view)

    def closing_view(self, shown: bool, view: Callable[[str, str, str | None], View]) -> View:
        """``view`` of the server, or the lost-password view when Slack did not take it."""
        made = view if shown else password_lost_view
        return made(self.claim.draft.label, self.row.name, self.claim.channel_id)

    async def record(self, result: str, **meta: object) -> None:
        await _record(self.services, self.claim, self.team_id, self.user_id, result, **meta)

    async def unknown(self, exc: OutcomeUnknownError) -> None:
        """The provider did not say: the watcher looks the server up by its tag."""
        log.warning(
            "create of %s: outcome unknown (%s); the watcher will look it up by tag",
            self.claim.instance_id,
            exc.message,
        )
        shown = await self.show_password()
        await _follow_up("forget secrets", _forget_secrets(self.services, self.view_id))
        note = f"{esc(self.row.name)} did not confirm the request yet; vpsbot is checking by tag."
        await _follow_up("card", status.publish(self.services, self.claim.instance_id, note=note))
        await self.show(self.closing_view(shown, checking_view))

    async def refused(self, exc: ProviderError, step: str, errors: dict[str, str]) -> None:
        """A definite refusal: no server, the draft back at ``step`` with ``errors``."""
        self.data.draft = await _release(self.services, self.view_id, self.claim, step, errors)
        CREATIONS.labels(self.row.type, "failed").inc()
        await self.record("error", error=exc.as_dict())
        await self.show(view_for(step, self.data))

    async def failed(self) -> None:
        """Our own error: nothing was created, the draft back at the review."""
        log.exception("create of %s failed unexpectedly", self.claim.instance_id)
        sorry = "Something went wrong on our side; nothing was created. Try again."
        await _release(self.services, self.view_id, self.claim, "review", {"review": sorry})
        CREATIONS.labels(self.row.type, "failed").inc()
        await self.show(
            failed_view(
                "Something went wrong on vpsbot's side; nothing was created. Please try again."
            )
        )

    async def created(self, server: Instance) -> None:
        """The server exists: the password first, then the row, the audit, the card."""
        shown = await self.show_password()
        CREATIONS.labels(self.row.type, "succeeded").inc()
        await _follow_up("store", _store_created(self.services, self.claim, server))
        await _follow_up("forget secrets", _forget_secrets(self.services, self.view_id))
        meta: dict[str, object] = {"provider_instance_id": server.id, "provider": self.row.name}
        if not shown:
            meta["password"] = "not delivered"
        await _follow_up("audit", self.record("success", **meta))
        await _follow_up("card", status.publish(self.services, self.claim.instance_id))
        await self.show(self.closing_view(shown, done_view))


async def run_creation(
    services: Services,
    *,
    claim: Claim,
    view_id: str,
    data: StepData,
    row: ServiceProvider,
    provider: Provider,
    team_id: str,
    user_id: str,
) -> None:
    """Call the provider and follow up in the modal, the channel and the audit log.

    A generated root password is shown before anything else happens after the
    create (writing the row, the channel card, the modal), so no later failure can
    lose it; when Slack will not take it, the modal says so and how to set a new one.
    """
    assert data.flow is not None
    password, generated = _password(services, claim.draft)
    creation = _Creation(
        services, claim, view_id, data, row, team_id, user_id, password if generated else None
    )
    request = _request(claim, data, data.flow, password, _secrets(services, claim.draft))
    try:
        server = await provider.create_instance(request)
    except OutcomeUnknownError as exc:
        await creation.unknown(exc)
    except ValidationError as exc:
        await creation.refused(exc, *field_errors(data, exc))
    except ProviderError as exc:
        await creation.refused(exc, "review", {"review": exc.user_message()})
    except Exception:
        await creation.failed()
    else:
        await creation.created(server)

"""`/vps create`: open the modal, follow the user's choices, submit each step, create.

Thin Slack glue: catalogues come from :mod:`bot.create.catalog`, validation from
:mod:`bot.create.steps`, views from :mod:`bot.create.views`, and the creation
itself from :mod:`bot.create.service`.
"""

from __future__ import annotations

import json
import logging
import re
from types import SimpleNamespace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Option
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.services import Services
from bot.create import catalog, service, steps
from bot.create.draft import Draft, generate_label
from bot.create.render import render
from bot.create.views import (
    BACK_ACTION,
    CALLBACK_PREFIX,
    StepData,
    creating_view,
    image_options,
    loading_view,
    message_view,
    plan_option,
    view_for,
)
from bot.help.listeners import subcommands
from db.repo import drafts

__all__ = ["register"]

log = logging.getLogger(__name__)

#: Seconds a view_submission may spend on catalogues before showing a loading view.
SUBMIT_BUDGET = 1.5
_EXPIRED = "This form has expired or belongs to someone else. Run `/vps create` again."


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    return team, user.get("id", "")


async def _load(services: Services, view: dict[str, Any], team_id: str, user_id: str) -> Any:
    """The view's draft if it is this user's; None if expired or someone else's.

    A draft is first written on the user's first action or submission: opening
    the modal writes nothing (step 1 is all in the view), and the channel to post
    in travels in the view's private_metadata until then.
    """
    async with services.db.driver() as conn:
        row = await drafts.load(conn, view["id"])
    if row is None:
        if view.get("callback_id") != CALLBACK_PREFIX + "plan":
            return None
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            return None
        if not isinstance(meta, dict) or "channel" not in meta:
            return None
        label = next(
            (
                str(block.get("element", {}).get("initial_value") or "")
                for block in view.get("blocks", [])
                if block.get("block_id") == "label"
            ),
            "",
        )
        return SimpleNamespace(
            view_id=view["id"],
            team_id=team_id,
            user_id=user_id,
            channel_id=meta["channel"],
            step="plan",
            data=Draft(label=label).store(),
            instance_id=None,
        )
    if row.team_id != team_id or row.user_id != user_id:
        return None
    return row


async def _save(services: Services, view_id: str, row: Any, step: str, draft: Draft) -> None:
    async with services.db.driver() as conn:
        await drafts.save(
            conn,
            view_id=view_id,
            team_id=row.team_id,
            user_id=row.user_id,
            channel_id=row.channel_id,
            step=step,
            data=draft.store(),
        )


async def _update(
    client: AsyncWebClient, view_id: str, view: View | dict[str, Any], view_hash: str | None
) -> None:
    try:
        await client.views_update(view_id=view_id, view=view, hash=view_hash)
    except SlackApiError as exc:
        # hash_conflict: the user acted again meanwhile; their newer action re-renders.
        log.info("views.update of %s skipped: %s", view_id, exc.response["error"])


_first_views: dict[tuple[int, int, str], str] = {}
_LABEL = "@@vpsbot-label@@"
_META = "@@vpsbot-meta@@"


async def first_view(
    services: Services, rows: list[Any], label: str, channel_id: str | None
) -> tuple[str, Any]:
    """Step 1 for a fresh draft, as the JSON string ``views.open`` takes, and the
    provider row it shows first.

    Step 1 depends only on the offer (active providers and their plans): it is
    gathered, built (checked by slack_sdk) and serialised once per offer version;
    each command only fills in the label and the channel. Gathering and encoding
    on every command was over a third of the command's own cost.
    """
    generation = services.offers.generation
    row = rows[0]
    key = (id(services.offers), generation or 0, str(row.id))
    template = _first_views.get(key) if generation is not None else None
    if template is None:
        data, row, _ = await catalog.gather(services, Draft(label=_LABEL), "plan", rows=rows)
        view = view_for("plan", data).to_dict()
        view["private_metadata"] = _META
        template = json.dumps(view)
        if generation is not None and generation == services.offers.generation:
            if len(_first_views) > 64:
                _first_views.clear()
            _first_views[key] = template
    meta = json.dumps({"channel": channel_id})
    view_json = template.replace(json.dumps(_LABEL), json.dumps(label), 1).replace(
        json.dumps(_META), json.dumps(meta), 1
    )
    return view_json, row


def register(app: AsyncApp, services: Services) -> None:
    async def create(
        services: Services,
        command: dict[str, Any],
        rest: str,
        ack: AsyncAck,
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        rows = await catalog.active_providers(services)
        if not rows:
            await respond(
                response_type="ephemeral",
                text="No cloud provider is set up yet; ask a vpsbot admin to add one.",
            )
            return
        label = (rest.strip() or generate_label())[:64]
        # step 1 comes from the database alone: regions load once a plan is chosen
        view, row = await first_view(services, rows, label, command.get("channel_id"))
        await client.views_open(trigger_id=command["trigger_id"], view=view)  # type: ignore[arg-type]
        catalog.prefetch(services, row)

    subcommands["create"] = create

    async def acting_on(body: dict[str, Any]) -> tuple[dict[str, Any], Any, Draft] | None:
        """(view, draft row, draft) for an action in this user's own create modal."""
        view = body["view"]
        team_id, user_id = _who(body)
        row = await _load(services, view, team_id, user_id)
        if row is None:
            return None
        return view, row, Draft.model_validate(row.data)

    async def rerender_plan(body: dict[str, Any], client: AsyncWebClient) -> None:
        opened = await acting_on(body)
        if opened is None:
            return
        view, row, draft = opened
        before = draft.provider_id
        steps.absorb(draft, "plan", view["state"]["values"])
        data, provider_row, _ = await catalog.gather(services, draft, "plan")
        if draft.provider_id != before:
            if provider_row is not None:
                catalog.prefetch(services, provider_row)
            # keep what is still valid under the new provider
            if draft.plan_id not in {p.id for p in data.plans}:
                draft.plan_id = None
        if data.plan is None or (
            draft.region and data.plan.regions and draft.region not in data.plan.regions
        ):
            draft.region = None
        await _save(services, view["id"], row, "plan", draft)
        await _update(client, view["id"], render("plan", data), view.get("hash"))

    @app.action("create_provider")
    async def provider_changed(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await rerender_plan(body, client)

    @app.action("create_plan")
    async def plan_changed(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await rerender_plan(body, client)

    @app.action("create_deployment_pick")
    async def script_changed(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        opened = await acting_on(body)
        if opened is None:
            return
        view, row, draft = opened
        picked = body["actions"][0].get("selected_option") or {}
        chosen = picked.get("value")
        draft.deployment_id = None if chosen in (None, "none") else chosen
        draft.deployment_fields = {}
        data, _, _ = await catalog.gather(services, draft, "deployment")
        await _save(services, view["id"], row, "deployment", draft)
        await _update(client, view["id"], render("deployment", data), view.get("hash"))

    @app.action(BACK_ACTION)
    async def back(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        opened = await acting_on(body)
        if opened is None:
            return
        view, row, draft = opened
        current = body["actions"][0].get("value") or row.step
        steps.absorb(draft, current, view["state"]["values"])
        data, _, _ = await catalog.gather(services, draft, current)
        target = steps.previous_step(current, data.steps)
        data, _, _ = await catalog.gather(services, draft, target)
        await _save(services, view["id"], row, target, draft)
        await _update(client, view["id"], render(target, data), view.get("hash"))

    @app.view(re.compile("^" + re.escape(CALLBACK_PREFIX)))
    async def submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        view = body["view"]
        step = view["callback_id"].removeprefix(CALLBACK_PREFIX)
        if step == "message":
            await ack()
            return
        team_id, user_id = _who(body)
        row = await _load(services, view, team_id, user_id)
        if row is None:
            await ack(response_action="update", view=message_view(_EXPIRED))
            return
        draft = Draft.model_validate(row.data)
        if step == "review" and row.instance_id is not None:
            # a double click or a Slack retry: the first submission is creating it
            await ack(response_action="update", view=creating_view(draft.label, "the provider"))
            return
        acked = False

        async def answer(screen: View | dict[str, Any]) -> None:
            """Ack with the view inside Slack's window, or update the modal after it."""
            nonlocal acked
            if acked:
                await _update(client, view_id, screen, None)
            else:
                acked = True
                await ack(response_action="update", view=screen)

        view_id = view["id"]
        if step == "plan":
            # what is on screen decides what to load (the plan's regions)
            steps.absorb(draft, step, view["state"]["values"])
        try:
            data, provider_row, provider = await catalog.gather(
                services, draft, step, budget=SUBMIT_BUDGET
            )
        except catalog.CatalogPending as pending:
            await answer(loading_view(step, pending.what))
            data, provider_row, provider = await catalog.gather(services, draft, step)
        errors = steps.read_step(services, step, view["state"]["values"], data, provider)
        if errors:
            if not acked:
                await _save(services, view_id, row, step, draft)
                await ack(response_action="errors", errors=errors)
                return
            # too late for response_action errors: show them under the fields instead
            draft.errors = errors
            await _save(services, view_id, row, step, draft)
            await answer(render(step, data))
            return
        if step == "review":
            await _create(
                ack if not acked else None,
                body,
                client,
                row,
                data,
                provider_row,
                provider,
                team_id,
                user_id,
            )
            return
        if step == "plan" and provider_row is not None:
            service.PROVIDER_CHOICES.labels(provider_row.type).inc()
        if step == "deployment":
            data.steps = catalog.steps_for(data)
        target = steps.next_step(step, data.steps)
        await _save(services, view_id, row, target, draft)
        try:
            next_data, _, _ = await catalog.gather(
                services, draft, target, budget=None if acked else SUBMIT_BUDGET
            )
        except catalog.CatalogPending as pending:
            await answer(loading_view(target, pending.what))
            next_data, _, _ = await catalog.gather(services, draft, target)
        await answer(render(target, next_data))

    async def _create(
        ack: AsyncAck | None,
        body: dict[str, Any],
        client: AsyncWebClient,
        row: Any,
        data: StepData,
        provider_row: Any,
        provider: Any,
        team_id: str,
        user_id: str,
    ) -> None:
        view_id = body["view"]["id"]
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
            message = f"Go back and choose: {', '.join(missing)}."
            if ack is not None:
                await ack(response_action="errors", errors={"review": message})
            else:
                data.draft.errors = {"review": message}
                await _update(client, view_id, view_for("review", data), None)
            return
        claim = await service.claim(
            services,
            view_id=view_id,
            data=data,
            row=provider_row,
            team_id=team_id,
            user_id=user_id,
            channel_id=row.channel_id,
        )
        creating = creating_view(data.draft.label, provider_row.name)
        if ack is not None:
            await ack(response_action="update", view=creating)
        else:
            await _update(client, view_id, creating, None)
        if claim is None:
            return
        await service.run_creation(
            services,
            claim=claim,
            view_id=view_id,
            data=data,
            row=provider_row,
            provider=provider,
            team_id=team_id,
            user_id=user_id,
        )

    async def suggesting(body: dict[str, Any], step: str) -> StepData | None:
        """The step's data for an options request on this user's own draft."""
        team_id, user_id = _who(body)
        row = await _load(services, body["view"], team_id, user_id)
        if row is None:
            return None
        data, _, _ = await catalog.gather(services, Draft.model_validate(row.data), step)
        return data

    @app.options("create_plan")
    async def plan_options(ack: AsyncAck, body: dict[str, Any]) -> None:
        data = await suggesting(body, "plan")
        if data is None:
            await ack(options=[])
            return
        query = (body.get("value") or "").lower()
        options: list[Option] = [
            plan_option(p)
            for p in data.plans
            if query in f"{p.provider_plan_id} {p.name} {p.summary()}".lower()
        ][:100]
        await ack(options=[o.to_dict() for o in options])

    @app.options("image")
    async def image_options_load(ack: AsyncAck, body: dict[str, Any]) -> None:
        data = await suggesting(body, "image")
        if data is None:
            await ack(options=[])
            return
        query = (body.get("value") or "").lower()
        matching = [
            i
            for i in data.images or []
            if query in f"{i.name} {i.distribution} {i.version}".lower()
        ]
        groups = []
        budget = 100
        for group in image_options(matching):
            if budget <= 0:
                break
            group.options = (group.options or [])[:budget]
            budget -= len(group.options)
            groups.append(group.to_dict())
        await ack(option_groups=groups)

"""The review step: everything the create will do, what it costs, and how root gets in."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock, SectionBlock
from slack_sdk.models.views import View

from bot.core.blocks import cut, esc, md
from bot.core.names import image_name
from bot.core.pricing import BackupsUnpriced, plan_price
from bot.create.frame import StepData, back_button, modal, progress, with_errors
from bot.create.leases import lease_text

__all__ = [
    "access_summary",
    "image_shown",
    "region_shown",
    "review_lines",
    "review_view",
    "software_shown",
]


def access_summary(data: StepData) -> str:
    """How root will get in, as the review states it (see ``ProviderFlow.access``)."""
    draft = data.draft
    if data.flow is None:
        return "—"
    if data.needs_approval:
        # the request does not keep a typed password: the approved server gets
        # a generated one (or SSH keys only), as bot.spend.requests explains
        access = data.flow.access(password=False, ssh_keys=len(draft.ssh_key_ids))
        if draft.password_sealed is not None:
            access += " (a typed password is not kept while the request waits)"
        return access
    return data.flow.access(
        password=draft.password_sealed is not None, ssh_keys=len(draft.ssh_key_ids)
    )


def _backups(data: StepData) -> str:
    """``yes (+$1.20/mo)``: the surcharge the price below includes."""
    if not data.draft.backups:
        return "no"
    extra = data.plan.backups_in(data.draft.region) if data.plan else None
    return f"yes (+${extra[0]:.2f}/mo, included in the cost)" if extra else "yes"


def region_shown(data: StepData) -> str:
    """The chosen region as people know it: its city ("Frankfurt 1"), else its id."""
    region = data.draft.region
    if not region:
        return "—"
    return next((r.name for r in data.regions if r.id == region and r.name), region)


def image_shown(data: StepData) -> str:
    """The chosen image's name, the distribution said once (else its id)."""
    wanted = data.draft.image
    found = next((i for i in data.images or () if i.id == wanted), None)
    return image_name(found) if found is not None else wanted or "—"


def software_shown(data: StepData) -> str | None:
    """``1-Click app: WordPress`` / ``StackScript: LAMP``; None for a plain OS."""
    if data.flow is None or not data.draft.deployment_id:
        return None
    if not any(o.id == data.draft.deployment_id for o in data.deployments):
        return None
    summary = data.flow.deployment_summary(data.draft, data.deployments)
    return f"{data.flow.deployment_title}: {summary}"


def _os_line(data: StepData) -> list[tuple[str, str]]:
    """The operating system, unless a 1-Click app is the image (its name says it)."""
    image = image_shown(data)
    if image == "—" and software_shown(data) is not None:
        return []
    return [("Operating system", image)]


def review_lines(data: StepData) -> list[tuple[str, str]]:
    draft = data.draft
    provider = data.provider
    plan = data.plan
    flow = data.flow
    rows = [
        ("Provider", provider.name if provider else "—"),
        ("Label", draft.label),
        ("Plan", plan.headline() if plan else "—"),
        ("Region", region_shown(data)),
        (
            flow.deployment_title if flow else "Deployment",
            flow.deployment_summary(draft, data.deployments) if flow else "—",
        ),
        *_os_line(data),
        ("Access", access_summary(data)),
        ("Backups", _backups(data)),
    ]
    if data.lease_line is not None:
        rows.append(("Lease", data.lease_line))
    elif draft.no_expiry or draft.lease_hours:
        rows.append(("Lease", lease_text(None if draft.no_expiry else draft.lease_hours)))
    if flow:
        for toggle in flow.toggles:
            rows.append((toggle.label, "yes" if draft.options.get(toggle.key) else "no"))
        if flow.uses_vpc:
            vpc = next((v.name for v in data.vpcs if v.id == draft.options.get("vpc_id")), None)
            rows.append(("VPC", vpc or "region default"))
    if flow:
        rows.extend(flow.field_lines(draft, data.deployments))
    return rows


def _price_line(data: StepData) -> str:
    """The price when no spend section was made: :func:`plan_price`, options included."""
    plan, draft = data.plan, data.draft
    if plan is None:
        return "*Price:* —"
    if draft.region is None:
        return f"*Price:* {plan.price()}"
    try:
        price = plan_price(plan, draft.region, backups=draft.backups)
    except BackupsUnpriced as exc:
        return f":warning: {exc.message}"
    return f"*Price in {esc(region_shown(data))}:* {price.text()}"


def review_view(data: StepData) -> View:
    rows = review_lines(data)
    # a row's name can come from the cloud too (a StackScript field's label)
    text = "\n".join(f"*{esc(name)}:* {esc(value)}" for name, value in rows)
    blocks: list[Block] = [
        progress(data, "review"),
        SectionBlock(block_id="review", text=md(cut(text, 3000))),
        DividerBlock(),
        SectionBlock(
            block_id="price",
            text=md("\n".join(data.spend) if data.spend else _price_line(data)),
        ),
        back_button("review"),
    ]
    asks = data.needs_approval or any(line.startswith(":raised_hand:") for line in data.spend)
    submit = "Ask for approval" if asks else "Create"
    return modal("review", with_errors(blocks, data.draft.errors), submit=submit)

"""The review step: everything the create will do, what it costs, and how root gets in."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock, SectionBlock
from slack_sdk.models.views import View

from bot.core.blocks import cut, esc, md
from bot.core.pricing import BackupsUnpriced, plan_price
from bot.create.frame import StepData, back_button, modal, progress, with_errors
from bot.create.leases import lease_text

__all__ = ["access_summary", "review_lines", "review_view"]


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


def review_lines(data: StepData) -> list[tuple[str, str]]:
    draft = data.draft
    provider = data.provider
    plan = data.plan
    flow = data.flow
    image = draft.image or "—"
    if data.images:
        image = next((i.name for i in data.images if i.id == draft.image), image)
    rows = [
        ("Provider", f"{provider.name} ({provider.type})" if provider else "—"),
        ("Label", draft.label),
        ("Plan", f"{plan.provider_plan_id} ({plan.summary()})" if plan else "—"),
        ("Region", draft.region or "—"),
        (
            flow.deployment_title if flow else "Deployment",
            flow.deployment_summary(draft, data.deployments) if flow else "—",
        ),
        ("Operating system", image),
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
    if draft.deployment_fields or draft.secrets_sealed:
        typed = {
            k: ",".join(v) if isinstance(v, list) else str(v)
            for k, v in draft.deployment_fields.items()
        }
        # secrets are masked: the review shows that one is set, never what it is
        typed.update({k: "••••••" for k in draft.secrets_sealed})
        shown = ", ".join(f"{k}={v}" for k, v in sorted(typed.items()))
        rows.append(("Script fields", cut(shown, 500)))
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
    return f"*Price in {esc(draft.region)}:* {price.text()}"


def review_view(data: StepData) -> View:
    rows = review_lines(data)
    text = "\n".join(f"*{name}:* {esc(value)}" for name, value in rows)
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

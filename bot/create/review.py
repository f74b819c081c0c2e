"""The review step: everything the create will do, what it costs, and how root gets in."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock, SectionBlock
from slack_sdk.models.views import View

from bot.core.blocks import cut, esc, md
from bot.create.frame import StepData, back_button, modal, progress, with_errors
from bot.create.leases import lease_text

__all__ = ["access_summary", "review_lines", "review_view"]


def access_summary(data: StepData) -> str:
    """How root will get in, as the review states it (see ``ProviderFlow.access``)."""
    draft = data.draft
    if data.flow is None:
        return "—"
    return data.flow.access(
        password=draft.password_sealed is not None, ssh_keys=len(draft.ssh_key_ids)
    )


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
        ("Backups", "yes" if draft.backups else "no"),
    ]
    if draft.no_expiry or draft.lease_hours:
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


def review_view(data: StepData) -> View:
    plan = data.plan
    rows = review_lines(data)
    text = "\n".join(f"*{name}:* {esc(value)}" for name, value in rows)
    blocks: list[Block] = [
        progress(data, "review"),
        SectionBlock(block_id="review", text=md(cut(text, 3000))),
        DividerBlock(),
        SectionBlock(
            block_id="price",
            text=md(
                "\n".join(data.spend)
                if data.spend
                else (
                    f"*Price in {esc(data.draft.region)}:* {plan.price(data.draft.region)}"
                    if plan and data.draft.region
                    else (f"*Price:* {plan.price()}" if plan else "*Price:* —")
                )
            ),
        ),
        back_button("review"),
    ]
    asks = any(line.startswith(":raised_hand:") for line in data.spend)
    submit = "Ask for approval" if asks else "Create"
    return modal("review", with_errors(blocks, data.draft.errors), submit=submit)

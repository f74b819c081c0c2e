"""Reading each submitted step into the draft, and moving between steps.

Validation happens here, before Slack is answered, so errors go back with
``response_action: errors`` at the offending block.
"""

from __future__ import annotations

from typing import Any

from bot.core.pricing import BackupsUnpriced, plan_price
from bot.core.services import Services
from bot.create.draft import Draft
from bot.create.flows import flatten_state
from bot.create.views import StepData
from providers.base import Provider

__all__ = ["absorb", "label_problem", "next_step", "previous_step", "read_step"]


def label_problem(provider: Provider, label: str) -> str | None:
    """Why ``label`` will not do on this provider, as a sentence shown at the field
    (the label itself is never changed: what a person typed stays as typed)."""
    problem = provider.label_error(label)
    return f"The label {problem}." if problem else None


def _text(flat: dict[str, Any], key: str) -> str | None:
    """``flat[key]`` when it is text: a forged state can put anything under any block."""
    value = flat.get(key)
    return value if isinstance(value, str) else None


def _texts(flat: dict[str, Any], key: str) -> list[str]:
    value = flat.get(key)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def absorb(draft: Draft, step: str, values: dict[str, Any]) -> None:
    """Keep what is on screen in the draft without judging it (Back, re-renders)."""
    flat = flatten_state(values)
    if step == "plan":
        if provider := _text(flat, "create_provider"):
            draft.provider_id = provider
        if (label := _text(flat, "label")) is not None:
            draft.label = label.strip()
        if (plan := _text(flat, "create_plan")) not in (None, "none"):
            draft.plan_id = plan
        if region := _text(flat, "region"):
            draft.region = region
    elif step == "image":
        if image := _text(flat, "image"):
            draft.image = image
    elif step == "config":
        _absorb_config(draft, flat)


def _absorb_config(draft: Draft, flat: dict[str, Any]) -> None:
    if "ssh_keys" in flat:
        draft.ssh_key_ids = _texts(flat, "ssh_keys")
    if "options" in flat:
        chosen = set(_texts(flat, "options"))
        draft.backups = "backups" in chosen
        for key in list(draft.options):
            if isinstance(draft.options[key], bool):
                draft.options[key] = False
        for key in chosen - {"backups"}:
            draft.options[key] = True
    if "vpc" in flat:
        draft.options["vpc_id"] = _text(flat, "vpc")
    lease = flat.get("lease")
    if lease == "none":
        draft.no_expiry, draft.lease_hours = True, None
    elif isinstance(lease, str) and lease.isdigit():
        draft.no_expiry, draft.lease_hours = False, int(lease)


def _keep_fields(
    services: Services, draft: Draft, fields: dict[str, Any], options: list[Any]
) -> None:
    """Store the deployment's fields: secret ones sealed (never in plain text in the
    draft), the rest as typed."""
    chosen = next((o for o in options if o.id == draft.deployment_id), None)
    secret = {f.name for f in (chosen.fields if chosen is not None else []) if f.secret}
    draft.deployment_fields = {k: v for k, v in fields.items() if k not in secret}
    sealed = {k: v for k, v in draft.secrets_sealed.items() if k in secret}
    for name in secret & set(fields):
        value = fields[name]
        if isinstance(value, str) and value:
            sealed[name] = services.box.encrypt(value)
    draft.secrets_sealed = sealed


def read_step(
    services: Services,
    step: str,
    values: dict[str, Any],
    data: StepData,
    provider: Provider | None,
) -> dict[str, str]:
    """Validate the submitted ``step`` into ``data.draft``; errors by block id."""
    draft = data.draft
    flat = flatten_state(values)
    errors: dict[str, str] = {}
    if step == "plan":
        absorb(draft, step, values)
        if provider is None or data.provider is None:
            return {"provider": "Choose a provider."}
        if (problem := label_problem(provider, draft.label)) is not None:
            errors["label"] = problem
        plan = data.plan
        if plan is None:
            errors["plan"] = "Choose a plan."
        else:
            available = {r.id for r in data.regions if plan.runs_in(r)}
            # under the region select when the view shows one, else under the plan
            # (Slack refuses errors keyed to a block the view does not have)
            at = "region" if "region" in values else "plan"
            if not available:
                errors[at] = "This plan is not available in any region now; choose another."
            elif draft.region is None:
                errors[at] = "Choose a region."
            elif draft.region not in available:
                errors[at] = "This plan is not offered in that region."
    elif step == "deployment":
        assert data.flow is not None
        kept = frozenset(draft.secrets_sealed)
        deployment_id, fields, errors = data.flow.read_deployment(flat, data.deployments, kept)
        if deployment_id != draft.deployment_id:
            draft.image = None
            draft.secrets_sealed = {}
        draft.deployment_id = deployment_id
        _keep_fields(services, draft, fields, data.deployments)
    elif step == "image":
        chosen = _text(flat, "image")
        offered = {image.id for image in data.images or []}
        if chosen not in offered:
            errors["image"] = "Choose one of the offered images."
        else:
            draft.image = chosen
    elif step == "config":
        assert provider is not None
        errors = _read_config(services, flat, data, provider)
    if not errors:
        draft.errors = {}
    return errors


def _read_config(
    services: Services, flat: dict[str, Any], data: StepData, provider: Provider
) -> dict[str, str]:
    """The config step: access (password, SSH keys), options, VPC and lease."""
    draft = data.draft
    errors: dict[str, str] = {}
    _absorb_config(draft, flat)
    password = (_text(flat, "password") or "").strip()
    if password:
        problem = provider.password_error(password)
        if problem:
            errors["password"] = problem
        else:
            draft.password_sealed = services.box.encrypt(password)
    picked = None if draft.no_expiry else draft.lease_hours
    if data.leases and (draft.no_expiry or picked is not None) and picked not in data.leases:
        errors["lease"] = "Choose one of the offered leases."
    if draft.backups and data.plan is not None:
        try:
            plan_price(data.plan, draft.region, backups=True)
        except BackupsUnpriced as exc:
            errors["options"] = exc.message
    known = {key.id for key in data.ssh_keys}
    if not known:  # no key was offered (none, or not shared): a forged pick
        draft.ssh_key_ids = []
    elif any(key not in known for key in draft.ssh_key_ids):
        errors["ssh_keys"] = "One of those keys is no longer on the account."
    _check_vpc(draft, data, errors)
    return errors


def _check_vpc(draft: Draft, data: StepData, errors: dict[str, str]) -> None:
    """The VPC picked is one offered: a forged one (another tenant's, or where none
    was offered) is refused at the field, or dropped when there was no field."""
    vpc = draft.options.get("vpc_id")
    if not vpc:
        return
    flow = data.flow
    offered = flow.vpcs_for(data.vpcs, draft.region) if flow and flow.uses_vpc else []
    if not offered:
        draft.options["vpc_id"] = None
    elif vpc not in {v.id for v in offered}:
        errors["vpc"] = "Choose one of the offered VPCs."


def next_step(step: str, steps: tuple[str, ...]) -> str:
    return steps[min(steps.index(step) + 1, len(steps) - 1)] if step in steps else steps[0]


def previous_step(step: str, steps: tuple[str, ...]) -> str:
    return steps[max(steps.index(step) - 1, 0)] if step in steps else steps[0]

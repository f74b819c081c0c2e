"""Rendered create-modal views, memoised.

Building a step's view with ``slack_sdk.models`` and checking it (``to_dict``)
was the largest cost of a step transition (measured: about 40% of handling a
view_submission). A view is a pure function of the draft, the step and the
catalogue entries it shows, so the rendered dict is kept, keyed by exactly
those, and shared read-only between requests.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from bot.create.views import StepData, view_for

__all__ = ["render"]

_MAX = 512
_rendered: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()


def _key(step: str, data: StepData) -> tuple[Any, ...]:
    draft = data.draft.model_dump(mode="json", exclude={"password_sealed"})
    return (
        step,
        json.dumps(draft, sort_keys=True),
        data.draft.password_sealed is not None,
        data.flow.type if data.flow else None,
        data.steps,
        tuple((p.id, p.name, p.type) for p in data.providers),
        tuple(
            (p.id, p.provider_plan_id, p.name, p.monthly, p.regions, p.region_prices)
            for p in data.plans
        ),
        tuple((r.id, r.name, r.available) for r in data.regions),
        tuple((d.id, d.name, d.category, d.description, len(d.fields)) for d in data.deployments),
        None if data.images is None else tuple((i.id, i.name, i.eol) for i in data.images),
        tuple((k.id, k.name) for k in data.ssh_keys),
        tuple((v.id, v.name, v.region) for v in data.vpcs),
    )


def render(step: str, data: StepData) -> dict[str, Any]:
    """``view_for(step, data).to_dict()``, computed once per distinct input.

    The returned dict is shared: callers must not change it.
    """
    key = _key(step, data)
    view = _rendered.get(key)
    if view is not None:
        _rendered.move_to_end(key)
        return view
    view = view_for(step, data).to_dict()
    _rendered[key] = view
    if len(_rendered) > _MAX:
        _rendered.popitem(last=False)
    return view

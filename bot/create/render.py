"""Rendered create-modal views, memoised by their whole input.

Building a step's view with ``slack_sdk.models`` and checking it (``to_dict``)
is the largest cost of a step transition. A view is a pure function of the
step and the :class:`StepData` it shows, so the rendered dict is kept under a
digest of exactly that input (every field, whatever fields the data grows), and
shared read-only between requests. Step 1 of a fresh modal depends only on the
offer (active providers and their plans): it is rendered once per offer version
and each command fills in its label and channel by structure, never by text.
"""

from __future__ import annotations

import copy
import hashlib
import json
import pickle
from collections import OrderedDict
from typing import Any

from bot.core.services import Services
from bot.create import catalog
from bot.create.draft import Draft
from bot.create.views import LABEL_BLOCK, StepData, view_for
from db.models import ServiceProvider

__all__ = ["first_view", "render"]

_MAX = 512
_rendered: OrderedDict[bytes, dict[str, Any]] = OrderedDict()
_first: dict[tuple[int, int, tuple[str, ...]], dict[str, Any]] = {}


def _digest(step: str, data: StepData) -> bytes:
    """A digest of the whole input of ``view_for(step, data)``."""
    return hashlib.blake2b(pickle.dumps((step, data), protocol=5), digest_size=20).digest()


def render(step: str, data: StepData) -> dict[str, Any]:
    """``view_for(step, data).to_dict()``, computed once per distinct input.

    The returned dict is shared: callers must not change it.
    """
    key = _digest(step, data)
    view = _rendered.get(key)
    if view is not None:
        _rendered.move_to_end(key)
        return view
    view = view_for(step, data).to_dict()
    _rendered[key] = view
    if len(_rendered) > _MAX:
        _rendered.popitem(last=False)
    return view


async def first_view(
    services: Services,
    rows: list[ServiceProvider],
    label: str,
    channel_id: str | None,
    team_id: str,
) -> tuple[dict[str, Any], ServiceProvider]:
    """Step 1 for a fresh draft and the provider row it shows first.

    The view without a label is kept per offer version (an unversioned offer is
    never kept); the label goes into a copy of the label input and the channel
    into the copy's ``private_metadata``.
    """
    generation = services.offers.generation
    row = rows[0]
    # the providers offered differ per workspace: the blank view is kept per list
    key = (id(services.offers), generation or 0, tuple(str(r.id) for r in rows))
    blank = _first.get(key) if generation is not None else None
    if blank is None:
        data, shown, _ = await catalog.gather(services, Draft(), "plan", team_id=team_id, rows=rows)
        row = shown or row
        blank = view_for("plan", data).to_dict()
        if generation is not None and generation == services.offers.generation:
            if len(_first) > 64:
                _first.clear()
            _first[key] = blank
    view = dict(blank)
    view["blocks"] = [
        _with_initial(block, label) if block.get("block_id") == LABEL_BLOCK else block
        for block in blank["blocks"]
    ]
    view["private_metadata"] = json.dumps({"channel": channel_id})
    return view, row


def _with_initial(block: dict[str, Any], value: str) -> dict[str, Any]:
    filled = copy.deepcopy(block)
    if value:
        filled["element"]["initial_value"] = value
    return filled

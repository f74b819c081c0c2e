"""Rendered create-modal views, memoised by their whole input.

Building a step's view with ``slack_sdk.models`` and checking it (``to_dict``)
is the largest cost of a step transition (about 2 ms for a Linode deployment
step with 60 StackScripts). A view is a pure function of the step and the
:class:`StepData` it shows, so the rendered dict is kept under a key built from
every field of that input, and shared read-only between requests. Hashing the
input by value (pickle, repr) costs as much as rendering; the catalogue objects
are frozen, so they count by identity (about 50 µs for the same step).

Step 1 of a fresh modal depends only on the offer (active providers and their
plans): it is rendered and encoded once per offer version, and each command
encodes only its label block and channel, joined to the kept parts as JSON values.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from bot.core.services import Services
from bot.create import catalog
from bot.create.channels import channel_block
from bot.create.draft import Draft
from bot.create.views import LABEL_BLOCK, StepData, view_for
from db.models import ServiceProvider

__all__ = ["first_view", "render"]

_MAX = 512
#: rendered views by input key, with the objects the key names by identity
_rendered: OrderedDict[Hashable, tuple[dict[str, Any], tuple[object, ...]]] = OrderedDict()
_first: dict[tuple[int, int, tuple[str, ...]], _Blank] = {}


#: How a value of each type counts in the key, decided once per type.
_BY_VALUE, _BY_IDENTITY, _BY_JSON, _SEQUENCE, _MAPPING = range(5)
_kinds: dict[type, int] = {}


def _kind(cls: type) -> int:
    kind = _kinds.get(cls)
    if kind is None:
        params = getattr(cls, "__dataclass_params__", None)
        if issubclass(cls, list | tuple):
            kind = _SEQUENCE
        elif issubclass(cls, dict):
            kind = _MAPPING
        elif issubclass(cls, str | int | float | bool | Decimal | type(None)):
            kind = _BY_VALUE
        elif issubclass(cls, BaseModel):
            kind = _BY_IDENTITY if cls.model_config.get("frozen") else _BY_JSON
        elif params is not None and params.frozen:
            kind = _BY_VALUE  # hashable by its fields, which cannot change
        else:
            kind = _BY_IDENTITY
        _kinds[cls] = kind
    return kind


def _part(value: Any, held: list[object]) -> Hashable:
    """One input's share of the key. Frozen pydantic models (the catalogues) and
    other objects (flows) count by identity and are held by the cache entry, so an
    id is never reused while the entry lives; mutable models (the draft) count by
    their JSON; scalars and frozen dataclasses by value; containers element by
    element."""
    kind = _kind(type(value))
    if kind == _BY_IDENTITY:
        held.append(value)
        return id(value)
    if kind == _SEQUENCE:
        return tuple([_part(item, held) for item in value])
    if kind == _BY_VALUE:
        return value  # type: ignore[no-any-return]
    if kind == _MAPPING:
        return tuple(sorted((str(k), _part(v, held)) for k, v in value.items()))
    return str(value.model_dump_json())


def _key(step: str, data: StepData) -> tuple[Hashable, tuple[object, ...]]:
    """The key of ``view_for(step, data)``: every field of :class:`StepData`, read
    generically, so a field added later takes part without anyone keeping a list."""
    held: list[object] = []
    key = (step, *(_part(getattr(data, f.name), held) for f in fields(data)))
    return key, tuple(held)


def render(step: str, data: StepData) -> dict[str, Any]:
    """``view_for(step, data).to_dict()``, computed once per distinct input.

    The returned dict is shared: callers must not change it.
    """
    key, held = _key(step, data)
    found = _rendered.get(key)
    if found is not None:
        _rendered.move_to_end(key)
        return found[0]
    view = view_for(step, data).to_dict()
    _rendered[key] = (view, held)
    if len(_rendered) > _MAX:
        _rendered.popitem(last=False)
    return view


@dataclass(frozen=True)
class _Blank:
    """Step 1 without its label and channel, each block already JSON text."""

    shell: dict[str, Any]  # the view without ``blocks`` and ``private_metadata``
    blocks: tuple[str, ...]
    label_at: int  # index of the label block in ``blocks``, -1 if none
    label_block: dict[str, Any]


def _blank(view: dict[str, Any]) -> _Blank:
    blocks = view["blocks"]
    at = next((i for i, b in enumerate(blocks) if b.get("block_id") == LABEL_BLOCK), -1)
    shell = {k: v for k, v in view.items() if k not in ("blocks", "private_metadata")}
    return _Blank(
        shell=shell,
        blocks=tuple(json.dumps(b) for b in blocks),
        label_at=at,
        label_block=blocks[at] if at >= 0 else {},
    )


async def first_view(
    services: Services,
    rows: list[ServiceProvider],
    label: str,
    channel_id: str | None,
    team_id: str,
    choices: tuple[tuple[str, str], ...] = (),
) -> tuple[str, ServiceProvider]:
    """Step 1 for a fresh draft, as the JSON text ``views.open`` sends, and the
    provider row it shows first.

    The view without a label is kept per offer version (an unversioned offer is
    never kept), each block as its JSON text: step 1 carries every offered plan
    with its prices, and encoding that nested dict again on every command was
    about a quarter of the command's CPU (``bench/bench_create.py``). Per command
    only the label block and the metadata are encoded, and the parts are joined
    as JSON values, never edited as text. ``choices``: the channels the member
    picks the card's among (a Home create where several are allowed), after the label.
    """
    generation = services.offers.generation
    row = rows[0]
    # the providers offered differ per workspace: the blank view is kept per list
    key = (id(services.offers), generation or 0, tuple(str(r.id) for r in rows))
    blank = _first.get(key) if generation is not None else None
    if blank is None:
        data, shown, _ = await catalog.gather(services, Draft(), "plan", team_id=team_id, rows=rows)
        row = shown or row
        blank = _blank(view_for("plan", data).to_dict())
        if generation is not None and generation == services.offers.generation:
            if len(_first) > 64:
                _first.clear()
            _first[key] = blank
    blocks = list(blank.blocks)
    if blank.label_at >= 0 and label:
        blocks[blank.label_at] = json.dumps(_with_initial(blank.label_block, label))
    if choices:
        blocks.insert(blank.label_at + 1, json.dumps(channel_block(choices, None).to_dict()))
    shell = json.dumps({**blank.shell, "private_metadata": json.dumps({"channel": channel_id})})
    # a JSON object's text ends with its closing brace: the blocks go in before it
    return f'{shell[:-1]}, "blocks": [{", ".join(blocks)}]}}', row


def _with_initial(block: dict[str, Any], value: str) -> dict[str, Any]:
    """``block`` with ``value`` in its input: new dicts along that one path, the
    rest shared with the kept blank view (which is never changed in place)."""
    return {**block, "element": {**block["element"], "initial_value": value}}

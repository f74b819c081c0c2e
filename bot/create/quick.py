"""``/vps create 2gb ubuntu frankfurt web-1``: typed words → what the modal starts with.

A fast path is a prefilled modal, never a second way to create: this module only
reads the words against what the workspace is offered and says what they decide.
The create modal then opens on the first step that is not fully decided, and the
person still goes through the review and every check.

Each word (or pair of words, for "new york" and "debian 12") is read as one of:

- a **provider**: the name an admin gave it, or its cloud's ("digitalocean", "do", …);
- a **size**: memory ("2gb", "512mb") or processors ("4cpu", "2vcpu", "8cores");
- a **plan**: its slug ("s-1vcpu-2gb") or a word of its class ("premium", "dedicated",
  "cpu-optimised");
- a **region**: slug ("fra1"), city ("frankfurt") or country code ("de");
- an **image**: distribution with an optional version ("debian 12", "ubuntu");
- an **app**: a 1-Click app or StackScript by name ("docker", "wordpress").

The last word that reads as none of them is the label. Any other such word is named
back, with the nearest known word when there is one ("frankfrut" → Frankfurt).
Words that fit several plans or regions leave that choice open and list the
candidates; nothing is guessed except the newest version of a distribution named
without one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from bot.create.vocabulary import (
    AppOffer,
    CloudOffer,
    ImageOffer,
    PlanOffer,
    RegionOffer,
    fold,
    words_of,
)

__all__ = ["Prefill", "read_words"]

#: How many candidates a note names before "and N more".
_SHOWN = 4

_MEMORY = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(gb|g|gib|mb|m|mib)$")
_CPUS = re.compile(r"^(\d+)\s*(v?cpus?|cores?|vcores?|c)$")
_DIGIT = re.compile(r"\d")
_LABEL = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass
class Prefill:
    """What the words decided (None: still open) and what to tell the person."""

    provider_id: str | None = None
    plan_id: str | None = None
    region: str | None = None
    image: str | None = None
    deployment_id: str | None = None
    label: str | None = None
    #: sentences for the top of the modal: candidates, unknown words
    notes: list[str] = field(default_factory=list)


def _version(image: ImageOffer) -> str:
    """The image's version, or the first number in its name ("24.04 (LTS) x64")."""
    if image.version:
        return fold(image.version)
    found = re.search(r"\d+(?:\.\d+)*", image.name)
    return found.group(0) if found else ""


# ------------------------------------------------------------------ what a word may be


@dataclass
class _Wants:
    providers: set[str] | None = None
    memory_mb: int | None = None
    vcpus: int | None = None
    plan_words: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)  # (distribution, version)
    apps: list[str] = field(default_factory=list)


def _size(word: str, wants: _Wants) -> bool:
    if m := _MEMORY.match(word):
        amount = float(m.group(1).replace(",", "."))
        wants.memory_mb = int(amount * 1024) if m.group(2).startswith("g") else int(amount)
        return True
    if m := _CPUS.match(word):
        wants.vcpus = int(m.group(1))
        return True
    return False


def _provider_matches(word: str, offers: Sequence[CloudOffer]) -> set[str]:
    return {
        o.provider_id
        for o in offers
        if word == fold(o.name) or word in o.aliases or word in words_of(o.name) - {"sandbox"}
    }


def _region_matches(word: str, offer: CloudOffer) -> bool:
    return any(_region_fits(word, r) for r in offer.regions)


def _region_fits(word: str, region: RegionOffer) -> bool:
    name = fold(region.name)
    city = re.split(r"[,(]| \d", name)[0].strip()
    return word in (fold(region.id), city, fold(region.country)) or word == name


def _distributions(offers: Sequence[CloudOffer]) -> set[str]:
    return {fold(i.distribution) for o in offers for i in o.images if i.distribution}


def _app_fits(word: str, app: AppOffer) -> bool:
    return word == fold(app.name) or word in words_of(app.name) or word == fold(app.id)


def _plan_class_words(offers: Sequence[CloudOffer]) -> set[str]:
    """The words of the plans' names that name a class ("basic", "dedicated")."""
    names = words_of(" ".join(plan.name for offer in offers for plan in offer.plans))
    found = {w for w in names if not _DIGIT.search(w)}
    return found - {"gb", "mb", "vcpu", "vcpus", "cpu", "ram", "disk", "ssd", "linode", "-"}


def _vocabulary(offers: Sequence[CloudOffer]) -> dict[str, str]:
    """Every word a person could have meant, to the name shown when suggesting it."""
    known: dict[str, str] = {}
    for offer in offers:
        known[fold(offer.name)] = offer.name
        for region in offer.regions:
            city = re.split(r"[,(]| \d", region.name)[0].strip()
            known.setdefault(fold(city), city)
            known.setdefault(fold(region.id), region.id)
        for image in offer.images:
            known.setdefault(fold(image.distribution), image.distribution.capitalize())
        for app in offer.apps:
            known.setdefault(fold(app.name), app.name)
        for plan in offer.plans:
            known.setdefault(fold(plan.slug), plan.slug)
    return known


# ------------------------------------------------------------------ reading the words


def read_words(text: str, offers: Sequence[CloudOffer], *, suggest: bool = True) -> Prefill:
    """Read ``text`` (what follows ``/vps create``) against the workspace's ``offers``.

    ``suggest=False`` leaves out the "did you mean" search for misspelt words (the
    dearest part), for callers that only ask what the words decide."""
    originals = [t for t in re.split(r"\s+", text.strip()) if t]
    tokens = [fold(t) for t in originals]
    wants = _Wants()
    unknown: list[int] = []
    distros = _distributions(offers)
    classes = _plan_class_words(offers)
    i = 0
    while i < len(tokens):
        word, nxt = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else None
        used = _read_one(word, nxt, offers, wants, distros, classes)
        if used == 0:
            unknown.append(i)
            used = 1
        i += used
    prefill = Prefill()
    last = len(tokens) - 1
    label_like = unknown and unknown[-1] == last and _LABEL.match(originals[last].lower())
    if label_like and not (suggest and _close(tokens[last], offers)):  # unless a typo
        prefill.label = originals[unknown.pop()]
    for index in unknown:
        prefill.notes.append(_unknown_note(originals[index], offers if suggest else ()))
    _decide(prefill, wants, offers)
    return prefill


def _read_one(
    word: str,
    nxt: str | None,
    offers: Sequence[CloudOffer],
    wants: _Wants,
    distros: set[str],
    classes: set[str],
) -> int:
    """How many tokens (0, 1 or 2) the word at hand used, noting what it wants."""
    if nxt is not None and _size(word + nxt, _Wants()) and re.fullmatch(r"\d+(?:[.,]\d+)?", word):
        return 2 if _size(word + nxt, wants) else 0  # "2 gb", "4 cpu"
    if providers := _provider_matches(word, offers):
        wants.providers = providers if wants.providers is None else wants.providers & providers
        return 1
    if _size(word, wants):
        return 1
    if word in distros:
        version = nxt if nxt is not None and re.fullmatch(r"\d+(?:\.\d+)?", nxt) else ""
        wants.images.append((word, version))
        return 2 if version else 1
    joined = re.fullmatch(r"([a-z]+)-?(\d+(?:\.\d+)?)", word)  # "debian12", "ubuntu-24.04"
    if joined and joined.group(1) in distros:
        wants.images.append((joined.group(1), joined.group(2)))
        return 1
    if nxt is not None and any(_region_matches(f"{word} {nxt}", o) for o in offers):
        wants.regions.append(f"{word} {nxt}")  # "new york"
        return 2
    if any(_region_matches(word, o) for o in offers):
        wants.regions.append(word)
        return 1
    if any(word == fold(p.slug) for o in offers for p in o.plans) or word in classes:
        wants.plan_words.append(word)
        return 1
    if any(_app_fits(word, a) for o in offers for a in o.apps):
        wants.apps.append(word)
        return 1
    return 0


def _close(word: str, offers: Sequence[CloudOffer]) -> str | None:
    known = _vocabulary(offers)
    found = difflib.get_close_matches(word, list(known), n=1, cutoff=0.75)
    return known[found[0]] if found else None


def _unknown_note(word: str, offers: Sequence[CloudOffer]) -> str:
    near = _close(fold(word), offers)
    shown = word[:40]
    if near:
        return f"No provider, plan, region or image matches “{shown}” — did you mean {near}?"
    return f"No provider, plan, region or image matches “{shown}”."


# ------------------------------------------------------------------ deciding


def _plans(offer: CloudOffer, wants: _Wants) -> list[PlanOffer]:
    found = []
    for plan in offer.plans:
        if not plan.regions:
            continue  # runs nowhere: never offered
        if wants.memory_mb is not None and plan.memory_mb != wants.memory_mb:
            continue
        if wants.vcpus is not None and plan.vcpus != wants.vcpus:
            continue
        words = words_of(plan.name) | {fold(plan.slug)}
        if any(w not in words for w in wants.plan_words):
            continue
        found.append(plan)
    return found


def _regions(offer: CloudOffer, wants: _Wants) -> list[RegionOffer]:
    if not wants.regions:
        return list(offer.regions)
    return [r for r in offer.regions if all(_region_fits(w, r) for w in wants.regions)]


def _images(offer: CloudOffer, wants: _Wants) -> list[ImageOffer]:
    found = list(offer.images)
    for distro, version in wants.images:
        found = [
            i
            for i in found
            if fold(i.distribution) == distro
            and (not version or _version(i) == version or _version(i).startswith(version + "."))
        ]
    return found


def _apps(offer: CloudOffer, wants: _Wants) -> list[AppOffer]:
    return [a for a in offer.apps if all(_app_fits(w, a) for w in wants.apps)]


def _fits(offer: CloudOffer, wants: _Wants) -> bool:
    """Whether every word can be honoured on this cloud at once."""
    if wants.providers is not None and offer.provider_id not in wants.providers:
        return False
    plans, regions = _plans(offer, wants), _regions(offer, wants)
    if not plans or not regions:
        return False
    if not any(r.id in p.regions for p in plans for r in regions):
        return False
    if wants.images and not _images(offer, wants):
        return False
    return not wants.apps or bool(_apps(offer, wants))


def _sized(wants: _Wants) -> bool:
    return bool(
        wants.memory_mb is not None
        or wants.vcpus is not None
        or wants.plan_words
        or wants.regions
        or wants.images
        or wants.apps
        or wants.providers
    )


def _decide(prefill: Prefill, wants: _Wants, offers: Sequence[CloudOffer]) -> None:
    if not _sized(wants):
        return
    fitting = [o for o in offers if _fits(o, wants)]
    if not fitting:
        prefill.notes.append("Nothing this workspace is offered matches all of those together.")
        return
    if len(fitting) > 1:
        if wants.memory_mb or wants.vcpus or wants.plan_words:
            prefill.notes.append(_candidates("Offered on", [o.name for o in fitting]))
        return
    offer = fitting[0]
    prefill.provider_id = offer.provider_id
    regions = _regions(offer, wants)
    plans = _plans(offer, wants)
    if wants.regions:
        regions = [r for r in regions if any(r.id in p.regions for p in plans)]
        if len(regions) == 1:
            prefill.region = regions[0].id
        else:
            prefill.notes.append(_candidates("Regions that match", [r.name for r in regions]))
    if prefill.region is not None:
        plans = [p for p in plans if prefill.region in p.regions]
    if wants.memory_mb is not None or wants.vcpus is not None or wants.plan_words:
        if len(plans) == 1:
            prefill.plan_id = plans[0].id
        else:
            by_price = sorted(plans, key=lambda p: p.monthly)
            prefill.notes.append(
                _candidates(
                    "Plans that match", [f"{p.name} (${p.monthly:.2f}/mo)" for p in by_price]
                )
            )
    if wants.apps:
        apps = _apps(offer, wants)
        if len(apps) == 1:
            prefill.deployment_id = apps[0].id
        else:
            prefill.notes.append(_candidates("Apps that match", [a.name for a in apps]))
    if wants.images:
        prefill.image = _newest(_images(offer, wants)).id


def _price(plan: PlanOffer) -> Decimal:
    return plan.monthly


def _newest(images: Iterable[ImageOffer]) -> ImageOffer:
    def key(image: ImageOffer) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", _version(image))) or (0,)

    return max(images, key=key)


def _candidates(what: str, names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return f"{what}: {shown}{more} — pick one below."

"""What typed words are read against: the workspace's offers as plain data.

``/vps create <words>`` (:mod:`bot.create.quick`) reads each word against what every
provider offers the workspace. These are those offers, cut down to what a word can
name (a plan's slug, name and size; a region's id, city and country; an image's
distribution and version; an app's name), and the one way words are folded so
"Zürich" meets "zurich" and "optimised" meets "optimized".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "AppOffer",
    "CloudOffer",
    "ImageOffer",
    "PlanOffer",
    "RegionOffer",
    "fold",
    "words_of",
]


@dataclass(frozen=True)
class PlanOffer:
    id: str
    slug: str
    name: str
    vcpus: int
    memory_mb: int
    monthly: Decimal
    #: the regions it can run in (empty: nowhere)
    regions: tuple[str, ...]


@dataclass(frozen=True)
class RegionOffer:
    id: str
    name: str
    country: str = ""


@dataclass(frozen=True)
class ImageOffer:
    id: str
    name: str
    distribution: str
    version: str = ""


@dataclass(frozen=True)
class AppOffer:
    id: str
    name: str


@dataclass(frozen=True)
class CloudOffer:
    """What one provider offers the workspace, as the words are read against it."""

    provider_id: str
    name: str
    #: other words for the cloud ("digitalocean", "do")
    aliases: tuple[str, ...]
    plans: tuple[PlanOffer, ...]
    regions: tuple[RegionOffer, ...]
    images: tuple[ImageOffer, ...] = ()
    apps: tuple[AppOffer, ...] = ()


def fold(text: str) -> str:
    """Lower case without accents, one spelling: "Zürich" reads as "zurich" and
    "optimised" as "optimized"."""
    folded = text.casefold()
    if not folded.isascii():  # accents to drop (most catalogue words have none)
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return folded.strip().replace("optimised", "optimized")


def words_of(text: str) -> set[str]:
    """The words of ``text``, folded (a slug's dots and dashes stay inside its word)."""
    return {w for w in re.split(r"[^a-z0-9.+-]+", fold(text)) if w}

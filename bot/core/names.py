"""What people read instead of a provider's slugs: a region's city, an image's name.

Looked up in the provider's own lists through its catalogue cache
(:class:`providers.registry.CachedProvider`), so showing a server costs no extra
provider call once the catalogue is warm. Anything that cannot be looked up (the
provider is down, the slug is no longer listed) falls back to the slug: a name is
a nicety, never a reason for a message to fail.
"""

from __future__ import annotations

import asyncio
import logging

from providers.base import Provider
from providers.errors import ProviderError
from providers.models import Image, Region
from providers.registry import CachedProvider, display_name

__all__ = ["image_name", "image_name_of", "provider_title", "region_name", "region_names"]

log = logging.getLogger(__name__)

#: How long a message waits for a cold catalogue before it shows the slugs.
LOOKUP_BUDGET = 3.0


def provider_title(name: str, type: str) -> str:
    """The provider as its admin named it, with the cloud's own name only where it
    adds something: "main (Linode)", but "sandbox-digitalocean" and "DigitalOcean"."""
    cloud = display_name(type)
    squeezed = "".join(ch for ch in name.casefold() if ch.isalnum())
    if "".join(ch for ch in cloud.casefold() if ch.isalnum()) in squeezed or type in squeezed:
        return name
    return f"{name} ({cloud})"


def image_name(image: Image) -> str:
    """The image's name, the distribution said once: DigitalOcean's "24.04 (LTS) x64"
    of "Ubuntu" reads "Ubuntu 24.04 (LTS) x64"; Linode's "AlmaLinux 9" stays as is."""
    name = image.name.strip()
    distribution = image.distribution.strip()
    if not distribution or distribution.lower() == "other":
        return name
    if name.lower().startswith(distribution.lower()):
        return name
    return f"{distribution} {name}"


async def region_names(provider: Provider | None, *, load: bool = True) -> dict[str, str]:
    """The provider's regions, slug → name; empty when they cannot be read now.

    ``load=False``: only what the catalogue cache holds already, no provider call
    (for background work such as the status watcher, which keeps a call budget)."""
    if provider is None:
        return {}
    if not load:
        cached = (
            provider.cache.peek(provider.key, "regions")
            if isinstance(provider, CachedProvider)
            else None
        )
        return {r.id: r.name for r in cached or () if isinstance(r, Region) and r.name}
    try:
        regions = await asyncio.wait_for(provider.get_regions(), LOOKUP_BUDGET)
    except (ProviderError, TimeoutError) as exc:
        log.info("region names unavailable: %r", exc)
        return {}
    return {region.id: region.name for region in regions if region.name}


async def region_name(
    provider: Provider | None, slug: str | None, *, load: bool = True
) -> str | None:
    """The region's name ("Frankfurt 1"), else its slug (None when there is none)."""
    if not slug:
        return None
    return (await region_names(provider, load=load)).get(slug, slug)


async def image_name_of(
    provider: Provider | None, image_id: str | None, *, load: bool = True
) -> str | None:
    """The name of image ``image_id`` (:func:`image_name`), else the id itself.

    ``load=False``: only what the catalogue cache holds already (as :func:`region_names`)."""
    if not image_id or provider is None:
        return image_id
    if not load:
        cached = (
            provider.cache.peek(provider.key, "images")
            if isinstance(provider, CachedProvider)
            else None
        )
        images = [i for i in cached or () if isinstance(i, Image)]
    else:
        try:
            images = await asyncio.wait_for(provider.get_images(), LOOKUP_BUDGET)
        except (ProviderError, TimeoutError) as exc:
            log.info("image names unavailable: %r", exc)
            return image_id
    found = next((i for i in images if image_id in (i.id, i.slug)), None)
    return image_name(found) if found is not None else image_id

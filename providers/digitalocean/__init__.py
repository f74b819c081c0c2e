"""DigitalOcean API v2 behind the :class:`~providers.base.Provider` interface.

Why a package: the bot speaks one provider-neutral shape, and turning it into
DigitalOcean requests has four separate concerns, one module each:

    provider     DigitalOceanProvider: what to ask for, and the name/password rules
    api          DigitalOceanApi: how DigitalOcean is spoken over HTTP (errors, pages)
    catalog      sizes, regions, images, 1-Click apps, keys and VPCs → providers.models
    droplets     droplets, their create body and their actions → providers.models

Graphs (the Monitoring API) are :mod:`providers.digitalocean_metrics`.
"""

from __future__ import annotations

from providers.digitalocean.api import DigitalOceanApi
from providers.digitalocean.catalog import WEEKLY_BACKUPS_SHARE, region_country
from providers.digitalocean.droplets import cloud_config_for_password
from providers.digitalocean.provider import DigitalOceanProvider

__all__ = [
    "WEEKLY_BACKUPS_SHARE",
    "DigitalOceanApi",
    "DigitalOceanProvider",
    "cloud_config_for_password",
    "region_country",
]

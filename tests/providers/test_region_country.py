"""Regions carry their country: DigitalOcean's from its slug, Linode's from the API."""

from __future__ import annotations

import pytest

from providers.digitalocean import region_country


@pytest.mark.parametrize(
    ("slug", "country"),
    [
        ("fra1", "de"),
        ("nyc3", "us"),
        ("sfo3", "us"),
        ("ams3", "nl"),
        ("lon1", "gb"),
        ("sgp1", "sg"),
        ("tor1", "ca"),
        ("blr1", "in"),
        ("syd1", "au"),
        ("xyz9", ""),
        ("", ""),
    ],
)
def test_a_digitalocean_slug_names_its_country(slug: str, country: str) -> None:
    assert region_country(slug) == country

"""Names people read instead of slugs: images said once, regions by their city,
the slug when the provider cannot tell."""

from __future__ import annotations

from typing import Any

from bot.core.names import image_name, image_name_of, region_name, region_names
from bot.status.views import ServerCard, status_message
from providers.errors import ProviderError
from providers.models import Image, Region


def test_an_image_names_its_distribution_once() -> None:
    do = Image(id="ubuntu-24-04-x64", name="24.04 (LTS) x64", distribution="Ubuntu")
    linode = Image(id="linode/almalinux9", name="AlmaLinux 9", distribution="AlmaLinux")
    other = Image(id="x", name="Custom thing", distribution="Other")
    assert image_name(do) == "Ubuntu 24.04 (LTS) x64"
    assert image_name(linode) == "AlmaLinux 9"
    assert image_name(other) == "Custom thing"


class _Catalogue:
    """Just enough of a provider: its region and image lists, or a failure."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    async def get_regions(self) -> list[Region]:
        if self.fail:
            raise ProviderError("down", provider="sandbox")
        return [Region(id="fra1", name="Frankfurt 1"), Region(id="us-east", name="Newark, NJ")]

    async def get_images(self) -> list[Image]:
        if self.fail:
            raise ProviderError("down", provider="sandbox")
        return [
            Image(id="debian-12-x64", slug="debian-12-x64", name="12 x64", distribution="Debian")
        ]


async def test_regions_and_images_by_name_else_the_slug() -> None:
    up: Any = _Catalogue()
    down: Any = _Catalogue(fail=True)
    assert await region_name(up, "fra1") == "Frankfurt 1"
    assert await region_name(up, "nowhere-9") == "nowhere-9"
    assert await region_name(down, "fra1") == "fra1"
    assert await region_name(up, None) is None
    assert await region_names(up, load=False) == {}  # not a cached provider: nothing held
    assert await image_name_of(up, "debian-12-x64") == "Debian 12 x64"
    assert await image_name_of(down, "debian-12-x64") == "debian-12-x64"
    assert await image_name_of(up, "gone") == "gone"


def test_the_card_names_the_provider_once_and_offers_details() -> None:
    card = ServerCard(
        label="web-1",
        provider_name="<!here> Ops DO",
        provider_type="digitalocean",
        plan="s-1vcpu-1gb",
        region="Frankfurt 1",
        price="$7.20/mo",
        status="running",
        created_by="U0001",
        id="11111111-2222-3333-4444-555555555555",
    )
    _, blocks = status_message(card)
    shown = [b.to_dict() for b in blocks]
    text = str(shown)
    assert "&lt;!here&gt; Ops DO" in text and "(digitalocean)" not in text
    assert "Frankfurt 1" in text
    details = shown[-1]["elements"][0]
    assert details["action_id"] == "vps_details" and details["value"] == card.id
    gone = status_message(ServerCard(**{**card.__dict__, "status": "deleted"}))[1]
    assert "vps_details" not in str([b.to_dict() for b in gone])


def test_a_provider_reads_as_its_admin_named_it_with_the_cloud_only_when_it_adds() -> None:
    from bot.core.names import provider_title

    assert provider_title("sandbox-digitalocean", "digitalocean") == "sandbox-digitalocean"
    assert provider_title("Linode", "linode") == "Linode"
    assert provider_title("main", "linode") == "main (Linode)"
    assert provider_title("prod", "aws") == "prod (Amazon EC2)"

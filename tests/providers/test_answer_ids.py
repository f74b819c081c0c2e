"""Ids from provider answers go into later URL paths only in the shape each API
documents (integers): a hostile or broken answer is an unreadable answer, and an
id that is not one never reaches a path of a token-bearing call."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses

from providers.digitalocean import DigitalOceanProvider
from providers.errors import OutageError, ValidationError
from providers.http_provider import integer_id
from providers.linode import LinodeProvider
from tests.providers.conftest import DO, LI, sent
from tests.providers.test_digitalocean_requests import droplet
from tests.providers.test_linode_requests import INSTANCES, SSHKEYS, linode, page

pytestmark = pytest.mark.usefixtures("provider_env")

HOSTILE = "1/../../v2/account/keys"


@pytest.mark.parametrize("raw", [HOSTILE, "12?x=1", "-1", "1.5", " 7", "٣", True, None, 1.0, "7\n"])
def test_only_integer_ids_are_taken(raw: Any) -> None:
    with pytest.raises(ValueError):
        integer_id(raw)


@pytest.mark.parametrize(("raw", "shown"), [(3164444, "3164444"), ("901", "901"), (0, "0")])
def test_integer_ids_are_kept_as_text(raw: Any, shown: str) -> None:
    assert integer_id(raw) == shown


async def test_digitalocean_refuses_a_droplet_or_action_with_a_hostile_id(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    hostile = {**droplet(), "id": HOSTILE}
    http.get(f"{DO}/v2/droplets/42", payload={"droplet": hostile})
    with pytest.raises(OutageError, match="could not read"):
        await do.get_instance("42")
    http.get(f"{DO}/v2/droplets?per_page=200", payload={"droplets": [hostile]})
    with pytest.raises(OutageError, match="could not read"):
        await do.list_instances()
    http.post(
        f"{DO}/v2/droplets/42/actions",
        status=201,
        payload={"action": {"id": HOSTILE, "status": "in-progress", "type": "reboot"}},
    )
    with pytest.raises(OutageError, match="could not read"):
        await do.perform_action("42", "reboot")


async def test_digitalocean_puts_no_hostile_id_into_a_path(
    http: aioresponses, do: DigitalOceanProvider
) -> None:
    for call in (
        do.get_instance(HOSTILE),
        do.delete_instance(HOSTILE),
        do.perform_action(HOSTILE, "reboot"),
        do.get_action("42", HOSTILE),
    ):
        with pytest.raises(ValidationError):
            await call
    assert http.requests == {}


async def test_linode_refuses_instances_events_and_keys_with_a_hostile_id(
    http: aioresponses, li: LinodeProvider
) -> None:
    hostile = {**linode(), "id": HOSTILE}
    http.get(f"{LI}/v4/linode/instances/123", payload=hostile)
    with pytest.raises(OutageError, match="could not read"):
        await li.get_instance("123")
    http.get(INSTANCES, payload=page([linode(id=1), hostile]))
    with pytest.raises(OutageError, match="could not read"):
        await li.list_instances()
    http.get(SSHKEYS, payload=page([{"id": HOSTILE, "label": "k", "ssh_key": "ssh-ed25519 A"}]))
    with pytest.raises(OutageError, match="could not read"):
        await li.list_ssh_keys()
    http.get(
        f"{LI}/v4/account/events/901",
        payload={"id": HOSTILE, "action": "linode_reboot", "status": "started"},
    )
    with pytest.raises(OutageError, match="could not read"):
        await li.get_action("123", "901")


async def test_linode_puts_no_hostile_id_into_a_path(
    http: aioresponses, li: LinodeProvider
) -> None:
    for call in (
        li.get_instance(HOSTILE),
        li.delete_instance(HOSTILE),
        li.perform_action(HOSTILE, "reboot"),
        li.get_action("123", HOSTILE),
    ):
        with pytest.raises(ValidationError):
            await call
    assert not sent(http, "GET") and not sent(http, "POST") and not sent(http, "DELETE")

"""The channel card says what the server was made with, as people name it."""

from __future__ import annotations

import json

from bot.status.views import ServerCard, status_message


def _card(**changes: object) -> ServerCard:
    values: dict[str, object] = {
        "label": "web-1",
        "provider_name": "main",
        "provider_type": "linode",
        "plan": "Nanode 1GB",
        "region": "Newark, NJ",
        "price": "$6.00/mo",
        "status": "running",
        "created_by": "U1",
        "id": "11111111-2222-3333-4444-555555555555",
    }
    values.update(changes)
    return ServerCard(**values)  # type: ignore[arg-type]


def _fields(card: ServerCard) -> list[str]:
    _, blocks = status_message(card)
    section = next(b for b in blocks if getattr(b, "fields", None))
    return [f.text for f in section.fields]  # type: ignore[attr-defined]


def test_the_card_names_the_stackscript_and_the_operating_system() -> None:
    fields = _fields(_card(software="StackScript: WordPress", image="Debian 12"))
    assert "*StackScript*\nWordPress" in fields
    assert "*Operating system*\nDebian 12" in fields


def test_a_plain_server_shows_no_software_field_and_the_card_has_a_details_button() -> None:
    card = _card(image="Ubuntu 24.04 LTS")
    fields = _fields(card)
    assert not any(f.startswith(("*StackScript*", "*1-Click app*")) for f in fields)
    _, blocks = status_message(card)
    assert '"Details"' in json.dumps([b.to_dict() for b in blocks])

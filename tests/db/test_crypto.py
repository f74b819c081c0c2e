"""Secrets at rest: round trip, rotation, wrong key, no plaintext in the table."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from db.crypto import SecretBox, SecretError, load_or_create_dev_key
from db.engine import Database
from db.repo import providers

TOKEN = "dop_sandbox_TOKEN_for_tests_0123456789"


def test_round_trip_and_ciphertext_differs() -> None:
    box = SecretBox([Fernet.generate_key().decode()])
    sealed = box.encrypt(TOKEN)
    assert TOKEN not in sealed
    assert box.decrypt(sealed) == TOKEN


def test_old_key_still_decrypts_until_rotation() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = SecretBox([old]).encrypt(TOKEN)
    both = SecretBox([new, old])
    assert both.decrypt(sealed) == TOKEN
    rotated = both.rotate(sealed)
    assert SecretBox([new]).decrypt(rotated) == TOKEN
    with pytest.raises(SecretError):
        SecretBox([old]).decrypt(rotated)


def test_wrong_key_names_what_failed() -> None:
    sealed = SecretBox([Fernet.generate_key().decode()]).encrypt(TOKEN)
    with pytest.raises(SecretError, match="provider 'do'"):
        SecretBox([Fernet.generate_key().decode()]).decrypt(sealed, what="provider 'do'")


def test_dev_key_created_once_with_mode_0600(tmp_path) -> None:  # type: ignore[no-untyped-def]
    key = load_or_create_dev_key(tmp_path)
    assert load_or_create_dev_key(tmp_path) == key
    mode = stat.S_IMODE(os.stat(tmp_path / "encryption.key").st_mode)
    assert mode == 0o600
    Fernet(key.encode())


async def test_rotation_in_database_and_no_plaintext(db: Database) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    box_old = SecretBox([old])
    async with db.session() as session, session.begin():
        await providers.add(
            session, name="do", type="digitalocean", api_key_encrypted=box_old.encrypt(TOKEN)
        )
        await providers.add(
            session, name="li", type="linode", api_key_encrypted=box_old.encrypt(TOKEN + "x")
        )
    async with db.engine.connect() as conn:
        dump = " ".join(
            str(row) for row in (await conn.execute(text("SELECT * FROM service_providers")))
        )
    assert TOKEN not in dump

    box = SecretBox([new, old])
    async with db.session() as session, session.begin():
        names = await providers.rotate_secrets(session, lambda t, what: box.rotate(t, what=what))
    assert sorted(names) == ["do", "li"]
    only_new = SecretBox([new])
    async with db.session() as session:
        rows = await providers.list_all(session)
    assert sorted(only_new.decrypt(r.api_key_encrypted) for r in rows) == [TOKEN, TOKEN + "x"]


async def test_rotation_with_unknown_key_changes_nothing(db: Database) -> None:
    stranger = SecretBox([Fernet.generate_key().decode()])
    mine = SecretBox([Fernet.generate_key().decode()])
    async with db.session() as session, session.begin():
        await providers.add(session, name="a", type="linode", api_key_encrypted=mine.encrypt("t1"))
        row = await providers.add(
            session, name="b", type="linode", api_key_encrypted=stranger.encrypt("t2")
        )
        bad_id = row.id
    async with db.session() as session:
        before = {r.name: r.api_key_encrypted for r in await providers.list_all(session)}
    with pytest.raises(SecretError) as info:
        async with db.session() as session, session.begin():
            await providers.rotate_secrets(session, lambda t, what: mine.rotate(t, what=what))
    assert "'b'" in str(info.value) and str(bad_id) in str(info.value)
    async with db.session() as session:
        after = {r.name: r.api_key_encrypted for r in await providers.list_all(session)}
    assert after == before

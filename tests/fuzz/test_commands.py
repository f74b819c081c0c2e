"""``/vps`` with every sub-command word and anything after it, from anyone."""

from __future__ import annotations

from hypothesis import given

from tests.fuzz.payloads import COMMAND
from tests.fuzz.profiles import fuzz_settings
from tests.fuzz.stack import Stack


@fuzz_settings(weight=2.0)
@given(fields=COMMAND)
async def test_slash_commands_never_fail(
    stack: Stack, counted: None, fields: dict[str, str]
) -> None:
    await stack.exchange(lambda: stack.slack.send_form(fields), f"/vps form {fields!r:.600}")

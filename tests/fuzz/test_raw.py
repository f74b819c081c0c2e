"""Whatever bytes anyone posts to ``/slack/events``: unsigned, forged, stale or signed garbage.

Nothing here may reach a listener; the guard (``bot/app/guard.py``) answers 4xx.
"""

from __future__ import annotations

import time
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.payloads import junk_text
from tests.fuzz.profiles import fuzz_settings
from tests.fuzz.stack import Stack, sign_bytes

_CONTENT_TYPES = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded; charset=latin-1",
        "application/json; charset=utf-16",
        "multipart/form-data; boundary=x",
        "",
    ]
)


def _nested(depth: int, open_: bytes, close: bytes) -> bytes:
    return open_ * depth + close * depth


_SHAPES = st.one_of(
    st.binary(max_size=300),
    junk_text().map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [
            b"[1,2,3]",
            b'"just a string"',
            b"null",
            b"{",
            b"payload=",
            b"payload=%5B%5D",
            b"payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5B%5D%7D",
            b"payload=%ff%fe",
            b"command=%2Fvps&text=%00",
            b"\xff\xfe\x00\x00",
            b"ssl_check=1&token=x",
            _nested(100_000, b"[", b"]"),
            _nested(2_000, b'{"a":', b"}"),
            b"payload=" + _nested(5_000, b"%5B", b"%5D"),
            b"text=" + b"a" * 1_100_000,
        ]
    ),
)
_SIGNING = st.sampled_from(["none", "good", "wrong secret", "stale", "future", "garbage"])


def _surrogate(char: str) -> bool:
    return "\ud800" <= char <= "\udfff"


def _headers(body: bytes, signing: str, content_type: str, junk: str) -> dict[str, str]:
    now = int(time.time())
    headers = {"Content-Type": content_type} if content_type else {}
    if signing == "none":
        return headers
    ts = {"stale": now - 400, "future": now + 400}.get(signing, now)
    secret = "not-the-secret" if signing == "wrong secret" else None
    signature = sign_bytes(body, ts, secret) if secret else sign_bytes(body, ts)
    if signing == "garbage":  # printable: the client refuses control characters in headers
        printable = "".join(c for c in junk if c.isprintable() and not _surrogate(c))
        headers["X-Slack-Request-Timestamp"] = printable[:40] or "0"
        headers["X-Slack-Signature"] = "v0=" + printable[:64]
    else:
        headers["X-Slack-Request-Timestamp"] = str(ts)
        headers["X-Slack-Signature"] = signature
    return headers


@fuzz_settings(weight=1.5)
@given(body=_SHAPES, signing=_SIGNING, content_type=_CONTENT_TYPES, junk=junk_text(huge=False))
async def test_garbage_is_refused_without_a_trace(
    stack: Stack, counted: None, body: bytes, signing: str, content_type: str, junk: str
) -> None:
    headers = _headers(body, signing, content_type, junk)
    reached = stack.api.mark()
    response: Any = await stack.exchange(
        lambda: stack.raw(body, headers), f"{signing} {content_type!r} body {body[:300]!r}"
    )
    if response is None:  # a known issue (tests/fuzz/known.py), counted
        return
    if signing != "good":
        assert response.status in (200, 401, 400, 413), response
        assert response.status != 200 or body.startswith(b"ssl_check=1"), response
    assert response.status != 500
    if signing != "good":  # nothing unsigned got as far as the app's Slack calls
        assert stack.api.calls[reached:] == []

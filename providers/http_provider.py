"""What every provider that talks to its cloud over one JSON API shares."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from providers.base import Provider
from providers.errors import ValidationError
from providers.http import JsonApi, RateBudget, Transport

__all__ = ["HttpProvider", "integer_id"]

_DIGITS = re.compile(r"[0-9]{1,20}")


def integer_id(raw: object) -> str:
    """``raw`` as the decimal text of an integer id, or ValueError.

    Ids from a provider's answer go into the URL paths of later calls that carry
    the account's token (``/v2/droplets/{id}``); one shaped like
    ``1/../../v2/account/keys`` would steer them elsewhere. DigitalOcean's droplet,
    action and SSH key ids and Linode's instance, event and SSH key ids are
    documented as integers, so nothing else is taken for one."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return str(raw)
    if isinstance(raw, str) and _DIGITS.fullmatch(raw):
        return raw
    raise ValueError("not an integer id")


class HttpProvider(Provider):
    """A :class:`Provider` backed by one :class:`JsonApi` (its ``api_class``).

    ``transport`` is the session and rate-limit accounts to share (a registry's);
    without one the client makes its own and :meth:`aclose` closes it, so a one-off
    client (a token check) cleans up after itself. ``trusted`` is the operator's word
    that ``base_url`` may be on a private network (see :mod:`providers.netguard`).
    """

    api_class: ClassVar[type[JsonApi]]

    def __init__(
        self,
        *,
        name: str,
        token: str,
        base_url: str | None = None,
        timeout: float = 30.0,
        transport: Transport | None = None,
        trusted: bool = False,
        shared: bool = False,
    ) -> None:
        self.name = name
        self._owns_transport = transport is None
        self.transport = transport if transport is not None else Transport()
        self.api = self.api_class(
            token=token,
            transport=self.transport,
            base_url=base_url,
            timeout=timeout,
            trusted=trusted,
            shared=shared,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.api.base_url}>"

    @property
    def rate_budget(self) -> RateBudget | None:
        """What the provider last said about this account's rate-limit window."""
        return self.api.rate_budget

    @property
    def last_success(self) -> float | None:
        """Unix time of the account's latest successful call from this process."""
        return self.api.last_success

    async def aclose(self) -> None:
        """Close the transport if this client made it; a shared one is its owner's."""
        if self._owns_transport:
            await self.transport.aclose()

    def _path_id(self, value: str, field: str) -> str:
        """An id about to go into a URL path (from the database or a caller): a
        :class:`ValidationError` unless it has the shape the API documents."""
        try:
            return integer_id(value)
        except ValueError:
            raise ValidationError(
                f"{value[:40]!r} is not a {self.api.display_name} id",
                provider=self.api.display_name,
                field=field,
            ) from None

    @contextmanager
    def _reading(self, what: str, *, write: bool = False) -> Iterator[None]:
        """Turn a 2xx answer the parser cannot read (a missing key, a null where an
        object belongs, a number that is not one) into the normalised provider
        error instead of a raw Python exception."""
        try:
            yield
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise self.api.odd_answer(what, write=write) from exc

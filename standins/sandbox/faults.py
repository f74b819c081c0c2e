"""Fault injection: make the next matching upstream calls fail in chosen ways."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

__all__ = ["Fault", "FaultSet"]

PROVIDERS = ("digitalocean", "linode")
#: Untidy answers a fault can give instead of the API's own error shape:
#: "empty" (no body at all, e.g. a 200 or 204 where JSON was expected), "object"
#: (``{}``: JSON, but none of what the answer should carry), "html" (a proxy's
#: HTML error page) and "busy" (Linode's 400 "Linode busy.").
BODIES = ("empty", "object", "html", "busy")
_DEFAULT_STATUS = {"empty": 200, "object": 200, "html": 502, "busy": 400}


@dataclass
class Fault:
    """One rule. ``count`` <= 0 means "every matching call until cleared".

    ``path`` is a prefix of the path as seen after ``/digitalocean`` or
    ``/linode`` (e.g. ``/v2/droplets``). ``body`` picks an untidy answer (see
    :data:`BODIES`); its status defaults to 200 (empty, object), 502 (html) or 400
    (busy).
    """

    #: the providers a rule may name (the AWS sandbox keeps its own)
    known: ClassVar[tuple[str, ...]] = PROVIDERS

    provider: str
    method: str | None = None
    path: str | None = None
    status: int | None = None
    count: int = 1
    latency: float = 0.0
    timeout: bool = False
    lose_response: bool = False
    body: str | None = None

    def __post_init__(self) -> None:
        if self.provider not in self.known:
            raise ValueError(f"unknown provider {self.provider!r}")
        if self.method:
            self.method = self.method.upper()
        if self.body is not None:
            if self.body not in BODIES:
                raise ValueError(f"body must be one of {', '.join(BODIES)}")
            if self.body == "busy" and self.provider != "linode":
                raise ValueError("a busy answer is Linode's")
            if self.status is None:
                self.status = _DEFAULT_STATUS[self.body]
            if not 200 <= self.status <= 599:
                raise ValueError("status must be an HTTP status (200-599)")
        elif self.status is not None and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")

    def matches(self, provider: str, method: str, path: str) -> bool:
        return (
            provider == self.provider
            and (not self.method or method.upper() == self.method)
            and (not self.path or path.startswith(self.path))
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultSet:
    """The active faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def take(self, provider: str, method: str, path: str) -> Fault | None:
        """The first fault matching this call, using up one of its ``count``."""
        for fault in self._faults:
            if fault.matches(provider, method, path):
                if fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                return fault
        return None

    def list(self) -> list[Fault]:
        return list(self._faults)

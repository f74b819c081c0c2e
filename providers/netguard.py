"""Where provider calls may connect: public addresses only, unless the operator said so.

Why here, at the socket: a provider's API URL may spell a private address in many
ways (``127.1``, ``2130706433``, ``[::ffff:127.0.0.1]``, ``localhost``) and a name
that resolves to a public address today may resolve to a private one tomorrow.
Checking the URL once when it is saved catches none of that, so the check runs on
the address each connection actually opens: :func:`public_socket` is the
``socket_factory`` of the connector every untrusted call goes through, and it
refuses loopback, private, link-local (cloud metadata endpoints), unique-local,
multicast, unspecified, reserved and shared addresses, whatever family or
IPv4-mapped/6to4/Teredo form carries them.

Which calls may reach a private address is the operator's decision only: a client
the operator vouched for (``trusted``, set from the CLI) or whose endpoint's origin
is on the operator's allowlist (:class:`~providers.http.Transport`'s
``trusted_origins``, from ``VPSBOT_PROVIDER_HOSTS``).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from aiohappyeyeballs import AddrInfoType

__all__ = [
    "BLOCKED",
    "BlockedAddressError",
    "is_public",
    "origin",
    "public_socket",
    "same_origin",
]

#: Words every refusal carries (a refusal can reach the caller inside a combined
#: "Multiple exceptions: …" error when a name has several addresses).
BLOCKED = "vpsbot refuses to connect a provider call to a non-public address"

_DEFAULT_PORTS = {"http": 80, "https": 443}


class BlockedAddressError(OSError):
    """A provider call would have connected to a non-public address."""


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    # IPv4-compatible (deprecated ::a.b.c.d) is in ::/96
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str) -> bool:
    """Whether ``address`` (an IP literal, possibly ``%scope``-suffixed) is a public
    unicast address a provider call may connect to."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None and not is_public(str(inner)):
            return False
    return bool(ip.is_global) and not ip.is_multicast


def public_socket(addr_info: AddrInfoType) -> socket.socket:
    """``socket_factory`` for aiohttp's connector: a socket only for a public address.

    Called with the address about to be connected to, after every resolution and on
    every new connection, so neither a URL's spelling nor a later DNS answer gets by.
    """
    family, type_, proto, _, address = addr_info
    host = str(address[0])
    if not is_public(host):
        raise BlockedAddressError(f"{BLOCKED} ({host})")
    return socket.socket(family=family, type=type_, proto=proto)


def origin(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an http(s) URL, the port made explicit; None when
    ``url`` is not one (so it matches no allowlist entry)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or _DEFAULT_PORTS[scheme]


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs have one origin (scheme, host and port)."""
    first = origin(a)
    return first is not None and first == origin(b)

"""The sandbox: a local server speaking the DigitalOcean v2 and Linode v4 subset vpsbot uses.

Lets anyone try vpsbot without cloud accounts and lets every test run offline.
Start one with ``await Sandbox().start()`` or ``python -m providers.sandbox``.
"""

from __future__ import annotations

from providers.sandbox.cli import main, serve_forever
from providers.sandbox.faults import Fault
from providers.sandbox.server import (
    DEFAULT_DO_TOKEN,
    DEFAULT_LINODE_TOKEN,
    RecordedRequest,
    Sandbox,
)

__all__ = [
    "DEFAULT_DO_TOKEN",
    "DEFAULT_LINODE_TOKEN",
    "Fault",
    "RecordedRequest",
    "Sandbox",
    "main",
    "serve_forever",
]

"""The sandbox: a local server speaking the DigitalOcean v2 and Linode v4 subset vpsbot uses.

Lets anyone try vpsbot without cloud accounts and lets every test run offline.
Start one with ``await Sandbox().start()`` or ``python -m standins.sandbox``.
"""

from __future__ import annotations

from standins.sandbox.cli import main, serve_forever
from standins.sandbox.faults import Fault
from standins.sandbox.server import (
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

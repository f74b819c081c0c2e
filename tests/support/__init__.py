"""Test support: a Slack Web API stand-in and a sender of signed Slack requests."""

from .slack_api import Call, ResponsePost, SlackStandIn, WaitResult, WaitTimeout
from .slack_client import AckTimeout, Response, SlackSender, sign, state_value

__all__ = [
    "AckTimeout",
    "Call",
    "Response",
    "ResponsePost",
    "SlackSender",
    "SlackStandIn",
    "WaitResult",
    "WaitTimeout",
    "sign",
    "state_value",
]

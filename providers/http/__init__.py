"""Shared HTTP plumbing for the provider clients (DigitalOcean, Linode).

Why one package: both clients need the same things done the same way — one pooled
``aiohttp`` session per :class:`Transport`, an explicit timeout on every call, bearer
auth, JSON in/out, error bodies mapped onto :mod:`providers.errors`, bounded retries
for idempotent reads only (``stamina``), per-account rate-limit tracking and
client-side throttling (``aiolimiter``), one structured log line and Prometheus
samples per call. One module per concept:

    transport     Transport: the pooled sessions and the accounts' state; has a lifetime
    ratelimits    RateBudget, AccountState: the provider's window and our own ceilings
    client        JsonApi: one call — throttle, send, read, retry, report
    answers       AnswerReader: an answer in the provider's dialect → result or error
    normalise     the rules from status / failure kind to a providers.errors error
    retries       what is sent again, and after what wait
    telemetry     the log line and the Prometheus samples of each call
    pagination    what both clients do with a list read page by page
    recovery      resolve_lost_create: what became of a create whose answer was lost

Who owns what (no module-level state: whoever builds a :class:`Transport` closes it)::

    Transport                     one per registry (the bot: one per Services)
    ├── session()                 pooled ClientSession, opened lazily on the running loop
    └── account(key, factory)     AccountState per provider account (endpoint + token)
        ├── limiter, special      client-side ceilings, shared by every client of the token
        └── budget, last_success  what the provider last said about the account
    JsonApi(transport=…)          one per client; sends through the transport's session

Secrets never leave this package: the token is only placed in the ``Authorization``
header, accounts are keyed by a SHA-256 of the token, and the log line carries the
path *template* (ids replaced by ``{id}``), never a query string or a body. Every
module logs as ``providers.http``.
"""

from __future__ import annotations

from providers.http.answers import ApiResponse
from providers.http.client import JsonApi
from providers.http.pagination import unique_by
from providers.http.ratelimits import AccountState, RateBudget, account_key, path_template
from providers.http.recovery import resolve_lost_create
from providers.http.transport import Transport

__all__ = [
    "AccountState",
    "ApiResponse",
    "JsonApi",
    "RateBudget",
    "Transport",
    "account_key",
    "path_template",
    "resolve_lost_create",
    "unique_by",
]

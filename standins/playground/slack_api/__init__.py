"""A loopback stand-in for the Slack Web API: the playground's Slack and the tests' Slack.

Point the app's ``AsyncWebClient`` at :attr:`SlackStandIn.base_url` (vpsbot reads it from
``SLACK_API_URL``).  The stand-in answers the Web API methods vpsbot uses the way Slack does:
HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}`` (HTTP 429 for
``ratelimited``), keeps views and messages current, and records every call in order.

Faults on demand (:meth:`SlackStandIn.fail`): the next N calls to a method can answer HTTP 429
with ``Retry-After``, a 5xx with an HTML page (what Slack's edge sends when it is down), or any
``{"ok": false, "error": X}`` such as ``not_in_channel``, ``hash_conflict`` or
``expired_trigger_id``.

It also serves ``POST /response/{id}`` so a test can hand the app a ``response_url``
(:meth:`SlackStandIn.response_url`) and see what the app posted there.

One module per concern, each a mixin over the shared state of :mod:`.base`:

- :mod:`.server` — :class:`SlackStandIn`: start/stop, request parsing, token checks, routing;
- :mod:`.views` — views.open/push/update/publish, trigger_ids, view_submission answers;
- :mod:`.chat` — chat.postMessage/update/postEphemeral and response_urls;
- :mod:`.directory` — users.info, conversations.info, usergroups.users.list;
- :mod:`.oauth` — auth.test, OAuth installs and workspace strictness;
- :mod:`.faults` — failures and delays on demand;
- :mod:`.recording` — calls as recorded, marks and waits (the tests' helpers);
- :mod:`.checks` — the Block Kit limits Slack enforces; :mod:`.records` — the shared records.
"""

from .records import Call, Fault, ResponsePost, WaitResult, WaitTimeout
from .server import SlackStandIn

__all__ = [
    "Call",
    "Fault",
    "ResponsePost",
    "SlackStandIn",
    "WaitResult",
    "WaitTimeout",
]

"""Which API URL a provider may use: the operator decides, a workspace only chooses.

Why: whoever installs vpsbot in OAuth mode administers it in that workspace, and a
provider's API URL is where vpsbot sends requests (with a token) and whose answers
it shows. Letting a workspace type any URL would let it make vpsbot probe the
operator's own network. So a provider added from Slack uses its type's official API
or one of the operator's ``VPSBOT_PROVIDER_HOSTS``; the CLI (the operator) may point
a provider anywhere, and vouches for such an endpoint explicitly (``trusted``).
Workspace providers stored before this rule with another URL are refused
(:func:`refusal`) and deactivated at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.config import Settings
from bot.core.errors import AdminError
from providers.netguard import origin, same_origin
from providers.registry import official_api_url

__all__ = ["OFFICIAL", "chosen_in_slack", "refusal", "slack_choices"]

#: The Slack option that means "the type's official API".
OFFICIAL = "official"


def slack_choices(settings: Settings) -> list[str]:
    """The API URLs Slack offers besides each type's official one (the operator's)."""
    return list(settings.vpsbot_provider_hosts)


def chosen_in_slack(settings: Settings, raw: str | None) -> str | None:
    """The API URL a Slack form chose (None: the official API), or :class:`AdminError`
    at the ``api_url`` field when it is not one the operator offers."""
    value = (raw or "").strip().rstrip("/")
    if not value or value == OFFICIAL:
        return None
    if value in slack_choices(settings):
        return value
    raise AdminError(
        "choose the official API or one of the endpoints listed: other API URLs are set "
        "by vpsbot's operator",
        field="api_url",
    )


def _allowed_origin(settings: Settings, url: str) -> bool:
    found = origin(url)
    return found is not None and found in {origin(u) for u in slack_choices(settings)}


def refusal(
    settings: Settings, *, type: str, team_id: str | None, configuration: Mapping[str, Any]
) -> str | None:
    """Why a provider row's API URL is not allowed any more, or None when it is.

    Operator-level rows are the operator's own; a workspace's row may use its type's
    official API, an endpoint on the operator's list, or one the operator vouched for
    from the CLI.
    """
    url = str(configuration.get("api_url") or "")
    if team_id is None or not url or configuration.get("trusted") is True:
        return None
    official = official_api_url(type)
    if (official and same_origin(url, official)) or _allowed_origin(settings, url):
        return None
    found = origin(url)
    host = found[1] if found else "an unusable address"
    return f"its API URL ({host}) is neither the official API nor one vpsbot's operator allows"

"""What the user has chosen so far in the create modal.

Kept server-side in ``create_drafts`` (keyed by view id), never in the view's
3,000-character private_metadata. The root password, when typed, is kept only
sealed with the process's encryption keys and is dropped when the server is
created.
"""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["LABEL_LIMIT", "STEPS", "Draft", "generate_label"]

#: The modal's steps, in order.
STEPS = ("plan", "deployment", "image", "config", "review")

_WORDS = (
    "amber",
    "birch",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "grove",
    "harbor",
    "iris",
    "juniper",
    "kestrel",
    "lumen",
    "maple",
    "nova",
    "orbit",
    "pine",
    "quartz",
    "river",
)


class Draft(BaseModel):
    model_config = ConfigDict(extra="ignore")

    provider_id: str | None = None
    label: str = ""
    plan_id: str | None = None
    region: str | None = None
    deployment_id: str | None = None
    deployment_fields: dict[str, Any] = Field(default_factory=dict)
    image: str | None = None
    ssh_key_ids: list[str] = Field(default_factory=list)
    backups: bool = False
    options: dict[str, Any] = Field(default_factory=dict)
    password_sealed: str | None = Field(default=None, repr=False)
    #: secret deployment fields (passwords, tokens, keys), sealed, by field name
    secrets_sealed: dict[str, str] = Field(default_factory=dict, repr=False)
    errors: dict[str, str] = Field(default_factory=dict)
    #: the lease chosen in the config step (None: the policy's default)
    lease_hours: int | None = None
    #: "no expiry" chosen (honoured only when the policy allows it)
    no_expiry: bool = False
    #: (id, name) of the channels offered in step 1 for the server's card: a create
    #: from the Home tab where several channels are allowed (bot.create.channels)
    channel_choices: list[tuple[str, str]] = Field(default_factory=list)
    #: the channel picked among ``channel_choices``
    channel: str | None = None

    def store(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def without_secrets(self) -> Draft:
        """The draft once the create is sent: no password, no secret field."""
        return self.model_copy(update={"password_sealed": None, "secrets_sealed": {}})


#: Slack's cap on a text input: a typed label is kept as typed up to it, and any
#: provider's own limit is said at the field rather than enforced by cutting.
LABEL_LIMIT = 3000


def generate_label() -> str:
    """A label valid on every provider, e.g. ``cedar-4821``."""
    return f"{secrets.choice(_WORDS)}-{secrets.randbelow(9000) + 1000}"

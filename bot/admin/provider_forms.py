"""The provider forms of `/vps admin`: add, rename, rotate the token, delete.

Pure builders like :mod:`bot.admin.views`. A form never shows a token: it only
asks for one. Each carries the provider's id and the home modal's view id in its
metadata; both are looked up again on submission.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.admin.views import ADD, DELETE, RENAME, ROTATE, ProviderStatus, modal
from bot.core.blocks import cut, esc, md
from bot.core.endpoints import OFFICIAL
from providers.registry import credential_hints

__all__ = ["add_provider_view", "delete_view", "rename_view", "rotate_view"]

_TOKEN_HINT = "Checked live before anything is stored; kept encrypted, never shown again."


def add_provider_view(
    types: list[tuple[str, str]],
    endpoints: list[str] | None = None,
    *,
    root: str,
    errors: dict[str, str] | None = None,
) -> View:
    """The "Add provider" form; ``types`` are (type, display name) pairs.

    The API URL is never typed: it is the type's official API, or one of the
    operator's ``endpoints`` (VPSBOT_PROVIDER_HOSTS), offered only when there are any.
    """
    options = [Option(value=t, text=name) for t, name in types]
    blocks: list[Block] = [
        InputBlock(
            block_id="type",
            label="Provider",
            element=StaticSelectElement(
                action_id="type", options=options, initial_option=options[0] if options else None
            ),
        ),
        InputBlock(
            block_id="name",
            label="Name",
            hint=PlainTextObject(text="How people see it in /vps create, e.g. “DigitalOcean EU”"),
            element=PlainTextInputElement(action_id="name", max_length=100),
        ),
        InputBlock(
            block_id="token",
            label="API token",
            hint=PlainTextObject(text=" ".join((_TOKEN_HINT, *credential_hints()))),
            element=PlainTextInputElement(action_id="token", max_length=500),
        ),
    ]
    if endpoints:
        official = Option(value=OFFICIAL, text="The provider's official API")
        choices = [official] + [Option(value=url, text=cut(url, 75)) for url in endpoints[:99]]
        blocks.append(
            InputBlock(
                block_id="api_url",
                label="API endpoint",
                hint=PlainTextObject(text="Endpoints other than the official API: the operator's"),
                element=StaticSelectElement(
                    action_id="api_url", options=choices, initial_option=official
                ),
            )
        )
    if errors:
        blocks.insert(0, ContextBlock(elements=[md(":warning: " + " ".join(errors.values()))]))
    return modal(ADD, blocks, title="Add provider", submit="Add", meta={"root": root})


def rename_view(p: ProviderStatus, *, root: str) -> View:
    blocks: list[Block] = [
        InputBlock(
            block_id="name",
            label="Name",
            element=PlainTextInputElement(action_id="name", initial_value=p.name, max_length=100),
        )
    ]
    return modal(
        RENAME, blocks, title="Edit provider", submit="Save", meta={"provider": p.id, "root": root}
    )


def rotate_view(p: ProviderStatus, *, root: str) -> View:
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f"The new token for *{esc(p.name)}* is checked with {p.type_name} before it "
                "replaces the stored one. It is stored encrypted and never shown again."
            )
        ),
        InputBlock(
            block_id="token",
            label="New API token",
            element=PlainTextInputElement(action_id="token", max_length=500),
        ),
    ]
    return modal(
        ROTATE, blocks, title="Rotate token", submit="Rotate", meta={"provider": p.id, "root": root}
    )


def delete_view(p: ProviderStatus, *, root: str) -> View:
    name = esc(p.name)
    blocks: list[Block]
    if p.servers:
        blocks = [
            SectionBlock(
                text=md(
                    f":warning: *{p.servers} server(s)* still use *{name}*. Deleting it keeps "
                    f"them running at {p.type_name}, but vpsbot can no longer manage them. "
                    "To keep them manageable, deactivate the provider instead."
                )
            ),
            InputBlock(
                block_id="confirm",
                label="Confirm",
                optional=True,
                element=CheckboxesElement(
                    action_id="confirm",
                    options=[
                        Option(
                            value="force",
                            text=f"Delete anyway: {p.servers} server(s) lose their provider",
                        )
                    ],
                ),
            ),
        ]
    else:
        blocks = [
            SectionBlock(
                text=md(
                    f"Delete *{name}* and its {p.plans_total} plan(s)? No server uses it. "
                    "This cannot be undone."
                )
            )
        ]
    return modal(
        DELETE,
        blocks,
        title="Delete provider",
        submit="Delete",
        close="Cancel",
        meta={"provider": p.id, "root": root},
    )

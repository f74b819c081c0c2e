"""Text a member, an admin or a cloud supplied is inert wherever others see it.

Every such field of every view below is fed the same hostile text: a broadcast,
a mention, a disguised link, each formatting character and an already-escaped
``&lt;``. The blocks (and the notification text Slack also parses) must show it
as typed: no live mention, link or formatting, and ``&lt;`` still four
characters. The hostile text must appear (escaped) too, so no check passes by
leaving the field out.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.admin import home_views, log_views, plan_views
from bot.admin.views import Notice
from bot.core.blocks import PlanChoice, esc
from bot.create import messages as create_messages
from bot.home.views import _server_line
from bot.servers.modals import ModalTarget, delete_modal, rebuild_modal
from bot.servers.views import ListState, details_message, list_message
from bot.spend.requests import request_blocks, submitted_text
from bot.status.leases import reminder_blocks
from bot.status.views import ServerCard, outcome_modal, status_message
from db.models import ApprovalRequest, VpsInstance
from tests.bot.admin.test_views import entry, plan, status
from tests.bot.servers.test_views import details, line

HOSTILE = "<!channel> <@U123> <http://x|y> *b* _i_ ~s~ `c` &lt;zz"
#: What would be live if the hostile text reached mrkdwn as typed.
LIVE = ("<!channel", "<@U123", "<http://x", "*b*", "_i_", "~s~", "`c`", "&lt;zz")
#: What the escaped text shows instead (Slack decodes it back to the typed text).
SHOWN = "&lt;!channel&gt; &lt;@U123&gt; &lt;http://x|y&gt;"


def mrkdwn_texts(obj: Any) -> Iterator[str]:
    """Every mrkdwn text object in a view, a block list or a message."""
    if isinstance(obj, View | Block):
        obj = obj.to_dict()
    if isinstance(obj, list):
        for item in obj:
            yield from mrkdwn_texts(item)
    elif isinstance(obj, dict):
        if obj.get("type") == "mrkdwn" and isinstance(obj.get("text"), str):
            yield obj["text"]
        for value in obj.values():
            if isinstance(value, dict | list):
                yield from mrkdwn_texts(value)


def assert_inert(*rendered: Any, fallback: str | None = None) -> None:
    texts = [t for r in rendered for t in mrkdwn_texts(r)]
    if fallback is not None:  # a message's top-level text is parsed like mrkdwn
        texts.append(fallback)
    for text in texts:
        for live in LIVE:
            assert live not in text, (live, text)
        # no Slack entity (<...>) that the hostile text started
        assert not re.search(r"<[^>]*(channel|U123|http://x)", text), text
    assert any(SHOWN in t for t in texts), "the hostile text was not shown at all"
    assert any("&amp;lt;zz" in t for t in texts)


def test_the_one_escape_helper() -> None:
    shown = esc(HOSTILE)
    for live in LIVE:
        assert live not in shown
    assert SHOWN in shown and "&amp;lt;zz" in shown
    # the formatting characters stay, fenced off by zero-width spaces
    assert shown.replace("\u200b", "").endswith("*b* _i_ ~s~ `c` &amp;lt;zz")
    assert esc("web-1.example") == "web-1.example"
    # a mark inside a word formats nothing: left as typed, so the label copies as is
    assert esc("my_server 100%_sure 2*3") == "my_server 100%_sure 2*3"
    assert "\u200b" in esc("_tmp") and "\u200b" in esc("x`y")


def _approval(lines: list[list[str]]) -> ApprovalRequest:
    return ApprovalRequest(
        id=uuid.uuid4(),
        team_id="T1",
        requested_by="U0REQ",
        kind="create",
        summary={"draft": {"label": HOSTILE}, "lines": lines},
        price_monthly=Decimal("57.60"),
        price_hourly=Decimal("0.0857"),
    )


def test_the_approvers_channel_shows_labels_and_stackscript_values_as_typed() -> None:
    lines = [
        ["Provider", f"{HOSTILE} (linode)"],
        ["Label", HOSTILE],
        ["Plan", HOSTILE],
        ["Operating system", HOSTILE],
        ["Script fields", f"greeting={HOSTILE}"],
        [HOSTILE, "a line named by the cloud"],
    ]
    blocks = request_blocks(_approval(lines))
    assert_inert(blocks)
    assert_inert(request_blocks(_approval(lines), decided=f"denied {esc(HOSTILE)}"))
    # the live mention of the requester is vpsbot's own and stays
    assert any("<@U0REQ>" in t for t in mrkdwn_texts(blocks))


def test_the_review_shows_a_stackscripts_field_labels_as_typed() -> None:
    from bot.create.draft import Draft
    from bot.create.flows import flow_for
    from bot.create.review import review_view
    from bot.create.views import StepData
    from providers.models import DeploymentOption, ScriptField

    script = DeploymentOption(
        id="ss-1",
        kind="stackscript",
        name=HOSTILE,
        fields=[ScriptField(name="site", label=HOSTILE)],
    )
    draft = Draft(label=HOSTILE, deployment_id="ss-1", deployment_fields={"site": HOSTILE})
    data = StepData(draft=draft, flow=flow_for("linode"), deployments=[script])
    assert_inert(review_view(data))
    _, blocks = details_message(details(software=f"StackScript: {HOSTILE}", image=HOSTILE), ())
    assert_inert(blocks)


def test_the_requester_hears_their_label_as_typed() -> None:
    policy = SimpleNamespace(approval_threshold=Decimal("20"))
    check = SimpleNamespace(monthly=Decimal("57.60"), policy=policy)
    assert_inert(fallback=submitted_text(HOSTILE, check))  # type: ignore[arg-type]


def test_the_status_card_and_its_outcome_modal() -> None:
    card = ServerCard(
        label=HOSTILE,
        provider_name=HOSTILE,
        provider_type=HOSTILE,
        plan=HOSTILE,
        region=HOSTILE,
        price="$6.00/mo",
        status="provisioning",
        created_by="U0OWNER",
        raw_status=HOSTILE,
        ipv4=HOSTILE,
        ipv6=HOSTILE,
        software=f"{HOSTILE}: {HOSTILE}",
        image=HOSTILE,
    )
    text, blocks = status_message(card)
    assert_inert(blocks, fallback=text)
    running = ServerCard(**{**card.__dict__, "status": "running"})
    text, blocks = status_message(running)
    assert_inert(blocks, fallback=text)
    for created in (True, False):
        assert_inert(outcome_modal(HOSTILE, HOSTILE, created=created))


def test_details_list_and_server_modals() -> None:
    hostile_plan = PlanChoice(
        id="p1",
        name=HOSTILE,
        provider_plan_id=HOSTILE,
        vcpus=1,
        memory_mb=1024,
        disk_gb=25,
        transfer_gb=1000,
        monthly=Decimal("6"),
        hourly=Decimal("0.009"),
    )
    shown = details(
        label=HOSTILE,
        provider_name=HOSTILE,
        region=HOSTILE,
        image=HOSTILE,
        ipv4=HOSTILE,
        ipv6=HOSTILE,
        raw_status=HOSTILE,
        plan=hostile_plan,
    )
    text, blocks = details_message(shown, ("reboot",))
    assert_inert(blocks, fallback=text)
    text, blocks = details_message(details(label=HOSTILE, plan=None, plan_name=HOSTILE), ())
    assert_inert(blocks, fallback=text)
    listed = line(1, label=HOSTILE, provider_name=HOSTILE, region=HOSTILE, plan=HOSTILE)
    text, blocks = list_message([listed], 1, ListState(text=HOSTILE))
    assert_inert(blocks, fallback=text)
    target = ModalTarget(instance_id=shown.id, label=HOSTILE)
    assert_inert(delete_modal(target))
    assert_inert(rebuild_modal(target, [], password=False))


def _row() -> VpsInstance:
    return VpsInstance(
        id=uuid.uuid4(),
        label=HOSTILE,
        status="running",
        price_monthly=Decimal("6"),
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )


def test_home_and_the_lease_reminder() -> None:
    assert_inert([_server_line(_row(), HOSTILE)])
    assert_inert(reminder_blocks(_row(), "power_off"))


def test_the_create_modal_messages() -> None:
    assert_inert(create_messages.creating_view(HOSTILE, HOSTILE))
    assert_inert(create_messages.done_view(HOSTILE, HOSTILE, "C1"))
    assert_inert(create_messages.checking_view(HOSTILE, HOSTILE, None))
    assert_inert(create_messages.password_lost_view(HOSTILE, HOSTILE, "C1"))


def test_admin_screens_and_the_audit_log() -> None:
    hostile_status = status(1, name=HOSTILE, api_url=HOSTILE)
    assert_inert(home_views.home_view([hostile_status], notice=Notice(f"*{esc(HOSTILE)}*")))
    row = plan(1)
    hostile_row = type(row)(**{**row.__dict__, "name": HOSTILE, "provider_plan_id": HOSTILE})
    assert_inert(plan_views.plans_view(status(1, name=HOSTILE), [hostile_row], root=""))
    assert_inert(plan_views.markup_view(status(1, name=HOSTILE), hostile_row, parent=""))
    logged = entry(1, entity_name=HOSTILE, detail=HOSTILE)
    log_text, log_blocks = log_views.log_message([logged], 1)
    assert_inert(log_blocks, fallback=log_text)

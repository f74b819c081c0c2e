"""Fast paths into the create modal: a typed line opens it prefilled, on the first
step that is not fully decided, and the create still goes through the review."""

from __future__ import annotations

from sqlalchemy import select

from db.models import VpsInstance
from standins.playground.slack_client import state_value as sv
from tests.e2e.conftest import Bot
from tests.e2e.session import LOADING, CreateSession, block_ids, text_of

JSON = dict[str, object]


async def _typed(bot: Bot, line: str) -> CreateSession:
    """``/vps create <line>``, followed past the loading view to the step it opens on."""
    user = CreateSession(bot)
    mark = bot.api.mark()
    await user.open(line)
    await bot.api.wait_for_call(
        "views.update",
        after=mark,
        predicate=lambda c: c.args.get("view_id") == user.view_id and LOADING not in str(c.args),
    )
    return user


def _initial(view: dict[str, object], block_id: str) -> object:
    for block in view["blocks"]:  # type: ignore[attr-defined]
        if str(block.get("block_id")).split(":")[0] == block_id:
            element = block["element"]
            option = element.get("initial_option")
            return option["value"] if option else element.get("initial_value")
    raise AssertionError(f"no block {block_id}")


async def test_a_fully_decided_line_opens_on_the_review_and_creates_from_it(bot: Bot) -> None:
    user = await _typed(bot, "1vcpu 2gb ubuntu fra1 web-1")
    assert user.step == "review"
    shown = text_of(user.view)
    for expected in ("web-1", "Basic · 1 vCPU · 2 GB · 50 GB SSD", "Frankfurt 1", "24.04"):
        assert expected in shown
    assert bot.sandbox.instances("digitalocean") == []  # nothing without the review

    mark = bot.api.mark()
    response = await user.submit({})
    assert response.data["response_action"] == "update"
    await bot.api.wait_for_call("chat.postMessage", after=mark)
    droplets = bot.sandbox.instances("digitalocean")
    assert len(droplets) == 1
    assert droplets[0]["name"] == "web-1"
    assert droplets[0]["size_slug"] == "s-1vcpu-2gb"
    assert droplets[0]["region"]["slug"] == "fra1"
    assert droplets[0]["image"]["slug"] == "ubuntu-24-04-x64"


async def test_a_line_without_an_image_opens_on_the_deployment_step(bot: Bot) -> None:
    user = await _typed(bot, "linode 2gb frankfurt")
    assert user.step == "deployment"
    assert "sandbox-linode" in text_of(user.view)
    # Back shows step 1 with what the words chose
    plan = await user.back()
    assert user.step == "plan"
    assert _initial(plan, "provider") == bot.provider_id("linode")
    assert _initial(plan, "region") == "eu-central"
    assert str(_initial_text(plan, "plan")).startswith("Linode 2GB · ")


def _initial_text(view: dict[str, object], block_id: str) -> object:
    for block in view["blocks"]:  # type: ignore[attr-defined]
        if block.get("block_id") == block_id:
            return block["element"]["initial_option"]["text"]["text"]
    raise AssertionError(f"no block {block_id}")


async def test_ambiguous_and_misspelt_words_open_step_one_with_notes(bot: Bot) -> None:
    user = await _typed(bot, "2gb frankfrut web-9")
    assert user.step == "plan"
    assert "quick_notes" in block_ids(user.view)
    notes = text_of(user.view)
    assert "frankfrut" in notes and "Frankfurt" in notes
    assert _initial(user.view, "label") == "web-9"


async def test_a_plain_label_opens_step_one_as_ever(bot: Bot) -> None:
    user = CreateSession(bot)
    mark = bot.api.mark()
    view = await user.open("web-1")
    assert user.step == "plan"
    assert _initial(view, "label") == "web-1"
    assert "quick_notes" not in block_ids(view)
    assert not [c for c in bot.api.calls_to("views.update") if bot.api.calls.index(c) >= mark]


async def test_a_typed_line_keeps_every_check_of_step_one(bot: Bot) -> None:
    """A label the provider refuses opens step 1 with the reason under the label."""
    user = await _typed(bot, "1vcpu 2gb ubuntu fra1 web_1")
    assert user.step == "plan"
    assert "label" in text_of(user.view).lower()
    response = await user.submit(
        {
            "provider": {"create_provider": sv.static_select(bot.provider_id("digitalocean"))},
            "label": {"label": sv.plain_text("web-2")},
            "plan": {"create_plan": sv.static_select(str(_initial(user.view, "plan")))},
            "region": {"region": sv.static_select("fra1")},
        }
    )
    assert response.data["view"]["callback_id"] == "vps_create:deployment"


def _button(blocks: list[dict[str, object]], action_id: str) -> dict[str, object] | None:
    for block in blocks:
        for element in block.get("elements") or []:  # type: ignore[attr-defined]
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element
    return None


async def test_create_another_like_this_from_the_details_and_the_card(bot: Bot) -> None:
    user = await _typed(bot, "1vcpu 2gb ubuntu fra1 web-1")
    mark = bot.api.mark()
    await user.submit({})
    card = await bot.api.wait_for_call("chat.postMessage", after=mark)
    assert _button(card.args["blocks"], "vps_create_again") is not None
    async with bot.services.db.session() as session:
        row = (await session.execute(select(VpsInstance))).scalar_one()

    details = (await bot.slack.command("/vps", "show web-1")).data
    pressed = _button(details.get("blocks") or [], "vps_create_again")
    assert pressed is not None and pressed["value"] == str(row.id)

    mark = bot.api.mark()
    response = await bot.slack.block_action(
        "vps_create_again", value=str(row.id), block_id="vps_manage"
    )
    assert response.status == 200
    opened = await bot.api.wait_for_call("views.open", after=mark)
    again = CreateSession(bot)
    again.view_id = opened.response["view"]["id"]
    await bot.api.wait_for_call(
        "views.update",
        after=mark,
        predicate=lambda c: c.args.get("view_id") == again.view_id and LOADING not in str(c.args),
    )
    # everything carries over: the review, with the next label
    assert again.step == "review"
    shown = text_of(again.view)
    for expected in ("web-2", "Basic · 1 vCPU · 2 GB · 50 GB SSD", "Frankfurt 1", "24.04"):
        assert expected in shown

    await again.submit({})
    await bot.api.wait_for_call(
        "chat.postMessage", after=mark, predicate=lambda c: "web-2" in str(c.args.get("text"))
    )
    names = sorted(d["name"] for d in bot.sandbox.instances("digitalocean"))
    assert names == ["web-1", "web-2"]


async def test_create_another_refuses_a_server_of_another_workspace(bot: Bot) -> None:
    response = await bot.slack.block_action(
        "vps_create_again", value="00000000-0000-0000-0000-000000000001", block_id="vps_manage"
    )
    assert response.status == 200
    answer = await bot.api.wait_for_response(after=0)
    assert "not in this workspace" in str(answer.payload)
    assert answer.payload.get("replace_original") is False  # the card it was on stays
    assert bot.api.calls_to("views.open") == []


async def test_step_one_offers_the_same_size_elsewhere_and_switches_in_a_click(bot: Bot) -> None:
    user = await _typed(bot, "do 1vcpu 2gb fra1 web-5")
    assert user.step == "deployment"
    plan = await user.back()
    assert user.step == "plan"
    # the nearest Linode plan, in the same city, priced there
    lines = [b for b in plan["blocks"] if str(b.get("block_id", "")).startswith("elsewhere_")]
    assert len(lines) == 1
    text = lines[0]["text"]["text"]
    assert "sandbox-linode" in text and "Frankfurt" in text and "/mo" in text
    switch = lines[0]["accessory"]
    assert switch["action_id"] == "create_elsewhere"

    mark = bot.api.mark()
    response = await bot.slack.block_action(
        "create_elsewhere",
        value=switch["value"],
        block_id=lines[0]["block_id"],
        view=user.view_id,
        state_values={"label": {"label": sv.plain_text("web-5")}},
    )
    assert response.status == 200
    await bot.api.wait_for_call("views.update", after=mark)
    switched = user.view
    assert _initial(switched, "provider") == bot.provider_id("linode")
    # under a block id of its own: Slack would otherwise keep showing the old provider
    assert f"provider:{bot.provider_id('linode')}" in block_ids(switched)
    assert _initial(switched, "region") == "eu-central"
    assert _initial(switched, "label") == "web-5"
    assert str(_initial_text(switched, "plan")).startswith("Linode 2GB · ")
    # and back the other way: DigitalOcean's counterpart is offered from Linode's step 1
    assert any(
        "sandbox-digitalocean" in str(b)
        for b in switched["blocks"]
        if str(b.get("block_id", "")).startswith("elsewhere_")
    )

    response = await user.submit(
        {
            "provider": {"create_provider": sv.static_select(bot.provider_id("linode"))},
            "label": {"label": sv.plain_text("web-5")},
            "plan": {"create_plan": sv.static_select(str(_initial(switched, "plan")))},
            "region": {"region": sv.static_select("eu-central")},
        }
    )
    assert response.data["view"]["callback_id"] == "vps_create:deployment"
    assert "sandbox-linode" in text_of(response.data["view"])


async def test_a_switch_to_a_provider_the_workspace_may_not_use_falls_back(bot: Bot) -> None:
    user = await _typed(bot, "do 1vcpu 2gb fra1 web-6")
    await user.back()
    mark = bot.api.mark()
    forged = "00000000-0000-0000-0000-00000000beef|x|fra1"
    response = await bot.slack.block_action(
        "create_elsewhere", value=forged, block_id="elsewhere_0", view=user.view_id
    )
    assert response.status == 200
    await bot.api.wait_for_call("views.update", after=mark)
    # an unknown provider is never offered: step 1 is back on an offered one, no plan
    assert _initial(user.view, "provider") in {
        bot.provider_id("digitalocean"),
        bot.provider_id("linode"),
    }
    assert _initial(user.view, "plan") is None


async def test_a_lone_word_that_names_a_provider_opens_step_one_on_it(bot: Bot) -> None:
    user = await _typed(bot, "linode")
    assert user.step == "plan"
    assert _initial(user.view, "provider") == bot.provider_id("linode")
    label = _initial(user.view, "label")
    assert isinstance(label, str) and label != "linode"  # a generated label, not the word


async def test_a_linode_line_with_an_image_opens_on_the_review(bot: Bot) -> None:
    user = await _typed(bot, "linode 2gb debian 12 frankfurt web-3")
    assert user.step == "review"
    shown = text_of(user.view)
    for expected in ("web-3", "Linode 2GB", "Frankfurt, DE", "sandbox-linode"):
        assert expected in shown
    assert bot.sandbox.instances("linode") == []

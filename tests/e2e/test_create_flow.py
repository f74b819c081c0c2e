"""The create modal's behaviour: switching, going back, errors, safety, limits."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select, text

from bot.status.watcher import StatusWatcher
from db.models import VpsInstance
from providers.models import CreateRequest
from standins.playground.slack_client import state_value as sv
from tests.e2e.conftest import Bot, start_bot
from tests.e2e.session import CreateSession, block_ids, options_of, plan_id_of


def _initial(view: dict, block_id: str) -> object:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    element = block["element"]
    return element.get("initial_value") or (element.get("initial_option") or {}).get("value")


async def _to_review(user: CreateSession, label: str = "web-1") -> None:
    await user.open(label)
    await user.plan_step("digitalocean", "s-1vcpu-1gb", "ams3", label=label)
    await user.submit({"deployment": {"deployment": sv.static_select("none")}})
    await user.submit({"image": {"image": sv.static_select("ubuntu-24-04-x64")}})
    response = await user.submit({"options": {"options": sv.checkboxes(["ipv6"])}})
    assert response.data["view"]["callback_id"] == "vps_create:review"


async def test_switching_provider_updates_plans_and_keeps_the_label(bot: Bot) -> None:
    user = CreateSession(bot)
    await user.open("keep-me")
    user.set("label", "label", sv.plain_text("keep-me"))
    view = await user.choose_provider("digitalocean")
    do_plans = [plan_id_of(o) for o in options_of(view, "plan")]
    assert "s-1vcpu-1gb" in do_plans
    await user.choose_plan("s-1vcpu-1gb")
    assert "region" in block_ids(user.view)
    regions = [o["value"] for o in options_of(user.view, "region")]
    assert "nyc3" in regions

    view = await user.choose_provider("linode")
    li_plans = [plan_id_of(o) for o in options_of(view, "plan")]
    assert "g6-nanode-1" in li_plans
    assert not any(p.startswith("s-1vcpu") for p in li_plans)
    assert _initial(view, "label") == "keep-me"
    assert _initial(view, "plan") is None  # the DigitalOcean plan does not carry over
    assert "region" not in block_ids(view)


async def test_regions_follow_the_plan(bot: Bot) -> None:
    user = CreateSession(bot)
    await user.open()
    await user.choose_provider("digitalocean")
    await user.choose_plan("g-2vcpu-8gb")  # not offered in sgp1 and lon1
    regions = {o["value"] for o in options_of(user.view, "region")}
    assert "nyc3" in regions and not regions & {"sgp1", "lon1"}


async def test_validation_errors_land_on_the_right_block(bot: Bot) -> None:
    user = CreateSession(bot)
    await user.open()
    await user.choose_provider("linode")
    await user.choose_plan("g6-nanode-1")
    plan = user.values["plan"]["create_plan"]
    response = await user.submit(
        {
            "provider": {"create_provider": sv.static_select(bot.provider_id("linode"))},
            "label": {"label": sv.plain_text("9lives")},
            "plan": {"create_plan": plan},
            "region": {"region": sv.static_select("us-east")},
        }
    )
    assert response.data["response_action"] == "errors"
    assert list(response.data["errors"]) == ["label"]
    assert "letter" in response.data["errors"]["label"]
    assert user.step == "plan"  # the modal stays where it was


async def test_back_keeps_what_was_entered(bot: Bot) -> None:
    user = CreateSession(bot)
    await _to_review(user, "back-test")
    view = await user.back()
    assert view["callback_id"] == "vps_create:config"
    chosen = next(b for b in view["blocks"] if b.get("block_id") == "options")["element"]
    assert [o["value"] for o in chosen["initial_options"]] == ["ipv6"]
    user.set("options", "options", sv.checkboxes(["ipv6", "monitoring"]))
    view = await user.back()  # what was on screen is kept even without submitting
    assert view["callback_id"] == "vps_create:image"
    assert _initial(view, "image") == "ubuntu-24-04-x64"
    await user.back()
    view = await user.back()
    assert view["callback_id"] == "vps_create:plan"
    assert _initial(view, "label") == "back-test"
    assert _initial(view, "region") == "ams3"
    response = await user.submit({})  # the restored values submit as they are
    assert response.data["response_action"] in ("update", "errors")


async def test_provider_field_error_comes_back_to_the_field(bot: Bot) -> None:
    taken = bot.services.provider_for(bot.providers["linode"])
    await taken.create_instance(
        CreateRequest(
            label="taken",
            region="us-east",
            plan="g6-nanode-1",
            image="linode/debian12",
            tag="someone-else",
            root_password="An0ther-Strong-Pass",
        )
    )
    user = CreateSession(bot)
    await user.open("taken")
    await user.plan_step("linode", "g6-nanode-1", "us-east", label="taken")
    await user.submit({"deployment": {"create_deployment_pick": sv.static_select("none")}})
    await user.submit({"image": {"image": sv.static_select("linode/debian12")}})
    await user.submit({})
    mark = bot.api.mark()
    await user.submit({})
    update = await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "vps_create:plan" in str(c.args)
    )
    shown = str(update.args["view"])
    assert "unique" in shown
    assert len(bot.sandbox.instances("linode")) == 1  # only the one that already existed
    async with bot.services.db.session() as session:
        assert (await session.execute(select(VpsInstance))).first() is None
    # fixing the label and going through again creates the server
    await user.submit(
        {
            "provider": {"create_provider": sv.static_select(bot.provider_id("linode"))},
            "label": {"label": sv.plain_text("not-taken")},
            "plan": {
                "create_plan": sv.static_select(
                    next(
                        o["value"]
                        for o in options_of(user.view, "plan")
                        if plan_id_of(o) == "g6-nanode-1"
                    )
                )
            },
            "region": {"region": sv.static_select("us-east")},
        }
    )
    await user.submit({"deployment": {"create_deployment_pick": sv.static_select("none")}})
    await user.submit({"image": {"image": sv.static_select("linode/debian12")}})
    await user.submit({})
    mark = bot.api.mark()
    await user.submit({})
    await bot.api.wait_for_call("chat.postMessage", after=mark)
    assert sorted(i["label"] for i in bot.sandbox.instances("linode")) == ["not-taken", "taken"]


async def test_rate_limited_create_says_when_to_retry_and_keeps_the_draft(bot: Bot) -> None:
    user = CreateSession(bot)
    await _to_review(user, "later-1")
    bot.sandbox.inject("digitalocean", method="POST", path="/v2/droplets", status=429)
    mark = bot.api.mark()
    await user.submit({})
    update = await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "vps_create:review" in str(c.args)
    )
    assert "retry" in str(update.args["view"]).lower()
    assert bot.sandbox.instances("digitalocean") == []
    mark = bot.api.mark()
    await user.submit({})  # nothing was lost: Create again works
    await bot.api.wait_for_call("chat.postMessage", after=mark)
    assert len(bot.sandbox.instances("digitalocean")) == 1


async def test_double_submit_and_slack_retry_make_one_server(bot: Bot) -> None:
    user = CreateSession(bot)
    await _to_review(user, "once-only")
    view = bot.api.views[user.view_id]
    results = await asyncio.gather(
        user.slack.view_submission(view, {}, apply_to_api=False),
        user.slack.view_submission(view, {}, apply_to_api=False),
        user.slack.retrying(1).view_submission(view, {}, apply_to_api=False),
    )
    assert all(r.status == 200 for r in results)
    await bot.api.wait_for_call("chat.postMessage")
    await asyncio.sleep(0.2)
    await user.slack.retrying(2).view_submission(view, {}, apply_to_api=False)
    await asyncio.sleep(0.2)
    assert len(bot.sandbox.instances("digitalocean")) == 1
    assert len(bot.api.calls_to("chat.postMessage")) == 1
    async with bot.services.db.session() as session:
        rows = (await session.execute(select(VpsInstance))).scalars().all()
    assert len(rows) == 1


async def test_lost_create_response_makes_one_server_found_by_tag(bot: Bot) -> None:
    user = CreateSession(bot)
    await _to_review(user, "lost-answer")
    bot.sandbox.inject("digitalocean", method="POST", path="/v2/droplets", lose_response=True)
    mark = bot.api.mark()
    await user.submit({})
    await bot.api.wait_for_call("chat.postMessage", after=mark, timeout=15)
    # the generated password was shown exactly once
    shown = [c for c in bot.api.calls_to("chat.postEphemeral") if "Root password" in str(c.args)]
    assert len(shown) == 1
    droplets = bot.sandbox.instances("digitalocean")
    assert len(droplets) == 1
    async with bot.services.db.session() as session:
        row = (await session.execute(select(VpsInstance))).scalar_one()
    assert row.provider_instance_id == str(droplets[0]["id"])


async def test_a_create_nobody_could_confirm_says_so_until_the_watcher_knows(bot: Bot) -> None:
    user = CreateSession(bot)
    await _to_review(user, "unconfirmed")
    # the answer is lost and so is the look-up by tag that follows it
    bot.sandbox.inject("digitalocean", method="POST", path="/v2/droplets", lose_response=True)
    bot.sandbox.inject("digitalocean", method="GET", path="/v2/droplets", status=503, count=20)
    mark = bot.api.mark()
    await user.submit({})
    checking = await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "checking with" in str(c.args), timeout=15
    )
    assert "is being created" not in str(checking.args)
    shown = [c for c in bot.api.calls_to("chat.postEphemeral") if "Root password" in str(c.args)]
    assert len(shown) == 1  # shown before anything else, though nothing is confirmed
    bot.sandbox.clear_faults()
    await StatusWatcher(bot.services).cycle(ignore_schedule=True)
    told = [c for c in bot.api.calls_to("views.update") if "did create" in str(c.args)]
    assert len(told) == 1  # the watcher found it by tag and said so in the modal
    assert len(bot.sandbox.instances("digitalocean")) == 1


async def test_status_moves_to_running_with_the_ip(bot: Bot) -> None:
    user = CreateSession(bot)
    await _to_review(user, "watched")
    mark = bot.api.mark()
    await user.submit({})
    posted = await bot.api.wait_for_call("chat.postMessage", after=mark)
    channel, ts = posted.response["channel"], posted.response["ts"]
    assert "provisioning" in posted.args["text"]
    await bot.api.wait_for_call(  # the creation has finished its work
        "views.update", after=mark, predicate=lambda c: "is being created" in str(c.args)
    )
    bot.sandbox.advance(120)
    assert await StatusWatcher(bot.services).cycle(ignore_schedule=True) == 1
    message = bot.api.messages[(channel, ts)]
    droplet = bot.sandbox.instances("digitalocean")[0]
    ip = next(n["ip_address"] for n in droplet["networks"]["v4"] if n["type"] == "public")
    assert "running" in message["text"] and ip in message["text"]
    replies = [c for c in bot.api.calls_to("chat.postMessage") if c.args.get("thread_ts") == ts]
    assert len(replies) == 1 and ip in replies[0].args["text"]
    # settled: nothing left to watch
    assert await StatusWatcher(bot.services).cycle(ignore_schedule=True) == 0


async def test_restart_mid_provisioning_still_completes(
    bot: Bot, database_url: str, fernet_keys: list[str]
) -> None:
    """The process dies after the provider created the server but before the row knew."""
    user = CreateSession(bot)
    await _to_review(user, "phoenix")
    draft_view = user.view_id
    # what the dying process managed: the claimed draft and the pending row...
    from bot.create import catalog, service
    from bot.create.draft import Draft
    from db.repo import drafts

    async with bot.services.db.session() as session:
        draft = Draft.model_validate((await drafts.get(session, draft_view)).data)
    data, row, provider = await catalog.gather(bot.services, draft, "review", team_id="T0001")
    claim = await service.claim(
        bot.services,
        view_id=draft_view,
        data=data,
        row=row,
        team_id="T0001",
        user_id="U0001",
        channel_id="C0001",
    )
    assert claim is not None
    # ...and the provider call, whose answer died with the process
    await provider.create_instance(service._request(claim, data, data.flow, "Pr0cess-Died-Here"))
    await bot.services.aclose()

    services, runner, _ = await start_bot(
        bot.api, bot.sandbox, database_url, fernet_keys, register=False
    )
    try:
        bot.sandbox.advance(120)
        await StatusWatcher(services).cycle(ignore_schedule=True)
        async with services.db.session() as session:
            row = (await session.execute(select(VpsInstance))).scalar_one()
        droplet = bot.sandbox.instances("digitalocean")[0]
        assert row.provider_instance_id == str(droplet["id"])
        assert row.status == "running" and row.ip_address
        posted = bot.api.calls_to("chat.postMessage")
        assert len([c for c in posted if "thread_ts" not in c.args]) == 1
    finally:
        await runner.cleanup()
        await services.aclose()


async def test_two_watchers_never_double_post(
    bot: Bot, database_url: str, fernet_keys: list[str]
) -> None:
    for label in ("pair-1", "pair-2", "pair-3"):
        user = CreateSession(bot)
        await _to_review(user, label)
        mark = bot.api.mark()
        await user.submit({})
        await bot.api.wait_for_call(
            "views.update", after=mark, predicate=lambda c: "is being created" in str(c.args)
        )
    other, runner, _ = await start_bot(
        bot.api, bot.sandbox, database_url, fernet_keys, register=False
    )
    try:
        bot.sandbox.advance(120)
        before = len(bot.api.calls_to("chat.postMessage"))
        counts = await asyncio.gather(
            StatusWatcher(bot.services).cycle(ignore_schedule=True),
            StatusWatcher(other).cycle(ignore_schedule=True),
        )
        assert sum(counts) == 3
        replies = bot.api.calls_to("chat.postMessage")[before:]
        assert len(replies) == 3  # one "is running" reply per server, none twice
        assert len({c.args["thread_ts"] for c in replies}) == 3
    finally:
        await runner.cleanup()
        await other.aclose()


async def test_password_is_shown_once_and_never_anywhere_else(
    bot: Bot, captured_logs: pytest.LogCaptureFixture
) -> None:
    user = CreateSession(bot)
    await _to_review(user, "secret-keeper")
    mark = bot.api.mark()
    await user.submit({})
    shown = await bot.api.wait_for_call("chat.postEphemeral", after=mark)
    password = re.search(r"`([^`]+)`", shown.args["text"]).group(1)  # type: ignore[union-attr]
    assert len(password) >= 16
    await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "is being created" in str(c.args)
    )
    others = [c for c in bot.api.calls if c is not shown]
    assert not any(password in str(c.args) for c in others)
    assert not any(password in str(c.args) for c in bot.api.responses)
    for record in captured_logs.records:
        assert password not in record.getMessage()
    async with bot.services.db.engine.connect() as conn:
        for table in ("vps_instances", "create_drafts", "activity_logs", "service_providers"):
            dump = str((await conn.execute(text(f"SELECT * FROM {table}"))).all())
            assert password not in dump, table
            assert bot.sandbox.tokens["digitalocean"] not in dump
    for record in captured_logs.records:
        assert bot.sandbox.tokens["digitalocean"] not in record.getMessage()


async def test_slack_limits_hold_for_300_images(bot: Bot) -> None:
    bot.sandbox.seed_images("linode", 300)
    user = CreateSession(bot)
    await user.open("many-images")
    await user.plan_step("linode", "g6-nanode-1", "us-east", label="many-images")
    response = await user.submit(
        {"deployment": {"create_deployment_pick": sv.static_select("none")}}
    )
    view = response.data["view"]
    assert view["callback_id"] == "vps_create:image"
    element = next(b for b in view["blocks"] if b.get("block_id") == "image")["element"]
    assert element["type"] == "external_select"
    suggestion = await user.slack.block_suggestion("image", "", block_id="image", view=user.view_id)
    groups = suggestion.json()["option_groups"]
    options = [o for g in groups for o in g["options"]]
    assert 0 < len(options) <= 100
    assert all(len(o["text"]["text"]) <= 75 for o in options)
    narrowed = await user.slack.block_suggestion(
        "image", "debian", block_id="image", view=user.view_id
    )
    names = [o["text"]["text"] for g in narrowed.json()["option_groups"] for o in g["options"]]
    assert names and all("Debian" in n for n in names)
    response = await user.submit({"image": {"image": sv.external_select("linode/debian12")}})
    assert response.data["view"]["callback_id"] == "vps_create:config"


async def test_no_providers_tells_the_user(bot: Bot) -> None:
    from bot.admin import service as admin_ops

    for row in bot.providers.values():
        await admin_ops.set_provider_active(bot.services, row.name, False, team_id=row.team_id)
    response = await bot.slack.command("/vps", "create")
    assert response.status == 200
    posted = await bot.api.wait_for_response(lambda r: "provider" in str(r.payload))
    assert "admin" in str(posted.payload)
    assert bot.api.calls_to("views.open") == []


async def test_slow_catalogue_shows_loading_then_the_step(bot: Bot) -> None:
    bot.sandbox.inject("linode", method="GET", path="/v4/images", latency=2.5, count=5)
    user = CreateSession(bot)
    await user.open("slowpoke")
    await user.plan_step("linode", "g6-nanode-1", "us-east", label="slowpoke")
    mark = bot.api.mark()
    response = await user.slack.view_submission(
        user.view_id, {"deployment": {"create_deployment_pick": sv.static_select("none")}}
    )
    assert "Loading" in str(response.data["view"])
    update = await bot.api.wait_for_call(
        "views.update",
        after=mark,
        timeout=10,
        predicate=lambda c: "vps_create:image" in str(c.args) and "Loading" not in str(c.args),
    )
    assert options_of(update.args["view"], "image")


async def test_when_the_channel_refuses_the_user_is_told_directly(bot: Bot) -> None:
    user = CreateSession(bot)
    await _to_review(user, "private-room")
    bot.api.fail_next("chat.postMessage", "not_in_channel")
    mark = bot.api.mark()
    await user.submit({})
    direct = await bot.api.wait_for_call("chat.postMessage", after=mark, predicate=lambda c: c.ok)
    assert direct.args["channel"] == "U0001"  # a DM to the creator
    assert "private-room" in direct.args["text"]


async def test_metrics_count_provider_choice_and_creations(bot: Bot) -> None:
    import aiohttp

    async def metric(name: str) -> float:
        async with aiohttp.ClientSession() as http, http.get(f"{bot.url}/metrics") as resp:
            body = await resp.text()
        return sum(
            float(line.rsplit(" ", 1)[1]) for line in body.splitlines() if line.startswith(name)
        )

    chosen = 'vpsbot_provider_choice_total{provider="digitalocean"}'
    done = 'vpsbot_creations_total{provider="digitalocean",result="succeeded"}'
    before = (await metric(chosen), await metric(done))
    user = CreateSession(bot)
    await _to_review(user, "counted")
    mark = bot.api.mark()
    await user.submit({})
    await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "is being created" in str(c.args)
    )
    assert (await metric(chosen), await metric(done)) == (before[0] + 1, before[1] + 1)


async def test_opening_writes_nothing_until_the_user_acts(bot: Bot) -> None:
    from db.models import CreateDraft

    user = CreateSession(bot)
    await user.open("lazy-1")
    async with bot.services.db.session() as session:
        assert (await session.execute(select(CreateDraft))).first() is None
    await user.choose_provider("linode")
    async with bot.services.db.session() as session:
        draft = (await session.execute(select(CreateDraft))).scalar_one()
    assert (draft.view_id, draft.team_id, draft.user_id, draft.channel_id) == (
        user.view_id,
        "T0001",
        "U0001",
        "C0001",
    )
    assert draft.data["label"] == "lazy-1"


async def test_a_later_step_without_a_draft_is_expired(bot: Bot) -> None:
    user = CreateSession(bot)
    await user.open("stale")
    view = dict(bot.api.views[user.view_id])
    view["callback_id"] = "vps_create:config"  # as if the draft had been cleaned up
    response = await user.slack.view_submission(view, {}, apply_to_api=False)
    assert "expired" in str(response.data["view"])
    assert bot.sandbox.instances("linode") == bot.sandbox.instances("digitalocean") == []


async def test_the_watcher_takes_the_size_from_the_provider(bot: Bot) -> None:
    """A resize recorded on request that the provider did not carry out is undone."""
    from db.repo import instances
    from db.repo import plans as plans_repo

    user = CreateSession(bot)
    await _to_review(user, "sized")
    mark = bot.api.mark()
    await user.submit({})
    await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "is being created" in str(c.args)
    )
    provider_id = bot.providers["digitalocean"].id
    async with bot.services.db.session() as session:
        row = (await session.execute(select(VpsInstance))).scalar_one()
        real = row.plan_id
        bigger = await plans_repo.id_for(session, provider_id, "s-2vcpu-2gb")
    assert bigger is not None and bigger != real
    async with bot.services.db.session() as session, session.begin():
        await instances.mark(
            session,
            row.id,
            plan_id=bigger,
            configuration={**row.configuration, "plan": "s-2vcpu-2gb"},
        )
        await instances.schedule_watch(session, row.id)
    bot.sandbox.advance(120)
    await StatusWatcher(bot.services).cycle(ignore_schedule=True)
    async with bot.services.db.session() as session:
        row = (await session.execute(select(VpsInstance))).scalar_one()
    assert row.plan_id == real and row.configuration["plan"] == "s-1vcpu-1gb"


async def test_plan_search_finds_plans_by_their_provider_id(bot: Bot) -> None:
    user = CreateSession(bot)
    await user.open("searcher")
    await user.choose_provider("linode")
    found = await user.slack.block_suggestion(
        "create_plan", "nanode", block_id="plan", view=user.view_id
    )
    answer = found.json()
    options = answer.get("options") or [o for g in answer["option_groups"] for o in g["options"]]
    assert options and all(plan_id_of(o).startswith("g6-nanode") for o in options)
    assert all(o["text"]["text"].startswith("Nanode 1GB · ") for o in options)


async def test_a_provider_failing_a_catalogue_read_is_said_at_the_field_and_next_retries(
    bot: Bot,
) -> None:
    user = CreateSession(bot)
    await user.open("keeps-1")
    await user.choose_provider("digitalocean")
    await user.choose_plan("s-1vcpu-1gb")
    # the token stops working while Ann is on step 1: the regions cannot be read
    bot.services.registry.cache.clear()
    bot.sandbox.inject("digitalocean", method="GET", path="/v2/regions", status=401, count=1)
    values = {
        "provider": {"create_provider": sv.static_select(bot.provider_id("digitalocean"))},
        "plan": user.values["plan"],
        "region": {"region": sv.static_select("ams3")},
        "label": {"label": sv.plain_text("keeps-1")},
    }
    refused = await user.submit(dict(values))
    assert refused.data["response_action"] == "errors"
    assert refused.data["errors"] == {
        "plan": "vpsbot could not authenticate with DigitalOcean; please contact an administrator."
    }
    # nothing on screen was lost: Next again goes on once the provider answers
    moved = await user.submit(dict(values))
    assert moved.data["view"]["callback_id"] == "vps_create:deployment"


async def test_a_provider_failing_after_a_pick_is_said_in_the_modal(bot: Bot) -> None:
    user = CreateSession(bot)
    await user.open("keeps-2")
    await user.choose_provider("digitalocean")
    bot.services.registry.cache.clear()
    bot.sandbox.inject("digitalocean", method="GET", path="/v2/regions", status=401, count=1)
    shown = await user.choose_plan("s-1vcpu-1gb")  # the plan's regions are read
    text = str(shown["blocks"])
    assert "could not authenticate with DigitalOcean" in text
    assert "run `/vps create` again" in text
    assert "Traceback" not in text and "401" not in text


async def test_a_provider_failing_behind_a_loading_view_is_said_in_the_modal(bot: Bot) -> None:
    user = CreateSession(bot)
    await user.open("keeps-3")
    await user.choose_provider("digitalocean")
    await user.choose_plan("s-1vcpu-1gb")
    bot.services.registry.cache.clear()
    # slower than the submission's budget, then refused: Slack already has its answer
    bot.sandbox.inject(
        "digitalocean", method="GET", path="/v2/regions", status=401, latency=2.0, count=1
    )
    answer = await user.submit(
        {
            "provider": {"create_provider": sv.static_select(bot.provider_id("digitalocean"))},
            "plan": user.values["plan"],
            "region": {"region": sv.static_select("ams3")},
            "label": {"label": sv.plain_text("keeps-3")},
        }
    )
    text = str(answer.data["view"]["blocks"])
    assert "could not authenticate with DigitalOcean" in text
    assert "run `/vps create` again" in text

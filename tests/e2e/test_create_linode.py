"""A user creates a Linode from a StackScript, filling in its fields."""

from __future__ import annotations

from sqlalchemy import select

from db.models import CreateDraft, VpsInstance
from standins.playground.slack_client import state_value as sv
from tests.e2e.conftest import Bot
from tests.e2e.session import CreateSession, block_ids, options_of, plan_id_of

WORDPRESS = "401697"
STRONG = "Str0ng-Pass-for-Linode"


def _block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


async def test_full_flow_with_a_stackscript_and_its_fields(bot: Bot) -> None:
    user = CreateSession(bot)
    await user.open("wp-site")
    response = await user.plan_step("linode", "g6-nanode-1", "us-east", label="wp-site")
    assert response.data["view"]["callback_id"] == "vps_create:deployment"
    scripts = [o["value"] for o in options_of(user.view, "deployment")]
    assert WORDPRESS in scripts and "none" in scripts

    view = await user.pick_script(WORDPRESS)
    fields = [b for b in block_ids(view) if b.startswith("udf:")]
    assert fields == [
        "udf:soa_email_address",
        "udf:webserver_stack",
        "udf:site_title",
        "udf:db_password",
    ]
    email = _block(view, "udf:soa_email_address")
    assert email["optional"] is False and email["hint"]["text"] == "e.g. admin@example.com"
    stack = _block(view, "udf:webserver_stack")["element"]
    assert stack["type"] == "static_select"
    assert [o["value"] for o in stack["options"]] == ["LAMP", "LEMP"]
    assert stack["initial_option"]["value"] == "LAMP"
    assert _block(view, "udf:site_title")["element"]["initial_value"] == "My WordPress Site"

    picked = {"deployment": {"create_deployment_pick": sv.static_select(WORDPRESS)}}
    response = await user.submit(
        {
            **picked,
            "udf:soa_email_address": {"udf:soa_email_address": sv.plain_text("")},
            "udf:webserver_stack": {"udf:webserver_stack": sv.static_select("LEMP")},
            "udf:site_title": {"udf:site_title": sv.plain_text("Blog")},
            "udf:db_password": {"udf:db_password": sv.plain_text("db-Secret-99")},
        }
    )
    assert response.data == {
        "response_action": "errors",
        "errors": {"udf:soa_email_address": "Email address for the admin user is required."},
    }

    response = await user.submit(
        {
            **picked,
            "udf:soa_email_address": {"udf:soa_email_address": sv.plain_text("me@example.com")},
            "udf:webserver_stack": {"udf:webserver_stack": sv.static_select("LEMP")},
            "udf:site_title": {"udf:site_title": sv.plain_text("Blog")},
            "udf:db_password": {"udf:db_password": sv.plain_text("db-Secret-99")},
        }
    )
    image_view = response.data["view"]
    assert image_view["callback_id"] == "vps_create:image"
    offered = sorted(o["value"] for o in options_of(image_view, "image"))
    assert offered == sorted(
        ["linode/ubuntu24.04", "linode/ubuntu22.04", "linode/debian12", "linode/debian11"]
    )  # only the script's compatible images

    response = await user.submit({"image": {"image": sv.static_select("linode/debian12")}})
    config = response.data["view"]
    assert [o["value"] for o in options_of(config, "options")] == ["backups", "private_ip"]
    assert "vpc" not in block_ids(config)

    response = await user.submit({"password": {"password": sv.plain_text("weak")}})
    assert response.data["response_action"] == "errors"
    assert "password" in response.data["errors"]

    response = await user.submit(
        {
            "password": {"password": sv.plain_text(STRONG)},
            "options": {"options": sv.checkboxes(["private_ip", "backups"])},
        }
    )
    assert response.data["view"]["callback_id"] == "vps_create:review"
    assert STRONG not in str(response.data)

    mark = bot.api.mark()
    await user.submit({})
    await bot.api.wait_for_call("chat.postMessage", after=mark)
    await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "is being created" in str(c.args)
    )
    linodes = bot.sandbox.instances("linode")
    assert len(linodes) == 1
    linode = linodes[0]
    assert (linode["label"], linode["type"], linode["region"], linode["image"]) == (
        "wp-site",
        "g6-nanode-1",
        "us-east",
        "linode/debian12",
    )
    assert linode["backups"]["enabled"] is True
    assert any(ip.startswith("192.168.") for ip in linode["ipv4"])  # private IP
    async with bot.services.db.session() as session:
        row = (await session.execute(select(VpsInstance))).scalar_one()
        draft = (await session.execute(select(CreateDraft))).scalar_one()
    assert row.tag in linode["tags"] and "vpsbot" in linode["tags"]
    assert row.provider_instance_id == str(linode["id"])
    # a password the user typed is never echoed, and the sealed copy is gone
    assert bot.api.calls_to("chat.postEphemeral") == []
    assert draft.data.get("password_sealed") is None
    for call in bot.api.calls:
        assert STRONG not in str(call.args)


GPU = "g1-gpu-rtx6000-1"
GPU_NOWHERE = "g2-gpu-rtx4000a1-s"  # the sandbox sells it out in every GPU region


async def test_only_plans_and_regions_that_can_run_are_offered(bot: Bot) -> None:
    user = CreateSession(bot)
    await user.open("gpu-box")
    await user.choose_provider("linode")
    offered = [plan_id_of(o) for o in options_of(user.view, "plan")]
    assert GPU in offered
    assert GPU_NOWHERE not in offered  # empty region list
    view = await user.choose_plan(GPU)
    # "GPU Linodes" in us-east, eu-central and ap-south, but sold out in two of them
    assert [o["value"] for o in options_of(view, "region")] == ["eu-central"]
    refused = await user.plan_step("linode", GPU, "us-east", label="gpu-box")
    assert refused.data == {
        "response_action": "errors",
        "errors": {"region": "This plan is not offered in that region."},
    }

    # sold out in its last region too: the next read of the regions (cached like
    # them) says so, and the plan is offered in no region
    bot.sandbox.linode.catalog.sold_out.add(("eu-central", GPU))
    bot.services.registry.cache.invalidate(bot.provider_id("linode"), "regions")
    view = await user.choose_plan(GPU)
    assert "region" not in block_ids(view)
    assert "This plan is not available in any region." in str(view["blocks"])
    # what Slack sends now: the view has no region select, so no region value
    refused = await user.submit({k: v for k, v in user.values.items() if k != "region"})
    assert refused.data["errors"] == {
        "plan": "This plan is not available in any region now; choose another."
    }

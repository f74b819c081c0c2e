"""A user creates a DigitalOcean server with a 1-Click app, start to finish."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from db.models import VpsInstance
from standins.playground.slack_client import state_value as sv
from tests.e2e.conftest import Bot
from tests.e2e.session import CreateSession, block_ids, options_of, text_of


async def test_full_flow_with_a_one_click_app(bot: Bot) -> None:
    user = CreateSession(bot)
    view = await user.open("blog-1")
    assert user.step == "plan"
    assert "region" not in block_ids(view)  # regions follow the chosen plan

    response = await user.plan_step("digitalocean", "s-1vcpu-1gb", "nyc3", label="blog-1")
    assert response.data["response_action"] == "update"
    deployment = response.data["view"]
    assert deployment["callback_id"] == "vps_create:deployment"
    apps = options_of(deployment, "deployment")
    assert any(o["value"] == "wordpress" for o in apps)
    groups = deployment["blocks"][1]["element"]["option_groups"]
    assert len(groups) > 2  # grouped by category

    response = await user.submit({"deployment": {"deployment": sv.static_select("wordpress")}})
    config = response.data["view"]
    # the app is the image: the operating-system step is skipped
    assert config["callback_id"] == "vps_create:config"
    assert {"password", "ssh_keys", "options", "vpc"} <= set(block_ids(config))
    assert "turns on SSH password login" in text_of(config)
    toggles = [o["value"] for o in options_of(config, "options")]
    assert toggles == ["backups", "monitoring", "ipv6"]
    key = options_of(config, "ssh_keys")[0]["value"]
    vpc = options_of(config, "vpc")[0]["value"]

    response = await user.submit(
        {
            "password": {"password": sv.plain_text("")},
            "ssh_keys": {"ssh_keys": sv.multi_static_select([key])},
            "options": {"options": sv.checkboxes(["monitoring", "ipv6"])},
            "vpc": {"vpc": sv.static_select(vpc)},
        }
    )
    review = response.data["view"]
    assert review["callback_id"] == "vps_create:review"
    shown = text_of(review)
    for expected in ("blog-1", "Basic · 1 vCPU · 1 GB · 25 GB SSD", "New York 3", "WordPress"):
        assert expected in shown
    assert "$7.20/mo" in shown or "$7.20/month" in shown
    # SSH keys and no password: key-only access, said so before the create
    assert "no root password, SSH password login off" in shown

    mark = bot.api.mark()
    response = await user.submit({})
    assert response.data["response_action"] == "update"
    posted = await bot.api.wait_for_call("chat.postMessage", after=mark)
    assert "blog-1" in posted.args["text"]
    await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "is being created" in str(c.args)
    )
    assert bot.api.calls_to("chat.postEphemeral") == []  # no password made, none shown

    droplets = bot.sandbox.instances("digitalocean")
    assert len(droplets) == 1
    droplet = droplets[0]
    assert droplet["name"] == "blog-1"
    assert droplet["size_slug"] == "s-1vcpu-1gb"
    assert droplet["image"]["slug"] == "wordpress"
    assert "monitoring" in droplet["features"] and "ipv6" in droplet["features"]
    assert droplet["vpc_uuid"] == vpc
    # no cloud-config: no root password set and SSH password login left off
    assert bot.sandbox.do.droplets[droplet["id"]].user_data is None
    async with bot.services.db.session() as session:
        row = (await session.execute(select(VpsInstance))).scalar_one()
    assert row.provider_instance_id == str(droplet["id"])
    assert row.tag == f"vpsbot-{row.id}" and row.tag in droplet["tags"]
    assert row.team_id == "T0001" and row.created_by == "U0001"
    assert isinstance(row.id, uuid.UUID)


async def test_a_shared_provider_offers_the_owners_keys_and_vpcs_only_when_shared(
    bot: Bot,
) -> None:
    """Another workspace's DigitalOcean account, shared with this one: its SSH keys
    and VPCs belong to the owner and are neither offered nor accepted (forged) until
    the operator shares them too."""
    from dataclasses import replace
    from decimal import Decimal

    from bot.admin import service as admin_ops
    from db.repo import providers

    owner = await admin_ops.add_provider(
        bot.services,
        type="digitalocean",
        name="tenant-do",
        token=bot.sandbox.tokens["digitalocean"],
        api_url=bot.sandbox.digitalocean_url,
        team_id="T0TENANT",
    )
    await admin_ops.import_plans(
        bot.services, owner.name, admin_ops.Markup(percent=Decimal(0)), team_id="T0TENANT"
    )
    async with bot.services.db.session() as session, session.begin():
        await providers.share(session, owner.id, bot.slack.team_id)
    bot.services.offers.clear()
    shared = replace(bot, providers={"digitalocean": owner})
    keys = [str(k["id"]) for k in bot.sandbox.do.catalog.ssh_keys]
    vpcs = [str(v["id"]) for v in bot.sandbox.do.catalog.vpcs if v["region"] == "nyc3"]
    assert keys and vpcs

    user = CreateSession(shared)
    await user.open("tenant-box")
    await user.plan_step("digitalocean", "s-1vcpu-1gb", "nyc3")
    config = await user.submit({"deployment": {"deployment": sv.static_select("wordpress")}})
    view = config.data["view"]
    assert view["callback_id"] == "vps_create:config"
    assert not {"ssh_keys", "vpc"} & set(block_ids(view))
    # a forged pick of the owner's key and VPC is dropped: the review offers neither
    review = await user.submit(
        {
            "password": {"password": sv.plain_text("")},
            "ssh_keys": {"ssh_keys": sv.multi_static_select(keys[:1])},
            "vpc": {"vpc": sv.static_select(vpcs[0])},
        }
    )
    assert review.data["view"]["callback_id"] == "vps_create:review"
    shown = text_of(review.data["view"])
    assert "SSH key" not in shown and "region default" in shown

    # the operator shares them explicitly: now they are offered
    async with bot.services.db.session() as session, session.begin():
        await providers.share(session, owner.id, bot.slack.team_id, ssh_keys=True, vpcs=True)
    again = CreateSession(shared)
    await again.open("tenant-box-2")
    await again.plan_step("digitalocean", "s-1vcpu-1gb", "nyc3")
    offered = await again.submit({"deployment": {"deployment": sv.static_select("wordpress")}})
    assert {"ssh_keys", "vpc"} <= set(block_ids(offered.data["view"]))

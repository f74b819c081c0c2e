"""A user creates, lists, acts on, resizes and deletes an Amazon EC2 server from
Slack, against moto's EC2 behind the AWS sandbox, with the same listeners and
views as DigitalOcean and Linode (EC2 differs only in its flow definition)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.admin import service as admin_ops
from db.models import Plan, VpsInstance
from standins.playground.slack_client import state_value as sv
from standins.sandbox.aws import AwsSandbox
from tests.e2e.conftest import TEAM, Bot
from tests.e2e.session import CreateSession, block_ids, options_of, plan_id_of, text_of
from tests.e2e.test_servers_actions import SETUP, Owner, create_server, direct_action, follow

SETUP["aws"] = ("t3.micro", "us-east-1", "ubuntu-24.04", "t3.small", "debian-12")


@pytest.fixture
async def ec2(bot: Bot) -> AsyncIterator[AwsSandbox]:
    """The AWS sandbox, registered as a provider the way an admin adds one."""
    # OAuth mode: the workspace's own provider (an operator-level one would need sharing)
    owner = TEAM if bot.services.installations is not None else None
    async with AwsSandbox() as sandbox:
        row = await admin_ops.add_provider(
            bot.services,
            type="aws",
            name="sandbox-aws",
            token=sandbox.token,
            api_url=sandbox.url,
            team_id=owner,
            trusted=True,  # the operator vouches for a loopback endpoint, as make run does
        )
        await admin_ops.import_plans(
            bot.services, "sandbox-aws", admin_ops.Markup(percent=Decimal(20)), team_id=owner
        )
        bot.providers["aws"] = row
        yield sandbox


async def _plans(bot: Bot) -> dict[str, Plan]:
    async with bot.services.db.session() as session:
        rows = await session.execute(
            select(Plan).where(Plan.provider_id == bot.providers["aws"].id)
        )
        return {p.provider_plan_id: p for p in rows.scalars()}


async def test_plans_are_priced_from_the_price_list(bot: Bot, ec2: AwsSandbox) -> None:
    plans = await _plans(bot)
    micro = plans["t3.micro"]
    # GetProducts: $0.0104 an hour in us-east-1, x 730 h = $7.59, + 20 % markup
    assert micro.active
    assert micro.base_price == Decimal("7.59")
    assert micro.base_price + micro.markup_price == Decimal("9.11")
    # the Price List prices no c7g.2xlarge: imported, but not offered until priced
    assert not plans["c7g.2xlarge"].active
    assert ec2.request_count(path_prefix="/GetProducts") >= len(plans)


async def test_create_list_and_delete_from_slack(bot: Bot, ec2: AwsSandbox) -> None:
    user = CreateSession(bot)
    await user.open("ec2-web-1")
    response = await user.plan_step("aws", "t3.micro", "us-east-1", label="ec2-web-1")
    deployment = response.data["view"]
    assert deployment["callback_id"] == "vps_create:deployment"
    assert "plain operating system" in text_of(deployment)

    image_view = (await user.submit({})).data["view"]
    assert image_view["callback_id"] == "vps_create:image"
    offered = {o["value"] for o in options_of(image_view, "image")}
    assert {"ubuntu-24.04", "debian-12", "al2023"} <= offered
    assert "ubuntu-20.04" not in offered  # past its end of life

    config = (await user.submit({"image": {"image": sv.static_select("ubuntu-24.04")}})).data[
        "view"
    ]
    assert config["callback_id"] == "vps_create:config"
    assert "vpc" not in block_ids(config)
    toggles = [o["value"] for o in options_of(config, "options")]
    assert toggles == ["monitoring"]  # no backups add-on on EC2
    keys = [o["value"] for o in options_of(config, "ssh_keys")]
    assert keys == ["ada-laptop", "ops-deploy"]

    review = (
        await user.submit(
            {
                "password": {"password": sv.plain_text("Ec2-Sandbox-Pass-42")},
                "ssh_keys": {"ssh_keys": sv.multi_static_select(["ada-laptop"])},
                "options": {"options": sv.checkboxes(["monitoring"])},
            }
        )
    ).data["view"]
    assert review["callback_id"] == "vps_create:review"
    shown = text_of(review)
    for expected in ("ec2-web-1", "t3.micro", "US East (N. Virginia)", "Ubuntu 24.04", "$9.11/mo"):
        assert expected in shown

    mark = bot.api.mark()
    await user.submit({})
    await bot.api.wait_for_call(
        "views.update", after=mark, predicate=lambda c: "is being created" in str(c.args)
    )
    [server] = ec2.instances()
    tags = {t["Key"]: t["Value"] for t in server["Tags"]}
    assert tags["Name"] == "ec2-web-1" and server["InstanceType"] == "t3.micro"
    assert server["KeyName"] == "ada-laptop"
    assert server["Monitoring"]["State"] == "enabled"
    async with bot.services.db.session() as session:
        row = (await session.execute(select(VpsInstance))).scalar_one()
    assert row.provider_instance_id == f"us-east-1/{server['InstanceId']}"
    # charged at the price shown: the Price List's, with the workspace's markup
    assert row.price_monthly == Decimal("9.11")
    assert row.price_hourly is not None and abs(row.price_hourly - Decimal("0.01248")) < 0.0001
    assert row.tag in tags
    # the root password reaches the server only as first-boot user data
    boto = ec2._boto("us-east-1")
    data = boto.describe_instance_attribute(InstanceId=server["InstanceId"], Attribute="userData")
    cloud_config = base64.b64decode(data["UserData"]["Value"]).decode()
    assert "root:Ec2-Sandbox-Pass-42" in cloud_config and "ssh-ed25519 " in cloud_config
    assert "Ec2-Sandbox-Pass-42" not in str(row.configuration)

    row = await follow(bot, row.id)
    assert row.status == "running"
    listed = str((await bot.slack.command("/vps", "list")).data["blocks"])
    assert "ec2-web-1" in listed and "Amazon EC2" in listed

    owner = Owner(bot, row.id)
    view = await owner.open_modal("vps_delete")
    mark = bot.api.mark()
    ack = await owner.submit(view, {"confirm_label": {"label": sv.plain_text("ec2-web-1")}})
    assert ack == {}
    await owner.ephemeral(mark, "Delete of")
    row = await follow(bot, row.id)
    assert row.status == "deleted"
    assert ec2.instances() == []
    assert ec2.request_count(path_prefix="/TerminateInstances") == 1


async def test_actions_and_resize_from_the_details_message(bot: Bot, ec2: AwsSandbox) -> None:
    instance_id = await create_server(bot, "aws", "ec2-box")
    owner = Owner(bot, instance_id)
    await direct_action(bot, owner, "reboot", "rebooting", "running")
    await direct_action(bot, owner, "shutdown", "stopped", "stopped")
    assert owner.offers("vps_resize") and not owner.offers("vps_rebuild")

    view = await owner.open_modal("vps_resize")
    choice = next(o for o in options_of(view, "plan") if plan_id_of(o) == "t3.small")
    mark = bot.api.mark()
    ack = await owner.submit(view, {"plan": {"vps_resize_plan": sv.static_select(choice)}})
    assert ack == {}
    await owner.ephemeral(mark, "Resize of")
    row = await follow(bot, instance_id)
    assert row.configuration["plan"] == "t3.small"
    [server] = ec2.instances()
    assert server["InstanceType"] == "t3.small"
    # EC2's resize starts the server again with its new type
    assert row.status == "running" and server["State"]["Name"] == "running"
    await direct_action(bot, owner, "power_off", "stopped", "stopped")
    await direct_action(bot, owner, "power_on", "provisioning", "running")

"""A user's `/vps create` session, driven like Slack would drive it."""

from __future__ import annotations

from typing import Any

from standins.playground.slack_client import SlackSender
from standins.playground.slack_client import state_value as sv
from tests.e2e.conftest import Bot

JSON = dict[str, Any]
LOADING = ":hourglass_flowing_sand: Loading"


class Answer:
    """What Slack got back for a submission (the real view, past any loading view)."""

    def __init__(self, data: JSON) -> None:
        self.data = data


def options_of(view: JSON, block_id: str) -> list[JSON]:
    """Every option the view offers in ``block_id`` (flattening option groups)."""
    for block in view["blocks"]:
        if block.get("block_id") == block_id:
            element = block["element"]
            found = list(element.get("options") or [])
            for group in element.get("option_groups") or []:
                found += group["options"]
            return found
    raise AssertionError(f"no block {block_id!r} in view {view.get('callback_id')}")


def plan_id_of(option: JSON) -> str:
    """The provider's plan id a plan option carries under its name
    ("s-1vcpu-1gb · 1,000 GB transfer")."""
    return str((option.get("description") or {}).get("text", "")).split(" · ", 1)[0]


def block_ids(view: JSON) -> list[str]:
    return [b.get("block_id", "") for b in view["blocks"]]


def text_of(view: JSON) -> str:
    return str(view["blocks"])


class CreateSession:
    def __init__(self, bot: Bot, slack: SlackSender | None = None) -> None:
        self.bot = bot
        self.slack = slack or bot.slack
        self.view_id = ""
        self.values: dict[str, JSON] = {}

    @property
    def view(self) -> JSON:
        return self.bot.api.views[self.view_id]

    @property
    def step(self) -> str:
        return str(self.view["callback_id"]).removeprefix("vps_create:")

    async def open(self, text: str = "") -> JSON:
        mark = self.bot.api.mark()
        response = await self.slack.command("/vps", f"create {text}".strip())
        assert response.status == 200
        call = await self.bot.api.wait_for_call("views.open", after=mark)
        self.view_id = call.response["view"]["id"]
        return self.view

    async def _action(self, action_id: str, block_id: str, value: str) -> JSON:
        mark = self.bot.api.mark()
        self.values[block_id] = {action_id: sv.static_select(value)}
        response = await self.slack.block_action(
            action_id,
            block_id=block_id,
            view=self.view_id,
            selected_option=value,
            state_values=self.values,
        )
        assert response.status == 200
        await self.bot.api.wait_for_call("views.update", after=mark)
        return self.view

    async def choose_provider(self, type_: str) -> JSON:
        self.values = {"label": self.values.get("label", {})} if "label" in self.values else {}
        return await self._action("create_provider", "provider", self.bot.provider_id(type_))

    async def choose_plan(self, provider_plan_id: str) -> JSON:
        """Pick the plan whose provider id (shown under its name) is ``provider_plan_id``."""
        option = next(o for o in options_of(self.view, "plan") if plan_id_of(o) == provider_plan_id)
        return await self._action("create_plan", "plan", option["value"])

    async def pick_script(self, script_id: str) -> JSON:
        return await self._action("create_deployment_pick", "deployment", script_id)

    def set(self, block_id: str, action_id: str, value: JSON) -> None:
        self.values[block_id] = {action_id: value}

    async def submit(self, values: dict[str, JSON] | None = None) -> Answer:
        """Press the modal's submit button; a loading view is followed to the real one."""
        if values is not None:
            self.values = values
        mark = self.bot.api.mark()
        response = await self.slack.view_submission(self.view_id, self.values)
        assert response.status == 200
        data = response.data
        if data.get("response_action") == "update":
            self.values = {}
            if LOADING in str(data["view"]):
                update = await self.bot.api.wait_for_call(
                    "views.update",
                    after=mark,
                    predicate=lambda c: (
                        c.args.get("view_id") == self.view_id and LOADING not in str(c.args)
                    ),
                )
                data = {"response_action": "update", "view": self.view}
                assert update.ok
        return Answer(data)

    async def back(self) -> JSON:
        mark = self.bot.api.mark()
        response = await self.slack.block_action(
            "vps_create_back",
            block_id="nav",
            view=self.view_id,
            value=self.step,
            state_values=self.values,
        )
        assert response.status == 200
        await self.bot.api.wait_for_call("views.update", after=mark)
        self.values = {}
        return self.view

    async def plan_step(
        self, type_: str, plan: str, region: str, label: str | None = None
    ) -> Answer:
        await self.choose_provider(type_)
        await self.choose_plan(plan)
        plan_value = self.values["plan"]["create_plan"]
        values = {
            "provider": {"create_provider": sv.static_select(self.bot.provider_id(type_))},
            "plan": {"create_plan": plan_value},
            "region": {"region": sv.static_select(region)},
        }
        if label is not None:
            values["label"] = {"label": sv.plain_text(label)}
        else:
            values["label"] = {"label": sv.plain_text(self._initial_label())}
        return await self.submit(values)

    def _initial_label(self) -> str:
        for block in self.view["blocks"]:
            if block.get("block_id") == "label":
                return str(block["element"].get("initial_value") or "")
        return ""

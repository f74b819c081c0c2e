"""The list, details and modal builders: what they show, and Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.core.blocks import PlanChoice
from bot.servers.details import confirm_message
from bot.servers.modals import ModalTarget, delete_modal, rebuild_modal, resize_modal
from bot.servers.views import (
    MAX_MESSAGE_BLOCKS,
    PAGE_SIZE,
    ActivityLine,
    ListState,
    ServerDetails,
    ServerLine,
    details_message,
    list_message,
)
from providers.models import Image

JSON = dict[str, Any]
ALL_ACTIONS = (
    "power_on",
    "shutdown",
    "power_off",
    "reboot",
    "power_cycle",
    "rebuild",
    "resize",
    "delete",
)


def line(n: int, **changes: Any) -> ServerLine:
    values: JSON = {
        "id": f"00000000-0000-0000-0000-{n:012d}",
        "label": f"node-{n}",
        "status": "running",
        "provider_type": "digitalocean",
        "provider_name": "do-main",
        "region": "nyc3",
        "plan": "s-1vcpu-1gb",
        "ipv4": "203.0.113.9",
        "monthly": Decimal("7.20"),
    }
    values.update(changes)
    return ServerLine(**values)


def plan(n: int, name: str | None = None) -> PlanChoice:
    return PlanChoice(
        id=f"plan-{n}",
        name=name or f"Plan {n}",
        provider_plan_id=name or f"size-{n}",
        vcpus=n,
        memory_mb=1024 * n,
        disk_gb=25 * n,
        transfer_gb=1000,
        monthly=Decimal(6 * n),
        hourly=Decimal("0.0089") * n,
    )


def details(**changes: Any) -> ServerDetails:
    values: JSON = {
        "id": "11111111-2222-3333-4444-555555555555",
        "label": "web-1",
        "status": "running",
        "provider_type": "linode",
        "provider_name": "li-main",
        "region": "us-east",
        "image": "linode/debian12",
        "ipv4": "192.0.2.1",
        "ipv6": "2600:3c00::1/128",
        "created_by": "U0001",
        "created_at": datetime(2024, 5, 1, 12, tzinfo=UTC),
        "plan": plan(2),
    }
    values.update(changes)
    return ServerDetails(**values)


def dicts(blocks: list[Block]) -> list[JSON]:
    # to_dict() runs slack_sdk's own limit checks (raising on a violation)
    return [b.to_dict() for b in blocks]


def options(obj: Any) -> list[JSON]:
    """Every option anywhere in a Block Kit structure."""
    found: list[JSON] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in ("options", "initial_option") and value:
                found += value if isinstance(value, list) else [value]
            found += options(value)
    elif isinstance(obj, list):
        for item in obj:
            found += options(item)
    return found


def action_ids(blocks: list[JSON]) -> list[str]:
    ids = []
    for b in blocks:
        for element in [*(b.get("elements") or []), b.get("accessory") or {}]:
            if element.get("action_id"):
                ids.append(element["action_id"])
    return ids


# --------------------------------------------------------------------------- list


@pytest.mark.parametrize("page_size", [PAGE_SIZE, 45, 60, 500])
def test_a_full_page_stays_within_fifty_blocks(page_size: int) -> None:
    lines = [line(n) for n in range(page_size)]
    state = ListState(provider="linode", status="running", text="node", offset=page_size)
    _, blocks = list_message(lines, 10 * page_size, state, page_size=page_size)
    as_dicts = dicts(blocks)
    assert len(as_dicts) <= MAX_MESSAGE_BLOCKS
    assert "vps_list_prev" in action_ids(as_dicts) and "vps_list_next" in action_ids(as_dicts)


def test_each_server_shows_provider_label_status_region_plan_ip_and_price() -> None:
    lines = [
        line(1),
        line(
            2,
            provider_type="linode",
            provider_name=None,
            ipv4=None,
            monthly=None,
            plan=None,
            status="stopped",
        ),
    ]
    text, blocks = list_message(lines, 2, ListState())
    first, second = [b["text"]["text"] for b in dicts(blocks) if "accessory" in b]
    assert first == (
        ":large_green_circle: *node-1* · running\n"
        "do-main · nyc3 · s-1vcpu-1gb · `203.0.113.9` · $7.20/mo"
    )
    assert second == ":black_circle: *node-2* · stopped\nLinode · nyc3 · — · no IP yet · —"
    assert text == "2 servers in this workspace"


def test_paging_buttons_appear_only_where_there_is_more() -> None:
    lines = [line(n) for n in range(PAGE_SIZE)]
    _, first = list_message(lines, 25, ListState())
    _, middle = list_message(lines, 25, ListState(offset=10))
    _, last = list_message(lines[:5], 25, ListState(offset=20))
    assert [i for i in action_ids(dicts(first)) if "page" in i or "prev" in i or "next" in i] == [
        "vps_list_next"
    ]
    assert {"vps_list_prev", "vps_list_next"} <= set(action_ids(dicts(middle)))
    assert "vps_list_next" not in action_ids(dicts(last))
    nxt = next(
        e
        for b in dicts(middle)
        for e in b.get("elements") or []
        if e.get("action_id") == "vps_list_next"
    )
    assert ListState.decode(nxt["value"]) == ListState(offset=20)


def test_empty_list_says_so_and_points_at_create() -> None:
    _, blocks = list_message([], 0, ListState())
    assert "No servers yet. Create one with `/vps create`." in str(dicts(blocks))
    _, blocks = list_message([], 0, ListState(status="error"))
    assert "No servers match these filters." in str(dicts(blocks))


def test_filter_selects_show_the_current_choice_and_short_options() -> None:
    state = ListState(provider="linode", status="stopped", text="web")
    _, blocks = list_message([line(1)], 1, state)
    as_dicts = dicts(blocks)
    filters = next(b for b in as_dicts if b.get("block_id", "").startswith("vps_list:"))
    assert [e["initial_option"]["value"] for e in filters["elements"]] == ["linode", "stopped"]
    assert ListState.from_block_id(filters["block_id"]) == state
    assert all(len(o["text"]["text"]) <= 75 for o in options(as_dicts))


def test_list_state_survives_hostile_input() -> None:
    for raw in (
        None,
        "",
        "[]",
        "{",
        '{"p": "gcp", "s": "hacked", "t": 5, "o": "9"}',
        '{"o": -3}',
        json.dumps({"o": 10**12}),
    ):
        state = ListState.decode(raw)
        assert state.provider is None and state.status is None and state.text is None
        assert 0 <= state.offset <= 10_000_000
    long = ListState(text='"\\' * 40 + "ü" * 64)
    assert len(long.filter_block_id()) <= 255


def test_labels_cannot_inject_mentions_or_links() -> None:
    _, blocks = list_message([line(1, label="<!channel> <https://x.test|hi>")], 1, ListState())
    text = str(dicts(blocks))
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


# --------------------------------------------------------------------------- details


def test_details_show_specs_prices_addresses_and_activity() -> None:
    activity = [
        ActivityLine(datetime(2024, 5, 2, tzinfo=UTC), f"vps.step_{n}", "success", "U0002")
        for n in range(8)
    ]
    _, blocks = details_message(details(activity=activity, region_name="Newark, NJ"), ALL_ACTIONS)
    text = str(dicts(blocks))
    for expected in (
        "web-1",
        "li-main",
        "Newark, NJ",
        "Plan 2 · 2 vCPU · 2 GB · 50 GB SSD",
        "$12.00/mo",
        "$0.0178/h",
        "`192.0.2.1`",
        "`2600:3c00::1/128`",
        "linode/debian12",
        "<@U0001>",
        "<!date^1714564800^",
    ):
        assert expected in text, expected
    assert text.count("step ") == 5


def _elements(blocks: list[JSON]) -> dict[str, JSON]:
    return {e["action_id"]: e for b in blocks for e in b.get("elements") or [] if "action_id" in e}


def test_details_show_the_common_actions_as_buttons_and_the_rest_in_a_menu() -> None:
    _, blocks = details_message(details(expires_at=datetime(2027, 1, 7, tzinfo=UTC)), ALL_ACTIONS)
    as_dicts = dicts(blocks)
    assert action_ids(as_dicts) == [
        "vps_act_power_on",
        "vps_act_shutdown",
        "vps_act_reboot",
        "vps_lease_extend",
        "vps_refresh",
        "vps_more",
        "vps_create_again",
    ]
    elements = _elements(as_dicts)
    menu = [o["value"].partition(":")[0] for o in elements["vps_more"]["options"]]
    assert menu == ["power_off", "power_cycle", "rebuild", "resize", "delete"]
    assert {o["value"].partition(":")[2] for o in elements["vps_more"]["options"]} == {details().id}
    # no danger style in sight; each confirmation says what the action does
    assert not any(e.get("style") == "danger" for e in elements.values())
    assert "ACPI" in elements["vps_act_shutdown"]["confirm"]["text"]["text"]
    assert "cleanly" in elements["vps_act_reboot"]["confirm"]["text"]["text"]
    assert "confirm" not in elements["vps_act_power_on"]
    text = str(as_dicts)
    assert "*Lease*\\nends <!date^1799280000^" in text

    without_cycle = tuple(a for a in ALL_ACTIONS if a != "power_cycle")
    _, blocks = details_message(details(), without_cycle)
    assert "power_cycle" not in json.dumps(dicts(blocks))
    assert "vps_lease_extend" not in action_ids(dicts(blocks))  # no lease, nothing to extend


def test_a_menu_action_is_said_in_full_with_one_danger_button_and_cancel() -> None:
    for name, words in (
        ("power_off", "pulling the plug"),
        ("power_cycle", "hard reset"),
        ("shutdown", "ACPI"),
    ):
        _, blocks = confirm_message("<!here>", name, details().id)
        as_dicts = dicts(blocks)
        assert words in as_dicts[0]["text"]["text"]
        assert "&lt;!here&gt;" in as_dicts[0]["text"]["text"]
        styles = [e.get("style") for e in as_dicts[1]["elements"]]
        assert styles.count("danger") == (0 if name == "shutdown" else 1)
        assert action_ids(as_dicts) == [f"vps_act_{name}", "vps_refresh"]


def test_a_deleted_or_deleting_server_has_no_live_buttons() -> None:
    for status in ("deleting", "deleted"):
        _, blocks = details_message(details(status=status), ALL_ACTIONS)
        assert action_ids(dicts(blocks)) == []
        assert f"*{status}*" in str(dicts(blocks))


def test_details_for_someone_who_may_not_act() -> None:
    _, blocks = details_message(details(), (), managed_by="U0001")
    as_dicts = dicts(blocks)
    # anyone may start a server like it: that is their own create, with every check
    assert action_ids(as_dicts) == ["vps_refresh", "vps_create_again"]
    assert "Only <@U0001> or a vpsbot admin can manage this server." in str(as_dicts)


def test_details_without_a_plan_row_fall_back_to_the_plan_name() -> None:
    _, blocks = details_message(details(plan=None, plan_name="g6-legacy", ipv6=None), ())
    text = str(dicts(blocks))
    assert "g6-legacy" in text and "*Price* (incl. markup)\\n—" in text


# --------------------------------------------------------------------------- modals

TARGET = ModalTarget("11111111-2222-3333-4444-555555555555", "web-1", "C0001")


def test_modal_target_round_trips_and_rejects_garbage() -> None:
    assert ModalTarget.decode(TARGET.encode()) == (TARGET.instance_id, "C0001")
    assert ModalTarget.decode("not json") == ("", None)
    assert ModalTarget.decode('{"id": 5, "c": "' + "C" * 40 + '"}') == ("", None)


def test_delete_modal_asks_for_the_label() -> None:
    view = delete_modal(TARGET).to_dict()
    assert view["callback_id"] == "vps_delete_modal"
    assert view["submit"]["text"] == "Delete"
    field = next(b for b in view["blocks"] if b.get("block_id") == "confirm_label")
    assert field["element"]["action_id"] == "label"
    assert json.loads(view["private_metadata"])["id"] == TARGET.instance_id


def test_rebuild_modal_password_only_where_the_provider_takes_one() -> None:
    images = [
        Image(id=f"img-{n}", name=f"Ubuntu {n}" + "x" * 100, distribution="Ubuntu")
        for n in range(5)
    ]
    with_password = rebuild_modal(TARGET, images, password=True).to_dict()
    without = rebuild_modal(TARGET, images, password=False).to_dict()
    assert [b.get("block_id") for b in with_password["blocks"] if b["type"] == "input"] == [
        "image",
        "password",
    ]
    assert [b.get("block_id") for b in without["blocks"] if b["type"] == "input"] == ["image"]
    assert all(len(o["text"]["text"]) <= 75 for o in options(with_password))
    loading = rebuild_modal(TARGET, None, password=True).to_dict()
    assert "Loading images" in str(loading) and "submit" not in loading


def test_rebuild_modal_searches_when_there_are_too_many_images() -> None:
    images = [Image(id=f"img-{n}", name=f"Image {n}", distribution="Debian") for n in range(150)]
    view = rebuild_modal(TARGET, images, password=False).to_dict()
    element = next(b for b in view["blocks"] if b.get("block_id") == "image")["element"]
    assert element["type"] == "external_select"
    assert element["action_id"] == "vps_rebuild_image"


def test_resize_modal_lists_plans_with_short_options() -> None:
    plans = [plan(n, name=f"size-{n}-" + "y" * 90) for n in range(1, 6)]
    view = resize_modal(TARGET, plans, current=plan(9), hint="Power off first.").to_dict()
    element = next(b for b in view["blocks"] if b.get("block_id") == "plan")["element"]
    assert element["type"] == "static_select" and len(element["options"]) == 5
    assert all(len(o["text"]["text"]) <= 75 for o in options(view))
    assert "runs on Plan 9 · 9 vCPU · 9 GB · 225 GB SSD" in str(view["blocks"][0])
    assert "Power off first." in str(view)
    many = resize_modal(TARGET, [plan(n) for n in range(1, 130)]).to_dict()
    assert (
        next(b for b in many["blocks"] if b.get("block_id") == "plan")["element"]["type"]
        == "external_select"
    )
    none = resize_modal(TARGET, []).to_dict()
    assert "submit" not in none and "No other plan" in str(none)


def test_resize_prices_the_plans_in_the_servers_region() -> None:
    plan = PlanChoice(
        "p",
        "Nanode",
        "g6-nanode-1",
        1,
        1024,
        25,
        1000,
        Decimal("6.00"),
        Decimal("0.0090"),
        region_prices=(("id-cgk", Decimal("7.20"), Decimal("0.0108")),),
    )
    target = ModalTarget("i", "web-1")
    jakarta = json.dumps(resize_modal(target, [plan], region="id-cgk").to_dict())
    elsewhere = json.dumps(resize_modal(target, [plan], region="us-east").to_dict())
    assert "$7.20/mo" in jakarta and "$6.00/mo" in elsewhere


def test_details_name_the_app_or_stackscript_a_server_was_made_with() -> None:
    def fields(**changes: Any) -> list[str]:
        _, blocks = details_message(details(**changes), ALL_ACTIONS)
        return [f["text"] for b in dicts(blocks) for f in b.get("fields", [])]

    assert "*StackScript*\nLAMP on Debian 12" in fields(
        software="StackScript: LAMP", image="Debian 12"
    )
    app = fields(software="1-Click app: WordPress", image=None)
    assert "*1-Click app*\nWordPress" in app and not any(f.startswith("*Image*") for f in app)

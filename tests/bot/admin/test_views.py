"""The `/vps admin` views and the `/vps log` message, from their output alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from slack_sdk.models.views import View

from bot.admin import home_views, log_views, plan_views, provider_forms, views
from bot.admin.log_views import LogEntry
from bot.admin.plan_views import PlanRow
from bot.admin.views import Capability, Notice, ProviderStatus
from providers.models import DeploymentOption

JSON = dict[str, Any]
WHEN = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)


def status(n: int = 0, **changes: Any) -> ProviderStatus:
    values: dict[str, Any] = {
        "id": f"00000000-0000-0000-0000-{n:012d}",
        "name": f"provider-{n}",
        "type": "digitalocean",
        "active": True,
        "credentials_valid": True,
        "last_checked_at": WHEN,
        "last_success_at": WHEN,
        "rate_limit": 5000,
        "rate_remaining": 4990,
        "rate_reset_at": 1_740_000_000.0,
        "capabilities": (
            Capability("1-Click apps", True),
            Capability("VPC", True),
            Capability("IPv6", False),
            Capability("monitoring", True),
        ),
        "deployment_kind": "oneclick",
        "servers": 2,
        "plans_total": 10,
        "plans_active": 7,
    }
    values.update(changes)
    return ProviderStatus(**values)


def plan(n: int, *, active: bool = True) -> PlanRow:
    return PlanRow(
        id=f"10000000-0000-0000-0000-{n:012d}",
        provider_plan_id=f"size-{n:03d}",
        name=f"Size {n}",
        base_price=Decimal("6.00"),
        markup_price=Decimal("1.20"),
        active=active,
        vcpus=1,
        memory_mb=2048,
        disk_gb=50,
    )


def rendered(view: View) -> JSON:
    """The view as Slack receives it; ``to_dict`` also runs slack_sdk's limit checks."""
    data = view.to_dict()
    assert data["type"] == "modal"
    assert len(data["title"]["text"]) <= 24
    for key in ("submit", "close"):
        if key in data:
            assert len(data[key]["text"]) <= 24
    assert len(data["blocks"]) <= 100
    ids = [b["block_id"] for b in data["blocks"] if "block_id" in b]
    assert len(ids) == len(set(ids))
    assert len(data.get("private_metadata", "")) <= 3000
    return data


def block(data: JSON, block_id: str) -> JSON:
    return next(b for b in data["blocks"] if b.get("block_id") == block_id)


def text(data: JSON) -> str:
    return json.dumps(data["blocks"])


def test_home_shows_every_status_indicator() -> None:
    data = rendered(home_views.home_view([status(1)], Notice("Added *x*.")))
    assert data["callback_id"] == views.HOME
    assert data["title"]["text"] == "vpsbot admin"
    assert "submit" not in data  # nothing to submit on the root
    header = block(data, f"provider:{status(1).id}")["text"]["text"]
    assert header.startswith("*provider-1* · DigitalOcean\n:large_green_circle: *active*")
    assert "2 servers" in header and "7 of 10 plans offered" in header
    fields = [f["text"] for f in block(data, f"status:{status(1).id}")["fields"]]
    assert fields[0] == "*Credentials*\n:white_check_mark: valid"
    assert (
        fields[1]
        == "*Last check*\n<!date^1740832200^{date_short_pretty} {time}|2025-03-01 12:30 UTC>"
    )
    assert (
        fields[3]
        == "*Rate limit*\n4,990 of 5,000 left, resets <!date^1740000000^{time}|at 1740000000>"
    )
    assert fields[4] == (
        "*Capabilities*\n:white_check_mark: 1-Click apps · :white_check_mark: VPC · "
        ":heavy_minus_sign: IPv6 · :white_check_mark: monitoring"
    )
    assert fields[5] == "*1-Click apps*\nall allowed"
    assert block(data, "notice")["elements"][0]["text"] == ":white_check_mark: Added *x*."
    buttons = block(data, f"actions:{status(1).id}")["elements"]
    assert [b["text"]["text"] for b in buttons] == [
        "Plans",
        "Allowed 1-Click apps",
        "Check now",
        "Deactivate",
    ]
    assert buttons[3]["value"] == f"off:{status(1).id}"


def test_home_shows_unknown_invalid_and_inactive_states() -> None:
    inactive = status(
        2,
        active=False,
        credentials_valid=False,
        last_success_at=None,
        rate_remaining=None,
        type="linode",
        deployment_kind="stackscript",
        allowed_deployments=3,
        api_url="http://127.0.0.1:9/linode",
    )
    unchecked = status(3, credentials_valid=None, last_checked_at=None)
    data = rendered(home_views.home_view([inactive, unchecked]))
    header = block(data, f"provider:{inactive.id}")["text"]["text"]
    assert ":black_circle: *inactive* — hidden from `/vps create`" in header
    fields = " ".join(f["text"] for f in block(data, f"status:{inactive.id}")["fields"])
    assert ":x: rejected — rotate the token" in fields
    assert "*Last successful call*\nnever" in fields
    assert "*Rate limit*\nunknown until the next call" in fields
    assert "*StackScripts*\n3 allowed" in fields
    assert "`http://127.0.0.1:9/linode`" in fields
    toggle = block(data, f"actions:{inactive.id}")["elements"][3]
    assert (toggle["text"]["text"], toggle["value"]) == ("Activate", f"on:{inactive.id}")
    unchecked_fields = str(block(data, f"status:{unchecked.id}")["fields"])
    assert ":grey_question: not checked yet" in unchecked_fields
    assert "*Last check*\\nnever" in unchecked_fields


def test_home_stays_within_100_blocks_with_many_providers_and_admins() -> None:
    many = [status(n) for n in range(40)]
    admins = [views.AdminRow(f"U{n:04d}AB") for n in range(15)]
    data = rendered(
        home_views.home_view(many, Notice("x"), admins=admins, admins_notice=Notice("y", ok=False))
    )
    assert len(data["blocks"]) <= 100
    shown = [b for b in data["blocks"] if b.get("block_id", "").startswith("provider:")]
    assert len(shown) == views.MAX_PROVIDERS
    assert f"{40 - views.MAX_PROVIDERS} more provider(s) not shown" in text(data)
    listed = [b for b in data["blocks"] if b.get("block_id", "").startswith("admin:")]
    assert len(listed) == views.MAX_ADMINS_SHOWN
    assert "5 more named" in block(data, "admins_more")["elements"][0]["text"]


def test_the_admins_section_lists_who_installed_first_and_confirms_each_removal() -> None:
    admins = [
        views.AdminRow("U0ANN", added_by="U0ANN", added_at=WHEN),
        views.AdminRow("U0BOB", added_by="U0ANN", added_at=WHEN),
        views.AdminRow("U0CAT", added_by="operator"),
        views.AdminRow("U0ORG", added_by="U0ORG", org_wide=True),
    ]
    data = rendered(
        home_views.home_view(
            [status()], admins=admins, viewer="U0BOB", admins_notice=Notice("done")
        )
    )
    ids = [b.get("block_id", "") for b in data["blocks"]]
    start = ids.index("admins")
    assert ids[start:] == [
        "admins",
        "admins_notice",
        "admin:U0ANN",
        "admin:U0BOB",
        "admin:U0CAT",
        "org_admin:U0ORG",
    ]
    picker = block(data, "admins")["accessory"]
    assert (picker["type"], picker["action_id"]) == ("users_select", views.ADD_ADMIN_ACTION)
    assert picker["placeholder"]["text"] == "Add admin"
    assert "installed vpsbot" in block(data, "admin:U0ANN")["text"]["text"]
    bob = block(data, "admin:U0BOB")
    assert bob["text"]["text"].startswith("<@U0BOB> (you) · named by <@U0ANN>")
    remove = bob["accessory"]
    assert (remove["action_id"], remove["value"], remove["style"]) == (
        views.REMOVE_ADMIN_ACTION,
        "U0BOB",
        "danger",
    )
    assert remove["confirm"]["confirm"]["text"] == "Remove"
    assert "<@U0BOB> stops being a vpsbot admin" in remove["confirm"]["text"]["text"]
    assert "named by the operator" in block(data, "admin:U0CAT")["text"]["text"]
    org = block(data, "org_admin:U0ORG")
    assert "named for the whole org" in org["text"]["text"] and "accessory" not in org


def test_the_admins_section_without_anyone_named_says_so() -> None:
    data = rendered(home_views.home_view([]))
    assert "Nobody is named yet" in block(data, "admins_empty")["text"]["text"]
    assert block(data, "admins")["accessory"]["type"] == "users_select"


def test_home_without_providers_invites_to_add_one() -> None:
    data = rendered(home_views.home_view([]))
    assert "No provider yet" in block(data, "empty")["text"]["text"]
    assert block(data, "home_actions")["elements"][0]["action_id"] == views.ADD_ACTION


def test_names_cannot_inject_mentions() -> None:
    data = rendered(home_views.home_view([status(1, name="<!channel> & co")]))
    assert "<!channel>" not in text(data)
    assert "&lt;!channel&gt; &amp; co" in text(data)


def test_the_add_form_asks_for_a_token_and_shows_none() -> None:
    data = rendered(
        provider_forms.add_provider_view(
            [("digitalocean", "DigitalOcean"), ("linode", "Linode")], root="V1"
        )
    )
    assert data["callback_id"] == views.ADD
    # no endpoint besides the official APIs: nothing to choose, no field
    assert [b["block_id"] for b in data["blocks"]] == ["type", "name", "token"]
    token = block(data, "token")["element"]
    assert token["type"] == "plain_text_input" and "initial_value" not in token
    assert [o["value"] for o in block(data, "type")["element"]["options"]] == [
        "digitalocean",
        "linode",
    ]
    assert views.metadata(data) == {"root": "V1"}
    assert data["submit"]["text"] == "Add"


def test_rename_rotate_and_delete_forms() -> None:
    p = status(4)
    rename = rendered(provider_forms.rename_view(p, root="V1"))
    assert block(rename, "name")["element"]["initial_value"] == "provider-4"
    assert views.metadata(rename) == {"provider": p.id, "root": "V1"}
    rotate = rendered(provider_forms.rotate_view(p, root="V1"))
    assert "initial_value" not in block(rotate, "token")["element"]
    in_use = rendered(provider_forms.delete_view(p, root="V1"))
    confirm = block(in_use, "confirm")
    assert confirm["optional"] is True
    assert confirm["element"]["options"][0]["value"] == "force"
    assert "*2 server(s)* still use *provider-4*" in text(in_use)
    unused = rendered(provider_forms.delete_view(status(5, servers=0), root="V1"))
    assert all(b["type"] != "input" for b in unused["blocks"])
    assert unused["submit"]["text"] == "Delete"


def test_plans_are_paged_within_the_block_limit() -> None:
    rows = [plan(n, active=n % 3 != 0) for n in range(95)]
    first = rendered(plan_views.plans_view(status(1), rows, root="V1"))
    plan_blocks = [b for b in first["blocks"] if b.get("block_id", "").startswith("plan:")]
    assert len(plan_blocks) == plan_views.PLANS_PAGE_SIZE
    nav = block(first, "plans_nav")["elements"]
    assert [(b["text"]["text"], b["value"]) for b in nav] == [("Next →", "1")]
    assert "63 of 95 offered" in block(first, "plans_intro")["text"]["text"]
    last = rendered(plan_views.plans_view(status(1), rows, root="V1", page=7))
    assert views.metadata(last) == {"provider": status(1).id, "root": "V1", "page": 2}
    assert len([b for b in last["blocks"] if b.get("block_id", "").startswith("plan:")]) == 15
    assert [b["value"] for b in block(last, "plans_nav")["elements"]] == ["1"]


def test_a_plan_line_shows_base_markup_total_and_state() -> None:
    data = rendered(plan_views.plans_view(status(1), [plan(1), plan(2, active=False)], root="V"))
    first = block(data, f"plan:{plan(1).id}")
    assert first["text"]["text"] == (
        "*Size 1* `size-001` — 1 vCPU · 2 GB RAM · 50 GB disk\n"
        "$6.00 + $1.20 markup = *$7.20/mo* · :white_check_mark: offered"
    )
    assert [o["value"] for o in first["accessory"]["options"]] == [
        f"markup:{plan(1).id}",
        f"disable:{plan(1).id}",
    ]
    second = block(data, f"plan:{plan(2).id}")
    assert ":no_entry_sign: disabled" in second["text"]["text"]
    assert second["accessory"]["options"][1]["value"] == f"enable:{plan(2).id}"
    assert "plans_nav" not in [b.get("block_id") for b in data["blocks"]]


def test_no_plans_yet_points_at_the_import() -> None:
    data = rendered(plan_views.plans_view(status(1), [], root="V"))
    assert "import DigitalOcean's catalogue" in block(data, "no_plans")["text"]["text"]
    assert block(data, "plans_intro")["accessory"]["action_id"] == views.IMPORT_ACTION


def test_markup_forms() -> None:
    importing = rendered(plan_views.import_view(status(1), parent="VP", root="VR", page=1))
    assert block(importing, "markup_kind")["element"]["initial_option"]["value"] == "percent"
    assert "initial_value" not in block(importing, "markup")["element"]
    assert views.metadata(importing) == {
        "provider": status(1).id,
        "parent": "VP",
        "root": "VR",
        "page": 1,
    }
    editing = rendered(plan_views.markup_view(status(1), plan(3), parent="VP"))
    assert block(editing, "markup_kind")["element"]["initial_option"]["value"] == "amount"
    assert block(editing, "markup")["element"]["initial_value"] == "1.20"
    assert views.metadata(editing)["plan"] == plan(3).id


def _apps(count: int, categories: int = 2) -> list[DeploymentOption]:
    return [
        DeploymentOption(
            id=f"app-{n}", kind="oneclick", name=f"App {n:03d}", category=f"Cat {n % categories}"
        )
        for n in range(count)
    ]


def test_allowlist_groups_many_options_within_slacks_limits() -> None:
    data = rendered(plan_views.allowlist_view(status(1), _apps(250), ["app-3", "gone"], root="V"))
    element = block(data, "allowed")["element"]
    groups = element["option_groups"]
    assert all(len(g["options"]) <= 100 for g in groups) and len(groups) <= 100
    assert sum(len(g["options"]) for g in groups) == 250
    assert [g["label"]["text"] for g in groups] == [
        "Cat 0 (1)",
        "Cat 0 (2)",
        "Cat 1 (1)",
        "Cat 1 (2)",
    ]
    assert [o["value"] for o in element["initial_options"]] == ["app-3"]
    assert block(data, "mode")["element"]["initial_option"]["value"] == "selected"
    assert data["submit"]["text"] == "Save"
    assert data["title"]["text"] == "Allowed 1-Click apps"


def test_allowlist_allow_all_loading_empty_and_error() -> None:
    everything = rendered(plan_views.allowlist_view(status(1), _apps(3), None, root="V"))
    assert block(everything, "mode")["element"]["initial_option"]["value"] == "all"
    assert "initial_options" not in block(everything, "allowed")["element"]
    loading = rendered(plan_views.allowlist_view(status(1), None, None, root="V"))
    assert "submit" not in loading and "Loading" in text(loading)
    empty = rendered(plan_views.allowlist_view(status(1), [], None, root="V"))
    assert "allowed" not in [b.get("block_id") for b in empty["blocks"]]
    assert "lists no 1-Click apps" in text(empty)
    failed = rendered(plan_views.allowlist_view(status(1), [], None, root="V", error="down"))
    assert "submit" not in failed and ":warning: down" in text(failed)
    linode = status(2, type="linode", deployment_kind="stackscript")
    assert rendered(plan_views.allowlist_view(linode, [], None, root="V"))["title"]["text"] == (
        "Allowed StackScripts"
    )


def test_metadata_survives_garbage() -> None:
    assert views.metadata({"private_metadata": "not json"}) == {}
    assert views.metadata({"private_metadata": "[1]"}) == {}
    assert views.metadata({}) == {}


def entry(n: int, **changes: Any) -> LogEntry:
    values: dict[str, Any] = {
        "when": WHEN,
        "event_type": "provider.disable",
        "status": "success",
        "user_id": "UADMIN01",
        "entity_type": "provider",
        "entity_name": f"provider-{n}",
    }
    values.update(changes)
    return LogEntry(**values)


def test_log_lines_say_who_what_where_and_the_result() -> None:
    text_, blocks = log_views.log_message(
        [
            entry(1, detail="token rotated", event_type="provider.update"),
            entry(
                2,
                event_type="vps.reboot",
                status="error",
                entity_type="vps",
                entity_name="web-1",
                user_id=None,
            ),
        ],
        20,
    )
    assert text_ == "Latest activity: 2 event(s)"
    data = [b.to_dict() for b in blocks]
    lines = data[1]["text"]["text"].split("\n")
    assert lines[0] == (
        ":white_check_mark: <!date^1740832200^{date_short_pretty} {time}|2025-03-01 12:30 UTC> "
        "<@UADMIN01> `provider.update` provider *provider-1* (token rotated) — success"
    )
    assert lines[1].endswith("vpsbot `vps.reboot` server *web-1* — error")
    assert lines[1].startswith(":x: ")
    assert data[-1]["elements"][0]["text"] == "That is everything recorded so far."


def test_a_log_line_about_an_admin_names_the_person() -> None:
    _, blocks = log_views.log_message(
        [
            entry(
                1,
                event_type="admin.add",
                entity_type="admin",
                entity_name=None,
                subject_user="U0CAROL",
            ),
            entry(
                2,
                event_type="admin.remove",
                entity_type="admin",
                entity_name=None,
                subject_user="<!channel>",
            ),
        ],
        20,
    )
    lines = blocks[1].to_dict()["text"]["text"].split("\n")
    assert lines[0].endswith("<@UADMIN01> `admin.add` <@U0CAROL> — success")
    assert lines[1].endswith("<@UADMIN01> `admin.remove` — success")  # not a user id: not shown
    assert "<!channel>" not in lines[1]


def test_log_of_fifty_long_entries_fits_a_message() -> None:
    entries = [entry(n, entity_name="x" * 300, detail="y" * 300) for n in range(50)]
    _, blocks = log_views.log_message(entries, 50)
    data = [b.to_dict() for b in blocks]
    assert len(data) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in data if "text" in b)
    assert sum(b["text"]["text"].count("`provider.disable`") for b in data) == 50


def test_an_empty_log() -> None:
    text_, blocks = log_views.log_message([], 20)
    assert text_ == "No activity recorded yet."
    assert [b.to_dict()["text"]["text"] for b in blocks] == ["No activity recorded yet."]


def test_details_of_admin_events() -> None:
    assert log_views.detail_of("provider.update", {"change": "name", "previous": "a"}) == (
        "renamed from a"
    )
    assert log_views.detail_of("plans.import", {"plans": 8, "markup": "20%"}) == (
        "8 plan(s), markup 20%"
    )
    assert log_views.detail_of(
        "plans.update", {"plan": "g6", "change": "markup", "markup": "2.50"}
    ) == ("g6: markup $2.50")
    assert log_views.detail_of("allowlist.update", {"allowed": "all"}) == "allowed: all"
    assert log_views.detail_of("provider.delete", {"forced": True}) == "forced"
    assert log_views.detail_of(
        "vps.create", {"label": "x", "provider": "do", "stage": "requested"}
    ) == ("provider do, stage requested")


def test_the_add_form_offers_the_operators_endpoints_never_a_typed_url() -> None:
    data = rendered(
        provider_forms.add_provider_view(
            [("digitalocean", "DigitalOcean")], ["https://do-proxy.corp.example"], root="V1"
        )
    )
    element = block(data, "api_url")["element"]
    assert element["type"] == "static_select"
    assert [o["value"] for o in element["options"]] == [
        "official",
        "https://do-proxy.corp.example",
    ]
    assert element["initial_option"]["value"] == "official"

"""OAuth mode end to end: two workspaces installed over HTTP, each with its own
sandbox provider account, never reaching each other's rows, an uninstall, and
Bolt's cached ``auth.test`` answers going with it.

The real Bolt app with its OAuth flow, the Slack stand-in answering
``oauth.v2.access`` and ``auth.test`` per token, two sandboxes and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select, text

from bot.admin import service as admin_ops
from bot.app.bolt import NOT_INSTALLED, build_bolt_app, settle_listeners
from bot.app.http import build_web_app
from bot.core.config import Settings
from bot.core.installs import AUTHORIZE_SECONDS
from bot.core.services import Services
from bot.core.tags import VPSBOT_TAG
from bot.status import service as status
from bot.status.drift import Reconciler
from db.engine import Database
from db.models import CreateDraft, VpsInstance
from db.repo import activity, instances, plans, providers, workspaces
from providers.models import CreateRequest
from standins.playground.slack_api import SlackStandIn
from standins.playground.slack_client import SlackSender
from standins.playground.slack_client import state_value as sv
from standins.sandbox import Sandbox
from tests.e2e.conftest import SIGNING_SECRET, Bot, handled
from tests.e2e.session import CreateSession
from tests.e2e.test_servers_actions import Owner, create_server, follow, load

JSON = dict[str, Any]
ONE, TWO = "T0ONE", "T0TWO"
ANN, BOB = "UANN0001", "UBOB0001"


@dataclass
class Multi:
    services: Services
    api: SlackStandIn
    url: str
    http: aiohttp.ClientSession
    sandboxes: dict[str, Sandbox]

    def sender(self, team: str, user: str) -> SlackSender:
        return SlackSender(
            f"{self.url}/slack/events",
            SIGNING_SECRET,
            team_id=team,
            user_id=user,
            api=self.api,
            ack_timeout=3.0,
        )


async def _install(multi: Multi, team: str, user: str) -> str:
    """The browser's part of an install: /slack/install, Slack's approval (the
    stand-in issues the code), then the redirect back with code and state."""
    async with multi.http.get(f"{multi.url}/slack/install") as response:
        assert response.status == 200
        page = await response.text()
        # Bolt's state cookie is Secure (a browser sends it back over https only)
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    found = re.search(r"[?&]state=([^&\"']+)", page)
    assert found, page
    code = multi.api.issue_code(team, user, team_name=f"Team {team}")
    async with multi.http.get(
        f"{multi.url}/slack/oauth_redirect",
        params={"code": code, "state": found.group(1)},
        headers={"Cookie": cookie},
    ) as response:
        body = await response.text()
        assert response.status == 200, body
    assert "vpsbot is installed" in body and f"Team {team}" in body
    return multi.api.token_of(team)


@pytest.fixture
async def multi(db: Database, database_url: str, fernet_keys: list[str]) -> AsyncIterator[Multi]:
    api = SlackStandIn(bot_token="xoxb-unused", team_id=ONE)
    await api.start()
    boxes = {team: Sandbox(provision_seconds=30.0, linode_create_limit=None) for team in (ONE, TWO)}
    for box in boxes.values():
        await box.start()
    settings = Settings(
        slack_client_id=api.client_id,
        slack_client_secret=api.client_secret,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=api.base_url,
        database_url=database_url,
        vpsbot_encryption_keys=",".join(fernet_keys),
        _env_file=None,
    )
    services = Services.build(settings, database_url=database_url)
    await services.start()
    runner = web.AppRunner(build_web_app(services, build_bolt_app(services)), shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
    yield Multi(services, api, f"http://127.0.0.1:{port}", http, boxes)
    await http.close()
    await runner.cleanup()
    await services.aclose()
    for box in boxes.values():
        await box.stop()
    await api.stop()


async def _with_providers(multi: Multi) -> dict[str, Any]:
    rows = {}
    for team, name in ((ONE, "linode-one"), (TWO, "linode-two")):
        box = multi.sandboxes[team]
        rows[team] = await admin_ops.add_provider(
            multi.services,
            type="linode",
            name=name,
            token=box.tokens["linode"],
            api_url=box.linode_url,
            trusted=True,
            team_id=team,
        )
        await admin_ops.import_plans(
            multi.services, name, admin_ops.Markup(percent=Decimal(10)), team_id=team
        )
    return rows


async def _rows(db: Database, sql: str) -> list[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(text(sql))]


async def test_two_installs_keep_their_tokens_sealed_and_their_installers_as_admins(
    multi: Multi,
) -> None:
    one = await _install(multi, ONE, ANN)
    two = await _install(multi, TWO, BOB)
    assert one != two
    bots = await _rows(multi.services.db, "SELECT team_id, bot_token FROM slack_bots ORDER BY 1")
    assert [team for team, _ in bots] == [ONE, TWO]
    for _, stored in bots:
        assert not stored.startswith("xox")  # sealed, never plaintext
    assert await _rows(
        multi.services.db, "SELECT team_id, user_id FROM workspace_admins ORDER BY 1"
    ) == [(ONE, ANN), (TWO, BOB)]
    # each workspace is reached with its own token
    assert (await multi.services.slack_for(ONE)).token == one  # type: ignore[union-attr]
    assert (await multi.services.slack_for(TWO)).token == two  # type: ignore[union-attr]


async def test_opening_the_install_page_writes_no_state_row(multi: Multi) -> None:
    """The public install URL costs nothing per visit: the state is signed and
    written only when an install comes back with it."""
    for _ in range(30):
        async with multi.http.get(f"{multi.url}/slack/install") as response:
            assert response.status == 200
    assert await _rows(multi.services.db, "SELECT count(*) FROM slack_oauth_states") == [(0,)]
    await _install(multi, ONE, ANN)
    assert await _rows(multi.services.db, "SELECT count(*) FROM slack_oauth_states") == [(1,)]


async def test_a_failed_install_gets_a_friendly_page(multi: Multi) -> None:
    async with multi.http.get(f"{multi.url}/slack/oauth_redirect?error=access_denied") as r:
        page = await r.text()
    assert r.status >= 400
    assert "vpsbot was not installed" in page and "cancelled" in page
    assert "Traceback" not in page


async def test_each_workspace_sees_only_its_providers_and_forged_ids_reach_nothing(
    multi: Multi,
) -> None:
    one = await _install(multi, ONE, ANN)
    await _install(multi, TWO, BOB)
    rows = await _with_providers(multi)
    ann = multi.sender(ONE, ANN)

    mark = multi.api.mark()
    assert (await ann.command("/vps", "create")).status == 200
    opened = await multi.api.wait_for_call("views.open", after=mark)
    assert opened.token == one
    shown = str(opened.response["view"])
    assert "linode-one" in shown and "linode-two" not in shown

    mark = multi.api.mark()
    assert (await ann.command("/vps", "admin")).status == 200
    home = await multi.api.wait_for_call("views.open", after=mark)
    assert home.token == one
    assert "linode-one" in str(home.response["view"])
    assert "linode-two" not in str(home.response["view"])

    # Ann (an admin of ONE) presses "Check now" naming TWO's provider id
    before = len(multi.sandboxes[TWO].requests)
    view_id = home.response["view"]["id"]
    mark = multi.api.mark()
    response = await ann.block_action("admin_check", str(rows[TWO].id), view=view_id)
    assert response.status == 200
    update = await multi.api.wait_for_call("views.update", after=mark)
    assert "no longer exists" in str(update.args) or "linode-two" not in str(update.args)
    assert "linode-two" not in str(update.args)
    assert len(multi.sandboxes[TWO].requests) == before  # nothing reached TWO's account
    async with multi.services.db.session() as session:
        log_one = await activity.for_workspace(session, ONE, operator_rows=False)
        log_two = await activity.for_workspace(session, TWO, operator_rows=False)
    assert all(entry.team_id == ONE for entry in log_one)
    assert not any(entry.entity_id == str(rows[TWO].id) for entry in log_one)
    assert any(entry.entity_id == str(rows[TWO].id) for entry in log_two)


async def test_uninstall_drops_tokens_and_drafts_keeps_servers_and_posts_nothing(
    multi: Multi,
) -> None:
    await _install(multi, ONE, ANN)
    two = await _install(multi, TWO, BOB)
    rows = await _with_providers(multi)
    async with multi.services.db.session() as session, session.begin():
        server = await instances.create_pending(
            session,
            instance_id=uuid.uuid4(),
            label="bob-box",
            team_id=TWO,
            created_by=BOB,
            provider_id=rows[TWO].id,
            provider_type="linode",
            plan_id=None,
            region="us-east",
            tag="vpsbot-bob-box",
            channel_id="C0TWO",
            configuration={},
        )
    async with multi.services.db.session() as session, session.begin():
        session.add(CreateDraft(view_id="V0TWO", team_id=TWO, user_id=BOB, step="plan", data={}))
        session.add(CreateDraft(view_id="V0ONE", team_id=ONE, user_id=ANN, step="plan", data={}))
    bob = multi.sender(TWO, BOB)
    assert multi.api.uninstall(TWO) == [two]
    response = await handled(bob.event("app_uninstalled"))
    assert response.status == 200
    assert await multi.services.slack_for(TWO) is None
    assert await _rows(multi.services.db, f"SELECT 1 FROM slack_bots WHERE team_id = '{TWO}'") == []
    mark = multi.api.mark()
    await status.publish(multi.services, server.id)
    assert [c for c in multi.api.calls[mark:] if c.token == two] == []
    # the server stays, and a reinstall reaches it again with the new token
    new = await _install(multi, TWO, BOB)
    assert new != two
    client = await multi.services.slack_for(TWO)
    assert client is not None and client.token == new
    async with multi.services.db.session() as session:
        assert (await instances.get_for_team(session, server.id, TWO)) is not None
        assert (await instances.get_for_team(session, server.id, ONE)) is None
        assert await workspaces.admins_of(session, TWO) == [BOB]
        scope = multi.services.scope(TWO)
        assert [r.name for r in await providers.list_all(session, scope=scope)] == ["linode-two"]
    # its unfinished create drafts went with the uninstall; ONE's stayed
    drafts = await _rows(multi.services.db, "SELECT view_id FROM create_drafts ORDER BY 1")
    assert drafts == [("V0ONE",)]


async def test_authorize_reads_the_database_once_per_workspace_not_per_request(
    multi: Multi,
) -> None:
    one = await _install(multi, ONE, ANN)
    await _with_providers(multi)
    store = multi.services.installations
    assert store is not None
    ann = multi.sender(ONE, ANN)
    assert (await ann.command("/vps", "list")).status == 200
    reads, mark = store.bot_reads, multi.api.mark()
    for _ in range(5):
        assert (await ann.command("/vps", "list")).status == 200
    assert store.bot_reads == reads  # answered from the cache
    assert [c for c in multi.api.calls[mark:] if c.method == "auth.test"] == []
    # an uninstall drops the cached token at once: the next request is refused
    assert (await handled(ann.event("app_uninstalled"))).status == 200
    multi.api.revoke(one)
    mark, told = multi.api.mark(), len(multi.api.responses)
    refused = await ann.command("/vps", "list")
    assert store.bot_reads == reads + 1
    # no listener ran (a listing would be in the ack), no Web API call was made; the
    # person is told through the command's response_url, which needs no token
    assert refused.text == ""
    assert multi.api.calls[mark:] == []
    post = await multi.api.wait_for_response(after=told)
    assert post.payload["text"] == NOT_INSTALLED


async def test_auth_test_answers_go_with_an_uninstall_and_a_silent_revocation_ages_out(
    multi: Multi,
) -> None:
    store = multi.services.installations
    assert store is not None
    clock = [1000.0]
    store.authorized.timer = lambda: clock[0]
    one = await _install(multi, ONE, ANN)
    two = await _install(multi, TWO, BOB)
    await _with_providers(multi)
    ann, bob = multi.sender(ONE, ANN), multi.sender(TWO, BOB)
    mark = multi.api.mark()
    for sender in (ann, bob, ann, bob):
        assert (await sender.command("/vps", "list")).status == 200
    asked = [c.token for c in multi.api.calls[mark:] if c.method == "auth.test"]
    assert sorted(asked) == sorted([one, two])  # once a token, then from the cache
    assert one in store.authorized and two in store.authorized
    left_behind = store.authorized[two]

    # TWO uninstalls: its answer goes with its token, ONE's stays
    multi.api.uninstall(TWO)
    assert (await handled(bob.event("app_uninstalled"))).status == 200
    assert two not in store.authorized and one in store.authorized
    # and an answer left behind could authorize nothing: the token is looked up first
    store.authorized[two] = left_behind
    mark, told = multi.api.mark(), len(multi.api.responses)
    assert (await bob.command("/vps", "list")).text == ""
    assert multi.api.calls[mark:] == []
    assert (await multi.api.wait_for_response(after=told)).payload["text"] == NOT_INSTALLED

    # Slack revokes ONE's token and the event never reaches vpsbot: the answer is
    # trusted until it ages out, then Slack is asked again and the request refused
    multi.api.revoke(one)
    served = await ann.command("/vps", "list")
    assert served.data["response_type"] == "ephemeral"
    clock[0] += AUTHORIZE_SECONDS
    mark, told = multi.api.mark(), len(multi.api.responses)
    assert (await ann.command("/vps", "list")).text == ""
    asked_again = [c for c in multi.api.calls[mark:] if c.method == "auth.test"]
    assert len(asked_again) == 1 and not asked_again[0].ok
    assert (await multi.api.wait_for_response(after=told)).payload["text"] == NOT_INSTALLED
    assert one not in store.authorized


def _bot_of(multi: Multi, team: str, user: str, rows: dict[str, Any]) -> Bot:
    """One workspace's view of the shared vpsbot, in the shape the e2e helpers take."""
    return Bot(
        multi.services,
        multi.api,
        multi.sandboxes[team],
        multi.sender(team, user),
        multi.url,
        {"linode": rows[team]},
    )


async def test_servers_of_two_workspaces_never_cross_even_with_forged_ids(multi: Multi) -> None:
    one = await _install(multi, ONE, ANN)
    two = await _install(multi, TWO, BOB)
    rows = await _with_providers(multi)
    bot_one, bot_two = _bot_of(multi, ONE, ANN, rows), _bot_of(multi, TWO, BOB, rows)
    mark = multi.api.mark()
    mine = await create_server(bot_one, "linode", "ann-box", user=ANN, team=ONE)
    theirs = await create_server(bot_two, "linode", "bob-box", user=BOB, team=TWO)
    cards = [c for c in multi.api.calls[mark:] if c.method == "chat.postMessage"]
    assert {c.token for c in cards if "ann-box" in str(c.args)} == {one}
    assert {c.token for c in cards if "bob-box" in str(c.args)} == {two}

    listed = (await bot_one.slack.command("/vps", "list")).data
    assert "ann-box" in str(listed) and "bob-box" not in str(listed)
    shown = (await bot_one.slack.command("/vps", "show bob-box")).data
    assert "bob-box" not in str(shown.get("blocks", ""))

    # Ann, the first admin of ONE, names TWO's server in every action and modal
    before = await load(bot_two, theirs)
    requests = len(multi.sandboxes[TWO].requests)
    attacker = Owner(bot_one, theirs)
    for action in ("vps_act_reboot", "vps_act_power_off", "vps_delete", "vps_resize"):
        answer = await attacker.press(action)
        assert answer["text"] == "That server does not exist in this workspace."
    options = await attacker.slack.block_suggestion(
        "vps_rebuild_image",
        "",
        view={"callback_id": "vps_rebuild_modal", "private_metadata": f'{{"id": "{theirs}"}}'},
    )
    assert options.data == {"options": []}
    assert len(multi.sandboxes[TWO].requests) == requests  # nothing reached TWO's account
    after = await load(bot_two, theirs)
    assert (after.status, after.configuration) == (before.status, before.configuration)
    assert (await load(bot_one, mine)).team_id == ONE


async def test_a_forged_provider_id_in_the_create_modal_falls_back_to_the_workspaces_own(
    multi: Multi,
) -> None:
    await _install(multi, ONE, ANN)
    await _install(multi, TWO, BOB)
    rows = await _with_providers(multi)
    bot_one = _bot_of(multi, ONE, ANN, rows)
    user = CreateSession(bot_one)
    await user.open("forged")
    requests = len(multi.sandboxes[TWO].requests)
    # the provider menu's value replaced by TWO's provider id
    view = await user._action("create_provider", "provider", str(rows[TWO].id))
    assert "linode-two" not in str(view) and "linode-one" in str(view)
    options = await bot_one.slack.block_suggestion("create_plan", "", view=user.view_id)
    assert options.status == 200
    offered = {
        o["value"] for g in options.data.get("option_groups", [options.data]) for o in g["options"]
    }
    async with multi.services.db.session() as session:
        own = {str(p.id) for p in await plans.list_for_provider(session, rows[ONE].id)}
    assert offered and offered <= own  # only ONE's plans
    assert len(multi.sandboxes[TWO].requests) == requests


async def test_revoked_mid_provisioning_settles_quietly_and_the_other_workspace_goes_on(
    multi: Multi,
) -> None:
    one = await _install(multi, ONE, ANN)
    two = await _install(multi, TWO, BOB)
    rows = await _with_providers(multi)
    bot_one, bot_two = _bot_of(multi, ONE, ANN, rows), _bot_of(multi, TWO, BOB, rows)
    # TWO's server is at the provider, its row still provisioning, when TWO revokes
    instance_id = uuid.uuid4()
    server = await multi.services.provider_for(rows[TWO]).create_instance(
        CreateRequest(
            label="bob-late",
            region="us-east",
            plan="g6-nanode-1",
            image="linode/ubuntu24.04",
            tag=f"vpsbot-{instance_id}",
            root_password="Create-Pass-1234",
            extra_tags=[VPSBOT_TAG],
        )
    )
    async with multi.services.db.session() as session, session.begin():
        await instances.create_pending(
            session,
            instance_id=instance_id,
            label="bob-late",
            team_id=TWO,
            created_by=BOB,
            provider_id=rows[TWO].id,
            provider_type="linode",
            plan_id=None,
            region="us-east",
            tag=f"vpsbot-{instance_id}",
            channel_id="C0TWO",
            configuration={},
        )
        await instances.mark(session, instance_id, provider_instance_id=server.id)
        await instances.schedule_watch(session, instance_id)
    revoked = await handled(
        bot_two.slack.event("tokens_revoked", tokens={"oauth": [], "bot": ["U0BOTX"]})
    )
    assert revoked.status == 200
    multi.api.revoke(two)
    mark = multi.api.mark()
    settled = await follow(bot_two, instance_id)
    assert settled.status == "running"
    assert [c for c in multi.api.calls[mark:] if c.token == two] == []
    # ONE is unaffected: its server is created and its card posted with its token
    mark = multi.api.mark()
    await create_server(bot_one, "linode", "ann-box", user=ANN, team=ONE)
    cards = [c for c in multi.api.calls[mark:] if c.method == "chat.postMessage"]
    assert cards and {c.token for c in cards} == {one}


async def test_an_org_wide_grid_install_serves_its_workspaces_apart(multi: Multi) -> None:
    org, team_a, team_b = "E0ORG", "T0GA", "T0GB"
    async with multi.http.get(f"{multi.url}/slack/install") as response:
        page = await response.text()
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    state = re.search(r"[?&]state=([^&\"']+)", page)
    assert state
    code = multi.api.issue_code("", ANN, enterprise_id=org, org_wide=True)
    async with multi.http.get(
        f"{multi.url}/slack/oauth_redirect",
        params={"code": code, "state": state.group(1)},
        headers={"Cookie": cookie},
    ) as response:
        assert response.status == 200, await response.text()
    token = multi.api.token_of(org)
    assert await _rows(multi.services.db, "SELECT team_id, enterprise_id FROM slack_bots") == [
        (None, org)
    ]
    boxes = {team_a: multi.sandboxes[ONE], team_b: multi.sandboxes[TWO]}
    rows = {}
    for team, box in boxes.items():
        rows[team] = await admin_ops.add_provider(
            multi.services,
            type="linode",
            name=f"linode-{team.lower()}",
            token=box.tokens["linode"],
            api_url=box.linode_url,
            trusted=True,
            team_id=team,
        )
        await admin_ops.import_plans(
            multi.services, rows[team].name, admin_ops.Markup(percent=Decimal(0)), team_id=team
        )

    def member(team: str, user: str) -> SlackSender:
        sender = multi.sender(team, user)
        sender.enterprise_id = org
        sender.enterprise_install = True
        return sender

    ann_a, bob_b = member(team_a, ANN), member(team_b, BOB)
    for sender, own, other in (
        (ann_a, "linode-t0ga", "linode-t0gb"),
        (bob_b, "linode-t0gb", "linode-t0ga"),
    ):
        mark = multi.api.mark()
        assert (await sender.command("/vps", "create")).status == 200
        opened = await multi.api.wait_for_call("views.open", after=mark)
        assert opened.token == token  # the org's install answers for each workspace
        assert own in str(opened.response["view"]) and other not in str(opened.response["view"])
    # the installer is the org's first vpsbot admin, in each of its workspaces
    mark = multi.api.mark()
    assert (await ann_a.command("/vps", "admin")).status == 200
    home = await multi.api.wait_for_call("views.open", after=mark)
    assert "linode-t0ga" in str(home.response["view"])
    # a background post for a server of one workspace finds the org's token
    bot_b = Bot(
        multi.services, multi.api, boxes[team_b], bob_b, multi.url, {"linode": rows[team_b]}
    )
    mark = multi.api.mark()
    await create_server(bot_b, "linode", "grid-box", user=BOB, team=team_b)
    cards = [c for c in multi.api.calls[mark:] if c.method == "chat.postMessage"]
    assert cards and {c.token for c in cards} == {token}
    # uninstalling the org removes its token: nothing more is posted to its workspaces
    assert (await handled(bob_b.event("app_uninstalled"))).status == 200
    assert await _rows(multi.services.db, "SELECT 1 FROM slack_bots") == []
    assert await multi.services.slack_for(team_a) is None


async def _operator_provider(
    multi: Multi, type_: str, name: str, *, shared_with: tuple[str, ...]
) -> Any:
    """An operator-level provider on ONE's sandbox account, its plans imported at
    cost, shared with ``shared_with``."""
    box = multi.sandboxes[ONE]
    operator = await admin_ops.add_provider(
        multi.services,
        type=type_,
        name=name,
        token=box.tokens[type_],
        api_url=box.linode_url if type_ == "linode" else box.digitalocean_url,
        trusted=True,
    )
    await admin_ops.import_plans(multi.services, name, admin_ops.Markup(percent=Decimal(0)))
    async with multi.services.db.session() as session, session.begin():
        for team in shared_with:
            await providers.share(session, operator.id, team)
    multi.services.offers.clear()
    return operator


async def test_a_shared_operator_provider_is_offered_only_where_shared(multi: Multi) -> None:
    one = await _install(multi, ONE, ANN)
    two = await _install(multi, TWO, BOB)
    await _operator_provider(multi, "linode", "operator-linode", shared_with=(ONE,))
    mark = multi.api.mark()
    assert (await multi.sender(ONE, ANN).command("/vps", "create")).status == 200
    opened = await multi.api.wait_for_call("views.open", after=mark)
    assert opened.token == one
    assert "operator-linode" in str(opened.response["view"])
    # nothing is set up for TWO: Bob is told so, and no modal opens
    mark, told = multi.api.mark(), len(multi.api.responses)
    assert (await multi.sender(TWO, BOB).command("/vps", "create")).status == 200
    post = await multi.api.wait_for_response(after=told)
    assert "No cloud provider is set up yet" in post.payload["text"]
    assert multi.api.calls_to("views.open")[mark:] == []
    assert [c for c in multi.api.calls[mark:] if c.token not in (None, two)] == []
    # Ann may use it but not manage it: her admin home does not list it
    mark = multi.api.mark()
    await multi.sender(ONE, ANN).command("/vps", "admin")
    home = await multi.api.wait_for_call("views.open", after=mark)
    assert "operator-linode" not in str(home.response["view"])


async def test_a_shared_providers_calls_count_against_the_workspace_that_made_them(
    multi: Multi,
) -> None:
    """The fair share of a shared account: every provider call made for Ann's steps,
    after the ack too, is counted for her workspace and none for the other."""
    await _install(multi, ONE, ANN)
    await _install(multi, TWO, BOB)
    box = multi.sandboxes[ONE]
    operator = await _operator_provider(
        multi, "digitalocean", "operator-do", shared_with=(ONE, TWO)
    )
    ann = Bot(
        multi.services,
        multi.api,
        box,
        multi.sender(ONE, ANN),
        multi.url,
        {"digitalocean": operator},
    )
    before = len(box.requests)
    user = CreateSession(ann)
    await user.open("shared-one")
    await user.plan_step("digitalocean", "s-1vcpu-1gb", "ams3", label="shared-one")
    await user.submit({"deployment": {"deployment": sv.static_select("none")}})
    await settle_listeners(5)
    made = len(box.requests) - before
    assert made > 0  # catalogues read for her steps
    client = multi.services.provider_for(operator).inner.api  # type: ignore[attr-defined]
    fair = client.account.fair
    assert fair is not None
    assert fair.used(ONE) == made
    assert fair.used(TWO) == 0


async def test_slack_admins_are_asked_about_with_their_own_workspaces_token(
    multi: Multi,
) -> None:
    await _install(multi, ONE, ANN)
    two = await _install(multi, TWO, BOB)
    carol = "UCAROL01"
    multi.api.users[carol] = {"id": carol, "team_id": TWO, "is_admin": True}
    mark = multi.api.mark()
    assert (await multi.sender(TWO, carol).command("/vps", "admin")).status == 200
    opened = await multi.api.wait_for_call("views.open", after=mark)
    assert opened.token == two
    asked = [c for c in multi.api.calls[mark:] if c.method == "users.info"]
    assert asked and {c.token for c in asked} == {two}
    # the same user id claiming to be in ONE is no admin there (not named, not Slack's)
    multi.api.users[carol] = {"id": carol, "team_id": TWO, "is_admin": True}
    mark = multi.api.mark()
    refused = await multi.sender(ONE, carol).command("/vps", "admin")
    assert "Only vpsbot admins" in refused.text
    assert multi.api.calls_to("views.open")[mark:] == []


async def test_an_installer_names_a_second_admin_from_slack_and_takes_it_back(
    multi: Multi, captured_logs: pytest.LogCaptureFixture
) -> None:
    await _install(multi, ONE, ANN)
    carol, hook, dave = "UCAROL01", "UHOOK001", "UDAVE001"
    multi.api.users[carol] = {"name": "carol"}
    multi.api.users[hook] = {"name": "deploy-hook", "is_bot": True}
    multi.api.users[dave] = {"name": "dave", "is_admin": True}  # Slack's own workspace admin
    ann, as_carol, as_dave = (multi.sender(ONE, user) for user in (ANN, carol, dave))

    async def open_home(sender: SlackSender) -> str:
        mark = multi.api.mark()
        assert (await sender.command("/vps", "admin")).text == ""
        opened = await multi.api.wait_for_call("views.open", after=mark)
        return str(opened.response["view"]["id"])

    async def rendered(home: str, mark: int, expect: str) -> JSON:
        await multi.api.wait_for_call(
            "views.update",
            after=mark,
            predicate=lambda c: c.args.get("view_id") == home and expect in str(c.args),
        )
        return multi.api.views[home]

    async def pick(sender: SlackSender, home: str, user: str, expect: str) -> JSON:
        mark = multi.api.mark()
        picked = await sender.block_action(
            "admin_add_admin",
            block_id="admins",
            view=home,
            action_type="users_select",
            extra={"selected_user": user},
        )
        assert picked.status == 200
        return await rendered(home, mark, expect)

    async def remove(sender: SlackSender, home: str, user: str, expect: str) -> JSON:
        mark = multi.api.mark()  # Slack asked "Remove this admin?" and they said Remove
        pressed = await sender.block_action(
            "admin_remove_admin", user, block_id=f"admin:{user}", view=home
        )
        assert pressed.status == 200
        return await rendered(home, mark, expect)

    def listed(view: JSON) -> list[str]:
        return [
            b["block_id"].removeprefix("admin:")
            for b in view["blocks"]
            if b.get("block_id", "").startswith("admin:")
        ]

    def said(view: JSON) -> str:
        return str(next(b for b in view["blocks"] if b.get("block_id") == "admins_notice"))

    # Carol is nobody's admin yet
    assert "Only vpsbot admins" in (await as_carol.command("/vps", "admin")).text

    # Ann installed vpsbot: her admin home lists her as its first named admin
    home = await open_home(ann)
    first = next(b for b in multi.api.views[home]["blocks"] if b.get("block_id") == f"admin:{ANN}")
    assert "(you) · installed vpsbot" in first["text"]["text"]

    # she picks the deploy bot by mistake, then Carol
    view = await pick(ann, home, hook, "is a bot")
    assert listed(view) == [ANN]
    view = await pick(ann, home, carol, "is now a vpsbot admin")
    assert listed(view) == [ANN, carol]
    assert f"named by <@{ANN}>" in str(view["blocks"])

    # Carol's /vps admin opens now: the cached "no" went with the change
    carols = await open_home(as_carol)
    assert listed(multi.api.views[carols]) == [ANN, carol]

    # Ann cannot remove herself; she removes Carol, who is refused again
    view = await remove(ann, home, ANN, "cannot remove yourself")
    assert listed(view) == [ANN, carol]
    view = await remove(ann, home, carol, "is no longer a named vpsbot admin")
    assert listed(view) == [ANN]
    assert "Only vpsbot admins" in (await as_carol.command("/vps", "admin")).text
    # her admin home is still open: picking herself in it is refused before any listener
    captured_logs.clear()
    again = await as_carol.block_action(
        "admin_add_admin",
        block_id="admins",
        view=carols,
        action_type="users_select",
        extra={"selected_user": carol},
    )
    assert again.status == 200 and again.text == ""
    assert f"by non-admin {carol} in {ONE} refused" in captured_logs.text

    # Dave, a Slack workspace admin, may not leave the workspace without a named admin
    daves = await open_home(as_dave)
    view = await remove(as_dave, daves, ANN, "is the last named vpsbot admin")
    assert listed(view) == [ANN] and ":warning:" in said(view)

    # the audit trail tells it; Carol never named herself
    async with multi.services.db.session() as session:
        assert await workspaces.admins_of(session, ONE) == [ANN]
    log = str((await ann.command("/vps", "log")).data["blocks"])
    assert f"<@{ANN}> `admin.add` <@{carol}> — success" in log
    assert f"<@{ANN}> `admin.remove` <@{carol}> — success" in log
    assert hook not in log


async def test_revoked_while_the_provider_creates_nothing_uses_the_revoked_token(
    multi: Multi,
) -> None:
    await _install(multi, ONE, ANN)
    two = await _install(multi, TWO, BOB)
    box = multi.sandboxes[TWO]
    do_two = await admin_ops.add_provider(
        multi.services,
        type="digitalocean",
        name="do-two",
        token=box.tokens["digitalocean"],
        api_url=box.digitalocean_url,
        trusted=True,
        team_id=TWO,
    )
    await admin_ops.import_plans(
        multi.services, "do-two", admin_ops.Markup(percent=Decimal(0)), team_id=TWO
    )
    bob = Bot(
        multi.services, multi.api, box, multi.sender(TWO, BOB), multi.url, {"digitalocean": do_two}
    )
    user = CreateSession(bob)
    await user.open("late-one")
    await user.plan_step("digitalocean", "s-1vcpu-1gb", "ams3", label="late-one")
    await user.submit({"deployment": {"deployment": sv.static_select("none")}})
    await user.submit({"image": {"image": sv.static_select("ubuntu-24-04-x64")}})
    review = await user.submit({"options": {"options": sv.checkboxes([])}})
    assert review.data["view"]["callback_id"] == "vps_create:review"
    box.inject("digitalocean", method="POST", path="/v2/droplets", latency=1.5)
    await user.submit({})  # Create: the droplet takes 1.5 s to be accepted
    await asyncio.sleep(0.3)
    assert (
        await handled(bob.slack.event("tokens_revoked", tokens={"oauth": [], "bot": ["U0BOT"]}))
    ).status == 200
    multi.api.revoke(two)
    mark = multi.api.mark()
    row = None
    for _ in range(100):
        async with multi.services.db.session() as session:
            row = (
                await session.execute(select(VpsInstance).where(VpsInstance.team_id == TWO))
            ).scalar_one_or_none()
        if row is not None and row.provider_instance_id:
            break
        await asyncio.sleep(0.05)
    assert row is not None and row.provider_instance_id
    await asyncio.sleep(0.3)  # the create's follow-ups (password, modal, card) have run
    settled = await follow(bob, row.id)
    assert settled.status == "running" and settled.ip_address
    assert [c for c in multi.api.calls[mark:] if c.token == two] == []
    # ONE is unaffected
    listed = await multi.sender(ONE, ANN).command("/vps", "list")
    assert listed.status == 200 and listed.data["response_type"] == "ephemeral"


async def test_drift_reports_orphans_to_their_own_workspaces_admins_only(multi: Multi) -> None:
    one = await _install(multi, ONE, ANN)
    two = await _install(multi, TWO, BOB)
    rows = await _with_providers(multi)
    await multi.services.provider_for(rows[TWO]).create_instance(
        CreateRequest(
            label="lost-two",
            region="us-east",
            plan="g6-nanode-1",
            image="linode/debian12",
            tag=f"vpsbot-{uuid.uuid4()}",
            root_password="Lost-Pass-12345",
            extra_tags=[VPSBOT_TAG],
        )
    )
    mark = multi.api.mark()
    report = await Reconciler(multi.services).cycle(force=True)
    assert report is not None and len(report.orphans) == 1
    posts = [c for c in multi.api.calls[mark:] if c.method == "chat.postMessage"]
    assert [(c.args["channel"], c.token) for c in posts] == [(BOB, two)]
    assert "lost-two" in posts[0].args["text"]
    assert not any(c.token == one for c in multi.api.calls[mark:])
    async with multi.services.db.session() as session:
        log_two = await activity.for_workspace(session, TWO, operator_rows=False)
        log_one = await activity.for_workspace(session, ONE, operator_rows=False)
    assert any(e.event_type == "vps.orphans" for e in log_two)
    assert not any(e.event_type == "vps.orphans" for e in log_one)


async def test_a_later_installer_becomes_admin_only_when_none_is_left(multi: Multi) -> None:
    """Any member may install apps in many workspaces: a reinstall by someone else
    grants nothing while a named admin is left; each install is audited either way."""
    await _install(multi, ONE, ANN)
    await _install(multi, ONE, BOB)  # a reinstall, say for new scopes
    admins = "SELECT team_id, user_id FROM workspace_admins ORDER BY 1, 2"
    assert await _rows(multi.services.db, admins) == [(ONE, ANN)]
    async with multi.services.db.session() as session, session.begin():
        await workspaces.remove_admin(session, ONE, ANN)  # none named any more
    await _install(multi, ONE, BOB)
    assert await _rows(multi.services.db, admins) == [(ONE, BOB)]
    audited = await _rows(
        multi.services.db,
        "SELECT user_id, metadata->>'new_admin' FROM activity_logs "
        "WHERE event_type = 'workspace.installed' ORDER BY id",
    )
    assert audited == [(ANN, "true"), (BOB, "false"), (BOB, "true")]

"""Hypothesis strategies for every request vpsbot handles, valid-looking and not.

Each payload starts from the shape Slack sends (built here, with ids the stand-in
knows and real view, server and provider ids from the seeded stack), then gets a
few mutations: a field dropped, set to ``None``, to another JSON type, or to odd
text (NULs, lone surrogates, right-to-left marks, 70,000 characters).

The ids come from the listeners' own constants, so a renamed id follows; the
``test_every_listener_is_reached`` check in ``test_interactions.py`` fails when a
listener is registered that none of these ids reaches.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from hypothesis import strategies as st

from bot.admin import policy_listeners as admin_policy
from bot.admin import views as admin_views
from bot.approvals import extend as approvals_extend
from bot.create.elsewhere import SWITCH_ACTION
from bot.create.views import BACK_ACTION
from bot.create.views import CALLBACK_PREFIX as CREATE_PREFIX
from bot.home import views as home_views
from bot.servers import graphs as server_graphs
from bot.servers import modals as server_modals
from bot.servers import views as server_views
from bot.spend import requests as spend_requests
from bot.status import leases
from bot.status.views import ACTION_CREATE_AGAIN
from tests.fuzz.stack import ADMIN, TEAM, USER, Stack

__all__ = [
    "ACTION_IDS",
    "BLOCK_ACTIONS",
    "BLOCK_SUGGESTION",
    "CALLBACK_IDS",
    "COMMAND",
    "EVENTS",
    "GLOBAL_SHORTCUT",
    "MESSAGE_SHORTCUT",
    "OVERSIZED_IDS",
    "SUBCOMMANDS",
    "SUGGESTION_IDS",
    "VIEW_CLOSED",
    "VIEW_SUBMISSION",
    "WORKFLOW_STEP_EDIT",
    "Targets",
    "junk_text",
]

JSON = dict[str, Any]

SUBCOMMANDS = ["help", "create", "list", "show", "admin", "log", "cost"]

_DIRECT = ("power_on", "shutdown", "power_off", "reboot", "power_cycle")
ACTION_IDS = [
    # create modal
    "create_provider",
    "create_plan",
    "create_deployment_pick",
    BACK_ACTION,
    SWITCH_ACTION,  # the same size elsewhere
    ACTION_CREATE_AGAIN,  # on a server's details and card
    # admin home and plans
    admin_views.ADD_ACTION,
    admin_views.REFRESH_ACTION,
    admin_views.PLANS_ACTION,
    admin_views.ALLOW_ACTION,
    admin_views.CHECK_ACTION,
    admin_views.TOGGLE_ACTION,
    admin_views.MORE_ACTION,
    admin_views.IMPORT_ACTION,
    admin_views.PLAN_ACTION,
    admin_views.PAGE_ACTION,
    admin_policy.POLICY_ACTION,
    admin_views.ADD_ADMIN_ACTION,
    admin_views.REMOVE_ADMIN_ACTION,
    # approvals, leases and the Home tab
    spend_requests.APPROVE_ACTION,
    spend_requests.DENY_ACTION,
    leases.EXTEND_ACTION,
    home_views.HOME_REFRESH,
    home_views.HOME_CREATE,
    home_views.HOME_DETAILS,
    # server list and details
    server_views.ACTION_LIST_PROVIDER,
    server_views.ACTION_LIST_STATUS,
    server_views.ACTION_LIST_PREV,
    server_views.ACTION_LIST_NEXT,
    server_views.ACTION_DETAILS,
    server_views.ACTION_REFRESH,
    server_views.ACTION_MORE,
    *(server_views.ACTION_BUTTON_PREFIX + name for name in _DIRECT),
    server_views.ACTION_DELETE,
    server_views.ACTION_RESIZE,
    server_views.ACTION_REBUILD,
    # a server's graphs: 24 hours / 7 days
    *(f"{server_graphs.ACTION_GRAPH_WINDOW}_{window}" for window in server_graphs.WINDOWS),
]
_CREATE_STEPS = ("plan", "deployment", "image", "config", "review", "message")
CALLBACK_IDS = [
    *(CREATE_PREFIX + step for step in _CREATE_STEPS),
    admin_views.HOME,
    admin_views.ADD,
    admin_views.RENAME,
    admin_views.ROTATE,
    admin_views.DELETE,
    admin_views.PLANS,
    admin_views.IMPORT,
    admin_views.MARKUP,
    admin_views.ALLOW,
    admin_policy.POLICY,
    server_modals.CALLBACK_REBUILD,
    server_modals.CALLBACK_RESIZE,
    server_modals.CALLBACK_DELETE,
    server_modals.CALLBACK_MESSAGE,
    approvals_extend.CALLBACK_EXTEND,
]
#: Views without a submit button (so no submission listener); fuzzed all the same.
NO_SUBMISSION = [admin_views.PLANS]
#: Events API events the app listens to. Reached by the reach check only: fuzzing them
#: on the shared stack would uninstall its workspace (tested in test_workspaces and
#: test_home_and_cost).
EVENT_TYPES = ["app_uninstalled", "tokens_revoked", "app_home_opened"]
SUGGESTION_IDS = [
    "create_plan",
    "image",
    server_modals.ACTION_REBUILD_IMAGE,
    server_modals.ACTION_RESIZE_PLAN,
]
#: Block ids of every input the app's forms have (the action id is the same or the listener's).
INPUT_BLOCKS = {
    "label": "label",
    "provider": "create_provider",
    "plan": "create_plan",
    "region": "region",
    "deployment": "create_deployment_pick",
    "image": "image",
    "password": "password",
    "ssh_keys": "ssh_keys",
    "options": "options",
    "vpc": "vpc",
    "udf:db_password": "udf:db_password",
    "udf:soa_email_address": "udf:soa_email_address",
    "type": "type",
    "name": "name",
    "token": "token",
    "api_url": "api_url",
    "confirm": "confirm",
    "confirm_label": "confirm_label",
    "markup_kind": "markup_kind",
    "markup": "markup",
    "mode": "mode",
    "allowed": "allowed",
    server_modals.ACTION_REBUILD_IMAGE: server_modals.ACTION_REBUILD_IMAGE,
    server_modals.ACTION_RESIZE_PLAN: server_modals.ACTION_RESIZE_PLAN,
}

# ---------------------------------------------------------------------------- text and values

_ODD = [
    "\x00",
    "\x00\x00admin",
    "\u202eevil\u202c",  # right-to-left override
    "\u200b\u200d\ufeff",  # zero-width
    "e\u0301\u0301\u0301",  # stacked combining marks
    "\U0001f4a9\U0001f3f3\ufe0f\u200d\U0001f308",
    "\ud800",  # a lone surrogate (JSON can carry it as \\ud800)
    "\udfff\ud83d",
    "'; DROP TABLE vps_instances; --",
    "%00%ff%zz",
    "<script>alert(1)</script>",
    "*bold* _it_ <!channel> <@U0001>",
    "@@vpsbot-label@@",
    "@@vpsbot-meta@@",
    "{}",
    "[]",
    "null",
    '{"channel": "C0001"}',
    " " * 64,
    "\n\r\t",
    "x" * 3000,
    "y" * 70_000,
]


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _concat(parts: tuple[str, str, str]) -> str:
    return "".join(parts)


def _junk_text(*, surrogates: bool, huge: bool) -> st.SearchStrategy[str]:
    blacklist = () if surrogates else ("Cs",)
    odd = [t for t in _ODD if (surrogates or not _has_surrogate(t)) and (huge or len(t) < 3000)]
    short = st.text(st.characters(blacklist_categories=blacklist), max_size=8)
    return st.one_of(
        st.text(st.characters(blacklist_categories=blacklist), max_size=40),
        st.sampled_from(odd),
        st.tuples(short, st.sampled_from(odd), short).map(_concat),
    )


_JUNK = {
    (surrogates, huge): _junk_text(surrogates=surrogates, huge=huge)
    for surrogates in (True, False)
    for huge in (True, False)
}


def junk_text(*, surrogates: bool = True, huge: bool = True) -> st.SearchStrategy[str]:
    """Text a user (or an attacker holding the secret) could put in a field."""
    return _JUNK[surrogates, huge]


JUNK_VALUE: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | junk_text(huge=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return found
    for key, child in items:
        path = (*prefix, key)
        found.append(path)
        if len(found) < 400:
            found.extend(_paths(child, path))
    return found


_HOW = st.sampled_from(["drop", "none", "value", "text"])


def mutate(draw: st.DrawFn, payload: JSON, *, most: int = 3) -> JSON:
    """``payload`` with up to ``most`` fields dropped or replaced by junk (in place)."""
    for _ in range(draw(st.integers(0, most))):
        paths = _paths(payload)
        if not paths:
            break
        path = paths[draw(st.integers(0, len(paths) - 1))]
        parent: Any = payload
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        how = draw(_HOW)
        if how == "drop":
            if isinstance(parent, dict):
                del parent[key]
            else:
                parent.pop(key)
        elif how == "none":
            parent[key] = None
        elif how == "value":
            parent[key] = draw(JUNK_VALUE)
        else:
            parent[key] = draw(junk_text())
    return payload


# ---------------------------------------------------------------------------- the stack's things


class Targets:
    """Real things of the seeded stack that payloads can name (set by the fixture).

    Strategies are built once, at import; they pick among these at draw time by
    index, so the same draws give the same payload whatever the ids are.
    """

    stack: Stack | None = None

    @classmethod
    def get(cls) -> Stack:
        if cls.stack is None:
            raise RuntimeError("the fuzz stack is not seeded: use the `stack` fixture")
        return cls.stack

    @classmethod
    def ids(cls) -> list[str]:
        stack = cls.get()
        real = [str(v) for v in stack.servers.values()]
        for row in stack.bot.providers.values():
            real += [str(row.id), f"off:{row.id}", f"on:{row.id}", f"rename:{row.id}"]
        real += [stack.create_view_id, stack.admin_view_id]
        real += ["rename", "rotate", "delete", "disable", "0", "1", "-1", "99999999"]
        real += ['{"provider":null,"status":null,"text":"","page":3}', "linode/debian12"]
        real += ["401697", "g6-nanode-1", "us-east", "s-1vcpu-1gb", "nyc3", "none"]
        return real


_INDEX = st.integers(0, 10_000)

#: Ids that look like Slack's (team, user, channel, view, message ts) but are longer
#: than any column holding one (``varchar(32)``), and longer than other columns
#: a value reaches (labels 64, regions 50, provider names 100).
OVERSIZED_IDS = [
    "T" + "1" * 32,
    "U" + "A" * 40,
    "W" + "B" * 33,
    "C" + "7" * 40,
    "G" + "9" * 32,
    "D" + "0" * 64,
    "V" + "8" * 40,
    "E" + "2" * 40,
    "1700000000." + "1" * 40,
    "s" * 65,
    "r" * 101,
    "g6-nanode-1" + "x" * 100,
]
OVERSIZED = st.sampled_from(OVERSIZED_IDS)


@st.composite
def _id(draw: st.DrawFn) -> str:
    """A value a button or select carries: a real id of the stack, an id too long
    for its column, else junk."""
    pick = draw(st.integers(0, 3))
    if pick <= 1:
        real = Targets.ids()
        return real[draw(_INDEX) % len(real)]
    if pick == 2:
        return draw(OVERSIZED)
    return draw(junk_text())


IDS = _id()
_ASCII = st.text(st.characters(codec="ascii"), max_size=12)
WHO = st.one_of(
    st.just((USER, TEAM)),
    st.just((ADMIN, TEAM)),
    st.tuples(st.sampled_from([USER, ADMIN, "U0BOT"]), st.sampled_from(["T0002", "", "E1"])),
    st.tuples(_ASCII, _ASCII),
    st.tuples(OVERSIZED, st.just(TEAM)),
    st.tuples(st.sampled_from([USER, ADMIN]), OVERSIZED),
)
_OPTION = st.fixed_dictionaries(
    {"value": IDS, "text": st.fixed_dictionaries({"type": st.just("plain_text"),
                                                 "text": junk_text(huge=False)})}
)  # fmt: skip
_ENTRY = st.one_of(
    st.fixed_dictionaries({"type": st.just("plain_text_input"), "value": IDS | st.none()}),
    st.fixed_dictionaries(
        {"type": st.just("static_select"), "selected_option": _OPTION | st.none()}
    ),
    st.fixed_dictionaries(
        {"type": st.just("checkboxes"), "selected_options": st.lists(_OPTION, max_size=3)}
    ),
    JUNK_VALUE,
)
_BLOCKS = sorted(INPUT_BLOCKS)


@st.composite
def _state(draw: st.DrawFn) -> JSON:
    """``view.state.values`` for some of the forms' inputs, each of a plausible element type."""
    chosen = draw(st.lists(st.sampled_from(_BLOCKS), max_size=6, unique=True))
    return {block: {INPUT_BLOCKS[block]: draw(_ENTRY)} for block in chosen}


STATE = _state()
_META = st.fixed_dictionaries(
    {},
    optional={
        "channel": st.sampled_from(["C0001", "", "D0001"]) | OVERSIZED | junk_text(huge=False),
        "root": IDS, "parent": IDS, "provider": IDS, "plan": IDS, "page": JUNK_VALUE,
        "instance": IDS, "id": IDS,
    },
)  # fmt: skip
METADATA = st.one_of(st.just(""), _META.map(json.dumps), junk_text(), JUNK_VALUE.map(json.dumps))


@st.composite
def _view(draw: st.DrawFn) -> JSON:
    """A view as Slack sends it inside a payload: a seeded one of the stand-in, or made up."""
    stack = Targets.get()
    callback_id = draw(st.sampled_from(CALLBACK_IDS))
    if draw(st.booleans()):
        view_id = draw(st.sampled_from(["create", "admin"]))
        real = stack.create_view_id if view_id == "create" else stack.admin_view_id
        # as seeded: the live view changes as cases update it
        view = copy.deepcopy(stack.seeded_views[real])
        view["state"] = {"values": draw(STATE)}
        if draw(st.booleans()):
            view["callback_id"] = callback_id
        return view
    view_id = draw(st.sampled_from(["create", "admin", "V0NOPE", "junk", "long"]))
    made_up = {"junk": junk_text(huge=False), "long": OVERSIZED}.get(view_id)
    return {
        "id": {"create": stack.create_view_id, "admin": stack.admin_view_id}.get(view_id)
        or (draw(made_up) if made_up is not None else view_id),
        # legacy workflow steps' configuration modals are of type "workflow_step"
        "type": draw(st.sampled_from(["modal", "modal", "modal", "workflow_step"])),
        "callback_id": callback_id,
        "private_metadata": draw(METADATA),
        "hash": "1.abc",
        "blocks": [],
        "state": {"values": draw(STATE)},
        "team_id": TEAM,
    }


VIEW = _view()


def _common(kind: str, user: str, team: str) -> JSON:
    return {
        "type": kind,
        "team": {"id": team, "domain": "vpsbot-test"},
        "user": {"id": user, "username": "fuzz", "name": "fuzz", "team_id": team},
        "api_app_id": "A0001",
        "token": "legacy-verification-token",
        "is_enterprise_install": False,
        "enterprise": None,
    }


# ---------------------------------------------------------------------------- requests

_WORDS = st.sampled_from(SUBCOMMANDS) | junk_text(surrogates=False, huge=False)
_FORM_TEXT = junk_text(surrogates=False)


@st.composite
def _command(draw: st.DrawFn) -> dict[str, str]:
    """The form fields of a ``/vps`` slash command (form-encoded: no lone surrogates)."""
    api = Targets.get().api
    user, team = draw(WHO)
    word = draw(_WORDS)
    word = draw(st.sampled_from([word, word.upper(), f"  {word}"]))
    rest = draw(st.one_of(st.just(""), IDS.filter(lambda t: not _has_surrogate(t)), _FORM_TEXT))
    fields = {
        "token": "legacy-verification-token",
        "team_id": team,
        "team_domain": "vpsbot-test",
        "channel_id": draw(st.sampled_from(["C0001", "D0001", "G0001"])),
        "channel_name": "general",
        "user_id": user,
        "user_name": "fuzz",
        "command": draw(st.sampled_from(["/vps", "/vps", "/vps", "/other"])),
        "text": f"{word} {rest}",
        "api_app_id": "A0001",
        "is_enterprise_install": "false",
        "response_url": api.response_url(channel="C0001"),
        "trigger_id": api.new_trigger_id(),
    }
    for name in draw(st.lists(st.sampled_from(sorted(fields)), max_size=2, unique=True)):
        if draw(st.booleans()):
            del fields[name]
        else:
            fields[name] = draw(junk_text(surrogates=False, huge=False))
    return fields


_BLOCK_IDS = st.sampled_from(["b", "nav", "vps_list:{}", "plan", "provider"]) | junk_text(
    huge=False
)


@st.composite
def _block_actions(draw: st.DrawFn) -> JSON:
    api = Targets.get().api
    user, team = draw(WHO)
    payload = _common("block_actions", user, team)
    action: JSON = {
        "action_id": draw(st.sampled_from(ACTION_IDS)),
        "block_id": draw(_BLOCK_IDS),
        "action_ts": f"{time.time():.6f}",
    }
    value = draw(IDS)
    kind = draw(
        st.sampled_from(["button", "static_select", "overflow", "checkboxes", "users_select"])
    )
    action["type"] = kind
    if kind == "button":
        action["value"] = value
    elif kind == "users_select":
        action["selected_user"] = value
    elif kind == "checkboxes":
        action["selected_options"] = [{"value": value}]
    else:
        action["selected_option"] = {"value": value, "text": {"type": "plain_text", "text": "x"}}
    payload["actions"] = [action]
    if draw(st.booleans()):  # in a modal or the App Home
        view = draw(VIEW)
        payload["view"] = view
        payload["container"] = {"type": "view", "view_id": view.get("id")}
        payload["trigger_id"] = api.new_trigger_id(str(view.get("id")))
    else:  # in a message
        ts = f"{int(time.time())}.000100"
        payload["container"] = {"type": "message", "message_ts": ts, "channel_id": "C0001"}
        payload["channel"] = {"id": "C0001", "name": "general"}
        payload["message"] = {"type": "message", "ts": ts, "text": "", "bot_id": "B0BOT"}
        payload["state"] = {"values": draw(STATE)}
        payload["response_url"] = api.response_url(channel="C0001", message_ts=ts)
        payload["trigger_id"] = api.new_trigger_id()
    return mutate(draw, payload)


_WORKFLOW_STEP = st.fixed_dictionaries(
    {
        "workflow_step_edit_id": junk_text(huge=False) | OVERSIZED,
        "workflow_id": junk_text(huge=False),
        "step_id": junk_text(huge=False),
        "inputs": st.dictionaries(st.text(max_size=6), JUNK_VALUE, max_size=3),
        "outputs": st.lists(JUNK_VALUE, max_size=3),
    }
)


@st.composite
def _view_submission(draw: st.DrawFn) -> JSON:
    user, team = draw(WHO)
    payload = _common("view_submission", user, team)
    payload["view"] = draw(VIEW)
    payload["trigger_id"] = Targets.get().api.new_trigger_id(str(payload["view"].get("id")))
    payload["response_urls"] = []
    if payload["view"].get("type") == "workflow_step" and draw(st.booleans()):
        payload["workflow_step"] = draw(_WORKFLOW_STEP)  # a legacy step's "save"
    return mutate(draw, payload)


#: Callback ids a shortcut or a legacy workflow step could carry (vpsbot defines none).
_SHORTCUT_IDS = st.sampled_from(["vps", "vps_create", "create_vps", ""]) | junk_text(huge=False)


@st.composite
def _global_shortcut(draw: st.DrawFn) -> JSON:
    user, team = draw(WHO)
    payload = _common("shortcut", user, team)
    payload["callback_id"] = draw(_SHORTCUT_IDS)
    payload["trigger_id"] = Targets.get().api.new_trigger_id()
    payload["action_ts"] = f"{time.time():.6f}"
    return mutate(draw, payload)


@st.composite
def _message_shortcut(draw: st.DrawFn) -> JSON:
    api = Targets.get().api
    user, team = draw(WHO)
    payload = _common("message_action", user, team)
    channel = draw(st.sampled_from(["C0001", "D0001"]) | OVERSIZED)
    ts = draw(st.sampled_from([f"{int(time.time())}.000100"]) | OVERSIZED)
    payload.update(
        {
            "callback_id": draw(_SHORTCUT_IDS),
            "trigger_id": api.new_trigger_id(),
            "action_ts": f"{time.time():.6f}",
            "message_ts": ts,
            "message": {"type": "message", "ts": ts, "text": draw(junk_text()), "user": user},
            "channel": {"id": channel, "name": "general"},
            "response_url": api.response_url(channel="C0001", message_ts=ts),
        }
    )
    return mutate(draw, payload)


@st.composite
def _workflow_step_edit(draw: st.DrawFn) -> JSON:
    """A legacy "Steps from apps" edit: opens a step's configuration modal."""
    user, team = draw(WHO)
    payload = _common("workflow_step_edit", user, team)
    payload["callback_id"] = draw(_SHORTCUT_IDS)
    payload["trigger_id"] = Targets.get().api.new_trigger_id()
    payload["action_ts"] = f"{time.time():.6f}"
    if draw(st.booleans()):
        payload["workflow_step"] = draw(_WORKFLOW_STEP)
    return mutate(draw, payload)


#: Events the app listens to or Slack may send it anyway. ``app_uninstalled`` and
#: ``tokens_revoked`` come only from other workspaces (the stack's must stay installed).
_EVENT_TYPES = [
    "app_home_opened",
    "app_mention",
    "message",
    "member_joined_channel",
    "workflow_step_execute",
    "app_uninstalled",
    "tokens_revoked",
]
_DESTRUCTIVE = ("app_uninstalled", "tokens_revoked")


@st.composite
def _event(draw: st.DrawFn) -> JSON:
    """An Events API ``event_callback`` envelope (JSON, not form-encoded)."""
    user, team = draw(WHO)
    kind = draw(st.sampled_from(_EVENT_TYPES))
    if kind in _DESTRUCTIVE:
        team = draw(st.sampled_from(["T0002", "E1"]) | OVERSIZED)
    now = time.time()
    channel = draw(st.sampled_from(["C0001", "D0001"]) | OVERSIZED)
    event: JSON = {"type": kind, "user": user, "event_ts": f"{now:.6f}", "channel": channel}
    if kind == "app_home_opened":
        event["tab"] = draw(st.sampled_from(["home", "messages", "about"]) | junk_text())
        event["view"] = draw(VIEW) if draw(st.booleans()) else None
    elif kind in ("app_mention", "message"):
        event.update(ts=f"{now:.6f}", text=draw(junk_text()), channel_type="im")
    elif kind == "workflow_step_execute":
        event["callback_id"] = draw(_SHORTCUT_IDS)
        if draw(st.booleans()):
            event["workflow_step"] = draw(_WORKFLOW_STEP)
    elif kind == "tokens_revoked":
        event["tokens"] = {"oauth": [draw(IDS)], "bot": [draw(IDS)]}
    envelope: JSON = {
        "token": "legacy-verification-token",
        "team_id": team,
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{draw(st.integers(0, 10**9)):010d}",
        "event_time": int(now),
        "authorizations": [
            {"enterprise_id": None, "team_id": team, "user_id": "U0BOT", "is_bot": True}
        ],
    }
    envelope = mutate(draw, envelope)
    event = envelope.get("event")
    if isinstance(event, dict) and event.get("type") in _DESTRUCTIVE:
        # whatever the mutation did, never the stack's own workspace
        envelope["team_id"] = team
        envelope.pop("enterprise_id", None)
        envelope["authorizations"] = [{"team_id": team, "user_id": "U0BOT", "is_bot": True}]
    return envelope


@st.composite
def _view_closed(draw: st.DrawFn) -> JSON:
    user, team = draw(WHO)
    payload = _common("view_closed", user, team)
    payload["view"] = draw(VIEW)
    payload["is_cleared"] = draw(st.booleans())
    return mutate(draw, payload)


@st.composite
def _block_suggestion(draw: st.DrawFn) -> JSON:
    user, team = draw(WHO)
    payload = _common("block_suggestion", user, team)
    payload["action_id"] = draw(st.sampled_from(SUGGESTION_IDS))
    payload["block_id"] = draw(st.sampled_from(["plan", "image", "b"]) | junk_text(huge=False))
    payload["value"] = draw(junk_text())
    if draw(st.booleans()):
        view = draw(VIEW)
        payload["view"] = view
        payload["container"] = {"type": "view", "view_id": view.get("id")}
    else:
        payload["container"] = {"type": "message", "message_ts": "1.0", "channel_id": "C0001"}
        payload["channel"] = {"id": "C0001", "name": "general"}
    return mutate(draw, payload)


COMMAND = _command()
BLOCK_ACTIONS = _block_actions()
VIEW_SUBMISSION = _view_submission()
VIEW_CLOSED = _view_closed()
BLOCK_SUGGESTION = _block_suggestion()
GLOBAL_SHORTCUT = _global_shortcut()
MESSAGE_SHORTCUT = _message_shortcut()
WORKFLOW_STEP_EDIT = _workflow_step_edit()
EVENTS = _event()

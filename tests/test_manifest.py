"""manifest.yml creates an app vpsbot can run as: command, interactivity, scopes."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.app.bolt import BOT_SCOPES
from bot.help.views import COMMANDS

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yml"


def test_manifest_declares_what_the_bot_uses() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/vps"]
    assert commands[0]["url"].endswith("/slack/events")
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].endswith("/slack/events")
    assert interactivity["message_menu_options_url"].endswith("/slack/events")  # external selects
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "chat:write.public", "users:read"} <= scopes
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True  # DM fallback
    assert manifest["settings"]["socket_mode_enabled"] is False
    # the Home tab and the event that keeps it published
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    events = manifest["settings"]["event_subscriptions"]
    assert events["request_url"].endswith("/slack/events")
    assert "app_home_opened" in events["bot_events"]
    assert "usergroups:read" in scopes
    assert "files:write" in scopes  # charts: external upload, shown with slack_file


def test_an_oauth_install_asks_for_the_manifests_scopes() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert sorted(BOT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])


def test_manifest_declares_the_oauth_install() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    redirects = manifest["oauth_config"]["redirect_urls"]
    assert [url.rsplit("/", 2)[-2:] for url in redirects] == [["slack", "oauth_redirect"]]
    events = manifest["settings"]["event_subscriptions"]
    assert events["request_url"].endswith("/slack/events")
    assert {"app_uninstalled", "tokens_revoked"} <= set(events["bot_events"])


def test_usage_hint_names_every_subcommand_of_the_help() -> None:
    hint = yaml.safe_load(MANIFEST.read_text())["features"]["slash_commands"][0]["usage_hint"]
    words = {command.split()[1] for command, _ in COMMANDS}
    assert words == {"create", "list", "show", "cost", "admin", "log", "help"}
    for word in words:
        assert word in hint

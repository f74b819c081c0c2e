"""The operator's commands for workspaces: sharing providers with them, their
vpsbot admins, the list of installs, and each workspace's spend policy."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any

from bot.app.operator import _with_services, _workspace
from bot.core.errors import CliError

__all__ = [
    "cmd_policy_member",
    "cmd_policy_set",
    "cmd_policy_show",
    "cmd_provider_share",
    "cmd_spend_check",
    "cmd_workspaces_admins",
    "cmd_workspaces_list",
]


@_with_services
async def cmd_provider_share(services: Any, args: argparse.Namespace) -> None:
    """Share a provider (the operator's, or ``--owner``'s) with another workspace."""
    from db.repo import providers

    team_id = _workspace(args.workspace)
    owner = _workspace(args.owner) if args.owner else None
    async with services.db.session() as session, session.begin():
        row = await providers.by_name(session, args.name, owner)
        if row is None:
            whose = f"of workspace {owner}" if owner else "of the operator"
            raise CliError(f"no provider named {args.name!r} {whose}")
        if args.action == "share":
            keys, vpcs = bool(getattr(args, "ssh_keys", False)), bool(getattr(args, "vpcs", False))
            await providers.share(session, row.id, team_id, ssh_keys=keys, vpcs=vpcs)
            parts = [what for what, on in (("SSH keys", keys), ("VPCs", vpcs)) if on]
            extra = " and ".join(parts) if parts else "no SSH keys or VPCs"
            done = f"shared with {team_id} (with the account's {extra})"
        else:
            if not await providers.unshare(session, row.id, team_id):
                raise CliError(f"provider {args.name!r} was not shared with {team_id}")
            done = f"no longer shared with {team_id}"
    await services.changed("provider", str(row.id))
    print(f"provider {args.name!r} {done}")


_USER = re.compile(r"^[UW][A-Z0-9]{2,31}$")


@_with_services
async def cmd_workspaces_admins(services: Any, args: argparse.Namespace) -> None:
    """List a workspace's named vpsbot admins, or add/remove one: audited and
    announced to the running bot like a change from `/vps admin`, but the operator
    may remove the last one (they can always name another)."""
    from bot.admin import admins_service
    from bot.core.errors import AdminError
    from db.repo import workspaces

    team_id = _workspace(args.workspace)
    user = args.add or args.remove
    if user and not _USER.match(user):
        raise CliError(f"{user!r} is not a Slack user ID (like U012ABCDEF)")
    if args.add:
        await admins_service.add(services, team_id, args.add, by=None, via="cli")
    elif args.remove:
        try:
            await admins_service.remove(services, team_id, args.remove, by=None, via="cli")
        except AdminError:
            raise CliError(f"{args.remove} is not a named vpsbot admin of {team_id}") from None
    async with services.db.session() as session:
        names = await workspaces.admins_of(session, team_id)
    print(f"vpsbot admins of {team_id}: {', '.join(names) if names else '(none named)'}")


@_with_services
async def cmd_workspaces_list(services: Any, args: argparse.Namespace) -> None:
    from db.repo import workspaces

    async with services.db.session() as session:
        rows = await workspaces.summaries(session)
    if not rows:
        print("no workspaces yet; install vpsbot at /slack/install (OAuth mode)")
        return
    print(f"{'WORKSPACE':12} {'NAME':24} {'INSTALLED':20} {'ADMINS':7} {'PROVIDERS':10} SERVERS")
    for row in rows:
        when = row.installed_at.strftime("%Y-%m-%d %H:%M") if row.installed_at else "-"
        if not row.installed:
            when = "uninstalled" if row.installed_at is None else f"{when} (revoked)"
        name = (row.name or "-")[:24]
        print(
            f"{row.team_id:12} {name:24} {when:20} {row.admins:<7} {row.providers:<10} "
            f"{row.servers}"
        )


@_with_services
async def cmd_policy_show(services: Any, args: argparse.Namespace) -> None:
    from bot.spend import manage
    from bot.spend.policy import FIELDS

    shown = manage.display(await manage.current(services, args.team))
    for name, (label, _) in FIELDS.items():
        print(f"{name:<24} {shown[name] or '-':<30} {label}")


def _assignments(items: Sequence[str]) -> dict[str, str]:
    raw: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"expected FIELD=VALUE, got {item[:40]!r}")
        raw[name.strip()] = value
    return raw


@_with_services
async def cmd_policy_set(services: Any, args: argparse.Namespace) -> None:
    from bot.core.errors import InputError
    from bot.spend import manage

    try:
        await manage.update(services, args.team, _assignments(args.assignments), "cli")
    except InputError as exc:
        raise CliError(f"{exc.field}: {exc.message}") from None
    print(f"policy of {args.team} updated")


@_with_services
async def cmd_policy_member(services: Any, args: argparse.Namespace) -> None:
    from bot.core.errors import InputError
    from bot.spend import manage

    try:
        await manage.set_member(
            services,
            args.team,
            args.user,
            budget=args.budget or "",
            max_servers=args.max_servers or "",
            by="cli",
        )
    except InputError as exc:
        raise CliError(f"{exc.field}: {exc.message}") from None
    print(f"overrides of {args.user} in {args.team} saved")


@_with_services
async def cmd_spend_check(services: Any, args: argparse.Namespace) -> None:
    """Compare each workspace's kept month totals (``spend_totals``, which the
    claim-time budget check reads) with the totals recomputed from its servers'
    charges; one line per workspace and month, a non-zero status on a mismatch."""
    from db.repo import spend

    team_id = _workspace(args.team) if args.team else None
    async with services.db.session() as session:
        checks = await spend.check_totals(session, team_id)
    if not checks:
        print("no kept spend totals" + (f" for {team_id}" if team_id else ""))
        return
    wrong = 0
    for check in checks:
        month = f"{check.month_start:%Y-%m}"
        if check.matches:
            print(f"{check.team_id} {month} ok ${check.stored:,.2f}")
        else:
            wrong += 1
            print(
                f"{check.team_id} {month} MISMATCH kept ${check.stored:,.2f}, "
                f"charges sum to ${check.recomputed:,.2f}"
            )
    if wrong:
        raise CliError(f"{wrong} of {len(checks)} kept spend totals differ from the charges")

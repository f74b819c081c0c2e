"""The ``vpsbot`` command line: its parser and entry point.

The commands themselves are :mod:`bot.app.serve` (serve, playground) and
:mod:`bot.app.operator` (migrate, rotate-keys, sandbox, provider, plans, policy,
spend, workspaces). Every failure ends with one line on stderr and a non-zero status.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import TypeAlias

from bot.app.operator import (
    cmd_migrate,
    cmd_plans_enable,
    cmd_plans_import,
    cmd_plans_list,
    cmd_plans_set,
    cmd_provider_add,
    cmd_provider_enable,
    cmd_provider_list,
    cmd_provider_remove,
    cmd_provider_rotate,
    cmd_rotate_keys,
    cmd_sandbox,
)
from bot.app.operator_workspaces import (
    cmd_policy_member,
    cmd_policy_set,
    cmd_policy_show,
    cmd_provider_share,
    cmd_spend_check,
    cmd_workspaces_admins,
    cmd_workspaces_list,
)
from bot.app.runner import SANDBOX_PORT, SANDBOX_PORT_ENV, fail, one_line, run_loop
from bot.app.serve import cmd_playground, cmd_serve

__all__ = ["build_parser", "main", "run_loop"]

log = logging.getLogger("bot.cli")


def _version() -> str:
    from importlib import metadata

    try:
        version = metadata.version("vpsbot")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        version = "unknown"
    return f"vpsbot {version} (Python {sys.version.split()[0]})"


def _workspace_option(parser: argparse.ArgumentParser) -> None:
    """``--workspace T…`` on a command that names a provider: the name is looked up
    as that workspace's admins see it in Slack (its own providers, and in
    single-token mode the operator's); without it, among the operator's."""
    parser.add_argument(
        "--workspace",
        metavar="T…",
        help="the workspace whose provider NAME is (default: the operator's providers)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vpsbot",
        description="Slack chat-ops for VPS servers on DigitalOcean and Linode. "
        "Configuration comes from the environment or .env (README, 'Configuration').",
    )
    parser.add_argument(
        "--version", action="version", version=_version(), help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _process_commands(sub)
    _provider_commands(sub)
    _workspace_commands(sub)
    _plan_commands(sub)
    _policy_commands(sub)
    _spend_commands(sub)
    return parser


#: The ``vpsbot`` subcommand parsers, each group added by one function below.
_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _process_commands(sub: _Commands) -> None:
    """serve, playground, migrate, rotate-keys and sandbox: running things."""
    serve = sub.add_parser("serve", help="run the bot (HTTP or Socket Mode)")
    serve.add_argument(
        "--migrate", action="store_true", help="apply database migrations before starting"
    )
    serve.add_argument(
        "--sandbox",
        action="store_true",
        help=f"run the sandbox providers on 127.0.0.1:{SANDBOX_PORT} (or ${SANDBOX_PORT_ENV}) "
        "and register them when no provider is configured",
    )
    serve.set_defaults(func=cmd_serve)

    pg = sub.add_parser("playground", help="the local Slack stand-in in a browser, for a vpsbot")
    pg.add_argument("--vpsbot", metavar="URL", help="vpsbot's base URL (default 127.0.0.1:$PORT)")
    pg.set_defaults(func=cmd_playground)

    mig = sub.add_parser("migrate", help="apply (or revert) database migrations")
    mig.add_argument("--revision", default="head", help="target revision (default: head)")
    mig.add_argument("--downgrade", metavar="REV", help="revert down to REV (e.g. base)")
    mig.set_defaults(func=cmd_migrate)

    rot = sub.add_parser("rotate-keys", help="re-encrypt stored secrets under the first key")
    rot.set_defaults(func=cmd_rotate_keys)

    sbx = sub.add_parser("sandbox", help="run the local DigitalOcean/Linode sandbox")
    sbx.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    sbx.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port to listen on (default: ${SANDBOX_PORT_ENV} or {SANDBOX_PORT})",
    )
    sbx.add_argument(
        "--container-network",
        action="store_true",
        help="inside a container only: listen beyond loopback (e.g. --host 0.0.0.0) for the "
        "other containers; never publish the port (its control API has no authentication)",
    )
    sbx.set_defaults(func=cmd_sandbox)


def _provider_commands(sub: _Commands) -> None:
    """``vpsbot provider …``: cloud accounts."""
    token_env = "read the token from the environment variable VAR instead of standard input"
    prov = sub.add_parser("provider", help="manage cloud provider accounts")
    psub = prov.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = psub.add_parser("add", help="validate a token live and store it encrypted")
    add.add_argument(
        "--type",
        required=True,
        choices=["digitalocean", "linode", "aws"],
        help="the cloud provider",
    )
    add.add_argument("--name", required=True, help="a name for this account, unique in vpsbot")
    add.add_argument(
        "--api-url", help="API base URL, for the sandbox or a proxy (default: the provider's)"
    )
    add.add_argument(
        "--trusted-endpoint",
        action="store_true",
        help="you vouch for --api-url: it may be a private or loopback address (the sandbox, "
        "an internal proxy) and its error messages are shown as the provider's",
    )
    add.add_argument("--token-env", metavar="VAR", help=token_env)
    add.add_argument(
        "--workspace", metavar="T…", help="the workspace that owns it (default: the operator)"
    )
    add.set_defaults(func=cmd_provider_add)
    for action in ("share", "unshare"):
        sh = psub.add_parser(action, help=f"{action} a provider with a workspace")
        sh.add_argument("name", help="the provider's name (see: vpsbot provider list)")
        sh.add_argument(
            "--workspace", metavar="T…", required=True, help="the workspace (Slack team) ID"
        )
        sh.add_argument(
            "--owner", metavar="T…", help="the workspace owning NAME (default: operator)"
        )
        if action == "share":
            for part, what in (("ssh-keys", "SSH keys"), ("vpcs", "VPCs")):
                sh.add_argument(
                    f"--{part}",
                    action="store_true",
                    help=f"also offer the account's {what} to the workspace (default: none "
                    "of them: they may belong to another tenant)",
                )
        sh.set_defaults(func=cmd_provider_share)
    psub.add_parser("list", help="list providers (never shows tokens)").set_defaults(
        func=cmd_provider_list
    )
    for action in ("enable", "disable"):
        p = psub.add_parser(action, help=f"{action} a provider")
        p.add_argument("name", help="the provider's name (see: vpsbot provider list)")
        _workspace_option(p)
        p.set_defaults(func=cmd_provider_enable)
    rm = psub.add_parser("remove", help="remove a provider (refused while it has servers)")
    rm.add_argument("name", help="the provider's name (see: vpsbot provider list)")
    rm.add_argument("--force", action="store_true", help="remove even if servers use it")
    _workspace_option(rm)
    rm.set_defaults(func=cmd_provider_remove)
    rt = psub.add_parser("rotate-token", help="validate and store a new token")
    rt.add_argument("name", help="the provider's name (see: vpsbot provider list)")
    rt.add_argument("--token-env", metavar="VAR", help=token_env)
    _workspace_option(rt)
    rt.set_defaults(func=cmd_provider_rotate)


def _workspace_commands(sub: _Commands) -> None:
    """``vpsbot workspaces …``: the installed workspaces and their admins."""
    ws = sub.add_parser("workspaces", help="the Slack workspaces vpsbot is installed in")
    wsub = ws.add_subparsers(dest="action", required=True, metavar="ACTION")
    wsub.add_parser(
        "list", help="install date, admins, providers and servers of each workspace"
    ).set_defaults(func=cmd_workspaces_list)
    adm = wsub.add_parser("admins", help="a workspace's named vpsbot admins (add, remove)")
    adm.add_argument("workspace", metavar="T…", help="the workspace (Slack team) ID")
    change = adm.add_mutually_exclusive_group()
    change.add_argument("--add", metavar="U…", help="name this Slack user a vpsbot admin")
    change.add_argument("--remove", metavar="U…", help="take this user's vpsbot admin rights")
    adm.set_defaults(func=cmd_workspaces_admins)


def _plan_commands(sub: _Commands) -> None:
    """``vpsbot plans …``: what users can order, at what markup."""
    provider_name = "the provider's name (see: vpsbot provider list)"
    percent = "markup as a percentage of the provider's price (e.g. 20)"
    amount = "markup as a fixed monthly amount in USD (e.g. 3.50)"
    plans = sub.add_parser("plans", help="manage the plans users can order")
    lsub = plans.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = lsub.add_parser("import", help="import a provider's sizes with a markup")
    imp.add_argument("--provider", required=True, help=provider_name)
    _workspace_option(imp)
    group = imp.add_mutually_exclusive_group()
    group.add_argument("--markup-percent", metavar="N", help=percent)
    group.add_argument("--markup", metavar="AMOUNT", help=amount)
    imp.set_defaults(func=cmd_plans_import)
    pl = lsub.add_parser("list", help="list plans and prices")
    pl.add_argument("--provider", help="only this provider's plans")
    _workspace_option(pl)
    pl.set_defaults(func=cmd_plans_list)
    st = lsub.add_parser("set", help="change a plan's markup")
    st.add_argument("plan", help="the provider's plan id (see: vpsbot plans list)")
    st.add_argument("--provider", required=True, help=provider_name)
    _workspace_option(st)
    group = st.add_mutually_exclusive_group(required=True)
    group.add_argument("--markup-percent", metavar="N", help=percent)
    group.add_argument("--markup", metavar="AMOUNT", help=amount)
    st.set_defaults(func=cmd_plans_set)
    for action in ("enable", "disable"):
        p = lsub.add_parser(action, help=f"{action} a plan")
        p.add_argument("plan", help="the provider's plan id (see: vpsbot plans list)")
        p.add_argument("--provider", required=True, help=provider_name)
        _workspace_option(p)
        p.set_defaults(func=cmd_plans_enable)


def _policy_commands(sub: _Commands) -> None:
    """``vpsbot policy …``: a workspace's spend policy."""
    pol = sub.add_parser("policy", help="the spend policy of a workspace (budgets, approvals)")
    posub = pol.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = posub.add_parser("show", help="every field and its value")
    show.add_argument("--team", required=True, help="the Slack workspace id (T…)")
    show.set_defaults(func=cmd_policy_show)
    pset = posub.add_parser("set", help="change fields: FIELD=VALUE … (empty value: none)")
    team = "the Slack workspace id (T…)"
    pset.add_argument("--team", required=True, help=team)
    pset.add_argument(
        "assignments", nargs="+", metavar="FIELD=VALUE", help="fields to set (see: policy show)"
    )
    pset.set_defaults(func=cmd_policy_set)
    mem = posub.add_parser("member", help="one member's budget and server cap ('' to drop)")
    mem.add_argument("--team", required=True, help=team)
    mem.add_argument("--user", required=True, help="the member's Slack user id (U…)")
    mem.add_argument("--budget", metavar="DOLLARS", help="monthly budget ('' for the default)")
    mem.add_argument("--max-servers", metavar="N", help="most servers at once ('' for the default)")
    mem.set_defaults(func=cmd_policy_member)


def _spend_commands(sub: _Commands) -> None:
    """``vpsbot spend …``: the kept spend totals, checked against the charges."""
    spd = sub.add_parser("spend", help="the workspaces' kept spend totals")
    ssub = spd.add_subparsers(dest="action", required=True, metavar="ACTION")
    chk = ssub.add_parser(
        "check", help="compare the kept month totals with the servers' charges (exit 1 if off)"
    )
    chk.add_argument("--team", help="only this Slack workspace id (T…); default: all")
    chk.set_defaults(func=cmd_spend_check)


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (KeyboardInterrupt, asyncio.CancelledError):
        fail("interrupted; whatever the command had started is stopped", 130)
    except SystemExit:
        raise
    except Exception as exc:  # one line, never a traceback
        fail(one_line(exc, args))


if __name__ == "__main__":  # pragma: no cover
    main()

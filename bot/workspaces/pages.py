"""The pages a browser sees at the end of an install: plain, friendly, no detail
of what went wrong beyond what the person can act on."""

from __future__ import annotations

from html import escape

__all__ = ["failure_page", "success_page"]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vpsbot — {title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;
padding:0 1rem;line-height:1.5}}h1{{font-size:1.5rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""


def success_page(team_name: str | None, app_url: str | None, *, admin: bool = True) -> str:
    """The page after an install; ``admin`` says whether the installer was named
    the workspace's first vpsbot admin (a reinstall names nobody)."""
    where = escape(team_name) if team_name else "your workspace"
    link = f'<p><a href="{escape(app_url)}">Open Slack</a></p>' if app_url else ""
    role = (
        "as the installer you are its first vpsbot admin "
        "(<code>/vps admin</code> adds cloud providers)."
        if admin
        else "its vpsbot admins stay as they were (ask one of them for admin rights)."
    )
    return _PAGE.format(
        title="vpsbot is installed",
        body=f"<p>vpsbot is now installed in <b>{where}</b>. Type <code>/vps help</code> "
        f"in any channel to start; {role}</p>" + link,
    )


_REASONS = {
    "access_denied": "The installation was cancelled in Slack.",
    "invalid_state": "This install link expired or was already used.",
    "missing_code": "Slack did not send back an authorization code.",
    "invalid_browser": "The install must finish in the browser it started in.",
}


def failure_page(reason: str) -> str:
    told = _REASONS.get(reason, "Slack did not complete the installation.")
    return _PAGE.format(
        title="vpsbot was not installed",
        body=f'<p>{escape(told)}</p><p><a href="/slack/install">Try again</a>; '
        "if it keeps failing, ask the person who runs vpsbot.</p>",
    )

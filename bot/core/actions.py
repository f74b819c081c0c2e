"""The server actions a person can ask for, defined once.

Each :class:`ServerAction` carries everything the features need to know about
it: the word people see, the row status while the provider carries it out, in
which states it is offered, whether it is destructive (confirmed first), and
whether it needs the provider's capability (:attr:`providers.base.Capabilities.actions`;
delete is offered by every provider). Buttons, confirmations, refusals, audit
events and thread lines all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ACTIONS", "DIRECT", "VPSBOT", "ServerAction", "action", "person", "word"]

#: Who an action is by when vpsbot itself acted (a lease end), not a person: a
#: pending action's ``by``; its audit rows have no user.
VPSBOT = "vpsbot"


@dataclass(frozen=True)
class ServerAction:
    """One thing a person can do to a server."""

    #: the name providers and audit events use (``vps.<name>``)
    name: str
    #: the word shown on buttons and in messages ("Power cycle")
    word: str
    #: the row's status while the provider carries it out (the watcher follows it)
    transition: str
    #: row statuses in which the action is offered
    offered_when: frozenset[str]
    #: asks for confirmation (or a form) before anything is sent
    destructive: bool = False
    #: needs the provider to list it in its capabilities
    needs_capability: bool = True
    #: carried out from a modal (it asks for input) rather than a plain button
    modal: bool = False
    #: what the confirmation dialog of a destructive button says
    confirm: str = ""
    #: turns the server on (refused once its lease ended: the lease end stays)
    starts: bool = False
    #: what it does, in a sentence a person reads before confirming
    explain: str = ""
    #: one of the two or three actions shown as buttons; the rest sit in a menu
    common: bool = False


_RUNNING = frozenset({"running"})
_STOPPED = frozenset({"stopped"})
_UNSETTLED = frozenset({"error", "unknown"})
_ANY = frozenset({"running", "stopped", "provisioning", "rebooting", "error", "unknown"})

#: Every action, in the order its button appears.
ACTIONS: dict[str, ServerAction] = {
    a.name: a
    for a in (
        ServerAction(
            "power_on",
            "Power on",
            "provisioning",
            _STOPPED | _UNSETTLED,
            starts=True,
            common=True,
            explain="Turns the server on; it boots as it was when it was shut down.",
        ),
        ServerAction(
            "shutdown",
            "Shut down",
            "stopped",
            _RUNNING | _UNSETTLED,
            common=True,
            explain=(
                "Asks the operating system to shut down cleanly, as a press of the power "
                "button does (ACPI): programs get to close and save their work. A server "
                "that is off is still billed."
            ),
        ),
        ServerAction(
            "power_off",
            "Power off",
            "stopped",
            _RUNNING | _UNSETTLED,
            destructive=True,
            confirm="This cuts the power like pulling the plug; unsaved data may be lost.",
            explain=(
                "Cuts the power at once, like pulling the plug: nothing gets to close and "
                "unsaved data may be lost. Use Shut down unless the server no longer answers. "
                "A server that is off is still billed."
            ),
        ),
        ServerAction(
            "reboot",
            "Reboot",
            "rebooting",
            _RUNNING | _UNSETTLED,
            starts=True,
            common=True,
            explain=(
                "Restarts the operating system cleanly: programs get to close, and the "
                "server is back in a minute or two."
            ),
        ),
        ServerAction(
            "power_cycle",
            "Power cycle",
            "rebooting",
            _RUNNING | _UNSETTLED,
            destructive=True,
            confirm="This cuts the power and turns it back on; unsaved data may be lost.",
            starts=True,
            explain=(
                "Cuts the power and turns it back on, like a hard reset: nothing gets to "
                "close and unsaved data may be lost. For a server that no longer answers."
            ),
        ),
        ServerAction(
            "rebuild",
            "Rebuild",
            "provisioning",
            _RUNNING | _STOPPED | _UNSETTLED,
            destructive=True,
            modal=True,
            explain=(
                "Reinstalls the server from an image you choose: everything on its disk is erased."
            ),
        ),
        ServerAction(
            "resize",
            "Resize",
            "provisioning",
            _RUNNING | _STOPPED | _UNSETTLED,
            destructive=True,
            modal=True,
            explain="Moves the server to another plan, and its price with it.",
        ),
        ServerAction(
            "delete",
            "Delete",
            "deleting",
            _ANY,
            destructive=True,
            needs_capability=False,
            modal=True,
            explain=(
                "Destroys the server and everything on it at the provider; it cannot be "
                "undone, and billing stops."
            ),
        ),
    )
}

#: Actions sent straight from a button (after Slack's confirm dialog when destructive).
DIRECT: tuple[str, ...] = tuple(name for name, a in ACTIONS.items() if not a.modal)


def action(name: str) -> ServerAction | None:
    """The action called ``name``, or None for a name vpsbot does not know."""
    return ACTIONS.get(name)


def word(name: str, default: str = "An action") -> str:
    """The display word of action ``name`` (``default`` for an unknown name)."""
    found = ACTIONS.get(name)
    return found.word if found else default


def person(by: str | None) -> str | None:
    """The user an action is by, for its audit row: None when vpsbot acted."""
    return None if by == VPSBOT else by

"""Who wins when a mark changed here and on the server: one rule, in one place.

For each article and each mark (read, starred), with

* ``server``: what the server says now,
* ``base``: what it said at the last sync (None when never seen),
* ``pending``: a mark made here that the server has not confirmed yet,

the rule (README, "Sync") is:

1. No mark waiting here: the server's state is taken. Marks made elsewhere
   arrive, read and starred alike.
2. The server already holds the waiting mark: it is done, nothing is sent
   (a mark is never sent twice; Miniflux even flips a mark sent twice).
3. A read made here is never undone by the server's "unread": the server has
   not heard of it yet, so it is sent.
4. Otherwise, when the server changed that mark since the last sync and says
   when, the newer change wins: a change on the server after the mark made
   here drops the waiting mark; an older one (or one whose time the server
   does not give) loses to the mark made here, which is sent.
5. When the server did not change that mark since the last sync, the mark
   made here is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from briefing.core.sync.server import Flag


@dataclass(frozen=True, slots=True)
class Pending:
    value: bool
    at: float
    """When it was made here (Unix time)."""


@dataclass(frozen=True, slots=True)
class Decision:
    local: bool
    """The value briefing shows from now on."""
    push: bool = False
    """Send the waiting mark to the server."""
    settle: bool = False
    """The waiting mark is done: the server holds it, or a newer change there won."""


def needs_time(flag: Flag, *, server: bool, base: bool | None, pending: Pending | None) -> bool:
    """Whether ``decide`` would use the server's time of change (rule 4)."""
    if pending is None or server == pending.value or (flag == "read" and pending.value):
        return False
    return base is None or server != base


def decide(
    flag: Flag,
    *,
    server: bool,
    base: bool | None,
    pending: Pending | None,
    server_changed: float | None = None,
) -> Decision:
    if pending is None:
        return Decision(local=server)
    if server == pending.value:
        return Decision(local=server, settle=True)
    if flag == "read" and pending.value:
        return Decision(local=True, push=True)
    server_moved = base is None or server != base
    if server_moved and server_changed is not None and server_changed > pending.at:
        return Decision(local=server, settle=True)
    return Decision(local=pending.value, push=True)

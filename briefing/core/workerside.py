"""What runs inside a worker process of ``workers.WorkerPool``, and only that.

A worker unpickles these by reference, so it imports this module and nothing of
the pool's side: not asyncio, which the owner's event loop needs but a worker
never does (about 20 ms and 3 MB less in each worker it starts).
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections.abc import Callable


def ready() -> None:
    """Submitted once per worker: starts it now rather than on the first task."""


PARENT_CHECK_SECONDS = 0.2
"""Where no pidfd can be had: how often a worker checks that its owner is alive."""


def worker_started(owner: int, prepare: Callable[[], None] | None) -> None:
    """Runs first in every worker: watch the owner, then ``prepare``."""
    watch_owner(owner)
    if prepare is not None:
        # A failing preparation must not break the pool: the tasks would only
        # meet the same problem later, with a clearer error.
        with contextlib.suppress(Exception):
            prepare()


def watch_owner(owner: int, interval: float = PARENT_CHECK_SECONDS) -> None:
    """Exit this process as soon as process ``owner`` is gone, whatever ended it.

    ``owner`` is the process that started the pool: a spawned worker's parent,
    or, with forkserver, the forkserver's client (the forkserver itself lives
    on while its workers hold its pipe, so watching the parent is not enough).
    A daemon thread waits on a pidfd, which becomes readable the moment the
    owner exits, ``kill -9`` included, which no handler in the owner could
    catch; where pidfds are missing it checks every ``interval`` seconds.
    A worker that starts after its owner already died exits at once.
    (``prctl(PR_SET_PDEATHSIG)`` is not used: it fires when the *thread* that
    started the worker ends, and pools are started from threads.)
    """
    try:
        handle = os.pidfd_open(owner)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):
        handle = None  # no pidfd_open here (not Linux, an old kernel, a sandbox)
    if handle is None and not _alive(owner):
        os._exit(1)

    def watch() -> None:
        if handle is not None:
            select.select([handle], [], [])
            os._exit(1)
        while _alive(owner):
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="briefing-watch-owner", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True

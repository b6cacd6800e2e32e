"""Worker processes for CPU-bound steps (feed parsing, page extraction), off the event loop.

``WorkerPool`` is a small ``ProcessPoolExecutor`` that starts only when it is
first needed (or when ``warm_up`` says it soon will be), in a thread, so that
starting processes never holds up downloads. What it runs is CPU-bound
Python: in worker processes it uses the other cores and never holds the GIL of
the process that drives the event loop (or draws the UI).

Four things go wrong with worker processes, and each is handled here once:

* they cannot be started at all (no /dev/shm, a sandbox, a stderr without a
  file descriptor): the work runs in threads instead, slower but complete;
* a worker dies (killed, out of memory) and breaks the pool: a new pool is
  started and the task tried once more, so other tasks are unaffected;
* a task runs past its time limit: the workers are killed (a running task
  cannot be cancelled otherwise) and the tasks they held run again on a new
  pool;
* the process that owns them dies (``kill -9``, a crash, a closed terminal)
  and cannot stop them: each worker watches it and exits as soon as it is
  gone, whatever killed it (``watch_owner``). The multiprocessing
  resource tracker then sees its last client go and exits too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar

from briefing.core.workerside import PARENT_CHECK_SECONDS, ready, watch_owner, worker_started

__all__ = [
    "PARENT_CHECK_SECONDS",
    "WorkerCrashed",
    "WorkerPool",
    "WorkerTimeout",
    "watch_owner",
]

T = TypeVar("T")


class WorkerTimeout(Exception):
    """The task ran past its time limit; it was stopped."""


class WorkerCrashed(Exception):
    """The workers died on this task twice (or were restarted twice while it waited)."""

    def __init__(self, *, waited: bool) -> None:
        super().__init__("restarted while waiting" if waited else "crashed")
        self.waited = waited
        """True when the task never ran: the pool was restarted for other tasks."""


class WorkerPool:
    """Use as ``await pool.run(function, *args, timeout=...)``, then ``await pool.aclose()``.

    ``method`` is the multiprocessing start method. ``prepare`` runs once in each
    worker as it starts; ``preload`` names modules a forkserver imports once for
    all its workers. ``in_flight`` bounds the tasks handed to the pool at once.
    A task's time limit measures its own run, never a wait: its clock starts when
    it is handed to the pool if a worker is free then, else when the task ahead
    of it in the pool's queue ends (the pool hands its work out in order). So
    ``in_flight`` may exceed ``workers``: a worker then finds its next task
    waiting as it finishes one, rather than waiting for the event loop to hand
    one over.
    """

    def __init__(
        self,
        workers: int,
        *,
        method: str = "spawn",
        prepare: Callable[[], None] | None = None,
        preload: Sequence[str] = (),
        in_flight: int | None = None,
    ) -> None:
        self.workers = workers
        self.method = method
        self.prepare = prepare
        self.preload = tuple(preload)
        self._starting: asyncio.Future[Executor] | None = None
        self._turns = _Turns(workers)
        """Which tasks in the current pool have a worker; made anew with each pool."""
        self._in_flight = asyncio.Semaphore(in_flight) if in_flight else None
        self._abandoned = False
        """A task was cancelled while its work was in the pool: closing kills the workers."""

    def warm_up(self) -> None:
        """Start the workers in the background, before the first task arrives."""
        if self._starting is None:
            # In a thread: starting processes must not hold up the event loop.
            self._starting = asyncio.ensure_future(asyncio.to_thread(self._start))
            self._turns = _Turns(self.workers)

    def _start(self) -> Executor:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context(self.method)
        if self.preload:
            context.set_forkserver_preload(list(self.preload))
        executor = ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=worker_started,
            initargs=(os.getpid(), self.prepare),
        )
        try:
            with _workers_stderr_to_devnull():
                for _ in range(self.workers):  # start every worker now, not on demand
                    executor.submit(ready)
        except BaseException:
            executor.shutdown(wait=False, cancel_futures=True)
            raise
        return executor

    async def run(self, function: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """``function(*args)`` in a worker. Raises ``WorkerTimeout`` after ``timeout``
        seconds, counted from when the task goes to the pool (waiting for the pool to
        start, or for room in it, does not count), and ``WorkerCrashed``."""
        from concurrent.futures.process import BrokenProcessPool

        for attempt in range(2):
            self.warm_up()
            starting = self._starting
            assert starting is not None
            try:
                pool = await asyncio.shield(starting)  # one task's cancellation must not stop it
            except (OSError, ValueError, RuntimeError):
                return await self._run_in_thread(function, args, timeout)
            limit: asyncio.Timeout | None = None
            try:
                async with self._in_flight or contextlib.nullcontext():
                    if self._starting is not starting:
                        continue  # the pool was stopped while this task waited for room
                    turns = self._turns
                    limit = asyncio.timeout(None)  # its clock starts on its turn
                    work = asyncio.wrap_future(pool.submit(function, *args))
                    work.add_done_callback(_retrieved)
                    async with limit:
                        turns.queue(work, limit, timeout)
                        # Shielded: cancelling this task never cancels the pool's own
                        # future. (Python 3.11's pool raises InvalidStateError in its
                        # thread when a cancelled queued future meets dead workers;
                        # the work is stopped by killing the workers instead.)
                        return await asyncio.shield(work)
            except TimeoutError:
                if limit is None or not limit.expired():
                    raise  # the task's own TimeoutError, not our limit
                self._stop(starting, pool, kill=True)
                raise WorkerTimeout from None
            except BrokenProcessPool:
                # A worker died (killed, out of memory, or stopped for another
                # task's time limit) and took the pool with it.
                self._stop(starting, pool, kill=False)
                if attempt:
                    raise WorkerCrashed(waited=False) from None
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is None or current.cancelling():
                    self._abandoned = True  # we were cancelled; the work may still run
                    raise
                # Nobody cancelled us: the pool was shut down under this task
                # (another task's time limit). Try again on a new pool.
                if attempt:
                    raise WorkerCrashed(waited=True) from None
        raise WorkerCrashed(waited=True)

    @staticmethod
    async def _run_in_thread(
        function: Callable[..., T], args: tuple[Any, ...], timeout: float | None
    ) -> T:
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.to_thread(function, *args)
        except TimeoutError:
            raise WorkerTimeout from None

    def _stop(self, starting: asyncio.Future[Executor], pool: Executor, *, kill: bool) -> None:
        """Drop ``pool`` (if it is still the current one); ``kill`` stops its workers now."""
        if self._starting is not starting:
            return  # already replaced
        self._starting = None
        if kill:
            kill_workers = getattr(pool, "kill_workers", None)  # Python 3.14+
            if callable(kill_workers):
                kill_workers()
            else:
                processes: dict[int, Any] = getattr(pool, "_processes", None) or {}
                for process in list(processes.values()):
                    with contextlib.suppress(Exception):
                        process.kill()
        # Work queued behind the killed task is not cancelled: it fails with
        # BrokenProcessPool, and its task runs it again on the next pool.
        pool.shutdown(wait=False, cancel_futures=False)

    async def aclose(self) -> None:
        """Stop the workers: at once if work nobody waits for is still running
        (a cancelled refresh), else once they are idle."""
        starting = self._starting
        if starting is None:
            return
        try:
            executor = await asyncio.shield(starting)  # a cancelled close must not leak it
        except Exception:
            self._starting = None
            return
        if self._abandoned:
            self._stop(starting, executor, kill=True)
            return
        self._starting = None
        await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)


class _Turns:
    """The tasks of one pool, in the order they were handed to it: the first
    ``workers`` of them are running, the others wait for a worker, and each
    task's time limit starts when its turn comes (when it was handed over if a
    worker was free, else when the task ahead of it ended)."""

    __slots__ = ("busy", "waiting", "workers")

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.busy = 0
        self.waiting: deque[Callable[[], None]] = deque()

    def queue(
        self, work: asyncio.Future[Any], limit: asyncio.Timeout, timeout: float | None
    ) -> None:
        loop = asyncio.get_running_loop()

        def start_clock() -> None:
            if timeout is None or work.done():
                return
            with contextlib.suppress(RuntimeError):  # its task already left the limit
                limit.reschedule(loop.time() + timeout)

        if self.busy < self.workers:
            start_clock()
        else:
            self.waiting.append(start_clock)
        self.busy += 1
        work.add_done_callback(self._ended)

    def _ended(self, work: asyncio.Future[Any]) -> None:
        self.busy -= 1
        if self.waiting:
            self.waiting.popleft()()


@contextlib.contextmanager
def _workers_stderr_to_devnull() -> Iterator[None]:
    """While the workers start, this process's stderr is /dev/null, so theirs is.

    A worker writes nothing its owner needs (results and errors come back through
    the pool), but it inherits the terminal: a worker that loses its owner while it
    is still starting (the owner killed by SIGTERM mid-refresh) could print
    multiprocessing's traceback over the reader's screen, or after the shell
    prompt. Only the few milliseconds of starting are affected here."""
    try:
        saved = os.dup(2)
    except OSError:
        yield  # no stderr at all: nothing to keep off the terminal
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _retrieved(work: asyncio.Future[Any]) -> None:
    """Work nobody waits for any more may still end in an error: mark it seen."""
    if not work.cancelled():
        work.exception()

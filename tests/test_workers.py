"""WorkerPool with real worker processes: crashes, time limits, and no processes at all."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from briefing.core.workers import WorkerCrashed, WorkerPool, WorkerTimeout


def square(number: int) -> int:
    return number * number


def pid_of_worker() -> int:
    return os.getpid()


def crash_unless(marker: str) -> str:
    """Kill this worker the first time (leaving ``marker`` behind); answer the next."""
    path = Path(marker)
    if not path.exists():
        path.write_text("crashed once")
        os._exit(1)
    return "second try"


def always_crash() -> None:
    os._exit(1)


def raise_its_own_timeout() -> None:
    raise TimeoutError("the task's own")


def sleep_then_answer(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"


async def test_tasks_run_in_other_processes() -> None:
    pool = WorkerPool(2)
    try:
        assert await pool.run(square, 7) == 49
        assert await pool.run(pid_of_worker) != os.getpid()
    finally:
        await pool.aclose()


async def test_a_worker_that_dies_is_replaced_and_the_task_tried_again(tmp_path: Path) -> None:
    pool = WorkerPool(2)
    try:
        assert await pool.run(crash_unless, str(tmp_path / "marker")) == "second try"
        assert await pool.run(square, 3) == 9  # the new pool serves the next tasks
    finally:
        await pool.aclose()


async def test_a_task_that_kills_its_worker_twice_is_reported_as_a_crash() -> None:
    pool = WorkerPool(2)
    try:
        with pytest.raises(WorkerCrashed) as crashed:
            await pool.run(always_crash)
        assert crashed.value.waited is False
        assert await pool.run(square, 4) == 16
    finally:
        await pool.aclose()


async def test_a_task_past_its_time_limit_is_stopped_and_its_worker_killed() -> None:
    pool = WorkerPool(1)
    try:
        first = await pool.run(pid_of_worker)
        started = time.monotonic()
        with pytest.raises(WorkerTimeout):
            await pool.run(sleep_then_answer, 30, timeout=0.5)
        assert time.monotonic() - started < 5
        await asyncio.sleep(0.2)
        with pytest.raises(ProcessLookupError):
            os.kill(first, 0)  # the worker that held the task is gone
        assert await pool.run(sleep_then_answer, 0, timeout=10) == "slept"  # a new pool
    finally:
        await pool.aclose()


@pytest.mark.parametrize("in_flight", [1, 2])
async def test_the_time_limit_does_not_count_the_wait_for_room_or_a_worker(in_flight: int) -> None:
    """Two tasks for one worker: with one in flight at a time, the second waits for
    room in the pool; with two, it waits in the pool's queue while the first runs.
    Either way its own limit starts only when it is handed on, not when it is asked."""
    pool = WorkerPool(1, in_flight=in_flight)
    try:
        await pool.run(square, 1)  # started: the worker's start-up is not in the timings
        results = await asyncio.gather(
            pool.run(sleep_then_answer, 1.0, timeout=1.6),
            pool.run(sleep_then_answer, 1.0, timeout=1.6),
        )
        assert results == ["slept", "slept"]
    finally:
        await pool.aclose()


async def test_a_task_waiting_for_a_worker_still_has_a_time_limit() -> None:
    """The clock of a task queued behind another starts when that one ends: a task
    that then runs past its own limit is stopped."""
    pool = WorkerPool(1, in_flight=2)
    try:
        await pool.run(square, 1)
        started = time.monotonic()
        first, second = await asyncio.gather(
            pool.run(sleep_then_answer, 0.5, timeout=5),
            pool.run(sleep_then_answer, 30, timeout=0.5),
            return_exceptions=True,
        )
        assert first == "slept"
        assert isinstance(second, WorkerTimeout)
        assert time.monotonic() - started < 5
    finally:
        await pool.aclose()


async def test_without_worker_processes_tasks_run_in_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_processes(self: WorkerPool) -> Any:
        raise OSError("no /dev/shm here")

    monkeypatch.setattr(WorkerPool, "_start", no_processes)
    pool = WorkerPool(2)
    try:
        assert await pool.run(pid_of_worker) == os.getpid()
        with pytest.raises(WorkerTimeout):
            await pool.run(sleep_then_answer, 1, timeout=0.1)
    finally:
        await pool.aclose()


async def test_a_task_queued_behind_one_that_is_stopped_still_runs() -> None:
    """One worker: the second task waits in the pool's queue behind the first. The
    first runs past its limit and the workers are killed; the second is run again on
    a new pool, not cancelled with the old one."""
    pool = WorkerPool(1)
    try:
        await pool.run(square, 1)
        stopped, queued = await asyncio.gather(
            pool.run(sleep_then_answer, 30, timeout=0.5),
            pool.run(square, 5),
            return_exceptions=True,
        )
        assert isinstance(stopped, WorkerTimeout)
        assert queued == 25
    finally:
        await pool.aclose()


async def test_a_timeout_error_raised_by_the_task_is_not_a_time_limit() -> None:
    pool = WorkerPool(1)
    try:
        worker = await pool.run(pid_of_worker)
        with pytest.raises(TimeoutError, match="the task's own") as raised:
            await pool.run(raise_its_own_timeout, timeout=10)
        assert not isinstance(raised.value, WorkerTimeout)
        assert await pool.run(pid_of_worker) == worker  # nobody was killed
    finally:
        await pool.aclose()


async def test_closing_after_a_cancelled_task_stops_its_worker_at_once() -> None:
    pool = WorkerPool(1)
    worker = await pool.run(pid_of_worker)
    task = asyncio.create_task(pool.run(sleep_then_answer, 30))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    started = time.monotonic()
    await pool.aclose()
    assert time.monotonic() - started < 2  # not the 30 s the abandoned task would take
    await asyncio.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.kill(worker, 0)


async def test_closing_after_cancelling_queued_tasks_leaves_no_thread_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tasks cancelled while their work still waits in the pool's queue, then the pool
    closed (its workers killed): nothing may go wrong in the pool's own thread (in
    Python 3.11 a cancelled queued future made it raise InvalidStateError)."""
    import threading

    errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    for _ in range(5):  # the pool's thread races our close: give it several chances
        pool = WorkerPool(1)
        await pool.run(square, 1)
        running = asyncio.create_task(pool.run(sleep_then_answer, 30))
        queued = [asyncio.create_task(pool.run(square, n)) for n in range(6)]
        await asyncio.sleep(0.2)
        for task in (running, *queued):
            task.cancel()
        await asyncio.gather(running, *queued, return_exceptions=True)
        await pool.aclose()
        await asyncio.sleep(0.3)  # the pool's thread notices its dead workers
    assert errors == []


# --------------------------------------------------------------------------- parent death

_OWNER = """
import asyncio, sys, time
sys.path.insert(0, {tests!r})
from briefing.core.workers import WorkerPool
from test_workers import pid_of_worker, sleep_then_answer


async def main() -> None:
    pool = WorkerPool(2, method={method!r})
    pids = {{await pool.run(pid_of_worker) for _ in range(8)}}
    print(" ".join(map(str, sorted(pids))), flush=True)
    # keep one worker busy in a task and the other idle, then wait to be killed
    asyncio.ensure_future(pool.run(sleep_then_answer, 60))
    await asyncio.sleep(60)


asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (exited, not yet reaped)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in (b"Z", b"X")


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_workers_exit_when_their_owner_is_killed(method: str) -> None:
    """kill -9 leaves no handler to run: the workers must notice on their own."""
    import signal
    import subprocess
    import sys

    tests = str(Path(__file__).parent)
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER.format(tests=tests, method=method)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert owner.stdout is not None
        workers = [int(pid) for pid in owner.stdout.readline().split()]
        assert workers and all(_alive(pid) for pid in workers)
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in workers if _alive(pid)]
        assert not left, f"workers {left} outlived their owner"
    finally:
        if owner.poll() is None:
            owner.kill()


def test_a_worker_whose_owner_is_already_gone_exits_at_once() -> None:
    import subprocess
    import sys

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    owner = int(gone.stdout)  # exited and reaped: that pid names nothing now
    code = f"from briefing.core.workers import watch_owner; watch_owner({owner}); print('ran')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1 and "ran" not in result.stdout


# --------------------------------------------------------------------------- what a worker loads


_COMMAND = """
import sys
from briefing.entry import main
if __name__ == "__main__":
    sys.path.insert(0, {tests!r})
    import asyncio

    from briefing.core.feedparse import prepare_worker
    from briefing.core.workers import WorkerPool
    from _worker_probe import modules_loaded

    async def probe() -> None:
        pool = WorkerPool(1, method="spawn", prepare=prepare_worker)
        print(await pool.run(modules_loaded, {names!r}))
        await pool.aclose()

    asyncio.run(probe())
"""


def test_a_parse_worker_does_not_import_the_command_line(tmp_path: Path) -> None:
    """A spawned worker runs the program's script again before anything else; the
    script `pip` writes for `briefing` imports ``briefing.entry``, which imports
    nothing, so no worker pays for the command line, the store or the event loop
    (it did when the script imported ``briefing.cli``)."""
    import subprocess
    import sys

    names = ["briefing.cli", "briefing.core.store", "asyncio", "sqlite3", "diskcache"]
    script = tmp_path / "briefing"  # like the console script: no .py, imports at the top
    script.write_text(
        _COMMAND.format(tests=str(Path(__file__).parent), names=names), encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


async def test_workers_never_write_on_the_owners_terminal(tmp_path: Path) -> None:
    """A worker's stderr is /dev/null (a worker that lost its owner while starting
    could print multiprocessing's traceback over the reader's screen), and the
    owner's own stderr is back where it was once they have started."""
    import os

    from _worker_probe import stderr_target

    before = os.readlink("/proc/self/fd/2")
    pool = WorkerPool(1)
    try:
        assert await pool.run(stderr_target) == os.devnull
    finally:
        await pool.aclose()
    assert os.readlink("/proc/self/fd/2") == before

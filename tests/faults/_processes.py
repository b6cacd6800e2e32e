"""Real `briefing` processes for the fault tests: started with a tag, stopped by
real signals, and every process they leave behind found by PID.

Each run gets a unique ``BRIEFING_FAULT_TAG`` in its environment. Every
process it starts (parse workers, the forkserver and its extraction workers,
the resource tracker) inherits it, so after a kill a scan of
``/proc/*/environ`` finds each one still alive, however it was started and
whoever its parent is now. Zombies (exited, not yet reaped by whoever
adopted them) count as gone.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

TAG = "BRIEFING_FAULT_TAG"
GONE_WITHIN = 5.0
"""Seconds the processes of a stopped run get to exit (each worker exits
within a fraction of a second of its owner; this is generous for a busy CI)."""


def briefing_command() -> list[str]:
    return [sys.executable, "-m", "briefing"]


@dataclass
class Run:
    process: subprocess.Popen[bytes]
    tag: str
    stdout_path: Path
    stderr_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def signal(self, number: int) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, number)

    def wait(self, timeout: float = 60) -> int:
        return self.process.wait(timeout)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def start(args: list[str], folder: Path) -> Run:
    """``briefing ARGS`` in the background, output to files in ``folder``."""
    tag = uuid.uuid4().hex
    env = {**os.environ, TAG: tag, "PYTHONUNBUFFERED": "1"}
    env.pop("COLUMNS", None)
    stdout = folder / f"{tag}.out"
    stderr = folder / f"{tag}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [*briefing_command(), *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            start_new_session=True,  # its own process group: a signal reaches only it
        )
    return Run(process, tag, stdout, stderr)


def tagged_processes(tag: str) -> list[int]:
    """PIDs of live (not zombie) processes whose environment holds ``tag``."""
    needle = f"{TAG}={tag}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as handle:
                if needle not in handle.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in (b"Z", b"X"):
            found.append(int(entry.name))
    return found


def left_behind(run: Run, within: float = GONE_WITHIN) -> list[str]:
    """What is still running of ``run`` after ``within`` seconds: 'pid command' lines.
    Kills whatever it finds, so one failure does not leak into the next test."""
    deadline = time.monotonic() + within
    while True:
        pids = tagged_processes(run.tag)
        if not pids or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    described = []
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        described.append(f"{pid} {command.decode(errors='replace')[:120]}")
        with contextlib.suppress(OSError):
            os.kill(pid, 9)
    return described


def cached_articles(config: Path, cache: Path, folder: Path) -> dict[str, dict[str, object]]:
    """Every cached article by id (with its read and starred marks), read the
    way every command reads the cache. Fails the test if it cannot be opened."""
    from briefing.core.config import load_config
    from briefing.core.service import BriefingService
    from briefing.core.store import Store, StoreError

    try:
        service = BriefingService(load_config(config), Store(cache))
    except StoreError as error:
        raise AssertionError(f"cache unreadable after the fault: {error}") from None
    try:
        articles = service.articles(include_off_topic=True)
    finally:
        service.store.close()
    return {
        article.id: {"read": article.read, "starred": article.starred, "title": article.title}
        for article in articles
    }

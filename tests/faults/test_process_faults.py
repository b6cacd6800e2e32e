"""Issue 15's fault suite, the process side: real `briefing fetch` processes, real
signals at seeded random points of the feed step and of the page step, two
processes on one cache, and every process a run leaves behind found by PID.

Each test serves feeds (and the article pages they link to) from 127.0.0.1 on
a free port. Every round of the server adds new items to every feed, so each
fetch has articles to store and pages to fetch while it is being killed.
After each fault: the cache opens, no article is lost (the count never
drops), the read and starred marks set before stay, and no process of the
run is left (tests/faults/_processes.py). Each test prints its counts as
'tried / failed'.
"""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from _fetch_helpers import Recorded, Reply, serve
from conftest import TOPIC, config_text

from briefing.core.config import load_config
from briefing.core.service import BriefingService
from briefing.core.store import Store
from faults._processes import Run, cached_articles, left_behind, start

pytestmark = pytest.mark.timeout(300)

FEEDS = 16
NEW_PER_ROUND = 2
"""Items each feed gains per round (on topic, summary only: each needs its page)."""
KEPT_PER_FEED = 12
FEED_DELAY_STEP = 0.02
"""Feed i answers after i x this: the feed step lasts about FEEDS x this."""
PAGE_DELAY = 0.03


@dataclass
class Site:
    """The feeds and pages on the loopback server, and when the steps began."""

    base: str
    round: int = 0
    first_feed_request: threading.Event = field(default_factory=threading.Event)
    first_page_request: threading.Event = field(default_factory=threading.Event)

    def next_round(self) -> None:
        self.round += 1
        self.first_feed_request.clear()
        self.first_page_request.clear()

    def feed_url(self, index: int) -> str:
        return f"{self.base}/feed/{index}.xml"


def _feed(site: Site, index: int) -> tuple[bytes, list[str]]:
    newest = (site.round + 1) * NEW_PER_ROUND
    numbers = range(newest - 1, max(-1, newest - 1 - KEPT_PER_FEED), -1)
    now = datetime.now(UTC)
    items = []
    pages = []
    for number in numbers:
        pages.append(f"/page/{index}-{number}.html")
        date = format_datetime(now - timedelta(minutes=number), usegmt=True)
        items.append(
            f"<item><title>Feed {index} story {number}: Anna's Archive ruling</title>"
            f"<link>{site.base}/page/{index}-{number}.html</link>"
            f"<guid>urn:fault:{index}:{number}</guid><pubDate>{date}</pubDate>"
            "<description>Short teaser on the Anna's Archive case.</description></item>"
        )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Fault wire {index}</title><link>{site.base}/</link>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()
    return body, pages


def _page(path: str) -> bytes:
    paragraphs = "".join(
        f"<p>Paragraph {n} of {path}: the court heard that Anna's Archive held 86 million"
        " files, and the labels asked for damages of $13 trillion in their filing.</p>"
        for n in range(8)
    )
    return (
        "<!doctype html><html><head><title>Story</title></head><body><nav>Home</nav>"
        f"<article><h1>Story {path}</h1>{paragraphs}</article><footer>Footer</footer>"
        "</body></html>"
    ).encode()


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve() as server:
        state = Site(server.base)

        def page_route(request: Recorded) -> Reply:
            state.first_page_request.set()
            time.sleep(PAGE_DELAY)
            return Reply(200, _page(request.path), {"Content-Type": "text/html; charset=utf-8"})

        def feed_route(index: int) -> Callable[[Recorded], Reply]:
            def answer(request: Recorded) -> Reply:
                state.first_feed_request.set()
                time.sleep(index * FEED_DELAY_STEP)
                body, pages = _feed(state, index)
                for path in pages:
                    server.routes.setdefault(path, page_route)
                return Reply(200, body, {"Content-Type": "application/rss+xml"})

            return answer

        for index in range(FEEDS):
            server.route(f"/feed/{index}.xml", feed_route(index))
        yield state


@dataclass
class Cache:
    folder: Path
    config: Path
    cache: Path
    marked_read: set[str] = field(default_factory=set)
    marked_starred: set[str] = field(default_factory=set)
    count: int = 0

    def fetch_args(self) -> list[str]:
        return ["--config", str(self.config), "--cache-dir", str(self.cache), "fetch"]


@pytest.fixture(scope="module")
def baseline(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Cache:
    """A cache filled by one complete fetch, with some articles marked: made
    once, copied for each test."""
    folder = tmp_path_factory.mktemp("baseline")
    config = folder / "feeds.toml"
    feeds = [(f"Fault wire {i}", site.feed_url(i)) for i in range(FEEDS)]
    config.write_text(config_text(feeds, settings="timeout = 20"))
    state = Cache(folder, config, folder / "cache")
    site.next_round()
    run = start(state.fetch_args(), folder)
    assert run.wait(120) == 0, run.stderr
    assert not left_behind(run)
    articles = cached_articles(config, state.cache, folder)
    assert len(articles) == FEEDS * min(KEPT_PER_FEED, (site.round + 1) * NEW_PER_ROUND)
    ids = sorted(articles)
    state.marked_read = set(ids[::3])
    state.marked_starred = set(ids[1::4])
    service = BriefingService(load_config(config), Store(state.cache))
    service.set_read(sorted(state.marked_read))
    service.set_starred(sorted(state.marked_starred), True)
    service.store.close()
    state.count = len(articles)
    return state


@pytest.fixture
def cache(baseline: Cache, tmp_path: Path) -> Cache:
    import shutil

    shutil.copytree(baseline.cache, tmp_path / "cache")
    config = tmp_path / "feeds.toml"
    shutil.copy(baseline.config, config)
    return Cache(
        tmp_path,
        config,
        tmp_path / "cache",
        set(baseline.marked_read),
        set(baseline.marked_starred),
        baseline.count,
    )


@dataclass
class Tally:
    """'tried / failed' per case, printed the way issue 15's table counts."""

    rows: dict[str, list[int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def record(self, case: str, problems: list[str]) -> None:
        counts = self.rows.setdefault(case, [0, 0])
        counts[0] += 1
        if problems:
            counts[1] += 1
            self.failures.extend(f"{case}: {p}" for p in problems)

    def report(self) -> None:
        print()
        print("| test | tried | failed |")
        print("|---|---|---|")
        for case, (tried, failed) in self.rows.items():
            print(f"| {case} | {tried} | {failed} |")
        assert not self.failures, "\n".join(self.failures)


def _check_after(run: Run, state: Cache) -> list[str]:
    """What went wrong after a fault: leftovers, a lost article, a lost mark."""
    problems = [f"left running: {line}" for line in left_behind(run)]
    if "Traceback" in run.stderr:
        problems.append(f"traceback: {run.stderr[-600:]}")
    articles = cached_articles(state.config, state.cache, state.folder)
    if len(articles) < state.count:
        problems.append(f"articles dropped from {state.count} to {len(articles)}")
    lost_read = [i for i in state.marked_read if not articles.get(i, {}).get("read")]
    lost_star = [i for i in state.marked_starred if not articles.get(i, {}).get("starred")]
    if lost_read or lost_star:
        problems.append(f"marks lost: {len(lost_read)} read, {len(lost_star)} starred")
    state.count = max(state.count, len(articles))
    return problems


def _fault_run(
    site: Site, state: Cache, *, step: str, number: int, delay: float
) -> tuple[Run, list[str]]:
    """One fetch of a new round, sent ``number`` ``delay`` s into ``step``."""
    site.next_round()
    run = start(state.fetch_args(), state.folder)
    began = site.first_feed_request if step == "feed" else site.first_page_request
    problems: list[str] = []
    if not began.wait(60):
        problems.append(f"the {step} step never began: {run.stderr[-400:]}")
    else:
        time.sleep(delay)
        if run.process.poll() is not None:
            problems.append(f"finished before the signal ({delay:.2f} s into the {step} step)")
        run.signal(number)
    try:
        code = run.wait(60)
    except subprocess.TimeoutExpired:
        run.signal(signal.SIGKILL)
        code = run.wait(10)
        problems.append(f"did not stop within 60 s of {signal.Signals(number).name}")
    if number != signal.SIGKILL and not problems:
        if code != 128 + number:
            problems.append(f"exit status {code}, expected {128 + number}: {run.stderr[-400:]}")
        elif f"stopped by {signal.Signals(number).name}" not in run.stderr:
            problems.append(f"no stop message: {run.stderr[-400:]}")
    return run, problems + _check_after(run, state)


FEED_STEP = FEEDS * FEED_DELAY_STEP
PAGE_STEP = FEEDS * NEW_PER_ROUND * PAGE_DELAY / 4  # four pages at a time on one host


def test_kill_9_at_random_points_of_the_feed_and_page_steps(site: Site, cache: Cache) -> None:
    tally = Tally()
    chooser = random.Random(20260116)
    for step, window, tries in (("feed", FEED_STEP, 5), ("page", PAGE_STEP, 5)):
        for _ in range(tries):
            delay = chooser.uniform(0.02, 0.8 * window)
            _run, problems = _fault_run(site, cache, step=step, number=signal.SIGKILL, delay=delay)
            tally.record(f"kill -9 during the {step} step", problems)
    tally.report()


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_stop_like_ctrl_c(site: Site, cache: Cache, number: int) -> None:
    tally = Tally()
    chooser = random.Random(number)
    for step, window in (("feed", FEED_STEP), ("page", PAGE_STEP)):
        for _ in range(1):
            delay = chooser.uniform(0.02, 0.8 * window)
            _run, problems = _fault_run(site, cache, step=step, number=number, delay=delay)
            tally.record(f"{signal.Signals(number).name} during the {step} step", problems)
    tally.report()


def test_two_fetches_on_one_cache_at_once(site: Site, cache: Cache) -> None:
    tally = Tally()
    for _ in range(2):
        site.next_round()
        runs = [start(cache.fetch_args(), cache.folder) for _ in range(2)]
        problems: list[str] = []
        for run in runs:
            code = run.wait(120)
            if code != 0:
                problems.append(f"exit status {code}: {run.stderr[-400:]}")
        for run in runs:
            problems += _check_after(run, cache)
        articles = cached_articles(cache.config, cache.cache, cache.folder)
        expected = FEEDS * min(KEPT_PER_FEED, (site.round + 1) * NEW_PER_ROUND)
        if len(articles) < expected:
            problems.append(f"{len(articles)} articles cached, the feeds list {expected}")
        tally.record("two fetches on one cache at once", problems)
    tally.report()


def test_a_killed_fetch_is_followed_by_a_complete_one(site: Site, cache: Cache) -> None:
    """After a kill -9 in the page step, the next fetch completes and stores
    every article the feeds list."""
    _run, problems = _fault_run(site, cache, step="page", number=signal.SIGKILL, delay=0.1)
    assert not problems, problems
    again = start(cache.fetch_args(), cache.folder)
    assert again.wait(120) == 0, again.stderr
    assert not left_behind(again)
    articles = cached_articles(cache.config, cache.cache, cache.folder)
    assert len(articles) >= FEEDS * min(KEPT_PER_FEED, (site.round + 1) * NEW_PER_ROUND)
    assert TOPIC.keywords[0] in next(iter(articles.values()))["title"]  # type: ignore[operator]


def _reader_in_a_pty(state: Cache) -> tuple[subprocess.Popen[bytes], bytearray, str]:
    """The reader on a real pseudo-terminal (120 x 35), its screen output collected."""
    import fcntl
    import os
    import struct
    import termios
    import uuid

    from faults._processes import TAG, briefing_command

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 35, 120, 0, 0))
    tag = uuid.uuid4().hex
    env = {**os.environ, TAG: tag, "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [*briefing_command(), "--config", str(state.config), "--cache-dir", str(state.cache)],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    screen = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            screen.extend(chunk)

    threading.Thread(target=drain, daemon=True).start()
    process.master_fd = master  # type: ignore[attr-defined]
    return process, screen, tag


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_the_reader_stops_on_sigterm_and_sighup_mid_refresh(
    site: Site, cache: Cache, number: int
) -> None:
    import os

    tally = Tally()
    site.next_round()
    process, screen, tag = _reader_in_a_pty(cache)
    problems: list[str] = []
    deadline = time.monotonic() + 60
    while b"Sources" not in screen and time.monotonic() < deadline:
        time.sleep(0.05)
    os.write(process.master_fd, b"r")  # type: ignore[attr-defined]
    if not site.first_feed_request.wait(30):
        problems.append("the refresh never began")
    os.kill(process.pid, number)
    try:
        code = process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait(10)
        problems.append(f"the reader did not stop within 30 s of {signal.Signals(number).name}")
    if code not in (0, 128 + number):
        problems.append(f"exit status {code}")
    time.sleep(0.2)
    if b"\x1b[?1049l" not in screen[-4000:]:
        problems.append("the terminal was not given back (no exit from the alternate screen)")
    if b"Traceback" in screen:
        at = screen.find(b"Traceback")
        shown = bytes(screen[at : at + 1500]).decode("utf-8", "replace")
        problems.append(f"a traceback on the screen: {shown!r}")  # what it was, to mend it
    run = Run(process, tag, cache.folder / "none.out", cache.folder / "none.err")  # type: ignore[arg-type]
    (cache.folder / "none.err").write_text("")
    problems += _check_after(run, cache)
    os.close(process.master_fd)  # type: ignore[attr-defined]
    tally.record(f"{signal.Signals(number).name} to the reader during a refresh", problems)
    tally.report()

"""The reader's speed: launch to first full screen, next article, peak memory.

    .venv/bin/python bench/bench_tui.py [--articles 5000] [--topic-rate 0.25] [--runs 5] [--no-newsboat]
    .venv/bin/python bench/bench_tui.py --scale [--runs 7]

``--scale`` is issue 11's launch target: 5,000 cached on-topic articles
(125 feeds x 40 items, all on topic), then 100,000 cached (125 feeds x 800
items, 5,000 of them on topic), and a cache of 5,000 with about 100 on topic
whose key facts can be stored (see SCALES); newsboat on the same items in the
same run, and only the launch (no next-article or memory runs).

1. Launch: the installed entry point (`.venv/bin/briefing --offline`, the
   console script pip writes, bytecode compiled) in a tmux pane of 160x50,
   polling `tmux capture-pane` every 5 ms until the full screen is up (header
   with the article count, article list rows, article pane and footer), and
   on until the key facts are listed ("Key facts (N)").
   The same for newsboat on a cache of the same articles (when it is installed).
2. Next article: `j` onto a 10,000-word article, until its visible lines are
   drawn with their figure highlights. Measured in-process (Pilot, headless)
   and end to end in tmux (send-keys, poll until its title shows).
3. Peak memory (VmHWM) of the app with 10,000 cached articles, after the key
   facts are worked out and a few keys are pressed.

The feeds come from ../shared/bench/gen_feeds.py (deterministic; a quarter of
the items mention the topic) and are loaded with `briefing fetch` from local
files, so both readers hold the same articles. newsboat's cache is filled from
the same files served on 127.0.0.1 by ../shared/bench/serve.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from _bench_common import compile_bytecode

ROOT = Path(__file__).resolve().parent.parent
SHARED = next(
    (up / "shared" / "bench" for up in ROOT.parents if (up / "shared" / "bench").is_dir()),
    ROOT.parent / "shared" / "bench",
)
"""../shared/bench from the main checkout, ../../shared/bench from a worktree."""
PYTHON = sys.executable
BRIEFING = Path(sys.executable).with_name("briefing")
"""The console script of the venv this bench runs in (what a user starts)."""
SIZE = (160, 50)
FULL_SCREEN = re.compile(r"\d+ articles · \d+ unread")
FACTS_SHOWN = re.compile(r"Key facts \(\d+\)")
DEFAULT_TOPIC_RATE = "0.25"
TOPIC_RATE = DEFAULT_TOPIC_RATE
ITEMS = 40
FACTS_TIMEOUT = 600.0
"""Seconds the set-up's `briefing facts` may take (--facts-timeout)."""
"""Items per generated feed (--scale keeps the feeds and grows this)."""
KEYWORDS = '["Anna\'s Archive", "shadow library"]'
BOTH_TOPICS = '["Anna\'s Archive", "shadow library", "Spotify lawsuit"]'
"""--scale: both of gen_feeds' topics, so --topic-rate 1 puts every article on topic."""
"""Items per generated feed (--scale keeps the feeds and grows this)."""


# --------------------------------------------------------------------------- set-up


def run(command: list[str], **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=True, text=True, capture_output=True, **options)  # type: ignore[call-overload, no-any-return]


def generate_feeds(folder: Path, articles: int) -> Path:
    feeds = folder / "feeds"
    if not (feeds / "manifest.json").exists():
        count = max(1, articles // ITEMS)
        run([PYTHON, str(SHARED / "gen_feeds.py"), str(feeds), "-n", str(count), "-m", str(ITEMS),
             "--topic-rate", TOPIC_RATE])  # fmt: skip
    return feeds


def cache_folder(work: Path, articles: int) -> Path:
    """One folder per size and topic rate, so runs of either never mix."""
    suffix = "" if TOPIC_RATE == DEFAULT_TOPIC_RATE else f"-t{TOPIC_RATE}"
    suffix += "" if ITEMS == 40 else f"-m{ITEMS}"
    suffix += "-both" if KEYWORDS == BOTH_TOPICS else ""
    return work / f"a{articles}{suffix}"


def briefing_cache(folder: Path, articles: int) -> tuple[Path, Path]:
    """feeds.toml over the generated files, and a cache filled by `briefing fetch`."""
    feeds = generate_feeds(folder, articles)
    config = folder / "feeds.toml"
    cache = folder / "cache"
    if not cache.exists():
        lines = [
            "[topic]",
            'name = "Spotify and the labels v. Anna\'s Archive"',
            f"keywords = {KEYWORDS}",
            "[settings]",
            "retention_days = 36500",
        ]
        for path in sorted(feeds.iterdir()):
            if path.suffix in (".rss", ".atom"):
                lines += [
                    "[[feeds]]",
                    f'name = "{path.name}"',
                    f'url = "{path}"',
                    "full_text = false",
                ]
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        base = [str(BRIEFING), "--config", str(config), "--cache-dir", str(cache)]
        run([*base, "fetch", "--no-full-text"], cwd=ROOT)
    # As after an earlier session: the key facts are worked out and stored (quick
    # when they are current; again when the engine or the stored format changed).
    command = [str(BRIEFING), "--config", str(config), "--cache-dir", str(cache), "facts"]
    try:
        run(command, cwd=ROOT, timeout=FACTS_TIMEOUT)
    except subprocess.TimeoutExpired:
        print(
            f"  {cache}: `briefing facts` did not finish in {FACTS_TIMEOUT:.0f} s:"
            " the key facts are not stored, the reader works them out in the background"
        )
    return config, cache


def facts_stored(config: Path, cache: Path) -> bool:
    """Whether the cache holds a current merge (the reader then reads its summary)."""
    from briefing.core.config import load_config
    from briefing.core.service import BriefingService
    from briefing.core.store import Store

    service = BriefingService(load_config(config), Store(cache))
    try:
        return service.stored_briefing(detail=False) is not None
    finally:
        service.store.close()


def reader_command(config: Path, cache: Path) -> str:
    return (
        f"cd {shlex.quote(str(ROOT))} && exec {shlex.quote(str(BRIEFING))}"
        f" --config {shlex.quote(str(config))} --cache-dir {shlex.quote(str(cache))} --offline"
    )


def newsboat_cache(folder: Path, articles: int) -> Path | None:
    if shutil.which("newsboat") is None:
        return None
    feeds = generate_feeds(folder, articles)
    work = folder / "newsboat"
    if (work / "cache.db").exists():
        return work
    port_file = folder / "serve.port"
    port_file.unlink(missing_ok=True)
    server = subprocess.Popen(
        [PYTHON, str(SHARED / "serve.py"), str(feeds), "--max-seconds", "300",
         "--port-file", str(port_file)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.05)
        port = port_file.read_text().strip()
        script = str(SHARED / "newsboat_reload.sh")
        run(["bash", script, "setup", str(work), f"http://127.0.0.1:{port}", str(feeds), "8"])
        run(["bash", script, "cold", str(work)])
    finally:
        server.terminate()
        server.wait()
    return work


def newsboat_command(work: Path) -> str:
    home = work / "home"
    return (
        f"export HOME={home} XDG_CONFIG_HOME={home}/.config XDG_DATA_HOME={home}/.local/share;"
        f" exec newsboat -C {work}/config -u {work}/urls -c {work}/cache.db"
    )


# --------------------------------------------------------------------------- tmux


SESSION = "briefing-bench-tui"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=False, text=True, capture_output=True).stdout


@contextlib.contextmanager
def pane(command: str) -> Iterator[float]:
    """Start ``command`` in a fresh 160x50 tmux session; yields the start time."""
    tmux("kill-session", "-t", SESSION)
    started = time.perf_counter()
    tmux("new-session", "-d", "-s", SESSION, "-x", str(SIZE[0]), "-y", str(SIZE[1]), command)
    pid = pane_pid()
    try:
        yield started
    finally:
        tmux("kill-session", "-t", SESSION)
        # The next run must not share the CPU with this one still shutting down.
        deadline = time.perf_counter() + 10
        while Path(f"/proc/{pid}").exists() and time.perf_counter() < deadline:
            time.sleep(0.02)
        if Path(f"/proc/{pid}").exists():  # still working out key facts: stop it
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def capture() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def poll(condition: Callable[[str], bool], timeout: float = 30.0, every: float = 0.005) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition(capture()):
            return time.perf_counter()
        time.sleep(every)
    raise TimeoutError(capture())


def reader_full(screen: str) -> bool:
    lines = screen.splitlines()
    return bool(FULL_SCREEN.search(screen)) and len(lines) >= SIZE[1] - 1 and "Quit" in lines[-1]


def newsboat_full(screen: str) -> bool:
    # The feed list: a title bar, numbered feeds with (unread/total), the key hints.
    return "newsboat" in screen and len(re.findall(r"\(\d+/\d+\)", screen)) >= 20


def facts_shown(screen: str) -> bool:
    return bool(FACTS_SHOWN.search(screen))


def launch_reader(command: str, facts_timeout: float = 120) -> tuple[float, float | None]:
    """Seconds to the full first screen, and to the key facts listed in it (None when
    they are not listed within ``facts_timeout``)."""
    with pane(command) as started:
        full = poll(reader_full) - started
        try:
            facts: float | None = poll(facts_shown, timeout=facts_timeout) - started
        except TimeoutError:
            facts = None
    return full, facts


def launch_times(command: str, full: Callable[[str], bool], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with pane(command) as started:
            # newsboat reads every item before its feed list: 20-30 s for 100,000 here
            times.append(poll(full, timeout=180) - started)
    return times


def pane_pid() -> int:
    return int(tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}").strip())


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


# --------------------------------------------------------------------------- next article


def long_article_cache(folder: Path) -> tuple[Path, Path, list[str]]:
    """A cache of three 10,000-word articles (and their titles, newest first)."""
    from briefing.core.config import load_config
    from briefing.core.models import ParsedEntry
    from briefing.core.service import BriefingService
    from briefing.core.store import Store

    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "feeds.toml"
    config_path.write_text(
        '[topic]\nname = "Spotify and the labels v. Anna\'s Archive"\n'
        'keywords = ["Anna\'s Archive"]\n[settings]\nretention_days = 36500\n'
        '[[feeds]]\nname = "Long reads"\nurl = "https://feeds.invalid/long"\nfull_text = false\n',
        encoding="utf-8",
    )
    sentence = (
        "The complaint says Anna's Archive copied 86 million music files and seeks "
        "$13 trillion, about 99.6% of listens and roughly 300 TB, unsealed on January 16, 2026. "
    )  # 25 words, five figures
    paragraph = "<p>" + sentence * 5 + "</p>"
    titles = [f"Long read {n}: the Anna's Archive case in full" for n in (3, 2, 1)]
    entries = [
        ParsedEntry(f"long-{n}", f"Long read {n}: the Anna's Archive case in full",
                    f"https://example.org/long-{n}", "", f"2026-01-{10 + n}T12:00:00+00:00",
                    "", paragraph * 80)
        for n in (1, 2, 3)
    ]  # fmt: skip
    cache = folder / "cache"
    if cache.exists():
        shutil.rmtree(cache)
    service = BriefingService(load_config(config_path), Store(cache))
    service.store.save_entries("Long reads", entries, service.topic_filter, retention_days=36500)
    service.briefing()
    service.store.close()
    return config_path, cache, titles


async def next_article_in_process(
    config_path: Path, cache: Path, runs: int, *, reading: bool
) -> list[float]:
    """From the key event to the last visible line of the new article drawn.

    The article pane's render_line is wrapped so the clock stops when the
    compositor draws the bottom line of the newly shown article. ``reading``
    leaves a pause between keys (so the neighbours are prepared, as while
    reading); otherwise every body is parsed from scratch.
    """
    from textual import events

    from briefing.core.config import load_config
    from briefing.core.service import BriefingService
    from briefing.core.store import Store
    from briefing.ui.app import BriefingApp
    from briefing.ui.widgets.article_list import ArticleList
    from briefing.ui.widgets.article_view import ArticleView

    service = BriefingService(load_config(config_path), Store(cache))
    app = BriefingApp(service, offline=True)
    times = []
    async with app.run_test(size=SIZE) as pilot:
        while app.main_screen.data is None or app.busy:
            await pilot.pause(0.05)
        await pilot.pause(0.5)
        view = app.main_screen.query_one(ArticleView)
        rows = app.main_screen.query_one(ArticleList).articles
        wanted: dict[str, object] = {}
        draw = view.render_line

        def timed_render_line(y: int) -> object:
            strip = draw(y)
            document = view.document
            bottom = view.scrollable_content_region.height - 1
            if document is not None and document.article_id == wanted.get("id") and y == bottom:
                wanted.setdefault("drawn", time.perf_counter())
            return strip

        view.render_line = timed_render_line  # type: ignore[method-assign]
        for number in range(runs):
            if not reading:
                app.main_screen._documents.clear()
            key = "j" if number % 2 == 0 else "k"
            wanted.clear()
            wanted["id"] = rows[1 if key == "j" else 0].id
            started = time.perf_counter()
            app.post_message(events.Key(key, key))
            while "drawn" not in wanted:
                await asyncio.sleep(0.0005)
            times.append(float(wanted["drawn"]) - started)  # type: ignore[arg-type]
            await asyncio.sleep(0.4 if reading else 0.05)
    service.store.close()
    return times


def next_article_in_tmux(
    config_path: Path, cache: Path, titles: list[str], runs: int
) -> list[float]:
    times = []
    with pane(reader_command(config_path, cache)):
        poll(reader_full)
        poll(lambda screen: bool(FACTS_SHOWN.search(screen)))
        time.sleep(0.5)
        for number in range(runs):
            key, title = ("j", titles[1]) if number % 2 == 0 else ("k", titles[0])
            started = time.perf_counter()
            tmux("send-keys", "-t", SESSION, key)
            # The title shows twice once the article pane has it: list and article.
            times.append(poll(lambda s, t=title: s.count(t[:20]) >= 2, every=0.001) - started)
            time.sleep(0.2)
    return times


# --------------------------------------------------------------------------- memory


def peak_memory(
    command: str, ready: Callable[[str], bool], keys: list[str], timeout: float = 180
) -> float:
    with pane(command):
        poll(ready, timeout=timeout)
        pid = pane_pid()
        time.sleep(0.5)
        for key in keys:
            tmux("send-keys", "-t", SESSION, key)
            time.sleep(0.1)
        return peak_rss_mb(pid)


# --------------------------------------------------------------------------- report


def summary(times: list[float]) -> str:
    values = sorted(times)
    return (
        f"median {statistics.median(values) * 1000:.0f} ms"
        f" (min {values[0] * 1000:.0f}, max {values[-1] * 1000:.0f}, n={len(values)})"
    )


SCALES = (
    ("5,000 on topic", 5000, 40, "1"),
    ("100,000 cached, 5,000 on topic", 100000, 800, "0.05"),
    ("5,000 cached, ~100 on topic", 5000, 40, "0.02"),
)
"""(label, articles cached, items per feed, topic rate), 125 feeds each. The first
two are issue 11's launch targets. The facts engine cannot merge thousands of the
generated articles in a bench's time (its merge grows with the square of the
facts), so the third is where the key facts are stored and their arrival timed."""


def scale_run(work: Path, runs: int, with_newsboat: bool) -> None:
    """Issue 11's launch targets: every size and both readers, interleaved run by run."""
    global TOPIC_RATE, ITEMS, KEYWORDS
    KEYWORDS = BOTH_TOPICS
    setups = []
    for label, articles, items, rate in SCALES:
        TOPIC_RATE, ITEMS = rate, items
        folder = cache_folder(work, articles)
        config, cache = briefing_cache(folder, articles)
        newsboat = newsboat_cache(folder, articles) if with_newsboat else None
        setups.append((label, config, cache, newsboat))
    stored = {label: facts_stored(config, cache) for label, config, cache, _ in setups}
    for label, is_stored in stored.items():
        where = "stored, current" if is_stored else "NOT stored: worked out at each launch"
        print(f"{label}: key facts {where}")
    print(f"load {os.getloadavg()[0]:.2f} after the set-up")
    ours: dict[str, list[float]] = {label: [] for label, *_ in setups}
    facts: dict[str, list[float]] = {label: [] for label, *_ in setups}
    theirs: dict[str, list[float]] = {label: [] for label, *_ in setups}
    for _ in range(runs):
        for label, config, cache, newsboat in setups:
            timeout = 60.0 if stored[label] else 5.0
            full, shown = launch_reader(reader_command(config, cache), timeout)
            ours[label].append(full)
            if shown is not None:
                facts[label].append(shown)
            if newsboat is not None:
                theirs[label] += launch_times(newsboat_command(newsboat), newsboat_full, 1)
    for label, *_ in setups:
        print(f"{label}, briefing, launch to full first screen: {summary(ours[label])}")
        listed = summary(facts[label]) if facts[label] else "not within the runs"
        print(f"{label}, briefing, launch to key facts listed: {listed}")
        if theirs[label]:
            print(f"{label}, newsboat, launch to feed list: {summary(theirs[label])}")
            pairs = zip(ours[label], theirs[label], strict=True)
            ratio = statistics.median(a / b for a, b in pairs)
            print(f"  briefing / newsboat, run by run: median {ratio:.2f} (target <= 0.5)")
    small, large = SCALES[0][0], SCALES[1][0]
    growth = statistics.median(ours[large]) / statistics.median(ours[small])
    print(f"briefing's launch, {large} / {small}: {growth:.2f} (target <= 1.5)")
    if theirs[small] and theirs[large]:
        growth = statistics.median(theirs[large]) / statistics.median(theirs[small])
        print(f"newsboat's launch, {large} / {small}: {growth:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", action="store_true", help="5,000 on topic, then 100,000 cached; launch only"
    )
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument(
        "--topic-rate", default=DEFAULT_TOPIC_RATE, help="share of generated articles on the topic"
    )
    parser.add_argument("--memory-articles", type=int, default=10000)
    parser.add_argument(
        "--facts-timeout", type=float, default=600.0, help="seconds for the set-up's facts"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", default="/tmp/briefing-bench-tui")
    parser.add_argument("--no-newsboat", action="store_true")
    parser.add_argument(
        "--source-only",
        action="store_true",
        help="do not compile briefing's bytecode first (see compile_bytecode)",
    )
    args = parser.parse_args()
    global TOPIC_RATE, FACTS_TIMEOUT
    TOPIC_RATE = str(args.topic_rate)
    FACTS_TIMEOUT = args.facts_timeout
    if not args.source_only:
        compile_bytecode()
    if shutil.which("tmux") is None:
        print("bench_tui needs tmux", file=sys.stderr)
        return 2
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TERM", "xterm-256color")

    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} at the start")
    if args.scale:
        scale_run(work, args.runs, not args.no_newsboat)
        print(f"load {os.getloadavg()[0]:.2f} at the end")
        return 0
    config, cache = briefing_cache(cache_folder(work, args.articles), args.articles)
    newsboat = (
        None
        if args.no_newsboat
        else newsboat_cache(cache_folder(work, args.articles), args.articles)
    )
    if not args.no_newsboat and newsboat is None:
        print("newsboat: not installed (apt-get install -y newsboat)")
    # Interleaved, so both readers meet the same background load.
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(args.runs):
        ours += launch_times(reader_command(config, cache), reader_full, 1)
        if newsboat is not None:
            theirs += launch_times(newsboat_command(newsboat), newsboat_full, 1)
    print(f"launch to full screen, briefing, {args.articles} articles: {summary(ours)}")
    if theirs:
        print(f"launch to full screen, newsboat, {args.articles} articles: {summary(theirs)}")
        ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
        print(f"  briefing / newsboat, run by run: median {ratio:.2f}")

    long_config, long_cache, titles = long_article_cache(work / "long")
    times = asyncio.run(
        next_article_in_process(long_config, long_cache, 4 * args.runs, reading=False)
    )
    print(f"next article, 10,000 words, in-process, body never parsed before: {summary(times)}")
    times = asyncio.run(
        next_article_in_process(long_config, long_cache, 4 * args.runs, reading=True)
    )
    print(f"next article, 10,000 words, in-process, after reading 0.4 s: {summary(times)}")
    times = next_article_in_tmux(long_config, long_cache, titles, 4 * args.runs)
    print(f"next article, 10,000 words, tmux end to end: {summary(times)}")

    config, cache = briefing_cache(cache_folder(work, args.memory_articles), args.memory_articles)
    # tmux key names: 20 articles, a fact and its first quote, the timeline
    # there and back, then a search (which builds the search index).
    keys = ["j"] * 20 + ["Tab", "Enter", "Down", "Enter", "t", "t", "/", *"trump", "Enter"]
    # Ready once the key facts are worked out too: the most the reader holds.
    megabytes = peak_memory(
        reader_command(config, cache),
        lambda s: reader_full(s) and bool(FACTS_SHOWN.search(s)),
        keys,
    )
    print(f"peak memory (VmHWM), briefing, {args.memory_articles} articles: {megabytes:.0f} MB")
    if not args.no_newsboat:
        newsboat = newsboat_cache(cache_folder(work, args.memory_articles), args.memory_articles)
        if newsboat is not None:
            megabytes = peak_memory(newsboat_command(newsboat), newsboat_full, ["j"] * 20)
            print(
                f"peak memory (VmHWM), newsboat, {args.memory_articles} articles: {megabytes:.0f} MB"
            )
    print(f"load {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

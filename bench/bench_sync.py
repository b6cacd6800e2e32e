#!/usr/bin/env python3
"""Benchmark `briefing fetch` through a real Miniflux, and pushing queued marks.

    .venv/bin/python bench/bench_sync.py [--runs 3] [--feeds 200] [--items 40]
        [--latency-ms 50] [--marks 500] [--tools /work/shared/bench] [--no-newsboat]

The server is the tests' own (tests/_sync_server.py): Miniflux 2.2.6 from the
trixie package on a throwaway PostgreSQL 15 cluster, on 127.0.0.1. The feeds
are the shared generator's (FEEDS x ITEMS, RSS and Atom), served once by the
shared serve.py while Miniflux subscribes to them; after that only Miniflux
is asked. Between the clients and Miniflux sits a TCP forwarder that counts
the HTTP requests and holds each one back --latency-ms, as a distant server
would.

Measured, as a user runs them (the installed `briefing` entry point, default
settings, full text on; bytecode compiled first):

* a sync refresh, cold (an empty cache) and warm (nothing changed on the
  server), through the Google Reader API, through Miniflux's API with an API
  key, and with the account's password; newsboat 2.21's miniflux backend
  (`urls-source "miniflux"`, reload-threads 8, password) in the same run;
* pushing --marks queued marks: they are queued in the cache as the reader's
  `A` does (BriefingService.set_read), then `briefing fetch` sends them. Its
  sync line gives the requests and the time of the sync step alone.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _bench_common import ROOT, compile_bytecode
from bench_fetch import DEFAULT_TOOLS, FeedServer, Run, measure

sys.path.insert(0, str(ROOT / "tests"))
from _sync_server import (  # the tests' server, not a copy of it
    ServerAccount,
    SwitchableProxy,
    http_json,
    running_miniflux,
)

TOPIC = """\
[topic]
name = "Anna's Archive"
keywords = ["Anna's Archive", "Spotify lawsuit"]

[settings]
timeout = 60
"""
SYNC_LINE = re.compile(
    r"sync: .*?: (\d+) feeds?, (\d+) new; marks: (\d+) pulled, (\d+) sent, (\d+) waiting"
    r" \((\d+) requests?, ([\d.]+) s\)"
)


def subscribe_all(account: ServerAccount, urls: list[str]) -> None:
    def one(url: str) -> None:
        status, answer = http_json(
            "POST",
            account.server.url + "/v1/feeds",
            token=account.api_key,
            body={"feed_url": url, "category_id": category},
        )
        if status != 201:
            raise SystemExit(f"Miniflux could not subscribe to {url}: {status} {answer}")

    categories = account.rest("GET", "/v1/categories")
    category = categories[0]["id"]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, urls))


def write_sync_config(folder: Path, table: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "feeds.toml"
    path.write_text(TOPIC + "\n" + table, encoding="utf-8")
    return path


def queue_marks(config: Path, cache: Path, count: int, *, starred: bool = False) -> int:
    """Queue marks as the reader does (in this process, on the same cache)."""
    from briefing.core.config import load_config
    from briefing.core.service import BriefingService
    from briefing.core.store import Store

    service = BriefingService(load_config(config), Store(cache))
    try:
        articles = service.articles(include_off_topic=True)[:count]
        if starred:
            value = not articles[0].starred
            service.set_starred([a.id for a in articles], value)
        else:
            value = not articles[0].read
            service.set_read([a.id for a in articles], value)
        return len(articles)
    finally:
        service.store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--marks", type=int, default=500)
    parser.add_argument("--tools", type=Path, default=DEFAULT_TOOLS)
    parser.add_argument("--no-newsboat", action="store_true")
    args = parser.parse_args()
    compile_bytecode()
    briefing = Path(sys.executable).with_name("briefing")
    if not briefing.exists():
        raise SystemExit(f"{briefing} not found: install the project (pip install -e .)")
    newsboat = not args.no_newsboat and shutil.which("newsboat") is not None

    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    feed_dir = work / "feeds"
    subprocess.run(
        [sys.executable, str(args.tools / "gen_feeds.py"), str(feed_dir),
         "-n", str(args.feeds), "-m", str(args.items)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    feeds = FeedServer(args.tools, feed_dir, 0, work)
    results: dict[tuple[str, str], list[tuple[Run, int]]] = {}
    pushes: dict[str, list[tuple[Run, int, float]]] = {}
    try:
        with running_miniflux() as server:
            account = server.new_account()
            subscribe_all(account, feeds.urls())
            feeds.stop()  # from here on, only Miniflux is asked
            entries = account.rest("GET", "/v1/entries?limit=1")["total"]
            print(f"Miniflux {server.version}: {args.feeds} feeds, {entries} entries")
            proxy = SwitchableProxy(server.url, latency=args.latency_ms / 1000)
            env = {**os.environ}
            setups: dict[str, tuple[Path, Path]] = {}
            for name, backend, username in (
                ("greader", "greader", False),
                ("miniflux (API key)", "miniflux", False),
                ("miniflux (password)", "miniflux", True),
            ):
                variable = "BENCH_SECRET_" + re.sub(r"\W", "_", name).upper()
                table, secret = account.sync_table(
                    backend, env=variable, url=proxy.url, username=username
                )
                env[variable] = secret
                folder = work / re.sub(r"\W+", "-", name)
                setups[name] = (write_sync_config(folder, table), folder / "cache")
            nb = work / "newsboat"
            if newsboat:
                (nb / "home").mkdir(parents=True)
                (nb / "urls").write_text("", encoding="utf-8")
                (nb / "config").write_text(
                    'urls-source "miniflux"\n'
                    f'miniflux-url "{proxy.url}/"\n'
                    f'miniflux-login "{account.username}"\n'
                    f'miniflux-password "{account.password}"\n'
                    "reload-threads 8\ndownload-timeout 60\n",
                    encoding="utf-8",
                )

            def briefing_run(name: str, cold: bool) -> tuple[Run, int]:
                config, cache = setups[name]
                if cold:
                    shutil.rmtree(cache, ignore_errors=True)
                before = proxy.requests
                run = measure(
                    [str(briefing), "--config", str(config), "--cache-dir", str(cache), "fetch"],
                    env,
                )
                if run.returncode != 0 or not SYNC_LINE.search(run.output):
                    raise SystemExit(f"briefing ({name}) failed:\n{run.output[-2000:]}")
                return run, proxy.requests - before

            def newsboat_run(cold: bool) -> tuple[Run, int]:
                if cold:
                    (nb / "cache.db").unlink(missing_ok=True)
                before = proxy.requests
                run = measure(
                    ["newsboat", "-q", "-C", str(nb / "config"), "-u", str(nb / "urls"),
                     "-c", str(nb / "cache.db"), "-x", "reload"],
                    {**env, "HOME": str(nb / "home")},
                )  # fmt: skip
                if run.returncode != 0:
                    raise SystemExit(f"newsboat failed:\n{run.output[-2000:]}")
                return run, proxy.requests - before

            tools = [*setups, *(["newsboat"] if newsboat else [])]
            for phase in ("cold", "warm"):
                for _ in range(args.runs):
                    for tool in tools:
                        if tool == "newsboat":
                            outcome = newsboat_run(phase == "cold")
                        else:
                            outcome = briefing_run(tool, phase == "cold")
                        results.setdefault((tool, phase), []).append(outcome)
                if phase == "cold":  # the cold runs' caches, warmed once more
                    for tool in tools:
                        newsboat_run(False) if tool == "newsboat" else briefing_run(tool, False)

            for name, starred in (
                ("greader", False),
                ("miniflux (API key)", False),
                ("miniflux (API key)", True),
            ):
                label = f"{name}, {'stars' if starred else 'reads'}"
                config, cache = setups[name]
                for _ in range(args.runs):
                    briefing_run(name, cold=False)  # in step with the server first
                    queued = queue_marks(config, cache, args.marks, starred=starred)
                    run, _requests = briefing_run(name, cold=False)
                    found = SYNC_LINE.search(run.output)
                    assert found is not None
                    sent, waiting, step_requests, step_seconds = (
                        int(found.group(4)),
                        int(found.group(5)),
                        int(found.group(6)),
                        float(found.group(7)),
                    )
                    if sent != queued or waiting:
                        raise SystemExit(f"{label}: {sent} of {queued} sent, {waiting} waiting")
                    pushes.setdefault(label, []).append((run, step_requests, step_seconds))
            proxy.off()
    finally:
        feeds.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"\n{args.feeds} subscriptions, {args.feeds * args.items} entries through Miniflux,"
        f" {args.latency_ms:g} ms per request, median of {args.runs}\n"
    )
    print(
        "| client | cold wall | cold requests | warm wall | warm requests | cold CPU | cold peak PSS |"
    )
    print("|---|---|---|---|---|---|---|")
    for tool in tools:
        cells = []
        for phase in ("cold", "warm"):
            runs = results[(tool, phase)]
            walls = [r.wall for r, _ in runs]
            cells.append(f"{statistics.median(walls):.2f} s ({min(walls):.2f}–{max(walls):.2f})")
            cells.append(str(int(statistics.median(n for _, n in runs))))
        cold = results[(tool, "cold")]
        cpu = statistics.median(r.cpu for r, _ in cold)
        pss = statistics.median(r.total_mb for r, _ in cold)
        label = "newsboat 2.21 (miniflux, password)" if tool == "newsboat" else f"briefing, {tool}"
        print(
            f"| {label} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} | {cpu:.2f} s | {pss:.0f} MB |"
        )
    if newsboat:
        theirs = statistics.median(r.wall for r, _ in results[("newsboat", "cold")])
        theirs_warm = statistics.median(r.wall for r, _ in results[("newsboat", "warm")])
        for tool in setups:
            ours = statistics.median(r.wall for r, _ in results[(tool, "cold")])
            ours_warm = statistics.median(r.wall for r, _ in results[(tool, "warm")])
            print(
                f"  {tool}: cold {ours / theirs:.2f} of newsboat's, warm {ours_warm / theirs_warm:.2f}"
            )
    print("\nthe sync step alone (briefing's own line), median:")
    for tool in setups:
        for phase in ("cold", "warm"):
            lines = [SYNC_LINE.search(r.output) for r, _ in results[(tool, phase)]]
            steps = [float(m.group(7)) for m in lines if m]
            asked = [int(m.group(6)) for m in lines if m]
            print(
                f"  {tool}, {phase}: {statistics.median(asked):.0f} requests,"
                f" {statistics.median(steps):.2f} s"
            )
    print(f"\npushing {args.marks} queued marks (with a warm sync), median of {args.runs}\n")
    print("| marks through | sync step requests | sync step time | whole `briefing fetch` |")
    print("|---|---|---|---|")
    for label, runs in pushes.items():
        step_requests = int(statistics.median(n for _, n, _ in runs))
        step_time = statistics.median(s for _, _, s in runs)
        wall = statistics.median(r.wall for r, _, _ in runs)
        print(f"| {label} | {step_requests} | {step_time:.2f} s | {wall:.2f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Cold refresh as a user runs it, against `newsboat -x reload` in the same run.

    .venv/bin/python bench/bench_cold.py [--runs 5] [--feeds 200] [--items 40]
        [--latency-ms 50] [--tools /work/shared/bench] [--profile] [--keep]

What runs is what a user runs: the installed ``briefing`` entry point,
``briefing fetch`` with the default settings (full text on, nothing turned
off), bytecode compiled ahead (as pip does), an empty cache each time.
newsboat (reload-threads 8) reloads the same feeds from the same loopback
server in the same run, interleaved with briefing, an empty cache each time.

Printed: the median wall time of each with its range, the ratio of the
medians and of each interleaved pair, CPU and peak memory summed over every
process (briefing's parse workers, the forkserver and the extraction workers
included: PSS, shared pages counted once). Targets (issue 11): cold wall
<= 0.5 x newsboat's, peak memory <= 150 MB.

``--profile`` then runs one more cold refresh under py-spy (``pip install
py-spy``; sampling every process) and prints where the time went: the main
thread's work by part (store, page step, HTTP, parse results) and the parse
workers' (fast path, clean-up, topic matching, start-up).

The generated feeds link to https://news-NNNN.example.com; the page step
with the default "auto" mode plans every on-topic article and skips those
whose feed text is long enough (all of them here), so no request leaves the
machine.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _bench_common import compile_bytecode
from bench_fetch import DEFAULT_TOOLS, FeedServer, Run, measure, write_config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--tools", type=Path, default=DEFAULT_TOOLS)
    parser.add_argument("--no-newsboat", action="store_true")
    parser.add_argument(
        "--also",
        type=Path,
        metavar="BRIEFING",
        help="another briefing entry point (another checkout's venv) to run interleaved",
    )
    parser.add_argument("--profile", action="store_true", help="one more run under py-spy")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    compile_bytecode()

    briefing = Path(sys.executable).with_name("briefing")
    if not briefing.exists():
        raise SystemExit(f"{briefing} not found: install the project (pip install -e .)")
    newsboat = not args.no_newsboat and shutil.which("newsboat") is not None
    if not args.no_newsboat and not newsboat:
        print("newsboat not installed (apt-get install -y newsboat): briefing only")

    work = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    feed_dir = work / "feeds"
    subprocess.run(
        [sys.executable, str(args.tools / "gen_feeds.py"), str(feed_dir),
         "-n", str(args.feeds), "-m", str(args.items)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    size_mb = sum(p.stat().st_size for p in feed_dir.iterdir()) / 1e6
    server = FeedServer(args.tools, feed_dir, args.latency_ms, work)
    ours: list[Run] = []
    theirs: list[Run] = []
    also: list[Run] = []
    try:
        urls = server.urls()
        config = work / "feeds.toml"
        write_config(config, urls, None)
        cache = work / "cache"
        command = [str(briefing), "--config", str(config), "--cache-dir", str(cache), "fetch"]
        nb_script = str(args.tools / "newsboat_reload.sh")
        nb_work = work / "newsboat"
        if newsboat:
            subprocess.run(
                ["bash", nb_script, "setup", str(nb_work), server.base, str(feed_dir), "8"],
                check=True, stderr=subprocess.DEVNULL,
            )  # fmt: skip

        def cold(entry_point: Path) -> Run:
            shutil.rmtree(cache, ignore_errors=True)
            server.stats(reset=True)
            run = measure([str(entry_point), *command[1:]])
            status = server.stats(reset=True).get("status", {})
            if run.returncode != 0:
                raise SystemExit(
                    f"{entry_point} fetch failed ({run.returncode}):\n{run.output[-2000:]}"
                )
            if not isinstance(status, dict) or status.get("200") != len(urls):
                raise SystemExit(f"{entry_point} cold: the server saw {status}")
            return run

        for _ in range(args.runs):
            ours.append(cold(briefing))
            if args.also is not None:
                also.append(cold(args.also))
            if newsboat:
                run = measure(["bash", nb_script, "cold", str(nb_work)])
                if run.returncode != 0:
                    raise SystemExit(f"newsboat failed ({run.returncode}):\n{run.output[-2000:]}")
                theirs.append(run)
                server.stats(reset=True)
        pages_line = next(
            (line for line in ours[-1].output.splitlines() if line.startswith("pages:")), ""
        )
        if args.profile:
            shutil.rmtree(cache, ignore_errors=True)
            profile(command, work)
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    def cell(runs: list[Run], field: str, unit: str) -> str:
        if not runs:
            return "–"
        values = [getattr(r, field) for r in runs]
        spread = f" ({min(values):.2f}–{max(values):.2f})" if field == "wall" else ""
        return f"{statistics.median(values):.2f} {unit}{spread}"

    print(
        f"\ncold refresh, {args.feeds} feeds x {args.items} items ({size_mb:.1f} MB), "
        f"{args.latency_ms:g} ms latency, {args.runs} interleaved runs, default settings "
        f"(full text on); newsboat reload-threads 8\n{pages_line}\n"
    )
    print("| measure | briefing fetch | newsboat -x reload | ratio |")
    print("|---|---|---|---|")
    for label, field, unit in (
        ("wall", "wall", "s"),
        ("CPU, all processes", "cpu", "s"),
        ("peak PSS, all processes", "total_mb", "MB"),
        ("peak RSS, largest process", "largest_mb", "MB"),
    ):
        ratio = "–"
        if theirs:
            ratio = f"{statistics.median(getattr(r, field) for r in ours) / statistics.median(getattr(r, field) for r in theirs):.2f}"
        print(f"| {label} | {cell(ours, field, unit)} | {cell(theirs, field, unit)} | {ratio} |")
    if also:
        print(f"| wall, {args.also} | {cell(also, 'wall', 's')} | | "
              f"{statistics.median(r.wall for r in also) / statistics.median(r.wall for r in theirs):.2f} |"
              if theirs else f"| wall, {args.also} | {cell(also, 'wall', 's')} | | |")  # fmt: skip
        print(f"| CPU, {args.also} | {cell(also, 'cpu', 's')} | | |")
        print(f"| peak PSS, {args.also} | {cell(also, 'total_mb', 'MB')} | | |")
    if theirs:
        pairs = ", ".join(f"{a.wall / b.wall:.2f}" for a, b in zip(ours, theirs, strict=True))
        print(f"\nratio of each interleaved pair: {pairs}")
        ratio = statistics.median(r.wall for r in ours) / statistics.median(r.wall for r in theirs)
        print(f"target cold <= 0.5 x newsboat: {'yes' if ratio <= 0.5 else 'NO'} ({ratio:.2f})")
    peak = statistics.median(r.total_mb for r in ours)
    print(f"target peak memory <= 150 MB: {'yes' if peak <= 150 else 'NO'} ({peak:.0f} MB)")
    return 0


# --------------------------------------------------------------------------- where the time goes

_MAIN_PARTS = (
    ("store: save_entries (JSON, zlib, SQLite)", "save_entries"),
    ("store: feed states", "save_feed_state"),
    ("page step: reading every article to plan", "load_articles"),
    ("page step: marking and updating articles", "update_articles"),
    ("page step: the rest", "fetch_full_texts"),
    ("HTTP client", "httpclient.py"),
    ("parse results: unpickling, pool plumbing", "futures"),
    ("waiting on the event loop (idle)", "select (selectors.py"),
    ("imports", "_find_and_load"),
    ("config, store open, output", "cli.py"),
)
_WORKER_PARTS = (
    ("fast path: lxml parse and raw read", "fastparse.py"),
    ("topic matching", "match_feed_entries"),
    ("clean-up into ParsedEntry (textclean, dates)", "feedparse.py"),
    ("imports and start-up", "_find_and_load"),
    ("sending results back", "_sendback_result"),
    ("waiting for work", "Queue.get"),
)


def profile(command: list[str], work: Path) -> None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("\n--profile: py-spy not installed (pip install py-spy)")
        return
    raw = work / "profile.txt"
    rate = 250
    subprocess.run(
        [spy, "record", "--subprocesses", "--rate", str(rate), "--format", "raw",
         "-o", str(raw), "--", *command],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    main_thread: collections.Counter[str] = collections.Counter()
    workers: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        if "spawn_main" in stack:
            part = next((name for name, key in _WORKER_PARTS if key in stack), "other")
            if "watch_owner" not in stack:  # the owner watch sleeps in select
                workers[part] += int(count)
        elif "<module> (briefing" in stack:
            part = next((name for name, key in _MAIN_PARTS if key in stack), "other")
            main_thread[part] += int(count)
    print("\nwhere the time goes (one cold refresh under py-spy, seconds of samples):")
    for title, counter in (("main thread", main_thread), ("parse workers, both", workers)):
        print(f"  {title}: {sum(counter.values()) / rate:.2f} s")
        for part, count in counter.most_common():
            print(f"    {count / rate:5.2f} s  {part}")


if __name__ == "__main__":
    raise SystemExit(main())

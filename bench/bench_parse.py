#!/usr/bin/env python3
"""Parsers side by side: feedparser, briefing's lxml fast path, and fastfeedparser.

    .venv/bin/python bench/bench_parse.py [--feeds 200] [--items 40] [--runs 3]
        [--corpus /work/shared/feeds-corpus] [--tools /work/shared/bench]

On the generated bench feeds (``gen_feeds.py``, the same as bench_fetch's) it
times, in this one process, each parser over all the feeds (best of --runs,
CPU seconds):

* ``parse_feed_bytes(fast_path=False)``: briefing's feedparser path;
* ``parse_feed_bytes``: briefing's default (the fast path where it can);
* ``fastparse`` alone (lxml and the raw read, no clean-up);
* ``lxml.etree.fromstring`` alone: the floor for any parser on lxml;
* ``fastfeedparser.parse`` when it is installed (it is not a dependency).

On the shared corpus it counts how many files the fast path reads and how
many of those give a ParsedFeed different from the feedparser path's (the
test ``tests/test_feedparse_corpus.py`` requires 0); and, for
fastfeedparser, how many files give an entry whose id, title, link or date
differs from feedparser's (its own dicts, compared field by field the way
briefing would read them).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefing.core.feedparse import (  # noqa: E402
    NotAFeedError,
    _fast_helpers,
    fast_path_reads,
    parse_feed_bytes,
)

CONTENT_TYPE = "application/xml"
URL = "https://bench.example/feed.xml"


def cpu_best(work: Callable[[], object], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def outcome(body: bytes, *, fast: bool) -> object:
    try:
        return parse_feed_bytes(body, CONTENT_TYPE, URL, fast_path=fast)
    except NotAFeedError as error:
        return str(error)


def fastfeedparser_differences(files: list[Path]) -> tuple[int, int] | None:
    """(files compared, files with an entry field differing from feedparser's)."""
    try:
        import fastfeedparser
        import feedparser
    except ImportError:
        return None
    from briefing.core.feedparse import _iso_utc

    compared = differing = 0
    for path in files:
        body = path.read_bytes()
        reference = feedparser.parse(io.BytesIO(body))
        if not reference.get("entries"):
            continue
        try:
            theirs = fastfeedparser.parse(body)
        except Exception:
            compared += 1
            differing += 1
            continue
        compared += 1
        ours = reference["entries"]
        other = theirs.get("entries") or []
        if len(other) != len(ours):
            differing += 1
            continue
        for mine, their in zip(ours, other, strict=True):
            date = _iso_utc(mine.get("published_parsed") or mine.get("updated_parsed"))
            their_date = their.get("published") or their.get("updated")
            pairs = (
                (mine.get("id"), their.get("id")),
                (mine.get("title"), their.get("title")),
                (mine.get("link"), their.get("link")),
                (date, their_date),
            )
            if any((a or None) != (b or None) for a, b in pairs):
                differing += 1
                break
    return compared, differing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tools", type=Path, default=Path("/work/shared/bench"))
    parser.add_argument("--corpus", type=Path, default=Path("/work/shared/feeds-corpus"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-parse-") as work:
        folder = Path(work) / "feeds"
        subprocess.run(
            [sys.executable, str(args.tools / "gen_feeds.py"), str(folder),
             "-n", str(args.feeds), "-m", str(args.items)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        bodies = [p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".rss", ".atom")]
    size = sum(map(len, bodies)) / 1e6
    fast_share = sum(fast_path_reads(b, CONTENT_TYPE) for b in bodies)
    helpers = _fast_helpers()
    from lxml import etree

    from briefing.core.fastparse import parse_well_formed

    timings: list[tuple[str, float]] = [
        ("briefing, feedparser path", cpu_best(lambda: [outcome(b, fast=False) for b in bodies], args.runs)),
        ("briefing, default (fast path)", cpu_best(lambda: [outcome(b, fast=True) for b in bodies], args.runs)),
        ("fastparse alone (lxml + raw read)", cpu_best(lambda: [parse_well_formed(b, helpers.rules) for b in bodies], args.runs)),
        ("lxml.etree.fromstring alone", cpu_best(lambda: [etree.fromstring(b) for b in bodies], args.runs)),
    ]  # fmt: skip
    try:
        import fastfeedparser

        timings.append(
            ("fastfeedparser.parse", cpu_best(lambda: [fastfeedparser.parse(b) for b in bodies], args.runs))
        )  # fmt: skip
    except ImportError:
        pass
    print(f"\n{len(bodies)} feeds x {args.items} items ({size:.1f} MB); "
          f"the fast path reads {fast_share} of {len(bodies)}; CPU s, best of {args.runs}\n")  # fmt: skip
    print("| parser | CPU |")
    print("|---|---|")
    for name, seconds in timings:
        print(f"| {name} | {seconds:.2f} s |")

    if args.corpus.is_dir():
        files = sorted(p for p in args.corpus.rglob("*") if p.is_file() and p.suffix != ".md")
        read = differing = 0
        for path in files:
            body = path.read_bytes()
            if fast_path_reads(body, CONTENT_TYPE):
                read += 1
                differing += outcome(body, fast=True) != outcome(body, fast=False)
        print(
            f"\ncorpus: {len(files)} files; the fast path reads {read}; "
            f"{differing} of them give a ParsedFeed different from the feedparser path's"
        )
        other = fastfeedparser_differences(files)
        if other is not None:
            print(f"fastfeedparser: {other[1]} of {other[0]} corpus files with entries give an entry "
                  "whose id, title, link or date differs from feedparser's")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Speed and memory of the key facts engine.

Generates 1,000 on-topic articles of about 600 words each (HTML paragraphs; about 18
figures per article, the density of the bundled sample articles; sentences drawn from
templates with random numbers), then times:

* cold: ``build_briefing`` with an empty cache, so every article is flattened from
  HTML, scanned, given subjects, saved to the cache as JSON, and everything merged;
* re-merge in process: ``build_briefing`` again in the same process (what the TUI
  does after a refresh that changed nothing): hash, then the last merge is reused;
* re-merge after one article changed, in process: hash, facts from memory (one
  extracted), merge;
* re-merge in a new process: the in-process memory dropped, so every article's facts
  are decoded from the cache's JSON, then merged;
* with the real store (a diskcache directory, reopened for each run, memory dropped:
  what ``briefing facts`` does in a new process) through ``BriefingService.briefing``:
  nothing changed (the stored merge is read back), and one article changed (every
  other article's facts are read from the store, one is extracted, all merged).

Targets (issue 3): cold <= 1 s, re-merge with everything cached <= 100 ms, peak
memory <= 150 MB. Wall and CPU time are both printed: on a shared machine wall time
includes waiting for the CPU.

Run:  .venv/bin/python bench/bench_facts.py [--articles N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import json
import pstats
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _bench_common import compile_bytecode

from briefing.core.facts import build_briefing, fact_cache_key, forget_remembered_facts
from briefing.core.models import Article

NOW = dt.datetime(2026, 2, 10, 12, 0, tzinfo=dt.UTC)

FIGURE_SENTENCES = [
    "The labels say the site scraped {n} million music files from the service.",
    "The complaint seeks ${t} trillion in damages, a figure lawyers call theoretical.",
    "Statutory damages of up to ${k},000 per work are available for willful copying.",
    "The suit was filed on Dec. {d} and unsealed on Jan. {d2}, according to the docket.",
    "A judge granted a preliminary injunction on Jan. {d2}, taking several domains offline.",
    "The archive holds roughly {s} terabytes, along with {m} million rows of metadata.",
    "Those files account for {p}.{q}% of all listening on the platform.",
    "So far the group has released about {r}.{q} million files through torrents.",
    "Analysts put the exposure at US${t}.{q}tn if every track were counted.",
    "Three record labels joined Spotify as plaintiffs in the case.",
    "A hearing is set for Feb. {d}, when the court will consider the request.",
    "The site says it copied eighty-six million audio files and plans to share them.",
    "Donations to the project topped ${r}.{q}m last year, it said in a blog post.",
]
FILLER_SENTENCES = [
    "Lawyers for the plaintiffs did not respond to a request for comment on the matter.",
    "The shadow library has long argued that it preserves culture that would otherwise be lost.",
    "Critics say the preservation argument is weaker for popular music than for rare books.",
    "Streaming services have tightened their defences against automated scraping this year.",
    "The operators of the site remain anonymous, which complicates any attempt at service.",
    "Industry groups welcomed the move and called on hosting providers to act quickly.",
    "Several mirror sites appeared within hours, according to people tracking the domains.",
    "It is unclear whether any court outside the United States will enforce the order.",
    "Researchers who study piracy said the case could set a precedent for data scraping.",
    "The record companies have pursued similar cases against other sites in the past.",
    "Users on forums debated whether the archive would survive the legal pressure at all.",
    "A spokesperson for the streaming service said it was reviewing its security measures.",
    "The filing runs to dozens of pages and includes screenshots of the site's catalogue.",
    "Some observers noted that the numbers in the complaint are ceilings, not forecasts.",
]


def generate_articles(count: int, seed: int = 7) -> list[Article]:
    rng = random.Random(seed)
    articles: list[Article] = []
    for index in range(count):
        paragraphs: list[str] = []
        words = 0
        while words < 600:
            sentences = []
            for _ in range(rng.randint(3, 5)):
                template = (
                    rng.choice(FIGURE_SENTENCES)
                    if rng.random() < 0.33
                    else rng.choice(FILLER_SENTENCES)
                )
                sentence = template.format(
                    n=rng.choice([84, 85, 86, 86, 86, 87]),
                    t=rng.choice([12, 13, 13]),
                    k=rng.choice([150, 150, 151]),
                    d=rng.randint(18, 30),
                    d2=rng.randint(10, 28),
                    s=rng.choice([280, 300, 300]),
                    m=rng.choice([250, 256, 256]),
                    p=rng.choice([98, 99, 99]),
                    q=rng.randint(1, 9),
                    r=rng.randint(1, 9),
                )
                sentences.append(sentence)
                words += len(sentence.split())
            paragraphs.append(" ".join(sentences))
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        published = (
            dt.datetime(2026, 1, 16, tzinfo=dt.UTC) + dt.timedelta(hours=index)
        ).isoformat()
        articles.append(
            Article(
                id=f"bench-{index:05d}",
                source=f"Source {index % 40}",
                title=f"Labels and Spotify press case against shadow library, part {index}",
                link=f"https://example.org/bench/{index}",
                author="",
                published=published,
                summary="",
                content=body,
                first_seen=published,
                on_topic=True,
            )
        )
    return articles


class JsonMemoryCache:
    """The FactCache protocol over a dict of JSON strings, as a key-value store keeps them."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def load_facts(self, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        return {k: json.loads(self.data[k]) for k in keys if k in self.data}

    def save_facts(self, entries: Mapping[str, list[dict[str, Any]]]) -> None:
        for key, value in entries.items():
            self.data[key] = json.dumps(value)


def timed(articles: list[Article], cache: JsonMemoryCache) -> tuple[float, float]:
    """(wall, CPU) seconds of one build_briefing. CPU time is steadier on a busy machine."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    build_briefing(articles, "Bench topic", cache=cache, now=NOW)
    return time.perf_counter() - wall, time.process_time() - cpu


def timed_call(work: Any) -> tuple[float, float]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def real_store_runs(
    articles: list[Article], repeat: int
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """New-process re-merges through the service and a real diskcache directory."""
    import shutil
    import tempfile

    from briefing.core.models import Config, Settings, Topic
    from briefing.core.service import BriefingService
    from briefing.core.store import Store

    directory = Path(tempfile.mkdtemp(prefix="bench-facts-store-"))
    config = Config(Topic(name="Bench topic", keywords=("Anna's Archive",)), Settings(), ())
    forget_remembered_facts()
    with Store(directory) as store:
        BriefingService(config, store).briefing(articles)  # every article's facts + the merge
    unchanged: list[tuple[float, float]] = []
    changed: list[tuple[float, float]] = []
    try:
        for run in range(repeat):
            forget_remembered_facts()
            with Store(directory) as store:
                service = BriefingService(config, store)
                unchanged.append(timed_call(partial(service.briefing, articles)))
            edited = list(articles)
            edited[run] = replace(edited[run], content=edited[run].content + f"<p>Edit {run}.</p>")
            forget_remembered_facts()
            with Store(directory) as store:
                service = BriefingService(config, store)
                changed.append(timed_call(partial(service.briefing, edited)))
                service.briefing(articles)  # the unedited merge stored again for the next run
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return unchanged, changed


class ChildMemory:
    """Peak RSS of this process's children, sampled from /proc while they run.

    ``RUSAGE_CHILDREN``'s ru_maxrss is no measure of a spawned worker: it counts the
    pages the child shared with this process between fork and exec. VmHWM (the
    high-water mark of the child's own memory since its exec) is; a thread reads it
    every 10 ms, and the last value read before a child exits is its peak.
    """

    def __init__(self) -> None:
        import threading

        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ChildMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        import os

        me = str(os.getpid())
        # between fork and exec a child is a copy of this process (its cmdline too),
        # with this process's memory: those readings are not the child's own
        my_cmdline = Path("/proc/self/cmdline").read_bytes()
        while not self._stop.wait(0.01):
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    if stat.rsplit(")", 1)[1].split()[1] != me:
                        continue
                    if Path(f"/proc/{entry}/cmdline").read_bytes() == my_cmdline:
                        continue
                    status = Path(f"/proc/{entry}/status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        kib = int(line.split()[1])
                        self.peaks[int(entry)] = max(self.peaks.get(int(entry), 0), kib)


def report(name: str, runs: list[tuple[float, float]], target_ms: int) -> None:
    walls = [w * 1000 for w, _c in runs]
    cpus = [c * 1000 for _w, c in runs]
    print(
        f"{name:<38} wall best {min(walls):5.0f} ms, median {statistics.median(walls):5.0f} ms;"
        f" CPU best {min(cpus):5.0f} ms   (target <= {target_ms} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile one cold run")
    args = parser.parse_args()

    compile_bytecode()
    articles = generate_articles(args.articles)
    words = statistics.mean(
        len((a.title + " " + a.content.replace("<p>", " ").replace("</p>", " ")).split())
        for a in articles
    )
    print(f"articles: {len(articles)}, mean words: {words:.0f}")

    if args.profile:
        forget_remembered_facts()
        profiler = cProfile.Profile()
        profiler.enable()
        build_briefing(articles, "Bench topic", cache=JsonMemoryCache(), now=NOW)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        return

    colds: list[tuple[float, float]] = []
    in_process: list[tuple[float, float]] = []
    one_changed: list[tuple[float, float]] = []
    from_store: list[tuple[float, float]] = []
    cache = JsonMemoryCache()
    for run in range(args.repeat):
        forget_remembered_facts()
        cache = JsonMemoryCache()
        colds.append(timed(articles, cache))
        in_process.append(timed(articles, cache))
        # One article edited: the last merge cannot be reused, so this is the merge's
        # own cost (plus extracting that one article).
        edited = list(articles)
        edited[run] = replace(edited[run], content=edited[run].content + "<p>Edited.</p>")
        one_changed.append(timed(edited, cache))
        forget_remembered_facts()
        from_store.append(timed(articles, cache))
    briefing = build_briefing(articles, "Bench topic", cache=cache, now=NOW)
    facts = sum(len(json.loads(cache.data[fact_cache_key(a)])[0]["facts"]) for a in articles)
    print(f"facts extracted: {facts} ({facts / len(articles):.1f} per article)")
    print(f"key facts: {len(briefing.facts)}, timeline events: {len(briefing.timeline)}")
    report("cold (extract + merge)", colds, 1000)
    report("re-merge, all cached (in process)", in_process, 100)
    report("re-merge, 1 article changed (in proc.)", one_changed, 100)
    report("re-merge, all cached (new process)", from_store, 100)
    unchanged, changed = real_store_runs(articles, args.repeat)
    report("real store, new process, unchanged", unchanged, 100)
    report("real store, new process, 1 changed", changed, 100)

    forget_remembered_facts()
    with ChildMemory() as children:
        build_briefing(articles, "Bench topic", cache=JsonMemoryCache(), now=NOW)
    forget_remembered_facts()
    tracemalloc.start()
    build_briefing(articles, "Bench topic", cache=JsonMemoryCache(), now=NOW)
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    peaks = sorted(children.peaks.values(), reverse=True)
    print(
        f"peak memory: {rss_peak:.0f} MB process RSS (interpreter, test data and all), "
        f"{traced_peak / 2**20:.0f} MB allocated by one cold run   (target <= 150 MB); "
        f"child processes of a cold run (VmHWM): "
        + (", ".join(f"{kib / 1024:.0f} MB" for kib in peaks) or "none seen")
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""How refresh, `briefing feeds`, `briefing articles` and the first screen's data grow
with the cache and with the number of changed feeds (issue 11, items 2 and 4).

    .venv/bin/python bench/bench_store.py [--scales 200x40,200x500,2000x100]
        [--runs 5] [--changed 1,10,100] [--latency-ms 50] [--workdir DIR]

For each scale FEEDSxITEMS, ../shared/bench/gen_feeds.py writes the feeds (once;
kept in --workdir for the next run) and ../shared/bench/serve.py serves them on
127.0.0.1 with ETag, Last-Modified, 304s and --latency-ms on every answer. Then,
with the installed `briefing` entry point, the default settings (full text on)
and bytecode compiled first:

1. cold: `briefing fetch` into an empty cache (wall, CPU and peak PSS of the
   whole process tree, as bench_fetch.py measures them);
2. warm: the same again, every feed answering 304 (median of --runs);
3. changed: K feeds get one new article each (the server restarts on the same
   port with those files changed), then one `briefing fetch`, for each K;
4. `briefing feeds` and `briefing articles` (median of --runs, output discarded);
5. first screen: a new process opens the cache and reads what the reader's first
   screen needs (`BriefingService.first_screen`: the newest 200 on-topic rows,
   every feed's counts, the first article and the stored key facts).

The generated items are dated around 2026-01-16 and each feed keeps listing
them, so nothing expires; their pages are on hosts that do not exist (the page
step's DNS lookups fail at once here, and each host is asked once).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _bench_common import compile_bytecode
from bench_fetch import DEFAULT_TOOLS, Run, measure, write_config

ROOT = Path(__file__).resolve().parent.parent

FIRST_SCREEN = """
import sys, time, json
started = time.perf_counter()
from briefing.core.config import load_config
from briefing.core.service import BriefingService
from briefing.core.store import Store
service = BriefingService(load_config(sys.argv[1]), Store(sys.argv[2]))
opened = time.perf_counter()
screen = service.first_screen(200)
done = time.perf_counter()
summary = service.stored_briefing(detail=False)  # what the reader reads next
facts = summary is not None
if not facts:
    service.briefing()
print(json.dumps({"import_open": opened - started, "first_screen": done - opened,
                  "rows": len(screen.headers), "on_topic": screen.on_topic,
                  "stored_facts": facts, "facts_after": time.perf_counter() - done}))
"""


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(tools: Path, feeds: Path, latency: float, port: int, work: Path) -> Server:
    port_file = work / "port"
    port_file.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, str(tools / "serve.py"), str(feeds), "--latency-ms", str(latency),
         "--max-seconds", "7200", "--port", str(port), "--port-file", str(port_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not port_file.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("serve.py did not start")
        time.sleep(0.05)
    return Server(process, port)


def add_one_item(path: Path, serial: int) -> None:
    """One new on-topic article at the top of a feed file (RSS or Atom)."""
    text = path.read_text(encoding="utf-8")
    words = " ".join(["Anna's Archive figures: 86 million files, $13 trillion."] * 30)
    stamp = "2026-01-16T12:00:00Z"
    if path.suffix == ".rss":
        item = (
            f"<item><title>Anna's Archive update {serial}</title>"
            f"<link>https://changed.example.com/{path.stem}/{serial}</link>"
            f'<guid isPermaLink="false">changed-{path.stem}-{serial}</guid>'
            f"<pubDate>Fri, 16 Jan 2026 12:00:00 GMT</pubDate>"
            f"<description>&lt;p&gt;{words}&lt;/p&gt;</description></item>"
        )
        marker = "<item>"
    else:
        item = (
            f"<entry><title>Anna's Archive update {serial}</title>"
            f"<id>changed-{path.stem}-{serial}</id>"
            f'<link href="https://changed.example.com/{path.stem}/{serial}"/>'
            f'<updated>{stamp}</updated><content type="html">&lt;p&gt;{words}&lt;/p&gt;</content>'
            f"</entry>"
        )
        marker = "<entry>"
    at = text.index(marker)
    path.write_text(text[:at] + item + text[at:], encoding="utf-8")


def timed(command: list[str]) -> Run:
    """Wall time alone (no memory sampling), for the quick read-only commands."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[-1]} failed:\n{done.stderr[-2000:]}")
    return Run(wall, 0.0, 0.0, 0.0, done.returncode, done.stdout)


def median(runs: list[Run], field: str = "wall") -> float:
    return statistics.median(getattr(r, field) for r in runs)


def spread(runs: list[Run]) -> str:
    walls = [r.wall for r in runs]
    return f"{statistics.median(walls):.3f} s ({min(walls):.3f}–{max(walls):.3f})"


def page_line(output: str) -> str:
    return next((line for line in output.splitlines() if line.startswith("pages:")), "")


def bench_scale(
    args: argparse.Namespace, briefing: Path, feeds: int, items: int
) -> dict[str, object]:
    work = args.workdir / f"{feeds}x{items}"
    work.mkdir(parents=True, exist_ok=True)
    source = args.workdir / f"feeds-{feeds}x{items}"
    if not (source / "manifest.json").exists():
        print(f"generating {feeds} feeds x {items} items ...", flush=True)
        subprocess.run(
            [sys.executable, str(args.tools / "gen_feeds.py"), str(source), "-n", str(feeds),
             "-m", str(items)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    served = work / "served"  # a copy: the 'changed' runs edit it
    shutil.rmtree(served, ignore_errors=True)
    shutil.copytree(source, served)
    port = free_port()
    server = start_server(args.tools, served, args.latency_ms, port, work)
    config = work / "feeds.toml"
    cache = work / "cache"
    result: dict[str, object] = {"scale": f"{feeds}x{items}"}
    try:
        with __import__("urllib.request").request.urlopen(server.base + "/__urls") as answer:
            urls = answer.read().decode().split()
        write_config(config, urls, None)
        fetch = [str(briefing), "--config", str(config), "--cache-dir", str(cache), "fetch"]
        if args.reuse and cache.exists():
            result["cold"] = None  # the cache of an earlier run, as it was left
            result["cold_pages"] = "(reused)"
            args_changed: list[int] = []
        else:
            shutil.rmtree(cache, ignore_errors=True)
            print(f"[{feeds}x{items}] cold fetch ...", flush=True)
            cold = measure(fetch)
            if cold.returncode != 0:
                raise SystemExit(f"cold fetch failed:\n{cold.output[-3000:]}")
            result["cold"] = cold
            result["cold_pages"] = page_line(cold.output)
            args_changed = args.changed
        measure(fetch)  # the first warm run after a cold one may still settle pages
        warm = [measure(fetch) for _ in range(args.runs)]
        result["warm"] = warm
        result["warm_pages"] = page_line(warm[-1].output)
        changed: dict[int, Run] = {}
        files = sorted(p for p in served.iterdir() if p.suffix in (".rss", ".atom"))
        serial = 0
        for count in args_changed:
            if count > len(files):
                continue
            for path in files[:count]:
                serial += 1
                add_one_item(path, serial)
            server.stop()
            server = start_server(args.tools, served, args.latency_ms, port, work)
            print(f"[{feeds}x{items}] {count} changed feeds ...", flush=True)
            changed[count] = measure(fetch)
            measure(fetch)  # settle (pages of the new items)
        result["changed"] = changed
        base = [str(briefing), "--config", str(config), "--cache-dir", str(cache), "--offline"]
        result["feeds"] = [timed([*base, "feeds"]) for _ in range(args.runs)]
        result["articles"] = [timed([*base, "articles"]) for _ in range(args.runs)]
        result["articles_lines"] = result["articles"][-1].output.count("\n")  # type: ignore[attr-defined]
        screens = []
        for _ in range(args.runs + 1):
            run = timed([sys.executable, "-c", FIRST_SCREEN, str(config), str(cache)])
            screens.append((run, json.loads(run.output.strip().splitlines()[-1])))
        result["first_screen"] = screens[1:]  # the first also stores the key facts
        result["cache_mb"] = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()) / 1e6
    finally:
        server.stop()
    return result


def report(results: list[dict[str, object]]) -> None:
    print()
    print(
        "| scale | cold wall | cold peak PSS (all) | warm wall (all 304) | warm CPU | feeds | articles | first screen (process) | first screen (in process) | cache |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        cold: Run | None = r["cold"]  # type: ignore[assignment]
        warm: list[Run] = r["warm"]  # type: ignore[assignment]
        cold_wall = f"{cold.wall:.2f} s" if cold else "(reused)"
        cold_peak = f"{cold.total_mb:.0f} MB" if cold else "–"
        screens = r["first_screen"]
        in_process = statistics.median(s[1]["first_screen"] for s in screens)  # type: ignore[attr-defined]
        print(
            f"| {r['scale']} | {cold_wall} | {cold_peak} | {spread(warm)} |"
            f" {median(warm, 'cpu'):.2f} s | {spread(r['feeds'])} | {spread(r['articles'])} |"  # type: ignore[arg-type]
            f" {spread([s[0] for s in screens])} | {in_process * 1000:.1f} ms |"  # type: ignore[attr-defined]
            f" {r['cache_mb']:.0f} MB |"
        )
    print()
    for r in results:
        print(
            f"{r['scale']}: cold {r['cold_pages']}; warm {r['warm_pages']};"
            f" `articles` printed {r['articles_lines']} lines;"
            f" on topic {r['first_screen'][0][1]['on_topic']}"
        )  # type: ignore[index]
        changed: dict[int, Run] = r["changed"]  # type: ignore[assignment]
        if changed:
            cells = ", ".join(f"{k} changed: {v.wall:.2f} s" for k, v in changed.items())
            print(f"  refresh with changed feeds: {cells}")
    by_scale = {str(r["scale"]): r for r in results}
    small, large = by_scale.get("200x40"), by_scale.get("200x500")
    if small and large:
        ratio = median(large["warm"]) / median(small["warm"])  # type: ignore[arg-type]
        print(f"\nwarm refresh, 100,000 cached / 8,000 cached: {ratio:.2f} (target <= 1.2)")
    for r in results:
        warm = median(r["warm"])  # type: ignore[arg-type]
        peak = r["cold"].total_mb if r["cold"] else 0.0  # type: ignore[attr-defined]
        print(
            f"{r['scale']}: warm <= 0.3 s: {'yes' if warm <= 0.3 else 'NO'} ({warm:.3f} s);"
            f" cold peak <= 150 MB: {'yes' if peak <= 150 else 'NO'} ({peak:.0f} MB);"
            f" feeds <= 0.3 s: {'yes' if median(r['feeds']) <= 0.3 else 'NO'};"  # type: ignore[arg-type]
            f" articles <= 0.3 s: {'yes' if median(r['articles']) <= 0.3 else 'NO'}"
        )  # type: ignore[arg-type]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="200x40,200x500")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--changed", default="1,10,100")
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--tools", type=Path, default=DEFAULT_TOOLS)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "briefing-bench-store"
    )
    parser.add_argument("--source-only", action="store_true", help="do not compile bytecode first")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep a cache an earlier run left (no cold or changed runs): warm, feeds, articles,"
        " first screen only",
    )
    args = parser.parse_args()
    args.changed = [int(n) for n in args.changed.split(",") if n]
    if not args.source_only:
        compile_bytecode()
    briefing = Path(sys.executable).with_name("briefing")
    if not briefing.exists():
        raise SystemExit(f"{briefing} not found: install the project (pip install -e .)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} at the start")
    results = []
    for scale in args.scales.split(","):
        feeds, items = (int(n) for n in scale.lower().split("x"))
        results.append(bench_scale(args, briefing, feeds, items))
    report(results)
    print(f"load {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

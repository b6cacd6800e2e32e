#!/usr/bin/env python3
"""Benchmark `briefing fetch` against newsboat on the same loopback feeds.

    .venv/bin/python bench/bench_fetch.py [--runs 3] [--feeds 200] [--items 40]
        [--latency-ms 50] [--concurrency N] [--tools /work/shared/bench] [--no-newsboat]

Uses the shared comparison tools (never copied into the project): gen_feeds.py
writes FEEDS x ITEMS feeds (RSS 2.0 and Atom), serve.py serves them from
127.0.0.1 with ETag, Last-Modified, 304s and --latency-ms on every answer, and
newsboat_reload.sh drives newsboat in its own directory (reload-threads 8).

Cold: an empty cache (a new --cache-dir for briefing, no cache.db for
newsboat). Warm: the same cache again, every feed answering 304. Both tools
are timed as subprocesses in the same run, interleaved, median of --runs.
Wall time is the whole process: interpreter start, imports, fetch, store.
Memory is sampled from /proc every 20 ms over the command's process tree
(briefing's parse workers are grandchildren, so getrusage alone misses them):
"largest" is the biggest single process (its VmHWM, what /usr/bin/time
reports), "all" the peak sum of PSS over the tree (shared pages counted once). `briefing fetch` runs with --no-full-text: the article-page
step is a separate feature, newsboat has none, and the generated feeds link
to hosts that do not exist.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from _bench_common import compile_bytecode

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TOOLS = Path(os.environ.get("BRIEFING_BENCH_TOOLS", "/work/shared/bench"))


# --------------------------------------------------------------------------- measuring


@dataclass
class Run:
    wall: float
    largest_mb: float
    total_mb: float
    cpu: float
    """User + system seconds of the whole process tree, sampled every 20 ms."""
    returncode: int
    output: str


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def _tree(root: int) -> list[int]:
    children = _children_map()
    pids, pending = [], [root]
    while pending:
        pid = pending.pop()
        pids.append(pid)
        pending.extend(children.get(pid, ()))
    return pids


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def _memory_kb(pid: int) -> tuple[int, int]:
    """(Pss, VmHWM) of one process in KB, zeros once it is gone.

    PSS divides pages shared between processes (forked workers share most of
    their parent's) among them, so the sum over a tree counts each page once.
    """
    pss = hwm = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                    break
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
                    break
    except OSError:
        pass
    return pss, hwm


def measure(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Run a command to its end; wall time and the peak memory of its process tree."""
    peaks = {"largest": 0, "total": 0}
    ticks: dict[int, int] = {}
    done = threading.Event()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
    )

    def sample() -> None:
        while not done.is_set():
            total = 0
            for pid in _tree(process.pid):
                pss, hwm = _memory_kb(pid)
                total += pss
                peaks["largest"] = max(peaks["largest"], hwm)
                ticks[pid] = max(ticks.get(pid, 0), _cpu_ticks(pid))
            peaks["total"] = max(peaks["total"], total)
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    # Each process's own user + system time (not its children's, so nothing
    # counts twice), as last sampled: up to 20 ms per process may be missed.
    cpu = sum(ticks.values()) / os.sysconf("SC_CLK_TCK")
    return Run(
        wall, peaks["largest"] / 1024, peaks["total"] / 1024, cpu, process.returncode, output
    )


# --------------------------------------------------------------------------- set-up


class FeedServer:
    """serve.py in its own process; stops when we stop it (or by itself)."""

    def __init__(self, tools: Path, feed_dir: Path, latency_ms: float, workdir: Path) -> None:
        port_file = workdir / "port"
        self.process = subprocess.Popen(
            [sys.executable, str(tools / "serve.py"), str(feed_dir),
             "--latency-ms", str(latency_ms), "--max-seconds", "3600",
             "--port-file", str(port_file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not port_file.exists():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit("serve.py did not start")
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{int(port_file.read_text())}"

    def urls(self) -> list[str]:
        with urllib.request.urlopen(self.base + "/__urls") as answer:
            return answer.read().decode().split()

    def stats(self, reset: bool = True) -> dict[str, object]:
        with urllib.request.urlopen(self.base + "/__stats" + ("?reset=1" if reset else "")) as r:
            result: dict[str, object] = json.load(r)
            return result

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def write_config(path: Path, urls: list[str], concurrency: int | None) -> None:
    lines = [
        "[topic]",
        'name = "Anna\'s Archive"',
        'keywords = ["Anna\'s Archive", "Spotify lawsuit"]',
        "",
        "[settings]",
        "timeout = 20",
    ]
    if concurrency is not None:
        lines.append(f"concurrency = {concurrency}")
    for index, url in enumerate(urls):
        lines += ["", "[[feeds]]", f'name = "Feed {index:04d}"', f'url = "{url}"']
    path.write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="write [settings] concurrency (default: the project's default)",
    )
    parser.add_argument(
        "--tools",
        type=Path,
        default=DEFAULT_TOOLS,
        help="directory of gen_feeds.py, serve.py, newsboat_reload.sh",
    )
    parser.add_argument("--no-newsboat", action="store_true")
    parser.add_argument(
        "--source-only",
        action="store_true",
        help="do not compile briefing's bytecode first (see compile_bytecode)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()  # fmt: skip
    if not args.source_only:
        compile_bytecode()

    briefing = Path(sys.executable).with_name("briefing")
    if not briefing.exists():
        raise SystemExit(f"{briefing} not found: install the project (pip install -e .)")
    newsboat = not args.no_newsboat and shutil.which("newsboat") is not None
    if not args.no_newsboat and not newsboat:
        print(
            "newsboat not installed (apt-get install -y newsboat): briefing only", file=sys.stderr
        )

    work = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
    feed_dir = work / "feeds"
    subprocess.run(
        [sys.executable, str(args.tools / "gen_feeds.py"), str(feed_dir),
         "-n", str(args.feeds), "-m", str(args.items)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    size_mb = sum(p.stat().st_size for p in feed_dir.iterdir()) / 1e6
    server = FeedServer(args.tools, feed_dir, args.latency_ms, work)
    try:
        urls = server.urls()
        config = work / "feeds.toml"
        write_config(config, urls, args.concurrency)
        cache = work / "cache"
        fetch_cmd = [str(briefing), "--config", str(config), "--cache-dir", str(cache),
                     "fetch", "--no-full-text"]  # fmt: skip
        nb_script = str(args.tools / "newsboat_reload.sh")
        nb_work = work / "newsboat"
        if newsboat:
            subprocess.run(
                ["bash", nb_script, "setup", str(nb_work), server.base, str(feed_dir), "8"],
                check=True, stderr=subprocess.DEVNULL,
            )  # fmt: skip

        def briefing_run(cold: bool) -> Run:
            if cold:
                shutil.rmtree(cache, ignore_errors=True)
            server.stats(reset=True)
            run = measure(fetch_cmd)
            stats = server.stats(reset=True)
            status = stats.get("status", {})
            if run.returncode != 0:
                raise SystemExit(f"briefing fetch failed ({run.returncode}):\n{run.output[-2000:]}")
            expected = "200" if cold else "304"
            if not isinstance(status, dict) or status.get(expected) != len(urls):
                raise SystemExit(f"briefing {'cold' if cold else 'warm'}: server saw {stats}")
            return run

        def newsboat_run(cold: bool) -> Run:
            run = measure(["bash", nb_script, "cold" if cold else "warm", str(nb_work)])
            if run.returncode != 0:
                raise SystemExit(f"newsboat failed ({run.returncode}):\n{run.output[-2000:]}")
            return run

        results: dict[tuple[str, str], list[Run]] = {}
        for phase in ("cold", "warm"):
            cold = phase == "cold"
            if not cold:  # a warm cache; newsboat needs three reloads before it sends validators
                briefing_run(cold=False)
                for _ in range(3 if newsboat else 0):
                    newsboat_run(cold=False)
            for _ in range(args.runs):
                results.setdefault(("briefing", phase), []).append(briefing_run(cold))
                if newsboat:
                    results.setdefault(("newsboat", phase), []).append(newsboat_run(cold))
                    server.stats(reset=True)
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    def median(tool: str, phase: str, field: str) -> float | None:
        runs = results.get((tool, phase))
        return statistics.median(getattr(r, field) for r in runs) if runs else None

    def spread(tool: str, phase: str) -> str:
        runs = results.get((tool, phase))
        if not runs:
            return ""
        walls = [r.wall for r in runs]
        return f" ({min(walls):.2f}–{max(walls):.2f})"

    print(
        f"\n{args.feeds} feeds x {args.items} items ({size_mb:.1f} MB), "
        f"{args.latency_ms:g} ms latency, median of {args.runs}; "
        f"briefing concurrency: {args.concurrency or 'default'}, newsboat reload-threads 8\n"
    )
    print("| measure | briefing | newsboat | briefing / newsboat |")
    print("|---|---|---|---|")
    rows = [
        ("cold wall", "wall", "s"),
        ("warm wall (all 304)", "wall", "s"),
        ("cold CPU, all processes", "cpu", "s"),
        ("warm CPU, all processes", "cpu", "s"),
        ("cold peak RSS, largest process", "largest_mb", "MB"),
        ("cold peak PSS, all processes", "total_mb", "MB"),
        ("warm peak RSS, largest process", "largest_mb", "MB"),
        ("warm peak PSS, all processes", "total_mb", "MB"),
    ]
    for label, field, unit in rows:
        phase = "cold" if label.startswith("cold") else "warm"
        ours = median("briefing", phase, field)
        theirs = median("newsboat", phase, field)
        extra = spread("briefing", phase) if field == "wall" else ""
        extra_nb = spread("newsboat", phase) if field == "wall" else ""
        cell = f"{ours:.2f} {unit}{extra}" if ours is not None else "–"
        cell_nb = f"{theirs:.2f} {unit}{extra_nb}" if theirs is not None else "–"
        ratio = f"{ours / theirs:.2f}" if ours is not None and theirs else "–"
        print(f"| {label} | {cell} | {cell_nb} | {ratio} |")

    cold, warm = median("briefing", "cold", "wall"), median("briefing", "warm", "wall")
    nb_cold = median("newsboat", "cold", "wall")
    peak = max(median("briefing", p, "total_mb") or 0 for p in ("cold", "warm"))
    print("\ntargets:")
    if nb_cold is not None and cold is not None:
        print(f"  cold faster than newsboat: {'yes' if cold < nb_cold else 'NO'}")
    if warm is not None:
        print(f"  warm <= 0.5 s: {'yes' if warm <= 0.5 else 'NO'} ({warm:.2f} s)")
    print(
        f"  peak memory <= 150 MB (all processes): {'yes' if peak <= 150 else 'NO'} ({peak:.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

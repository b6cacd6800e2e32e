#!/usr/bin/env python3
"""Benchmark `briefing fetch` against newsboat, and against another install of briefing.

    .venv/bin/python bench/bench_fetch.py [--runs 3] [--feeds 200] [--items 40]
        [--latency-ms 50] [--concurrency N] [--tools /work/shared/bench] [--no-newsboat]
        [--briefing PATH] [--baseline PATH] [--steps whole,feeds]

Uses the shared comparison tools (never copied into the project): gen_feeds.py
writes FEEDS x ITEMS feeds (RSS 2.0 and Atom), serve.py serves them from
127.0.0.1 with ETag, Last-Modified, 304s and --latency-ms on every answer, and
newsboat_reload.sh drives newsboat in its own directory (reload-threads 8).

What runs is what a user runs: the installed `briefing` entry point
(``--briefing``, default this virtualenv's), bytecode compiled, default
settings. ``--baseline`` names a second entry point (another checkout's
virtualenv, e.g. the commit before a change) that runs on the same feeds and
server, interleaved run by run, each with its own cache, so the ratio of the
two comes from one run. Two steps are timed (``--steps``): "whole" is
`briefing fetch` as shipped (full text on: after the feeds, the page step
plans and fetches article pages; the generated feeds link to hosts that do
not exist, so it looks those names up, fails, and reads the cached
articles); "feeds" is `briefing fetch --no-full-text`, the feed step alone,
which shows the HTTP client's own part.

Cold: an empty cache (a new --cache-dir for briefing, no cache.db for
newsboat). Warm: the same cache again, every feed answering 304. Every tool
is timed as a subprocess in the same run, interleaved, median of --runs.
Wall time is the whole process: interpreter start, imports, fetch, store.
Memory is sampled from /proc every 20 ms over the command's process tree
(briefing's parse workers are grandchildren, so getrusage alone misses them):
"largest" is the biggest single process (its VmHWM, what /usr/bin/time
reports), "all" the peak sum of PSS over the tree (shared pages counted once).
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


def compile_bytecode_of(briefing: Path) -> None:
    """Compile the bytecode of the package that ``briefing`` (an entry point) runs."""
    python = briefing.with_name("python")
    code = "import briefing, compileall, os; compileall.compile_dir(os.path.dirname(briefing.__file__), quiet=1)"
    subprocess.run([str(python), "-c", code], check=True)


@dataclass(frozen=True)
class Tool:
    label: str
    step: str
    """"whole", "feeds", or "" for newsboat."""
    command: list[str]
    cache: Path | None


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
        "--briefing",
        type=Path,
        default=Path(sys.executable).with_name("briefing"),
        help="the briefing entry point to time (default: this virtualenv's)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="a second briefing entry point (another virtualenv) to time in the same run",
    )
    parser.add_argument(
        "--steps",
        default="whole,feeds",
        help="whole (briefing fetch), feeds (briefing fetch --no-full-text), or both",
    )
    parser.add_argument(
        "--source-only",
        action="store_true",
        help="do not compile briefing's bytecode first (see compile_bytecode)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()  # fmt: skip
    steps = [step for step in args.steps.split(",") if step]
    if not set(steps) <= {"whole", "feeds"}:
        raise SystemExit("--steps: whole, feeds or both")
    installs = {"briefing": args.briefing}
    if args.baseline is not None:
        installs["baseline"] = args.baseline
    for label, path in installs.items():
        if not path.exists():
            raise SystemExit(f"{label}: {path} not found: install the project (pip install -e .)")
        if not args.source_only:
            compile_bytecode_of(path)
    if not args.source_only:
        compile_bytecode()
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
    results: dict[tuple[str, str, str], list[Run]] = {}
    try:
        urls = server.urls()
        config = work / "feeds.toml"
        write_config(config, urls, args.concurrency)
        tools: list[Tool] = []
        for step in steps:
            for label, path in installs.items():
                cache = work / f"cache-{label}-{step}"
                command = [str(path), "--config", str(config), "--cache-dir", str(cache), "fetch"]
                if step == "feeds":
                    command.append("--no-full-text")
                tools.append(Tool(label, step, command, cache))
        nb_script = str(args.tools / "newsboat_reload.sh")
        nb_work = work / "newsboat"
        if newsboat:
            subprocess.run(
                ["bash", nb_script, "setup", str(nb_work), server.base, str(feed_dir), "8"],
                check=True, stderr=subprocess.DEVNULL,
            )  # fmt: skip

        def briefing_run(tool: Tool, cold: bool) -> Run:
            assert tool.cache is not None
            if cold:
                shutil.rmtree(tool.cache, ignore_errors=True)
            server.stats(reset=True)
            run = measure(tool.command)
            stats = server.stats(reset=True)
            status = stats.get("status", {})
            if run.returncode != 0:
                raise SystemExit(
                    f"{tool.label} fetch failed ({run.returncode}):\n{run.output[-2000:]}"
                )
            expected = "200" if cold else "304"
            if not isinstance(status, dict) or status.get(expected) != len(urls):
                raise SystemExit(f"{tool.label} {'cold' if cold else 'warm'}: server saw {stats}")
            return run

        def newsboat_run(cold: bool) -> Run:
            run = measure(["bash", nb_script, "cold" if cold else "warm", str(nb_work)])
            if run.returncode != 0:
                raise SystemExit(f"newsboat failed ({run.returncode}):\n{run.output[-2000:]}")
            server.stats(reset=True)
            return run

        for phase in ("cold", "warm"):
            cold = phase == "cold"
            if not cold:  # a warm cache; newsboat needs three reloads before it sends validators
                for tool in tools:
                    briefing_run(tool, cold=False)
                for _ in range(3 if newsboat else 0):
                    newsboat_run(cold=False)
            for number in range(args.runs):
                # Interleaved, and the order turned round on every other run so
                # that none always goes first (or right after newsboat).
                order = tools if number % 2 == 0 else tools[::-1]
                for tool in order:
                    results.setdefault((tool.label, tool.step, phase), []).append(
                        briefing_run(tool, cold)
                    )
                if newsboat:
                    results.setdefault(("newsboat", "", phase), []).append(newsboat_run(cold))
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    def median(key: tuple[str, str, str], field: str) -> float | None:
        runs = results.get(key)
        return statistics.median(getattr(r, field) for r in runs) if runs else None

    def cell(key: tuple[str, str, str], field: str, unit: str) -> str:
        value = median(key, field)
        if value is None:
            return "–"
        text = f"{value:.2f} {unit}"
        if field == "wall":
            walls = [r.wall for r in results[key]]
            text += f" ({min(walls):.2f}–{max(walls):.2f})"
        return text

    print(
        f"\n{args.feeds} feeds x {args.items} items ({size_mb:.1f} MB), "
        f"{args.latency_ms:g} ms latency, median of {args.runs} (range in brackets); "
        f"briefing concurrency: {args.concurrency or 'default'}, newsboat reload-threads 8"
    )
    for label, path in installs.items():
        print(f"  {label}: {path}")
    rows = [
        ("wall", "wall", "s"),
        ("CPU, all processes", "cpu", "s"),
        ("peak RSS, largest process", "largest_mb", "MB"),
        ("peak PSS, all processes", "total_mb", "MB"),
    ]
    step_names = {"whole": "`briefing fetch`", "feeds": "`briefing fetch --no-full-text`"}
    for step in steps:
        print(f"\n{step_names[step]}:\n")
        columns = list(installs)
        header = ["measure", *columns]
        if "baseline" in installs:
            header.append("briefing / baseline")
        if newsboat:
            header += ["newsboat", "briefing / newsboat"]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for phase in ("cold", "warm"):
            for name, field, unit in rows:
                line = [
                    f"{phase} {name}"
                    + (" (all 304)" if phase == "warm" and field == "wall" else "")
                ]
                line += [cell((label, step, phase), field, unit) for label in columns]
                ours = median(("briefing", step, phase), field)
                if "baseline" in installs:
                    theirs = median(("baseline", step, phase), field)
                    line.append(f"{ours / theirs:.2f}" if ours is not None and theirs else "–")
                if newsboat:
                    nb = median(("newsboat", "", phase), field)
                    line.append(cell(("newsboat", "", phase), field, unit))
                    line.append(f"{ours / nb:.2f}" if ours is not None and nb else "–")
                print("| " + " | ".join(line) + " |")

    print("\ntargets (issue 12):")
    for step in steps:
        warm = median(("briefing", step, "warm"), "wall")
        if warm is not None:
            print(f"  {step}: warm <= 0.3 s: {'yes' if warm <= 0.3 else 'NO'} ({warm:.2f} s)")
        if "baseline" in installs and warm is not None:
            base_warm = median(("baseline", step, "warm"), "wall") or 0
            cold = median(("briefing", step, "cold"), "wall") or 0
            base_cold = median(("baseline", step, "cold"), "wall") or 0
            print(
                f"  {step}: warm within 10% of the baseline: "
                f"{'yes' if warm <= 1.1 * base_warm else 'NO'} ({warm / base_warm:.2f})"
            )
            print(
                f"  {step}: cold not slower than the baseline: "
                f"{'yes' if cold <= base_cold else 'NO'} ({cold / base_cold:.2f})"
            )
            for phase in ("cold", "warm"):
                ours = median(("briefing", step, phase), "total_mb") or 0
                theirs = median(("baseline", step, phase), "total_mb") or 0
                print(
                    f"  {step}: {phase} peak memory not above the baseline's: "
                    f"{'yes' if ours <= theirs else 'NO'} ({ours:.0f} vs {theirs:.0f} MB)"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

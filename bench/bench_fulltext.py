#!/usr/bin/env python3
"""Benchmark the page step (full article text) against a loopback web.

    .venv/bin/python bench/bench_fulltext.py [--pages 200] [--latency-ms 50]
        [--hosts 4] [--per-host 4] [--runs 3] [--compare]

Serves 4 RSS feeds of summary-only entries (200 in all) from 127.0.0.1 and the
200 article pages they link to from ``--hosts`` loopback addresses
(127.0.0.2, 127.0.0.3, ...), every answer delayed by ``--latency-ms``, with
ETag / Last-Modified and 304s. The server runs in its own process
(threaded, TCP_NODELAY, HTTP/1.1 keep-alive) and stops by itself.

For each run, a fresh cache: one cold refresh (every page fetched and
extracted), one warm refresh right after it (feeds answer 304; every page was
checked within the hour, so none is requested), and one "revalidate" refresh
after the stored page checks are moved two hours back (feeds and all 200
pages answer 304 to conditional GETs). Prints the median page-step time of
each, and extraction's own CPU cost per page (measured in this process over
the same 200 pages). The default ``--hosts 1`` puts every page on 127.0.0.1,
as the issue asks, the worst case for the per-host limit.

``--compare`` also scores trafilatura against readability-lxml on the page
fixtures in tests/fulltext_pages (main-text phrases kept, boilerplate phrases
leaked) and times both.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import hashlib
import http.server
import itertools
import json
import os
import random
import shutil
import socket
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, ClassVar
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FEEDS = 4
MODIFIED = "Mon, 19 Jan 2026 09:00:00 GMT"

# --------------------------------------------------------------------------- the pages

SENTENCES = [
    "The complaint says the shadow library copied about 86 million music files from the service.",
    "It also lists 256 million rows of metadata, from songwriter credits to release codes.",
    "Several outlets put the theoretical damages at $13 trillion; others write $12.9 trillion.",
    "The figure multiplies statutory damages of up to $150,000 per work across the catalogue.",
    "The case was filed under seal in the Southern District of New York.",
    "It was unsealed in January 2026, weeks after the archive announced its music collection.",
    "Lawyers for the labels asked to serve the anonymous operators by email.",
    "They also want registrars to suspend the domains the site uses while the case goes on.",
    "No court is expected to award anything close to the arithmetic ceiling.",
    "Past efforts against shadow libraries mostly pushed them from one address to the next.",
    "The plaintiffs are Spotify, Universal Music Group, Sony Music and Warner Music.",
    "A spokesperson said the accounts used for the scrape had been closed.",
    "Scholars say the case will test remedies against a service with no known owner.",
    "The archive has said its aim is preservation rather than distribution.",
    "The labels reply that a copy of this size serves no library purpose at all.",
]
BOILER_WORDS = ["privacy", "cookies", "subscribe", "newsletter", "podcasts", "sport", "weather"]


def article_page(index: int, host_count: int) -> bytes:
    rnd = random.Random(index)
    paragraphs = []
    for p in range(rnd.randint(7, 11)):
        if p in (3, 7):
            paragraphs.append(f"<h2>Part {p // 3 + 1} of the story, number {index}</h2>")
        body = " ".join(rnd.choice(SENTENCES) for _ in range(rnd.randint(4, 7)))
        paragraphs.append(f"<p>{body}</p>")
    nav = "".join(
        f'<li><a href="/section/{w}-{i}">{w.title()} {i}</a></li>'
        for i in range(12)
        for w in BOILER_WORDS
    )
    script = "window.__DATA__=" + json.dumps(
        {"ids": [rnd.randrange(10**9) for _ in range(3000)], "story": index}
    )
    comments = "".join(
        f'<li class="comment"><b>reader{c}</b><p>{" ".join(rnd.choices(BOILER_WORDS, k=40))}</p>'
        '<a href="#reply">Reply</a></li>'
        for c in range(12)
    )
    related = "".join(
        f'<li><a href="/story/{(index + k) % 997}">Related story {k} about {rnd.choice(BOILER_WORDS)}</a></li>'
        for k in range(8)
    )
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Story {index}: labels v. Anna's Archive</title><script>{script}</script>
<style>body{{font-family:serif}}.ad{{min-height:250px}}</style></head>
<body><div class="cookie-banner"><p>We use cookies to improve your experience.</p><button>Accept all</button></div>
<header><nav><ul>{nav}</ul></nav></header>
<div class="ad">Advertisement: save on headphones this weekend.</div>
<main><article><h1>Story {index}: labels v. Anna's Archive</h1>
<p class="byline">By Staff Writer, host {index % host_count}</p>{"".join(paragraphs)}</article>
<aside><h2>Related</h2><ul>{related}</ul></aside>
<section class="comments"><h2>Comments</h2><ol>{comments}</ol></section></main>
<footer><nav><ul>{nav}</ul></nav><p>All rights reserved.</p></footer></body></html>"""
    return html.encode()


def page_host(index: int, hosts: int) -> str:
    return "127.0.0.1" if hosts == 1 else f"127.0.0.{2 + index % hosts}"


def feed_xml(feed: int, pages: int, hosts: int, ports: dict[str, int]) -> bytes:
    now = time.time()
    items = []
    for index in range(feed, pages, FEEDS):
        host = page_host(index, hosts)
        link = f"http://{host}:{ports[host]}/story/{index}"
        date = email.utils.formatdate(now - index * 600, usegmt=True)
        items.append(
            f"<item><title>Story {index}: labels v. Anna's Archive</title>"
            f"<link>{link}</link><guid>story-{index}</guid><pubDate>{date}</pubDate>"
            f"<description>{escape('Anna' + chr(39) + 's Archive: a two-line summary.')}"
            "</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Bench feed {feed}</title><link>http://127.0.0.1/</link>{''.join(items)}"
        "</channel></rss>"
    ).encode()


# --------------------------------------------------------------------------- the server


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bodies: ClassVar[dict[str, tuple[bytes, str, str]]] = {}
    latency = 0.05

    def setup(self) -> None:
        super().setup()
        # Without it every answer on a kept-alive connection waits ~40 ms for
        # the client's delayed ACK (Nagle).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(self.latency)
        found = self.bodies.get(self.path)
        if found is None:
            self._answer(404, b"not found", "text/plain", {})
            return
        body, content_type, etag = found
        if self.headers.get("If-None-Match") == etag or (
            self.headers.get("If-None-Match") is None
            and self.headers.get("If-Modified-Since") == MODIFIED
        ):
            self._answer(304, b"", None, {"ETag": etag})
            return
        self._answer(200, body, content_type, {"ETag": etag, "Last-Modified": MODIFIED})

    def _answer(
        self, status: int, body: bytes, content_type: str | None, headers: dict[str, str]
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 256


def serve(pages: int, hosts: int, latency_ms: float, max_seconds: float) -> None:
    """Child process: bind every address, print the ports as JSON, serve, stop."""
    addresses = ["127.0.0.1"] + ([] if hosts == 1 else [page_host(i, hosts) for i in range(hosts)])
    servers = {address: _Server((address, 0), _Handler) for address in dict.fromkeys(addresses)}
    ports = {address: server.server_address[1] for address, server in servers.items()}
    bodies: dict[str, tuple[bytes, str, str]] = {}
    for feed in range(FEEDS):
        body = feed_xml(feed, pages, hosts, ports)
        bodies[f"/feed/{feed}.xml"] = (body, "application/rss+xml", _etag(body))
    for index in range(pages):
        body = article_page(index, hosts)
        bodies[f"/story/{index}"] = (body, "text/html; charset=utf-8", _etag(body))
    _Handler.bodies = bodies
    _Handler.latency = latency_ms / 1000
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps(ports), flush=True)
    time.sleep(max_seconds)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


# --------------------------------------------------------------------------- measuring


def config_text(ports: dict[str, int], per_host: int) -> str:
    lines = [
        '[topic]\nname = "bench"\nkeywords = ["Anna\'s Archive"]\n',
        f"[settings]\ntimeout = 20\nper_host = {per_host}\nretention_days = 3650\n",
    ]
    for feed in range(FEEDS):
        url = f"http://127.0.0.1:{ports['127.0.0.1']}/feed/{feed}.xml"
        lines.append(f'[[feeds]]\nname = "Bench {feed}"\nurl = "{url}"\nfull_text = "auto"\n')
    return "\n".join(lines)


def one_run(config_path: Path, cache: Path) -> list[tuple[float, float, float, object]]:
    """Cold, warm and revalidate refreshes in a fresh cache: for each, (page
    step s, whole refresh s, longest event-loop stall s, PageReport)."""
    from briefing.core.config import load_config
    from briefing.core.service import BriefingService
    from briefing.core.store import Store

    shutil.rmtree(cache, ignore_errors=True)
    config = load_config(config_path)
    outcomes = []
    for step in ("cold", "warm", "revalidate"):
        with Store(cache) as store:
            service = BriefingService(config, store)
            if step == "revalidate":
                _age_page_checks(store, hours=2)
            started = time.perf_counter()
            summary, stall = asyncio.run(_with_stall_meter(service.refresh()))
            total = time.perf_counter() - started
        assert summary.pages is not None
        outcomes.append((summary.pages.elapsed, total, stall, summary.pages))
    return outcomes


def _age_page_checks(store: Any, hours: float) -> None:
    """Move every stored page check back, as if ``hours`` had passed."""
    from datetime import UTC, datetime, timedelta

    then = (datetime.now(UTC) - timedelta(hours=hours)).isoformat()
    for feed in range(FEEDS):
        key = f"pages:Bench {feed}"
        records = store.get_meta(key, {})
        for record in records.values():
            record["checked"] = then
        store.set_meta(key, records)


async def _with_stall_meter(work: Any) -> tuple[Any, float]:
    """Run ``work`` while a 5 ms ticker measures the longest gap between its
    ticks: how long a UI sharing the loop would have been frozen."""
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.005)

    meter = asyncio.create_task(ticker())
    try:
        result = await work
    finally:
        meter.cancel()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    return result, max(gaps, default=0.0)


def extraction_cost(pages: int, hosts: int) -> tuple[float, float, float, int]:
    from briefing.core.fulltext import extract_page

    bodies = [article_page(i, hosts) for i in range(pages)]
    extract_page(bodies[0], "text/html", "http://127.0.0.2/story/0")  # imports, warm-up
    costs = []
    for index, body in enumerate(bodies):
        started = time.process_time()
        extract_page(body, "text/html; charset=utf-8", f"http://127.0.0.2/story/{index}")
        costs.append(time.process_time() - started)
    costs.sort()
    size = statistics.mean(len(b) for b in bodies)
    return (
        statistics.mean(costs),
        statistics.median(costs),
        costs[int(len(costs) * 0.95)],
        int(size),
    )


# --------------------------------------------------------------------------- extractor comparison

FIXTURE_CHECKS: dict[str, tuple[list[str], list[str]]] = {
    "news_article.html": (
        ["86 million music files", "256 million rows", "$13 trillion", "$150,000 per work",
         "How the damages figure adds up", "Statutory damages of up to $150,000",
         "its published statement", "What happens next", "sealed hearing in January 2026",
         "mirrors in several countries"],
        ["cookies", "Accept all", "Subscribe now", "Start my subscription", "Related stories",
         "Vinyl sales", "quadrillion", "Whack-a-mole", "Refinance", "headphones",
         "Morning Ledger", "Read more", "Explainer", "All rights reserved", "Podcasts", "Reply"],
    ),
    "split_divs.html": (
        ["dozens of pages", "86 million music files", "256 million rows", "$12.9 trillion",
         "$13 trillion", "$150,000 per work", "January 2026", "one domain to the next"],
        ["Trending now", "Learn guitar", "Sign up", "Loudline", "Charts", "Sign in", "top 40"],
    ),
    "windows1252.html": (
        ["Affaire Anna’s Archive", "86 millions de fichiers", "256 millions de lignes",
         "$13 trillion", "$150,000 par œuvre", "9,99 € par mois", "Élodie"],
        ["Réactions", "rouvriront", "Tous droits", "Concerts", "S’abonner"],
    ),
    "long_comments.html": (
        ["86 million music files", "256 million rows", "$13 trillion", "$150,000 per work",
         "domain registrars to act"],
        ["cookies", "Got it", "says:", "rich", "mirror all of it", "Leave a Reply",
         "Recent posts", "Powered by", "Reply"],
    ),
    "br_separated.html": (
        ["86 million music files", "256 million rows", "$13 trillion", "$12.9 trillion",
         "$150,000 per work", "disable the archive's domains", "A hearing date has not been set"],
        ["Pressing plant", "Radio ad revenue", "Reproduction prohibited", "Sections", "Jobs"],
    ),
}  # fmt: skip


def compare_extractors() -> None:
    from briefing.core.fulltext import decode_html, extract_main_html
    from briefing.core.textclean import html_to_text

    try:
        from readability import Document  # type: ignore[import-untyped]
    except ImportError:
        print("readability-lxml is not installed; skipping the comparison")
        return

    import trafilatura
    from lxml import html as lxml_html  # type: ignore[import-untyped]

    from briefing.core.fulltext import _unwrap_layout_tables

    def plain_trafilatura(document: str) -> str:
        found = trafilatura.extract(
            document, output_format="html", include_comments=False, include_tables=True,
            include_links=True, include_formatting=True,
        )  # fmt: skip
        return found or ""

    def with_readability(document: str) -> str:
        return str(Document(document).summary(html_partial=True))

    def unwrapped_readability(document: str) -> str:
        tree = trafilatura.load_html(document)
        _unwrap_layout_tables(tree)
        return with_readability(lxml_html.tostring(tree, encoding="unicode"))

    extractors = {
        "trafilatura": plain_trafilatura,
        "trafilatura+unwrap": extract_main_html,
        "readability-lxml": with_readability,
        "readability+unwrap": unwrapped_readability,
    }
    pages = {
        name: decode_html((ROOT / "tests" / "fulltext_pages" / name).read_bytes())
        for name in FIXTURE_CHECKS
    }
    generated = article_page(7, 4).decode()
    print("\nextractor comparison on tests/fulltext_pages (kept = main-text phrases found,")
    print("leaked = boilerplate phrases found; CPU = median of 20 runs)")
    print(f"{'page':22} {'extractor':18} {'kept':>6} {'leaked':>7} {'CPU ms':>7}")
    totals = {name: [0, 0, 0, 0, 0.0] for name in extractors}
    for page_name, (good, bad) in FIXTURE_CHECKS.items():
        for name, extract in extractors.items():
            text = " ".join(html_to_text(extract(pages[page_name])).split())
            kept = sum(phrase in text for phrase in good)
            leaked = sum(phrase in text for phrase in bad)
            cpu = _median_cpu(lambda e=extract, p=pages[page_name]: e(p))
            totals[name][0] += kept
            totals[name][1] += len(good)
            totals[name][2] += leaked
            totals[name][3] += len(bad)
            totals[name][4] += cpu
            print(
                f"{page_name:22} {name:18} {kept:>3}/{len(good):<2} {leaked:>4}/{len(bad):<2}"
                f" {cpu * 1000:>7.1f}"
            )
    for name, extract in extractors.items():
        cpu = _median_cpu(lambda e=extract: e(generated))
        print(f"{'generated bench page':22} {name:18} {'':>6} {'':>7} {cpu * 1000:>7.1f}")
    for name, (kept, good, leaked, bad, _cpu) in totals.items():
        print(f"{'ALL FIXTURES':22} {name:18} {kept:>3}/{good:<2} {leaked:>4}/{bad:<2}")


def _median_cpu(work: object, runs: int = 20) -> float:
    assert callable(work)
    work()
    costs = []
    for _ in range(runs):
        started = time.process_time()
        work()
        costs.append(time.process_time() - started)
    return statistics.median(costs)


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--hosts", type=int, default=1, help="loopback hosts for the pages")
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", action="store_true", help="also compare extractors")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--max-seconds", type=float, default=600, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.pages, args.hosts, args.latency_ms, args.max_seconds)
        return 0

    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--pages", str(args.pages),
         "--hosts", str(args.hosts), "--latency-ms", str(args.latency_ms),
         "--max-seconds", str(args.max_seconds)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        ports = json.loads(server.stdout.readline())
        work = Path(tempfile.mkdtemp(prefix="bench-fulltext-"))
        config_path = work / "feeds.toml"
        config_path.write_text(config_text(ports, args.per_host), encoding="utf-8")
        print(
            f"{args.pages} summary-only entries in {FEEDS} feeds; pages on {args.hosts}"
            f" loopback host(s); {args.latency_ms:g} ms latency; per_host={args.per_host},"
            f" concurrency=16; {os.cpu_count()} CPUs"
        )
        rows: list[list[tuple[float, float, float, object]]] = []
        for run in range(args.runs):
            cold, warm, again = one_run(config_path, work / "cache")
            rows.append([cold, warm, again])
            print(
                f"run {run + 1}: page step cold {cold[0]:.2f} s, warm {warm[0]:.2f} s,"
                f" revalidate {again[0]:.2f} s; whole refresh {cold[1]:.2f} s /"
                f" {warm[1]:.2f} s / {again[1]:.2f} s; longest loop stall"
                f" {cold[2] * 1000:.0f} / {warm[2] * 1000:.0f} / {again[2] * 1000:.0f} ms"
            )
            print(f"       cold {cold[3]}\n       warm {warm[3]}\n       revalidate {again[3]}")

        def median(which: int, field: int) -> float:
            return statistics.median(row[which][field] for row in rows)  # type: ignore[misc]

        print(
            f"median page step: cold {median(0, 0):.2f} s, warm {median(1, 0):.2f} s,"
            f" revalidate {median(2, 0):.2f} s; whole refresh: cold {median(0, 1):.2f} s,"
            f" warm {median(1, 1):.2f} s, revalidate {median(2, 1):.2f} s;"
            f" longest loop stall: cold {median(0, 2) * 1000:.0f} ms,"
            f" warm {median(1, 2) * 1000:.0f} ms, revalidate {median(2, 2) * 1000:.0f} ms"
        )
        mean, median, p95, size = extraction_cost(args.pages, args.hosts)
        print(
            f"extraction CPU per page ({size // 1024} KB pages, in-process): mean"
            f" {mean * 1000:.1f} ms, median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
        )
        shutil.rmtree(work, ignore_errors=True)
    finally:
        server.terminate()
        server.wait()
    if args.compare:
        compare_extractors()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Command line: bare ``briefing`` opens the reader; subcommands are for scripts.

Every error a person can cause (bad config, broken cache, bad arguments) ends
in one line on stderr and exit status 2 (1 for a cache or network failure),
never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TextIO

from briefing import __version__
from briefing.core.cachefile import Fault
from briefing.core.config import (
    ConfigError,
    ConfigLocation,
    find_config,
    load_config,
    user_config_dir,
)
from briefing.core.models import (
    Article,
    FeedResult,
    FetchStatus,
    PageReport,
    RefreshSummary,
    SyncReport,
)
from briefing.core.service import BriefingService, DataOrigin, age_in_words, open_sample
from briefing.core.store import ArticleHeader, Store, StoreError, default_cache_dir
from briefing.core.textclean import clean_line
from briefing.ui.keymap import keymap_from_config

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefing",
        description="A terminal briefing reader: one story, many feeds, merged key facts.",
        epilog="With no command, opens the three-pane reader.",
    )
    add_global_options(parser)
    parser.add_argument("--version", action="version", version=f"briefing {__version__}")
    # The global options also work after the command (`briefing feeds --offline`);
    # there they only override what was given before it.
    after = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    add_global_options(after)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, parents=[after])

    fetch = command("fetch", help="refresh every feed")
    fetch.add_argument(
        "--no-full-text", action="store_true", help="skip fetching article pages (quick refresh)"
    )

    articles = command("articles", help="list cached articles, newest first")
    articles.add_argument("--all", action="store_true", help="include off-topic articles")
    articles.add_argument("--json", action="store_true", help="one JSON object per article")

    feeds = command("feeds", help="each feed's last status and article count")
    feeds.add_argument("--json", action="store_true", help="JSON output")

    facts = command("facts", help="the key facts merged across sources")
    facts.add_argument("--json", action="store_true", help="JSON output (stable contract)")

    export = command("export", help="write the briefing as Markdown")
    export.add_argument(
        "--output", "-o", metavar="FILE", help="write here instead of stdout ('-': stdout)"
    )

    import_opml = command("import-opml", help="add the feeds of an OPML file")
    import_opml.add_argument("file", metavar="FILE")
    import_opml.add_argument(
        "--dry-run", action="store_true", help="print the [[feeds]] entries instead of saving"
    )

    serve = command("serve", help="run the reader in a web browser (textual-serve)")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=8000,
        help="port to listen on (default 8000; 0 picks a free one)",
    )

    export_opml = command("export-opml", help="write the feed list as OPML 2.0")
    export_opml.add_argument(
        "--output", "-o", metavar="FILE", help="write here instead of stdout ('-': stdout)"
    )
    return parser


def add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="PATH", help="feeds.toml to use")
    parser.add_argument(
        "--cache-dir", metavar="PATH", help=f"cache directory (or ${'BRIEFING_CACHE_DIR'})"
    )
    parser.add_argument("--offline", action="store_true", help="use only the cache; no network")
    parser.add_argument(
        "--demo", action="store_true", help="open the bundled sample briefing in its own cache"
    )
    parser.add_argument(
        "--rebuild-cache",
        action="store_true",
        help="replace an unreadable cache by a new one (the old one is kept, renamed)",
    )
    parser.add_argument(
        "--repair-cache",
        action="store_true",
        help="copy everything still readable of a damaged cache into a new one"
        " (the old one is kept, renamed)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The program: ``argv`` None means the command line (``sys.argv``), and the
    process ends once this returns (see ``before_exit``)."""
    code = run_command(argv)
    if argv is None:
        before_exit()
    return code


def before_exit() -> None:
    """Everything is written and closed by now (the store, the workers, the output
    is flushed as usual on the way out): spare the interpreter's last garbage
    collections over every object of the process, which took about 25-35 ms of a
    0.3 s `briefing fetch`. Objects still in cycles are then freed by the exit
    itself rather than collected one by one; nothing of ours waits for that (the
    store and every worker pool are closed explicitly)."""
    import gc

    gc.freeze()


def run_command(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    received: list[int] = []
    try:
        with interrupt_signals(received):
            return run(args)
    except (ConfigError, UsageError) as error:
        print(f"briefing: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except StoreError as error:
        return report_store_error(error)
    except EmptyCacheError as error:
        print(f"briefing: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except CacheAlreadyReported:
        return EXIT_FAILED
    except KeyboardInterrupt:
        number = received[0] if received else signal.SIGINT
        with contextlib.suppress(OSError):  # SIGHUP: the terminal may be gone
            if number == signal.SIGINT:
                print("briefing: interrupted", file=sys.stderr)
            else:
                print(f"briefing: stopped by {signal.Signals(number).name}", file=sys.stderr)
        return 128 + number
    except BrokenPipeError:
        # `briefing articles | head`: the reader left; not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


INTERRUPT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def interrupt_signals(received: list[int]) -> Iterator[None]:
    """SIGTERM and SIGHUP (a closed terminal) stop briefing the way Ctrl-C does.

    Each is handed to whatever handles SIGINT at that moment: inside
    ``asyncio.run`` (a fetch, the reader) that cancels the main task, so
    downloads are closed, worker processes stopped and what was stored kept;
    elsewhere it raises KeyboardInterrupt. ``received`` collects the signals.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def as_interrupt(number: int, frame: FrameType | None) -> None:
        received.append(number)
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler) and handler is not signal.default_int_handler:
            handler(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt

    previous = {number: signal.signal(number, as_interrupt) for number in INTERRUPT_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def report_store_error(error: StoreError) -> int:
    print(f"briefing: error: {clean_line(str(error))}", file=sys.stderr)
    if error.fault == Fault.DAMAGED:
        print(
            "briefing: run `briefing --repair-cache` to copy everything still readable into"
            " a new cache (the damaged one is kept).",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if not error.rebuildable:
        return EXIT_FAILED
    if sys.stdin.isatty() and sys.stderr.isatty():
        answer = input("Copy what can still be read into a new cache (the old one is kept)? [y/N] ")
        if answer.strip().lower() in ("y", "yes"):
            return EXIT_OK if rebuild_cache(error.directory) else EXIT_FAILED
    print(
        "briefing: run `briefing --rebuild-cache` to start a new cache from what can still be"
        " read (the old one is kept, renamed).",
        file=sys.stderr,
    )
    return EXIT_FAILED


def needs_rebuild(directory: Path) -> bool:
    """For --rebuild-cache: only a cache that cannot be read, or is damaged; a healthy
    one (read-only or not) is left as it is, and the user is told so."""
    try:
        store = Store(directory, read_only=True)
    except StoreError as error:
        # Anything else, the command itself says (a file at the path, a read-only disk).
        return error.fault in (Fault.UNREADABLE, Fault.DAMAGED)
    try:
        damaged = store.notes.read_only if store.read_only_fault == Fault.DAMAGED else ""
    finally:
        store.close()
    if damaged:
        return True
    print(f"briefing: the cache at {directory} can be read; nothing to rebuild", file=sys.stderr)
    return False


def rebuild_cache(directory: Path) -> bool:
    """--rebuild-cache / --repair-cache: says what it did; False when it could not."""
    from briefing.core.cacheupkeep import repair_cache

    try:
        report = repair_cache(directory)
    except StoreError as error:
        print(f"briefing: error: {clean_line(str(error))}", file=sys.stderr)
        return False
    print(f"briefing: {clean_line(report.message)}", file=sys.stderr)
    return True


def cache_dir_from(args: argparse.Namespace) -> Path:
    path = Path(args.cache_dir).expanduser() if args.cache_dir else default_cache_dir()
    if path.exists() and not path.is_dir():
        given = "--cache-dir" if args.cache_dir else "the cache directory"
        raise UsageError(f"{given} {path} is a file, not a folder")
    return path


def open_service(args: argparse.Namespace) -> BriefingService:
    """The service over the cache; a cache is moved aside only when asked to
    (--rebuild-cache, --repair-cache), never because of an error."""
    cache_dir = cache_dir_from(args)
    wanted = args.repair_cache or (args.rebuild_cache and needs_rebuild(cache_dir))
    if wanted and not rebuild_cache(cache_dir):
        raise CacheAlreadyReported
    if args.demo:
        return open_sample(cache_dir)
    location = find_config(args.config)
    config = load_config(location.path)
    keymap_from_config(config)  # a bad [keys] table is a config error for every command
    store = Store(cache_dir)
    if store.notes.migrated_from is not None:
        print(
            f"briefing: upgraded the cache at {cache_dir} to this version's layout;"
            f" the old one is kept at {store.notes.migrated_from}",
            file=sys.stderr,
        )
    service = BriefingService(config, store)
    if store.read_only:
        print(f"briefing: note: {clean_line(store.notes.read_only)}", file=sys.stderr)
    return service


class CacheAlreadyReported(Exception):
    """The cache could not be rebuilt or repaired, and the user was told why."""


def run(args: argparse.Namespace) -> int:
    command = args.command
    if command == "import-opml":
        return cmd_import_opml(args)
    if command == "export-opml":
        location = find_config(args.config)
        from briefing.core.opml import feeds_to_opml

        write_output(feeds_to_opml(load_config(location.path)), args.output)
        return EXIT_OK
    if command == "serve":
        return cmd_serve(args)
    if command == "fetch" and args.offline:
        raise UsageError("fetch cannot run with --offline")
    service = open_service(args)
    if command == "fetch" and service.store.read_only:
        service.store.close()
        print(
            f"briefing: error: cannot fetch: {clean_line(service.store.notes.read_only)}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    try:
        if command is None:
            return cmd_open_reader(service, args)
        if command == "fetch":
            return cmd_fetch(service, full_text=not args.no_full_text)
        if command == "feeds":
            return cmd_feeds(service, as_json=args.json)
        require_articles(service, args)
        if command == "articles":
            return cmd_articles(service, include_all=args.all, as_json=args.json)
        if command == "facts":
            return cmd_facts(service, as_json=args.json)
        if command == "export":
            return cmd_export(service, args.output)
        raise UsageError(f"unknown command {command!r}")
    finally:
        report = service.damage_report()
        if report:
            print(f"briefing: warning: {clean_line(report)}", file=sys.stderr)
        service.store.close()


def require_articles(service: BriefingService, args: argparse.Namespace) -> None:
    """Without --demo, an empty cache is an error a script can see (exit 1), never
    the fictional sample passed off as the user's data."""
    if service.origin == DataOrigin.SAMPLE or service.store.count_articles() > 0:
        return
    raise EmptyCacheError(
        f"the cache at {cache_dir_from(args)} is empty: run `briefing fetch` first"
        " (or add --demo to see the bundled sample)"
    )


class EmptyCacheError(Exception):
    pass


def is_sample(service: BriefingService) -> bool:
    return service.origin == DataOrigin.SAMPLE


# ---------------------------------------------------------------------- commands


def cmd_open_reader(service: BriefingService, args: argparse.Namespace) -> int:
    try:
        from briefing.ui.app import run_reader
    except ImportError:
        if service.store.count_articles() == 0:
            service.store.close()
            service = open_sample(cache_dir_from(args))
            print(service.notice, file=sys.stderr)
        return cmd_articles(service, include_all=False, as_json=False)
    keymap = None
    find_again = None
    if service.origin != DataOrigin.SAMPLE:
        keymap = keymap_from_config(service.config)

        def find_again() -> ConfigLocation:
            return find_config(args.config)

    return run_reader(
        service,
        offline=args.offline,
        cache_dir=cache_dir_from(args),
        keymap=keymap,
        find_config_again=find_again,
    )


def cmd_serve(args: argparse.Namespace) -> int:
    """The reader in a browser: each page opens ``briefing`` with these same options."""
    from briefing.ui.serve import serve

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: not a port (0 to 65535)")
    # Checked here, once, so a bad config is one line now rather than a blank page.
    if not args.demo:
        location = find_config(args.config)
        keymap_from_config(load_config(location.path))
    options: list[str] = []
    if args.config:
        options += ["--config", str(Path(args.config).expanduser().absolute())]
    options += ["--cache-dir", str(cache_dir_from(args).absolute())]
    options += [flag for flag, on in (("--offline", args.offline), ("--demo", args.demo)) if on]
    return serve(options, host=args.host, port=args.port)


def cmd_fetch(service: BriefingService, *, full_text: bool) -> int:
    interactive = sys.stderr.isatty()
    total = len([f for f in service.config.feeds if f.enabled])
    if total == 0 and service.server_sync is None:
        # A config problem the user fixes in feeds.toml: exit 2, like every config error.
        where = service.config.path or "the config"
        raise UsageError(f"{where}: no enabled feeds: add a [[feeds]] entry or set enabled = true")

    def progress(result: FeedResult, done: int, total: int) -> None:
        if interactive:
            draw_progress(done, total, "feeds")
        else:
            print(format_result_line(result))

    def page_progress(done: int, total: int) -> None:
        if interactive:
            draw_progress(done, total, "pages")

    summary = asyncio.run(
        service.refresh(on_progress=progress, full_text=full_text, on_page_progress=page_progress)
    )
    if interactive:
        sys.stderr.write("\r" + " " * 50 + "\r")
        print_result_table(summary, sys.stdout)
    new = sum(r.new for r in summary.results)
    failed = len(summary.errors)
    totals_out = sys.stdout if interactive else sys.stderr
    print(
        f"{plural(len(summary.results), 'feed')}: {plural(new, 'new article')}, {failed} failed",
        file=totals_out,
    )
    if summary.sync is not None and summary.sync.error is None:
        print(format_sync_line(summary.sync), file=totals_out)
    if summary.pages is not None:
        for line in format_page_failures(summary.pages, limit=10 if interactive else None):
            print(line)
        print(format_page_line(summary.pages), file=totals_out)
    elif not full_text:
        print("pages: not fetched (--no-full-text)", file=totals_out)
    if summary.any_succeeded:
        return EXIT_OK
    cached = service.store.count_articles()
    if cached:
        print(
            f"briefing: every feed failed; the cache still holds {plural(cached, 'article')}"
            f" (last refreshed {time_ago(service.last_refresh())})",
            file=sys.stderr,
        )
    else:
        print(
            "briefing: every feed failed and the cache is empty; `briefing --demo` shows the sample",
            file=sys.stderr,
        )
    return EXIT_FAILED


def format_sync_line(report: SyncReport) -> str:
    """'sync: https://rss.example.org (Miniflux API): 200 feeds, 12 new; marks: 3 pulled,
    2 sent, 0 waiting (31 requests, 1.2 s)'."""
    return (
        f"sync: {clean_line(report.server)}: {plural(report.feeds, 'feed')}, {report.new} new;"
        f" marks: {report.marks_pulled} pulled, {report.marks_pushed} sent,"
        f" {report.marks_queued} waiting ({plural(report.requests, 'request')},"
        f" {report.elapsed:.2f} s)"
    )


def time_ago(iso_time: str | None) -> str:
    """'just now', '3 min ago', '2 days ago', or 'never'."""
    age = age_in_words(iso_time)
    if age in ("just now", "never"):
        return age
    if age == "unknown":
        return "at an unknown time"
    return f"{age} ago"


def draw_progress(done: int, total: int, what: str) -> None:
    width = 30
    filled = round(width * done / total) if total else width
    bar = "#" * filled + "-" * (width - filled)
    sys.stderr.write(f"\r[{bar}] {done}/{total} {what} ")
    sys.stderr.flush()


def format_page_line(pages: PageReport) -> str:
    """'pages: 12 fetched, 1 failed, 30 skipped, 5 unchanged, 9 fresh (2.3 s)'."""
    if pages.error:
        return f"pages: stopped: {clean_line(pages.error)}"
    elsewhere = f", {pages.elsewhere} being fetched by another briefing" if pages.elsewhere else ""
    return (
        f"pages: {pages.fetched} fetched, {pages.failed} failed, {pages.skipped} skipped,"
        f" {pages.unchanged} unchanged, {pages.fresh} fresh{elsewhere} ({pages.elapsed:.1f} s)"
    )


def format_page_failures(pages: PageReport, *, limit: int | None) -> list[str]:
    failures = pages.failures if limit is None else pages.failures[:limit]
    lines = [
        f"page {cut(clean_line(link), LAST_COLUMN_WIDTH)}: failed: {clean_line(reason)}"
        for link, reason in failures
    ]  # the link, or the title of an entry without one: as long as the feed made it
    if len(failures) < len(pages.failures):
        lines.append(f"... and {len(pages.failures) - len(failures)} more failed pages")
    return lines


def format_result_line(result: FeedResult) -> str:
    if result.status is FetchStatus.ERROR:
        return f"{result.name}: error: {result.error}"
    if result.total:
        line = f"{result.name}: {result.status.value} ({result.new} new, {result.updated} updated)"
    elif result.not_modified:
        line = f"{result.name}: {result.status.value} (not modified)"
    else:
        line = f"{result.name}: no items"  # the feed answered, with nothing in it
    if result.warning:
        line += f"; warning: {result.warning}"
    return line


def print_result_table(summary: RefreshSummary, out: TextIO) -> None:
    rows = [("FEED", "STATUS", "NEW", "UPD", "TIME", "NOTE")]
    for r in summary.results:
        note = r.error or r.warning or ""
        status = r.status.value
        if r.status is FetchStatus.UNCHANGED and not r.total and not r.not_modified:
            status = "no items"
        rows.append((r.name, status, str(r.new), str(r.updated), f"{r.elapsed:.1f}s", note))
    print_table(rows, out)


COLUMN_WIDTH = 48
"""Widest any column but the last is printed (feed names, statuses, dates)."""
LAST_COLUMN_WIDTH = 240
"""Widest the last column (titles, notes) is printed when not on a terminal."""


def print_table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    """Columns padded to line up, each cut with an ellipsis at its width.

    Every column but the last is at most COLUMN_WIDTH wide; the last fills
    the rest of the terminal's width, or, piped into a file or another
    program, at most LAST_COLUMN_WIDTH. No cell, however long, prints more.
    """
    widths = [min(COLUMN_WIDTH, max(len(row[i]) for row in rows)) for i in range(len(rows[0]))]
    fixed = sum(widths[:-1]) + 2 * (len(widths) - 1)
    if out.isatty():
        last = max(10, shutil.get_terminal_size((100, 24)).columns - fixed)
    else:
        last = LAST_COLUMN_WIDTH
    widths[-1] = min(last, max(len(row[-1]) for row in rows))
    for row in rows:
        cells = [cut(cell, widths[i]).ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        print("  ".join([*cells, cut(row[-1], widths[-1])]).rstrip(), file=out)


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, ending in '…' when cut."""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def article_json(article: Article | ArticleHeader, *, sample: bool = False) -> dict[str, object]:
    return {
        "id": article.id,
        "source": article.source,
        "title": article.title,
        "link": article.link,
        "published": article.published,
        "read": article.read,
        "starred": article.starred,
        "relevance": article.relevance,
        "sample": sample,
    }


def cmd_articles(service: BriefingService, *, include_all: bool, as_json: bool) -> int:
    # On-topic ones come from the index, without their bodies.
    articles: Sequence[Article | ArticleHeader] = (
        service.articles(include_off_topic=True) if include_all else service.headers()
    )
    if as_json:
        for article in articles:
            print(json.dumps(article_json(article, sample=is_sample(service)), ensure_ascii=False))
        return EXIT_OK
    rows = [("DATE", "SOURCE", "TITLE")]
    for article in articles:
        date = (article.published or article.first_seen or "")[:10]
        off_topic = isinstance(article, Article) and not article.on_topic
        rows.append((date, article.source, article.title + (" (off topic)" if off_topic else "")))
    if len(rows) == 1:
        cached = len(articles) if include_all else sum(s.articles for s in service.sources())
        if cached:
            print(
                (
                    f"None of the {cached} cached articles is on topic;"
                    " `briefing articles --all` lists them."
                    if cached != 1
                    else "The one cached article is not on topic; `briefing articles --all` lists it."
                ),
                file=sys.stderr,
            )
        else:
            print("No articles cached yet. Run `briefing fetch`.", file=sys.stderr)
        return EXIT_OK
    print_table(rows, sys.stdout)
    return EXIT_OK


def cmd_feeds(service: BriefingService, *, as_json: bool) -> int:
    sources = service.sources()
    if as_json:
        payload = [
            {
                "name": s.name,
                "url": s.url,
                "enabled": s.enabled,
                "health": s.health,
                "last_status": s.last_status or None,
                "last_error": s.last_error,
                "last_warning": s.last_warning,
                "last_success": s.last_success,
                "articles": s.articles,
                "on_topic": s.on_topic,
                "unread": s.unread,
                "sample": is_sample(service),
                "via": s.via or None,
            }
            for s in sources
        ]
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return EXIT_OK
    via = any(s.via for s in sources)
    rows = [
        (
            "FEED",
            "STATUS",
            "ARTICLES",
            "ON TOPIC",
            "LAST SUCCESS",
            *(("VIA",) if via else ()),
            "NOTE",
        )
    ]
    for s in sources:
        status = s.last_status or "never fetched"
        if not s.enabled:
            status = "disabled"
        success = time_ago(s.last_success)
        server = (s.via or "feeds.toml",) if via else ()
        rows.append(
            (s.name, status, str(s.articles), str(s.on_topic), success, *server, s.last_error or "")
        )
    print_table(rows, sys.stdout)
    if service.server_sync is not None:
        print(format_sync_status(service.server_sync.status()), file=sys.stderr)
    return EXIT_OK


def format_sync_status(status: dict[str, object]) -> str:
    """'sync: https://rss.example.org (Miniflux API): last synced 3 min ago; 2 marks waiting'."""
    server = clean_line(str(status["server"]))
    queued = status["queued"] if isinstance(status["queued"], int) else 0
    success = status["last_success"] if isinstance(status["last_success"], str) else None
    line = f"sync: {server}: last synced {time_ago(success)}"
    if queued:
        line += f"; {plural(queued, 'mark')} waiting to be sent"
    error = status["last_error"]
    if isinstance(error, str) and error:
        line += f"; last try failed: {clean_line(error).removeprefix('sync: ')}"
    return line


def cmd_facts(service: BriefingService, *, as_json: bool) -> int:
    from briefing.core.export import briefing_to_json, render_facts_table

    briefing = service.briefing()
    if as_json:
        document = briefing_to_json(briefing)
        document["sample"] = is_sample(service)  # the bundled, fictional sample (--demo)
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        if service.notice:
            print(service.notice)
        width = shutil.get_terminal_size((100, 24)).columns
        print(render_facts_table(briefing, width=width))
    return EXIT_OK


def cmd_export(service: BriefingService, output: str | None) -> int:
    from briefing.core.export import briefing_to_markdown

    articles = service.articles()
    text = briefing_to_markdown(service.briefing(articles), articles)
    write_output(text, output)
    if output and output != STDOUT:
        print(f"briefing: wrote {output}", file=sys.stderr)
    return EXIT_OK


STDOUT = "-"
"""As an --output FILE: standard output, as for most commands."""


def write_output(text: str, output: str | None) -> None:
    if output is None or output == STDOUT:
        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{output}: cannot write: {error.strerror or error}") from None


def cmd_import_opml(args: argparse.Namespace) -> int:
    import tomllib

    from briefing.core.config import parse_config
    from briefing.core.opml import feeds_from_opml, feeds_to_toml

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror or error}") from None
    imported = feeds_from_opml(data, str(path))
    location = find_config(args.config)
    if location.origin == "bundled default":
        target = user_config_dir() / "feeds.toml"
    else:
        target = location.path
    existing = load_config(location.path)
    known_urls = {f.url for f in existing.feeds}
    known_names = {f.name.casefold() for f in existing.feeds}
    fresh = [
        f for f in imported if f.url not in known_urls and f.name.casefold() not in known_names
    ]
    text = feeds_to_toml(fresh)
    base_text = (target if target.exists() else location.path).read_text(encoding="utf-8")
    combined = base_text.rstrip("\n") + "\n\n" + text
    # Prove the result reads before printing or writing it, so a bad import
    # never breaks the config and --dry-run shows only what would be accepted.
    try:
        parse_config(tomllib.loads(combined), str(target))
    except tomllib.TOMLDecodeError as error:
        raise UsageError(
            f"{path}: the imported feeds would not be valid TOML in {target}: {error}"
        ) from None
    skipped = len(imported) - len(fresh)
    already = f" ({plural(skipped, 'feed')} already there)" if skipped else ""
    if args.dry_run:
        sys.stdout.write(text)
        print(
            f"briefing: would add {plural(len(fresh), 'feed')} to {target}{already}",
            file=sys.stderr,
        )
        return EXIT_OK
    if fresh:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(combined, encoding="utf-8")
    print(f"briefing: added {plural(len(fresh), 'feed')} to {target}{already}")
    return EXIT_OK


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"

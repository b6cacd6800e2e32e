"""Full article text for feeds that only carry summaries.

After the feed step, the page step looks at every on-topic article of an
enabled feed and decides whether it needs its web page (``wants_page``):
``full_text = "auto"`` fetches it when the entry is short or only a teaser,
``true`` always, ``false`` never. Pages are fetched with the same HTTP code,
timeouts and size cap as feeds (``fetch.HttpFetcher``), at most
``settings.per_host`` at a time per host and ``settings.concurrency`` in all,
with conditional GET from validators kept in the store. Only the entry's own
http(s) link is fetched; redirects are bounded and must stay on http(s).

The main text is extracted with trafilatura (the only module that imports it)
in a small process pool, so neither the event loop nor a UI in the same process
waits on it, then reduced to simple, safe HTML: headings, paragraphs, lists,
quotes, links. That HTML goes in ``Article.full_text``, which
``Article.body_html`` prefers, so the article pane and the facts engine read
it. A page that fails leaves the feed's own text in place and says why in
``Article.full_text_status``.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import html
import re
import time
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from briefing.core.models import Article, FullTextMode, PageReport, Settings
from briefing.core.store import FULL_TEXT_PENDING, PageValidators, parse_utc
from briefing.core.textclean import clean_text, html_to_text, is_web_url

if TYPE_CHECKING:
    from briefing.core.httpclient import HttpFetcher
    from briefing.core.store import Store

# --------------------------------------------------------------------------- statuses

STATUS_OK = "ok"
"""The page was fetched and its main text is in ``full_text``."""
STATUS_SKIPPED = "skipped"
"""The page is not needed: the feed says never, or the entry is long enough."""
STATUS_PENDING = FULL_TEXT_PENDING
"""The page is wanted and has not been fetched yet."""
FAILED_PREFIX = "failed: "
"""Followed by a reason a person can act on: 'failed: HTTP 404 Not Found'."""


def failed_status(reason: str) -> str:
    return FAILED_PREFIX + (" ".join(reason.split()) or "unknown error")


def is_failed(status: str) -> bool:
    return status.startswith(FAILED_PREFIX)


# --------------------------------------------------------------------------- which pages

AUTO_MIN_WORDS = 150
"""Under "auto", an entry with fewer words than this gets its page fetched."""
REVALIDATE_WITHIN_DAYS = 7
"""Pages of articles newer than this are revalidated (conditional GET) when
their last check is older than ``RECHECK_AFTER``, and failed ones retried on
every refresh; older ones keep what they have (text, or the failure). A page
never fetched is fetched whatever its age."""
RECHECK_AFTER = timedelta(hours=1)
"""A page read or revalidated less than this long ago is not requested again:
refreshing twice in a row costs a site nothing, as with a browser's cache.
For an article of the last ``REVALIDATE_WITHIN_DAYS``, a changed link is
fetched at once."""
CLOCK_SLACK = timedelta(minutes=5)
"""A check stamped further in the future than this (a clock set back) is not
trusted to be fresh."""
MAX_FULL_TEXT_CHARS = 400_000
"""Extracted HTML is cut at a block boundary beyond this (a book-length page)."""

# How feeds mark a cut-off summary at its very end: an ellipsis ('…', '[...]',
# '(more…)'), or a link phrase that may be followed by the title and an arrow
# ('Continue reading “Title” →', 'Read more »').
_TEASER_END = re.compile(
    r"(?:(?:\.\.\.|…|\[\s*(?:\.\.\.|…)\s*\]|\(\s*more\s*(?:\.\.\.|…)?\s*\))"
    r"|\b(?:read more|continue reading|read the (?:full|rest|whole)|read full (?:article|story))"
    r"\b[^.!?\n]{0,80})\W{0,4}$",
    re.IGNORECASE,
)


def word_count(body_html: str) -> int:
    return len(html_to_text(body_html).split())


def is_teaser(body_html: str) -> bool:
    """True when the feed's text ends like a cut-off summary ('…', 'Read more')."""
    text = html_to_text(body_html)
    return bool(text) and _TEASER_END.search(text[-400:]) is not None


def wants_page(article: Article, mode: FullTextMode) -> bool:
    """Whether this article's web page should be fetched under the feed's setting.

    "auto": when the entry's own text (content, else summary) has fewer than
    ``AUTO_MIN_WORDS`` words, or the feed gave only a summary that ends like a
    teaser. A long summary that is not cut off is taken to be the full text,
    as feeds that put the whole article in <description> do.
    """
    if mode == "never":
        return False
    if mode == "always":
        return True
    return wants_page_under_auto(article.content, article.summary)


def wants_page_under_auto(content: str, summary: str) -> bool:
    """``wants_page`` under "auto", from the entry's own text (the store keeps it)."""
    text = html_to_text(content or summary)  # once: the teaser test reads it too
    if len(text.split()) < AUTO_MIN_WORDS:
        return True
    return not content and bool(text) and _TEASER_END.search(text[-400:]) is not None


@dataclass(frozen=True, slots=True)
class PagePlan:
    """What the page step will do this refresh."""

    fetch: tuple[Article, ...]
    """Articles whose page is requested (conditionally when they have validators)."""
    settle: tuple[Article, ...]
    """Articles whose status (and maybe text) changes without a request."""
    skipped: int
    failed_without_request: tuple[tuple[str, str], ...]
    """(link, reason) of articles whose page cannot be asked for at all."""
    fresh: int = 0
    """Articles with good text whose page was checked within ``RECHECK_AFTER``."""


def plan_pages(
    articles: Iterable[Article],
    modes: Mapping[str, FullTextMode],
    *,
    now: datetime | None = None,
    validators: Mapping[str, PageValidators] | None = None,
    wanted: Mapping[str, bool] | None = None,
) -> PagePlan:
    """Decide, for every on-topic article of a configured feed, what the page step does.

    ``validators`` (by article id) say when each page was last checked; without
    them every recent page is revalidated. ``wanted`` (by article id): whether
    ``wants_page`` holds, when already known (the store's page index says so),
    so the article's text is not read again.
    """
    now = now or datetime.now(UTC)
    recent_after = (now - timedelta(days=REVALIDATE_WITHIN_DAYS)).isoformat()
    checked_after = (now - RECHECK_AFTER).isoformat()
    checked_before = (now + CLOCK_SLACK).isoformat()
    known = validators or {}
    fetch: list[Article] = []
    settle: list[Article] = []
    failed: list[tuple[str, str]] = []
    skipped = fresh = 0
    for article in articles:
        mode = modes.get(article.source)
        if mode is None or not article.on_topic:
            continue
        known_wanted = wanted.get(article.id) if wanted is not None else None
        if not (wants_page(article, mode) if known_wanted is None else known_wanted):
            skipped += 1
            if article.full_text_status != STATUS_SKIPPED or article.full_text:
                settle.append(replace(article, full_text="", full_text_status=STATUS_SKIPPED))
            continue
        if not is_web_url(article.link):
            reason = "the entry has no http(s) link"
            failed.append((article.link or article.title, reason))
            status = failed_status(reason)
            if article.full_text_status != status or article.full_text:
                settle.append(replace(article, full_text="", full_text_status=status))
            continue
        status = article.full_text_status
        never_fetched = status in ("", STATUS_PENDING, STATUS_SKIPPED) or (
            status == STATUS_OK and not article.full_text
        )
        if never_fetched:
            fetch.append(article)
        elif _sort_time(article) >= recent_after:
            last = known.get(article.id)
            if (
                status == STATUS_OK
                and last is not None
                and last.url == article.link.strip()
                and _checked_between(last.checked, checked_after, checked_before)
            ):
                fresh += 1
            else:
                fetch.append(article)
    return PagePlan(tuple(fetch), tuple(settle), skipped, tuple(failed), fresh)


def _checked_between(checked: str, earliest: str, latest: str) -> bool:
    parsed = parse_utc(checked) if checked else None
    return parsed is not None and earliest <= parsed.isoformat() <= latest


def _sort_time(article: Article) -> str:
    """Comparable with an aware UTC ISO time even for odd stored values."""
    parsed = parse_utc(article.sort_time)
    return parsed.isoformat() if parsed else ""


# --------------------------------------------------------------------------- fetching


@dataclass(frozen=True, slots=True)
class PageJob:
    """One URL to fetch, and the articles (one or more feeds) that link to it."""

    url: str
    articles: tuple[Article, ...]
    validators: PageValidators | None


@dataclass(frozen=True, slots=True)
class PageResult:
    job: PageJob
    status: str
    """STATUS_OK or a failed status."""
    full_text: str | None
    """New extracted HTML; None keeps what the articles have (304, failure)."""
    validators: PageValidators | None
    not_modified: bool = False


PageProgressCallback = Callable[[int, int], None]
"""Called after each page: (pages done, pages total)."""


def page_jobs(
    articles: Sequence[Article], validators: Mapping[str, PageValidators]
) -> list[PageJob]:
    """One job per distinct link, so two feeds linking the same story fetch it once.

    A job is conditional only when every article on it has good text and the
    same validators: a 304 must never leave one of them without text.
    """
    by_link: dict[str, list[Article]] = {}
    for article in articles:
        by_link.setdefault(article.link.strip(), []).append(article)
    jobs = []
    for link, group in by_link.items():
        known = [validators.get(a.id) for a in group]
        first = known[0]
        usable = (
            first is not None
            and first.url == link
            and (first.etag or first.last_modified)
            and all(
                v is not None
                and (v.url, v.etag, v.last_modified) == (first.url, first.etag, first.last_modified)
                for v in known
            )
            and all(a.full_text_status == STATUS_OK and a.full_text for a in group)
        )
        jobs.append(PageJob(link, tuple(group), first if usable else None))
    return jobs


async def fetch_pages(
    jobs: Sequence[PageJob], settings: Settings, *, http: HttpFetcher | None = None
) -> AsyncGenerator[PageResult]:
    """Fetch and extract every job's page; yield each result as soon as it is known.

    At most ``settings.per_host`` requests per host name and
    ``settings.concurrency`` in all are in flight; a host's queue waits for its
    own slots before it takes a global one, so one slow site cannot hold the
    others up. Extraction runs in a process pool while downloads go on. Never
    raises because of one page.
    """
    if not jobs:
        return
    from briefing.core.httpclient import HttpFetcher

    own_http = http is None
    client = http or HttpFetcher(
        timeout=settings.timeout,
        max_bytes=settings.max_bytes,
        max_redirects=settings.max_redirects,
        max_connections=max(1, settings.concurrency),
    )
    fetcher = _PageFetcher(client, settings)
    try:
        tasks = [asyncio.create_task(fetcher.fetch(job)) for job in jobs]
        try:
            for done in asyncio.as_completed(tasks):
                yield await done
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        try:
            if own_http:
                await client.aclose()
        finally:
            await fetcher.extractor.aclose()


class _PageFetcher:
    def __init__(self, http: HttpFetcher, settings: Settings) -> None:
        from briefing.core.httpclient import HostSlots

        self.http = http
        self.global_slots = asyncio.Semaphore(max(1, settings.concurrency))
        self.host_slots = HostSlots(settings.per_host)
        # Bodies downloaded but not yet extracted wait in memory; this bounds them
        # when downloads outrun extraction (a fast site of big pages).
        self.bodies_in_hand = asyncio.Semaphore(max(1, settings.concurrency) + 2 * EXTRACT_WORKERS)
        self.extractor = _ExtractPool()
        self.unreachable = UnreachableHosts()

    async def fetch(self, job: PageJob) -> PageResult:
        from briefing.core.httpclient import PAGE_ACCEPT, FetchError

        known = job.validators
        holding_body = False
        try:
            # The host's own queue first, so that waiting for a busy site never
            # holds a slot another site could use; the host slot is free again
            # as soon as the body is in, while extraction runs.
            async with self.host_slots.of(job.url):
                dead = self.unreachable.reason(job.url)
                if dead is not None:
                    return _failed(job, dead)
                await self.bodies_in_hand.acquire()
                holding_body = True
                async with self.global_slots:
                    try:
                        response = await self.http.get(
                            job.url,
                            etag=known.etag if known else None,
                            last_modified=known.last_modified if known else None,
                            accept=PAGE_ACCEPT,
                        )
                    except FetchError as error:
                        self.unreachable.note(job.url, str(error))
                        raise
            if response.not_modified:
                if known is None:
                    return _failed(job, "the server answered 304 without being asked to")
                return PageResult(job, STATUS_OK, None, known, not_modified=True)
            extracted = await self.extractor.extract(
                response.body, response.content_type, response.final_url, job.articles[0].title
            )
            if extracted.error:
                return _failed(job, extracted.error)
            own_words = max(word_count(a.content or a.summary) for a in job.articles)
            if extracted.words == 0:
                return _failed(job, "no article text found on the page")
            if extracted.words < own_words:
                return _failed(
                    job,
                    f"the page's main text ({extracted.words} words) is shorter than the feed's"
                    f" ({own_words} words)",
                )
            fresh = PageValidators(job.url, response.etag, response.last_modified)
            return PageResult(job, STATUS_OK, extracted.html, fresh)
        except FetchError as error:
            return _failed(job, str(error))
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug must not take the other pages down
            return _failed(job, f"unexpected error: {type(error).__name__}: {error}")
        finally:
            if holding_body:
                self.bodies_in_hand.release()


def _failed(job: PageJob, reason: str) -> PageResult:
    return PageResult(job, failed_status(reason), None, job.validators)


NOT_ASKED_AGAIN = " (not asked again in this refresh)"

# How the HTTP client says a host cannot be reached at all (httpclient._connect_error).
_UNREACHABLE = (
    re.compile(r"^DNS lookup failed for (?P<proxy>proxy )?host (?P<host>[^\s:]+)(?::|$)"),
    re.compile(r"^connection refused by (?P<proxy>proxy )?(?P<host>\S+?):(?P<port>\d+)$"),
    re.compile(r"^network unreachable for (?P<proxy>proxy )?(?P<host>\S+)$"),
)


class UnreachableHosts:
    """Hosts that failed DNS, refused a connection or had no route, in one refresh:
    their other pages are not asked for (they fail at once with the same reason).

    Recognised from the HTTP client's reasons; a proxy that cannot be reached
    stands for every host.
    """

    def __init__(self) -> None:
        self._dead: dict[str, str] = {}

    def note(self, url: str, reason: str) -> None:
        for pattern in _UNREACHABLE:
            match = pattern.match(reason)
            if match is None:
                continue
            if match.group("proxy"):
                self._dead["*"] = reason
                return
            host = match.group("host").strip("[]").lower()
            port = match.groupdict().get("port")
            self._dead[f"{host}:{port}" if port else host] = reason
            return

    def reason(self, url: str) -> str | None:
        if not self._dead:
            return None
        found = self._dead.get("*")
        if found is None:
            try:
                parts = urlsplit(url)
                host = (parts.hostname or "").lower()
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError:
                return None
            found = self._dead.get(host) or self._dead.get(f"{host}:{port}")
        return None if found is None else found + NOT_ASKED_AGAIN


# --------------------------------------------------------------------------- extraction pool

EXTRACT_WORKERS = 2


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    html: str
    """Simple, safe HTML of the main text; '' when none was found."""
    words: int
    error: str = ""
    """Set when the answer was not a page we can read (a PDF, an image...)."""


class _ExtractPool:
    """Extraction in worker processes (``workers.WorkerPool``), started on the
    first page to extract. Extraction is CPU-bound Python (about 2-15 ms a page)."""

    def __init__(self) -> None:
        from briefing.core.workers import WorkerPool

        # forkserver: workers inherit no event-loop threads or sockets. The
        # preload only counts if this is the first forkserver of the process; if
        # not, each worker imports trafilatura on its first page.
        # in_flight: one page per worker at a time, so a page that kills its
        # worker takes no queue of other pages down with it.
        self.workers = WorkerPool(
            EXTRACT_WORKERS,
            method="forkserver",
            preload=["briefing.core.fulltext", "trafilatura"],
            in_flight=EXTRACT_WORKERS,
        )

    async def extract(
        self, body: bytes, content_type: str | None, url: str, title: str
    ) -> ExtractedPage:
        from briefing.core.workers import WorkerCrashed

        try:
            return await self.workers.run(extract_page, body, content_type, url, title)
        except WorkerCrashed:
            return ExtractedPage("", 0, "the text extractor crashed on this page")

    async def aclose(self) -> None:
        await self.workers.aclose()


# --------------------------------------------------------------------------- extraction

_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml")


def extract_page(body: bytes, content_type: str | None, url: str, title: str = "") -> ExtractedPage:
    """The main text of one fetched page as simple, safe HTML. Runs in a worker.

    ``url`` is where the page came from after redirects (relative links resolve
    against it); a leading heading that repeats ``title`` is dropped.
    """
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime and mime not in _HTML_TYPES and not mime.endswith("+xml"):
        return ExtractedPage("", 0, f"not an HTML page ({mime})")
    document = decode_html(body, content_type)
    if not mime and document.lstrip()[:1] != "<":
        return ExtractedPage("", 0, "not an HTML page")
    main = extract_main_html(document, url)
    safe = sanitise_html(main, base_url=url, title=title)
    return ExtractedPage(safe, word_count(safe))


def extract_main_html(document: str, url: str | None = None) -> str:
    """The main text of an HTML page as trafilatura's HTML, '' when it finds none.

    Comments are left out; data tables are kept (figures live in them); links
    and emphasis are kept for the reader. Tables used for page layout are
    turned into plain blocks first (see ``_unwrap_layout_tables``).
    """
    import trafilatura

    tree = trafilatura.load_html(document)
    if tree is None:
        return ""
    _unwrap_layout_tables(tree)
    result = trafilatura.extract(
        tree,
        url=url,
        output_format="html",
        include_comments=False,
        include_tables=True,
        include_links=True,
        include_formatting=True,
        include_images=False,
    )
    return result if isinstance(result, str) else ""


LAYOUT_CELL_WORDS = 50
"""A table cell holding this many words is page layout, not data."""
_TABLE_PARTS = ("thead", "tbody", "tfoot", "tr", "td", "th")


def _unwrap_layout_tables(tree: Any) -> None:
    """Turn layout tables (a nested table, or a cell of running text) into divs.

    trafilatura keeps a table whole, so on an old table-layout site the menu
    column and the footer row came out with the article. As divs, its usual
    link-density and boilerplate rules apply to each former cell.
    """
    for table in list(tree.iter("table")):
        own_cells = [c for c in table.iter("td", "th") if _nearest_table(c) is table]
        nested = any(True for _ in table.iterdescendants("table"))
        wordy = any(len(c.text_content().split()) >= LAYOUT_CELL_WORDS for c in own_cells)
        if not (nested or wordy):
            continue
        for part in list(table.iter(*_TABLE_PARTS)):
            if _nearest_table(part) is table:
                part.tag = "div"
        table.tag = "div"


def _nearest_table(element: Any) -> Any:
    return next(element.iterancestors("table"), None)


# --------------------------------------------------------------------------- decoding

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE
)
# What browsers do (WHATWG Encoding): these labels mean windows-1252, whose
# 0x80-0x9f are curly quotes and dashes rather than invisible C1 controls.
_WINDOWS_1252_ALIASES = frozenset({"latin_1", "iso8859_1", "ascii", "cp819"})


def _codec(label: str | bytes | None) -> str | None:
    if not label:
        return None
    text = label.decode("ascii", "ignore") if isinstance(label, bytes) else label
    try:
        name = codecs.lookup(text.strip().strip("\"'")).name
    except LookupError:
        return None
    if name.replace("-", "_") in _WINDOWS_1252_ALIASES:
        return "cp1252"
    return name


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Text of an HTML page: BOM, else the Content-Type charset, else a <meta>
    charset near the top, else UTF-8 if it decodes, else windows-1252."""
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(name, "replace")
    declared = None
    if content_type and "charset=" in content_type.lower():
        declared = _codec(content_type.lower().split("charset=", 1)[1].split(";")[0])
    if declared is None:
        match = _META_CHARSET.search(body[:4096])
        declared = _codec(match.group(1)) if match else None
    if declared is not None and not declared.startswith("utf-16"):
        return body.decode(declared, "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", "replace")


# --------------------------------------------------------------------------- sanitising

_BLOCKS = frozenset({"p", "ul", "ol", "li", "blockquote", "pre", "h2", "h3", "h4", "h5", "h6"})
_INLINE = frozenset({"a", "em", "strong", "code"})
_RENAME = {"h1": "h2", "b": "strong", "i": "em", "dl": "ul", "dt": "li", "dd": "li"}
_DROP_CONTENT = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math"}
    | {"form", "button", "select", "textarea", "head", "title", "nav", "aside", "footer"}
)
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "wbr"})
_CELL = frozenset({"td", "th"})


class _Sanitiser(HTMLParser):
    """Rebuild HTML from a small allow-list; every other tag is unwrapped.

    Text is cleaned of control characters and escaped; the only attribute kept
    is an absolute http(s) ``href``. Table rows become paragraphs with their
    cells joined by ' | ', which reads well both as text and as Markdown.
    """

    def __init__(self, base_url: str, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.limit = limit
        self.out: list[str] = []
        self.size = 0
        self.open: list[str] = []
        self.drop_depth = 0
        self.cells_in_row = 0
        self.full = False

    def _write(self, text: str) -> None:
        self.out.append(text)
        self.size += len(text)

    def _open(self, tag: str, attrs: str = "") -> None:
        self._write(f"<{tag}{attrs}>")
        self.open.append(tag)

    def _close(self, tag: str) -> None:
        if tag not in self.open:
            return
        while self.open:
            current = self.open.pop()
            self._write(f"</{current}>")
            if current == tag:
                break

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.full:
            return
        if tag in _DROP_CONTENT:
            if tag not in _VOID:
                self.drop_depth += 1
            return
        if self.drop_depth:
            return
        tag = _RENAME.get(tag, tag)
        if tag == "br":
            self._write("<br>")
        elif tag == "tr":
            self._close("p")
            self._open("p")
            self.cells_in_row = 0
        elif tag in _CELL:
            if self.cells_in_row:
                self._write(" | ")
            self.cells_in_row += 1
        elif tag in _BLOCKS:
            if tag in ("p", "h2", "h3", "h4", "h5", "h6", "pre"):
                self._close("p")  # a block never nests inside a paragraph
            self._open(tag)
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            target = urljoin(self.base_url, href.strip()) if href.strip() else ""
            if is_web_url(target):
                safe = html.escape(clean_text(target).replace(" ", "%20"), quote=True)
                self._open("a", f' href="{safe}"')
            else:
                self.open.append("")  # a placeholder so the end tag pairs up
        elif tag in _INLINE:
            self._open(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT:
            self.drop_depth = max(0, self.drop_depth - 1)
            return
        if self.drop_depth or self.full:
            return
        tag = _RENAME.get(tag, tag)
        if tag == "tr":
            self._close("p")
        elif (
            tag == "a"
            and "" in self.open
            and ("a" not in self.open or self.open[::-1].index("") < self.open[::-1].index("a"))
        ):
            self.open.reverse()
            self.open.remove("")
            self.open.reverse()
        elif tag in _BLOCKS or tag in _INLINE:
            self._close(tag)
            if tag in _BLOCKS and not self.open and self.size > self.limit:
                self.full = True

    def handle_data(self, data: str) -> None:
        if self.drop_depth or self.full:
            return
        text = clean_text(data)
        if "pre" not in self.open:
            text = _SPACES.sub(" ", text)
        self._write(html.escape(text, quote=False))

    def result(self) -> str:
        while self.open:
            tag = self.open.pop()
            if tag:
                self._write(f"</{tag}>")
        return "".join(self.out)


_SPACES = re.compile(r"\s+")
_EMPTY_ELEMENT = re.compile(r"<(p|li|h[2-6]|blockquote|pre|em|strong|code)>(?:\s|<br>)*</\1>")
_BLANK_RUN = re.compile(r"\n\s*\n+")
_LEADING_HEADING = re.compile(r"^\s*<h[2-6]>(.*?)</h[2-6]>", re.DOTALL)


def sanitise_html(
    markup: str, *, base_url: str = "", title: str = "", limit: int = MAX_FULL_TEXT_CHARS
) -> str:
    """Simple, safe HTML from extractor output: allow-listed tags, http(s) links only."""
    if not markup.strip():
        return ""
    sanitiser = _Sanitiser(base_url, limit)
    sanitiser.feed(markup)
    sanitiser.close()
    text = sanitiser.result()
    for _ in range(3):  # nested empties (<li><p></p></li>) go in a few passes
        text = _EMPTY_ELEMENT.sub("", text)
    text = _BLANK_RUN.sub("\n", text).strip()
    heading = _LEADING_HEADING.match(text)
    if heading and title and _same_words(html.unescape(heading.group(1)), title):
        text = text[heading.end() :].lstrip()
    return text


def _same_words(a: str, b: str) -> bool:
    def fold(value: str) -> str:
        return " ".join(re.sub(r"<[^>]*>", " ", value).casefold().split())

    return fold(a) == fold(b)


# --------------------------------------------------------------------------- the page step


def load_validators(store: Store, ids: Iterable[str]) -> dict[str, PageValidators]:
    """Page validators by article id, kept in the store (``p:<id>``)."""
    return store.page_validators(ids)


@dataclass(frozen=True, slots=True)
class IndexPlan:
    """A ``PagePlan`` made from the store's page index, and what it settled for good."""

    plan: PagePlan
    validators: dict[str, PageValidators]
    at_rest: dict[str, tuple[str, list[str]]]
    """Per feed: (its mode, the entries the page step will not act on again under it)."""


NO_LINK_REASON = "the entry has no http(s) link"


def plan_from_index(store: Store, modes: Mapping[str, FullTextMode], *, now: datetime) -> IndexPlan:
    """``plan_pages`` over the store's page index: only the articles with something to
    do are read (pages never fetched, pages due for revalidation, statuses to settle);
    pages that are fresh, or settled for good, cost no article read.

    The count of skipped pages comes from each feed's counts (its on-topic articles
    whose own text is long, under "auto").
    """
    recent_after = (now - timedelta(days=REVALIDATE_WITHIN_DAYS)).isoformat()
    checked_after = (now - RECHECK_AFTER).isoformat()
    checked_before = (now + CLOCK_SLACK).isoformat()
    candidates: list[str] = []
    wanted_of: dict[str, bool] = {}
    no_link: list[tuple[str, str]] = []
    at_rest: dict[str, tuple[str, list[str]]] = {}
    skipped = fresh = 0
    counts = store.feed_counts(modes)
    for source, mode in modes.items():
        feed_counts = counts.get(source)
        if feed_counts is not None:
            if mode == "never":
                skipped += feed_counts.on_topic
            elif mode == "auto":
                skipped += feed_counts.on_topic - feed_counts.short
        entries, recorded_mode = store.page_entries(source, mode)
        rest: list[str] = []
        for entry in entries:
            wanted = mode == "always" or (mode == "auto" and entry.short)
            wanted_of[entry.id] = wanted
            if not wanted:  # settled as skipped now if need be, then left alone
                rest.append(entry.id)
                if entry.state != STATUS_SKIPPED:
                    candidates.append(entry.id)
                continue
            if not entry.web_link:
                no_link.append((entry.label, NO_LINK_REASON))
                if entry.state != "failed":
                    candidates.append(entry.id)
                continue
            if entry.state in ("", STATUS_PENDING, STATUS_SKIPPED, "ok0"):
                candidates.append(entry.id)
            elif entry.time >= recent_after:
                if entry.state == STATUS_OK and _checked_between(
                    entry.checked, checked_after, checked_before
                ):
                    fresh += 1
                else:
                    candidates.append(entry.id)
            else:
                rest.append(entry.id)  # old, read or failed: kept as it is
        if rest or recorded_mode != mode:
            at_rest[source] = (mode, rest)
    validators = load_validators(store, candidates)
    articles = store.articles_by_id(candidates).values()
    detail = plan_pages(articles, modes, now=now, validators=validators, wanted=wanted_of)
    plan = PagePlan(
        detail.fetch,
        detail.settle,
        skipped,
        tuple(no_link),
        fresh + detail.fresh,
    )
    return IndexPlan(plan, validators, at_rest)


class _PageWriter:
    """Writes results to the store in batches: one transaction per batch for the
    articles and validators of every page that came back in it."""

    FLUSH_EVERY = 50
    FLUSH_SECONDS = 2.0

    def __init__(self, store: Store, checked_at: str) -> None:
        self.store = store
        self.checked_at = checked_at
        self.articles: dict[str, Article] = {}
        self.validators: dict[str, PageValidators | None] = {}
        self.last_flush = time.monotonic()

    def add(self, articles: Iterable[Article], validators: PageValidators | None) -> None:
        """Queue changed articles; ``validators`` (a good answer's) replace theirs, None drops them."""
        for article in articles:
            self.articles[article.id] = article
            self.validators[article.id] = (
                None if validators is None else replace(validators, checked=self.checked_at)
            )
        self._maybe_flush()

    def note_validators(self, article: Article, validators: PageValidators | None) -> None:
        """For an answer that changes nothing in the article (a 304)."""
        if validators is not None:
            self.validators[article.id] = replace(validators, checked=self.checked_at)
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if (
            len(self.articles) + len(self.validators) >= self.FLUSH_EVERY
            or time.monotonic() - self.last_flush >= self.FLUSH_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        articles, validators = list(self.articles.values()), self.validators
        self.articles, self.validators = {}, {}
        self.last_flush = time.monotonic()
        self.store.save_page_results(articles, validators)


async def fetch_full_texts(
    store: Store,
    modes: Mapping[str, FullTextMode],
    settings: Settings,
    *,
    on_progress: PageProgressCallback | None = None,
    on_marked: Callable[[], None] | None = None,
    now: datetime | None = None,
) -> PageReport:
    """The page step: plan, mark pending, fetch, extract and store, then report.

    ``modes`` maps each enabled feed's name to its ``full_text`` setting; other
    feeds' articles are left alone. The plan comes from the store's page index
    (``plan_from_index``). Pages another live process's page step is fetching
    into the same cache are left to it. ``on_marked`` is called once the
    articles waiting for their page are stored as pending, before the first
    page is asked for: a reader that reloads then shows what is still to come.
    """
    started = time.monotonic()
    now = now or datetime.now(UTC)
    with store.page_index_read_ahead(modes):
        indexed = plan_from_index(store, modes, now=now)
    plan, validators = indexed.plan, indexed.validators
    jobs = page_jobs(plan.fetch, validators)
    # Nothing to fetch (a warm refresh, most of the time): no claim to write and
    # take back, as no article will be marked pending.
    claimed = bool(jobs)
    elsewhere = store.claim_pages(job.url for job in jobs) if claimed else set()
    try:
        if elsewhere:
            jobs = [job for job in jobs if job.url not in elsewhere]
        fetch = [a for job in jobs for a in job.articles]
        # Settled ones and fresh 'pending' marks go in first, so a UI that reloads
        # now already shows what is still to come.
        pending = {
            a.id: replace(a, full_text_status=STATUS_PENDING)
            for a in fetch
            if a.full_text_status in ("", STATUS_SKIPPED)
        }
        if plan.settle or pending:
            store.save_page_results([*plan.settle, *pending.values()], {})
        if indexed.at_rest:
            with store.transaction():  # one write for every feed, not one each
                for source, (mode, rest) in indexed.at_rest.items():
                    store.settle_page_entries(source, mode, rest)
        if pending:
            jobs = [
                replace(job, articles=tuple(pending.get(a.id, a) for a in job.articles))
                for job in jobs
            ]
            fetch = [a for job in jobs for a in job.articles]
        return await _run_jobs(store, jobs, fetch, plan, settings, now,
                               on_progress, on_marked, started, len(elsewhere))  # fmt: skip
    finally:
        if claimed:
            store.release_pages()


async def _run_jobs(
    store: Store,
    jobs: Sequence[PageJob],
    fetch: Sequence[Article],
    plan: PagePlan,
    settings: Settings,
    now: datetime,
    on_progress: PageProgressCallback | None,
    on_marked: Callable[[], None] | None,
    started: float,
    elsewhere: int,
) -> PageReport:
    writer = _PageWriter(store, now.isoformat())
    fetched = unchanged = failed = 0
    failures: list[tuple[str, str]] = []
    done = 0
    finished: set[str] = set()
    try:
        if on_marked is not None:
            on_marked()
        results = fetch_pages(jobs, settings)
        async with contextlib.aclosing(results):  # stopped early: downloads end now
            async for result in results:
                done += 1
                finished.update(a.id for a in result.job.articles)
                if result.not_modified:
                    unchanged += 1
                    for article in result.job.articles:
                        writer.note_validators(article, result.validators)
                elif result.status == STATUS_OK:
                    fetched += 1
                    writer.add(
                        (
                            replace(a, full_text=result.full_text or "", full_text_status=STATUS_OK)
                            for a in result.job.articles
                        ),
                        result.validators,
                    )
                else:
                    failed += 1
                    failures.append((result.job.url, result.status[len(FAILED_PREFIX) :]))
                    # A page that read well before keeps its text and status through a
                    # failed revalidation (a 500, a timeout); the report still counts it.
                    # Otherwise the feed's own text stays the body, and the reason is kept.
                    changed = [
                        replace(a, full_text_status=result.status)
                        for a in result.job.articles
                        if not (a.full_text_status == STATUS_OK and a.full_text)
                    ]
                    if changed:
                        writer.add(changed, None)
                if on_progress is not None:
                    on_progress(done, len(jobs))
    finally:
        # Stopped early (Ctrl-C, a closed reader): what never came is "not
        # tried" again, not "pending" for ever.
        unfinished = [
            replace(a, full_text_status="")
            for a in fetch
            if a.full_text_status == STATUS_PENDING and a.id not in finished
        ]
        if unfinished:
            writer.add(unfinished, None)
        writer.flush()
    return PageReport(
        fetched=fetched,
        unchanged=unchanged,
        failed=failed + len(plan.failed_without_request),
        skipped=plan.skipped,
        fresh=plan.fresh,
        elapsed=time.monotonic() - started,
        failures=(*plan.failed_without_request, *failures),
        elsewhere=elsewhere,
    )

"""The Textual reader: ``run_reader`` is what bare ``briefing`` calls.

The app owns the service and every worker. Workers run in threads, never
touch a widget, and report with messages (``briefing.ui.messages``); the
handlers here pass the results to the main screen.
"""

from __future__ import annotations

import asyncio
import errno
import sys
import threading
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from briefing.core.models import Article, FeedResult, FetchStatus, RefreshSummary
from briefing.core.service import BriefingService, DataOrigin, age_in_words, open_sample
from briefing.core.textclean import clean_line, is_web_url
from briefing.ui.commands import ReaderCommands
from briefing.ui.messages import (
    BriefingLoaded,
    DataLoaded,
    FeedsRefreshed,
    JobFailed,
    LinkOpened,
    RefreshFinished,
    RefreshPagesProgress,
    RefreshProgress,
    RefreshStarted,
    SearchFinished,
)
from briefing.ui.reports import (
    MAX_FAILURE_TOASTS,
    SAMPLE_OFFLINE_NOTICE,
    failures_text,
    feed_failure_text,
    feeds_refreshed_text,
    no_enabled_feeds_text,
    pages_fetched_text,
    sample_after_failed_refresh_notice,
    sample_fallback_notice,
    sample_without_feeds_notice,
)
from briefing.ui.screens.main import MainScreen
from briefing.ui.view import (
    ALL_SOURCES,
    META_ARTICLE,
    META_SEEN_FACTS,
    META_SOURCE,
    Preload,
    ReaderData,
    SearchIndex,
    Session,
    load_briefing,
    load_reader_data,
)
from briefing.ui.widgets.status import RefreshBar


def start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with the real stderr.

    The fetch module parses feeds in a process pool. Starting one makes
    multiprocessing hand ``sys.stderr.fileno()`` to a helper process, but under
    Textual ``sys.stderr`` is a capture object whose fileno() is -1, and the
    pool fails with "bad value(s) in fds_to_keep". Started once here, on the
    UI thread, the tracker is reused by every later pool.
    """
    real_stderr = sys.__stderr__
    if real_stderr is None or sys.platform == "win32":
        return
    from multiprocessing import resource_tracker

    captured = sys.stderr
    sys.stderr = real_stderr
    try:
        resource_tracker.ensure_running()
    finally:
        sys.stderr = captured


PRELOAD_WAIT = 0.3
"""Seconds the first frame may wait for a preload that is nearly done."""


class BriefingApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "briefing"
    COMMANDS: ClassVar = App.COMMANDS | {ReaderCommands}

    def __init__(
        self,
        service: BriefingService,
        *,
        offline: bool = False,
        cache_dir: Path | None = None,
        now: Callable[[], datetime] | None = None,
        export_dir: Path | None = None,
        preload: Preload | None = None,
    ) -> None:
        super().__init__()
        self.preload = preload
        self.service = service
        self.offline = offline
        self.cache_dir = Path(cache_dir) if cache_dir is not None else service.store.directory
        self.now = now or (lambda: datetime.now(UTC))
        self.export_dir = export_dir
        self.session = Session()
        self.saved_session = Session()
        """As read from the store: unchanged values are not written back."""
        self.seen_baseline: set[str] | None = None
        self.loaded = False
        self.refreshing = False
        self.last_summary: RefreshSummary | None = None
        self.search_index = SearchIndex()
        self.main_screen = MainScreen()
        self._notice_shown = ""
        self.user_service = service if service.origin != DataOrigin.SAMPLE else None
        """The service of the user's own config and cache; None with --demo."""
        self.sample_service: BriefingService | None = None
        """The sample this app opened in place of the user's empty cache, if it did."""
        self.fallback_notice = ""
        """Why the sample stands in for the user's feeds, and what to do; '' when it does not."""
        self._failed_feeds = 0
        self._jobs: set[threading.Thread] = set()

    def get_default_screen(self) -> Screen[Any]:
        return self.main_screen

    def start(self) -> None:
        """Called once the main screen is up, before its first frame.

        A preload that is (nearly) done is painted at once, so the first frame is
        the full screen; otherwise the cache is read off the UI thread.
        """
        preload = self.preload
        if preload is not None and preload.service is self.service:
            self.preload = None
            if preload.wait(PRELOAD_WAIT) and preload.data is not None and preload.session:
                self.on_data_loaded(
                    DataLoaded(self.service, preload.data, "start", preload.session)
                )
                return
            self.load_data(self.service, "start", preload)
            return
        self.load_data(self.service, "start")

    # ------------------------------------------------------------------ workers

    # description: @work would otherwise repr() the arguments, thousands of articles.
    @work(
        thread=True, exclusive=True, group="load", exit_on_error=False, description="Read the cache"
    )
    def load_data(
        self, service: BriefingService, reason: str, preload: Preload | None = None
    ) -> None:
        if preload is not None and preload.wait() and preload.data is not None:
            self._post_data(service, preload.data, reason)
            return
        self._post_data(service, load_reader_data(service), reason)

    def work_out_briefing(self, service: BriefingService, data: ReaderData) -> None:
        self.start_job("facts", self._post_briefing, service, data)

    def start_job(self, job: str, target: Callable[..., None], *args: object) -> None:
        """Long work (the key facts, a refresh) in a daemon thread.

        Not a Textual thread worker: those run in an executor that Python joins
        at exit, so quitting during a refresh or while the facts are worked out
        would leave the shell waiting for them.
        """

        def run() -> None:
            try:
                target(*args)
            except Exception as error:
                reason = clean_line(str(error)) or type(error).__name__
                self.post_message(JobFailed(job, reason))
            finally:
                self._jobs.discard(thread)

        thread = threading.Thread(target=run, name=f"briefing-{job}", daemon=True)
        self._jobs.add(thread)
        thread.start()

    @property
    def busy(self) -> bool:
        """A worker or a job is still running."""
        return bool(self._jobs) or any(not worker.is_finished for worker in self.workers)

    def _post_data(self, service: BriefingService, data: ReaderData, reason: str) -> None:
        """In a worker thread: the articles go to the screen; the key facts follow."""
        self.post_message(DataLoaded(service, data, reason, Session.load(service)))

    def _post_briefing(self, service: BriefingService, data: ReaderData) -> None:
        try:
            briefing = load_briefing(service, data)
        except Exception as error:  # the articles stay usable without their facts
            reason = clean_line(str(error)) or type(error).__name__
            self.post_message(BriefingLoaded(service, data, None, reason))
            return
        self.post_message(BriefingLoaded(service, data, briefing))

    def refresh_feeds(
        self, service: BriefingService, fall_back_to_sample: bool, reason: str = "refresh"
    ) -> None:
        """In a job thread: fetch and store, then reload what the screen shows.

        The feeds come first and are painted before any article page is asked
        for (see ``_fetch``); the final reload brings the full texts. With
        ``reason="switch"`` these are the user's feeds while the sample stands in
        for them: their data replaces the sample once one of them answers.
        """
        feeds = [feed for feed in service.config.feeds if feed.enabled]
        self.post_message(RefreshStarted(len(feeds)))
        # The sample's links are placeholders: never fetch their pages.
        was_sample = service.origin == DataOrigin.SAMPLE
        pages = not was_sample and any(
            feed.full_text != "never" for feed in service.config.feeds if feed.enabled
        )
        summary, feeds_told = asyncio.run(self._fetch(service, pages=pages, reason=reason))
        data = load_reader_data(service)
        nothing = not data.articles and not summary.any_succeeded
        shown = not (nothing and (fall_back_to_sample or reason == "switch"))
        self.post_message(
            RefreshFinished(service, summary, was_sample, shows_feeds=shown, feeds_told=feeds_told)
        )
        if shown:
            self._post_data(service, data, reason)
        elif fall_back_to_sample:
            self._load_sample()
        # else: the user's feeds failed again; the sample stays in their place.

    async def _fetch(
        self, service: BriefingService, *, pages: bool, reason: str = "refresh"
    ) -> tuple[RefreshSummary, bool]:
        """The refresh; when its page step begins, the feeds' results are shown
        and the articles reloaded (pending pages marked) while pages download.
        Also says whether that happened (the feed results were told)."""
        reloads: list[asyncio.Task[None]] = []

        def progress(result: FeedResult, done: int, total: int) -> None:
            self.post_message(RefreshProgress(result, done, total))

        def page_progress(done: int, total: int) -> None:
            self.post_message(RefreshPagesProgress(done, total))

        async def reload() -> None:
            # Read off the loop's thread, so the pages keep downloading meanwhile.
            try:
                data = await asyncio.to_thread(load_reader_data, service)
            except Exception:
                return  # the reload after the refresh reads again, and reports a failure
            self._post_data(service, data, reason)

        def pages_start(feeds: RefreshSummary) -> None:
            self.post_message(FeedsRefreshed(feeds))
            reloads.append(asyncio.create_task(reload()))

        try:
            summary = await service.refresh(
                on_progress=progress,
                full_text=pages,
                on_page_progress=page_progress,
                on_pages_start=pages_start,
            )
            return summary, bool(reloads)
        finally:
            for task in reloads:  # its data goes out before the final reload's
                await task

    def _load_sample(self) -> None:
        """In a job thread: the sample reads local files and fills its own cache."""
        sample = open_sample(self.cache_dir)
        self._post_data(sample, load_reader_data(sample), "sample")

    # description: @work would otherwise repr() the arguments, thousands of articles.
    @work(
        thread=True,
        exclusive=True,
        group="search",
        exit_on_error=False,
        description="Search the cached articles",
    )
    def search_worker(self, articles: Sequence[Article], query: str) -> None:
        self.post_message(SearchFinished(query, self.search_index.search(articles, query)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        error = worker.error
        reason = clean_line(str(error)) or type(error).__name__
        self.on_job_failed(JobFailed(worker.group, reason))

    def on_job_failed(self, message: JobFailed) -> None:
        reason = message.reason
        if message.job == "refresh":
            self.refreshing = False
            self.main_screen.query_one(RefreshBar).stop()
            self.notify(f"Refresh failed: {reason}", severity="error", markup=False, timeout=10)
            if not self.loaded:
                self.fallback_notice = sample_after_failed_refresh_notice(reason)
                self.open_sample()
        elif message.job in ("load", "sample"):
            self.main_screen.show_waiting(f"Cannot read the cache: {reason}")
            self.notify(f"Cannot read the cache: {reason}", severity="error", markup=False)
        elif message.job == "facts":
            self.notify(f"Cannot work out the key facts: {reason}", severity="error", markup=False)
        else:
            self.notify(f"{message.job} failed: {reason}", severity="error", markup=False)

    # ------------------------------------------------------------------ worker results

    def on_data_loaded(self, message: DataLoaded) -> None:
        if (
            message.reason == "sample"
            and self.service is self.user_service
            and self.loaded
            and self.main_screen.data is not None
            and self.main_screen.data.articles
        ):
            return  # the user's own articles arrived first: the sample is not needed
        from_user = message.service is self.user_service and bool(message.data.articles)
        replacing = message.service is not self.service and (
            message.reason == "sample"
            # The user's feeds answered while (or just before) the sample took over.
            or (message.reason in ("switch", "refresh") and from_user)
        )
        if message.service is not self.service and not replacing:
            return  # a load for a service we have since replaced
        if replacing:
            self._show_service(message.service)
        data = message.data
        if message.reason == "start" and not data.articles:
            if self.offline:
                self.main_screen.show_waiting("Offline with an empty cache: opening the sample…")
                self.open_sample()
            else:
                self.main_screen.show_waiting("The cache is empty: fetching the feeds…")
                self.start_refresh(fall_back_to_sample=True)
            return
        restore_source = restore_article = None
        if not self.loaded or replacing:
            session = message.session
            self.seen_baseline = session.seen_facts
            restore_source, restore_article = session.source, session.article
            if replacing:  # the other service's source is not in this one
                restore_source = restore_source or ALL_SOURCES
            self.session = Session(session.source, session.article, session.seen_facts)
            self.saved_session = session
        self.loaded = True
        self.search_index = SearchIndex() if replacing else self.search_index
        self.main_screen.apply_data(
            data,
            restore_source=restore_source,
            restore_article=restore_article,
            keep_facts=not replacing and message.reason in ("refresh", "switch"),
        )
        if data.articles:
            # Only once the articles are on screen: working out the facts is CPU-bound
            # Python and would slow that first paint down (the GIL).
            self.call_after_refresh(self.work_out_briefing, message.service, data)
        notice = self.service.notice
        if notice and notice != self._notice_shown and not self.fallback_notice:
            # The standing notice line already says it, and why.
            self._notice_shown = notice
            self.notify(notice, title="SAMPLE", severity="warning", timeout=12, markup=False)

    def _show_service(self, service: BriefingService) -> None:
        """The sample takes the place of the user's empty cache, or gives it back."""
        if self.loaded:
            self.save_session()  # the place in the one being left
        self.service = service
        if service is self.user_service:
            self.fallback_notice = ""
            self.notify(
                "Your feeds answered: showing your own briefing instead of the sample.",
                timeout=6,
                markup=False,
            )
        else:
            self.sample_service = service
            if self.user_service is not None and not self.fallback_notice:
                if self.offline:
                    self.fallback_notice = SAMPLE_OFFLINE_NOTICE
                elif not _enabled_feeds(self.user_service):
                    self.fallback_notice = sample_without_feeds_notice(
                        self.user_service.config.path
                    )
                else:
                    failed = self.last_summary.errors if self.last_summary else ()
                    self.fallback_notice = sample_fallback_notice(failed)
        self.main_screen.show_notice(self.fallback_notice)

    @property
    def showing_fallback(self) -> bool:
        """The sample is on screen in place of the user's own (empty) cache."""
        return self.user_service is not None and self.service is not self.user_service

    def on_briefing_loaded(self, message: BriefingLoaded) -> None:
        if message.service is not self.service or message.data is not self.main_screen.data:
            return  # facts of data that a newer load has replaced
        if message.error:
            self.notify(
                f"Cannot work out the key facts: {message.error}",
                severity="error",
                markup=False,
                timeout=10,
            )
        message.data.briefing = message.briefing
        self.main_screen.apply_briefing(self._new_fact_ids(message.data))

    def _new_fact_ids(self, data: ReaderData) -> set[str]:
        if self.seen_baseline is None or data.briefing is None:
            return set()
        return {fact.id for fact in data.briefing.facts} - self.seen_baseline

    def on_refresh_started(self, message: RefreshStarted) -> None:
        self._failed_feeds = 0
        self.main_screen.query_one(RefreshBar).start(message.feeds)

    def on_refresh_progress(self, message: RefreshProgress) -> None:
        """The bar counts failures; they are told once the feed step is over (see
        ``report_feed_results``), so that many of them make one notification."""
        result = message.result
        if result.status is FetchStatus.ERROR:
            self._failed_feeds += 1
        self.main_screen.query_one(RefreshBar).advance(
            message.done, message.total, result.name, failed=self._failed_feeds
        )

    def report_feed_results(
        self, summary: RefreshSummary, *, shows_feeds: bool, pages_follow: bool = False
    ) -> None:
        """Up to three failed feeds get a notification each; more get one between them."""
        errors = summary.errors
        if len(errors) > MAX_FAILURE_TOASTS:
            hint = "; see Sources." if shows_feeds else ". Press r to try again."
            self.notify(
                failures_text(errors, hint),
                title="Feeds failed",
                severity="error",
                timeout=10,
                markup=False,
            )
        else:
            for result in errors:
                self.notify(
                    feed_failure_text(result),
                    title="Feed failed",
                    severity="error",
                    timeout=10,
                    markup=False,
                )
        if summary.any_succeeded:
            text = feeds_refreshed_text(summary)
            self.notify(
                text + "; checking full texts…" if pages_follow else text,
                severity="warning" if errors else "information",
                timeout=6,
                markup=False,
            )

    def on_feeds_refreshed(self, message: FeedsRefreshed) -> None:
        """The feed results, while the article pages are still being fetched."""
        self.main_screen.query_one(RefreshBar).start_pages()
        self.report_feed_results(message.summary, shows_feeds=True, pages_follow=True)
        self.main_screen.show_status()

    def on_refresh_pages_progress(self, message: RefreshPagesProgress) -> None:
        self.main_screen.query_one(RefreshBar).advance(
            message.done, message.total, "article pages", unit="pages"
        )

    def on_refresh_finished(self, message: RefreshFinished) -> None:
        self.refreshing = False
        self.last_summary = message.summary
        if message.was_sample:
            # A refresh of the sample re-reads its local files; it stays the sample.
            message.service.origin = DataOrigin.SAMPLE
        self.main_screen.query_one(RefreshBar).stop()
        summary = message.summary
        pages = summary.pages
        if self.showing_fallback and not message.shows_feeds and summary.errors:
            # Tried again from the sample, and failed again: say how, this time.
            self.fallback_notice = sample_fallback_notice(summary.errors)
            self.main_screen.show_notice(self.fallback_notice)
        if not message.feeds_told:
            # No page step, or it stopped before it began: the feeds come first.
            self.report_feed_results(summary, shows_feeds=message.shows_feeds)
        if pages is not None and pages.error:
            self.notify(
                f"Article pages were not all fetched: {clean_line(pages.error)}",
                severity="warning",
                timeout=10,
                markup=False,
            )
        elif pages is not None and (pages.fetched or pages.failed):
            self.notify(
                pages_fetched_text(pages),
                severity="warning" if pages.failed else "information",
                timeout=6,
                markup=False,
            )
        self.main_screen.show_status()

    def on_search_finished(self, message: SearchFinished) -> None:
        self.main_screen.show_search_results(message.query, message.ids)

    # ------------------------------------------------------------------ asked for by the screen

    def origin_text(self) -> tuple[str, str]:
        """What the header says about where the data comes from, and a style class."""
        if not self.loaded and not self.refreshing:
            return "loading…", ""
        if self.service.origin == DataOrigin.SAMPLE:
            return "SAMPLE", "sample"
        last = self.service.last_refresh()
        age = age_in_words(last, self.now()) if last else ""
        if self.offline:
            if not last:
                return "offline", "offline"
            if age == "just now":
                return "offline · cache refreshed just now", "offline"
            return f"offline · cache {age} old", "offline"
        if self.service.origin == DataOrigin.NETWORK:
            return "live", ""
        if not last:
            return "cache, never refreshed", ""
        if age == "just now":
            return "cache, refreshed just now", ""
        return f"cache, {age} old", ""

    def remember(self, *, source: str | None = None, article: str | None = None) -> None:
        if source is not None:
            self.session.source = source
        if article is not None:
            self.session.article = article

    def start_refresh(self, *, fall_back_to_sample: bool = False) -> None:
        if self.offline:
            self.notify(
                "Offline: started with --offline, so nothing is fetched.", severity="warning"
            )
            return
        if self.refreshing:
            self.notify("A refresh is already running.", timeout=3)
            return
        target = self.user_service if self.showing_fallback else self.service
        if target is not None and not _enabled_feeds(target):
            if fall_back_to_sample and not self.loaded:
                self.open_sample()  # nothing to fetch: straight to the sample, which says why
            else:
                text = no_enabled_feeds_text(target.config.path)
                self.notify(text, severity="warning", timeout=8, markup=False)
            return
        self.refreshing = True
        start_resource_tracker()
        if self.showing_fallback and self.user_service is not None:
            # The sample stands in for the user's feeds: r tries those again.
            self.start_job("refresh", self.refresh_feeds, self.user_service, False, "switch")
            return
        self.start_job("refresh", self.refresh_feeds, self.service, fall_back_to_sample)

    def open_sample(self) -> None:
        start_resource_tracker()
        self.start_job("sample", self._load_sample)

    def search_articles(self, query: str) -> None:
        data = self.main_screen.data
        if data is not None:
            self.search_worker(list(data.articles), query)

    def open_article_link(self, article: Article | None) -> None:
        if article is None or not article.link:
            self.notify("This article has no link.", severity="warning", timeout=3)
            return
        if not is_web_url(article.link):
            self.notify(
                "Not an http(s) link, so it is not opened.", severity="warning", markup=False
            )
            return
        # Off the UI thread: webbrowser.open can take seconds to start a browser.
        self.start_job("browser", self._open_in_browser, article.link.strip())

    def _open_in_browser(self, link: str) -> None:
        """In a job thread. Textual's open_url drops webbrowser's answer; we tell the user."""
        try:
            opened = webbrowser.open(link)
        except Exception as error:  # webbrowser.Error, or an OSError from the launcher
            self.post_message(LinkOpened(link, False, clean_line(str(error))))
            return
        self.post_message(LinkOpened(link, bool(opened)))

    def on_link_opened(self, message: LinkOpened) -> None:
        link = clean_line(message.link)
        if message.opened:
            self.notify(f"Opened {link} in the browser", timeout=3, markup=False)
            return
        reason = f" ({message.reason})" if message.reason else ""
        self.notify(
            f"No web browser opened {link}{reason}. Press y to copy the link.",
            title="Link not opened",
            severity="warning",
            timeout=10,
            markup=False,
        )

    def copy_article_link(self, article: Article | None) -> None:
        if article is None or not article.link:
            self.notify("This article has no link.", severity="warning", timeout=3)
            return
        self.copy_to_clipboard(clean_line(article.link))
        self.notify(f"Copied {clean_line(article.link)}", timeout=3, markup=False)

    def export_briefing(self) -> None:
        from briefing.core.export import briefing_to_markdown

        data = self.main_screen.data
        if data is None or data.briefing is None:
            self.notify("Nothing to export yet.", severity="warning", timeout=3)
            return
        now = self.now()
        # "Generated" is when the file is written, not when the facts were worked out.
        stamp = now.astimezone(UTC).isoformat(timespec="seconds")
        text = briefing_to_markdown(replace(data.briefing, generated=stamp), data.on_topic)
        folder = self.export_dir or Path.cwd()
        try:
            path = write_new_file(folder, f"briefing-{now:%Y-%m-%d}", ".md", text)
        except OSError as error:
            where = error.filename or folder
            self.notify(
                f"Cannot write {where}: {error.strerror or error}", severity="error", markup=False
            )
            return
        self.notify(f"Wrote the briefing to {path}", timeout=8, markup=False)

    # ------------------------------------------------------------------ leaving

    def save_session(self) -> None:
        """Write what changed since the session was loaded (each write is a transaction)."""
        store = self.service.store
        data = self.main_screen.data
        saved = self.saved_session
        if self.session.source is not None and self.session.source != saved.source:
            store.set_meta(META_SOURCE, self.session.source)
        if self.session.article is not None and self.session.article != saved.article:
            store.set_meta(META_ARTICLE, self.session.article)
        if data is not None and data.briefing is not None:
            seen = {fact.id for fact in data.briefing.facts}
            if seen != saved.seen_facts:
                store.set_meta(META_SEEN_FACTS, sorted(seen))

    def on_unmount(self) -> None:
        if self.loaded:
            self.save_session()


def write_new_file(folder: Path, stem: str, suffix: str, text: str) -> Path:
    """Write ``stem + suffix`` in ``folder``, or ``stem-2 + suffix``, ... : never over a file."""
    for number in range(1, 1000):
        path = folder / (f"{stem}{suffix}" if number == 1 else f"{stem}-{number}{suffix}")
        try:
            with path.open("x", encoding="utf-8") as file:
                file.write(text)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(errno.EEXIST, "too many exports with this date", str(folder / stem))


def run_reader(
    service: BriefingService, *, offline: bool = False, cache_dir: Path | None = None
) -> int:
    """Open the reader on a service; returns the process exit status."""
    preload = Preload(service)  # reads the cache while Textual starts
    app = BriefingApp(service, offline=offline, cache_dir=cache_dir, preload=preload)
    app.run()
    if app.sample_service is not None and app.sample_service is not service:
        app.sample_service.store.close()
    return app.return_code or 0


def _enabled_feeds(service: BriefingService) -> bool:
    return any(feed.enabled for feed in service.config.feeds)

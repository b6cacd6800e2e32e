"""The Textual reader: ``run_reader`` is what bare ``briefing`` calls.

The app owns the services, every worker and job thread, the flag writer and
the preferences. It is the one mediator between the workers and the main
screen: workers post results to it, the screen posts intents to it, and it
paints through the screen's public methods. Which briefing is on screen (the
user's, or the sample standing in) is decided by ``fallback.Fallback``.
"""

from __future__ import annotations

import asyncio
import errno
import sys
import threading
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from briefing.core.config import ConfigError, ConfigLocation, config_stamp, find_config, load_config
from briefing.core.models import FeedResult, FetchStatus, RefreshSummary
from briefing.core.service import BriefingService, DataOrigin, age_in_words, open_sample
from briefing.core.textclean import clean_line, is_web_url
from briefing.ui.commands import ReaderCommands
from briefing.ui.fallback import Fallback, StartStep, Verdict
from briefing.ui.flags import FlagWriter
from briefing.ui.keymap import Keymap, keymap_from_config
from briefing.ui.messages import (
    BriefingLoaded,
    ConfigReloadRequested,
    DataLoaded,
    ExportRequested,
    FeedsRefreshed,
    FlagsChanged,
    FlagsSaved,
    Job,
    JobFailed,
    LinkOpened,
    LinkRequested,
    LoadReason,
    MessageTopic,
    PrefsChanged,
    RefreshFinished,
    RefreshPagesProgress,
    RefreshProgress,
    RefreshRequested,
    RefreshStarted,
    ScreenReady,
    SearchFinished,
    SearchRequested,
)
from briefing.ui.prefs import Prefs, load_prefs, save_prefs
from briefing.ui.reports import (
    MAX_FAILURE_TOASTS,
    config_refused_text,
    failures_text,
    feed_failure_text,
    feeds_refreshed_text,
    no_enabled_feeds_text,
    pages_fetched_text,
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
    fact_changes,
    fact_signature,
    load_briefing,
    load_first_screen,
    load_reader_data,
    search_articles,
)


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
MESSAGE_SECONDS = {"information": 4.0, "warning": 6.0, "error": 8.0}
"""The longest a message stays in the footer, by severity."""


class ConfigRead(StrEnum):
    """What reading feeds.toml again came to."""

    READ = "read"
    """The new feeds.toml is in use."""
    UNCHANGED = "unchanged"
    """Not read: unchanged on disk (r), or there is none (the sample's own feeds)."""
    REFUSED = "refused"
    """A bad edit, told as one error line: the feeds from before stay in use."""


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
        keymap: Keymap | None = None,
        find_config_again: Callable[[], ConfigLocation] | None = None,
        prefs_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.preload = preload
        self.fallback = Fallback(service, offline=offline)
        self.offline = offline
        self.cache_dir = Path(cache_dir) if cache_dir is not None else service.store.directory
        self.now = now or (lambda: datetime.now(UTC))
        self.export_dir = export_dir
        self.session = Session()
        self.saved_session = Session()
        """As read from the store: unchanged values are not written back."""
        self.seen_baseline: dict[str, str] | None = None
        self.refreshing = False
        self.last_summary: RefreshSummary | None = None
        self.search_index = SearchIndex()
        self.main_screen = MainScreen()
        self._notice_shown = ""
        self._failed_feeds = 0
        self._jobs: set[threading.Thread] = set()
        self._jobs_due = 0
        """Jobs asked for that start after the next refresh (``busy`` counts them)."""
        self.keymap = keymap or Keymap()
        self.prefs_path = prefs_path
        self.prefs: Prefs = load_prefs(prefs_path)
        self.flag_writer = FlagWriter(self._flag_news)
        self._rows_pending: ReaderData | None = None
        """A first screen on show whose whole list is being read (``_post_briefing``)."""
        self._rows_reason = LoadReason.START
        self._rows_of: tuple[ReaderData, ReaderData] | None = None
        """(a first screen, the whole list that replaced it): its key facts go to the list."""
        path = service.config.path
        if find_config_again is None and path is not None and service.origin != DataOrigin.SAMPLE:

            def find_config_again() -> ConfigLocation:
                return find_config(path)

        self.find_config_again = find_config_again
        self._config_stamp = config_stamp(path) if path else None

    # ------------------------------------------------------------------ state, for the tests too

    @property
    def service(self) -> BriefingService:
        """The service whose briefing is on screen."""
        return self.fallback.current

    @property
    def user_service(self) -> BriefingService | None:
        return self.fallback.user

    @property
    def sample_service(self) -> BriefingService | None:
        return self.fallback.sample

    @property
    def showing_fallback(self) -> bool:
        return self.fallback.standing_in

    @property
    def fallback_notice(self) -> str:
        return self.fallback.notice

    @property
    def loaded(self) -> bool:
        return self.fallback.loaded

    def get_default_screen(self) -> Screen[Any]:
        return self.main_screen

    def on_mount(self) -> None:
        if self.prefs.theme and self.prefs.theme in self.available_themes:
            self.theme = self.prefs.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        if self.keymap.overrides:
            self.set_keymap(self.keymap.overrides)

    def on_screen_ready(self, message: ScreenReady) -> None:
        """The main screen is up: paint a preload that is (nearly) done at once, so the
        first frame is the full screen; otherwise read the cache off the UI thread."""
        screen = self.main_screen
        screen.use_keys(self.keymap)
        screen.use_prefs(self.prefs)
        screen.config_path = self.service.config.path
        self._show_origin()
        preload = self.preload
        if preload is not None and preload.service is self.service:
            self.preload = None
            if preload.wait(PRELOAD_WAIT) and preload.data is not None and preload.session:
                self.on_data_loaded(
                    DataLoaded(self.service, preload.data, LoadReason.START, preload.session)
                )
                return
            self.load_data(self.service, LoadReason.START, preload)
            return
        self.load_data(self.service, LoadReason.START)

    # ------------------------------------------------------------------ messages and themes

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
        topic: MessageTopic | None = None,
    ) -> None:
        """Messages show in the footer's place for a few seconds, never over the text
        (Textual's toasts are hidden by app.tcss); they are kept as notifications too.

        An error stays on show over lesser messages, unless one on its ``topic`` says
        it is resolved (see ``KeyBar.show_message``)."""
        seconds = min(timeout or MESSAGE_SECONDS[severity], MESSAGE_SECONDS[severity])
        super().notify(message, title=title, severity=severity, timeout=seconds, markup=markup)
        text = f"{title}: {message}" if title else message
        if self.main_screen.is_mounted:
            self.main_screen.show_message(text, severity, seconds, topic=topic)

    def clear_notifications(self) -> None:
        super().clear_notifications()
        if self.main_screen.is_mounted:
            self.main_screen.clear_message()

    def _theme_changed(self, theme: object) -> None:
        if self.prefs.theme != self.theme:
            self.prefs.theme = self.theme
            self._save_prefs()

    def on_prefs_changed(self, message: PrefsChanged) -> None:
        self.prefs = self.main_screen.prefs
        self._save_prefs()

    def _save_prefs(self) -> None:
        problem = save_prefs(self.prefs, self.prefs_path)
        if problem:
            self.notify(f"Preferences not kept: {problem}", severity="warning", markup=False)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own, with Keys opening the reader's help (Esc closes it) and
        Screenshot writing into a folder that exists."""
        for command in super().get_system_commands(screen):
            if command.title == "Keys":
                yield SystemCommand("Keys", "Show every key", self.main_screen.action_help)
            elif command.title == "Screenshot":
                yield SystemCommand(
                    "Screenshot",
                    "Save an SVG screenshot of the screen in the working directory",
                    lambda: self.set_timer(0.1, self.save_reader_screenshot),
                )
            else:
                yield command

    def save_reader_screenshot(self) -> None:
        """Into the export folder (the working directory), which exists, unlike
        ~/Downloads on many machines; in the browser, a download."""
        if self.is_web:
            self.deliver_screenshot()
            return
        folder = self.export_dir or Path.cwd()
        try:
            path = self.save_screenshot(path=str(folder))
        except OSError as error:
            self.notify(
                f"Cannot save the screenshot: {error.strerror or error}",
                severity="error",
                markup=False,
            )
            return
        self.notify(f"Saved the screenshot to {path}", markup=False)

    # ------------------------------------------------------------------ workers

    # description: @work would otherwise repr() the arguments, thousands of articles.
    @work(
        thread=True, exclusive=True, group="load", exit_on_error=False, description="Read the cache"
    )
    def load_data(
        self, service: BriefingService, reason: LoadReason, preload: Preload | None = None
    ) -> None:
        if preload is not None and preload.wait() and preload.data is not None:
            self._post_data(service, preload.data, reason)
            return
        if reason == LoadReason.START:
            # The first frame from the indexes; the whole list follows (on_data_loaded).
            self._post_data(service, load_first_screen(service), reason)
            return
        self._post_data(service, load_reader_data(service), reason)

    def work_out_briefing(
        self, service: BriefingService, data: ReaderData, rows: LoadReason | None = None
    ) -> None:
        self.start_job(Job.FACTS, self._post_briefing, service, data, rows)

    def _work_out_due_briefing(
        self, service: BriefingService, data: ReaderData, rows: LoadReason | None
    ) -> None:
        self._jobs_due -= 1
        self.work_out_briefing(service, data, rows)

    def start_job(self, job: Job, target: Callable[..., None], *args: object) -> None:
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
        """A worker or a job is still running, or a job is about to start."""
        if self._jobs or self._jobs_due:
            return True
        return any(not worker.is_finished for worker in self.workers)

    def _post_data(self, service: BriefingService, data: ReaderData, reason: LoadReason) -> None:
        """In a worker thread: the articles go to the screen; the key facts follow."""
        self.post_message(DataLoaded(service, data, reason, Session.load(service)))

    def _post_briefing(
        self, service: BriefingService, data: ReaderData, rows: LoadReason | None = None
    ) -> None:
        """In a job thread: the stored key facts' summary when current (quick, part of
        the first screen); then, after a first screen (``rows``), every list row; then
        the key facts worked out, when they were not stored (seconds or more)."""
        wanted = bool(data.on_topic_count())
        try:
            briefing = service.stored_briefing(detail=False) if wanted else None
        except Exception:  # merged afresh below, and reported if that fails too
            briefing = None
        if briefing is not None:
            self.post_message(BriefingLoaded(service, data, briefing))
        if rows is not None:
            try:
                self._post_data(service, load_reader_data(service), rows)
            except Exception as error:
                self.post_message(
                    JobFailed(Job.LOAD, clean_line(str(error)) or type(error).__name__)
                )
        if briefing is not None or not wanted:
            return
        try:
            briefing = load_briefing(service, data)
        except Exception as error:  # the articles stay usable without their facts
            reason = clean_line(str(error)) or type(error).__name__
            self.post_message(BriefingLoaded(service, data, None, reason))
            return
        self.post_message(BriefingLoaded(service, data, briefing))

    def refresh_feeds(
        self,
        service: BriefingService,
        fall_back_to_sample: bool,
        reason: LoadReason = LoadReason.REFRESH,
        only: tuple[str, ...] | None = None,
    ) -> None:
        """In a job thread: fetch and store, then reload what the screen shows.

        The feeds come first and are painted before any article page is asked
        for (see ``_fetch``); the final reload brings the full texts. With
        ``reason`` SWITCH these are the user's feeds while the sample stands in
        for them: their data replaces the sample once one of them answers.
        ``only``: fetch just these feeds (r on one source).
        """
        fetcher = service
        if only is not None:
            feeds = tuple(f for f in service.config.feeds if f.name in only)
            fetcher = BriefingService(
                replace(service.config, feeds=feeds), service.store, origin=service.origin
            )
        enabled = [feed for feed in fetcher.config.feeds if feed.enabled]
        self.post_message(RefreshStarted(len(enabled)))
        # The sample's links are placeholders: never fetch their pages.
        was_sample = service.origin == DataOrigin.SAMPLE
        pages = not was_sample and any(feed.full_text != "never" for feed in enabled)
        summary, feeds_told = asyncio.run(
            self._fetch(fetcher, pages=pages, reason=reason, reload_with=service)
        )
        if fetcher is not service and fetcher.origin == DataOrigin.NETWORK and not was_sample:
            service.origin = DataOrigin.NETWORK
        data = load_reader_data(service)
        nothing = not data.articles and not summary.any_succeeded
        shown = not (nothing and (fall_back_to_sample or reason == LoadReason.SWITCH))
        self.post_message(
            RefreshFinished(service, summary, was_sample, shows_feeds=shown, feeds_told=feeds_told)
        )
        if shown:
            self._post_data(service, data, reason)
        elif fall_back_to_sample:
            self._load_sample()
        # else: the user's feeds failed again; the sample stays in their place.

    async def _fetch(
        self,
        service: BriefingService,
        *,
        pages: bool,
        reason: LoadReason = LoadReason.REFRESH,
        reload_with: BriefingService | None = None,
    ) -> tuple[RefreshSummary, bool]:
        """The refresh; when its page step begins, the feeds' results are shown
        and the articles reloaded (pending pages marked) while pages download.
        Also says whether that happened (the feed results were told)."""
        reloads: list[asyncio.Task[None]] = []
        shown_service = reload_with or service

        def progress(result: FeedResult, done: int, total: int) -> None:
            self.post_message(RefreshProgress(result, done, total))

        def page_progress(done: int, total: int) -> None:
            self.post_message(RefreshPagesProgress(done, total))

        async def reload() -> None:
            # Read off the loop's thread, so the pages keep downloading meanwhile.
            try:
                data = await asyncio.to_thread(load_reader_data, shown_service)
            except Exception:
                return  # the reload after the refresh reads again, and reports a failure
            self._post_data(shown_service, data, reason)

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
        self._post_data(sample, load_reader_data(sample), LoadReason.SAMPLE)

    # description: @work would otherwise repr() the arguments, thousands of articles.
    @work(
        thread=True,
        exclusive=True,
        group="search",
        exit_on_error=False,
        description="Search the cached articles",
    )
    def search_worker(self, service: BriefingService, query: str) -> None:
        ids, found = search_articles(service, self.search_index, query)
        self.post_message(SearchFinished(query, ids, found))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        error = worker.error
        reason = clean_line(str(error)) or type(error).__name__
        try:
            job = Job(worker.group)
        except ValueError:
            job = Job.LOAD
        self.on_job_failed(JobFailed(job, reason))

    def on_job_failed(self, message: JobFailed) -> None:
        reason = message.reason
        if message.job is Job.REFRESH:
            self.refreshing = False
            self.main_screen.refresh_stopped()
            self.notify(
                f"Refresh failed: {reason}",
                severity="error",
                markup=False,
                topic=MessageTopic.REFRESH,
            )
            if self.fallback.refresh_failed(reason):
                self.open_sample()
        elif message.job in (Job.LOAD, Job.SAMPLE):
            self.main_screen.show_waiting(f"Cannot read the cache: {reason}")
            self.notify(f"Cannot read the cache: {reason}", severity="error", markup=False)
        elif message.job is Job.FACTS:
            self.notify(f"Cannot work out the key facts: {reason}", severity="error", markup=False)
        else:
            self.notify(f"{message.job} failed: {reason}", severity="error", markup=False)

    # ------------------------------------------------------------------ worker results

    def on_data_loaded(self, message: DataLoaded) -> None:
        screen = self.main_screen
        verdict = self.fallback.verdict(
            message.service,
            message.reason,
            has_articles=message.data.cached,
            screen_has_articles=screen.data is not None and screen.data.cached,
        )
        if verdict is Verdict.IGNORE:
            return
        data = message.data
        partial = self._rows_pending
        if partial is not None and not data.partial and message.reason == self._rows_reason:
            self._rows_pending = None
            if screen.data is partial and message.service is self.service:
                # The whole list after the first screen: the same place, the same facts.
                self._rows_of = (partial, data)
                screen.apply_data(data, keep_facts=True)
                return
        replacing = verdict is Verdict.SWITCH
        if replacing:
            self._show_service(message.service)
        if message.reason == LoadReason.START and not data.cached:
            step = self.fallback.start_step(has_articles=False)
            if step is StartStep.OPEN_SAMPLE:
                waiting = (
                    "Offline with an empty cache: opening the sample…"
                    if self.offline
                    else "No enabled feed in feeds.toml: opening the sample…"
                )
                screen.show_waiting(waiting)
                self.open_sample()
            else:
                screen.show_waiting("The cache is empty: fetching the feeds…")
                self.start_refresh()
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
        self.fallback.loaded = True
        self.search_index = SearchIndex() if replacing else self.search_index
        screen.apply_data(
            data,
            restore_source=restore_source,
            restore_article=restore_article,
            keep_facts=not replacing
            and message.reason in (LoadReason.REFRESH, LoadReason.SWITCH, LoadReason.CONFIG),
        )
        self._show_origin()
        rows = None
        if data.partial:  # the whole list comes after the key facts' summary
            self._rows_pending, self._rows_reason = data, message.reason
            rows = message.reason
        if data.on_topic_count() or rows is not None:
            # Only once the articles are on screen: working out the facts is CPU-bound
            # Python and would slow that first paint down (the GIL).
            self._jobs_due += 1
            self.call_after_refresh(self._work_out_due_briefing, message.service, data, rows)
        notice = self.service.notice
        if notice and notice != self._notice_shown and not self.fallback.notice:
            # The standing notice line already says it, and why.
            self._notice_shown = notice
            title = "SAMPLE" if self.service.origin is DataOrigin.SAMPLE else "READ-ONLY CACHE"
            self.notify(notice, title=title, severity="warning", markup=False)

    def _show_service(self, service: BriefingService) -> None:
        """The sample takes the place of the user's empty cache, or gives it back."""
        if self.loaded:
            self.save_session()  # the place in the one being left
        told = self.fallback.switch_to(service)
        if told:
            self.notify(told, markup=False)
        self.main_screen.show_notice(self.fallback.notice)
        self._show_user_feeds()

    def _show_user_feeds(self) -> None:
        """While the sample stands in, the user's own feeds are listed too, with their errors."""
        user = self.fallback.user
        if user is None or not self.fallback.standing_in:
            self.main_screen.show_user_feeds([], "")
            return
        try:
            sources = user.sources([])
        except Exception:  # a broken user cache: the notice already says enough
            sources = []
        self.main_screen.show_user_feeds(sources, clean_line(user.config.path or "feeds.toml"))

    def on_briefing_loaded(self, message: BriefingLoaded) -> None:
        data = message.data
        rows_of = self._rows_of
        if rows_of is not None and data is rows_of[0]:
            message.data.briefing = message.briefing
            data = rows_of[1]  # the first screen's facts are those of its whole list
        if message.service is not self.service or data is not self.main_screen.data:
            return  # facts of data that a newer load has replaced
        if message.error:
            self.notify(
                f"Cannot work out the key facts: {message.error}", severity="error", markup=False
            )
        data.briefing = message.briefing
        facts = message.briefing.facts if message.briefing is not None else ()
        self.main_screen.apply_briefing(*fact_changes(facts, self.seen_baseline))

    def on_refresh_started(self, message: RefreshStarted) -> None:
        self._failed_feeds = 0
        self.main_screen.refresh_started(message.feeds)
        self._show_origin()

    def on_refresh_progress(self, message: RefreshProgress) -> None:
        """The bar counts failures; they are told once the feed step is over (see
        ``report_feed_results``), so that many of them make one notification."""
        result = message.result
        if result.status is FetchStatus.ERROR:
            self._failed_feeds += 1
        self.main_screen.refresh_advanced(
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
                markup=False,
                topic=MessageTopic.REFRESH,
            )
        else:
            for result in errors:
                self.notify(
                    feed_failure_text(result),
                    title="Feed failed",
                    severity="error",
                    markup=False,
                    topic=MessageTopic.REFRESH,
                )
        if summary.any_succeeded:
            text = feeds_refreshed_text(summary)
            # Without failures, the summary says that a failed refresh is behind us.
            self.notify(
                text + "; checking full texts…" if pages_follow else text,
                severity="warning" if errors else "information",
                markup=False,
                topic=None if errors else MessageTopic.REFRESH,
            )

    def on_feeds_refreshed(self, message: FeedsRefreshed) -> None:
        """The feed results, while the article pages are still being fetched."""
        self.main_screen.refresh_pages()
        self.report_feed_results(message.summary, shows_feeds=True, pages_follow=True)
        self._show_origin()

    def on_refresh_pages_progress(self, message: RefreshPagesProgress) -> None:
        self.main_screen.refresh_advanced(
            message.done, message.total, "article pages", unit="pages"
        )

    def on_refresh_finished(self, message: RefreshFinished) -> None:
        self.refreshing = False
        self.last_summary = message.summary
        if message.was_sample:
            # A refresh of the sample re-reads its local files; it stays the sample.
            message.service.origin = DataOrigin.SAMPLE
        self.main_screen.refresh_stopped()
        summary = message.summary
        pages = summary.pages
        if self.fallback.refresh_finished(summary.errors, shows_feeds=message.shows_feeds):
            self.main_screen.show_notice(self.fallback.notice)
            self._show_user_feeds()
        if not message.feeds_told:
            # No page step, or it stopped before it began: the feeds come first.
            self.report_feed_results(summary, shows_feeds=message.shows_feeds)
        if pages is not None and pages.error:
            self.notify(
                f"Article pages were not all fetched: {clean_line(pages.error)}",
                severity="warning",
                markup=False,
            )
        elif pages is not None and (pages.fetched or pages.failed):
            self.notify(
                pages_fetched_text(pages),
                severity="warning" if pages.failed else "information",
                markup=False,
            )
        self._show_origin()

    def on_search_finished(self, message: SearchFinished) -> None:
        data = self.main_screen.data
        if data is not None:
            data.include(message.articles)
        self.main_screen.show_search_results(message.query, message.ids)

    def _show_origin(self) -> None:
        origin, origin_class = self.origin_text()
        self.main_screen.show_origin(self.service.config.topic.name, origin, origin_class)

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

    # ------------------------------------------------------------------ the screen's intents

    def on_refresh_requested(self, message: RefreshRequested) -> None:
        self.start_refresh(message.feeds)

    def on_config_reload_requested(self, message: ConfigReloadRequested) -> None:
        self.reload_config(only_if_changed=False)

    def on_search_requested(self, message: SearchRequested) -> None:
        if self.main_screen.data is not None:
            self.search_worker(self.service, message.query)

    def on_link_requested(self, message: LinkRequested) -> None:
        if message.copy:
            self.copy_link(message.link)
        else:
            self.open_link(message.link, read_id=message.read_id)

    def on_flags_changed(self, message: FlagsChanged) -> None:
        # Through the service: with [sync], marks are queued for the server too.
        self.flag_writer.write(
            self.service, message.ids, read=message.read, starred=message.starred
        )

    def on_export_requested(self, message: ExportRequested) -> None:
        self.export_briefing()

    def _flag_news(self, waiting: bool, error: str) -> None:
        """From the flag writer's thread."""
        self.post_message(FlagsSaved(waiting, error))

    def on_flags_saved(self, message: FlagsSaved) -> None:
        if message.error:
            self.notify(
                f"Read marks not saved yet: {message.error}. They are kept and tried again.",
                severity="error",
                markup=False,
            )
        elif message.waiting:
            self.notify(
                "The cache is busy (another briefing is writing): your marks are kept and"
                " saved as soon as it is free.",
                severity="warning",
                markup=False,
            )

    def start_refresh(self, only: tuple[str, ...] | None = None) -> None:
        if self.offline:
            self.notify(
                "Offline: started with --offline, so nothing is fetched.", severity="warning"
            )
            return
        if self.refreshing:
            self.notify("A refresh is already running.", timeout=3)
            return
        refused = self.loaded and self.reload_config(only_if_changed=True) is ConfigRead.REFUSED
        plan = self.fallback.refresh_plan()
        if plan is None:
            if not refused:  # else the error has said what to mend in feeds.toml
                target = self.fallback.user or self.service
                self.notify(
                    no_enabled_feeds_text(target.config.path), severity="warning", markup=False
                )
            return
        if plan.reason == LoadReason.SWITCH:
            only = None  # the sample's sources are not the user's: try them all
        if only is not None:
            wanted = [f for f in plan.service.config.feeds if f.name in only and f.enabled]
            if not wanted:
                self.notify(
                    "That feed is disabled in feeds.toml (enabled = false).", severity="warning"
                )
                return
        self.refreshing = True
        start_resource_tracker()
        self.start_job(
            Job.REFRESH,
            self.refresh_feeds,
            plan.service,
            plan.fall_back_to_sample,
            plan.reason,
            only,
        )

    def reload_config(self, *, only_if_changed: bool) -> ConfigRead:
        """Read feeds.toml again (r does when it changed on disk; ctrl+r always).

        A bad edit is one line, and the feeds from before stay in use.
        """
        user = self.fallback.user
        if user is None or self.find_config_again is None:
            if not only_if_changed:
                self.notify(
                    "The sample's feeds come with briefing: there is no feeds.toml to read.",
                    severity="warning",
                )
            return ConfigRead.UNCHANGED
        try:
            location = self.find_config_again()
        except ConfigError as error:
            self._config_refused(str(error))
            return ConfigRead.REFUSED
        stamp = config_stamp(location.path)
        same_file = str(location.path) == str(user.config.path)
        if only_if_changed and same_file and stamp == self._config_stamp:
            return ConfigRead.UNCHANGED
        try:
            config = load_config(location.path)
            keymap = keymap_from_config(config)
        except ConfigError as error:
            self._config_refused(str(error))
            self._config_stamp = stamp  # told once per edit
            return ConfigRead.REFUSED
        self._config_stamp = stamp
        changed_data = (config.feeds, config.topic) != (user.config.feeds, user.config.topic)
        user.use_config(config)
        if keymap != self.keymap:
            self.keymap = keymap
            self.set_keymap(keymap.overrides)
            self.main_screen.use_keys(keymap)
        self.main_screen.config_path = config.path
        enabled = sum(1 for feed in config.feeds if feed.enabled)
        feeds = f"{len(config.feeds)} feed{'s' if len(config.feeds) != 1 else ''}"
        self.notify(
            f"Read {clean_line(str(location.path))} again: {feeds}, {enabled} enabled.",
            markup=False,
            topic=MessageTopic.CONFIG,
        )
        if self.fallback.standing_in:
            self._show_user_feeds()
        elif changed_data:
            self.load_data(user, LoadReason.CONFIG)
        return ConfigRead.READ

    def _config_refused(self, error: str) -> None:
        self.notify(
            config_refused_text(error),
            severity="error",
            markup=False,
            topic=MessageTopic.CONFIG,
        )

    def open_sample(self) -> None:
        start_resource_tracker()
        self.start_job(Job.SAMPLE, self._load_sample)

    def open_link(self, link: str, *, read_id: str | None = None) -> None:
        """Open a web link; with ``read_id``, mark that article read once it opened."""
        if not is_web_url(link):
            self.notify(
                "Not an http(s) link, so it is not opened.", severity="warning", markup=False
            )
            return
        if self.is_web:
            # In the browser (briefing serve): the user's own browser opens it.
            self.open_url(link.strip())
            if read_id is not None:
                self.main_screen.mark_read(read_id)
            return
        # Off the UI thread: webbrowser.open can take seconds to start a browser.
        self.start_job(Job.BROWSER, self._open_in_browser, link.strip(), read_id)

    def _open_in_browser(self, link: str, read_id: str | None = None) -> None:
        """In a job thread. Textual's open_url drops webbrowser's answer; we tell the user."""
        try:
            opened = webbrowser.open(link)
        except Exception as error:  # webbrowser.Error, or an OSError from the launcher
            self.post_message(LinkOpened(link, False, clean_line(str(error)), read_id))
            return
        self.post_message(LinkOpened(link, bool(opened), read_id=read_id))

    def on_link_opened(self, message: LinkOpened) -> None:
        link = clean_line(message.link)
        if message.opened:
            if message.read_id is not None:
                self.main_screen.mark_read(message.read_id)
            self.notify(f"Opened {link} in the browser", timeout=3, markup=False)
            return
        reason = f" ({message.reason})" if message.reason else ""
        self.notify(
            f"No web browser opened {link}{reason}. Press y to copy the link.",
            title="Link not opened",
            severity="warning",
            markup=False,
        )

    def copy_link(self, link: str) -> None:
        self.copy_to_clipboard(clean_line(link))
        self.notify(f"Copied {clean_line(link)}", timeout=3, markup=False)

    def export_briefing(self) -> None:
        from briefing.core.export import briefing_to_markdown

        data = self.main_screen.data
        if data is None or data.briefing is None:
            self.notify("Nothing to export yet.", severity="warning", timeout=3)
            return
        now = self.now()
        # "Generated" is when the file is written, not when the facts were worked out.
        stamp = now.astimezone(UTC).isoformat(timespec="seconds")
        briefing = data.briefing
        if "summary_of" in briefing.extra:  # the facts pane's summary: the quotes too
            briefing = self.service.stored_briefing() or self.service.briefing()
        text = briefing_to_markdown(replace(briefing, generated=stamp), data.on_topic)
        folder = self.export_dir or Path.cwd()
        try:
            path = write_new_file(folder, f"briefing-{now:%Y-%m-%d}", ".md", text)
        except OSError as error:
            where = error.filename or folder
            self.notify(
                f"Cannot write {where}: {error.strerror or error}", severity="error", markup=False
            )
            return
        self.notify(f"Wrote the briefing to {path}", markup=False)

    # ------------------------------------------------------------------ leaving

    def save_session(self) -> None:
        """Write what changed since the session was loaded (each write is a transaction)."""
        store = self.service.store
        data = self.main_screen.data
        saved = self.saved_session
        source, article = self.main_screen.place
        if source != saved.source:
            store.set_meta(META_SOURCE, source)
        if article is not None and article != saved.article:
            store.set_meta(META_ARTICLE, article)
        if data is not None and data.briefing is not None:
            seen = {fact.id: fact_signature(fact) for fact in data.briefing.facts}
            if seen != saved.seen_facts:
                store.set_meta(META_SEEN_FACTS, seen)
        self.saved_session = Session(source, article, saved.seen_facts)

    def on_unmount(self) -> None:
        self.lost_marks = self.flag_writer.close()
        if self.loaded:
            try:
                self.save_session()
            except Exception as error:  # a locked or broken cache: the place is not kept
                self.lost_place = clean_line(str(error))


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
    service: BriefingService,
    *,
    offline: bool = False,
    cache_dir: Path | None = None,
    keymap: Keymap | None = None,
    find_config_again: Callable[[], ConfigLocation] | None = None,
) -> int:
    """Open the reader on a service; returns the process exit status."""
    preload = Preload(service)  # reads the cache while Textual starts
    app = BriefingApp(
        service,
        offline=offline,
        cache_dir=cache_dir,
        preload=preload,
        keymap=keymap,
        find_config_again=find_config_again,
    )
    app.run()
    if app.sample_service is not None and app.sample_service is not service:
        app.sample_service.store.close()
    lost = getattr(app, "lost_marks", 0)
    if lost:
        print(
            f"briefing: {lost} change(s) of read or starred marks could not be saved:"
            " the cache stayed locked by another process",
            file=sys.stderr,
        )
    return app.return_code or 0

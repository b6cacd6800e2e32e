"""`briefing serve` in a real headless Chromium, driven by Playwright.

The browser is Debian's ``chromium`` package (Playwright cannot download its
own here). When it is missing, the session fixture installs it with apt-get,
so the README's one test command does all the set-up; under ``CI=true`` a
failure to install fails the run loudly, elsewhere the test is skipped with
the reason.

The served reader's screen reaches the page as terminal output over the
page's websocket; the test reads those frames (as the page's xterm.js does)
to know when the three panes are painted and which article is on show.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefing.core.service import open_sample

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def _install_chromium() -> str:
    """apt-get install chromium (root, Debian); returns why it failed, or ''."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return "installing chromium needs root"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
    ):
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
        if result.returncode != 0:
            return f"{' '.join(command)} failed: {result.stderr.strip()[-300:]}"
    return "" if Path(CHROMIUM).exists() else "chromium installed, but not at /usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        problem = _install_chromium()
        if problem:
            if os.environ.get("CI") == "true":
                pytest.fail(f"the browser test needs Debian's chromium: {problem}")
            pytest.skip(f"no headless Chromium here: {problem}")
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.fail(
            "playwright is not installed; install the test extras: pip install -e '.[test]'"
        )
    return CHROMIUM


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`briefing --demo serve --port 0` as a user starts it; yields its URL and cache."""
    cache = tmp_path / "cache"
    open_sample(cache).store.close()  # filled once here: each page's reader opens it at once
    env = {**os.environ, "BRIEFING_CONFIG_DIR": str(tmp_path / "config"), "CI": ""}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "briefing",
            "--demo",
            "--cache-dir",
            str(cache),
            "serve",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"serving the reader at (http://127\.0\.0\.1:\d+)", line)
        assert found, (line, process.stderr.read() if process.poll() is not None else "")
        yield found.group(1), cache
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_serve_binds_to_loopback_and_the_page_runs_the_reader(
    chromium: str, served: tuple[str, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    url, cache = served
    received: list[str] = []

    def screen() -> str:
        return ANSI.sub("", "".join(received))

    def wait_for_text(text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in screen():
                return
            page.wait_for_timeout(100)
        raise AssertionError(f"{text!r} never reached the page; got: {screen()[-2000:]}")

    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1000},
        )
        try:
            page = context.new_page()

            def on_socket(socket: object) -> None:
                def on_frame(payload: object) -> None:
                    if isinstance(payload, bytes):
                        received.append(payload.decode("utf-8", "replace"))

                socket.on("framereceived", on_frame)  # type: ignore[attr-defined]

            page.on("websocket", on_socket)
            page.goto(url)
            # The three panes are painted (wide enough at 1600 px for three columns).
            for heading in ("Sources", "Key facts", "Figures:"):
                wait_for_text(heading)
            wait_for_text("Articles per day")
            page.wait_for_timeout(500)
            first = page.screenshot()
            sample = open_sample_titles(cache)
            shown_first = [title for title in sample if title[:40] in screen()]
            assert shown_first, "no article title reached the page"

            # j moves to the second article; enter opens it and marks it read.
            page.locator(".xterm-helper-textarea").focus()  # the terminal takes the keys
            received.clear()
            page.keyboard.press("g")
            page.keyboard.press("j")
            page.keyboard.press("Enter")
            second = sample[1]
            wait_for_text(second[:30])
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not read_in_cache(cache, second):
                page.wait_for_timeout(100)
            assert read_in_cache(cache, second), "enter in the browser did not open the article"
            page.wait_for_timeout(500)
            shot = page.screenshot(path=str(ROOT / "screenshots" / "browser.png"))
            assert shot != first  # the page shows another article now
        finally:
            context.close()


def open_sample_titles(cache: Path) -> list[str]:
    """The sample's on-topic titles, newest first, as the article list shows them."""
    service = open_sample(cache)
    try:
        return [article.title for article in service.articles()]
    finally:
        service.store.close()


def read_in_cache(cache: Path, title: str) -> bool:
    service = open_sample(cache)
    try:
        return any(a.read for a in service.articles() if a.title == title)
    finally:
        service.store.close()


def test_serve_says_what_another_address_exposes() -> None:
    from briefing.ui.serve import exposure_warning, is_loopback, reader_command

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.7")
    warning = exposure_warning("0.0.0.0", 8000)
    assert "anyone who can reach it on port 8000" in warning and "no password" in warning
    assert reader_command(["--demo"]).endswith("-m briefing --demo")

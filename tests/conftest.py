"""Fixtures shared across the suite. No test here touches the internet."""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _sync_server import account, miniflux  # noqa: F401 -- the sync tests' real Miniflux
from pytest_httpserver import HTTPServer

from briefing.core.models import Topic

TOPIC = Topic(
    name="Spotify and the labels v. Anna's Archive",
    keywords=("Anna's Archive", "shadow library"),
    exclude=("crossword",),
)


@pytest.fixture(autouse=True)
def _isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never read or write the real user's config or cache."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("BRIEFING_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg-cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))


IDLE_STEP = 0.005
"""Textual's Pilot waits for the app to be idle twice per key press, in steps of
1/50 s; steps of 5 ms take a quarter of the time. Idle is still "under 5% CPU in a
step". The tests do not lean on these waits for anything that takes time: they
wait for what they need (``settle`` and ``wait_for`` in _ui_helpers)."""


@pytest.fixture(autouse=True, scope="session")
def _short_idle_steps() -> Iterator[None]:
    from textual import _wait

    saved = _wait.SLEEP_GRANULARITY, _wait.SLEEP_IDLE
    _wait.SLEEP_GRANULARITY, _wait.SLEEP_IDLE = IDLE_STEP, IDLE_STEP / 20
    yield
    _wait.SLEEP_GRANULARITY, _wait.SLEEP_IDLE = saved


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def config_text(feeds: list[tuple[str, str]], *, settings: str = "timeout = 5") -> str:
    blocks = [
        textwrap.dedent(
            """\
            [topic]
            name = "Spotify and the labels v. Anna's Archive"
            keywords = ["Anna's Archive", "shadow library"]
            exclude = ["crossword"]
            """
        ),
        f"[settings]\n{settings}\n",
    ]
    for name, url in feeds:
        blocks.append(f'[[feeds]]\nname = "{name}"\nurl = "{url}"\n')
    return "\n".join(blocks)


@pytest.fixture
def write_config(tmp_path: Path) -> Iterator[object]:
    def write(feeds: list[tuple[str, str]], *, settings: str = "timeout = 5") -> Path:
        path = tmp_path / "feeds.toml"
        path.write_text(config_text(feeds, settings=settings), encoding="utf-8")
        return path

    yield write


class _QuickStopServer(HTTPServer):
    """Its serving loop looks for stop() every 50 ms, not every 0.5 s (socketserver's
    default): stopping it at each test's end took up to half a second."""

    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=0.05)


@pytest.fixture
def threaded_server() -> Iterator[HTTPServer]:
    """A loopback server answering requests in parallel, so one can be held back
    (or be slow) while the others answer; pytest-httpserver's own is serial."""
    server = _QuickStopServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def name_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """No DNS server is asked: a host name fails to resolve as an unknown name
    would, in socket.getaddrinfo itself, so the HTTP client and the error reporting
    take their real paths. IP literals still resolve (no DNS is involved). Returns
    the names that were looked up."""
    import ipaddress

    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(name)
        except ValueError:
            asked.append(name)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked

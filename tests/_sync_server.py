"""A real Miniflux on 127.0.0.1 for the sync tests, never a mock.

Set up as the README's one test command must do it on a fresh Debian machine:

* PostgreSQL 15 from Debian's ``postgresql`` package (``apt-get install``d when
  missing); a throwaway cluster made with ``initdb`` as the postgres user,
  listening on 127.0.0.1 and a free port.
* Miniflux from Debian 13 (trixie): ``apt-get download miniflux`` through a
  private apt sources list, built from the mirror the machine's own sources
  name (the machine's sources are left alone), unpacked with ``dpkg -x`` into
  a folder of the test run.
* Miniflux started with ``DATABASE_URL``, ``RUN_MIGRATIONS=1``,
  ``CREATE_ADMIN=1``, ``ADMIN_USERNAME``, ``ADMIN_PASSWORD``,
  ``LISTEN_ADDR=127.0.0.1:<free port>``, ``DISABLE_SCHEDULER_SERVICE=1`` and
  ``FETCHER_ALLOW_PRIVATE_NETWORKS=1``.
* Each test gets a user of its own (made through the admin API), with its
  Google Reader API switched on and an API key, both written with SQL as
  Miniflux's settings page stores them (pgcrypto's ``crypt``): 2.2.6 has no
  API call for either.

The downloaded ``.deb`` and the initialised cluster are kept in
``$BRIEFING_TEST_CACHE`` (default ``~/.cache/briefing-tests``) for the next
run. Both servers are stopped by their own PIDs at the end of the session.
Under ``CI=true`` a missing piece that cannot be installed fails loudly;
elsewhere the sync server tests are skipped with the reason.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from _fetch_helpers import Reply, TestServer, rss_feed, serve

from briefing.core.config import load_config
from briefing.core.models import Article, RefreshSummary
from briefing.core.service import BriefingService
from briefing.core.store import Store

PG_VERSION = "15"
PG_BIN = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
CACHE = Path(
    os.environ.get("BRIEFING_TEST_CACHE") or Path.home() / ".cache" / "briefing-tests"
).absolute()
ADMIN = ("admin", "admin-" + "pass-for-tests")
START_TIMEOUT = 60.0


class Unavailable(Exception):
    """A piece of the test server cannot be had on this machine."""


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(args: list[str], *, what: str, timeout: float = 600, **kwargs: Any) -> str:
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise Unavailable(f"{what}: {error}") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise Unavailable(f"{what} failed ({done.returncode}): {' | '.join(tail)}")
    return done.stdout


# --------------------------------------------------------------------------- installing


def ensure_postgresql() -> Path:
    """PostgreSQL 15's programs, installed from Debian's package when missing."""
    needed = ("initdb", "postgres", "psql")
    if all((PG_BIN / name).exists() for name in needed):
        return PG_BIN
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise Unavailable(
            f"PostgreSQL {PG_VERSION} is not installed, and installing it needs root and"
            " apt-get (apt-get install postgresql)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "update", "-qq"], what="apt-get update", env=env)
    _run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
        what="apt-get install postgresql",
        env=env,
    )
    if not all((PG_BIN / name).exists() for name in needed):
        raise Unavailable(f"apt-get installed postgresql, but {PG_BIN} lacks {needed}")
    return PG_BIN


def machine_mirror() -> str:
    """The Debian mirror the machine's own apt sources name (not the security one)."""
    candidates: list[str] = []
    files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in files:
        if path.suffix not in ("", ".list", ".sources") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".sources":
            candidates += [
                uri
                for line in text.splitlines()
                if line.strip().lower().startswith("uris:")
                for uri in line.split(":", 1)[1].split()
            ]
        else:
            for line in text.splitlines():
                words = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
                if len(words) >= 3 and words[0] == "deb":
                    candidates.append(words[1])
    for uri in candidates:
        if re.search(r"/debian/?$", uri) and "security" not in uri:
            return uri.rstrip("/")
    raise Unavailable("the machine's apt sources name no Debian mirror (…/debian)")


def ensure_miniflux_deb() -> Path:
    """The trixie miniflux .deb, downloaded once into the cache."""
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob("miniflux_*.deb"))
    if found:
        return found[-1]
    for tool in ("apt-get", "dpkg"):
        if shutil.which(tool) is None:
            raise Unavailable(f"{tool} is needed to fetch Miniflux's Debian package")
    if not KEYRING.exists():
        raise Unavailable(f"{KEYRING} is missing (apt-get install debian-archive-keyring)")
    apt = CACHE / "apt"
    for folder in (apt / "lists" / "partial", apt / "archives" / "partial"):
        folder.mkdir(parents=True, exist_ok=True)
    sources = apt / "sources.list"
    sources.write_text(
        f"deb [signed-by={KEYRING}] {machine_mirror()} trixie main\n", encoding="utf-8"
    )
    options = [
        "-o", f"Dir::Etc::SourceList={sources}",
        "-o", "Dir::Etc::SourceParts=/nonexistent",
        "-o", f"Dir::State::Lists={apt / 'lists'}",
        "-o", f"Dir::Cache={apt}",
        "-o", "Debug::NoLocking=1",
    ]  # fmt: skip
    if os.geteuid() == 0:  # the download lands in the cache, which _apt cannot write
        options += ["-o", "APT::Sandbox::User=root"]
    _run(["apt-get", *options, "update", "-qq"], what="apt-get update (private trixie list)")
    _run(["apt-get", *options, "download", "miniflux"], what="apt-get download miniflux", cwd=CACHE)
    found = sorted(CACHE.glob("miniflux_*.deb"))
    if not found:
        raise Unavailable("apt-get download miniflux left no .deb")
    return found[-1]


# --------------------------------------------------------------------------- PostgreSQL


def _postgres_user() -> tuple[str | None, int, int]:
    """initdb refuses root: as root, the cluster belongs to the postgres user."""
    if os.geteuid() != 0:
        return None, os.getuid(), os.getgid()
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable(
            "running as root, but there is no postgres user to run the cluster"
        ) from None
    return "postgres", entry.pw_uid, entry.pw_gid


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)


def cluster_template(bin_dir: Path, work: Path) -> Path:
    """An initialised cluster in the cache, made once (initdb) and copied for each run."""
    template = CACHE / f"pg{PG_VERSION}-cluster"
    if (template / "PG_VERSION").exists():
        return template
    user, uid, gid = _postgres_user()
    fresh = work / "initdb"
    fresh.mkdir()
    os.chown(fresh, uid, gid)
    _run(
        [
            str(bin_dir / "initdb"),
            "-D", str(fresh / "data"),
            "-U", "postgres",
            "-A", "trust",
            "-E", "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        what="initdb",
        user=user,
        cwd=fresh,
    )  # fmt: skip
    partial = CACHE / f"pg{PG_VERSION}-cluster.partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(fresh / "data", partial, symlinks=True)
    partial.rename(template)
    shutil.rmtree(fresh, ignore_errors=True)
    return template


@dataclass
class Postgres:
    bin_dir: Path
    port: int
    process: subprocess.Popen[bytes]

    def psql(self, sql: str, database: str = "miniflux") -> str:
        return _run(
            [
                str(self.bin_dir / "psql"),
                "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                "-v", "ON_ERROR_STOP=1", "-At", "-c", sql,
            ],
            what="psql",
            timeout=30,
        ).strip()  # fmt: skip


def start_postgres(bin_dir: Path, template: Path, work: Path) -> Postgres:
    user, uid, gid = _postgres_user()
    data = work / "pgdata"
    shutil.copytree(template, data, symlinks=True)
    sockets = work / "pgsock"
    sockets.mkdir()
    _chown_tree(data, uid, gid)
    os.chown(sockets, uid, gid)
    os.chmod(data, 0o700)
    last = ""
    for _attempt in range(3):
        port = free_port()
        log = (work / "postgres.log").open("ab")
        process = subprocess.Popen(
            [
                str(bin_dir / "postgres"),
                "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(sockets),
                "-F", "-c", "shared_buffers=32MB", "-c", "max_connections=50",
                "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            ],
            user=user,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        server = Postgres(bin_dir, port, process)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            try:
                server.psql("SELECT 1", database="postgres")
                return server
            except Unavailable:
                time.sleep(0.05)
        stop_process(process)
        last = (work / "postgres.log").read_text(errors="replace")[-500:]
    raise Unavailable(f"PostgreSQL did not start: {last}")


# --------------------------------------------------------------------------- Miniflux


def stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop one server by its own PID (never by name)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, sig)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait(10)


def http_json(
    method: str,
    url: str,
    *,
    auth: tuple[str, str] | None = None,
    token: str | None = None,
    body: object = None,
    form: Mapping[str, str] | list[tuple[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, Any]:
    """A request to the test server as a plain client would make it (the tests'
    'other device'); returns (status, decoded JSON or text)."""
    sent = dict(headers or {})
    data = None
    if auth is not None:
        sent["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
    if token is not None:
        sent["X-Auth-Token"] = token
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    if form is not None:
        from urllib.parse import urlencode

        data = urlencode(form).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=sent, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def start_miniflux(
    binary: Path, database: Postgres, work: Path
) -> tuple[str, subprocess.Popen[bytes]]:
    database.psql("CREATE DATABASE miniflux", database="postgres")
    database.psql("CREATE EXTENSION IF NOT EXISTS pgcrypto")
    last = ""
    for _attempt in range(3):
        port = free_port()
        env = {
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{database.port}/miniflux?sslmode=disable",
            "RUN_MIGRATIONS": "1",
            "CREATE_ADMIN": "1",
            "ADMIN_USERNAME": ADMIN[0],
            "ADMIN_PASSWORD": ADMIN[1],
            "LISTEN_ADDR": f"127.0.0.1:{port}",
            "DISABLE_SCHEDULER_SERVICE": "1",
            "FETCHER_ALLOW_PRIVATE_NETWORKS": "1",
            "LOG_LEVEL": "warning",
        }
        log = (work / "miniflux.log").open("ab")
        process = subprocess.Popen(
            [str(binary)], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(url + "/healthcheck", timeout=2) as answer:
                    if answer.status == 200:
                        return url, process
            except OSError:
                time.sleep(0.05)
        stop_process(process)
        last = (work / "miniflux.log").read_text(errors="replace")[-500:]
    raise Unavailable(f"Miniflux did not start: {last}")


# --------------------------------------------------------------------------- the fixtures' types


@dataclass
class MinifluxServer:
    url: str
    database: Postgres
    feeds: TestServer
    version: str
    run_dir: Path
    _accounts: int = 0

    def new_account(self) -> ServerAccount:
        """A user of its own, Google Reader API on, an API key: tests never share marks."""
        self._accounts += 1
        username = f"reader{self._accounts}"
        password = "pw-" + secrets.token_hex(8)
        status, user = http_json(
            "POST",
            self.url + "/v1/users",
            auth=ADMIN,
            body={"username": username, "password": password},
        )
        assert status == 201, (status, user)
        account = ServerAccount(
            server=self,
            user_id=int(user["id"]),
            username=username,
            password=password,
            greader_username=f"gr-{username}",
            greader_password="gr-" + secrets.token_hex(8),
            api_key=secrets.token_hex(16),
        )
        account.set_greader(enabled=True)
        self.database.psql(
            "INSERT INTO api_keys (user_id, token, description)"
            f" VALUES ({account.user_id}, '{account.api_key}', 'briefing tests')"
        )
        return account


@dataclass
class ServerAccount:
    """One Miniflux user: the tests' "other device" speaks to it directly."""

    server: MinifluxServer
    user_id: int
    username: str
    password: str
    greader_username: str
    greader_password: str
    api_key: str
    feed_ids: dict[str, int] = field(default_factory=dict)

    def set_greader(self, *, enabled: bool, password: str | None = None) -> None:
        """As Miniflux's settings page stores it: a bcrypt hash (pgcrypto's crypt)."""
        secret = password if password is not None else self.greader_password
        self.server.database.psql(
            "UPDATE integrations SET"
            f" googlereader_enabled = {'true' if enabled else 'false'},"
            f" googlereader_username = '{self.greader_username}',"
            f" googlereader_password = crypt('{secret}', gen_salt('bf', 4))"
            f" WHERE user_id = {self.user_id}"
        )

    def rest(self, method: str, path: str, body: object = None) -> Any:
        status, data = http_json(method, self.server.url + path, token=self.api_key, body=body)
        assert status < 300, (method, path, status, data)
        return data

    def subscribe(self, path: str, feed: bytes, *, category: str = "All") -> int:
        """Serve ``feed`` at ``path`` on the loopback feed server and subscribe to it."""
        url = self.server.feeds.route(path, lambda _request: Reply(200, feed, _RSS))
        categories = {c["title"]: c["id"] for c in self.rest("GET", "/v1/categories")}
        if category not in categories:
            categories[category] = self.rest("POST", "/v1/categories", {"title": category})["id"]
        created = self.rest(
            "POST", "/v1/feeds", {"feed_url": url, "category_id": categories[category]}
        )
        self.feed_ids[path] = int(created["feed_id"])
        return self.feed_ids[path]

    def update_feed(self, path: str, feed: bytes) -> None:
        """Serve a new version of a feed and have Miniflux poll it now."""
        self.server.feeds.route(path, lambda _request: Reply(200, feed, _RSS))
        self.rest("PUT", f"/v1/feeds/{self.feed_ids[path]}/refresh")

    def entries(self, **query: str) -> list[dict[str, Any]]:
        params = "&".join(f"{k}={v}" for k, v in {"limit": "10000", **query}.items())
        return list(self.rest("GET", f"/v1/entries?{params}")["entries"] or [])

    def entry(self, entry_id: int) -> dict[str, Any]:
        return dict(self.rest("GET", f"/v1/entries/{entry_id}"))

    def set_status(self, ids: list[int], status: str) -> None:
        self.rest("PUT", "/v1/entries", {"entry_ids": ids, "status": status})

    def toggle_star(self, entry_id: int) -> None:
        self.rest("PUT", f"/v1/entries/{entry_id}/bookmark")

    def sync_table(
        self,
        backend: str,
        *,
        env: str = "BRIEFING_TEST_SYNC_SECRET",
        url: str | None = None,
        category: str = "",
        username: bool = False,
        full_text: bool | None = None,
    ) -> tuple[str, str]:
        """The [sync] table for this account, and the secret its env variable holds.

        For miniflux, an API key unless ``username`` (then the password: Miniflux
        checks a bcrypt hash on every request, which is slow)."""
        base = url or self.server.url
        if backend == "greader":
            user, secret = self.greader_username, self.greader_password
        elif username:
            user, secret = self.username, self.password
        else:
            user, secret = "", self.api_key
        lines = [
            "[sync]",
            f'backend = "{backend}"',
            f'url = "{base}"',
            f'password_env = "{env}"',
        ]
        if user:
            lines.append(f'username = "{user}"')
        if category:
            lines.append(f'category = "{category}"')
        if full_text is not None:
            lines.append(f"full_text = {'true' if full_text else 'false'}")
        return "\n".join(lines) + "\n", secret


_RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
_NOW = int(time.time())


def story_feed(
    name: str, count: int, *, start: int = 1, on_topic_every: int = 2, link_base: str = ""
) -> bytes:
    """A feed of ``count`` stories written for these tests; every other one is on topic."""
    items = []
    for n in range(start, start + count):
        topic = "Anna&#8217;s Archive" if n % on_topic_every == 0 else "a regional court"
        items.append(
            {
                "title": f"{name} story {n}: filing {n} names {topic}",
                "link": f"{link_base or f'https://{name}.example.org'}/story/{n}",
                "guid": f"urn:{name}:{n}",
                # Recent, so that retention never takes them during a test.
                "pubDate": time.strftime(
                    "%a, %d %b %Y %H:%M:%S +0000", time.gmtime(_NOW - (400 - n) * 600)
                ),
                "description": (
                    f"&lt;p&gt;The {name} desk reports that filing {n} concerns {topic}"
                    f" and lists {n * 1000} files, with a hearing set for"
                    f" January {n % 28 + 1}, 2026. The court clerk confirmed the docket"
                    " and the parties were given a week to answer the complaint.&lt;/p&gt;"
                ),
            }
        )
    return rss_feed(items, title=f"{name.title()} Desk")


def _miniflux_version(binary: Path) -> str:
    return _run([str(binary), "-version"], what="miniflux -version", timeout=30).strip()


@contextlib.contextmanager
def running_miniflux() -> Iterator[MinifluxServer]:
    bin_dir = ensure_postgresql()
    deb = ensure_miniflux_deb()
    work = Path(tempfile.mkdtemp(prefix="briefing-miniflux-"))
    os.chmod(work, 0o755)  # the postgres user reads its copy of the cluster here
    processes: list[subprocess.Popen[bytes]] = []
    try:
        _run(["dpkg", "-x", str(deb), str(work / "miniflux")], what="dpkg -x")
        binary = work / "miniflux" / "usr" / "bin" / "miniflux"
        template = cluster_template(bin_dir, work)
        database = start_postgres(bin_dir, template, work)
        processes.append(database.process)
        url, miniflux = start_miniflux(binary, database, work)
        processes.append(miniflux)
        with serve() as feeds:
            yield MinifluxServer(url, database, feeds, _miniflux_version(binary), work)
    finally:
        for process in reversed(processes):
            stop_process(process, signal.SIGINT if process is processes[0] else signal.SIGTERM)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def miniflux() -> Iterator[MinifluxServer]:
    """The session's Miniflux (see the module's docstring)."""
    try:
        with running_miniflux() as server:
            yield server
    except Unavailable as error:
        if in_ci():
            pytest.fail(f"the sync tests need a real Miniflux, and CI must have one: {error}")
        pytest.skip(f"no Miniflux for the sync tests: {error}")


@pytest.fixture
def account(miniflux: MinifluxServer) -> ServerAccount:
    return miniflux.new_account()


class SwitchableProxy:
    """A TCP forwarder to the server that can be switched off, as a network would
    go away: while off, its port refuses connections. It counts the HTTP requests
    that go through, and can hold each one back ``latency`` seconds, as a
    distant server would (the benchmarks use both)."""

    _REQUEST_LINE = re.compile(rb"(?:GET|POST|PUT|DELETE|PATCH) /[^ ]* HTTP/1\.[01]\r\n")

    def __init__(self, target: str, *, latency: float = 0.0) -> None:
        host, port = target.removeprefix("http://").split(":")
        self.target = (host, int(port))
        self.latency = latency
        self.requests = 0
        self._lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._listener: socket.socket | None = None
        self.on()

    def on(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def off(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=60)
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, asks: bool) -> None:
        with contextlib.suppress(OSError):
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if asks:
                    found = len(self._REQUEST_LINE.findall(data))
                    if found:
                        with self._lock:
                            self.requests += found
                        if self.latency:
                            time.sleep(self.latency)
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
        with contextlib.suppress(OSError):
            source.close()


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]


class RecordingTransport:
    """The real transport, with a log of what was asked (method, path, form fields)."""

    def __init__(self) -> None:
        from briefing.core.sync.transport import UrllibTransport

        self.inner = UrllibTransport(timeout=10)
        self.calls: list[Call] = []

    @property
    def requests(self) -> int:
        return self.inner.requests

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Any:
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(url)
        self.calls.append(
            Call(method, parts.path, parse_qs(parts.query), parse_qs((body or b"").decode()))
        )
        return self.inner.request(method, url, headers, body)

    def close(self) -> None:
        self.inner.close()

    def paths(self, method: str | None = None) -> list[str]:
        return [c.path for c in self.calls if method is None or c.method == method]


# --------------------------------------------------------------------------- a briefing against it

BACKENDS = ["greader", "miniflux"]
TOPIC = textwrap.dedent(
    """\
    [topic]
    name = "Spotify and the labels v. Anna's Archive"
    keywords = ["Anna's Archive"]

    [settings]
    timeout = 10
    """
)


def write_config(folder: Path, sync_table: str, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "feeds.toml"
    path.write_text(TOPIC + "\n" + sync_table + "\n" + extra, encoding="utf-8")
    return path


class Reader:
    """One briefing install: its own feeds.toml and cache, against the server."""

    def __init__(self, folder: Path, config: Path) -> None:
        self.folder = folder
        self.config_path = config
        self.cache = folder / "cache"
        self.service = self.open()

    def open(self) -> BriefingService:
        return BriefingService(load_config(self.config_path), Store(self.cache))

    def refresh(self) -> RefreshSummary:
        return asyncio.run(self.service.refresh(full_text=False))

    def articles(self, *, all: bool = True) -> dict[str, Article]:
        return {a.title: a for a in self.service.articles(include_off_topic=all)}

    def ids(self) -> dict[str, str]:
        return {title: article.id for title, article in self.articles().items()}

    def close(self) -> None:
        self.service.store.close()


def reader_for(
    tmp_path: Path,
    account: ServerAccount,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    name: str = "laptop",
    **table: Any,
) -> Reader:
    sync_table, secret = account.sync_table(backend, **table)
    monkeypatch.setenv("BRIEFING_TEST_SYNC_SECRET", secret)
    return Reader(tmp_path / name, write_config(tmp_path / name, sync_table))


def server_entries(account: ServerAccount) -> dict[str, dict[str, Any]]:
    return {e["title"]: e for e in account.entries()}


def local(reader: Reader, title: str) -> tuple[bool, bool]:
    article = reader.articles()[title]
    return article.read, article.starred


def titles(account: ServerAccount, feed: str) -> list[str]:
    return sorted(t for t in server_entries(account) if t.startswith(feed))

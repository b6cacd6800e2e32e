"""``briefing serve``: the same reader in a web browser, through textual-serve.

Each browser tab that opens the page starts its own reader process on the
same config and cache (the cache is safe to share). The server binds to the
loopback address unless the user names another one, and then says what that
exposes: there is no password and no encryption.
"""

from __future__ import annotations

import ipaddress
import shlex
import socket
import sys
from collections.abc import Sequence

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8000


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port(host: str) -> int:
    """A port nobody listens on now (for ``--port 0``): the printed URL must be the real one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def reader_command(options: Sequence[str]) -> str:
    """The shell command textual-serve runs for each browser: this Python, this briefing."""
    return shlex.join([sys.executable, "-m", "briefing", *options])


def exposure_warning(host: str, port: int) -> str:
    return (
        f"briefing: warning: listening on {host}, not only on this machine: anyone who can"
        f" reach it on port {port} can read your briefing, change your read and starred"
        " marks and start refreshes. There is no password and no encryption; use"
        " --host 127.0.0.1 (the default) unless that is what you want."
    )


def serve(options: Sequence[str], *, host: str = LOOPBACK, port: int = DEFAULT_PORT) -> int:
    """Serve the reader until Ctrl+C; returns the exit status."""
    from textual_serve.server import Server

    if port == 0:
        port = free_port(host)
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}"

    class ReaderServer(Server):
        async def on_startup(self, app: object) -> None:
            # Our own words instead of textual-serve's banner; flushed, so a script
            # (or a test) reading our output sees the URL at once.
            print(f"briefing: serving the reader at {url}  (Ctrl+C stops)", flush=True)
            if not is_loopback(host):
                print(exposure_warning(host, port), file=sys.stderr, flush=True)

    server = ReaderServer(
        reader_command(options), host=host, port=port, title="briefing", public_url=url
    )
    try:
        server.serve()
    except OSError as error:
        print(
            f"briefing: error: cannot listen on {host}:{port}: {error.strerror or error}",
            file=sys.stderr,
        )
        return 1
    return 0

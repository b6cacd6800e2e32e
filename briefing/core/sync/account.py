"""The account of ``[sync]``: which server, which user, and the secret.

The secret is never in feeds.toml. It comes from ``password_env`` (an
environment variable) or ``password_command`` (run through the shell, the
first line of its output), as newsboat's ``passwordfile`` and
``passwordeval`` do. It is read once, when the server is first asked, kept in
memory only, and never printed: error messages name the variable or the
command's exit status, never what it printed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass

from briefing.core.models import SyncConfig
from briefing.core.sync.server import SyncError, SyncErrorKind
from briefing.core.textclean import clean_line

COMMAND_TIMEOUT = 60.0
"""A password manager may wait for its agent to unlock; a minute is enough."""


class Secret:
    """A string that does not show itself in ``repr()``, tracebacks or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Account:
    config: SyncConfig

    @property
    def key(self) -> str:
        """Names this account's records in the store: another server or user starts afresh."""
        basis = f"{self.config.backend}\0{self.config.url}\0{self.config.username}"
        return hashlib.sha1(basis.encode()).hexdigest()[:12]

    @property
    def label(self) -> str:
        api = "Google Reader API" if self.config.backend == "greader" else "Miniflux API"
        return f"{self.config.url} ({api})"

    def read_secret(self) -> Secret:
        config = self.config
        if config.password_env:
            value = os.environ.get(config.password_env)
            if value is None:
                raise SyncError(
                    f"sync: the environment variable {config.password_env} is not set"
                    " ([sync] password_env)",
                    SyncErrorKind.SECRET,
                )
            if not value:
                raise SyncError(
                    f"sync: the environment variable {config.password_env} is empty",
                    SyncErrorKind.SECRET,
                )
            return Secret(value)
        return Secret(_run_password_command(config.password_command))


def _run_password_command(command: str) -> str:
    try:
        done = subprocess.run(
            command,
            shell=True,  # the user's own line, as newsboat's passwordeval runs it
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SyncError(
            f"sync: password_command did not finish within {COMMAND_TIMEOUT:g} s",
            SyncErrorKind.SECRET,
        ) from None
    except OSError as error:
        raise SyncError(
            f"sync: password_command could not run ({error.strerror or error})",
            SyncErrorKind.SECRET,
        ) from None
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    secret = lines[0].strip() if lines else ""
    if done.returncode != 0:
        told = done.stderr.decode("utf-8", "replace").strip().splitlines()
        said = clean_line(told[-1]) if told else ""
        said = "" if not said or (secret and secret in said) else f": {said[:200]}"
        raise SyncError(
            f"sync: password_command exited with status {done.returncode}{said}",
            SyncErrorKind.SECRET,
        )
    if not secret:
        raise SyncError(
            "sync: password_command printed nothing (its first line is the password)",
            SyncErrorKind.SECRET,
        )
    return secret

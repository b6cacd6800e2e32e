"""What the two clients share: their account, transport and way of asking."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from briefing.core.sync.account import Account, Secret
from briefing.core.sync.server import SyncError, SyncErrorKind
from briefing.core.sync.transport import SyncResponse, SyncTransport, TransportError


class ServerClient:
    def __init__(self, account: Account, transport: SyncTransport) -> None:
        self.account = account
        self.transport = transport
        self.base = account.config.url
        self.label = account.label
        self.between_pages: Callable[[str], None] | None = None
        """Called between two pages of a list (the tests change the list there)."""
        self._secret: Secret | None = None

    @property
    def requests(self) -> int:
        return self.transport.requests

    def close(self) -> None:
        self.transport.close()

    def secret(self) -> Secret:
        """Read once, when the server is first asked."""
        if self._secret is None:
            self._secret = self.account.read_secret()
        return self._secret

    def send(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes | None = None
    ) -> SyncResponse:
        """One request to ``base + path``; no answer at all is an UNREACHABLE error."""
        try:
            return self.transport.request(method, self.base + path, headers, body)
        except TransportError as error:
            raise SyncError(
                f"sync: cannot reach {self.base}: {error}", SyncErrorKind.UNREACHABLE
            ) from None

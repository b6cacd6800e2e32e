"""Marks made here that the server has not confirmed, kept in the store.

A mark is written in the same transaction as the article's flag, so it is
never lost: a killed process, no network, a server down, and it is still
there on the next refresh. It leaves the queue only once the server was seen
to hold it (or a newer change there won, or the server no longer has the
entry). A newer mark on the same article and flag replaces an older one, and
each mark carries a sequence number, so a mark made while a refresh is
sending the older one stays queued.

Record ``sync:<account>:queue``::

    {"seq": 12, "marks": {"<entry id>/<flag>": [article id, value, made at, seq]}}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from briefing.core.store import Store
from briefing.core.sync.server import FLAGS, Flag


@dataclass(frozen=True, slots=True)
class QueuedMark:
    entry: int
    flag: Flag
    article: str
    value: bool
    at: float
    """When it was made here (Unix time)."""
    seq: int


class MarkQueue:
    def __init__(self, store: Store, account_key: str) -> None:
        self.store = store
        self.key = f"sync:{account_key}:queue"

    def _load(self) -> tuple[int, dict[str, list[Any]]]:
        record = self.store.get_record(self.key)
        if not isinstance(record, dict):
            return 0, {}
        seq = record.get("seq")
        marks = record.get("marks")
        if type(seq) is not int or not isinstance(marks, dict):
            return 0, {}
        return seq, {k: v for k, v in marks.items() if _well_formed(k, v)}

    def pending(self) -> dict[tuple[int, Flag], QueuedMark]:
        _seq, marks = self._load()
        queued: dict[tuple[int, Flag], QueuedMark] = {}
        for key, (article, value, at, seq) in marks.items():
            entry_text, flag = key.split("/")
            entry = int(entry_text)
            name: Flag = "read" if flag == "read" else "starred"
            queued[(entry, name)] = QueuedMark(entry, name, article, value, float(at), seq)
        return queued

    def __len__(self) -> int:
        return len(self._load()[1])

    def add(self, marks: Iterable[tuple[int, str]], flag: Flag, value: bool, at: float) -> int:
        """Queue ``flag = value`` for (entry id, article id) pairs. Call it inside the
        store transaction that sets the articles' flags."""
        with self.store.transaction():
            seq, queued = self._load()
            added = 0
            for entry, article in marks:
                seq += 1
                queued[f"{entry}/{flag}"] = [article, value, at, seq]
                added += 1
            if added:
                self.store.put_records({self.key: {"seq": seq, "marks": queued}})
        return added

    def settle(self, done: Iterable[QueuedMark]) -> int:
        """Remove marks that are done, unless a newer one took their place."""
        with self.store.transaction():
            seq, queued = self._load()
            removed = 0
            for mark in done:
                key = f"{mark.entry}/{mark.flag}"
                current = queued.get(key)
                if current is not None and current[3] == mark.seq:
                    del queued[key]
                    removed += 1
            if removed:
                self.store.put_records({self.key: {"seq": seq, "marks": queued}})
        return removed


def _well_formed(key: object, value: object) -> bool:
    if not isinstance(key, str) or key.count("/") != 1:
        return False
    entry, flag = key.split("/")
    if not entry.isdigit() or flag not in FLAGS:
        return False
    return (
        isinstance(value, list)
        and len(value) == 4
        and isinstance(value[0], str)
        and type(value[1]) is bool
        and type(value[2]) in (int, float)
        and type(value[3]) is int
    )

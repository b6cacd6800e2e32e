"""The reader's own preferences, kept between runs: theme, pane sizes, unread only, tag.

A small JSON file beside feeds.toml in the user config dir (``reader.json``),
so that the sample and the user's cache share them. Written whole through a
temporary file and a rename; a broken or unreadable file counts as no
preferences, and a failed write is reported, never raised. No Textual here.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from briefing.core.config import user_config_dir

PREFS_FILENAME = "reader.json"


@dataclass(slots=True)
class Prefs:
    theme: str | None = None
    sources_width: int | None = None
    """Columns of the Sources pane; None for the layout's own."""
    facts_size: int | None = None
    """Columns (three panes) or rows (facts above the article) of the Key facts pane."""
    unread_only: bool = False
    tag: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Prefs:
        prefs = cls()
        if not isinstance(data, dict):
            return prefs
        for item in fields(cls):
            value = data.get(item.name)
            if item.name == "unread_only":
                prefs.unread_only = value is True
            elif item.name in ("sources_width", "facts_size"):
                if type(value) is int and 0 < value < 1000:
                    setattr(prefs, item.name, value)
            elif isinstance(value, str) and value and len(value) < 200:
                setattr(prefs, item.name, value)
        return prefs


def prefs_path() -> Path:
    return user_config_dir() / PREFS_FILENAME


def load_prefs(path: Path | None = None) -> Prefs:
    path = path or prefs_path()
    try:
        return Prefs.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return Prefs()


def save_prefs(prefs: Prefs, path: Path | None = None) -> str:
    """Write the preferences; returns '' or why they could not be written."""
    path = path or prefs_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".reader-", suffix=".json", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(asdict(prefs), file, indent=1)
        os.replace(temporary, path)
    except OSError as error:
        return f"cannot write {path}: {error.strerror or error}"
    return ""

"""feeds.toml: find it, read it strictly, and explain every mistake.

The schema is a public contract (see README). Unknown keys are refused, so a
typo such as ``keyword = [...]`` is reported instead of silently ignored.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from briefing.core.models import (
    Config,
    FactsVocabulary,
    FeedConfig,
    FullTextMode,
    Settings,
    SyncBackendName,
    SyncConfig,
    Topic,
)
from briefing.core.textclean import clean_text

CONFIG_FILENAME = "feeds.toml"
ENV_CONFIG_DIR = "BRIEFING_CONFIG_DIR"


class ConfigError(Exception):
    """A config problem a person can fix; ``str()`` says what and where."""


@dataclass(frozen=True, slots=True)
class ConfigLocation:
    path: Path
    origin: str
    """'--config', 'working directory', 'user config', or 'bundled default'."""


def user_config_dir() -> Path:
    override = os.environ.get(ENV_CONFIG_DIR)
    if override:
        return Path(override).expanduser().absolute()
    import platformdirs

    return Path(platformdirs.user_config_dir("briefing", appauthor=False))


def bundled_config_path() -> Path:
    return Path(str(resources.files("briefing").joinpath("default_feeds.toml")))


def sample_config_path() -> Path:
    return Path(str(resources.files("briefing").joinpath("samples", "feeds.toml")))


def find_config(explicit: str | os.PathLike[str] | None = None) -> ConfigLocation:
    """``--config PATH``, then ./feeds.toml, then the user config dir, then the bundled default."""
    if explicit is not None:
        # Absolute, so that relative feed paths join the config's folder once and
        # every later step (fetch, file URIs) sees the same file.
        path = Path(explicit).expanduser().absolute()
        if path.is_dir():
            raise ConfigError(f"{path}: is a folder; --config takes a feeds.toml file")
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        return ConfigLocation(path, "--config")
    candidates = [
        (Path.cwd() / CONFIG_FILENAME, "working directory"),
        (user_config_dir() / CONFIG_FILENAME, "user config"),
    ]
    for path, origin in candidates:
        if path.is_file():
            return ConfigLocation(path, origin)
    return ConfigLocation(bundled_config_path(), "bundled default")


def config_stamp(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """(modification time in ns, size) of a config file, to tell when it changed on disk;
    None when it cannot be read."""
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def load_config(path: str | os.PathLike[str]) -> Config:
    path = Path(path).expanduser().absolute()
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read config: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text (byte {error.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {_toml_message(error, text)}") from None
    return parse_config(data, str(path))


def _toml_message(error: tomllib.TOMLDecodeError, text: str) -> str:
    """tomllib ends its message with '(at line L, column C)' or '(at end of document)'."""
    message = str(error)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match:
        return f"{message[: match.start()]} at line {match.group(1)}, column {match.group(2)}"
    if message.endswith("(at end of document)"):
        lines = text.split("\n")
        base = message.removesuffix("(at end of document)").rstrip()
        return f"{base} at line {len(lines)}, column {len(lines[-1]) + 1} (end of file)"
    return message


_TOP_KEYS = {"topic", "settings", "feeds", "keys", "facts", "sync"}
_FACTS_KEYS = {"synonyms", "events", "labels"}
_MAX_FACTS_WORD = 80
"""A word or label in [facts] longer than this is refused (it is shown in the reader)."""
_TOPIC_KEYS = {"name", "keywords", "exclude"}
_SETTING_TYPES: dict[str, type | tuple[type, ...]] = {
    "timeout": (int, float),
    "concurrency": int,
    "retention_days": int,
    "max_bytes": int,
    "max_redirects": int,
    "per_host": int,
}
_FEED_KEYS = {"name", "url", "tags", "enabled", "full_text"}


def parse_config(data: Mapping[str, Any], where: str = "<config>") -> Config:
    """Validate parsed TOML into a Config. Relative feed paths resolve against ``where``."""
    _refuse_unknown(data, _TOP_KEYS, where, "")
    topic = _parse_topic(data.get("topic"), where)
    settings = _parse_settings(data.get("settings", {}), where)
    feeds_raw = data.get("feeds", [])
    if not isinstance(feeds_raw, list):
        raise ConfigError(f"{where}: 'feeds' must be an array of tables ([[feeds]])")
    base_dir = Path(where).parent if where != "<config>" else None
    feeds: list[FeedConfig] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(feeds_raw, start=1):
        feed = _parse_feed(entry, index, where, base_dir)
        key = feed.name.casefold()
        if key in seen:
            raise ConfigError(
                f"{where}: feeds {seen[key]} and {index} are both named {feed.name!r};"
                " feed names must be unique"
            )
        seen[key] = index
        feeds.append(feed)
    keys = _parse_keys(data.get("keys", {}), where)
    facts = _parse_facts(data.get("facts", {}), where)
    sync = _parse_sync(data["sync"], where) if "sync" in data else None
    return Config(
        topic=topic,
        settings=settings,
        feeds=tuple(feeds),
        path=where,
        keys=keys,
        facts=facts,
        sync=sync,
    )


def _refuse_unknown(table: Mapping[str, Any], allowed: set[str], where: str, section: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        place = f"[{section}] " if section else ""
        expected = ", ".join(sorted(allowed))
        raise ConfigError(
            f"{where}: unknown key {place}{unknown[0]!r} (expected one of: {expected})"
        )


def _refuse_control(value: str, where: str, key: str) -> None:
    """Names, URLs and keywords are printed to terminals: no escape or control characters.

    The same characters ``textclean`` strips from feed text (tabs and
    newlines aside), plus carriage returns, which can overwrite a line.
    """
    if clean_text(value) == value:
        return  # the usual case, without a call per character
    bad = next((char for char in value if clean_text(char) != char), None)
    if bad is not None:
        raise ConfigError(
            f"{where}: {key} must not hold control characters (found U+{ord(bad):04X})"
        )


MAX_NAME = 200
"""Longest feed name, tag, topic name or keyword accepted (in characters).
Names are shown in one-line columns; a name of 100,000 characters once made
``briefing articles --all`` print a gigabyte."""
MAX_URL = 4096


def shown_name(value: str, limit: int = 40) -> str:
    """A name as an error message quotes it: cut to ``limit`` characters."""
    if len(value) <= limit:
        return repr(value)
    return repr(value[:limit] + "…") + f", {len(value):,} characters"


def refuse_long(value: str, limit: int, what: str) -> None:
    """ConfigError '<what> is too long (N characters; at most LIMIT)'."""
    if len(value) > limit:
        raise ConfigError(
            f"{what} is too long ({len(value):,} characters; at most {limit:,}): {shown_name(value)}"
        )


def _string_list(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    for item in value:
        _refuse_control(item, where, key)
        refuse_long(item, MAX_NAME, f"{where}: {key}")
    return tuple(v.strip() for v in value if v.strip())


def _parse_topic(raw: Any, where: str) -> Topic:
    if raw is None:
        raise ConfigError(f"{where}: missing [topic] table (needs name and keywords)")
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'topic' must be a table ([topic])")
    _refuse_unknown(raw, _TOPIC_KEYS, where, "topic")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: [topic] name is missing or not a string")
    _refuse_control(name, where, "[topic] name")
    refuse_long(name, MAX_NAME, f"{where}: [topic] name")
    if "keywords" not in raw:
        raise ConfigError(f"{where}: [topic] keywords is missing")
    keywords = _string_list(raw["keywords"], where, "[topic] keywords")
    if not keywords:
        raise ConfigError(f"{where}: [topic] keywords must name at least one keyword")
    exclude = _string_list(raw.get("exclude", []), where, "[topic] exclude")
    return Topic(name=name.strip(), keywords=keywords, exclude=exclude)


def _parse_settings(raw: Any, where: str) -> Settings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'settings' must be a table ([settings])")
    _refuse_unknown(raw, set(_SETTING_TYPES), where, "settings")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        expected = _SETTING_TYPES[key]
        if isinstance(value, bool) or not isinstance(value, expected):
            kind = "a number" if expected == (int, float) else "a whole number"
            raise ConfigError(f"{where}: [settings] {key} must be {kind}, got {value!r}")
        number = cast(float, value)
        if number <= 0:
            raise ConfigError(f"{where}: [settings] {key} must be greater than 0, got {value!r}")
        values[key] = float(number) if key == "timeout" else number
    return Settings(**values)


def _parse_facts(raw: Any, where: str) -> FactsVocabulary:
    """The [facts] table: a story's own words for its key facts (README: "Key facts
    for your own story")."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'facts' must be a table ([facts])")
    _refuse_unknown(raw, _FACTS_KEYS, where, "facts")
    synonyms_raw = raw.get("synonyms", [])
    if not isinstance(synonyms_raw, list) or not all(isinstance(g, list) for g in synonyms_raw):
        raise ConfigError(
            f"{where}: [facts] synonyms must be a list of lists of words, "
            f'e.g. [["songs", "tracks"]]'
        )
    synonyms = []
    for number, group in enumerate(synonyms_raw, start=1):
        words = _facts_words(group, where, f"[facts] synonyms group {number}")
        if len(words) < 2:
            raise ConfigError(f"{where}: [facts] synonyms group {number} needs two words or more")
        synonyms.append(words)
    events_raw = raw.get("events", {})
    if not isinstance(events_raw, dict):
        raise ConfigError(
            f"{where}: [facts] events must be a table of label = [words], "
            f'e.g. scraped = ["scrape", "rip"]'
        )
    events = []
    event_of_word: dict[str, str] = {}
    for label, words in events_raw.items():
        _facts_text(label, where, "[facts] events label")
        checked = _facts_words(words, where, f"[facts] events.{label}")
        for word in checked:
            other = event_of_word.setdefault(word.strip().lower(), label)
            if other != label:
                raise ConfigError(
                    f"{where}: [facts] events: {word!r} is in both {other!r} and {label!r}"
                )
        events.append((label.strip(), checked))
    labels_raw = raw.get("labels", {})
    if not isinstance(labels_raw, dict):
        raise ConfigError(f'{where}: [facts] labels must be a table of "label" = "your label"')
    labels = []
    for automatic, own in labels_raw.items():
        _facts_text(automatic, where, "[facts] labels key")
        if not isinstance(own, str):
            raise ConfigError(f"{where}: [facts] labels.{automatic!r} must be a string")
        _facts_text(own, where, f"[facts] labels.{automatic!r}")
        labels.append((automatic.strip(), own.strip()))
    return FactsVocabulary(synonyms=tuple(synonyms), events=tuple(events), labels=tuple(labels))


def _facts_words(value: Any, where: str, key: str) -> tuple[str, ...]:
    words = _string_list(value, where, key)
    for word in words:
        _facts_text(word, where, key)
    return tuple(" ".join(word.lower().split()) for word in words)


def _facts_text(value: str, where: str, key: str) -> None:
    _refuse_control(value, where, key)
    if not value.strip():
        raise ConfigError(f"{where}: {key} must not be empty")
    if len(value) > _MAX_FACTS_WORD:
        raise ConfigError(f"{where}: {key} is longer than {_MAX_FACTS_WORD} characters")


def _parse_feed(raw: Any, index: int, where: str, base_dir: Path | None) -> FeedConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: feed {index} must be a table ([[feeds]])")
    name = raw.get("name")
    label = f"feed {index}" + (f" ({shown_name(name)})" if isinstance(name, str) else "")
    unknown = sorted(set(raw) - _FEED_KEYS)
    if unknown:
        expected = ", ".join(sorted(_FEED_KEYS))
        raise ConfigError(
            f"{where}: {label}: unknown key {unknown[0]!r} (expected one of: {expected})"
        )
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: {label}: 'name' is missing or not a string")
    _refuse_control(name, where, f"{label}: 'name'")
    refuse_long(name, MAX_NAME, f"{where}: {label}: 'name'")
    url = raw.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{where}: {label}: 'url' is missing or not a string")
    _refuse_control(url, where, f"{label}: 'url'")
    refuse_long(url, MAX_URL, f"{where}: {label}: 'url'")
    url = check_feed_url(url.strip(), where, label, base_dir)
    tags = _string_list(raw.get("tags", []), where, f"{label}: tags")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: {label}: 'enabled' must be true or false")
    full_text = _parse_full_text(raw.get("full_text", "auto"), where, label)
    return FeedConfig(
        name=" ".join(name.split()), url=url, tags=tags, enabled=enabled, full_text=full_text
    )


def _parse_full_text(value: Any, where: str, label: str) -> FullTextMode:
    if value is True:
        return "always"
    if value is False:
        return "never"
    if value == "auto":
        return "auto"
    raise ConfigError(f'{where}: {label}: full_text must be "auto", true or false, got {value!r}')


def check_feed_url(url: str, where: str, label: str, base_dir: Path | None) -> str:
    """Accept http(s) URLs, file:// URLs and local paths; name the feed when it is bad.

    A relative path is joined to ``base_dir`` (the folder of the file that names it).
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ConfigError(f"{where}: {label}: bad url {url!r}") from None
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise ConfigError(f"{where}: {label}: bad url {url!r} (no host)")
        try:
            parts.port  # noqa: B018 -- urlsplit validates the port lazily
        except ValueError:
            raise ConfigError(f"{where}: {label}: bad url {url!r} (bad port)") from None
        if any(c.isspace() for c in url):
            raise ConfigError(f"{where}: {label}: bad url {url!r} (contains spaces)")
        return url
    if parts.scheme == "file":
        return url
    if parts.scheme and len(parts.scheme) > 1:
        raise ConfigError(
            f"{where}: {label}: bad url {url!r} (only http, https, file:// or a local path)"
        )
    path = Path(url).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return str(path)


# ---------------------------------------------------------------------- [keys]

_NAMED_KEYS = {
    "escape", "enter", "tab", "space", "backspace", "delete", "insert", "home", "end",
    "pageup", "pagedown", "up", "down", "left", "right",
    *(f"f{number}" for number in range(1, 25)),
}  # fmt: skip
_NEWSBOAT_NAMES = {"esc": "escape", "return": "enter", "npage": "pagedown", "ppage": "pageup"}
_MODIFIERS = ("ctrl", "shift", "alt")
_KEY_NAME_REPLACEMENTS = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}
_UNICODE_NAMES = {value: key for key, value in _KEY_NAME_REPLACEMENTS.items()}


def _character_key(character: str) -> str:
    """Textual's name for a printable character: 'n', 'N', '?' -> 'question_mark'."""
    if character.isalnum():
        return character
    name = unicodedata.name(character, "").lower().replace("-", "_").replace(" ", "_")
    return _KEY_NAME_REPLACEMENTS.get(name, name)


def _is_character_name(name: str) -> bool:
    """'question_mark', 'slash', 'colon': the name of one printable character."""
    unicode_name = _UNICODE_NAMES.get(name, name).replace("_", " ").upper()
    try:
        character = unicodedata.lookup(unicode_name)
    except KeyError:
        return False
    return len(character) == 1 and character.isprintable() and not character.isspace()


def normalize_key(text: str) -> str | None:
    """A key as the user writes it, in Textual's naming; None when it names no key.

    Accepts one character ("n", "N", "?"), a key name ("enter", "pagedown",
    "f5"), modifiers joined with '+' ("ctrl+r", "shift+tab"), and newsboat's
    "^R" for ctrl+r. Names are case-insensitive; single characters are not.
    """
    text = text.strip()
    if len(text) == 1:
        return _character_key(text) if text.isprintable() and not text.isspace() else None
    if len(text) == 2 and text[0] == "^" and text[1].isalpha():
        return f"ctrl+{text[1].lower()}"
    *modifiers, last = text.split("+") if not text.endswith("++") else [*text[:-2].split("+"), "+"]
    if any(m.lower() not in _MODIFIERS for m in modifiers) or not last:
        return None
    if len(last) == 1:
        base = _character_key(last if not modifiers else last.lower())
        if not (last.isprintable() and not last.isspace()):
            return None
    else:
        lowered = last.lower()
        base = _NEWSBOAT_NAMES.get(lowered, lowered)
        if base not in _NAMED_KEYS and not _is_character_name(base):
            return None
    return "+".join([*(m.lower() for m in modifiers), base])


def _parse_keys(raw: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``[keys]``: command = "key" or ["key", ...]. The command names are checked by the
    reader's keymap (``briefing.ui.keymap``), which knows them."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'keys' must be a table ([keys])")
    parsed: list[tuple[str, tuple[str, ...]]] = []
    for command, value in raw.items():
        _refuse_control(command, where, "[keys] name")
        texts = [value] if isinstance(value, str) else value
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            raise ConfigError(
                f"{where}: [keys] {command} must be a key or a list of keys,"
                f' such as "n" or ["n", "down"]'
            )
        keys: list[str] = []
        for text in texts:
            _refuse_control(text, where, f"[keys] {command}")
            key = normalize_key(text)
            if key is None:
                raise ConfigError(
                    f"{where}: [keys] {command}: {text!r} is not a key (write one character"
                    ' such as "n" or "?", a name such as "enter", "space" or "pagedown",'
                    ' or a combination such as "ctrl+r")'
                )
            if key not in keys:
                keys.append(key)
        parsed.append((command, tuple(keys)))
    return tuple(parsed)


_SYNC_KEYS = {
    "backend",
    "url",
    "username",
    "password_env",
    "password_command",
    "category",
    "full_text",
}
_SYNC_BACKENDS: dict[str, SyncBackendName] = {"greader": "greader", "miniflux": "miniflux"}
_SECRET_KEYS = {"password", "token", "api_key", "secret", "passwd"}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _parse_sync(raw: Any, where: str) -> SyncConfig:
    """``[sync]``: a feed server that briefing reads through (README, "Sync").

    The secret itself is refused here: it comes from ``password_env`` or
    ``password_command`` when the server is first asked, never from this file.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'sync' must be a table ([sync])")
    secret = sorted(set(raw) & _SECRET_KEYS)
    if secret:
        raise ConfigError(
            f"{where}: [sync] {secret[0]!r}: the secret never sits in feeds.toml;"
            " set password_env (an environment variable) or password_command"
            " (a command that prints it)"
        )
    _refuse_unknown(raw, _SYNC_KEYS, where, "sync")
    for key, value in raw.items():
        if key != "full_text" and not isinstance(value, str):
            raise ConfigError(f"{where}: [sync] {key} must be a string, got {value!r}")
        if isinstance(value, str):
            _refuse_control(value, where, f"[sync] {key}")
    backend = _SYNC_BACKENDS.get(str(raw.get("backend", "")).strip())
    if backend is None:
        found = raw.get("backend")
        got = f", got {found!r}" if found is not None else " (it is missing)"
        raise ConfigError(f'{where}: [sync] backend must be "greader" or "miniflux"{got}')
    url = _sync_url(str(raw.get("url", "")).strip(), where)
    username = str(raw.get("username", "")).strip()
    if backend == "greader" and not username:
        raise ConfigError(
            f"{where}: [sync] username is missing (the Google Reader API logs in with one)"
        )
    password_env = str(raw.get("password_env", "")).strip()
    password_command = str(raw.get("password_command", "")).strip()
    if password_env and password_command:
        raise ConfigError(f"{where}: [sync] set password_env or password_command, not both")
    if not password_env and not password_command:
        what = "API key" if backend == "miniflux" and not username else "password"
        raise ConfigError(
            f"{where}: [sync] needs password_env (an environment variable holding the {what})"
            f" or password_command (a command that prints it)"
        )
    if password_env and not _ENV_NAME.fullmatch(password_env):
        raise ConfigError(
            f"{where}: [sync] password_env must be the name of an environment variable,"
            f" got {password_env!r}"
        )
    category = " ".join(str(raw.get("category", "")).split())
    full_text = _parse_full_text(raw.get("full_text", "auto"), where, "[sync]")
    return SyncConfig(
        backend=backend,
        url=url,
        username=username,
        password_env=password_env,
        password_command=password_command,
        category=category,
        full_text=full_text,
    )


def _sync_url(url: str, where: str) -> str:
    if not url:
        raise ConfigError(f"{where}: [sync] url is missing (the server's base URL)")
    if "@" in url.split("//", 1)[-1].split("/", 1)[0]:
        # Never echo it: the part before '@' may be a password.
        raise ConfigError(
            f"{where}: [sync] url must not hold a user or password; use username and"
            " password_env or password_command"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- urlsplit validates the port lazily
    except ValueError:
        raise ConfigError(f"{where}: [sync] bad url {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: [sync] url must be an http(s) URL with a host, got {url!r}")
    if any(c.isspace() for c in url):
        raise ConfigError(f"{where}: [sync] bad url {url!r} (contains spaces)")
    if parts.query or parts.fragment:
        raise ConfigError(f"{where}: [sync] url must not have a query or fragment, got {url!r}")
    return url.rstrip("/")

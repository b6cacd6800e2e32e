"""OPML 2.0 import and export of the feed list: the format every reader speaks."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from briefing.core.config import (
    MAX_NAME,
    MAX_URL,
    ConfigError,
    check_feed_url,
    refuse_long,
    shown_name,
)
from briefing.core.models import Config, FeedConfig
from briefing.core.textclean import clean_line

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def feeds_to_opml(config: Config) -> str:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = f"briefing: {config.topic.name}"
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC))
    body = ET.SubElement(root, "body")
    for feed in config.feeds:
        attributes = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
        if feed.tags:
            attributes["category"] = ",".join(feed.tags)
        if not feed.enabled:
            attributes["isDisabled"] = "true"  # not OPML standard, ignored by other readers
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def feeds_from_opml(data: bytes, where: str) -> list[FeedConfig]:
    """Feeds of an OPML file; folders become tags. Raises ConfigError on bad input.

    Names and tags are cleaned of control characters; a URL that feeds.toml
    would refuse is reported with ``where`` and the outline's place in the
    file (counting every <outline> from the top), and a relative path joins
    the OPML file's folder.
    """
    if _DOCTYPE.search(data):
        raise ConfigError(f"{where}: OPML with a DOCTYPE is refused (entities are not expanded)")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        line, column = error.position
        raise ConfigError(
            f"{where}: not valid OPML: XML error at line {line}, column {column}"
        ) from None
    if root.tag != "opml":
        raise ConfigError(f"{where}: not an OPML file (root element is <{root.tag}>)")
    body = root.find("body")
    if body is None:
        raise ConfigError(f"{where}: OPML has no <body>")
    feeds: list[FeedConfig] = []
    seen: set[str] = set()
    position = 0
    base_dir = Path(where).parent.absolute()

    def walk(element: ET.Element, folders: tuple[str, ...]) -> None:
        nonlocal position
        for outline in element.findall("outline"):
            position += 1
            url = clean_line(outline.get("xmlUrl") or "")
            name = clean_line(outline.get("title") or outline.get("text") or "")
            if not url:
                walk(outline, (*folders, name) if name else folders)
                continue
            label = f"outline {position} ({shown_name(name or url)})"
            refuse_long(url, MAX_URL, f"{where}: {label}: xmlUrl")
            url = check_feed_url(url, where, label, base_dir)
            name = name or url
            base, counter = name, 2
            while name.casefold() in seen:
                name = f"{base} ({counter})"
                counter += 1
            seen.add(name.casefold())
            refuse_long(name, MAX_NAME, f"{where}: {label}: name")
            categories = tuple(
                tag
                for tag in (clean_line(t) for t in (outline.get("category") or "").split(","))
                if tag
            )
            tags = tuple(dict.fromkeys((*folders, *categories)))
            for tag in tags:
                refuse_long(tag, MAX_NAME, f"{where}: {label}: folder or category")
            enabled = outline.get("isDisabled", "").lower() != "true"
            feeds.append(FeedConfig(name=name, url=url, tags=tags, enabled=enabled))
        return None

    walk(body, ())
    return feeds


def feeds_to_toml(feeds: Sequence[FeedConfig]) -> str:
    """``[[feeds]]`` tables for appending to feeds.toml."""

    def quote(text: str) -> str:
        # A JSON string is a TOML basic string, except that TOML also wants DEL escaped.
        return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")

    blocks = []
    for feed in feeds:
        lines = ["[[feeds]]", f"name = {quote(feed.name)}", f"url = {quote(feed.url)}"]
        if feed.tags:
            lines.append("tags = [" + ", ".join(quote(t) for t in feed.tags) + "]")
        if not feed.enabled:
            lines.append("enabled = false")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")

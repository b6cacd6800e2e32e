"""The fast path against feedparser, and briefing against plain feedparser, on the
shared corpus of real and malformed feeds (thousands of files; see tests/_corpus.py).

* ``test_fast_path_gives_what_feedparser_gives``: every file the fast path
  reads must give exactly the ParsedFeed the feedparser path gives (ids,
  titles, links, dates, authors, summaries, content, feed title and link,
  warning); every differing field is reported.
* ``test_no_feed_gives_fewer_entries_than_plain_feedparser``: for every file,
  briefing keeps at least as many entries as plain ``feedparser.parse``
  finds (told apart the way briefing tells entries apart).
"""

from __future__ import annotations

import io
from dataclasses import fields
from pathlib import Path

import feedparser
import pytest

from briefing.core import feedparse
from briefing.core.feedparse import NotAFeedError, fast_path_reads, parse_feed_bytes
from briefing.core.models import ParsedEntry, ParsedFeed
from tests._corpus import content_type_for, corpus_dir, corpus_files

URL = "https://feeds.example/corpus.xml"


@pytest.fixture(autouse=True)
def _fast_path_bugs_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fast-path exception must fail these tests, not fall back to feedparser."""
    monkeypatch.setattr(feedparse, "raise_fast_path_errors", True)


def _outcome(body: bytes, content_type: str, *, fast_path: bool) -> ParsedFeed | str:
    try:
        return parse_feed_bytes(body, content_type, URL, fast_path=fast_path)
    except NotAFeedError as error:
        return f"NotAFeedError({error})"


def _differences(name: str, fast: ParsedFeed | str, reference: ParsedFeed | str) -> list[str]:
    if isinstance(fast, str) or isinstance(reference, str):
        return [] if fast == reference else [f"{name}: {fast!r} != {reference!r}"]
    found = []
    for field in ("title", "link", "warning"):
        ours, theirs = getattr(fast, field), getattr(reference, field)
        if ours != theirs:
            found.append(f"{name}: feed {field}: fast {ours!r} != feedparser {theirs!r}")
    if len(fast.entries) != len(reference.entries):
        found.append(f"{name}: {len(fast.entries)} entries, feedparser {len(reference.entries)}")
    for index, (ours_entry, theirs_entry) in enumerate(
        zip(fast.entries, reference.entries, strict=False)
    ):
        for field in fields(ParsedEntry):
            ours, theirs = getattr(ours_entry, field.name), getattr(theirs_entry, field.name)
            if ours != theirs:
                found.append(
                    f"{name}: entry {index} {field.name}: fast {ours!r:.120} != feedparser {theirs!r:.120}"
                )
    return found


def test_fast_path_gives_what_feedparser_gives() -> None:
    files = corpus_files()
    root = corpus_dir()
    assert root is not None
    read_fast = 0
    differences: list[str] = []
    for path in files:
        body = path.read_bytes()
        content_type = content_type_for(path)
        if not fast_path_reads(body, content_type):
            continue
        read_fast += 1
        name = str(path.relative_to(root))
        fast = _outcome(body, content_type, fast_path=True)
        reference = _outcome(body, content_type, fast_path=False)
        differences.extend(_differences(name, fast, reference))
    print(
        f"\nfast path read {read_fast} of {len(files)} corpus files; {len(differences)} differences"
    )
    assert read_fast > 300, "the fast path reads almost nothing: is it refusing everything?"
    assert not differences, "\n".join(differences)


def _plain_entry_keys(body: bytes) -> set[object]:
    """The entries plain feedparser finds, told apart the way briefing tells
    them apart (id, else link, else title and date)."""
    result = feedparser.parse(io.BytesIO(body))
    keys: set[object] = set()
    for entry in result.get("entries", []):
        key = entry.get("id") or entry.get("link")
        if not key:
            date = entry.get("published") or entry.get("updated") or entry.get("created")
            key = (entry.get("title"), date, None if entry.get("title") else entry.get("summary"))
        keys.add(key)
    return keys


def test_no_feed_gives_fewer_entries_than_plain_feedparser() -> None:
    files = corpus_files()
    root = corpus_dir()
    assert root is not None
    poorer: list[str] = []
    for path in files:
        body = path.read_bytes()
        expected = len(_plain_entry_keys(body))
        ours = _outcome(body, content_type_for(path), fast_path=True)
        got = 0 if isinstance(ours, str) else len(ours.entries)
        if got < expected:
            poorer.append(
                f"{path.relative_to(root)}: {got} entries, plain feedparser {expected}"
                + (f" ({ours})" if isinstance(ours, str) else "")
            )
    print(f"\n{len(files)} corpus files; {len(poorer)} poorer than plain feedparser")
    assert not poorer, "\n".join(poorer)


@pytest.mark.parametrize(
    "relative",
    ["feedparser/illformed/always_strip_doctype.xml", "feedparser/wellformed/cdf/item_title.xml"],
)
def test_feeds_feedparser_reads_without_a_version_are_feeds(relative: str) -> None:
    root = corpus_dir()
    path = root / relative if root is not None else None
    if path is None or not path.is_file():
        pytest.skip(f"corpus file {relative} not found")
    parsed = parse_feed_bytes(path.read_bytes(), "application/xml", URL)
    assert parsed.title == "found" or parsed.entries[0].title == "Example item"


def test_the_corpus_path_can_be_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BRIEFING_FEEDS_CORPUS", str(tmp_path / "nowhere"))
    with pytest.raises(pytest.skip.Exception, match="BRIEFING_FEEDS_CORPUS"):
        corpus_files()

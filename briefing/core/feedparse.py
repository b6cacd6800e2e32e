"""Turn fetched bytes into a ParsedFeed. The only module that imports feedparser.

``parse_feed_bytes`` runs in a worker process (see ``fetch``), so it is a
top-level function with picklable arguments and result, and feedparser is
imported inside it: a warm refresh where every feed answers 304 never pays
for the import.

Feed bytes are hostile. Before feedparser sees them:

* any DOCTYPE (with its internal subset) is cut out of the prolog, so no
  entity is ever declared: external entities cannot be resolved and entity
  expansion ("billion laughs") cannot happen;
* the SAX driver feedparser uses is ours (``create_parser``): it refuses any
  entity declaration that might still reach expat and never reads external
  DTDs;
* feedparser gets bytes in a ``BytesIO``, never a string it could treat as a
  URL or a file name.

feedparser's own HTML sanitiser and relative-URI pass are switched off (they
cost about half its time). That is safe because summaries and content are
stored as untrusted HTML and only ever shown through ``textclean``, which
drops scripts, styles, frames, forms and event handlers and keeps only
http(s) links; ``tests/test_textclean_safety.py`` proves it.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import xml.sax
from collections.abc import Callable
from datetime import UTC, datetime
from html.entities import name2codepoint
from typing import Any
from urllib.parse import urljoin
from xml.sax.expatreader import ExpatParser

from briefing.core.models import ParsedEntry, ParsedFeed
from briefing.core.textclean import clean_line, clean_text, html_to_text, is_web_url


class NotAFeedError(Exception):
    """The bytes are not a usable feed; ``str()`` is a reason a person can act on."""


# --------------------------------------------------------------------------- public


def parse_feed_bytes(body: bytes, content_type: str | None, url: str) -> ParsedFeed:
    """Parse one feed document. Raises NotAFeedError when it is not a usable feed.

    ``url`` is where the bytes came from (after redirects); relative links in
    the feed resolve against it when it is an http(s) URL.
    """
    if not body.strip():
        raise NotAFeedError("not a feed (empty response)")
    body, content_type = _to_ascii_compatible(body, content_type)
    kind = _sniff(body)
    if kind == "html":
        raise NotAFeedError("not a feed (HTML page)")
    if kind == "json":
        raise NotAFeedError("not a feed (JSON, not RSS or Atom)")
    body = _named_entities_to_numeric(_strip_doctype(body))

    feedparser = _feedparser()
    # No content-location header on purpose: with a base URI feedparser
    # resolves xml:base on every element, a third of its time. Entry links
    # are made absolute here instead, once per entry.
    result = feedparser.parse(
        io.BytesIO(body),
        response_headers={"content-type": _xml_content_type(content_type)},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    base = url if url.startswith(("http://", "https://")) else ""
    entries = _entries(_get(result, "entries") or [], base)
    problem = _bozo_reason(result) if _get(result, "bozo") else None
    if not entries and problem is not None:
        raise NotAFeedError(f"malformed XML: {problem}")
    if not _get(result, "version"):
        # XML, but no rss/feed/RDF root: some other document that happens to
        # hold <item> or <entry> elements.
        raise NotAFeedError("not a feed (no RSS or Atom found)")
    feed_info = _get(result, "feed") or {}
    return ParsedFeed(
        title=_title(feed_info),
        link=_absolute(clean_line(_get(feed_info, "link") or ""), base),
        entries=entries,
        warning=f"parsed with errors: {problem}" if problem is not None else None,
    )


def parse_and_analyse(
    body: bytes,
    content_type: str | None,
    url: str,
    analyse: Callable[[ParsedFeed], Any] | None,
) -> tuple[ParsedFeed, Any]:
    """``parse_feed_bytes``, then ``analyse(parsed)`` in the same worker process.

    Lets per-entry CPU work (such as topic scoring) run in the parse workers
    instead of the event loop's process. ``analyse`` must be picklable: a
    module-level function, or a ``functools.partial`` of one.
    """
    parsed = parse_feed_bytes(body, content_type, url)
    return parsed, analyse(parsed) if analyse is not None else None


def prepare_worker() -> None:
    """Run once in each parse worker as it starts: import and configure feedparser."""
    _feedparser()


# --------------------------------------------------------------------------- feedparser set-up

_configured: Any = None


def _feedparser() -> Any:
    """Import feedparser once per process and make it use our hardened SAX driver."""
    global _configured
    if _configured is None:
        import feedparser
        import feedparser.api

        # make_parser() imports each name and calls its create_parser().
        feedparser.api.PREFERRED_XML_PARSERS = [__name__]
        _speed_up_feedparser()
        _configured = feedparser
    return _configured


def _speed_up_feedparser() -> None:
    """Two exact shortcuts in feedparser's per-element hot path.

    Profiled on 200 typical feeds they were a quarter of its time:

    * every content element deep-copies its ``contentparams``: a flat dict of
      strings ('type', 'language', 'base', 'value'), so a shallow copy is
      the same thing;
    * every start tag joins the (empty, as we give feedparser no base URI)
      base with the element's xml:base; with an empty base ``urljoin`` returns
      its second argument, so only feedparser's own clean-up regex remains.

    Each is applied only if feedparser still looks as it did when this was
    written (6.0.x); tests compare results with and without them.
    """
    import copy

    import feedparser.mixin
    import feedparser.urls

    mixin: Any = feedparser.mixin
    urls: Any = feedparser.urls
    if getattr(mixin, "copy", None) is copy:
        mixin.copy = _ContentParamsCopy
    fixer = getattr(urls, "_urifixer", None)
    original_join = getattr(urls, "_urljoin", None)
    if fixer is not None and original_join is not None and mixin._urljoin is original_join:

        def _urljoin(base: str, uri: str) -> str:
            if not base:
                return str(fixer.sub(r"\1\3", uri)) if uri else ""
            return str(original_join(base, uri))

        mixin._urljoin = _urljoin


class _ContentParamsCopy:
    """Stands in for the ``copy`` module inside feedparser.mixin (see above)."""

    @staticmethod
    def deepcopy(params: dict[str, Any]) -> dict[str, Any]:
        return type(params)(params)


class _RefusedDeclaration(xml.sax.SAXParseException):
    pass


class _HardenedExpatParser(ExpatParser):
    """expat as feedparser's SAX driver, minus entities and external DTDs.

    ``buffer_text`` joins the character data expat would otherwise hand over
    in pieces at every ``&lt;`` of an escaped HTML body: the same text with a
    tenth of the callbacks (about 10% of parse time on typical feeds).
    """

    def reset(self) -> None:
        super().reset()
        import pyexpat

        parser: Any = getattr(self, "_parser")  # noqa: B009 -- set by ExpatParser.reset, untyped
        parser.buffer_text = True
        parser.buffer_size = 1 << 16
        parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.EntityDeclHandler = self._refuse_entity
        parser.ExternalEntityRefHandler = self._refuse_external

    def _refuse_entity(self, name: str, *_: object) -> None:
        raise _RefusedDeclaration(f"entity declaration {name!r} refused", None, self)

    def _refuse_external(self, *_: object) -> int:
        return 1  # "handled": nothing is read


def create_parser(*args: Any, **kwargs: Any) -> ExpatParser:
    """SAX driver entry point (``xml.sax.make_parser`` looks it up by module name)."""
    return _HardenedExpatParser(*args, **kwargs)


# --------------------------------------------------------------------------- bytes before parsing

_UTF16_32 = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>")
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?[^;\"]*\"?", re.IGNORECASE)


def _to_ascii_compatible(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """Re-encode UTF-16/32 documents as UTF-8 so the byte-level checks below see them.

    Every other encoding feedparser supports keeps ASCII bytes as ASCII.
    """
    for prefix, codec in _UTF16_32:
        if body.startswith(prefix):
            text = body.decode(codec, errors="replace").lstrip("\ufeff")
            data = _XML_DECL.sub(b"", text.encode("utf-8"), count=1)
            data = b'<?xml version="1.0" encoding="utf-8"?>\n' + data.lstrip()
            mime = _CHARSET.sub("", content_type or "application/xml")
            return data, f"{mime}; charset=utf-8"
    return body, content_type


_HTML_START = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_FEED_ROOT = re.compile(rb"<(?:[\w.-]+:)?(?:rss|feed|rdf|channel)[\s>/]", re.IGNORECASE)


def _sniff(body: bytes) -> str:
    """'html', 'json' or 'xml' from the first bytes of the document."""
    start = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith((b"{", b"[")):
        return "json"
    head = _skip_prolog(start)
    if _FEED_ROOT.match(head):
        return "xml"
    if _HTML_START.match(head) or _HTML_START.search(start[:1024]):
        return "html"
    return "xml"


def _skip_prolog(data: bytes) -> bytes:
    """The document from its first element (or what is left when there is none)."""
    pos = 0
    while True:
        while pos < len(data) and data[pos] in b" \t\r\n":
            pos += 1
        if data.startswith(b"<?", pos):
            end = data.find(b"?>", pos + 2)
            pos = len(data) if end < 0 else end + 2
        elif data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos + 4)
            pos = len(data) if end < 0 else end + 3
        elif data[pos : pos + 9].upper() == b"<!DOCTYPE":
            if _HTML_START.match(data, pos):
                return data[pos:]
            pos = _end_of_doctype(data, pos + 9)
        else:
            return data[pos:]


def _strip_doctype(data: bytes) -> bytes:
    """Cut every DOCTYPE (and its internal subset) out of the prolog.

    Comments and processing instructions in the prolog are kept; what follows
    the root element's start is untouched (a DOCTYPE there is not well-formed
    XML and expat rejects it).
    """
    pieces: list[bytes] = []
    pos = 0
    while True:
        start = pos
        while pos < len(data) and data[pos] in b" \t\r\n\xef\xbb\xbf":
            pos += 1
        if data.startswith(b"<?", pos):
            end = data.find(b"?>", pos + 2)
            end = len(data) if end < 0 else end + 2
            pieces.append(data[start:end])
            pos = end
        elif data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos + 4)
            end = len(data) if end < 0 else end + 3
            pieces.append(data[start:end])
            pos = end
        elif data[pos : pos + 9].upper() == b"<!DOCTYPE":
            pieces.append(data[start:pos])
            pos = _end_of_doctype(data, pos + 9)
        else:
            pieces.append(data[start:])
            return b"".join(pieces)


def _end_of_doctype(data: bytes, pos: int) -> int:
    """Index just past the DOCTYPE whose body starts at ``pos``.

    Quoted strings, comments and the bracketed internal subset may all hold a
    '>' that does not end the declaration. An unterminated DOCTYPE swallows
    the rest of the document (which then is not a feed).
    """
    depth = 0
    n = len(data)
    while pos < n:
        char = data[pos]
        if char in b"\"'":
            end = data.find(bytes((char,)), pos + 1)
            if end < 0:
                return n
            pos = end + 1
        elif data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos + 4)
            if end < 0:
                return n
            pos = end + 3
        elif char == ord("["):
            depth += 1
            pos += 1
        elif char == ord("]"):
            depth = max(0, depth - 1)
            pos += 1
        elif char == ord(">") and depth == 0:
            return pos + 1
        else:
            pos += 1
    return n


_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_NAMED_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{1,31});")


def _named_entities_to_numeric(data: bytes) -> bytes:
    """``&nbsp;`` -> ``&#160;``: HTML entities are undeclared in XML and would
    otherwise throw the whole feed onto feedparser's slower, lossier loose parser."""
    if not _NAMED_ENTITY.search(data):
        return data

    def numeric(match: re.Match[bytes]) -> bytes:
        codepoint = name2codepoint.get(match.group(1).decode("ascii"))
        return b"&#%d;" % codepoint if codepoint is not None else match.group(0)

    return _NAMED_ENTITY.sub(numeric, data)


def _xml_content_type(content_type: str | None) -> str:
    """Servers often label feeds text/html or text/plain; feedparser then flags
    the feed as broken. The body was sniffed as XML, so say XML, keep the charset."""
    if not content_type:
        return "application/xml"
    mime = content_type.partition(";")[0]
    mime = mime.strip().lower()
    if mime in ("application/xml", "text/xml") or mime.endswith("+xml"):
        return content_type
    charset = _CHARSET.search(content_type)
    return "application/xml" + (charset.group(0) if charset else "")


# --------------------------------------------------------------------------- entries

# feedparser's dict maps old key names to new ones on every lookup, and warns
# when asked for 'updated_parsed' that is absent; the plain dict lookup does
# neither.
_get = dict.get


def _entries(raw_entries: list[Any], base: str) -> tuple[ParsedEntry, ...]:
    entries: dict[str, ParsedEntry] = {}
    for raw in raw_entries:
        entry = _entry(raw, base)
        entries.setdefault(entry.id, entry)  # a feed listing one id twice: first wins
    return tuple(entries.values())


def _line(text: str) -> str:
    """``clean_line``, with a fast path: printable text has no control characters."""
    return " ".join(text.split()) if text.isprintable() else clean_line(text)


def _entry(raw: Any, base: str) -> ParsedEntry:
    title = _title(raw)
    link = _absolute(_line(_get(raw, "link") or ""), base)
    published = _iso_utc(
        _get(raw, "published_parsed") or _get(raw, "updated_parsed") or _get(raw, "created_parsed")
    )
    summary = _html_of(_get(raw, "summary") or "", _get(raw, "summary_detail"))
    content = ""
    for part in _get(raw, "content") or ():
        value = _html_of(_get(part, "value") or "", part)
        if value:
            content = value
            break
    if content == summary:
        content = ""  # RSS feeds often repeat the body; store it once
    entry_id = _line(_get(raw, "id") or "") or link
    if not entry_id:
        basis = f"{title}\n{published or ''}" + ("" if title else f"\n{summary}")
        entry_id = "sha1:" + hashlib.sha1(basis.encode("utf-8")).hexdigest()
    return ParsedEntry(
        id=entry_id,
        title=title,
        link=link,
        author=_line(_get(raw, "author") or ""),
        published=published,
        summary=summary,
        content=content,
    )


def _absolute(link: str, base: str) -> str:
    """An absolute http(s) link, or "".

    A relative link is made absolute against the feed's URL when that is an
    http(s) URL. Anything else (javascript:, data:, file:, a relative link in
    a local file) is dropped: links are opened in a browser.
    """
    if not link:
        return ""
    if not link.startswith(("http://", "https://")):
        if not base:
            return ""
        link = urljoin(base, link)
    return link if is_web_url(link) else ""


_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")


def _title(raw: Any) -> str:
    title = _get(raw, "title") or ""
    detail = _get(raw, "title_detail") or {}
    if _get(detail, "type") in _HTML_TYPES and ("<" in title or "&" in title):
        return clean_line(html_to_text(title))
    return _line(title)


def _html_of(value: str, detail: Any) -> str:
    """Summaries and content are stored as HTML; plain-text ones are escaped into it."""
    if not value:
        return ""
    kind = _get(detail or {}, "type") or "text/html"
    if kind in _HTML_TYPES:
        return clean_text(value).strip()
    paragraphs = re.split(r"\n\s*\n", clean_text(value).strip())
    return "".join(f"<p>{html.escape(p.strip(), quote=False)}</p>" for p in paragraphs if p.strip())


def _iso_utc(parsed: Any) -> str | None:
    """feedparser's UTC struct_time as '2026-01-16T14:03:00+00:00'."""
    if not parsed:
        return None
    try:
        year, month, day, hour, minute, second = tuple(parsed)[:6]
        moment = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None
    return moment.isoformat()


def _bozo_reason(result: Any) -> str:
    error = _get(result, "bozo_exception")
    if isinstance(error, xml.sax.SAXParseException):
        where = f"line {error.getLineNumber()}, column {error.getColumnNumber()}: "
        return clean_line(where + str(error.getMessage()))
    reason = clean_line(str(error)) if error is not None else "unknown problem"
    return reason[:300] or type(error).__name__

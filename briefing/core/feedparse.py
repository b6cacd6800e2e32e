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

import codecs
import contextlib
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


def parse_feed_bytes(
    body: bytes, content_type: str | None, url: str, *, fast_path: bool = True
) -> ParsedFeed:
    """Parse one feed document. Raises NotAFeedError when it is not a usable feed.

    ``url`` is where the bytes came from (after redirects); relative links in
    the feed resolve against it when it is an http(s) URL. ``fast_path=False``
    sends every document to feedparser (the reference the fast path is
    compared with).
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
    xml_type = _xml_content_type(content_type)
    result = (_fast_result(body, xml_type) if fast_path else None) or _feedparser_result(
        body, xml_type
    )
    base = url if url.startswith(("http://", "https://")) else ""
    entries = _entries(_get(result, "entries") or [], base)
    problem = _bozo_reason(result) if _get(result, "bozo") else None
    if not entries and problem is not None:
        raise NotAFeedError(f"malformed XML: {problem}")
    feed_info = _get(result, "feed") or {}
    if not _get(result, "version") and not _has_feed_data(entries, feed_info):
        # XML, but no rss/feed/RDF root and nothing feedparser could read as
        # a feed: some other document that happens to hold <item> elements.
        # (CDF and other dialects feedparser reads without naming a version
        # are feeds: what it finds in them is kept.)
        raise NotAFeedError("not a feed (no RSS or Atom found)")
    return ParsedFeed(
        title=_title(feed_info),
        link=_absolute(clean_line(_get(feed_info, "link") or ""), base),
        entries=entries,
        warning=f"parsed with errors: {problem}" if problem is not None else None,
    )


def _has_feed_data(entries: tuple[ParsedEntry, ...], feed_info: Any) -> bool:
    """True when feedparser found an entry with something in it, or anything
    about the feed itself (a title, a link, a description, a date)."""
    if any(e.title or e.link or e.summary or e.content or e.published for e in entries):
        return True
    return bool(feed_info)


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


def fast_path_reads(body: bytes, content_type: str | None) -> bool:
    """True when the fast path (not feedparser) reads this document."""
    body, content_type = _to_ascii_compatible(body, content_type)
    if _sniff(body) != "xml":
        return False
    body = _named_entities_to_numeric(_strip_doctype(body))
    return _fast_result(body, _xml_content_type(content_type)) is not None


def _feedparser_result(body: bytes, xml_type: str) -> Any:
    feedparser = _feedparser()
    # No content-location header on purpose: with a base URI feedparser
    # resolves xml:base on every element, a third of its time. Entry links
    # are made absolute here instead, once per entry.
    return feedparser.parse(
        io.BytesIO(body),
        response_headers={"content-type": xml_type},
        sanitize_html=False,
        resolve_relative_uris=False,
    )


# --------------------------------------------------------------------------- the fast path
#
# fastparse reads well-formed RSS 2.0 and Atom 1.0 with lxml and hands back the
# raw text of each element. What feedparser does to that text once it has
# it (strip it, repair double-encoded UTF-8, map stray cp1252 code points,
# guess HTML, parse dates, pick the link) is done here with feedparser's own
# functions, so that both paths give the same entries.


def _fast_result(body: bytes, xml_type: str) -> dict[str, Any] | None:
    """A feedparser-shaped result from the fast path, or None to use feedparser."""
    if not _feedparser_decodes_as_utf8(body, xml_type):
        return None
    from briefing.core.fastparse import parse_well_formed

    helpers = _fast_helpers()
    try:
        raw = parse_well_formed(body, helpers.rules)
        if raw is None:
            return None
        rss = not raw.version.startswith("atom")
        return {
            "bozo": False,
            "version": raw.version,
            "feed": helpers.as_feedparser(raw.feed, rss=rss, entry=False),
            "entries": [helpers.as_feedparser(item, rss=rss, entry=True) for item in raw.entries],
        }
    except MemoryError:
        raise
    except Exception:  # a fast-path bug must never cost a feed: feedparser reads it
        if raise_fast_path_errors:
            raise
        return None


raise_fast_path_errors = False
"""Tests set this: a bug in the fast path then fails them instead of being
covered up by feedparser."""


def _feedparser_decodes_as_utf8(body: bytes, xml_type: str) -> bool:
    """True when feedparser would decode ``body`` as UTF-8 (or ASCII) without a
    complaint: ``feedparser.encodings.convert_to_utf8``'s choice, in short."""
    from feedparser.encodings import RE_XML_PI_ENCODING, parse_content_type

    data = body[3:] if body.startswith(b"\xef\xbb\xbf") else body
    match = RE_XML_PI_ENCODING.match(data)
    xml_encoding = match.group(1).decode("utf-8", "replace").lower() if match else ""
    mime, http_encoding = parse_content_type(xml_type)
    if mime in (
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
    ) or (mime.startswith("application/") and mime.endswith("+xml")):
        encoding = http_encoding or xml_encoding or "utf-8"
    elif mime in ("text/xml", "text/xml-external-parsed-entity") or (
        mime.startswith("text/") and mime.endswith("+xml")
    ):
        encoding = http_encoding or "us-ascii"
    else:
        return False  # not an XML media type to feedparser: it flags the feed
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        return False
    if codec not in ("utf-8", "ascii"):
        return False
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


class _FastHelpers:
    """feedparser's own text clean-up, applied to what fastparse read."""

    def __init__(self) -> None:
        feedparser = _feedparser()
        from feedparser.datetimes import _parse_date
        from feedparser.html import _cp1252
        from feedparser.mixin import _FeedParserMixin

        from briefing.core.fastparse import FeedparserRules

        mixin: Any = _FeedParserMixin
        self.rules = FeedparserRules(
            namespaces={uri.lower(): prefix for uri, prefix in mixin.namespaces.items()},
            handlers=frozenset(
                name[len("_start_") :].lower() for name in dir(mixin) if name.startswith("_start_")
            ),
            next_base=self.next_base,
        )
        self.looks_like_html: Callable[[str], bool] = mixin.looks_like_html
        self.parse_date: Callable[[str], Any] = _parse_date
        self.cp1252 = _cp1252
        self.urljoin: Callable[[str, str], str] = feedparser.mixin._urljoin
        del feedparser

    @staticmethod
    def next_base(current: str, declared: str | None) -> str:
        """feedparser's ``unknown_starttag``: the base URI inside an element."""
        import feedparser.mixin

        mixin: Any = feedparser.mixin
        base = declared or current
        if current:
            return str(mixin.make_safe_absolute_uri(current, base) or current)
        return str(mixin._urljoin(current, base))

    def popped(
        self, value: str, *, uri: bool = False, base: str = "", rss_text: bool = False
    ) -> tuple[str, bool]:
        """What feedparser's ``pop`` makes of an element's text, and whether a
        nominally plain-text RSS element now counts as HTML."""
        output = value.strip()
        if uri and output:
            output = self.urljoin(base, output)
        html_guess = rss_text and self.looks_like_html(output)
        if output.isascii():
            return output, html_guess  # neither repair below can change ASCII
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            output = output.encode("iso-8859-1").decode("utf-8")
        return output.translate(self.cp1252), html_guess

    def text(self, raw: Any, *, rss: bool) -> tuple[str, str]:
        value, html_guess = self.popped(raw.value, rss_text=rss and raw.type == "text/plain")
        return value, "text/html" if html_guess else raw.type

    def as_feedparser(self, item: Any, *, rss: bool, entry: bool) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if item.title is not None:
            value, kind = self.text(item.title, rss=rss)
            result["title"] = value
            result["title_detail"] = {"type": kind}
        entry_id: str | None = None
        if item.id is not None:
            entry_id = self.popped(item.id, uri=item.id_is_link, base=item.id_base)[0]
            result["id"] = entry_id
        if item.link is not None:
            if item.link_is_text:
                link = self.popped(item.link, uri=True, base=item.link_base)[0]
                if entry:
                    link = link.replace("&amp;", "&")
                link = _UNESCAPED_QUERY.sub(r"&\g<1>", link)
            else:
                link = self.urljoin(item.link_base, item.link)
            result["link"] = link
        elif entry_id is not None and item.id_is_link:
            result["link"] = entry_id
        if item.published is not None:
            result["published_parsed"] = self.parse_date(self.popped(item.published)[0])
        if item.updated is not None:
            result["updated_parsed"] = self.parse_date(self.popped(item.updated)[0])
        if item.summary is not None:
            value, kind = self.text(item.summary, rss=rss)
            result["summary"] = value
            result["summary_detail"] = {"type": kind}
        if item.content is not None:
            value, kind = self.text(item.content, rss=rss)
            result["content"] = [{"type": kind, "value": value}]
            result.setdefault("summary", value)  # feedparser copies it when there is none
        if item.author is not None:
            result["author"] = self.author(item.author)
        return result

    def author(self, raw: Any) -> str:
        if raw.text is not None:
            return self.popped(raw.text)[0]
        name = self.popped(raw.name)[0] if raw.name is not None else ""
        email = self.popped(raw.email)[0] if raw.email is not None else ""
        if name and email:
            return f"{name} ({email})"
        return name or email


_UNESCAPED_QUERY = re.compile("&([A-Za-z0-9_]+);")
_helpers: _FastHelpers | None = None


def _fast_helpers() -> _FastHelpers:
    global _helpers
    if _helpers is None:
        _helpers = _FastHelpers()
    return _helpers


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
            end = _end_of_doctype(data, pos + 9)
            if _HTML_START.match(data, pos) and not _FEED_ROOT.match(_skip_prolog(data[end:])):
                return data[pos:]  # an HTML page; an <rss> under an XHTML DOCTYPE is a feed
            pos = end
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

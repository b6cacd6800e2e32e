"""A fast path for well-formed RSS 2.0 and Atom 1.0 feeds, on lxml. The only module
that imports lxml.

feedparser stays the reference. This module reads a feed only when it can say
exactly what feedparser would make of every element that reaches briefing's
fields (ids, titles, links, dates, authors, summaries, content); for anything
else it *refuses* (returns None) and ``feedparse`` gives the bytes to
feedparser. It refuses, among others:

* any XML error at all (feedparser would then fall back to its loose parser);
* a root other than ``<rss><channel>`` or an Atom 1.0 ``<feed>``;
* XHTML content, text elements with child elements, comments or entity
  references in them (``xml:base`` is followed the way feedparser follows
  it, leaks from one element to its next sibling included);
* an element that feedparser has a handler for and that could change one of
  our fields, unless this module handles it (``_UNDERSTOOD``), wherever it is
  in an entry; names are matched the way feedparser matches them (its
  namespace prefixes, lower case), so an unknown namespace that happens to
  use the prefix ``content`` is caught too;
* two of a kind where feedparser's answer depends on their order.

What it returns is raw: text as the document holds it. ``feedparse`` applies
feedparser's own clean-up (stripping, its encoding repairs, its date parser,
its HTML guess) so that both paths go through the same code from there on.
``tests/test_fastparse_corpus.py`` compares the two on thousands of real feeds.

Safety: the parser never loads a DTD, never resolves an entity (the caller has
already cut any DOCTYPE out, so none can be declared), never touches the
network and refuses huge trees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ATOM_NS = "http://www.w3.org/2005/Atom"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_XML_BASE = f"{{{_XML_NS}}}base"


@dataclass(frozen=True, slots=True)
class FeedparserRules:
    """What this module needs to know of feedparser, handed in by ``feedparse``.

    ``namespaces`` maps a lower-case namespace URI to feedparser's prefix for
    it ('' for Atom 1.0); ``handlers`` holds every element name feedparser
    has a handler for (``'title'``, ``'dc_creator'``, ...).
    """

    namespaces: Mapping[str, str]
    handlers: frozenset[str]
    next_base: Callable[[str, str | None], str]
    """feedparser's base URI inside an element, from its parent's and the
    element's own xml:base (its ``unknown_starttag``)."""


@dataclass(slots=True)
class RawText:
    value: str
    type: str
    """feedparser's content type for it: 'text/plain', 'text/html', ..."""


@dataclass(slots=True)
class RawAuthor:
    text: str | None = None
    """An RSS-style author: the element's text."""
    name: str | None = None
    email: str | None = None
    """An Atom-style author: its <name> and <email>."""


@dataclass(slots=True)
class RawItem:
    """One entry (or the feed itself) as the document holds it."""

    title: RawText | None = None
    link: str | None = None
    """The last link that sets feedparser's 'link' directly; None when none does."""
    link_is_text: bool = False
    """True for an RSS <link> (text), False for an Atom href."""
    link_base: str = ""
    """The base URI feedparser resolves that link against (from xml:base)."""
    id: str | None = None
    id_base: str = ""
    id_is_link: bool = False
    """feedparser's guidislink: the id stands in as the link when there is none."""
    published: str | None = None
    updated: str | None = None
    summary: RawText | None = None
    content: RawText | None = None
    author: RawAuthor | None = None


@dataclass(slots=True)
class RawFeed:
    version: str
    """'rss20', 'rss', 'rss091u', ... or 'atom10', as feedparser would name it."""
    feed: RawItem
    entries: list[RawItem] = field(default_factory=list)


class _Refused(Exception):
    """The fast path cannot vouch for this document; feedparser reads it."""


def parse_well_formed(body: bytes, rules: FeedparserRules) -> RawFeed | None:
    """The raw feed, or None when this document is not for the fast path.

    ``body`` must already be free of any DOCTYPE and decodable as UTF-8 (the
    caller checks that feedparser would decode it so).
    """
    try:
        root = _parse_xml(body)
        if root is None:
            return None
        return _Reader(rules).read(root)
    except _Refused:
        return None


# --------------------------------------------------------------------------- XML


def _parse_xml(body: bytes) -> Any:
    from lxml import etree

    parser = etree.XMLParser(
        encoding="utf-8",
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        recover=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        strip_cdata=True,
        collect_ids=False,
    )
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        return None  # the caller strips DOCTYPEs; one left means something is off
    return root


# --------------------------------------------------------------------------- reading

# feedparser handler names this module reads itself, per role.
_TITLE = frozenset({"title"})
_LINK = frozenset({"link"})
_ID = frozenset({"guid", "id"})
_PUBLISHED = frozenset({"pubdate", "published"})
_UPDATED = frozenset({"updated", "dc_date"})
_SUMMARY = frozenset({"description", "summary"})
_CONTENT = frozenset({"content", "content_encoded"})
_AUTHOR = frozenset({"author", "dc_creator", "dc_author", "itunes_author"})
_AUTHOR_PARTS = frozenset({"name", "email", "uri", "url", "homepage"})
_UNDERSTOOD = _TITLE | _LINK | _ID | _PUBLISHED | _UPDATED | _SUMMARY | _CONTENT | _AUTHOR

_HARMFUL = frozenset(
    {
        # another source of one of our fields, or of the entry's context
        "dc_title", "media_title", "itunes_link",
        "issued", "dcterms_issued", "modified", "dcterms_modified", "lastbuilddate",
        "created", "dcterms_created",
        "abstract", "dc_description", "media_description", "itunes_summary",
        "fullitem", "body", "xhtml_body",
        "managingeditor", "webmaster", "dc_publisher",
        "contributor", "dc_contributor", "itunes_owner", "itunes_name", "itunes_email",
        "source", "item", "entry", "feed", "channel", "rss", "rdf", "image",
        "textinput", "textInput", "newlocation",
        # feedparser raises on these outside <georss:where>
        "gml_pos", "gml_poslist",
    }
)  # fmt: skip
"""Handlers that could change a field we read (or the context it lands in).
Every other handler only adds keys briefing never reads: ``tests/test_fastparse``
proves that for each of them, through feedparser itself."""

_MEANINGFUL_ATTRIBUTES = frozenset(
    {"href", "url", "uri", "rel", "type", "src", "mode", "ispermalink", "base", "lang",
     "term", "scheme", "label", "version", "about", "lastmod"}
)  # fmt: skip
"""Attribute names feedparser's handlers read. An attribute of an unknown
namespace reaches them under its bare local name, so one of these refuses."""


def _declared_base(element: Any) -> str | None:
    """``attrs.get('xml:base', attrs.get('base'))`` as feedparser reads it."""
    attrib = element.attrib
    if not attrib:
        return None
    value = attrib.get(_XML_BASE)
    if value is None:
        value = attrib.get("base")
        if value is None:
            value = attrib.get("BASE") or attrib.get("Base")
    return None if value is None else str(value)


_ENTRY_DANGER = _UNDERSTOOD | _HARMFUL | _AUTHOR_PARTS
"""No element of these names may sit anywhere in an entry but where we read it."""
_FEED_DANGER = frozenset(
    {"title", "link", "id", "guid", "dc_title", "media_title", "itunes_link", "source",
     "item", "entry", "feed", "channel", "rss", "rdf", "image", "textinput"}
)  # fmt: skip
"""Outside the entries we read only the feed's title and link."""

_IMAGE_CHILDREN = frozenset({"title", "link", "url", "description", "width", "height"})
_TEXTINPUT_CHILDREN = frozenset({"title", "link", "description", "name"})


def _content_type(value: str) -> str:
    """feedparser's ``map_content_type``."""
    value = value.lower()
    if value in ("text", "plain"):
        return "text/plain"
    if value == "html":
        return "text/html"
    if value == "xhtml":
        return "application/xhtml+xml"
    return value


_TEXT_TYPES = frozenset({"text/plain", "text/html"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


class _Reader:
    def __init__(self, rules: FeedparserRules) -> None:
        self.namespaces = rules.namespaces
        self.handlers = rules.handlers
        self.next_base = rules.next_base
        self.names: dict[str, str] = {}
        self.version = ""
        self.bases: dict[Any, str] | None = None
        """feedparser's base URI at each element, when the document has xml:base."""

    def base_of(self, element: Any) -> str:
        return self.bases.get(element, "") if self.bases is not None else ""

    def follow_bases(self, root: Any) -> None:
        """Replay feedparser's xml:base stack over the document, in its order.

        feedparser sets its base at each start tag and, at each end tag,
        returns to the enclosing element's base only when that one is not
        empty, so a base can outlive its element: the replay keeps that.
        """
        from lxml import etree

        if not any(_declared_base(node) is not None for node in root.iter()):
            return
        base = ""
        stack: list[str] = []
        bases: dict[Any, str] = {}
        for event, node in etree.iterwalk(root, events=("start", "end")):
            if not isinstance(node.tag, str):
                continue
            if event == "start":
                base = self.next_base(base, _declared_base(node))
                stack.append(base)
                bases[node] = base
            else:
                stack.pop()
                if stack and stack[-1]:
                    base = stack[-1]
        self.bases = bases

    # ------------------------------------------------------------------ names

    def name_of(self, element: Any) -> str | None:
        """feedparser's name for an element ('title', 'dc_creator'); None for a
        comment or processing instruction."""
        tag = element.tag
        if not isinstance(tag, str):
            return None
        known = self.names.get(tag)
        if known is not None:
            return known
        if tag.startswith("{"):
            namespace, _, local = tag[1:].partition("}")
            lower = namespace.lower()
            if "backend.userland.com/rss" in lower:
                raise _Refused  # feedparser folds these namespaces together
            prefix = self.namespaces.get(lower)
            if prefix is None:
                prefix = element.prefix or ""
            name = (prefix.lower() + "_" if prefix else "") + local.lower()
        else:
            name = tag.lower()
        self.names[tag] = name
        return name

    def attributes(self, element: Any) -> dict[str, str]:
        """Attributes by feedparser's names for them (lower case, local part)."""
        attrib = element.attrib
        if not attrib:
            return {}
        result: dict[str, str] = {}
        for key, value in attrib.items():
            if key.startswith("{"):
                namespace, _, local = key[1:].partition("}")
                if namespace == _XML_NS:
                    key = "xml:" + local
                elif namespace.lower() in self.namespaces:
                    continue  # feedparser calls it 'prefix:local': no handler reads those
                elif local.lower() in _MEANINGFUL_ATTRIBUTES:
                    raise _Refused  # feedparser calls it by its bare local name
                else:
                    continue
            key = key.lower()
            if key in ("xml:base", "base"):
                continue  # followed by follow_bases
            result[key] = value.lower() if key in ("rel", "type") else value
        return result

    # ------------------------------------------------------------------ document

    def read(self, root: Any) -> RawFeed:
        name = self.name_of(root)
        self.follow_bases(root)
        if root.tag == "rss":
            attrs = self.attributes(root)
            version = attrs.get("version", "")
            self.version = {
                "0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094",
            }.get(version) or ("rss20" if version.startswith("2.") else "rss")  # fmt: skip
            self.check_harmless_children(root, allowed={"channel"})
            channels = [child for child in root if self.name_of(child) == "channel"]
            if len(channels) != 1:
                raise _Refused
            return self.read_feed(channels[0], entry_name="item")
        if root.tag == f"{{{ATOM_NS}}}feed" and name == "feed":
            if "version" in self.attributes(root):
                raise _Refused
            self.version = "atom10"
            return self.read_feed(root, entry_name="entry")
        raise _Refused

    def read_feed(self, container: Any, entry_name: str) -> RawFeed:
        feed = RawFeed(version=self.version, feed=RawItem())
        self.attributes(container)
        for child in container:
            name = self.name_of(child)
            if name is None:
                continue
            if name == entry_name:
                self.no_attributes(self.attributes(child))  # rdf:about, CDF's lastmod, href
                feed.entries.append(self.read_item(child))
            elif name in ("image", "textinput") and entry_name == "item":
                allowed = _IMAGE_CHILDREN if name == "image" else _TEXTINPUT_CHILDREN
                self.check_context_children(child, allowed)
            elif name in ("title", "link", "id", "guid"):
                self.read_field(feed.feed, child, name)
            else:
                self.check_harmless(child, _FEED_DANGER)
        return feed

    def check_context_children(self, element: Any, allowed: frozenset[str]) -> None:
        """<image> and <textInput>: feedparser files their title and link
        elsewhere, but only while every child is one it expects there."""
        self.attributes(element)
        for child in element:
            if not isinstance(child.tag, str):
                continue
            if child.tag.lower() not in allowed or len(child):
                raise _Refused
            self.attributes(child)

    def check_harmless_children(self, element: Any, allowed: Iterable[str]) -> None:
        for child in element:
            name = self.name_of(child)
            if name is not None and name not in allowed:
                self.check_harmless(child, _FEED_DANGER)

    def check_harmless(self, element: Any, danger: frozenset[str]) -> None:
        """Refuse unless nothing in this subtree can change a field we read."""
        for node in element.iter():
            name = self.name_of(node)
            if name is None:
                continue
            if name in danger:
                raise _Refused

    # ------------------------------------------------------------------ entries

    def read_item(self, element: Any) -> RawItem:
        item = RawItem()
        seen: set[str] = set()
        for child in element:
            name = self.name_of(child)
            if name is None:
                continue
            role = _ROLES.get(name)
            if name == "image":
                # <image> in an item: feedparser files its text under 'image'
                # unless a child would land in the entry (or the feed's image)
                for grandchild in child:
                    self.check_harmless(grandchild, _ENTRY_DANGER | _IMAGE_CHILDREN)
                continue
            if role is not None:
                if role in seen and role not in ("link", "author"):
                    raise _Refused  # feedparser's answer would depend on their order
                seen.add(role)
                self.read_field(item, child, name)
            else:
                self.check_harmless(child, _ENTRY_DANGER)
        return item

    def read_field(self, item: RawItem, element: Any, name: str) -> None:
        attrs = self.attributes(element)
        if name == "link":
            self.read_link(item, element, attrs)
            return
        if name in _AUTHOR:
            item.author = self.read_author(element, attrs)
            return
        if name in _ID:
            if item.id is not None:
                raise _Refused
            extra = set(attrs) - {"ispermalink", "xml:lang"}
            if extra:
                raise _Refused
            item.id = self.text_of(element)
            item.id_is_link = attrs.get("ispermalink", "true") == "true"
            item.id_base = self.base_of(element)
            return
        if name == "title":
            if item.title is not None:
                raise _Refused
            item.title = RawText(self.text_of(element), self.text_type(attrs, "text/plain"))
        elif name in _PUBLISHED:
            self.no_attributes(attrs)
            item.published = self.text_of(element)
        elif name in _UPDATED:
            self.no_attributes(attrs)
            item.updated = self.text_of(element)
        elif name in _SUMMARY:
            default = "text/html" if name == "description" else "text/plain"
            item.summary = RawText(self.text_of(element), self.text_type(attrs, default))
        elif name in _CONTENT:
            if "src" in attrs:
                raise _Refused
            default = "text/html" if name == "content_encoded" else "text/plain"
            if name == "content_encoded":
                self.no_attributes(attrs)
            item.content = RawText(self.text_of(element), self.text_type(attrs, default))

    def read_link(self, item: RawItem, element: Any, attrs: dict[str, str]) -> None:
        if "url" in attrs or "uri" in attrs:
            raise _Refused
        if "href" in attrs:
            if len(element):
                raise _Refused
            rel = attrs.get("rel", "alternate")
            kind = attrs.get("type", "application/atom+xml" if rel == "self" else "text/html")
            if rel == "alternate" and _content_type(kind) in _HTML_TYPES:
                item.link = attrs["href"]
                item.link_is_text = False
                item.link_base = self.base_of(element)
            return
        self.no_attributes(attrs)
        item.link = self.text_of(element)
        item.link_is_text = True
        item.link_base = self.base_of(element)

    def read_author(self, element: Any, attrs: dict[str, str]) -> RawAuthor:
        self.no_attributes(attrs)
        if not len(element):
            return RawAuthor(text=element.text or "")
        if (element.text or "").strip():
            raise _Refused
        author = RawAuthor()
        for child in element:
            name = self.name_of(child)
            if name is None:
                raise _Refused
            if (child.tail or "").strip():
                raise _Refused
            if name in ("name", "email"):
                if getattr(author, name) is not None:
                    raise _Refused
                self.attributes(child)
                setattr(author, name, self.text_of(child))
            elif name in ("uri", "url", "homepage"):
                self.attributes(child)
                self.text_of(child)
            else:
                self.check_harmless(child, _ENTRY_DANGER)
        return author

    # ------------------------------------------------------------------ text

    @staticmethod
    def no_attributes(attrs: dict[str, str]) -> None:
        if set(attrs) - {"xml:lang"}:
            raise _Refused

    def text_type(self, attrs: dict[str, str], default: str) -> str:
        self.known_attributes(attrs, {"type", "xml:lang"})
        kind = _content_type(attrs.get("type", default))
        if kind not in _TEXT_TYPES:
            raise _Refused  # XHTML, base64 and other types: feedparser's own ways
        return kind

    @staticmethod
    def known_attributes(attrs: dict[str, str], allowed: set[str]) -> None:
        if set(attrs) - allowed:
            raise _Refused

    @staticmethod
    def text_of(element: Any) -> str:
        """The element's character data; refused when it holds any node at all."""
        if len(element):
            raise _Refused  # markup, a comment or an entity reference inside
        return str(element.text or "")


_ROLES = {
    name: role
    for role, names in (
        ("title", _TITLE),
        ("link", _LINK),
        ("id", _ID),
        ("published", _PUBLISHED),
        ("updated", _UPDATED),
        ("summary", _SUMMARY),
        ("content", _CONTENT),
        ("author", _AUTHOR),
    )
    for name in names
}
"""Handler name -> the field it fills ('pubdate' and 'published' both fill 'published')."""

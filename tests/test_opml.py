"""OPML 2.0 import and export round-trip the feed list."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from briefing.core.config import ConfigError, load_config
from briefing.core.opml import feeds_from_opml, feeds_to_opml

OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>from another reader</title></head>
  <body>
    <outline text="Legal">
      <outline type="rss" text="Court Watch" xmlUrl="https://example.org/court.xml"/>
      <outline type="rss" text="Wire &amp; Co" title="Wire &amp; Co" xmlUrl="https://example.org/wire.xml"
               category="news,law"/>
    </outline>
    <outline type="rss" text="Music Trade" xmlUrl="https://example.org/music.xml"/>
  </body>
</opml>
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "briefing", *args], capture_output=True, text=True, cwd=cwd
    )


def test_import_reads_folders_as_tags() -> None:
    feeds = feeds_from_opml(OPML, "f.opml")
    assert [f.name for f in feeds] == ["Court Watch", "Wire & Co", "Music Trade"]
    assert feeds[0].tags == ("Legal",)
    assert feeds[1].tags == ("Legal", "news", "law")
    assert feeds[2].tags == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<opml><body><outline", "not valid OPML: XML error at line 1"),
        (b"<rss/>", "not an OPML file"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><opml><body/></opml>', "DOCTYPE is refused"),
    ],
)
def test_bad_opml_is_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        feeds_from_opml(data, "f.opml")


def test_cli_round_trip_through_opml(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text('[topic]\nname = "Case"\nkeywords = ["Anna\'s Archive"]\n', encoding="utf-8")
    source = tmp_path / "in.opml"
    source.write_bytes(OPML)

    imported = run("import-opml", str(source), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "added 3 feeds" in imported.stdout
    again = run("import-opml", str(source), cwd=tmp_path)
    assert "added 0 feeds" in again.stdout and "3 already there" in again.stdout

    names = [f.name for f in load_config(config).feeds]
    assert names == ["Court Watch", "Wire & Co", "Music Trade"]

    exported = run("export-opml", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    root = ET.fromstring(exported.stdout)
    assert root.get("version") == "2.0"
    outlines = root.findall("./body/outline")
    assert [o.get("xmlUrl") for o in outlines] == [
        "https://example.org/court.xml",
        "https://example.org/wire.xml",
        "https://example.org/music.xml",
    ]
    # and the exported file imports back to the same list
    back = feeds_from_opml(exported.stdout.encode(), "exported.opml")
    assert [(f.name, f.url) for f in back] == [(f.name, f.url) for f in load_config(config).feeds]


def test_export_of_the_shipped_list(tmp_path: Path) -> None:
    from briefing.core.config import bundled_config_path

    text = feeds_to_opml(load_config(bundled_config_path()))
    assert len(ET.fromstring(text).findall("./body/outline")) >= 12

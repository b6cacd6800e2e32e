"""OPML 2.0 import and export round-trip the feed list."""

from __future__ import annotations

import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from _cli_helpers import run_briefing

from briefing import cli
from briefing.core import opml
from briefing.core.config import ConfigError, load_config
from briefing.core.models import FeedConfig
from briefing.core.opml import feeds_from_opml, feeds_to_opml, feeds_to_toml

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
    return run_briefing(*args, cwd=cwd)


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

    planned = run("import-opml", "--dry-run", str(source), cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.count("[[feeds]]") == 3
    assert "would add 3 feeds to" in planned.stderr
    imported = run("import-opml", str(source), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "added 3 feeds" in imported.stdout
    again = run("import-opml", str(source), cwd=tmp_path)
    assert "added 0 feeds" in again.stdout and "(3 feeds already there)" in again.stdout
    nothing = run("import-opml", "--dry-run", str(source), cwd=tmp_path)
    assert nothing.stdout == "" and "would add 0 feeds" in nothing.stderr
    assert "(3 feeds already there)" in nothing.stderr

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


def opml_with(outlines: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><head/><body>'
        + outlines
        + "</body></opml>"
    ).encode("utf-8")


CONFIG = '[topic]\nname = "Case"\nkeywords = ["Anna\'s Archive"]\n'


def test_control_characters_in_names_and_tags_are_removed() -> None:
    data = opml_with(
        '<outline text="Fol\x85der"><outline text="Wi\x7fre" category="x\x7fy, news\x9b"'
        ' xmlUrl="https://example.org/w.xml"/></outline>'
    )
    (feed,) = feeds_from_opml(data, "f.opml")
    assert feed.name == "Wire"
    assert feed.tags == ("Folder", "xy", "news")


def test_toml_output_escapes_every_control_character() -> None:
    feed = FeedConfig(name="a\x7fb\x1bc", url="https://example.org/f", tags=("x\x7fy", "t\u0085"))
    text = feeds_to_toml([feed])
    assert "\x7f" not in text
    (read,) = tomllib.loads(text)["feeds"]
    assert read == {
        "name": "a\x7fb\x1bc",
        "url": "https://example.org/f",
        "tags": ["x\x7fy", "t\u0085"],
    }


@pytest.mark.parametrize(
    ("outline", "message"),
    [
        (
            '<outline text="J" xmlUrl="javascript:alert(1)"/>',
            "f.opml: outline 2 ('J'): bad url 'javascript:alert(1)'",
        ),
        ('<outline text="H" xmlUrl="https://"/>', "f.opml: outline 2 ('H'): bad url 'https://'"),
    ],
)
def test_a_bad_url_names_the_opml_file_and_the_outline(outline: str, message: str) -> None:
    data = opml_with('<outline text="Good" xmlUrl="https://example.org/g.xml"/>' + outline)
    with pytest.raises(ConfigError) as caught:
        feeds_from_opml(data, "f.opml")
    assert str(caught.value).startswith(message), caught.value


def test_cli_import_with_a_control_character_in_a_category(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(CONFIG, encoding="utf-8")
    source = tmp_path / "in.opml"
    source.write_bytes(
        opml_with('<outline text="A" category="x\x7fy" xmlUrl="https://example.org/a.xml"/>')
    )
    dry = run("import-opml", "--dry-run", str(source), cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert 'tags = ["xy"]' in dry.stdout
    result = run("import-opml", str(source), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    (feed,) = load_config(config).feeds
    assert feed.tags == ("xy",)


@pytest.mark.parametrize("dry_run", [True, False])
def test_cli_import_refuses_a_bad_url_naming_the_opml_file(tmp_path: Path, dry_run: bool) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(CONFIG, encoding="utf-8")
    source = tmp_path / "in.opml"
    source.write_bytes(opml_with('<outline text="J" xmlUrl="javascript:alert(1)"/>'))
    result = run("import-opml", *(["--dry-run"] if dry_run else []), str(source), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"briefing: error: {source}: outline 1 ('J'): bad url 'javascript:alert(1)'"
        " (only http, https, file:// or a local path)\n"
    )
    assert config.read_text(encoding="utf-8") == CONFIG


@pytest.mark.parametrize("dry_run", [True, False])
def test_cli_import_that_would_not_read_back_is_a_usage_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    dry_run: bool,
) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(CONFIG, encoding="utf-8")
    source = tmp_path / "in.opml"
    source.write_bytes(opml_with('<outline text="A" xmlUrl="https://example.org/a.xml"/>'))
    monkeypatch.setattr(opml, "feeds_to_toml", lambda feeds: 'name = "\x7f"\n')
    flags = ["--dry-run"] if dry_run else []
    code = cli.main(["--config", str(config), "import-opml", *flags, str(source)])
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "would not be valid TOML" in captured.err and "at line 5, column 9" in captured.err
    assert config.read_text(encoding="utf-8") == CONFIG


def test_round_trip_keeps_tags_and_enabled(tmp_path: Path) -> None:
    source = tmp_path / "source.toml"
    source.write_text(
        CONFIG
        + '\n[[feeds]]\nname = "Court"\nurl = "https://example.org/court.xml"\n'
        + 'tags = ["legal", "us courts"]\n'
        + '\n[[feeds]]\nname = "Paused"\nurl = "https://example.org/paused.xml"\n'
        + 'tags = ["music"]\nenabled = false\n'
        + '\n[[feeds]]\nname = "Plain"\nurl = "https://example.org/plain.xml"\n',
        encoding="utf-8",
    )
    exported = run("--config", str(source), "export-opml", "-o", "out.opml", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    printed = run("--config", str(source), "export-opml", "-o", "-", cwd=tmp_path)
    assert printed.returncode == 0 and not (tmp_path / "-").exists()  # "-" is stdout
    written = ET.fromstring((tmp_path / "out.opml").read_text(encoding="utf-8"))
    assert [o.attrib for o in ET.fromstring(printed.stdout).iter("outline")] == [
        o.attrib for o in written.iter("outline")
    ]
    target = tmp_path / "target.toml"
    target.write_text(CONFIG, encoding="utf-8")
    imported = run("--config", str(target), "import-opml", "out.opml", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr

    def described(path: Path) -> list[tuple[str, str, tuple[str, ...], bool]]:
        return [(f.name, f.url, f.tags, f.enabled) for f in load_config(path).feeds]

    assert described(target) == described(source)
    assert described(target)[1] == ("Paused", "https://example.org/paused.xml", ("music",), False)

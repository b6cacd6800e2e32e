"""The core must stay UI-free: importing it may not load Textual or Rich."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import briefing.core


def core_modules() -> list[str]:
    return [f"briefing.core.{m.name}" for m in pkgutil.iter_modules(briefing.core.__path__)]


def test_core_has_the_expected_modules() -> None:
    names = set(core_modules())
    for required in ("config", "fetch", "store", "topic", "models", "service", "textclean"):
        assert f"briefing.core.{required}" in names


def test_importing_every_core_module_loads_no_ui_library() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "ui = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(ui))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"core imported UI modules: {result.stdout.strip()}"


def test_feedparser_diskcache_pycurl_and_lxml_stay_behind_one_module_each() -> None:
    from pathlib import Path

    root = Path(briefing.core.__path__[0]).parent
    users: dict[str, set[str]] = {
        "feedparser": set(),
        "diskcache": set(),
        "pycurl": set(),
        "lxml": set(),
    }
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for library in users:
            if f"import {library}" in text or f"from {library}" in text:
                users[library].add(path.name)
    assert users["feedparser"] <= {"feedparser_.py", "feedparse.py"}
    assert users["diskcache"] == {"cachefile.py"}
    assert users["pycurl"] == {"httpclient.py"}
    assert users["lxml"] == {"fastparse.py"}


def test_a_refresh_that_parses_nothing_loads_no_parser() -> None:
    # A warm refresh (every feed answers 304) runs the CLI, the service and the feed
    # step; the parser and its imports (xml.sax, urllib.request) load only once a
    # body has to be parsed.
    code = (
        "import sys\n"
        "import briefing.cli, briefing.core.service, briefing.core.fetch as fetch\n"
        "pool = fetch._ParsePool()\n"
        "print(','.join(sorted(m for m in ('briefing.core.feedparse', 'feedparser',"
        " 'xml.sax', 'urllib.request') if m in sys.modules)))\n"
        "pool.workers\n"
        "print('briefing.core.feedparse' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    before, after = result.stdout.splitlines()
    assert before == "", f"loaded before any parse: {before}"
    assert after == "True"

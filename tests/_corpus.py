"""Where the shared feed corpus is, for the tests that read it.

The corpus (``shared/feeds-corpus``, real and malformed feeds from other
projects' test suites) is used in place and never copied into the project.
``BRIEFING_FEEDS_CORPUS`` names it; otherwise it is looked for beside the
checkout (``<checkout>/../shared/feeds-corpus``: how CI lays out a clean
clone) and then at ``/work/shared/feeds-corpus`` (this machine's copy).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV_CORPUS = "BRIEFING_FEEDS_CORPUS"
ROOT = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path | None:
    override = os.environ.get(ENV_CORPUS)
    if override:
        return Path(override)
    for candidate in (ROOT.parent / "shared" / "feeds-corpus", Path("/work/shared/feeds-corpus")):
        if (candidate / "README.md").is_file():
            return candidate
    return None


def corpus_files() -> list[Path]:
    """Every feed file of the corpus, sorted; skips the test when there is none."""
    folder = corpus_dir()
    if folder is None or not folder.is_dir():
        where = os.environ.get(ENV_CORPUS) or f"{ROOT.parent / 'shared' / 'feeds-corpus'}"
        pytest.skip(f"feed corpus not found at {where} (set {ENV_CORPUS} to its folder)")
    files = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and path.name != "README.md" and path.suffix != ".md"
    )
    if not files:
        pytest.skip(f"feed corpus at {folder} holds no files")
    return files


def content_type_for(path: Path) -> str:
    """What a server would likely say for the file; the encoding tests rely on none."""
    return "application/json" if path.suffix == ".json" else "application/xml"

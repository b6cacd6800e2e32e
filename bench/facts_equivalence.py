"""Proof that a speed change changed no fact: dump everything the engine outputs, compare dumps.

    .venv/bin/python bench/facts_equivalence.py dump OUT.json [--briefing PATH] [--sets ...]
    .venv/bin/python bench/facts_equivalence.py compare BEFORE.json AFTER.json

``dump`` writes, for each set, the ``briefing facts --json`` document (its
``generated`` stamp left out) and every article's extraction (the rows
``facts_to_cache_entry`` stores: each figure with its span, value, unit, hedge, frame
and sentence, so a change that the merge happens to hide is still seen):

* ``sample``: the bundled sample, ``briefing --demo facts --json`` through the
  installed entry point, and its articles extracted here;
* ``bench``: the 1,000 generated articles of ``bench_facts.py``, merged by
  ``build_briefing`` here (so through the worker processes of a cold run) and each
  article extracted again serially in this process;
* ``corpora``: every story of the hand-written corpora of the tests
  (``tests/facts_corpus/*.toml``), merged here and each article extracted;
* ``dev`` and ``heldout``: every story of ``bench/facts_real``, served and fetched the
  way ``run_story.sh`` does (it is run with an output folder), ``facts --json``
  through the entry point, and the fetched articles extracted here from that cache.

``compare`` prints, set by set, whether the two dumps are identical, and the first
differences for the sets one may read. For ``heldout`` it prints only how many
facts documents and articles differ, never their content: the held-out stories must
not leak into anyone's tuning. It exits 1 when any set differs (or is missing in one).

Run ``dump`` on the old code and on the new (e.g. in two worktrees, or before and
after a commit) and ``compare`` the two files. The dumps are large (tens of MB);
keep them out of the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

REAL = ROOT / "bench" / "facts_real"
SETS = ("sample", "bench", "corpora", "dev", "heldout")
PRIVATE = {"heldout"}
"""Sets whose differences are counted, never shown."""


def shared() -> Path:
    for candidate in (os.environ.get("SHARED", ""), str(ROOT.parent / "shared"), "/work/shared"):
        if candidate and (Path(candidate) / "facts-scoring" / "score_facts.py").is_file():
            return Path(candidate)
    sys.exit("facts_equivalence.py: set SHARED to the folder holding facts-scoring/ and bench/")


def facts_document(text: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(text)
    document.pop("generated", None)
    return document


def extraction(articles: list[Any]) -> dict[str, Any]:
    """Each article's facts, as the cache stores them, by article id."""
    from briefing.core.facts import extract_facts, facts_to_cache_entry

    return {
        article.id: facts_to_cache_entry(extract_facts(article), article)[0]
        for article in sorted(articles, key=lambda a: a.id)
    }


def dump_sample(briefing: str) -> dict[str, Any]:
    from briefing.core.service import open_sample

    with tempfile.TemporaryDirectory() as work:
        text = subprocess.run(
            [briefing, "--demo", "--cache-dir", work, "facts", "--json"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        service = open_sample(Path(work))
        try:
            articles = service.articles()
        finally:
            service.store.close()
    return {"facts": facts_document(text), "articles": extraction(articles)}


def dump_bench() -> dict[str, Any]:
    from bench_facts import NOW, JsonMemoryCache, generate_articles

    from briefing.core.export import briefing_to_json
    from briefing.core.facts import build_briefing, forget_remembered_facts

    articles = generate_articles(1000)
    forget_remembered_facts()
    document = briefing_to_json(
        build_briefing(articles, "Bench topic", cache=JsonMemoryCache(), now=NOW)
    )
    document.pop("generated", None)
    forget_remembered_facts()
    return {"facts": document, "articles": extraction(articles)}


def dump_corpora() -> dict[str, dict[str, Any]]:
    sys.path.insert(0, str(ROOT / "tests"))
    from _facts_helpers import load_corpus

    from briefing.core.export import briefing_to_json
    from briefing.core.facts import build_briefing, forget_remembered_facts

    out = {}
    for name in ("corpus.toml", "holdout.toml", "holdout2.toml", "audit.toml"):
        for number, story in enumerate(load_corpus(name)):
            forget_remembered_facts()
            document = briefing_to_json(build_briefing(story.articles, story.name))
            document.pop("generated", None)
            out[f"corpora/{name.removesuffix('.toml')}/{number:02d}"] = {
                "facts": document,
                "articles": extraction(story.articles),
            }
    return out


def dump_story(story: Path, briefing: str) -> dict[str, Any]:
    from briefing.core.config import load_config
    from briefing.core.service import BriefingService
    from briefing.core.store import Store

    with tempfile.TemporaryDirectory() as work:
        subprocess.run(
            ["bash", str(REAL / "run_story.sh"), str(story), work],
            env={
                **os.environ,
                "BRIEFING": briefing,
                "FACTS_SCORING": str(shared() / "facts-scoring"),
                "SHARED_BENCH": str(shared() / "bench"),
            },
            capture_output=True,  # the scorer's misses: not shown (held-out stories)
            check=False,  # a story that fails the scorer is still dumped
        )
        facts = Path(work) / "facts.json"
        if not facts.is_file() or not facts.stat().st_size:
            raise SystemExit(f"facts_equivalence.py: no facts for {story.name}")
        config = load_config(Path(work) / "feeds.toml")
        with Store(Path(work) / "cache") as store:
            articles = BriefingService(config, store).articles()
        return {"facts": facts_document(facts.read_text()), "articles": extraction(articles)}


def stories(kind: str) -> list[Path]:
    return sorted(p for p in (REAL / kind).iterdir() if (p / "expected.json").is_file())


def dump(out: Path, briefing: str, sets: list[str]) -> None:
    result: dict[str, Any] = {"sets": {}}
    for name in sets:
        began = time.perf_counter()
        if name == "sample":
            result["sets"]["sample"] = dump_sample(briefing)
        elif name == "bench":
            result["sets"]["bench"] = dump_bench()
        elif name == "corpora":
            result["sets"].update(dump_corpora())
        else:
            for story in stories(name):
                result["sets"][f"{name}/{story.name}"] = dump_story(story, briefing)
        print(f"{name}: dumped in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    out.write_text(json.dumps(result, ensure_ascii=False, sort_keys=True))
    print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MB)")


def differences(a: Any, b: Any, path: str = "") -> Iterator[str]:
    """Paths where two JSON values differ, with both sides."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                yield f"{path}/{key}: only in {'after' if key not in a else 'before'}"
            else:
                yield from differences(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield f"{path}: {len(a)} items before, {len(b)} after"
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            yield from differences(x, y, f"{path}[{index}]")
    elif a != b or type(a) is not type(b):
        yield f"{path}: {json.dumps(a)[:120]} before, {json.dumps(b)[:120]} after"


def compare(before_path: Path, after_path: Path, *, common: bool = False, shown: int = 8) -> int:
    before = json.loads(before_path.read_text())["sets"]
    after = json.loads(after_path.read_text())["sets"]
    failed = 0
    names = set(before) & set(after) if common else set(before) | set(after)
    for name in sorted(names):
        if name not in before or name not in after:
            print(f"{name}: only in {'before' if name in before else 'after'}")
            failed += 1
            continue
        old, new = before[name], after[name]
        facts_same = old["facts"] == new["facts"]
        ids = sorted(set(old["articles"]) | set(new["articles"]))
        changed = [i for i in ids if old["articles"].get(i) != new["articles"].get(i)]
        count = f"{len(old['facts']['facts'])} key facts, {len(ids)} articles"
        if facts_same and not changed:
            print(f"{name}: identical ({count})")
            continue
        failed += 1
        print(
            f"{name}: DIFFERENT: facts --json {'same' if facts_same else 'differs'}, "
            f"{len(changed)} of {len(ids)} articles' extraction differ"
        )
        if name.split("/")[0] in PRIVATE:
            continue  # counted, never shown
        lines = list(differences(old["facts"], new["facts"], "facts"))
        for article in changed:
            lines += differences(
                old["articles"].get(article), new["articles"].get(article), f"article {article}"
            )
        for line in lines[:shown]:
            print(f"    {line}")
        if len(lines) > shown:
            print(f"    ... and {len(lines) - shown} more")
    print("all sets identical" if not failed else f"{failed} set(s) differ")
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump", help="write every set's facts to a JSON file")
    dumping.add_argument("out", type=Path)
    dumping.add_argument("--briefing", default=str(ROOT / ".venv" / "bin" / "briefing"))
    dumping.add_argument("--sets", default=",".join(SETS), help=f"comma-separated: {SETS}")
    comparing = commands.add_parser("compare", help="compare two dumps; exit 1 if they differ")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    comparing.add_argument(
        "--common", action="store_true", help="compare only the sets both dumps hold"
    )
    args = parser.parse_args()
    if args.command == "dump":
        wanted = [name for name in args.sets.split(",") if name]
        unknown = set(wanted) - set(SETS)
        if unknown:
            parser.error(f"unknown sets: {sorted(unknown)}")
        dump(args.out, args.briefing, wanted)
    else:
        sys.exit(compare(args.before, args.after, common=args.common))


if __name__ == "__main__":
    main()

"""Accuracy of the key facts, the way the evaluation measures it, on real coverage.

    .venv/bin/python bench/facts_accuracy.py [--briefing PATH] [--only dev|heldout|sample]

Three sets, each scored by the shared scorer (../shared/facts-scoring/score_facts.py)
from `briefing facts --json` alone, after the README's "Running it" procedure (the
story's articles served as feeds on 127.0.0.1, `briefing fetch --no-full-text`,
`briefing facts --json`):

* dev: bench/facts_real/dev/ (real coverage the rules were tuned on);
* held out: bench/facts_real/heldout/ (real coverage set aside before any rule changed,
  built by someone who did not write the rules; never tuned on). Only its summary
  lines are printed, never its misses, so reading this output cannot tune on it;
* sample: the bundled, fictional sample (`briefing --demo facts --json`) against
  bench/facts_sample_expected.json.

`--no-full-text` is the evaluation's own procedure (the stories' links point nowhere);
it changes nothing here, since every article's text is in its feed.

The figure finder's accuracy on the hand-written corpora (tests/facts_corpus) is
printed too: that part of the engine is scored figure by figure.

Targets (issue 10): on the held-out stories and on the shipped case, recall of the key
figures with their sources >= 0.9, disagreements flagged >= 0.9, different quantities
kept apart >= 0.9, and at least 9 of the top 10 facts key figures.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "bench" / "facts_real"
SAMPLE_EXPECTED = ROOT / "bench" / "facts_sample_expected.json"
SUMMARY = re.compile(
    r"recall (?P<recall>[\d.]+) \((?P<found>\d+)/(?P<present>\d+)\); differs flagged "
    r"(?P<flagged>\d+)/(?P<differs>\d+); kept apart (?P<apart>\d+)/(?P<pairs>\d+); "
    r"off-topic leaks (?P<leaks>\d+); top-10 precision (?P<top>[\d.]+)"
)


def shared() -> Path:
    for candidate in (os.environ.get("SHARED", ""), str(ROOT.parent / "shared"), "/work/shared"):
        if candidate and (Path(candidate) / "facts-scoring" / "score_facts.py").is_file():
            return Path(candidate)
    sys.exit("facts_accuracy.py: set SHARED to the folder holding facts-scoring/ and bench/")


def score_dev(briefing: str) -> list[tuple[str, str]]:
    lines = []
    for story in sorted(p for p in (REAL / "dev").iterdir() if (p / "expected.json").is_file()):
        result = subprocess.run(
            ["bash", str(REAL / "run_story.sh"), str(story)],
            env={
                **os.environ,
                "BRIEFING": briefing,
                "FACTS_SCORING": str(shared() / "facts-scoring"),
                "SHARED_BENCH": str(shared() / "bench"),
            },
            capture_output=True,
            text=True,
            check=False,
        )
        summary = next(
            (line for line in result.stdout.splitlines() if line.startswith("facts:")), ""
        )
        lines.append((story.name, summary or f"failed: {result.stderr.strip()[-200:]}"))
    return lines


def score_heldout(briefing: str) -> list[tuple[str, str]]:
    result = subprocess.run(
        ["bash", str(REAL / "heldout" / "score_all.sh"), briefing],
        env={**os.environ, "SHARED": str(shared())},
        capture_output=True,
        text=True,
        check=False,
    )
    lines = []
    for line in result.stdout.splitlines():
        name, _, rest = line.partition(": ")
        lines.append((name, rest.split(" | ")[0]))
    return lines


def score_sample(briefing: str) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as work:
        facts = subprocess.run(
            [briefing, "--demo", "--cache-dir", work, "facts", "--json"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        path = Path(work) / "facts.json"
        path.write_text(facts)
        scored = subprocess.run(
            [sys.executable, str(shared() / "facts-scoring" / "score_facts.py"), str(path),
             str(SAMPLE_EXPECTED)],
            capture_output=True, text=True, check=False,
        ).stdout  # fmt: skip
    summary = next((line for line in scored.splitlines() if line.startswith("facts:")), "")
    return [("bundled sample", summary)]


def totals(lines: list[tuple[str, str]]) -> str:
    sums = dict.fromkeys(("found", "present", "flagged", "differs", "apart", "pairs", "leaks"), 0)
    tops = []
    for _name, summary in lines:
        match = SUMMARY.search(summary)
        if match is None:
            continue
        for key in sums:
            sums[key] += int(match.group(key))
        tops.append(float(match.group("top")))

    def share(a: str, b: str) -> str:
        return f"{sums[a] / sums[b]:.2f} ({sums[a]}/{sums[b]})" if sums[b] else "-"

    top = sum(tops) / len(tops) if tops else 0.0
    return (
        f"recall {share('found', 'present')}; differs flagged {share('flagged', 'differs')}; "
        f"kept apart {share('apart', 'pairs')}; leaks {sums['leaks']}; mean top-10 {top:.2f}"
    )


def figure_finder() -> list[str]:
    sys.path.insert(0, str(ROOT / "tests"))
    from _facts_helpers import load_corpus, load_sample_story, score_figures

    out = []
    for name in ("corpus.toml", "holdout.toml", "holdout2.toml", "audit.toml"):
        score = score_figures(load_corpus(name))
        out.append(f"{name:<16} precision {score.precision:.3f}  recall {score.recall:.3f}")
    score = score_figures([load_sample_story()])
    out.append(f"{'sample':<16} precision {score.precision:.3f}  recall {score.recall:.3f}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--briefing", default=str(ROOT / ".venv" / "bin" / "briefing"))
    parser.add_argument("--only", choices=("dev", "heldout", "sample", "figures"))
    args = parser.parse_args()
    sets = {
        "dev (tuned on)": score_dev,
        "held out (never tuned on)": score_heldout,
        "shipped sample": score_sample,
    }
    wanted = {"dev": "dev (tuned on)", "heldout": "held out (never tuned on)",
              "sample": "shipped sample"}  # fmt: skip
    for title, scorer in sets.items():
        if args.only and wanted.get(args.only) != title:
            continue
        lines = scorer(args.briefing)
        print(f"== {title}")
        for name, summary in lines:
            print(f"  {name:<40} {summary}")
        if len(lines) > 1:
            print(f"  {'all':<40} {totals(lines)}")
        print()
    if args.only in (None, "figures"):
        print("== figure finder, hand-written corpora (figure by figure)")
        for line in figure_finder():
            print(f"  {line}")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Score briefing's key facts on one story folder of real coverage, the way the
# evaluation does (../shared/facts-scoring/README.md, "Running it").
#
#   bench/facts_real/run_story.sh STORY_DIR [OUT_DIR]
#
# STORY_DIR holds topic.toml, articles/*.txt and expected.json. OUT_DIR (default: a new
# temporary directory) receives the feeds, feeds.toml, the cache, facts.json and
# articles.json. Uses the `briefing` on PATH, or $BRIEFING when set (for example
# BRIEFING=.venv/bin/briefing). The scripts come from $FACTS_SCORING (default
# /work/shared/facts-scoring) and $SHARED_BENCH (default /work/shared/bench).
# Prints the articles that the topic filter dropped, every miss of the scorer and its
# summary line; exits with the scorer's status (0 only when the story passes).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 STORY_DIR [OUT_DIR]" >&2
    exit 2
fi
[[ -d $1 ]] || { echo "not a story folder: $1" >&2; exit 2; }
story=$(cd "$1" && pwd)
out=${2:-$(mktemp -d "${TMPDIR:-/tmp}/facts-real.XXXXXX")}
mkdir -p "$out"
out=$(cd "$out" && pwd)
scoring=${FACTS_SCORING:-/work/shared/facts-scoring}
shared_bench=${SHARED_BENCH:-/work/shared/bench}
briefing=${BRIEFING:-briefing}
for need in "$story/topic.toml" "$story/expected.json" "$scoring/build_feeds.py" \
    "$scoring/score_facts.py" "$shared_bench/serve.py"; do
    [[ -f $need ]] || { echo "missing: $need" >&2; exit 2; }
done
command -v "$briefing" >/dev/null || { echo "no briefing command: $briefing" >&2; exit 2; }

echo "story: $(basename "$story")  out: $out"
python3 "$scoring/build_feeds.py" --topic "$story/topic.toml" "$out" http://127.0.0.1:1 \
    "$story"/articles/*.txt

rm -f "$out/port"
python3 "$shared_bench/serve.py" "$out" --port-file "$out/port" --max-seconds 300 \
    >"$out/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    [[ -s $out/port ]] && break
    sleep 0.1
done
[[ -s $out/port ]] || { echo "feed server did not start (see $out/serve.log)" >&2; exit 2; }
sed -i "s#http://127.0.0.1:1/#http://127.0.0.1:$(cat "$out/port")/#" "$out/feeds.toml"

"$briefing" --config "$out/feeds.toml" --cache-dir "$out/cache" fetch --no-full-text
"$briefing" --config "$out/feeds.toml" --cache-dir "$out/cache" facts --json >"$out/facts.json"
# `articles --json` lists the on-topic articles only, one JSON object a line.
"$briefing" --config "$out/feeds.toml" --cache-dir "$out/cache" articles --json \
    >"$out/articles.json"

# Every article of the story should be on topic, and none of the off-topic noise.
python3 - "$story" "$out/articles.json" <<'PY'
import json, re, sys
from pathlib import Path

story = Path(sys.argv[1])
rows = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8") if line.strip()]
links = {row.get("link") for row in rows}
urls = []
for path in sorted((story / "articles").glob("*.txt")):
    m = re.search(r"^url:\s*(\S+)", path.read_text(encoding="utf-8"), re.M)
    urls.append((path.name, m.group(1) if m else None))
dropped = [name for name, url in urls if url not in links]
noise = sorted(link for link in links if link and "example.org/local/" in link)
print(f"on topic: {len(urls) - len(dropped)}/{len(urls)} articles; off-topic kept: {len(noise)}")
for name in dropped:
    print(f"  not on topic: {name}")
for link in noise:
    print(f"  off-topic article kept: {link}")
PY

python3 "$scoring/score_facts.py" "$out/facts.json" "$story/expected.json"

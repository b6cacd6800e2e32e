#!/usr/bin/env bash
# Score briefing's key facts on every held-out story, printing one line per story and nothing
# else: no misses, no figures, no article text (the held-out set must not leak into tuning).
#
#   bench/facts_real/heldout/score_all.sh [BRIEFING] [STORY_DIR...]
#
# BRIEFING: the briefing executable to score (default: `briefing` on PATH).
# STORY_DIR: story folders to score (default: every folder here holding an expected.json).
# SHARED: where facts-scoring/ and bench/ live (default: ../shared next to the checkout,
#         else /work/shared).
#
# For each story it runs the procedure of facts-scoring/README.md ("Running it"): build the
# feeds (with the three off-topic articles), serve them on a free loopback port, `fetch
# --no-full-text`, `facts --json`, score_facts.py. It also counts the on-topic articles
# (`articles --json`) against the story's article files. Each line reads
#
#   <story>: facts: recall ... ; ... ; facts N | on topic A/B
#
# The exit status is 0 only when every story passes the scorer and every article is on topic.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
briefing="${1:-briefing}"
[ $# -gt 0 ] && shift
if ! command -v "$briefing" >/dev/null 2>&1; then
    echo "score_all.sh: no briefing executable at '$briefing'" >&2
    exit 2
fi
briefing="$(command -v "$briefing")"
shared="${SHARED:-}"
if [ -z "$shared" ]; then
    for candidate in "$repo/../shared" /work/shared; do
        if [ -f "$candidate/facts-scoring/score_facts.py" ]; then shared="$candidate"; break; fi
    done
fi
if [ ! -f "${shared:-.}/facts-scoring/score_facts.py" ] || [ ! -f "$shared/bench/serve.py" ]; then
    echo "score_all.sh: set SHARED to the folder holding facts-scoring/ and bench/" >&2
    exit 2
fi

stories=("$@")
if [ ${#stories[@]} -eq 0 ]; then
    for d in "$here"/*/; do
        [ -f "$d/expected.json" ] && stories+=("${d%/}")
    done
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT

status=0
for story in "${stories[@]}"; do
    story="${story%/}"
    name="$(basename "$story")"
    out="$work/$name"
    files=("$story"/articles/*.txt)
    if ! python3 "$shared/facts-scoring/build_feeds.py" --topic "$story/topic.toml" "$out" \
            http://127.0.0.1:1 "${files[@]}" >/dev/null 2>"$work/err"; then
        echo "$name: could not build the feeds"; status=1; continue
    fi
    python3 "$shared/bench/serve.py" "$out" --port-file "$out/port" --max-seconds 300 \
        >/dev/null 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do [ -s "$out/port" ] && break; sleep 0.1; done
    if [ ! -s "$out/port" ]; then
        echo "$name: the feed server did not start"; status=1
        kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; server_pid=""; continue
    fi
    sed -i "s#http://127.0.0.1:1#http://127.0.0.1:$(cat "$out/port")#" "$out/feeds.toml"
    run=("$briefing" --config "$out/feeds.toml" --cache-dir "$out/cache")
    if ! "${run[@]}" fetch --no-full-text >/dev/null 2>&1; then
        echo "$name: fetch failed"; status=1
    fi
    "${run[@]}" facts --json >"$out/facts.json" 2>/dev/null
    on_topic="$("${run[@]}" articles --json 2>/dev/null | grep -c '"id"')"
    kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; server_pid=""
    summary="$(python3 "$shared/facts-scoring/score_facts.py" "$out/facts.json" "$story/expected.json" 2>/dev/null)"
    scored=$?
    line="$(printf '%s\n' "$summary" | grep '^facts:' | tail -n 1)"
    [ -n "$line" ] || line="facts: could not be scored"
    echo "$name: $line | on topic $on_topic/${#files[@]}"
    if [ "$scored" -ne 0 ] || [ "$on_topic" -ne "${#files[@]}" ]; then status=1; fi
done
exit $status

#!/bin/sh
# Runs a libFuzzer target of pmap-glib for PMAP_FUZZ_SECONDS seconds (5
# unless set) on its seed corpus.
#
#   run-fuzz-target.sh TARGET SEEDS WORK [LIBFUZZER-OPTION…]
#
# What it finds goes to WORK: new inputs to WORK/corpus, never to the seed
# folder of the source tree, and a crashing, leaking or slow input to
# WORK/artifacts, which the target runs alone to reproduce it:
# TARGET WORK/artifacts/crash-...
set -eu

target=$1
seeds=$2
work=$3
shift 3

mkdir -p "$work/corpus" "$work/artifacts"

# -timeout: an input that takes 10 seconds counts as a hang.
exec "$target" \
  -max_total_time="${PMAP_FUZZ_SECONDS:-5}" \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" \
  "$@" "$work/corpus" "$seeds"

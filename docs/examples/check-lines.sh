#!/bin/sh
# check-lines.sh PATTERNS PROGRAM [ARGUMENT…]: runs PROGRAM and fails unless
# it exits with status 0 and prints one line per line of PATTERNS, each
# matching its pattern (an extended regular expression, anchored at both
# ends). For programs whose lines hold timings that no test may assert.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

patterns=$1
shift

if ! actual=$("$@"); then
  echo "$1 failed" >&2
  exit 1
fi

n_patterns=$(wc -l < "$patterns")
n_lines=$(printf '%s\n' "$actual" | wc -l)
failed=0

if [ "$n_lines" -ne "$n_patterns" ]; then
  echo "$1 printed $n_lines lines instead of $n_patterns" >&2
  failed=1
fi

i=0
while IFS= read -r pattern; do
  i=$((i + 1))
  line=$(printf '%s\n' "$actual" | sed -n "${i}p")
  if ! printf '%s\n' "$line" | grep -Eq "^${pattern}\$"; then
    printf 'line %d:   %s\ndoes not match: %s\n' "$i" "$line" "$pattern" >&2
    failed=1
  fi
done < "$patterns"

if [ "$failed" -ne 0 ]; then
  printf '%s printed:\n%s\n' "$1" "$actual" >&2
fi
exit "$failed"

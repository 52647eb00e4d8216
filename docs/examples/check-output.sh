#!/bin/sh
# check-output.sh EXPECTED PROGRAM [ARGUMENT…]: runs PROGRAM and fails
# unless it exits with status 0 and prints exactly the lines of EXPECTED.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

expected=$1
shift

if ! actual=$("$@"); then
  echo "$1 failed" >&2
  exit 1
fi

if ! printf '%s\n' "$actual" | diff -u "$expected" -; then
  echo "$1 printed other lines than $expected" >&2
  exit 1
fi

#!/usr/bin/env python3
# squares.py: square ten numbers on two threads with pmap-glib
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import gi
gi.require_version('Pmap', '1.0')
from gi.repository import GLib, Pmap


def square(item):
    x = item.get_int64()
    return GLib.Variant('x', x * x)


executor = Pmap.Executor(n_jobs=2)
try:
    results = executor.map([GLib.Variant('x', i) for i in range(10)], square)
except GLib.Error as error:
    # A Python exception in square() arrives here too, with its traceback.
    raise SystemExit(f'The map failed: {error.message}')

for i, result in enumerate(results):
    print(f'square({i}) = {result.get_int64()}')

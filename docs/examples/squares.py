#!/usr/bin/env python3
# squares.py: square ten numbers on two threads with pmap-glib
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import gi
gi.require_version('Pmap', '1.0')
from gi.repository import GLib, Pmap


def square(x):
    return x * x


executor = Pmap.Executor(n_jobs=2, backend='threads')
try:
    results = executor.map(range(10), square)
except GLib.Error as error:
    # An error of pmap-glib's own; an exception that square() raises is
    # raised here as itself, with a note naming the call.
    raise SystemExit(f'The map failed: {error.message}')

for i, result in enumerate(results):
    print(f'square({i}) = {result}')

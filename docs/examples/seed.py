#!/usr/bin/env python3
# seed.py: joblib's example “Serialization of un-picklable objects”, step by
# step, with pmap-glib from Python; docs/python.md walks through it
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import time

import gi
gi.require_version('Pmap', '1.0')
from gi.repository import GLib, Pmap  # noqa: E402

delayed = Pmap.delayed


# A function of the main script: pickle cannot carry it, since a worker
# process does not import the script; cloudpickle, the default, can.
def func_async(i, *args):
    return 2 * i


# Step 1: a function of the main script, on 2 worker processes.
executor = Pmap.Executor(n_jobs=2, backend='processes')
print(executor(delayed(func_async)(21) for _ in range(1))[0])

# Step 2: the same with a large argument, timed.
large_list = list(range(1_000_000))

t_start = time.time()
result = executor(delayed(func_async)(21, large_list) for _ in range(1))[0]
print(f'With processes backend and cloudpickle serialization: '
      f'{time.time() - t_start:.3f}s (result {result})')

# Step 3: joblib falls back to the multiprocessing backend here; a thread
# needs no serialization at all (the GIL serializes Python code, though).
with Pmap.parallel_config(backend='threads', n_jobs=2):
    t_start = time.time()
    result = Pmap.Executor()(delayed(func_async)(21, large_list) for _ in range(1))[0]
    print(f'With threads backend and no serialization: '
          f'{time.time() - t_start:.3f}s (result {result})')

# Step 4: the fast serializer, pickle, as LOKY_PICKLER=pickle, or
# PMAP_SERIALIZER=pickle. It carries functions by reference: `id` it can,
# func_async it cannot.
fast = Pmap.Executor(n_jobs=2, backend='processes', serializer='pickle')
t_start = time.time()
fast(delayed(id)(large_list) for _ in range(1))
print(f'With pickle serialization: {time.time() - t_start:.3f}s')

try:
    fast(delayed(func_async)(21, large_list) for _ in range(1))
except GLib.Error as error:
    if not error.matches(Pmap.error_quark(), Pmap.Error.NOT_SERIALIZABLE):
        raise
    print(f'Refused with Pmap.Error.NOT_SERIALIZABLE: {error.message}')
else:
    raise SystemExit('The pickle serializer should have refused func_async')


# Step 5: the wrapper makes func_async alone travel by value, while the
# large argument keeps the fast serializer.
@delayed
@Pmap.wrap_non_picklable_objects
def func_async_wrapped(i, *args):
    return 2 * i


t_start = time.time()
result = fast(func_async_wrapped(21, large_list) for _ in range(1))[0]
print(f'With pickle serialization and wrapper: '
      f'{time.time() - t_start:.3f}s (result {result})')

executor.get_backend().shutdown()
fast.get_backend().shutdown()

# bench-python-cpu.py: the CPU time of one Python call in pmap-glib's
# workers, in loky's and in a loop
#
# bench-python.py times whole maps of the anchors' spin(). This times each
# call from inside the process that makes it (the CPU time of its thread),
# so that how fast a worker runs the same code is seen apart from how the
# calls reach it: for spin() and for other CPU-bound loops, each made by
# pmap-glib's processes backend, by joblib's loky backend and by a loop in
# this process, in turns, in one run. The last two rows split spin()'s
# calls by their place in a task of three.
#
# Run with `meson test --benchmark python-cpu`, or by hand with the
# environment of the bindings tests. ROUNDS sets the number of turns
# (default 4). docs/benchmarks.md reads the figures.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import runpy
import statistics
import time

import gi
gi.require_version('Pmap', '1.0')
from gi.repository import Pmap  # noqa: E402

from joblib import Parallel, delayed  # noqa: E402

ROUNDS = int(os.environ.get('ROUNDS', '4'))
N_JOBS = 2
CALLS = 4


# The anchors' spin(), as bench-python.py and bench-processes-joblib.py run it.
spin = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                   'bench-processes-joblib.py'))['spin']


def float_recurrence(n):
    x = 0.0
    for k in range(n):
        x = x * 0.999 + k * 0.5
    return x


def pairs(n):
    total = 0
    for k in range(n):
        pair = (k, k + 1)
        total += pair[1]
    return total


def big_sum(n):
    s = 1 << 70
    for k in range(n):
        s += k
    return s


def strings(n):
    total = 0
    for k in range(n // 4):
        total += len(str(k) + 'x')
    return total


def timed(func, n, times=1):
    """func(@n), and the CPU time of each of @times calls of it, in this
    thread."""
    spent = []
    for _ in range(times):
        start = time.thread_time()
        result = func(n)
        spent.append(time.thread_time() - start)
    return result, spent


WORKLOADS = [
    ('spin(2e6), the anchors\'', spin, 2_000_000),
    ('float recurrence', float_recurrence, 1_500_000),
    ('tuples', pairs, 1_500_000),
    ('big-int sum', big_sum, 1_500_000),
    ('strings', strings, 1_500_000),
]


def measure(executor, parallel, func, n, times):
    """Per side, the CPU times of calls of func(@n), each task making
    @times of them: ROUNDS turns of CALLS tasks per side, after one
    unmeasured turn."""
    sides = {
        'pmap-glib': lambda: executor([Pmap.delayed(timed)(func, n, times)
                                       for _ in range(CALLS)]),
        'loky': lambda: parallel(delayed(timed)(func, n, times) for _ in range(CALLS)),
        'loop': lambda: [timed(func, n, times) for _ in range(CALLS // 2)],
    }
    expected = func(n)
    spent = {side: [] for side in sides}
    for turn in range(ROUNDS + 1):
        for side, run in sides.items():
            tasks = run()
            if any(result != expected for result, _ in tasks):
                raise SystemExit(f'{side} returned a wrong result for {func.__name__}')
            if turn > 0:
                spent[side] += [times for _, times in tasks]
    return spent


def main():
    executor = Pmap.Executor(n_jobs=N_JOBS, backend='processes')
    parallel = Parallel(n_jobs=N_JOBS, backend='loky')

    def row(label, spent):
        ms = {side: statistics.median(values) * 1e3 for side, values in spent.items()}
        print(f'{label:42s} {ms["pmap-glib"]:9.1f} ms {ms["loky"]:9.1f} ms '
              f'{ms["loop"]:9.1f} ms {ms["pmap-glib"] / ms["loky"]:9.3f}')

    print(f'CPU time of one call, medians over {ROUNDS} turns, {N_JOBS} jobs\n')
    print(f'{"call":42s} {"pmap-glib":>12s} {"loky":>12s} {"loop":>12s} {"pmap/loky":>9s}')
    for label, func, n in WORKLOADS:
        spent = measure(executor, parallel, func, n, 1)
        row(label, {side: [t[0] for t in tasks] for side, tasks in spent.items()})
    spent = measure(executor, parallel, spin, 2_000_000, 3)
    row('spin(2e6), 1st call of a task of 3',
        {side: [t[0] for t in tasks] for side, tasks in spent.items()})
    row('spin(2e6), 2nd and 3rd calls of a task of 3',
        {side: [x for t in tasks for x in t[1:]] for side, tasks in spent.items()})


if __name__ == '__main__':
    main()

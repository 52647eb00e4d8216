# bench-processes-joblib.py: the peer half of bench-processes.c, joblib on
# the same workloads as pmap-glib's processes backend (after
# joblib_anchor.py, the anchors' script), run with Debian's python3-joblib.
#
#   bench-processes-joblib.py [--backend loky|multiprocessing|threading] [--json FILE]
#
# Prints one line per workload, “NAME SECONDS”, SECONDS being the median of
# REPS runs (default 9) after one unmeasured run. bench-processes.c reads
# these lines; --json also writes every run's time to FILE, for
# bench-report.py. The backend is loky unless --backend says otherwise.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import argparse
import json
import os
import statistics
import time

from joblib import Parallel, delayed, parallel_backend
from joblib.externals.loky import get_reusable_executor

REPS = int(os.environ.get('REPS', '9'))
N_JOBS = 2
N_TINY = 10_000
N_SPIN = 2_000_000


def double(i, *args):
    return 2 * i


def spin(n):
    s = 0
    for k in range(n):
        s += k * k
    return s


def measure(run, check):
    run()  # unmeasured, as on pmap-glib's side: the allocators settle
    times = []
    for _ in range(REPS):
        start = time.perf_counter()
        results = run()
        times.append(time.perf_counter() - start)
        if not check(results):
            raise SystemExit(f'joblib returned a wrong result: {results[:3]}…')
    return times


def cold():
    # A fresh pool each time: loky reuses its workers, so kill them first.
    get_reusable_executor(max_workers=N_JOBS, kill_workers=True).shutdown(wait=True)
    return Parallel()(delayed(double)(1) for _ in range(2))


def workloads(backend):
    """(key, run, check) of each workload that @backend runs."""
    big_list = list(range(1_000_000))
    big_bytes = os.urandom(8 << 20)
    spin_result = spin(N_SPIN)
    # loky keeps its workers from one call to the next, unless told not to;
    # multiprocessing starts a pool for every call, so each of its runs is
    # a cold start already, and threading has no start to speak of.
    if backend == 'loky':
        yield 'cold', cold, lambda r: r == [2, 2]
    yield ('tiny-10000', lambda: Parallel()(delayed(double)(i) for i in range(N_TINY)),
           lambda r: r == [2 * i for i in range(N_TINY)])
    yield ('large', lambda: Parallel()(delayed(double)(21, big_list) for _ in range(1)),
           lambda r: r == [42])
    yield ('bytes', lambda: Parallel()(delayed(double)(21, big_bytes) for _ in range(2)),
           lambda r: r == [42, 42])
    yield ('cpu-python', lambda: Parallel()(delayed(spin)(N_SPIN) for _ in range(8)),
           lambda r: r == [spin_result] * 8)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--backend', default='loky',
                        choices=['loky', 'multiprocessing', 'threading'])
    parser.add_argument('--json', metavar='FILE')
    args = parser.parse_args()

    measurements = []
    with parallel_backend(args.backend, n_jobs=N_JOBS):
        for key, run, check in workloads(args.backend):
            times = measure(run, check)
            print(key, statistics.median(times), flush=True)
            measurements.append({'workload': key, 'implementation': f'joblib {args.backend}',
                                 'median_s': statistics.median(times), 'runs': len(times),
                                 'seconds': times})

    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'benchmark': f'joblib {args.backend}', 'measurements': measurements},
                      f, indent=1)


if __name__ == '__main__':
    main()

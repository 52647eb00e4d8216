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


def measure(run, check, who='joblib'):
    """The times of REPS runs of @run, after one unmeasured run, each result
    checked with @check; @who names the side in the error."""
    run()  # unmeasured, as on pmap-glib's side: the allocators settle
    times = []
    for _ in range(REPS):
        start = time.perf_counter()
        results = run()
        times.append(time.perf_counter() - start)
        if not check(results):
            raise SystemExit(f'{who} returned a wrong result: {results[:3]}…')
    return times


def restart_loky():
    """A fresh pool for the next call: loky reuses its workers, so kill
    them first."""
    get_reusable_executor(max_workers=N_JOBS, kill_workers=True).shutdown(wait=True)


def workloads(make_call=delayed):
    """(key, calls, check, cold) of each workload: calls() makes the
    workload's calls with @make_call, joblib's delayed() or pmap-glib's
    Pmap.delayed() (bench-python.py), (function, args, kwargs) triples that
    either side runs; a cold workload starts from no worker, which the side
    that runs it must see to."""
    big_list = list(range(1_000_000))
    big_bytes = os.urandom(8 << 20)
    spin_result = spin(N_SPIN)
    yield ('cold', lambda: (make_call(double)(1) for _ in range(2)),
           lambda r: r == [2, 2], True)
    yield ('tiny-10000', lambda: (make_call(double)(i) for i in range(N_TINY)),
           lambda r: r == [2 * i for i in range(N_TINY)], False)
    yield ('large', lambda: (make_call(double)(21, big_list) for _ in range(1)),
           lambda r: r == [42], False)
    yield ('bytes', lambda: (make_call(double)(21, big_bytes) for _ in range(2)),
           lambda r: r == [42, 42], False)
    yield ('cpu-python', lambda: (make_call(spin)(N_SPIN) for _ in range(8)),
           lambda r: r == [spin_result] * 8, False)


def joblib_run(calls, cold):
    """What one run of a workload is on joblib's side."""
    if cold:
        return lambda: (restart_loky(), Parallel()(calls()))[1]
    return lambda: Parallel()(calls())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--backend', default='loky',
                        choices=['loky', 'multiprocessing', 'threading'])
    parser.add_argument('--json', metavar='FILE')
    args = parser.parse_args()

    measurements = []
    with parallel_backend(args.backend, n_jobs=N_JOBS):
        for key, calls, check, cold in workloads():
            # multiprocessing starts a pool for every call, so each of its
            # runs is a cold start already, and threading has no start to
            # speak of: only loky's cold start is measured.
            if cold and args.backend != 'loky':
                continue
            times = measure(joblib_run(calls, cold), check)
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

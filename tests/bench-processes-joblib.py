# bench-processes-joblib.py: the peer half of bench-processes.c, joblib's
# loky backend on the same workloads as pmap-glib's processes backend
# (after joblib_anchor.py, the anchors' script), run with Debian's
# python3-joblib.
#
# Prints one line per workload, “NAME SECONDS”, SECONDS being the median of
# REPS runs (default 9) after one unmeasured run. bench-processes.c reads these lines.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import statistics
import time

from joblib import Parallel, delayed, parallel_backend
from joblib.externals.loky import get_reusable_executor

REPS = int(os.environ.get('REPS', '9'))
N_JOBS = 2


def double(i, *args):
    return 2 * i


def median(run, check):
    run()  # unmeasured, as on pmap-glib's side: the allocators settle
    times = []
    for _ in range(REPS):
        start = time.perf_counter()
        results = run()
        times.append(time.perf_counter() - start)
        if not check(results):
            raise SystemExit(f'joblib returned a wrong result: {results[:3]}…')
    return statistics.median(times)


def cold():
    # A fresh pool each time: loky reuses its workers, so kill them first.
    get_reusable_executor(max_workers=N_JOBS, kill_workers=True).shutdown(wait=True)
    return Parallel()(delayed(double)(1) for _ in range(2))


def main():
    big_list = list(range(1_000_000))
    with parallel_backend('loky', n_jobs=N_JOBS):
        print('cold', median(cold, lambda r: r == [2, 2]))
        print('tiny', median(lambda: Parallel()(delayed(double)(i) for i in range(10000)),
                             lambda r: r == [2 * i for i in range(10000)]))
        print('large', median(lambda: Parallel()(delayed(double)(21, big_list) for _ in range(1)),
                              lambda r: r == [42]))


if __name__ == '__main__':
    main()

# bench-python.py: pmap-glib's Python workers against joblib's loky backend
#
# Runs the same Python workloads (after the anchors' joblib_anchor.py)
# through pmap-glib's processes backend, whose workers are this Python
# interpreter, and through joblib's loky backend, in the same run (each in
# processes of its own, in turns), and prints each workload's medians and
# their ratio against the target. Times drift from run to run on shared machines; ratios measured
# in one run do not.
#
# Run with `meson test --benchmark`, or by hand with the environment of the
# bindings tests. REPS sets the number of measured runs (default 9);
# `--json FILE` also writes every run's time to FILE, for bench-report.py.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import json
import os
import statistics
import subprocess
import sys
import time

import gi
gi.require_version('Pmap', '1.0')
from gi.repository import Pmap  # noqa: E402

from joblib import Parallel, delayed, parallel_backend  # noqa: E402
from joblib.externals.loky import get_reusable_executor  # noqa: E402


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


def measure(runs, checks):
    """The times of REPS runs of each workload of @runs, a dict from a
    workload to its run, after one unmeasured run, checking every result
    with the workload's check in @checks."""
    times = {}
    for key, run in runs.items():
        times[key] = []
        for turn in range(REPS + 1):
            start = time.perf_counter()
            results = run()
            elapsed = time.perf_counter() - start
            if not checks[key](results):
                raise SystemExit(f'{key} returned wrong results: {results[:3]}…')
            if turn > 0:
                times[key].append(elapsed)
    return times


def pmap_workloads(big_list, big_bytes):
    executor = Pmap.Executor(n_jobs=N_JOBS, backend='processes')
    backend = executor.get_backend()

    def cold():
        # A fresh pool each time, as loky's side kills its workers.
        backend.shutdown()
        return executor(Pmap.delayed(double)(1) for _ in range(2))

    return {
        'cold': cold,
        'tiny': lambda: executor(Pmap.delayed(double)(i) for i in range(N_TINY)),
        'large': lambda: executor(Pmap.delayed(double)(21, big_list) for _ in range(1)),
        'bytes': lambda: executor(Pmap.delayed(double)(21, big_bytes) for _ in range(2)),
        'cpu': lambda: executor(Pmap.delayed(spin)(N_SPIN) for _ in range(8)),
    }


def loky_workloads(big_list, big_bytes):
    def cold():
        get_reusable_executor(max_workers=N_JOBS, kill_workers=True).shutdown(wait=True)
        return Parallel()(delayed(double)(1) for _ in range(2))

    return {
        'cold': cold,
        'tiny': lambda: Parallel()(delayed(double)(i) for i in range(N_TINY)),
        'large': lambda: Parallel()(delayed(double)(21, big_list) for _ in range(1)),
        'bytes': lambda: Parallel()(delayed(double)(21, big_bytes) for _ in range(2)),
        'cpu': lambda: Parallel()(delayed(spin)(N_SPIN) for _ in range(8)),
    }


spin_result = spin(N_SPIN)

# (key, label, the largest pmap/loky ratio that meets the target, if any)
WORKLOADS = [
    ('cold', 'cold start of 2 workers + 2 tiny tasks', 0.5),
    ('tiny', f'{N_TINY:,} tiny tasks', 0.5),
    ('large', '1 task with a 1,000,000-element list', 0.5),
    ('bytes', '2 tasks with an 8 MiB bytes argument', None),
    ('cpu', '8 CPU-bound tasks on 2 jobs', 1.1),
]


CHECKS = {
    'cold': lambda r: r == [2, 2],
    'tiny': lambda r: r == [2 * i for i in range(N_TINY)],
    'large': lambda r: r == [42],
    'bytes': lambda r: r == [42, 42],
    'cpu': lambda r: r == [spin_result] * 8,
}


def measure_side(side):
    """Measures one side, in a process of its own: the other side's idle
    workers and threads would weigh on it."""
    big_list = list(range(1_000_000))
    big_bytes = os.urandom(8 << 20)
    if side == 'pmap':
        return measure(pmap_workloads(big_list, big_bytes), CHECKS)
    if side == 'loky':
        with parallel_backend('loky', n_jobs=N_JOBS):
            return measure(loky_workloads(big_list, big_bytes), CHECKS)
    return measure({'cpu': lambda: [spin(N_SPIN) for _ in range(8)]}, CHECKS)


# What bench-report.py calls each side and workload.
REPORT_NAMES = {'pmap': 'pmap Python processes', 'loky': 'joblib loky',
                'sequential': 'sequential loop'}
REPORT_WORKLOADS = {'cold': 'cold', 'tiny': f'tiny-{N_TINY}', 'large': 'large',
                    'bytes': 'bytes', 'cpu': 'cpu-python'}


def write_json(path, times):
    measurements = [{'workload': REPORT_WORKLOADS[key], 'implementation': REPORT_NAMES[side],
                     'median_s': statistics.median(values), 'runs': len(values),
                     'seconds': values}
                    for side, collected in times.items()
                    for key, values in collected.items()]
    with open(path, 'w') as f:
        json.dump({'benchmark': 'python', 'measurements': measurements}, f, indent=1)


def main(json_path=None):
    # Each side runs in a process of its own, in turns, twice, so that a
    # machine that slows down or speeds up meanwhile weighs on both alike.
    times = {'pmap': {}, 'loky': {}, 'sequential': {}}
    for _ in range(2):
        for side, collected in times.items():
            output = subprocess.run([sys.executable, __file__, side], check=True,
                                    capture_output=True, text=True).stdout
            for key, values in json.loads(output).items():
                collected.setdefault(key, []).extend(values)
    pmap, loky = ({key: statistics.median(values) for key, values in times[side].items()}
                  for side in ('pmap', 'loky'))
    sequential = statistics.median(times['sequential']['cpu'])

    print(f'Medians of {2 * REPS} runs, each side in its own processes, in '
          f'turns; Python functions, {N_JOBS} jobs\n')
    print(f'{"workload":42s} {"pmap-glib":>12s} {"joblib loky":>12s} {"ratio":>8s}   target')
    for key, label, target in WORKLOADS:
        ratio = pmap[key] / loky[key]
        met = 'met' if target is not None and ratio <= target else 'MISSED'
        print(f'{label:42s} {pmap[key] * 1e3:9.2f} ms {loky[key] * 1e3:9.2f} ms {ratio:8.3f}   '
              + (f'<= {target} × loky: {met}' if target is not None else 'no target'))
    ratio = pmap['cpu'] / sequential
    met = 'met' if ratio <= 0.55 else 'MISSED'
    print(f'{"8 CPU-bound tasks, against a loop":42s} {pmap["cpu"] * 1e3:9.2f} ms '
          f'{sequential * 1e3:9.2f} ms {ratio:8.3f}   <= 0.55 × sequential: {met}')
    if json_path is not None:
        write_json(json_path, times)


if __name__ == '__main__':
    if len(sys.argv) == 2 and sys.argv[1] in REPORT_NAMES:
        print(json.dumps(measure_side(sys.argv[1])))
    elif len(sys.argv) == 3 and sys.argv[1] == '--json':
        main(sys.argv[2])
    elif len(sys.argv) == 1:
        main()
    else:
        raise SystemExit(f'Usage: {sys.argv[0]} [--json FILE]')

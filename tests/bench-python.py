# bench-python.py: pmap-glib's Python workers against joblib's loky backend
#
# Runs the same Python workloads (after the anchors' joblib_anchor.py)
# through pmap-glib's processes backend, whose workers are this Python
# interpreter, and through joblib's loky backend, in the same run, and
# prints each workload's medians and their ratio against the issue's
# target. Times drift from run to run on shared machines; ratios measured
# in one run do not.
#
# Run with `meson test --benchmark`, or by hand with the environment of the
# bindings tests. REPS sets the number of measured runs (default 9).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import importlib.util
import os

import gi
gi.require_version('Pmap', '1.0')
from gi.repository import Pmap  # noqa: E402

from joblib import Parallel, delayed, parallel_backend  # noqa: E402
from joblib.externals.loky import get_reusable_executor  # noqa: E402


def _load_peer():
    """bench-processes-joblib.py, the loky half of the C benchmark: the
    same medians, measured the same way."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'bench-processes-joblib.py')
    spec = importlib.util.spec_from_file_location('bench_processes_joblib', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


peer = _load_peer()
median = peer.median
REPS = peer.REPS
N_JOBS = peer.N_JOBS
N_TINY = 10_000
N_SPIN = 2_000_000


def double(i, *args):
    return 2 * i


def spin(n):
    s = 0
    for k in range(n):
        s += k * k
    return s


def measure_pmap(big_list):
    executor = Pmap.Executor(n_jobs=N_JOBS, backend='processes')
    backend = executor.get_backend()

    def cold():
        # A fresh pool each time, as loky's side kills its workers.
        backend.shutdown()
        return executor(Pmap.delayed(double)(1) for _ in range(2))

    return {
        'cold': median(cold, lambda r: r == [2, 2]),
        'tiny': median(lambda: executor(Pmap.delayed(double)(i) for i in range(N_TINY)),
                       lambda r: r == [2 * i for i in range(N_TINY)]),
        'large': median(lambda: executor(Pmap.delayed(double)(21, big_list) for _ in range(1)),
                        lambda r: r == [42]),
        'cpu': median(lambda: executor(Pmap.delayed(spin)(N_SPIN) for _ in range(8)),
                      lambda r: r == [spin_result] * 8),
    }


def measure_loky(big_list):
    def cold():
        get_reusable_executor(max_workers=N_JOBS, kill_workers=True).shutdown(wait=True)
        return Parallel()(delayed(double)(1) for _ in range(2))

    with parallel_backend('loky', n_jobs=N_JOBS):
        return {
            'cold': median(cold, lambda r: r == [2, 2]),
            'tiny': median(lambda: Parallel()(delayed(double)(i) for i in range(N_TINY)),
                           lambda r: r == [2 * i for i in range(N_TINY)]),
            'large': median(lambda: Parallel()(delayed(double)(21, big_list) for _ in range(1)),
                            lambda r: r == [42]),
            'cpu': median(lambda: Parallel()(delayed(spin)(N_SPIN) for _ in range(8)),
                          lambda r: r == [spin_result] * 8),
        }


spin_result = spin(N_SPIN)

# (key, label, the largest pmap/loky ratio that meets the target)
WORKLOADS = [
    ('cold', 'cold start of 2 workers + 2 tiny tasks', 0.5),
    ('tiny', f'{N_TINY:,} tiny tasks', 0.5),
    ('large', '1 task with a 1,000,000-element list', 0.5),
    ('cpu', '8 CPU-bound tasks on 2 jobs', 1.1),
]


def main():
    big_list = list(range(1_000_000))
    pmap = measure_pmap(big_list)
    loky = measure_loky(big_list)
    sequential = median(lambda: [spin(N_SPIN) for _ in range(8)],
                        lambda r: r == [spin_result] * 8)

    print(f'Medians of {REPS} runs, Python functions, {N_JOBS} jobs\n')
    print(f'{"workload":42s} {"pmap-glib":>12s} {"joblib loky":>12s} {"ratio":>8s}   target')
    for key, label, target in WORKLOADS:
        ratio = pmap[key] / loky[key]
        met = 'met' if ratio <= target else 'MISSED'
        print(f'{label:42s} {pmap[key] * 1e3:9.2f} ms {loky[key] * 1e3:9.2f} ms '
              f'{ratio:8.3f}   <= {target} × loky: {met}')
    ratio = pmap['cpu'] / sequential
    met = 'met' if ratio <= 0.55 else 'MISSED'
    print(f'{"8 CPU-bound tasks, against a loop":42s} {pmap["cpu"] * 1e3:9.2f} ms '
          f'{sequential * 1e3:9.2f} ms {ratio:8.3f}   <= 0.55 × sequential: {met}')


if __name__ == '__main__':
    main()

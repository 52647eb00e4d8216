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

import importlib.util
import json
import os
import pickle
import statistics
import subprocess
import sys

import gi
gi.require_version('Pmap', '1.0')
from gi.repository import Pmap  # noqa: E402

from joblib import parallel_backend  # noqa: E402


def _load_peer():
    """bench-processes-joblib.py: its workloads, which both sides run, and
    its way of measuring them."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'bench-processes-joblib.py')
    spec = importlib.util.spec_from_file_location('bench_processes_joblib', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


peer = _load_peer()
REPS = peer.REPS
N_JOBS = peer.N_JOBS

# (key, label, the largest pmap/loky ratio that meets the target, if any)
WORKLOADS = [
    ('cold', 'cold start of 2 workers + 2 tiny tasks', 0.5),
    ('tiny-10000', f'{peer.N_TINY:,} tiny tasks', 0.5),
    ('large', '1 task with a 1,000,000-element list', 0.5),
    ('bytes', '2 tasks with an 8 MiB bytes argument', None),
    ('cpu-python', '8 CPU-bound tasks on 2 jobs', 1.1),
]


def pmap_run(executor, calls, cold):
    """What one run of a workload is on pmap-glib's side: the same calls,
    made with Pmap.delayed, through the executor, from a fresh pool for a cold start, as loky's
    side kills its workers."""
    if cold:
        return lambda: (executor.get_backend().shutdown(), executor(calls()))[1]
    return lambda: executor(calls())


def sequential_run(calls):
    """The same calls in a loop, in this process."""
    return lambda: [func(*args, **kwargs) for func, args, kwargs in calls()]


def unpickling_run(calls):
    """The least that a worker of either side does for the calls: build
    their arguments from their pickle, here in one process, with nothing
    sent and nothing called."""
    pickled = [pickle.dumps(args, pickle.HIGHEST_PROTOCOL) for _, args, _ in calls()]
    return lambda: [pickle.loads(data) for data in pickled]


def measure_side(side):
    """Measures one side, in a process of its own: the other side's idle
    workers and threads would weigh on it. The sequential side runs the
    CPU-bound workload only, the unpickling floor the large one."""
    times = {}
    if side == 'pmap':
        executor = Pmap.Executor(n_jobs=N_JOBS, backend='processes')
        for key, calls, check, cold in peer.workloads(Pmap.delayed):
            times[key] = peer.measure(pmap_run(executor, calls, cold), check, 'pmap-glib')
    elif side == 'loky':
        with parallel_backend('loky', n_jobs=N_JOBS):
            for key, calls, check, cold in peer.workloads():
                times[key] = peer.measure(peer.joblib_run(calls, cold), check)
    elif side == 'sequential':
        for key, calls, check, cold in peer.workloads():
            if key == 'cpu-python':
                times[key] = peer.measure(sequential_run(calls), check, 'the loop')
    else:
        for key, calls, check, cold in peer.workloads():
            if key == 'large':
                times[key] = peer.measure(unpickling_run(calls),
                                          lambda r: len(r[0][1]) == 1_000_000, 'unpickling')
    return times


# What bench-report.py calls each side.
REPORT_NAMES = {'pmap': 'pmap Python processes', 'loky': 'joblib loky',
                'sequential': 'sequential loop', 'unpickling': 'Python unpickling floor'}


def write_json(path, times):
    measurements = [{'workload': key, 'implementation': REPORT_NAMES[side],
                     'median_s': statistics.median(values), 'runs': len(values),
                     'seconds': values}
                    for side, collected in times.items()
                    for key, values in collected.items()]
    with open(path, 'w') as f:
        json.dump({'benchmark': 'python', 'measurements': measurements}, f, indent=1)


def main(json_path=None):
    # Each side runs in a process of its own, in turns, twice, so that a
    # machine that slows down or speeds up meanwhile weighs on both alike.
    times = {side: {} for side in REPORT_NAMES}
    for _ in range(2):
        for side, collected in times.items():
            output = subprocess.run([sys.executable, __file__, side], check=True,
                                    capture_output=True, text=True).stdout
            for key, values in json.loads(output).items():
                collected.setdefault(key, []).extend(values)
    pmap, loky = ({key: statistics.median(values) for key, values in times[side].items()}
                  for side in ('pmap', 'loky'))
    sequential = statistics.median(times['sequential']['cpu-python'])

    print(f'Medians of {2 * REPS} runs, each side in its own processes, in '
          f'turns; Python functions, {N_JOBS} jobs\n')
    print(f'{"workload":42s} {"pmap-glib":>12s} {"joblib loky":>12s} {"ratio":>8s}   target')
    for key, label, target in WORKLOADS:
        ratio = pmap[key] / loky[key]
        met = 'met' if target is not None and ratio <= target else 'MISSED'
        print(f'{label:42s} {pmap[key] * 1e3:9.2f} ms {loky[key] * 1e3:9.2f} ms {ratio:8.3f}   '
              + (f'<= {target} × loky: {met}' if target is not None else 'no target'))
    ratio = pmap['cpu-python'] / sequential
    met = 'met' if ratio <= 0.55 else 'MISSED'
    print(f'{"8 CPU-bound tasks, against a loop":42s} {pmap["cpu-python"] * 1e3:9.2f} ms '
          f'{sequential * 1e3:9.2f} ms {ratio:8.3f}   <= 0.55 × sequential: {met}')
    # Both sides pickle the list and build it again in a worker: building
    # it alone, in one process, bounds what either can reach.
    floor = statistics.median(times['unpickling']['large'])
    print(f'\nThe 1,000,000-element list: unpickling it alone, the least a worker does, takes '
          f'{floor * 1e3:.2f} ms, {floor / loky["large"]:.3f} × loky; pmap-glib is '
          f'{pmap["large"] / floor:.2f} × that floor.')
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

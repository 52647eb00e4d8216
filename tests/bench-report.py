# bench-report.py: every benchmark in one run, one table, one plot
#
# Runs pmap-glib's benchmarks (bench-threads, bench-processes, bench-python,
# and once, bench-shared for memory) and its peers (joblib's loky, multiprocessing and threading backends,
# through bench-processes-joblib.py) on the same workloads, ROUNDS times
# (default 2), in turns, the order reversed every other round, so that a
# machine that slows down or speeds up meanwhile weighs on every side
# alike. Each program measures REPS runs (default 5) a round after one
# that is not measured. The times of the same workload and implementation
# are pooled across rounds (and programs, for joblib loky), and the report
# prints one table of medians, the ratios that issue 5 sets targets for,
# met or missed, writes the whole as bench-report.json into the output
# directory and, when gnuplot is installed, plots it as bench-report.svg.
# With --update-docs DOCS-DIR it also writes the table and the plot into
# DOCS-DIR/benchmarks.md and benchmarks.svg; --from-json FILE prints and
# plots an earlier report instead of measuring.
#
# Run with `meson test -C _build --benchmark report`, which passes the
# programs' paths. It fails when a benchmark fails (a wrong result, a peer
# that cannot run), never on a timing.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile

ROUNDS = int(os.environ.get('ROUNDS', '2'))
REPS = int(os.environ.get('REPS', '5'))

WORKLOADS = {
    'cold': 'cold start of 2 workers + 2 tiny tasks',
    'tiny-10000': '10,000 tiny tasks',
    'large': '1 task with a 1,000,000-element int64 argument',
    'bytes': '2 tasks with an 8 MiB bytes argument',
    'cpu-c': '8 CPU-bound C tasks (75 ms each), 2 jobs',
    'cpu-python': '8 CPU-bound Python tasks (spin(2e6)), 2 jobs',
}

# Each implementation: its name in the console's narrow columns, its
# colour in the plot (pmap-glib in blues, joblib in oranges, the loops in
# greys, the floors in black).
IMPLEMENTATIONS = {
    'pmap C threads': ('C threads', '#08519c'),
    'pmap C processes': ('C procs', '#3182bd'),
    'pmap Python processes': ('Py procs', '#9ecae1'),
    'joblib loky': ('loky', '#d94801'),
    'joblib multiprocessing': ('multiproc', '#fd8d3c'),
    'joblib threading': ('threading', '#fdd0a2'),
    'sequential loop': ('loop', '#737373'),
    'GThreadPool loop': ('GThreadPool', '#bdbdbd'),
    'memcpy floor': ('memcpy', '#000000'),
    'posix_spawn floor': ('posix_spawn', '#000000'),
    'Python unpickling floor': ('unpickle', '#000000'),
}

# The workloads' names under the plot's bars (gnuplot reads \n there).
PLOT_LABELS = {
    'cold': r'cold start,\n2 workers +\n2 tiny tasks',
    'tiny-10000': r'10,000\ntiny tasks',
    'large': r'1 task, 1M-element\nint64 argument',
    'bytes': r'2 tasks, 8 MiB\nbytes argument',
    'cpu-c': r'8 CPU-bound\nC tasks',
    'cpu-python': r'8 CPU-bound\nPython tasks',
}

# Issue 5's targets: (label, workload, numerator, denominator, bound, at most?)
TARGETS = [
    ('1. 1M int64 argument', 'large', 'pmap C processes', 'memcpy floor', 5, True),
    ('1. 1M int64 argument', 'large', 'pmap C processes', 'joblib loky', 1 / 20, True),
    ('3. 10,000 tiny tasks', 'tiny-10000', 'pmap C processes', 'joblib loky', 1 / 5, True),
    ('3. 10,000 tiny tasks', 'tiny-10000', 'pmap C threads', 'sequential loop', 3, True),
    ('4. cold start', 'cold', 'pmap C processes', 'joblib loky', 1 / 20, True),
    ('4. cold start', 'cold', 'pmap C processes', 'posix_spawn floor', 10, True),
    ('5. CPU-bound speed-up', 'cpu-c', 'sequential loop', 'pmap C threads', 1.9, False),
    ('5. CPU-bound speed-up', 'cpu-c', 'sequential loop', 'pmap C processes', 1.9, False),
    ('5. CPU-bound speed-up', 'cpu-python', 'sequential loop', 'pmap Python processes', 1.9,
     False),
]

# Issue 5's memory target: the peak memory of parent and workers over the
# shared value, for the value made with shared bytes; the other two cases
# of bench-shared are shown beside it.
MEMORY_CASES = {
    'copied': 'sent in every batch (max-nbytes above it)',
    'shared': 'shared, the value in ordinary memory',
    'shared-bytes': 'shared, made with pmap_bytes_new_shared_fill()',
}
MEMORY_TARGET = ('2. 100 MiB argument shared by 2 workers', 'shared-bytes', 1.3)

PLOT_SCRIPT = '''
set terminal {terminal}
set termoption noenhanced
set output "{output}"
set title "{title}"
set datafile separator "\\t"
set datafile missing "-"
set style data histograms
set style histogram clustered gap 2
set style fill solid 1.0 border -1
set boxwidth 0.95
set logscale y
set format y "%g"
set ylabel "milliseconds (log scale)"
set yrange [0.05:*]
set grid ytics
set xtics ({xtics}) scale 0 font ",10"
set key outside below center horizontal maxcols 5 width 1 font ",10"
set bmargin 9
titles = '{titles}'
colours = "{colours}"
plot for [c=1:{n_columns}] "{data}" using c title word(titles, c) lc rgb word(colours, c)
'''

DOCS_BEGIN = '<!-- bench-report: begin -->'
DOCS_END = '<!-- bench-report: end -->'


def run_program(argv, json_path, env=None):
    """Runs one benchmark, its output passed through, and returns the
    measurements it wrote to @json_path."""
    print(f'\n$ {" ".join(argv)}', flush=True)
    completed = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    print(completed.stdout, end='', flush=True)
    if completed.returncode != 0:
        raise SystemExit(f'{argv[0]} failed with status {completed.returncode}')
    with open(json_path) as f:
        return json.load(f)


def programs(args, scratch, cpu_rounds):
    """The benchmark command lines of one round, each with the file it
    writes its measurements to."""
    def path(name):
        return os.path.join(scratch, name + '.json')

    yield [args.threads, '--tiny-tasks', '10000', '--cpu-reps', str(REPS),
           '--tiny-reps', str(REPS), '--cpu-rounds', str(cpu_rounds),
           '--json', path('threads')], path('threads')
    yield [args.processes, '--cpu-rounds', str(cpu_rounds),
           '--json', path('processes')], path('processes')
    if args.joblib:
        python, script = args.joblib
        for backend in ('loky', 'multiprocessing', 'threading'):
            yield [python, script, '--backend', backend,
                   '--json', path(backend)], path(backend)
    if args.python_bench:
        python, script = args.python_bench
        yield [python, '-B', script, '--json', path('python')], path('python')


def measure(args):
    """Runs every benchmark ROUNDS times and pools their times by workload
    and implementation."""
    pooled = {}
    env = dict(os.environ, REPS=str(REPS))
    with tempfile.TemporaryDirectory(prefix='pmap-bench-') as scratch:
        # One size of C task for both C benchmarks: bench-threads sizes it
        # to take 75 ms here, and every run after this one is told that size.
        size_path = os.path.join(scratch, 'size.json')
        sizing = run_program([args.threads, '--tiny-tasks', '10000', '--cpu-reps', '1',
                              '--tiny-reps', '1', '--json', size_path], size_path, env)
        cpu_rounds = int(sizing['cpu_rounds'])
        for round_number in range(ROUNDS):
            commands = list(programs(args, scratch, cpu_rounds))
            if round_number % 2 == 1:
                commands.reverse()
            for argv, json_path in commands:
                for m in run_program(argv, json_path, env)['measurements']:
                    key = (m['workload'], m['implementation'])
                    pooled.setdefault(key, []).extend(m['seconds'])
    return pooled, cpu_rounds


def machine():
    name = platform.platform()
    try:
        with open('/etc/os-release') as f:
            fields = dict(line.rstrip('\n').split('=', 1) for line in f if '=' in line)
        name = fields.get('PRETTY_NAME', name).strip('"')
    except OSError:
        pass
    return {'os': name, 'kernel': platform.release(), 'processors': os.cpu_count()}


def measure_memory(args):
    """bench-shared's peak memory ratios, once: memory does not vary as time
    does."""
    if not args.shared:
        return None
    with tempfile.TemporaryDirectory(prefix='pmap-bench-') as scratch:
        path = os.path.join(scratch, 'shared.json')
        return run_program([args.shared, '--json', path], path)


def memory_target(memory):
    label, case, bound = MEMORY_TARGET
    ratio = memory['peak_memory_over_value'][case] if memory else None
    return {'label': label, 'case': case, 'ratio': ratio, 'bound': bound,
            'met': None if ratio is None else ratio < bound}


def build_report(pooled, cpu_rounds, load_before, memory=None):
    medians = {key: statistics.median(values) for key, values in pooled.items()}
    measurements = [{'workload': w, 'implementation': i, 'median_s': medians[(w, i)],
                     'runs': len(pooled[(w, i)])}
                    for w in WORKLOADS for i in IMPLEMENTATIONS if (w, i) in medians]
    targets = []
    for label, workload, numerator, denominator, bound, at_most in TARGETS:
        a, b = medians.get((workload, numerator)), medians.get((workload, denominator))
        ratio = a / b if a is not None and b is not None else None
        met = None if ratio is None else (ratio <= bound if at_most else ratio >= bound)
        targets.append({'label': label, 'workload': workload, 'numerator': numerator,
                        'denominator': denominator, 'ratio': ratio,
                        'bound': bound, 'at_most': at_most, 'met': met})
    return {
        'date': datetime.datetime.now().astimezone().isoformat(timespec='minutes'),
        'machine': machine(),
        'load_average_before': load_before,
        'load_average_after': list(os.getloadavg()),
        'rounds': ROUNDS, 'reps_per_round': REPS, 'cpu_rounds': cpu_rounds,
        'workloads': WORKLOADS,
        'measurements': measurements,
        'targets': targets,
        'memory': memory,
        'memory_target': memory_target(memory),
    }


def format_ms(seconds):
    if seconds is None:
        return ''
    ms = seconds * 1000
    return f'{ms:.0f}' if ms >= 100 else f'{ms:.2f}' if ms >= 1 else f'{ms:.3f}'


def format_bound(target):
    bound = target['bound']
    text = f'1/{1 / bound:.0f}' if bound < 1 else f'{bound:g}'
    return ('≤ ' if target['at_most'] else '≥ ') + text


def format_ratio(target):
    ratio = target['ratio']
    if ratio is None:
        return 'not measured'
    return f'{ratio:.3f} = 1/{1 / ratio:.1f}' if ratio < 1 else f'{ratio:.2f}'


def format_met(target):
    return {True: 'met', False: 'MISSED', None: 'not measured'}[target['met']]


def columns(report):
    present = {m['implementation'] for m in report['measurements']}
    return [i for i in IMPLEMENTATIONS if i in present]


def medians_by_key(report):
    return {(m['workload'], m['implementation']): m['median_s'] for m in report['measurements']}


def print_table(report):
    medians = medians_by_key(report)
    shown = columns(report)
    print(f'\nMedians in milliseconds, {report["rounds"]} rounds of {report["reps_per_round"]} '
          f'runs each, {report["machine"]["processors"]} processors, {report["date"]}')
    print('(pmap-glib: C threads, C procs, Py procs; joblib: loky, multiproc, threading; '
          'loop: a sequential loop over the same calls, in C or Python)\n')
    label_width = max(len(label) for label in WORKLOADS.values())
    print(' ' * label_width + ''.join(f' {IMPLEMENTATIONS[name][0]:>11s}' for name in shown))
    for workload, label in WORKLOADS.items():
        print(f'{label:{label_width}s}'
              + ''.join(f' {format_ms(medians.get((workload, name))):>11s}' for name in shown))
    print('\nIssue 5 targets, ratios of the medians above')
    for target in report['targets']:
        ratio = f'{target["label"]}: {target["numerator"]} / {target["denominator"]}'
        print(f'{ratio:68s} {format_ratio(target):>15s}  '
              f'(target {format_bound(target)}): {format_met(target)}')
    memory = report.get('memory')
    target = report.get('memory_target')
    if memory:
        print(f'\nPeak memory of the parent and its 2 workers over the value, '
              f'{memory["value_mib"]} MiB held by {memory["tasks"]} tasks:')
        for case, label in MEMORY_CASES.items():
            print(f'  {label:50s} {memory["peak_memory_over_value"][case]:.2f}')
        print(f'{target["label"]}: {format_memory_target(target)}')
    targets = report['targets'] + ([target] if target else [])
    n_met = sum(t['met'] is True for t in targets)
    print(f'{n_met} of {len(targets)} targets met')


def format_memory_target(target):
    value = 'not measured' if target['ratio'] is None else f'{target["ratio"]:.2f}'
    return f'{value} (target < {target["bound"]:g}): {format_met(target)}'


def markdown(report):
    medians = medians_by_key(report)
    shown = columns(report)
    lines = [
        f'Measured on {report["date"][:10]}: {report["machine"]["os"]}, '
        f'{report["machine"]["processors"]} cores of a shared virtual machine, '
        f'load average {report["load_average_before"][0]:.2f} before and '
        f'{report["load_average_after"][0]:.2f} after; medians of '
        f'{report["rounds"]} × {report["reps_per_round"]} runs, in milliseconds.',
        '',
        '| workload | ' + ' | '.join(shown) + ' |',
        '|---|' + '---:|' * len(shown),
    ]
    for workload, label in WORKLOADS.items():
        lines.append(f'| {label} | '
                     + ' | '.join(format_ms(medians.get((workload, name))) for name in shown)
                     + ' |')
    lines += ['', '| issue 5 target | ratio of the medians | value | target | |',
              '|---|---|---:|---|---|']
    for target in report['targets']:
        lines.append(f'| {target["label"]} | {target["numerator"]} / {target["denominator"]} '
                     f'| {format_ratio(target)} | {format_bound(target)} | {format_met(target)} |')
    memory, target = report.get('memory'), report.get('memory_target')
    if memory:
        lines.append(f'| {target["label"]} | peak memory of parent and workers / '
                     f'{memory["value_mib"]} MiB, the value in shared bytes '
                     f'| {target["ratio"]:.2f} | < {target["bound"]:g} | {format_met(target)} |')
        lines += ['', f'Peak memory of the parent and its 2 workers over a {memory["value_mib"]} MiB '
                  f'value that {memory["tasks"]} tasks hold (`bench-shared`, see '
                  '[Large payloads](large-payloads.html)):', '',
                  '| the value | peak memory / value |', '|---|---:|']
        lines += [f'| {label} | {memory["peak_memory_over_value"][case]:.2f} |'
                  for case, label in MEMORY_CASES.items()]
    return '\n'.join(lines) + '\n'


def plot(report, svg_path):
    """Renders the medians as an SVG bar chart with gnuplot, if installed;
    returns whether it did."""
    gnuplot = shutil.which('gnuplot')
    if gnuplot is None:
        print('\ngnuplot is not installed: no plot (Debian: apt install gnuplot-nox)')
        return False
    medians = medians_by_key(report)
    shown = columns(report)
    terminal = ('pngcairo size 1100,650 font "sans,10"' if svg_path.endswith('.png')
                else 'svg size 1100,650 dynamic font "sans,12" background "white"')
    with tempfile.TemporaryDirectory(prefix='pmap-plot-') as scratch:
        data = os.path.join(scratch, 'medians.dat')
        with open(data, 'w') as f:
            for workload in WORKLOADS:
                values = [medians.get((workload, name)) for name in shown]
                f.write('\t'.join('-' if v is None else f'{v * 1000:.4f}' for v in values) + '\n')
        xtics = ', '.join(f'"{PLOT_LABELS[w]}" {i}' for i, w in enumerate(WORKLOADS))
        titles = ' '.join(f'"{name}"' for name in shown)
        colours = ' '.join(IMPLEMENTATIONS[name][1] for name in shown)
        script = PLOT_SCRIPT.format(
            terminal=terminal, output=svg_path, data=data, xtics=xtics,
            titles=titles, colours=colours, n_columns=len(shown),
            title=f"pmap-glib, its peers and the machine's floors: medians, "
                  f"{report['date'][:10]}, {report['machine']['processors']} shared cores "
                  f"(lower is better)")
        completed = subprocess.run([gnuplot], input=script, text=True, capture_output=True)
        if completed.returncode != 0:
            print(f'\ngnuplot failed, no plot:\n{completed.stderr}')
            return False
    print(f'\nPlot: {svg_path}')
    return True


def update_docs(report, docs_dir, svg_path):
    page = os.path.join(docs_dir, 'benchmarks.md')
    with open(page) as f:
        text = f.read()
    begin, end = text.index(DOCS_BEGIN) + len(DOCS_BEGIN), text.index(DOCS_END)
    with open(page, 'w') as f:
        f.write(text[:begin] + '\n' + markdown(report) + text[end:])
    if svg_path is not None:
        shutil.copyfile(svg_path, os.path.join(docs_dir, 'benchmarks.svg'))
    print(f'Updated {page}' + (' and benchmarks.svg' if svg_path else ''))


def main():
    parser = argparse.ArgumentParser(
        description='Runs every benchmark, prints one table, writes it as JSON and plots it')
    parser.add_argument('--threads', help='bench-threads')
    parser.add_argument('--processes', help='bench-processes')
    parser.add_argument('--joblib', nargs=2, metavar=('PYTHON', 'PEER-SCRIPT'),
                        help='a Python with joblib and bench-processes-joblib.py')
    parser.add_argument('--python-bench', nargs=2, metavar=('PYTHON', 'SCRIPT'),
                        help='a Python with gi and joblib, and bench-python.py')
    parser.add_argument('--shared', help='bench-shared, for the memory of a shared argument')
    parser.add_argument('--output-dir', default='.', help='where the JSON and the plot go')
    parser.add_argument('--update-docs', metavar='DOCS-DIR',
                        help='also write the table and the plot into DOCS-DIR/benchmarks.*')
    parser.add_argument('--from-json', metavar='FILE',
                        help='measure nothing: print, plot and write what FILE reported')
    args = parser.parse_args()
    if ROUNDS < 1 or REPS < 1:
        raise SystemExit('ROUNDS and REPS must be at least 1')

    if args.from_json:
        with open(args.from_json) as f:
            report = json.load(f)
        print_table(report)
    else:
        if not args.threads or not args.processes:
            parser.error('--threads and --processes are needed to measure')
        load_before = list(os.getloadavg())
        pooled, cpu_rounds = measure(args)
        memory = measure_memory(args)
        report = build_report(pooled, cpu_rounds, load_before, memory)
        print_table(report)
        json_path = os.path.join(args.output_dir, 'bench-report.json')
        with open(json_path, 'w') as f:
            json.dump(report, f, indent=1)
        print(f'\nTable: {json_path}')
    svg_path = os.path.join(args.output_dir, 'bench-report.svg')
    plotted = plot(report, svg_path)
    if args.update_docs:
        update_docs(report, args.update_docs, svg_path if plotted else None)


if __name__ == '__main__':
    sys.exit(main())

# test_native.py: maps of plain Python values, the joblib call form,
# chunks and exceptions, on the backends that run calls in this process
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import threading
import time

import pytest

from helpers import Gio, GLib, Pmap, assert_error, napping
from gi.overrides import _pmap_calls  # noqa: I100 (after helpers' require_version)

BACKENDS = ['threads', 'sequential']


@pytest.fixture(params=BACKENDS)
def executor(request):
    return Pmap.Executor(backend=request.param, n_jobs=2)


def chunks_seen(executor):
    """The n_tasks of every progress report: the number of chunks."""
    seen = set()
    executor.connect('progress', lambda _, n_done, n_tasks: seen.add(n_tasks))
    return seen


def test_values_are_passed_and_returned_as_they_are(executor):
    values = [3, 'text', (1, 'a'), {'key': [1, 2]}, None, b'\0bytes', 2.5,
              GLib.Variant('(xs)', (7, 'seven')), object()]

    results = executor.map(values, lambda value: value)

    assert len(results) == len(values)
    assert all(result is value for result, value in zip(results, values))


def test_values_computed_from_the_items(executor):
    results = executor.map(['a', 'bb', None, (1, 2, 3)],
                           lambda item: {'item': item, 'size': len(item or '')})

    assert results == [{'item': 'a', 'size': 1}, {'item': 'bb', 'size': 2},
                       {'item': None, 'size': 0}, {'item': (1, 2, 3), 'size': 3}]


def test_results_in_input_order(executor):
    values = list(range(10000))

    assert executor.map(values, lambda v: v * 3 - 1) == [v * 3 - 1 for v in values]


def test_generators_as_input(executor):
    generated = []

    def items():
        for i in range(500):
            generated.append(i)
            yield str(i)

    assert executor.map(items(), int) == list(range(500))
    assert executor(Pmap.delayed(len)(s) for s in items()) == \
        [len(str(i)) for i in range(500)]
    assert len(generated) == 1000


def test_extra_arguments(executor):
    def affine(x, scale, offset):
        return x * scale + offset

    assert executor.map(range(100), affine, 3, -4) == [x * 3 - 4 for x in range(100)]


def test_delayed_records_the_call():
    def func(a, b=0):
        return a + b

    record = Pmap.delayed(func)(1, b=2)

    assert record == (func, (1,), {'b': 2})
    assert Pmap.delayed(func).__name__ == 'func'
    with pytest.raises(TypeError):
        Pmap.delayed(42)


def test_executor_runs_delayed_calls(executor):
    def describe(name, *numbers, sep=', ', prefix=''):
        return prefix + name + ': ' + sep.join(map(str, numbers))

    calls = [Pmap.delayed(describe)(f'n{i}', i, i + 1, sep='/', prefix='>')
             for i in range(300)]
    calls.append(Pmap.delayed(describe)('plain', 1, 2))

    results = executor(calls)

    assert results[:2] == ['>n0: 0/1', '>n1: 1/2']
    assert results[-1] == 'plain: 1, 2'
    assert results == [describe(*args, **kwargs) for _, args, kwargs in calls]


def test_executor_runs_plain_triples(executor):
    assert executor([(pow, (2, 10), {}), (divmod, [7, 2], {})]) == [1024, (3, 1)]
    with pytest.raises(TypeError):
        executor([42])
    with pytest.raises(TypeError):
        executor([(42, (), {})])


def test_starmap(executor):
    assert executor.starmap([(2, 3), (3, 2), (10, 0)], pow) == [8, 9, 1]


def test_no_calls(executor):
    seen = chunks_seen(executor)

    assert executor.map([], lambda v: v) == []
    assert executor([]) == []
    assert seen == set()


def test_map_inside_a_call(executor):
    """A map started by a call runs in that call, as in C."""
    def row(i):
        return executor.map(range(i), lambda j: i * j)

    assert executor.map(range(20), row) == [[i * j for j in range(i)] for i in range(20)]


class Failed(Exception):
    pass


def test_exception_is_raised_as_itself(executor):
    raised = []

    def fail_on_17(x):
        if x == 17:
            raised.append(Failed(x, 'is not welcome'))
            raise raised[0]
        return x

    with pytest.raises(Failed) as info:
        executor.map(range(100), fail_on_17)

    assert info.value is raised[0]
    assert info.value.args == (17, 'is not welcome')
    assert info.value.__notes__ == ['pmap-glib: raised by task 17 of 100']
    assert info.traceback[-1].name == 'fail_on_17'


def test_exception_from_a_delayed_call(executor):
    calls = [Pmap.delayed(int)('1'), Pmap.delayed(int)('x', base=10)]

    with pytest.raises(ValueError) as info:
        executor(calls)

    assert 'invalid literal' in str(info.value)
    assert info.value.__notes__ == ['pmap-glib: raised by task 1 of 2']


def test_a_failure_stops_the_map_in_sequence():
    executor = Pmap.Executor(backend='sequential', n_jobs=2, batch_size=10)
    started = []

    def fail_on_25(x):
        started.append(x)
        if x == 25:
            raise Failed(x)
        return x

    with pytest.raises(Failed):
        executor.map(range(100), fail_on_25)

    # Neither the rest of the failing chunk nor any later chunk ran.
    assert started == list(range(26))


def test_a_failure_stops_the_other_jobs():
    executor = Pmap.Executor(backend='threads', n_jobs=2, batch_size=5)
    n_calls = 400
    lock = threading.Lock()
    failed = threading.Event()
    started_after = []
    started = []

    def fail_on_12(x):
        with lock:
            started.append(x)
            if failed.is_set():
                started_after.append(x)
        if x == 12:
            failed.set()
            raise Failed(x)
        time.sleep(0.002)
        return x

    with pytest.raises(Failed) as info:
        executor.map(range(n_calls), fail_on_12)

    assert info.value.__notes__ == [f'pmap-glib: raised by task 12 of {n_calls}']
    # The other job may have been starting a call as the failure happened,
    # but starts nothing after it.
    assert len(started_after) <= 1
    assert len(started) < n_calls // 2


def test_errors_of_pmap_stay_glib_errors(monkeypatch):
    monkeypatch.setenv('PMAP_BACKEND', 'dask')
    calls = []
    executor = Pmap.Executor(n_jobs=2)

    with pytest.raises(GLib.Error) as info:
        executor.map(range(5), calls.append)

    assert_error(info.value, Pmap.error_quark(), Pmap.Error.UNKNOWN_BACKEND)
    assert calls == []


@pytest.mark.parametrize('backend', BACKENDS)
def test_cancelled_from_another_thread(backend):
    executor = Pmap.Executor(backend=backend, n_jobs=2)
    cancellable = Gio.Cancellable()
    nap, started = napping()

    # 400 calls of 10 ms take 2 s at least.
    timer = threading.Timer(0.1, cancellable.cancel)
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(GLib.Error) as info:
            executor.map(range(400), nap, cancellable=cancellable)
    finally:
        timer.join()
    elapsed = time.monotonic() - start

    assert_error(info.value, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert len(started) < 200
    assert elapsed < 1.5
    n_started = len(started)
    time.sleep(0.05)
    assert len(started) == n_started


def test_cancelled_before_the_map(executor):
    cancellable = Gio.Cancellable()
    cancellable.cancel()
    calls = []

    with pytest.raises(GLib.Error) as info:
        executor.map(range(10), calls.append, cancellable=cancellable)

    assert_error(info.value, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert calls == []


@pytest.mark.parametrize('n_calls, batch_size, n_chunks', [
    (8, 0, 8),       # few calls: one per chunk, for 2 jobs
    (100, 0, 8),     # automatic: 4 chunks per job
    (10000, 0, 8),
    (3, 0, 3),
    (100, 7, 15),    # the batch size is the chunk size
    (100, 1, 100),
    (5, 50, 1),
])
def test_chunks(executor, n_calls, batch_size, n_chunks):
    executor.props.batch_size = batch_size
    seen = chunks_seen(executor)

    assert executor.map(range(n_calls), lambda x: -x) == [-x for x in range(n_calls)]
    assert seen == {n_chunks}


def test_a_chunk_runs_on_one_thread():
    executor = Pmap.Executor(backend='threads', n_jobs=2, batch_size=7)
    threads = {}

    def record(x):
        threads[x] = threading.get_ident()
        time.sleep(0.001)
        return x

    executor.map(range(100), record)

    for start in range(0, 100, 7):
        assert len({threads[x] for x in range(start, min(start + 7, 100))}) == 1


def test_progress_counts_calls(executor):
    executor.props.batch_size = 10
    reports = []

    executor.map(range(95), lambda x: x,
                 progress=lambda n_done, n_calls:
                     reports.append((n_done, n_calls, threading.get_ident())))

    assert reports
    assert {n_calls for _, n_calls, _ in reports} == {95}
    assert {thread for *_, thread in reports} == {threading.get_ident()}
    done = [n_done for n_done, *_ in reports]
    assert done == sorted(done)
    assert done[-1] == 95


def test_processes_with_one_job_run_here():
    """One job needs no pool: the calls run in this process, as in C."""
    executor = Pmap.Executor(backend='processes', n_jobs=1)

    assert executor.map(range(10), lambda x: x * x) == [x * x for x in range(10)]


def test_remote_failure_carries_the_workers_traceback():
    """How a call that failed in another process is reported: the exception
    with the task's note, caused by the worker's traceback."""
    text = 'Traceback (most recent call last):\n  File "worker.py", line 3\nKeyError: 3'
    failure = _pmap_calls.Failure(3, KeyError(3), remote_traceback=text)

    with pytest.raises(KeyError) as info:
        failure.reraise(10)

    assert info.value.__notes__ == ['pmap-glib: raised by task 3 of 10']
    assert isinstance(info.value.__cause__, Pmap.RemoteTraceback)
    assert str(info.value.__cause__) == text

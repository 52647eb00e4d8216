# test_executor.py: Pmap.Executor's blocking map, from Python
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import threading
import time

import pytest

from helpers import (Gio, GLib, Pmap, assert_error, cancel_from_progress, ints,
                     run_async, unpack)


def test_results_come_back_in_input_order(executor):
    executor.props.batch_size = 1
    values = list(range(-2500, 2500))

    results = executor.map(ints(values), lambda v: GLib.Variant('(xx)', (v.unpack(), v.unpack() * 3)))

    assert [r.unpack() for r in results] == [(v, v * 3) for v in values]


@pytest.mark.parametrize('backend', ['threads', 'sequential'])
@pytest.mark.parametrize('batch_size', [0, 1, 7])
def test_native_results_in_order_on_every_backend(executor, test_module,
                                                   backend, batch_size):
    executor.set_backend(Pmap.Backend.create(backend))
    executor.props.batch_size = batch_size
    values = list(range(10000))

    results = executor.map_by_name('test.square', ints(values), None)

    assert unpack(results) == [v * v for v in values]


def test_user_data_reaches_the_function(executor):
    def affine(item, scale, offset):
        return GLib.Variant('x', item.unpack() * scale + offset)

    results = executor.map(ints(range(100)), affine, 3, 4)

    assert unpack(results) == [v * 3 + 4 for v in range(100)]


def test_python_callables_run_on_pool_threads(executor):
    executor.props.n_jobs = 2
    executor.props.batch_size = 1
    threads = set()
    lock = threading.Lock()

    def record(item):
        with lock:
            threads.add(threading.get_ident())
        # Lets the other worker take the GIL.
        time.sleep(0.001)
        return GLib.Variant('x', item.unpack() + 1)

    results = executor.map(ints(range(2000)), record)

    assert unpack(results) == list(range(1, 2001))
    assert threading.get_ident() not in threads
    assert 1 <= len(threads) <= 2


@pytest.mark.parametrize('n_jobs', [-1, -2, -1000, 1, 3])
def test_effective_n_jobs(executor, n_jobs):
    executor.props.n_jobs = n_jobs
    n_processors = GLib.get_num_processors()

    expected = n_jobs if n_jobs > 0 else max(1, n_processors + 1 + n_jobs)
    assert executor.get_effective_n_jobs() == expected


def test_n_jobs_minus_one_is_every_processor(executor):
    assert executor.props.n_jobs == -1
    assert executor.get_effective_n_jobs() == GLib.get_num_processors()


def test_one_job_runs_on_the_calling_thread(executor):
    executor.props.n_jobs = 1
    threads = set()

    def record(item):
        threads.add(threading.get_ident())
        return GLib.Variant('x', -item.unpack())

    results = executor.map(ints(range(300)), record)

    assert unpack(results) == [-v for v in range(300)]
    assert threads == {threading.get_ident()}


def test_more_jobs_than_inputs(executor, test_module):
    executor.props.n_jobs = 64

    assert unpack(executor.map(ints([4, 5, 6]), lambda v: GLib.Variant('x', v.unpack() + 1))) == [5, 6, 7]
    assert unpack(executor.map_by_name('test.square', ints([4, 5, 6]), None)) == [16, 25, 36]


@pytest.mark.parametrize('n_jobs', [-1, 1, 4])
def test_zero_inputs(executor, test_module, n_jobs):
    executor.props.n_jobs = n_jobs
    calls = []

    assert executor.map([], lambda v: calls.append(v) or v) == []
    assert executor.map_by_name('test.square', [], None) == []
    assert calls == []


def test_native_tasks_run_in_parallel(executor, test_module):
    executor.props.n_jobs = 2
    executor.props.batch_size = 1

    results = executor.map_by_name('test.concurrency', ints([200] * 6), None)

    assert max(unpack(results)) >= 2


def test_python_exception_names_the_task(executor):
    executor.set_backend(Pmap.Backend.create('sequential'))
    calls = []

    def explode_on_37(item):
        calls.append(item.unpack())
        if item.unpack() == 37:
            raise ValueError('thirty-seven is not allowed')
        return item

    with pytest.raises(ValueError) as info:
        executor.map(ints(range(100)), explode_on_37)

    assert str(info.value) == 'thirty-seven is not allowed'
    assert info.value.__notes__ == ['pmap-glib: raised by task 37 of 100']
    assert info.traceback[-1].name == 'explode_on_37'
    # The first error stops the map: nothing after task 37 ran.
    assert calls == list(range(38))


def test_error_stops_the_remaining_work_on_threads(executor):
    executor.props.n_jobs = 2
    executor.props.batch_size = 1
    n_inputs = 2000
    calls = []

    def fail_on_five(item):
        calls.append(item.unpack())
        if item.unpack() == 5:
            raise KeyError('five')
        time.sleep(0.002)
        return item

    with pytest.raises(KeyError) as info:
        executor.map(ints(range(n_inputs)), fail_on_five)

    assert info.value.args == ('five',)
    assert info.value.__notes__ == [f'pmap-glib: raised by task 5 of {n_inputs}']
    assert len(calls) < n_inputs // 2


def test_glib_error_keeps_its_domain_and_code(executor):
    """A GLib.Error that the function raises is an exception like any
    other: it comes back as it was raised."""
    raised = []

    def not_found_on_three(item):
        if item.unpack() == 3:
            raised.append(GLib.Error('no such thing', 'g-io-error-quark',
                                     Gio.IOErrorEnum.NOT_FOUND))
            raise raised[0]
        return item

    with pytest.raises(GLib.Error) as info:
        executor.map(ints(range(10)), not_found_on_three)

    assert info.value is raised[0]
    assert_error(info.value, Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)
    assert info.value.message == 'no such thing'
    assert info.value.__notes__ == ['pmap-glib: raised by task 3 of 10']


def test_native_error_keeps_its_domain_and_code(executor, test_module):
    values = list(range(3000))
    values[1234] = -7

    with pytest.raises(GLib.Error) as info:
        executor.map_by_name('test.fail-on-negative', ints(values), None)

    assert_error(info.value, Gio.io_error_quark(), Gio.IOErrorEnum.INVALID_ARGUMENT)
    assert info.value.message == 'Task 1234 failed: negative input -7'


def test_missing_result(executor):
    """None is a result in a Python map, but a Pmap.Func that C calls
    must return a GVariant."""
    assert executor.map(ints([1, 2]), lambda v: None) == [None, None]

    with pytest.raises(GLib.Error) as info:
        executor.map_wrapped(Pmap.Wrapped.new(lambda v: None), ints([1, 2]), None)

    assert_error(info.value, Pmap.error_quark(), Pmap.Error.MISSING_RESULT,
                 'Task ')


def test_cancelled_before_the_map(executor, test_module):
    cancellable = Gio.Cancellable()
    cancellable.cancel()
    calls = []

    with pytest.raises(GLib.Error) as info:
        executor.map(ints(range(10)), lambda v: calls.append(v) or v,
                     cancellable=cancellable)
    assert_error(info.value, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)

    with pytest.raises(GLib.Error) as info:
        executor.map_by_name('test.square', ints(range(10)), cancellable)
    assert_error(info.value, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)

    assert calls == []


def test_cancelled_from_the_progress_handler(executor):
    cancellable, slow, calls = cancel_from_progress(executor, 10)
    n_inputs = 400

    with pytest.raises(GLib.Error) as info:
        executor.map(ints(range(n_inputs)), slow, cancellable=cancellable)

    assert_error(info.value, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert len(calls) < n_inputs // 2


def test_cancelled_from_another_thread_during_native_map(executor, test_module):
    executor.props.n_jobs = 2
    executor.props.batch_size = 1
    cancellable = Gio.Cancellable()
    # 100 tasks of 100 ms on 2 jobs would take 5 s.
    timer = threading.Timer(0.2, cancellable.cancel)

    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(GLib.Error) as info:
            executor.map_by_name('test.sleep-ms', ints([100] * 100), cancellable)
    finally:
        timer.join()
    elapsed = time.monotonic() - start

    assert_error(info.value, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert elapsed < 2.5


@pytest.mark.parametrize('backend', ['threads', 'sequential'])
def test_progress_on_the_calling_thread(executor, backend):
    """The progress of a Python map counts its chunks of batch-size calls."""
    executor.set_backend(Pmap.Backend.create(backend))
    executor.props.n_jobs = 2
    executor.props.batch_size = 3
    reports = []

    executor.connect('progress', lambda _, n_done, n_tasks:
                     reports.append((n_done, n_tasks, threading.get_ident())))
    executor.map(ints(range(100)), lambda v: v)

    assert reports
    assert {thread for _, _, thread in reports} == {threading.get_ident()}
    assert {n_tasks for _, n_tasks, _ in reports} == {34}
    done = [n_done for n_done, _, _ in reports]
    assert done == sorted(set(done))
    assert done[-1] == 34


def test_defaults(executor):
    assert executor.props.n_jobs == -1
    assert executor.props.batch_size == 0
    assert executor.props.backend.props.name == 'threads'
    assert executor.get_backend().get_name() == 'threads'


def test_construct_properties():
    backend = Pmap.Backend.create('sequential')
    executor = Pmap.Executor(n_jobs=3, batch_size=5, backend=backend)

    assert executor.props.n_jobs == 3
    assert executor.get_n_jobs() == 3
    assert executor.props.batch_size == 5
    assert executor.get_batch_size() == 5
    assert executor.props.backend == backend


@pytest.mark.parametrize('name, value', [('n-jobs', 4), ('batch-size', 9)])
def test_properties_notify_only_on_change(executor, name, value):
    notified = []
    executor.connect(f'notify::{name}', lambda *args: notified.append(args))

    executor.set_property(name, value)
    executor.set_property(name, value)

    assert executor.get_property(name) == value
    assert len(notified) == 1


def test_backend_property(executor):
    notified = []
    executor.connect('notify::backend', lambda *args: notified.append(args))
    sequential = Pmap.Backend.create('sequential')

    executor.props.backend = sequential
    assert executor.props.backend == sequential
    executor.props.backend = None
    assert executor.props.backend.props.name == 'threads'
    assert len(notified) == 2


def test_n_jobs_from_the_environment(monkeypatch):
    monkeypatch.setenv('PMAP_N_JOBS', '3')

    assert Pmap.Executor().props.n_jobs == 3


def test_malformed_n_jobs_in_the_environment(monkeypatch):
    monkeypatch.setenv('PMAP_N_JOBS', 'lots')
    executor = Pmap.Executor()

    with pytest.raises(GLib.Error) as info:
        executor.map(ints([1]), lambda v: v)
    assert_error(info.value, Pmap.error_quark(), Pmap.Error.INVALID_SETTING)
    assert 'PMAP_N_JOBS' in info.value.message

    # Setting the property replaces the environment's value.
    executor.props.n_jobs = 2
    assert unpack(executor.map(ints([1]), lambda v: v)) == [1]


def test_backend_from_the_environment(monkeypatch):
    monkeypatch.setenv('PMAP_BACKEND', 'sequential')

    assert Pmap.Executor().props.backend.props.name == 'sequential'


def test_unknown_backend_in_the_environment(monkeypatch):
    monkeypatch.setenv('PMAP_BACKEND', 'dask')
    executor = Pmap.Executor()

    assert executor.props.backend is None
    with pytest.raises(GLib.Error) as info:
        executor.map(ints([1]), lambda v: v)
    assert_error(info.value, Pmap.error_quark(), Pmap.Error.UNKNOWN_BACKEND)
    assert 'dask' in info.value.message

    executor.set_backend(Pmap.Backend.create('threads'))
    assert unpack(executor.map(ints([1]), lambda v: v)) == [1]


def fail_on_odd(item, *_user_data):
    x = item.unpack()
    if x % 2:
        raise GLib.Error(f'{x} is odd', GLib.quark_to_string(Gio.io_error_quark()),
                         Gio.IOErrorEnum.INVALID_DATA)
    return GLib.Variant('x', 10 * x)


def map_outcomes_async(executor, items, func):
    """Pmap.Executor.map_outcomes_async(), on a main loop until it ends."""
    return run_async(
        lambda done: Pmap.Executor.map_outcomes_async(executor, items, func,
                                                      cancellable=None, callback=done),
        executor.map_outcomes_finish).get()


@pytest.mark.parametrize('how', ['blocking', 'async'])
def test_map_outcomes_gives_each_input_its_outcome(executor, how):
    if how == 'blocking':
        outcomes = Pmap.Executor.map_outcomes(executor, ints(range(10)), fail_on_odd, None, None)
    else:
        outcomes = map_outcomes_async(executor, ints(range(10)), fail_on_odd)

    assert len(outcomes) == 10
    for i, outcome in enumerate(outcomes):
        if i % 2 == 0:
            assert outcome.succeeded()
            assert outcome.get_value().unpack() == 10 * i
        else:
            assert not outcome.succeeded()
            with pytest.raises(GLib.Error) as caught:
                outcome.get_value()
            assert_error(caught.value, Gio.io_error_quark(), Gio.IOErrorEnum.INVALID_DATA,
                         f'Task {i} failed: {i} is odd')

# test_async.py: Pmap.Executor's asynchronous map on a GLib main loop
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import threading
import time

import pytest

from helpers import (Gio, GLib, Pmap, assert_error, cancel_from_progress, ints,
                     run_async, unpack)


def map_async(executor, items, func, *user_data, cancellable=None,
              context=None):
    return run_async(
        lambda done: executor.map_async(items, func, *user_data,
                                        cancellable=cancellable,
                                        callback=done,
                                        user_data='callback data'),
        executor.map_finish, context)


def map_by_name_async(executor, name, items, cancellable=None):
    return run_async(
        lambda done: executor.map_by_name_async(name, items, cancellable, done),
        executor.map_by_name_finish)


def test_results_in_input_order(executor):
    values = list(range(3000))

    outcome = map_async(executor, ints(values),
                        lambda v: GLib.Variant('s', str(v.unpack())))

    assert unpack(outcome.get()) == [str(v) for v in values]
    assert outcome.callback_data == ('callback data',)
    assert outcome.caller_owned_context


def test_user_data_reaches_the_function(executor):
    outcome = map_async(executor, ints(range(50)),
                        lambda v, scale: GLib.Variant('x', v.unpack() * scale), 7)

    assert unpack(outcome.get()) == [v * 7 for v in range(50)]


@pytest.mark.parametrize('n_jobs', [-1, 1, 8])
def test_zero_inputs(executor, n_jobs):
    executor.props.n_jobs = n_jobs

    assert map_async(executor, [], lambda v: v).get() == []


def test_native_function_by_name(executor, test_module):
    outcome = map_by_name_async(executor, 'test.square', ints(range(5000)))

    assert unpack(outcome.get()) == [v * v for v in range(5000)]


def test_python_exception(executor):
    def fail_on_twelve(item):
        if item.unpack() == 12:
            raise RuntimeError('twelve')
        return item

    outcome = map_async(executor, ints(range(40)), fail_on_twelve)

    assert type(outcome.error) is RuntimeError
    assert outcome.error.args == ('twelve',)
    assert outcome.error.__notes__ == ['pmap-glib: raised by task 12 of 40']


def test_native_error_keeps_its_domain_and_code(executor, test_module):
    outcome = map_by_name_async(executor, 'test.fail-on-negative',
                                ints([0, 1, 2, -3, 4]))

    assert_error(outcome.error, Gio.io_error_quark(),
                 Gio.IOErrorEnum.INVALID_ARGUMENT)
    assert outcome.error.message == 'Task 3 failed: negative input -3'


def test_unknown_name(executor):
    outcome = map_by_name_async(executor, 'test.no-such-function', ints([1]))

    assert_error(outcome.error, Pmap.error_quark(),
                 Pmap.Error.UNKNOWN_FUNCTION)
    assert 'test.no-such-function' in outcome.error.message


def test_cancelled_before_the_map(executor):
    cancellable = Gio.Cancellable()
    cancellable.cancel()
    calls = []

    outcome = map_async(executor, ints(range(10)),
                        lambda v: calls.append(v) or v,
                        cancellable=cancellable)

    assert_error(outcome.error, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert calls == []


def test_cancelled_from_a_timeout(executor, test_module):
    executor.props.n_jobs = 2
    executor.props.batch_size = 1
    cancellable = Gio.Cancellable()

    def cancel():
        cancellable.cancel()
        return GLib.SOURCE_REMOVE

    # 100 tasks of 100 ms on 2 jobs would take 5 s.
    GLib.timeout_add(150, cancel)
    start = time.monotonic()
    outcome = map_by_name_async(executor, 'test.sleep-ms', ints([100] * 100),
                                cancellable)
    elapsed = time.monotonic() - start

    assert_error(outcome.error, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert elapsed < 2.5


def test_cancelled_from_the_progress_handler(executor):
    cancellable, slow, calls = cancel_from_progress(executor, 5)
    n_inputs = 400
    outcome = map_async(executor, ints(range(n_inputs)), slow,
                        cancellable=cancellable)

    assert_error(outcome.error, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert len(calls) < n_inputs // 2


def test_progress_on_the_callers_context(executor):
    """Python calls run in chunks of batch-size calls, whose progress the
    executor reports."""
    executor.props.n_jobs = 2
    executor.props.batch_size = 10
    context = GLib.MainContext()
    reports = []

    def on_progress(executor, n_done, n_tasks):
        reports.append((n_done, n_tasks, context.is_owner(),
                        threading.get_ident()))

    executor.connect('progress', on_progress)
    context.push_thread_default()
    try:
        outcome = map_async(executor, ints(range(500)), lambda v: v,
                            context=context)
    finally:
        context.pop_thread_default()

    assert unpack(outcome.get()) == list(range(500))
    assert outcome.caller_owned_context
    assert reports
    assert all(owned for _, _, owned, _ in reports)
    assert {thread for *_, thread in reports} == {threading.get_ident()}
    done = [n_done for n_done, *_ in reports]
    assert done == sorted(set(done))
    assert reports[-1][:2] == (50, 50)


def test_map_started_from_another_thread(executor, test_module):
    """Progress and completion go to the thread that started the map, on
    its own main context, not to the main thread."""
    reports = []
    outcome = []

    def on_progress(executor, n_done, n_tasks):
        reports.append((n_done, n_tasks, threading.get_ident()))

    def map_in_thread():
        context = GLib.MainContext()
        context.push_thread_default()
        try:
            outcome.append(run_async(
                lambda done: executor.map_by_name_async(
                    'test.square', ints(range(1000)), None, done),
                executor.map_by_name_finish, context))
        finally:
            context.pop_thread_default()
        outcome.append(threading.get_ident())

    executor.connect('progress', on_progress)
    thread = threading.Thread(target=map_in_thread)
    thread.start()
    thread.join()

    result, thread_id = outcome
    assert unpack(result.get()) == [v * v for v in range(1000)]
    assert result.caller_owned_context
    assert {thread for *_, thread in reports} == {thread_id}
    assert reports[-1][:2] == (1000, 1000)


def test_sequential_backend_runs_tasks_before_returning(executor):
    executor.set_backend(Pmap.Backend.create('sequential'))
    calls = []
    completed = []
    loop = GLib.MainLoop()

    def done(executor, result, *_):
        completed.append(unpack(executor.map_finish(result)))
        loop.quit()

    executor.map_async(ints(range(20)), lambda v: calls.append(v) or v,
                       callback=done)
    assert len(calls) == 20
    # Only the callback waits for the main context.
    assert completed == []
    loop.run()
    assert completed == [list(range(20))]

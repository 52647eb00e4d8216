# test_native_async.py: asynchronous maps of Python values, GIO's way on a
# main loop and asyncio's
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import threading
import time

import pytest

from helpers import Gio, GLib, Pmap, assert_error, napping, run_async

BACKENDS = ['threads', 'sequential']


@pytest.fixture(params=BACKENDS)
def executor(request):
    return Pmap.Executor(backend=request.param, n_jobs=2)


def gio_map(executor, items, func, *args, cancellable=None, user_data=None):
    return run_async(
        lambda done: executor.map_async(items, func, *args,
                                        cancellable=cancellable,
                                        callback=done, user_data=user_data),
        executor.map_finish)


def test_gio_results(executor):
    values = [None, 'a', (1, 2), {'k': b'v'}] + list(range(1000))

    outcome = gio_map(executor, values, lambda v, suffix: (v, suffix), '!',
                      user_data={'mine': 1})

    assert outcome.get() == [(v, '!') for v in values]
    assert outcome.callback_data == ({'mine': 1},)
    assert outcome.caller_owned_context


def test_gio_callback_gets_the_executor(executor):
    loop = GLib.MainLoop()
    seen = []

    def done(source, result, user_data):
        seen.append((source, user_data, source.map_finish(result)))
        loop.quit()

    executor.map_async(range(5), str, callback=done)
    loop.run()

    assert seen == [(executor, None, ['0', '1', '2', '3', '4'])]


def test_gio_exception(executor):
    def fail_on_3(x):
        if x == 3:
            raise LookupError('three')
        return x

    outcome = gio_map(executor, range(10), fail_on_3)

    assert type(outcome.error) is LookupError
    assert outcome.error.__notes__ == ['pmap-glib: raised by task 3 of 10']


def test_gio_cancelled(executor):
    """Cancelled from another thread: the sequential backend runs its calls
    before map_async() returns, leaving the main loop no chance."""
    cancellable = Gio.Cancellable()
    nap, started = napping()

    timer = threading.Timer(0.1, cancellable.cancel)
    timer.start()
    try:
        outcome = gio_map(executor, range(400), nap, cancellable=cancellable)
    finally:
        timer.join()

    assert_error(outcome.error, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert len(started) < 200


def test_gio_setting_errors_reach_the_callback(monkeypatch):
    monkeypatch.setenv('PMAP_BACKEND', 'dask')
    executor = Pmap.Executor()

    outcome = gio_map(executor, range(3), str)

    assert_error(outcome.error, Pmap.error_quark(), Pmap.Error.UNKNOWN_BACKEND)


def test_gio_on_processes():
    executor = Pmap.Executor(backend='processes', n_jobs=2)

    outcome = gio_map(executor, range(3), str)

    assert outcome.get() == ['0', '1', '2']
    executor.props.backend.shutdown()


def test_asyncio_results(executor):
    async def main():
        return await asyncio.gather(executor.map_async(range(3000), lambda x: x * x),
                                    executor.map_async(['a', 'b'], str.upper))

    squares, letters = asyncio.run(main())

    assert squares == [x * x for x in range(3000)]
    assert letters == ['A', 'B']


def test_asyncio_exception(executor):
    async def main():
        return await executor.map_async([1, 0, 2], lambda x: 1 // x)

    with pytest.raises(ZeroDivisionError) as info:
        asyncio.run(main())

    assert info.value.__notes__ == ['pmap-glib: raised by task 1 of 3']


def test_asyncio_progress_on_the_loop_thread(executor):
    executor.props.batch_size = 4
    reports = []

    async def main():
        return await executor.map_async(
            range(40), abs,
            progress=lambda n_done, n_calls:
                reports.append((n_done, n_calls, threading.get_ident())))

    assert asyncio.run(main()) == list(range(40))
    assert reports[-1][:2] == (40, 40)
    assert {thread for *_, thread in reports} == {threading.get_ident()}


def test_asyncio_task_cancelled(executor):
    nap, started = napping()

    async def main():
        task = asyncio.create_task(executor.map_async(range(400), nap))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The map stopped before the task ended.
        n_started = len(started)
        await asyncio.sleep(0.05)
        return n_started

    n_started = asyncio.run(main())

    assert 0 < n_started < 200
    assert len(started) == n_started


def test_asyncio_cancellable(executor):
    cancellable = Gio.Cancellable()
    nap, started = napping()

    async def main():
        asyncio.get_running_loop().call_later(0.1, cancellable.cancel)
        return await executor.map_async(range(400), nap, cancellable=cancellable)

    with pytest.raises(GLib.Error) as info:
        asyncio.run(main())

    assert_error(info.value, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert len(started) < 200


def test_asyncio_without_awaiting_runs_nothing(executor):
    calls = []

    awaitable = executor.map_async(range(3), calls.append)
    time.sleep(0.05)
    assert calls == []

    assert asyncio.run(awaitable) == [None] * 3
    assert sorted(calls) == [0, 1, 2]

# test_backends.py: backends by name, and a backend written in Python
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import threading

import pytest

from helpers import GLib, Pmap, assert_error, ints, run_async, unpack


@pytest.mark.parametrize('name, expected', [('threads', 'threads'),
                                            ('threading', 'threads'),
                                            ('sequential', 'sequential')])
def test_create_by_name(name, expected):
    backend = Pmap.Backend.create(name)

    assert isinstance(backend, Pmap.Backend)
    assert backend.props.name == expected
    assert backend.get_name() == expected


def test_unknown_name():
    with pytest.raises(GLib.Error) as info:
        Pmap.Backend.create('dask')

    assert_error(info.value, Pmap.error_quark(), Pmap.Error.UNKNOWN_BACKEND)
    assert '“dask”' in info.value.message


@pytest.mark.parametrize('name, on_caller', [('threads', False),
                                             ('sequential', True)])
def test_where_tasks_run(executor, name, on_caller):
    executor.set_backend(Pmap.Backend.create(name))
    executor.props.n_jobs = 2
    threads = set()

    def record(item):
        threads.add(threading.get_ident())
        return item

    executor.map(ints(range(50)), record)

    assert (threads == {threading.get_ident()}) == on_caller


class LoopBackend(Pmap.Backend):
    """Runs every batch inside submit(), recording what it saw."""

    def __init__(self):
        super().__init__(name='python-loop')
        self.batches = []
        self.jobs = []

    def do_submit(self, job):
        self.jobs.append((job.get_n_tasks(), job.get_n_jobs()))
        while True:
            claimed, first, n_tasks = job.claim()
            if not claimed:
                break
            self.batches.append((first, n_tasks))
            job.run_batch(first, n_tasks)


class ThreadBackend(Pmap.Backend):
    """Runs batches on Python threads, one per job, and returns at once."""

    def __init__(self):
        super().__init__(name='python-threads')
        self.threads = []

    def do_submit(self, job):
        for _ in range(job.get_n_jobs()):
            thread = threading.Thread(target=self.drain, args=(job,))
            self.threads.append(thread)
            thread.start()

    @staticmethod
    def drain(job):
        while True:
            claimed, first, n_tasks = job.claim()
            if not claimed:
                return
            job.run_batch(first, n_tasks)

    def join(self):
        for thread in self.threads:
            thread.join()


def covered(batches):
    """The tasks that @batches cover, in the order they were claimed."""
    return [i for first, n in batches for i in range(first, first + n)]


def test_python_backend_runs_every_batch(executor, test_module):
    backend = LoopBackend()
    executor.props.backend = backend
    executor.props.n_jobs = 3
    executor.props.batch_size = 7

    results = executor.map_by_name('test.square', ints(range(100)), None)

    assert executor.props.backend == backend
    assert unpack(results) == [v * v for v in range(100)]
    assert backend.jobs == [(100, 3)]
    assert all(n_tasks <= 7 for _, n_tasks in backend.batches)
    assert covered(backend.batches) == list(range(100))


def test_python_backend_runs_python_calls_in_chunks(executor):
    """A Python map hands the backend one task per chunk of batch-size
    calls, claimed one at a time, and no job before that."""
    backend = LoopBackend()
    executor.props.backend = backend
    executor.props.n_jobs = 3
    executor.props.batch_size = 7

    results = executor.map(range(100), lambda v: v * 2)

    assert results == [v * 2 for v in range(100)]
    assert backend.jobs == [(15, 3)]
    assert backend.batches == [(k, 1) for k in range(15)]


def test_python_backend_with_automatic_batches(executor, test_module):
    backend = LoopBackend()
    executor.props.backend = backend
    executor.props.n_jobs = 4

    results = executor.map_by_name('test.square', ints(range(5000)), None)

    assert unpack(results) == [v * v for v in range(5000)]
    assert 1 < len(backend.batches) < 5000
    assert covered(backend.batches) == list(range(5000))


def test_python_backend_stops_after_an_error(executor, test_module):
    backend = LoopBackend()
    executor.props.backend = backend
    executor.props.n_jobs = 2
    executor.props.batch_size = 10
    values = list(range(1000))
    values[42] = -1

    with pytest.raises(GLib.Error) as info:
        executor.map_by_name('test.fail-on-negative', ints(values), None)

    assert info.value.message == 'Task 42 failed: negative input -1'
    assert backend.batches == [(0, 10), (10, 10), (20, 10), (30, 10), (40, 10)]


def test_one_job_bypasses_the_backend(executor):
    backend = LoopBackend()
    executor.props.backend = backend
    executor.props.n_jobs = 1

    assert unpack(executor.map(ints([1, 2]), lambda v: v)) == [1, 2]
    assert backend.jobs == []


def test_python_backend_on_threads(executor):
    backend = ThreadBackend()
    executor.props.backend = backend
    executor.props.n_jobs = 2
    threads = set()

    def record(item):
        threads.add(threading.get_ident())
        return GLib.Variant('x', item.unpack() - 1)

    results = executor.map(ints(range(2000)), record)
    backend.join()

    assert unpack(results) == list(range(-1, 1999))
    assert threads <= {thread.ident for thread in backend.threads}
    assert len(backend.threads) == 2


def test_python_backend_on_threads_async(executor, test_module):
    backend = ThreadBackend()
    executor.props.backend = backend
    executor.props.n_jobs = 3

    outcome = run_async(
        lambda done: executor.map_by_name_async('test.square', ints(range(3000)),
                                                None, done),
        executor.map_by_name_finish)
    backend.join()

    assert unpack(outcome.get()) == [v * v for v in range(3000)]
    assert len(backend.threads) == 3


def test_idle_timeout_property():
    backend = Pmap.Backend.create('processes')
    assert backend.get_idle_timeout() == 300
    assert backend.props.idle_timeout == 300

    notified = []
    backend.connect('notify::idle-timeout', lambda *args: notified.append(True))
    backend.set_idle_timeout(5)
    backend.set_idle_timeout(5)
    assert backend.props.idle_timeout == 5
    assert notified == [True]

    # Backends that keep no workers keep the setting all the same.
    threads = Pmap.Backend.create('threads')
    threads.props.idle_timeout = 0
    assert threads.get_idle_timeout() == 0

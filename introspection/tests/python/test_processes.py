# test_processes.py: Python functions in pmap-glib's Python worker processes
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import zlib

import pytest

from helpers import Gio, GLib, Pmap, assert_error, run_async


@pytest.fixture
def processes():
    """An executor on the processes backend whose workers leave with it."""
    executor = Pmap.Executor(n_jobs=2, backend='processes')
    yield executor
    executor.get_backend().shutdown()
    assert children() == [], 'worker processes outlived the backend'


def children():
    """The pids of this process's children, zombies included."""
    me = os.getpid()
    found = []
    for entry in os.listdir('/proc/self/task'):
        try:
            with open(f'/proc/self/task/{entry}/children') as file:
                found.extend(int(pid) for pid in file.read().split())
        except FileNotFoundError:
            pass
    return sorted(pid for pid in found if pid != me)


def double(x, *args):
    return 2 * x


def where(_):
    return os.getpid(), sys.executable


def fail_on(x, bad):
    if x == bad:
        raise ValueError(f'{x} is bad')
    return x


def die(x, how):
    if x == 3:
        if how == 'exit':
            os._exit(3)
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def sleep_for(seconds):
    time.sleep(seconds)
    return seconds


class Unpicklable(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.callback = lambda: None


def raise_unpicklable(x):
    raise Unpicklable(f'cannot travel back {x}')


VALUES = [0, -1, 2**62, 3.5, 'text', b'\x00bytes', None, True, (1, 'a'),
          [1, [2, 3]], {'key': ('value', 1)}, {1, 2}, frozenset({'f'}),
          complex(1, 2), GLib.Variant('(xs)', (7, 'variant'))]


def identity(x):
    return x


@pytest.mark.parametrize('serializer', ['cloudpickle', 'pickle'])
def test_native_values_round_trip(processes, serializer):
    processes.set_serializer(Pmap.Serializer.create(serializer))

    results = processes.map(VALUES, identity)

    assert results[:-1] == VALUES[:-1]
    assert results[-1].unpack() == (7, 'variant')


def test_results_in_order(processes):
    assert processes.map(range(10_000), double) == [2 * x for x in range(10_000)]


def test_calls_run_in_workers_of_the_same_interpreter(processes):
    results = processes.map(range(20), where)

    pids = {pid for pid, _ in results}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2
    assert {executable for _, executable in results} == {sys.executable}


def test_delayed_calls_with_arguments(processes):
    big = list(range(1_000_000))

    results = processes(Pmap.delayed(double)(x, big) for x in range(3))

    assert results == [0, 2, 4]


def test_different_functions_in_one_map(processes):
    results = processes([Pmap.delayed(double)(4), Pmap.delayed(identity)('x'),
                         Pmap.delayed(pow)(2, 10)])

    assert results == [8, 'x', 1024]


def test_lambdas_and_closures_by_value(processes):
    offset = 100

    assert processes.map(range(5), lambda x: x + offset) == [100, 101, 102, 103, 104]


def test_pickle_refuses_lambdas(processes):
    processes.set_serializer(Pmap.Serializer.create('pickle'))

    with pytest.raises(GLib.Error) as caught:
        processes.map(range(5), lambda x: x)

    assert_error(caught.value, Pmap.error_quark(), Pmap.Error.NOT_SERIALIZABLE)
    assert 'could not be pickled' in caught.value.message


def test_pickle_refuses_main_functions(processes):
    def func_async(i, *args):
        return 2 * i
    func_async.__module__ = '__main__'
    func_async.__qualname__ = 'func_async'
    processes.set_serializer(Pmap.Serializer.create('variant'))

    with pytest.raises(GLib.Error) as caught:
        processes.map([21], func_async)

    assert_error(caught.value, Pmap.error_quark(), Pmap.Error.NOT_SERIALIZABLE)
    for phrase in ('func_async', '__main__', 'Pmap.wrap_non_picklable_objects(func_async)'):
        assert phrase in caught.value.message

    wrapped = Pmap.wrap_non_picklable_objects(func_async)
    assert processes.map([21], wrapped) == [42]


def test_wrapped_object_travels_by_value(processes):
    class Scale:
        def __init__(self, factor):
            self.factor = factor
    Scale.__module__ = '__main__'
    processes.set_serializer(Pmap.Serializer.create('pickle'))
    scale = Pmap.wrap_non_picklable_objects(Scale(3))

    results = processes(Pmap.delayed(getattr)(scale, 'factor') for _ in range(2))

    assert results == [3, 3]


def test_exception_keeps_its_type_and_remote_traceback(processes):
    with pytest.raises(ValueError) as caught:
        processes.map(range(100), fail_on, 37)

    exc = caught.value
    assert str(exc) == '37 is bad'
    assert isinstance(exc.__cause__, Pmap.RemoteTraceback)
    assert 'in fail_on' in exc.__cause__.text
    assert "raise ValueError(f'{x} is bad')" in exc.__cause__.text
    assert any('task 37 of 100' in note for note in exc.__notes__)


def test_unpicklable_exception(processes):
    with pytest.raises(Exception) as caught:
        processes.map([5], raise_unpicklable)

    assert 'Unpicklable' in str(caught.value)
    assert 'cannot travel back 5' in str(caught.value)


@pytest.mark.parametrize('how, phrase', [('exit', 'exited with status 3'),
                                         ('kill', 'killed by signal 9')])
def test_dead_worker_fails_its_calls_and_is_replaced(processes, how, phrase):
    processes.props.batch_size = 1

    with pytest.raises(GLib.Error) as caught:
        processes.map(range(8), die, how)

    assert_error(caught.value, Pmap.error_quark(), Pmap.Error.WORKER_CRASHED,
                 'Task 3 failed: ')
    assert phrase in caught.value.message
    assert processes.map(range(8), double) == [2 * x for x in range(8)]


def test_cancellation_kills_busy_workers(processes):
    cancellable = Gio.Cancellable()
    timer = threading.Timer(0.5, cancellable.cancel)
    timer.start()
    start = time.monotonic()

    with pytest.raises(GLib.Error) as caught:
        processes.map([60, 60], sleep_for, cancellable=cancellable)

    assert caught.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED)
    assert time.monotonic() - start < 10
    assert processes.map(range(4), double) == [0, 2, 4, 6]


def test_asyncio_form(processes):
    async def main():
        return await processes.map_async(range(100), double)

    assert asyncio.run(main()) == [2 * x for x in range(100)]


def test_gio_async_form(processes):
    outcome = run_async(
        lambda done: processes.map_async(range(100), double, callback=done),
        processes.map_finish)

    assert outcome.get() == [2 * x for x in range(100)]


def test_serializer_from_parallel_config():
    with Pmap.parallel_config(backend='processes', n_jobs=2, serializer='pickle'):
        executor = Pmap.Executor()
        try:
            assert executor.map(range(4), double) == [0, 2, 4, 6]
            with pytest.raises(GLib.Error):
                executor.map(range(4), lambda x: x)
        finally:
            executor.get_backend().shutdown()


def test_serializer_from_environment(monkeypatch):
    monkeypatch.setenv('PMAP_SERIALIZER', 'pickle')
    executor = Pmap.Executor(n_jobs=2, backend='processes')
    try:
        assert executor.get_serializer().get_name() == 'pickle'
        with pytest.raises(GLib.Error):
            executor.map(range(4), lambda x: x)
    finally:
        executor.get_backend().shutdown()


def test_serializers_are_registered():
    for name in ('pickle', 'cloudpickle'):
        serializer = Pmap.Serializer.create(name)
        assert serializer.get_name() == name


def test_worker_command_runs_this_interpreter():
    from gi.overrides import _pmap_remote

    command = _pmap_remote.worker_command()

    assert command[0] == sys.executable
    assert 'host_workers' in command[-1]


def test_timeout_kills_the_slow_call(processes):
    timed = Pmap.Executor(n_jobs=2, backend=processes.get_backend(), timeout=0.5)
    # A call's clock includes what its worker does first for a function of
    # a module it has not imported: on a loaded machine, more than the
    # quick calls' timeout. Workers that ran it once have it ready.
    assert timed.map([0, 0], sleep_for) == [0, 0]
    start = time.monotonic()

    with pytest.raises(GLib.Error) as caught:
        timed.map([0.01, 0.01, 60, 0.01], sleep_for)

    assert_error(caught.value, Pmap.error_quark(), Pmap.Error.TIMED_OUT, 'Task 2 failed: ')
    assert 'timeout of 0.5 s' in caught.value.message
    assert time.monotonic() - start < 20
    # Each call is timed alone, not the map: on two workers, four calls of
    # 1.2 s take 2.4 s, and pass a timeout of 2 s.
    timed.props.timeout = 2
    assert timed.map([1.2] * 4, sleep_for) == [1.2] * 4


def exit_once(path):
    """Dies the first time it runs for @path, which it then makes."""
    if not os.path.exists(path):
        open(path, 'w').close()
        os._exit(3)
    return path


def test_retries_recover_a_killed_worker(processes, tmp_path):
    paths = [str(tmp_path / str(i)) for i in range(6)]
    for path in paths[:3] + paths[4:]:
        open(path, 'w').close()

    with pytest.raises(GLib.Error) as caught:
        Pmap.Executor(n_jobs=2, backend=processes.get_backend()).map(paths, exit_once)
    assert_error(caught.value, Pmap.error_quark(), Pmap.Error.WORKER_CRASHED)

    os.remove(paths[3])
    retrying = Pmap.Executor(n_jobs=2, backend=processes.get_backend(), retries=1)
    assert retrying.map(paths, exit_once) == paths


def test_workers_leave_after_max_tasks(processes):
    processes.props.batch_size = 1
    processes.get_backend().props.max_tasks_per_worker = 3

    results = processes.map(range(12), where)

    pids = [pid for pid, _ in results]
    assert max(pids.count(pid) for pid in set(pids)) <= 3
    assert len(set(pids)) >= 4


def hog_mb(mb):
    """Holds @mb MiB for a moment, long enough to be seen."""
    held = bytearray(mb << 20)
    time.sleep(0.3)
    return len(held) >> 20


def test_a_worker_past_twice_its_memory_limit_is_killed(processes):
    processes.props.batch_size = 1
    processes.get_backend().props.max_worker_memory = 96 << 20

    with pytest.raises(GLib.Error) as caught:
        processes.map([0, 0, 500, 0], hog_mb)

    assert_error(caught.value, Pmap.error_quark(), Pmap.Error.MEMORY_LIMIT,
                 'Task 2 failed: the worker process ')
    assert "max-worker-memory of 96 MiB, and was killed" in caught.value.message
    assert processes.map([1, 2], hog_mb) == [1, 2]


FORK_SCRIPT = '''
import os
import gi
gi.require_version('Pmap', '1.0')
from gi.repository import GLib, Pmap

executor = Pmap.Executor(n_jobs=2, backend='processes')
assert executor.map(range(4), abs) == [0, 1, 2, 3]
copy = os.fork()
if copy == 0:
    try:
        executor.map(range(4), abs)
    except GLib.Error as error:
        refused = (error.matches(Pmap.error_quark(), Pmap.Error.FORKED) and
                   '“spawn” or “forkserver” start method' in error.message)
        sequential = Pmap.Executor(n_jobs=2, backend='sequential').map(range(4), abs)
        os._exit(0 if refused and sequential == [0, 1, 2, 3] else 1)
    os._exit(2)
_, status = os.waitpid(copy, 0)
assert os.waitstatus_to_exitcode(status) == 0, status
assert executor.map(range(4), abs) == [0, 1, 2, 3]
print('ok')
'''


def test_a_copy_made_by_fork_refuses_maps_on_worker_processes():
    """A copy that fork() made after the pool started, as multiprocessing's
    "fork" start method makes, has neither its threads nor its workers: its
    map fails at once with Pmap.Error.FORKED, rather than waiting for
    ever; the sequential backend still runs there, and the original maps
    on."""
    child = subprocess.run([sys.executable, '-B', '-c', FORK_SCRIPT],
                           capture_output=True, text=True, timeout=60)

    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == 'ok'


def more_than_the_protocol_carries(_):
    return bytes(513 << 20)


def test_a_result_larger_than_the_protocol_carries_fails_its_task(processes):
    """The protocol's limit of 512 MiB a message: the task fails, saying
    what to do, and its worker stays."""
    with pytest.raises(GLib.Error) as caught:
        processes.map([0], more_than_the_protocol_carries)

    assert_error(caught.value, Pmap.error_quark(), Pmap.Error.NOT_SERIALIZABLE,
                 'Task 0 failed: A message of ')
    assert 'return less from a task, or write a large result to a file' in caught.value.message
    assert processes.map([-1, -2], abs) == [1, 2]


@pytest.mark.parametrize('backend', ['processes', 'threads', 'sequential'])
def test_return_exceptions(backend):
    executor = Pmap.Executor(n_jobs=2, backend=backend, batch_size=3)
    try:
        results = executor.map(range(10), fail_on, 4, return_exceptions=True)
    finally:
        executor.get_backend().shutdown()

    assert [r for i, r in enumerate(results) if i != 4] == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    exc = results[4]
    assert isinstance(exc, ValueError)
    assert str(exc) == '4 is bad'
    assert any('task 4 of 10' in note for note in exc.__notes__)
    if backend == 'processes':
        assert isinstance(exc.__cause__, Pmap.RemoteTraceback)
        assert 'in fail_on' in exc.__cause__.text


@pytest.mark.parametrize('batch_size', [1, 2])
def test_return_exceptions_survives_a_dead_worker(processes, batch_size):
    """The calls of the chunk whose worker died get its error; the others
    their results, and the next map a new worker."""
    processes.props.batch_size = batch_size

    results = processes.map(range(8), die, 'exit', return_exceptions=True)

    dead = range(2, 4) if batch_size == 2 else range(3, 4)
    for i, result in enumerate(results):
        if i not in dead:
            assert result == i
            continue
        assert_error(result, Pmap.error_quark(), Pmap.Error.WORKER_CRASHED,
                     'Task 3 failed: ' if batch_size == 1 else 'One of tasks 2–3 failed: ')
        assert 'exited with status 3' in result.message
    # Each call has an exception of its own, to raise or annotate.
    assert len({id(results[i]) for i in dead}) == len(dead)
    assert processes.map(range(4), double) == [0, 2, 4, 6]


def test_return_exceptions_async(processes):
    async def main():
        return await processes.map_async(range(6), fail_on, 2, return_exceptions=True)

    results = asyncio.run(main())

    assert isinstance(results[2], ValueError)
    assert results[:2] + results[3:] == [0, 1, 3, 4, 5]


def describe_large(data=b'', key=None):
    """What a worker got: the argument's type, size and checksum (@key's
    if given, else @data's), its pid, and how many shared-memory values of
    pmap-glib's it maps."""
    data = data if key is None else key
    with open('/proc/self/maps') as maps:
        n_mapped = sum('memfd:pmap-bytes' in line for line in maps)
    return type(data).__name__, len(data), zlib.crc32(data), os.getpid(), n_mapped


@pytest.mark.parametrize('serializer', ['cloudpickle', 'pickle'])
def test_large_bytes_shared_by_calls_reach_each_worker_once(processes, serializer):
    """A bytes argument of max_nbytes or more travels out of band, in
    shared memory that the worker maps, once for all the chunks that hold
    it; the calls get it as bytes, whole."""
    processes.set_serializer(Pmap.Serializer.create(serializer))
    processes.props.max_nbytes = 64 << 10
    processes.props.batch_size = 1
    payload = os.urandom(256 << 10)

    results = processes.map([payload] * 40, describe_large)

    assert {(kind, size, crc) for kind, size, crc, _, _ in results} == \
        {('bytes', len(payload), zlib.crc32(payload))}
    assert 1 <= len({pid for _, _, _, pid, _ in results}) <= 2
    assert [n_mapped for *_, n_mapped in results] == [1] * 40


class CountsItsPickling:
    """A function that counts, in this process, the times it is pickled."""

    pickled = 0

    def __reduce__(self):
        type(self).pickled += 1
        return (CountsItsPickling, ())

    def __call__(self, data):
        return len(data)


def test_chunks_with_large_arguments_are_pickled_once(processes):
    """A map whose calls share a large argument pickles each chunk once,
    the first chunk included."""
    processes.props.max_nbytes = 64 << 10
    processes.props.batch_size = 1
    payload = os.urandom(128 << 10)
    CountsItsPickling.pickled = 0

    assert processes.map([payload] * 4, CountsItsPickling()) == [len(payload)] * 4
    assert CountsItsPickling.pickled == 4


class Buffered:
    """An object that pickles its data as a PickleBuffer, as a NumPy array
    does."""

    def __init__(self, data):
        self.data = data

    def __reduce_ex__(self, protocol):
        return (Buffered, (pickle.PickleBuffer(self.data),))


def test_large_arguments_keep_their_type(processes):
    """Large bytes and bytearray arguments, positional or by keyword,
    arrive as themselves; small ones travel in the pickle, as before, and
    so do other objects' buffers."""
    processes.props.max_nbytes = 64 << 10
    large, small = os.urandom(128 << 10), os.urandom(100)
    calls = [Pmap.delayed(describe_large)(large), Pmap.delayed(describe_large)(bytearray(large)),
             Pmap.delayed(describe_large)(b'', key=large), Pmap.delayed(describe_large)(small),
             Pmap.delayed(lambda buffered: bytes(buffered.data))(Buffered(bytearray(large)))]

    results = processes(calls)

    assert [r[:3] for r in results[:4]] == [
        ('bytes', len(large), zlib.crc32(large)), ('bytearray', len(large), zlib.crc32(large)),
        ('bytes', len(large), zlib.crc32(large)), ('bytes', len(small), zlib.crc32(small))]
    assert results[4] == large


def test_shared_bytes_reach_each_worker_once(processes, test_module):
    """A value over Pmap.bytes_new_shared() that every input holds: each
    worker maps the parent's memfd once, with no copy."""
    payload = bytes(range(256)) * 8192  # 2 MiB
    shared = Pmap.bytes_new_shared(payload)
    value = GLib.Variant.new_from_bytes(GLib.VariantType('ay'), shared, True)
    items = [GLib.Variant.new_tuple(GLib.Variant('u', i), GLib.Variant('s', ''), value)
             for i in range(20)]
    processes.props.batch_size = 1

    results = [r.unpack() for r in processes.map_by_name('test.inspect-bytes', items, None)]

    assert Pmap.bytes_is_shared(shared)
    assert not Pmap.bytes_is_shared(GLib.Bytes.new(payload))
    assert shared.get_data() == payload
    address_of = {}
    for pid, address, mapping, n_shared in results:
        assert 'memfd:pmap-bytes' in mapping
        assert n_shared == 1
        assert address_of.setdefault(pid, address) == address
    assert 1 <= len(address_of) <= 2

# test_serializers.py: serializers, wrapped functions and the processes
# backend, from Python
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import threading

import pytest

from helpers import GLib, Pmap, assert_error, ints, run_async, unpack
from gi.repository import GObject  # noqa: I100 (after helpers' require_version)

SQUARES = [i * i for i in range(100)]


@pytest.fixture(autouse=True)
def no_serializer_setting(monkeypatch):
    """Executors take their serializer from the environment too."""
    monkeypatch.delenv('PMAP_SERIALIZER', raising=False)


def executor_on(backend, serializer='general', n_jobs=2):
    executor = Pmap.Executor()
    executor.set_backend(Pmap.Backend.create(backend))
    executor.set_serializer(Pmap.Serializer.create(serializer))
    executor.props.n_jobs = n_jobs
    return executor


def square(item):
    return GLib.Variant('x', item.unpack() ** 2)


@pytest.mark.parametrize('name, by_value', [('general', True),
                                            ('variant', False)])
def test_create_by_name(name, by_value):
    serializer = Pmap.Serializer.create(name)

    assert type(serializer) is Pmap.Serializer
    assert serializer.props.name == serializer.get_name() == name
    assert serializer.props.functions_by_value is by_value
    assert serializer.get_functions_by_value() is by_value


def test_unknown_name():
    with pytest.raises(GLib.Error) as info:
        Pmap.Serializer.create('marshal')

    assert_error(info.value, Pmap.error_quark(), Pmap.Error.UNKNOWN_SERIALIZER)
    assert '“marshal”' in info.value.message


def test_properties_construct_only():
    serializer = Pmap.Serializer(name='mine', functions_by_value=False)

    assert serializer.props.name == 'mine'
    assert not serializer.props.functions_by_value
    assert Pmap.Serializer().props.functions_by_value
    for name in ('name', 'functions-by-value'):
        pspec = Pmap.Serializer.find_property(name)
        assert pspec.flags & GObject.ParamFlags.CONSTRUCT_ONLY


def test_base_class_passes_values_through():
    value = GLib.Variant('ax', list(range(1000)))
    serializer = Pmap.Serializer.create('variant')

    assert serializer.decode(serializer.encode(value)) == value


def test_executor_serializer(executor):
    default = executor.props.serializer
    variant = Pmap.Serializer.create('variant')
    notified = []
    executor.connect('notify::serializer',
                     lambda executor, pspec: notified.append(executor.get_serializer()))

    assert default.props.name == 'general'
    assert executor.get_serializer() is default

    executor.props.serializer = variant
    executor.set_serializer(variant)
    assert executor.get_serializer() is variant
    assert notified == [variant]

    executor.set_serializer(None)
    assert executor.props.serializer.props.name == 'general'
    assert len(notified) == 2


@pytest.mark.parametrize('value, expected', [('variant', 'variant'),
                                             ('general', 'general'),
                                             ('', 'general')])
def test_serializer_from_environment(monkeypatch, value, expected):
    monkeypatch.setenv('PMAP_SERIALIZER', value)

    assert Pmap.Executor().props.serializer.props.name == expected


def test_unknown_serializer_in_environment(monkeypatch):
    monkeypatch.setenv('PMAP_SERIALIZER', 'marshal')
    executor = Pmap.Executor(backend='threads')
    calls = []

    assert executor.props.serializer is None
    with pytest.raises(GLib.Error) as info:
        executor.map(ints(range(4)), calls.append)

    assert_error(info.value, Pmap.error_quark(), Pmap.Error.UNKNOWN_SERIALIZER)
    assert 'PMAP_SERIALIZER' in info.value.message
    assert 'marshal' in info.value.message
    assert calls == []

    executor.set_serializer(Pmap.Serializer.create('general'))
    assert unpack(executor.map(ints(range(4)), square)) == [0, 1, 4, 9]


@pytest.mark.parametrize('backend, on_caller', [('threads', False),
                                                ('sequential', True)])
def test_wrapped_in_process(backend, on_caller):
    """Backends that run tasks here call a wrapped Python function as it
    is, with its user data, whatever the serializer."""
    executor = executor_on(backend, 'variant')
    threads = set()

    def add(item, offset):
        threads.add(threading.get_ident())
        return GLib.Variant('x', item.unpack() + offset)

    wrapped = Pmap.Wrapped.new(add, 1000)
    results = executor.map_wrapped(wrapped, ints(range(200)), None)

    assert unpack(results) == [i + 1000 for i in range(200)]
    assert (threads == {threading.get_ident()}) == on_caller


def test_wrapped_async():
    executor = executor_on('threads')
    wrapped = Pmap.Wrapped.new(square)

    outcome = run_async(
        lambda callback: executor.map_wrapped_async(wrapped, ints(range(100)),
                                                    None, callback),
        executor.map_wrapped_finish)

    assert unpack(outcome.get()) == SQUARES
    assert outcome.caller_owned_context


def test_wrapped_exception():
    """An exception in a wrapped function fails its task as in any map."""
    executor = executor_on('threads')

    def fail_on_seven(item):
        if item.unpack() == 7:
            raise ValueError('seven is too many')
        return item

    with pytest.raises(GLib.Error) as info:
        executor.map_wrapped(Pmap.Wrapped.new(fail_on_seven), ints(range(20)), None)

    assert_error(info.value, Pmap.error_quark(), Pmap.Error.FAILED,
                 'Task 7 failed: ValueError: seven is too many')


@pytest.mark.parametrize('serializer', ['general', 'variant'])
def test_module_function_on_processes(test_module, serializer):
    """A function that a module registers reaches the pmap-worker helper by
    its name and the module, whichever the serializer."""
    executor = executor_on('processes', serializer)

    assert unpack(executor.map_by_name('test.square', ints(range(100)), None)) == SQUARES


def where_it_ran(x):
    return x, os.getpid()


@pytest.mark.parametrize('serializer', ['general', 'variant', 'cloudpickle', 'pickle'])
def test_python_function_on_processes(serializer):
    """A Python function runs in Python worker processes with every
    serializer that Python knows: `general` stands for cloudpickle and
    `variant` for pickle."""
    executor = executor_on('processes', serializer)

    results = executor.map(range(10), where_it_ran)

    assert [x for x, _ in results] == list(range(10))
    assert os.getpid() not in {pid for _, pid in results}
    executor.props.backend.shutdown()


@pytest.mark.parametrize('serializer', ['general', 'variant'])
def test_wrapped_python_function_on_processes(serializer):
    """Wrapping makes a function travel by value, which a Python function
    cannot."""
    executor = executor_on('processes', serializer)

    with pytest.raises(GLib.Error) as info:
        executor.map_wrapped(Pmap.Wrapped.new(square), ints(range(10)), None)

    assert_error(info.value, Pmap.error_quark(), Pmap.Error.NOT_SERIALIZABLE)
    assert 'not compiled code' in info.value.message


class TaggingSerializer(Pmap.Serializer):
    """Encodes an int64 x as ('py', x), and refuses negative ones."""

    def __init__(self, name='py-tagging'):
        super().__init__(name=name)
        self.encoded = []
        self.decoded = []
        self.threads = set()

    def do_encode(self, value):
        self.threads.add(threading.get_ident())
        self.encoded.append(value.unpack())
        if value.unpack() < 0:
            raise GLib.Error('negative numbers stay home',
                             GLib.quark_to_string(Pmap.error_quark()),
                             Pmap.Error.NOT_SERIALIZABLE)
        return GLib.Variant('(sx)', ('py', value.unpack()))

    def do_decode(self, data):
        self.threads.add(threading.get_ident())
        tag, x = data.unpack()
        self.decoded.append(x)
        return GLib.Variant('x', x)


def test_subclass_called_directly():
    serializer = TaggingSerializer()

    encoded = serializer.encode(GLib.Variant('x', 21))
    assert encoded.unpack() == ('py', 21)
    assert serializer.decode(encoded).unpack() == 21
    assert (serializer.encoded, serializer.decoded) == ([21], [21])

    with pytest.raises(GLib.Error) as info:
        serializer.encode(GLib.Variant('x', -1))
    assert_error(info.value, Pmap.error_quark(), Pmap.Error.NOT_SERIALIZABLE,
                 'negative numbers stay home')


def test_subclass_unused_in_process():
    serializer = TaggingSerializer()
    executor = executor_on('threads')
    executor.set_serializer(serializer)

    assert unpack(executor.map(ints(range(-5, 5)), square)) == [i * i for i in range(-5, 5)]
    assert serializer.encoded == serializer.decoded == []


def test_subclass_on_processes(test_module):
    """The processes backend encodes inputs here with the Python serializer,
    from its own threads; a C worker, which knows only the built-in
    serializers by name, then refuses the batch."""
    serializer = TaggingSerializer()
    executor = executor_on('processes')
    executor.set_serializer(serializer)
    executor.props.batch_size = 4

    with pytest.raises(GLib.Error) as info:
        executor.map_by_name('test.square', ints(range(4)), None)

    assert_error(info.value, Pmap.error_quark(), Pmap.Error.UNKNOWN_SERIALIZER,
                 'Task 0 failed: ')
    assert '“py-tagging”' in info.value.message
    assert serializer.encoded == [0, 1, 2, 3]
    assert threading.get_ident() not in serializer.threads


def test_subclass_refuses_input_on_processes(test_module):
    serializer = TaggingSerializer()
    executor = executor_on('processes')
    executor.set_serializer(serializer)
    executor.props.batch_size = 10

    with pytest.raises(GLib.Error) as info:
        executor.map_by_name('test.square', ints([3, 2, 1, 0, -1, -2]), None)

    assert_error(info.value, Pmap.error_quark(), Pmap.Error.NOT_SERIALIZABLE)
    assert info.value.message == (
        'Task 4 failed: Input 4 (of type x) cannot travel with the '
        '“py-tagging” serializer: negative numbers stay home')


class CopyingSerializer(Pmap.Serializer):
    """Passes int64 values through as new GVariants, under the name of the
    general serializer, which C workers run in its stead."""

    def __init__(self):
        super().__init__(name='general')
        self.n_encoded = 0
        self.n_decoded = 0

    def do_encode(self, value):
        self.n_encoded += 1
        return GLib.Variant('x', value.unpack())

    def do_decode(self, data):
        self.n_decoded += 1
        return GLib.Variant('x', data.unpack())


def test_values_through_subclass_on_processes(test_module):
    # Named like a built-in, which is what the workers use: its encode()
    # and decode() run here, on the backend's threads.
    serializer = CopyingSerializer()
    executor = executor_on('processes')
    executor.set_serializer(serializer)

    assert unpack(executor.map_by_name('test.square', ints(range(100)), None)) == SQUARES
    assert serializer.n_encoded == serializer.n_decoded == 100


def worker_processes():
    """The worker processes that this process started and that have not
    been reaped: Python workers, since the override names them."""
    children = set()
    for task in os.listdir('/proc/self/task'):
        try:
            with open(f'/proc/self/task/{task}/children') as f:
                children.update(f.read().split())
        except FileNotFoundError:
            pass  # a thread that has just ended
    workers = set()
    for pid in children:
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                if b'Pmap.host_workers()' in f.read():
                    workers.add(pid)
        except FileNotFoundError:
            pass
    return workers


def test_shutdown(test_module):
    """Shutting the processes backend down stops the worker processes that
    wait for work, and waits for them; the next map starts new ones.
    Backends without worker processes have nothing to stop, and leave the
    processes backend's alone."""
    executors = {name: executor_on(name) for name in ('threads', 'sequential', 'processes')}
    seen = set()

    for _ in range(2):
        assert unpack(executors['processes'].map_by_name('test.square', ints(range(100)),
                                                         None)) == SQUARES
        workers = worker_processes()
        assert workers and not workers & seen
        seen |= workers

        for name in ('threads', 'sequential'):
            executors[name].props.backend.shutdown()
            assert worker_processes() == workers
            assert unpack(executors[name].map(ints(range(100)), square)) == SQUARES

        executors['processes'].props.backend.shutdown()
        assert worker_processes() == set()

# test_registry.py: functions registered by name, and native modules
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os

import pytest

from helpers import GLib, Pmap, assert_error, ints, unpack


@pytest.fixture
def name(request):
    """A name of the test's own, unregistered afterwards: the registry is
    global."""
    name = f'py.{request.node.name}'
    yield name
    Pmap.unregister_function(name)


def test_register_list_unregister(executor, name):
    Pmap.register_function(name, lambda v: GLib.Variant('x', v.unpack() + 1))

    assert name in Pmap.list_functions()
    assert unpack(executor.map_by_name(name, ints(range(1000)), None)) == \
        list(range(1, 1001))

    assert Pmap.unregister_function(name)
    assert name not in Pmap.list_functions()
    assert not Pmap.unregister_function(name)


def test_list_is_sorted(name):
    for suffix in ['c', 'a', 'b']:
        Pmap.register_function(f'{name}.{suffix}', lambda v: v)
    try:
        names = Pmap.list_functions()
        assert names == sorted(names)
        assert [n for n in names if n.startswith(name)] == \
            [f'{name}.a', f'{name}.b', f'{name}.c']
    finally:
        for suffix in ['c', 'a', 'b']:
            Pmap.unregister_function(f'{name}.{suffix}')


def test_user_data_of_a_registered_function(executor, name):
    Pmap.register_function(name, lambda v, base, step:
                           GLib.Variant('x', base + step * v.unpack()), 100, 2)

    assert unpack(executor.map_by_name(name, ints(range(5)), None)) == \
        [100, 102, 104, 106, 108]


def test_registering_again_replaces(executor, name):
    Pmap.register_function(name, lambda v: GLib.Variant('s', 'first'))
    Pmap.register_function(name, lambda v: GLib.Variant('s', 'second'))

    assert unpack(executor.map_by_name(name, ints([0]), None)) == ['second']
    assert Pmap.list_functions().count(name) == 1


def test_exception_in_a_registered_function(executor, name):
    def lookup(item):
        return GLib.Variant('s', {0: 'zero'}[item.unpack()])

    Pmap.register_function(name, lookup)

    with pytest.raises(GLib.Error) as info:
        executor.map_by_name(name, ints([0, 0, 9, 0]), None)

    assert_error(info.value, Pmap.error_quark(), Pmap.Error.FAILED,
                 'Task 2 failed: KeyError: 9\n')
    assert 'Traceback (most recent call last):' in info.value.message
    assert 'in lookup' in info.value.message


def test_unknown_name(executor):
    with pytest.raises(GLib.Error) as info:
        executor.map_by_name('py.never-registered', ints([1]), None)

    assert_error(info.value, Pmap.error_quark(), Pmap.Error.UNKNOWN_FUNCTION)
    assert '“py.never-registered”' in info.value.message


def test_load_module(executor, test_module):
    assert test_module == os.environ['PMAP_TEST_MODULE']
    names = Pmap.list_functions()
    for name in ['test.concurrency', 'test.fail-on-negative', 'test.sleep-ms',
                 'test.spin', 'test.square']:
        assert name in names

    spun = unpack(executor.map_by_name('test.spin', ints([0, 1, 4, 1000]), None))
    assert spun == [sum(k * k for k in range(n)) for n in [0, 1, 4, 1000]]


def test_missing_module():
    with pytest.raises(GLib.Error) as info:
        Pmap.load_module('/nonexistent/libpmap-nothing.so')

    assert_error(info.value, Pmap.error_quark(), Pmap.Error.MODULE)
    assert '/nonexistent/libpmap-nothing.so' in info.value.message


def test_module_without_entry_point():
    # Any shared library that is not a pmap module will do: GLib's own.
    with pytest.raises(GLib.Error) as info:
        Pmap.load_module('libglib-2.0.so.0')

    assert_error(info.value, Pmap.error_quark(), Pmap.Error.MODULE)
    assert 'pmap_module_register' in info.value.message

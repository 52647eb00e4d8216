// test-registry.js: functions registered by name, and native modules, from GJS
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Pmap from 'gi://Pmap?version=1.0';

import {assert, assertEqual, assertError, assertThrows, run, test} from './tap.js';
import {ints, loadTestModule, mapByNameAsync, range, unpack} from './helpers.js';

function sequentialExecutor() {
    return new Pmap.Executor({backend: Pmap.Backend.create('sequential')});
}

const increment = input => GLib.Variant.new_int64(input.get_int64() + 1);

test('load the test module from PMAP_TEST_MODULE', () => {
    const before = Pmap.list_functions();
    assert(!before.includes('test.square'), 'test.square was registered before loading');

    loadTestModule();

    const names = Pmap.list_functions();
    for (const name of ['test.concurrency', 'test.fail-on-negative', 'test.sleep-ms', 'test.spin', 'test.square'])
        assert(names.includes(name), `${name} is not registered: ${names}`);

    const sizes = [0, 1, 4, 1000];
    const sumOfSquares = n => range(n).reduce((sum, k) => sum + k * k, 0);
    assertEqual(unpack(new Pmap.Executor().map_by_name('test.spin', ints(sizes), null)),
        sizes.map(sumOfSquares));
});

test('register, list and unregister a JS function', () => {
    Pmap.register_function('js.increment', increment);

    assert(Pmap.list_functions().includes('js.increment'), 'not listed');
    assertEqual(unpack(sequentialExecutor().map_by_name('js.increment', ints(range(1000)), null)),
        range(1000, 1));

    assert(Pmap.unregister_function('js.increment'), 'unregistering failed');
    assert(!Pmap.list_functions().includes('js.increment'), 'still listed');
    assert(!Pmap.unregister_function('js.increment'), 'unregistered twice');
});

test('the list is sorted', () => {
    const names = ['js.sorted.c', 'js.sorted.a', 'js.sorted.b'];
    names.forEach(name => Pmap.register_function(name, increment));
    try {
        const listed = Pmap.list_functions();
        assertEqual(listed, [...listed].sort());
        assertEqual(listed.filter(name => name.startsWith('js.sorted.')),
            ['js.sorted.a', 'js.sorted.b', 'js.sorted.c']);
    } finally {
        names.forEach(name => Pmap.unregister_function(name));
    }
});

test('registering again replaces', () => {
    Pmap.register_function('js.replaced', () => new GLib.Variant('s', 'first'));
    Pmap.register_function('js.replaced', () => new GLib.Variant('s', 'second'));
    try {
        assertEqual(unpack(sequentialExecutor().map_by_name('js.replaced', ints([0]), null)), ['second']);
        assertEqual(Pmap.list_functions().filter(name => name === 'js.replaced').length, 1);
    } finally {
        Pmap.unregister_function('js.replaced');
    }
});

test('an exception in a registered JS function names the task', () => {
    Pmap.register_function('js.range-check', input => {
        if (input.get_int64() > 2)
            throw new RangeError(`${input.get_int64()} is too large`);
        return input;
    });
    try {
        const error = assertThrows(() =>
            sequentialExecutor().map_by_name('js.range-check', ints([0, 1, 2, 3, 4]), null));
        assert(error instanceof RangeError, `expected a RangeError, got ${error}`);
        assertEqual(error.message, 'Task 3 failed: 3 is too large');
    } finally {
        Pmap.unregister_function('js.range-check');
    }
});

test('async map of a registered JS function', async () => {
    Pmap.register_function('js.increment.async', increment);
    try {
        const results = await mapByNameAsync(sequentialExecutor(), 'js.increment.async', ints(range(300)));
        assertEqual(unpack(results), range(300, 1));
    } finally {
        Pmap.unregister_function('js.increment.async');
    }
});

test('an unknown name', () => {
    const error = assertThrows(() => new Pmap.Executor().map_by_name('js.never-registered', ints([1]), null));

    assertError(error, Pmap.error_quark(), Pmap.Error.UNKNOWN_FUNCTION);
    assert(error.message.includes('“js.never-registered”'), error.message);
});

test('a missing module', () => {
    const error = assertThrows(() => Pmap.load_module('/nonexistent/libpmap-nothing.so'));

    assertError(error, Pmap.error_quark(), Pmap.Error.MODULE);
    assert(error.message.includes('/nonexistent/libpmap-nothing.so'), error.message);
});

test('a module without the entry point', () => {
    // Any shared library that is not a pmap module will do: GLib's own.
    const error = assertThrows(() => Pmap.load_module('libglib-2.0.so.0'));

    assertError(error, Pmap.error_quark(), Pmap.Error.MODULE);
    assert(error.message.includes('pmap_module_register'), error.message);
});

run();

// test-serializers.js: serializers, wrapped functions and the processes
// backend, from GJS
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pmap from 'gi://Pmap?version=1.0';

import {assert, assertEqual, assertError, assertThrows, run, test} from './tap.js';
import {ints, loadTestModule, range, unpack, whenDone} from './helpers.js';

GLib.unsetenv('PMAP_SERIALIZER');
loadTestModule();

const squares = n => range(n).map(v => v * v);
const triple = input => GLib.Variant.new_int64(input.get_int64() * 3);

function executorOn(backend, serializer = 'general', nJobs = 2) {
    return new Pmap.Executor({
        backend: Pmap.Backend.create(backend),
        serializer: Pmap.Serializer.create(serializer),
        n_jobs: nJobs,
    });
}

function mapWrappedAsync(executor, wrapped, items) {
    return whenDone(
        callback => executor.map_wrapped_async(wrapped, items, null, callback),
        Pmap.Executor.prototype.map_wrapped_finish);
}

/** Encodes an int64 x as ['js', x], counting its calls. */
const TaggingSerializer = GObject.registerClass(
class TaggingSerializer extends Pmap.Serializer {
    _init() {
        super._init({name: 'js-tagging'});
        this.nEncoded = 0;
        this.nDecoded = 0;
    }

    vfunc_encode(value) {
        this.nEncoded++;
        return new GLib.Variant('(sx)', ['js', value.get_int64()]);
    }

    vfunc_decode(data) {
        this.nDecoded++;
        return GLib.Variant.new_int64(data.get_child_value(1).get_int64());
    }
});

test('serializers by name', () => {
    for (const [name, byValue] of [['general', true], ['variant', false]]) {
        const serializer = Pmap.Serializer.create(name);
        assert(serializer instanceof Pmap.Serializer, `${name}: not a serializer`);
        assertEqual([serializer.name, serializer.get_name()], [name, name], name);
        assertEqual([serializer.functions_by_value, serializer.get_functions_by_value()],
            [byValue, byValue], name);
    }
});

test('an unknown serializer name', () => {
    const error = assertThrows(() => Pmap.Serializer.create('pickle'));

    assertError(error, Pmap.error_quark(), Pmap.Error.UNKNOWN_SERIALIZER);
    assert(error.message.includes('“pickle”'), error.message);
});

test('serializer properties', () => {
    const mine = new Pmap.Serializer({name: 'mine', functions_by_value: false});

    assertEqual([mine.name, mine.functions_by_value], ['mine', false]);
    assertEqual(new Pmap.Serializer().functions_by_value, true);
    for (const name of ['name', 'functions-by-value']) {
        const pspec = GObject.Object.find_property.call(Pmap.Serializer, name);
        assert(pspec.flags & GObject.ParamFlags.CONSTRUCT_ONLY, `${name} is not construct-only`);
    }
});

test('the executor’s serializer, its notifications and its default', () => {
    const executor = new Pmap.Executor();
    const variant = Pmap.Serializer.create('variant');
    const notified = [];
    executor.connect('notify::serializer', () => notified.push(executor.serializer));

    assertEqual(executor.serializer.name, 'general');
    executor.serializer = variant;
    executor.set_serializer(variant);
    assert(executor.get_serializer() === variant, 'another serializer');
    assertEqual(notified.length, 1);

    executor.serializer = null;
    assertEqual(executor.serializer.name, 'general');
    assertEqual(notified.length, 2);
});

test('PMAP_SERIALIZER', () => {
    GLib.setenv('PMAP_SERIALIZER', 'variant', true);
    const variant = new Pmap.Executor();
    GLib.setenv('PMAP_SERIALIZER', 'pickle', true);
    const unknown = new Pmap.Executor();
    GLib.unsetenv('PMAP_SERIALIZER');

    assertEqual(variant.serializer.name, 'variant');
    assertEqual(unknown.serializer, null);
    const error = assertThrows(() => unknown.map_by_name('test.square', ints([1]), null));
    assertError(error, Pmap.error_quark(), Pmap.Error.UNKNOWN_SERIALIZER);
    assert(error.message.includes('PMAP_SERIALIZER') && error.message.includes('pickle'),
        error.message);
});

test('a wrapped JS function on the sequential backend', () => {
    const executor = executorOn('sequential', 'variant');
    const wrapped = Pmap.Wrapped.new(triple);

    assertEqual(unpack(executor.map_wrapped(wrapped, ints(range(50)), null)),
        range(50).map(v => v * 3));
    // Again, with the same wrapper.
    assertEqual(unpack(executor.map_wrapped(wrapped, ints([7]), null)), [21]);
});

test('a wrapped JS function, asynchronously', async () => {
    const executor = executorOn('sequential');
    const results = await mapWrappedAsync(executor, Pmap.Wrapped.new(triple), ints(range(20)));

    assertEqual(unpack(results), range(20).map(v => v * 3));
});

test('a wrapped JS function cannot run on other threads', () => {
    let calls = 0;
    const wrapped = Pmap.Wrapped.new(input => {
        calls++;
        return input;
    });

    const error = assertThrows(() => executorOn('threads').map_wrapped(wrapped, ints(range(10)), null));

    assertError(error, Pmap.error_quark(), Pmap.Error.WRONG_THREAD);
    assertEqual(calls, 0);
});

test('a JS function cannot travel to a worker process', () => {
    for (const serializer of ['general', 'variant']) {
        const executor = executorOn('processes', serializer);
        const errors = [
            assertThrows(() => executor.map_wrapped(Pmap.Wrapped.new(triple), ints(range(10)), null)),
            assertThrows(() => executor.map(ints(range(10)), triple, null)),
        ];
        const phrases = ['not compiled code',
            serializer === 'general' ? 'not compiled code' : 'has no registered name'];

        errors.forEach((error, i) => {
            assertError(error, Pmap.error_quark(), Pmap.Error.NOT_SERIALIZABLE, 'Task ');
            assert(error.message.includes(phrases[i]), `${serializer}: ${error.message}`);
        });
    }
});

test('a module’s function on the processes backend', () => {
    for (const serializer of ['general', 'variant']) {
        const executor = executorOn('processes', serializer);

        assertEqual(unpack(executor.map_by_name('test.square', ints(range(100)), null)),
            squares(100), serializer);
    }
});

test('a JS serializer, called directly', () => {
    const serializer = new TaggingSerializer();

    const encoded = serializer.encode(GLib.Variant.new_int64(21));
    assertEqual(encoded.deepUnpack(), ['js', 21]);
    assertEqual(serializer.decode(encoded).get_int64(), 21);
    assertEqual([serializer.nEncoded, serializer.nDecoded], [1, 1]);
});

test('a JS serializer is not used where nothing travels', () => {
    const serializer = new TaggingSerializer();
    const executor = new Pmap.Executor({backend: Pmap.Backend.create('sequential'), serializer});

    assertEqual(unpack(executor.map(ints(range(10)), triple, null)), range(10).map(v => v * 3));
    assertEqual([serializer.nEncoded, serializer.nDecoded], [0, 0]);
});

test('shutting backends down', () => {
    for (const name of ['sequential', 'threads', 'processes']) {
        const executor = executorOn(name);

        for (let round = 0; round < 2; round++) {
            assertEqual(unpack(executor.map_by_name('test.square', ints(range(100)), null)),
                squares(100), name);
            executor.backend.shutdown();
        }
    }
});

run();

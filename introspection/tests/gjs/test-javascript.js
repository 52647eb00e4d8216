// test-javascript.js: PmapJS, the JavaScript layer: JS functions over JS
// values in GJS worker processes
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Pmap from 'gi://Pmap?version=1.0';

import {assert, assertEqual, assertError, assertThrows, run, test} from './tap.js';
import {importNow, range} from './helpers.js';

GLib.unsetenv('PMAP_SERIALIZER');
const PmapJS = importNow(Pmap.get_javascript_module());

const PMAP = Pmap.error_quark();
const OWN_PID = Number(GLib.file_read_link('/proc/self'));

/* Runs in the worker: the item and the process id that ran it. */
function withPid(x) {
    return [x, Number(imports.gi.GLib.file_read_link('/proc/self'))];
}

async function rejection(promise) {
    try {
        await promise;
    } catch (error) {
        return error;
    }
    throw new Error('expected the promise to be rejected');
}

function children() {
    const tasks = Gio.File.new_for_path('/proc/self/task')
        .enumerate_children('standard::name', Gio.FileQueryInfoFlags.NONE, null);
    const pids = [];
    for (let task; (task = tasks.next_file(null)) !== null;) {
        const [, text] = GLib.file_get_contents(`/proc/self/task/${task.get_name()}/children`);
        pids.push(...new TextDecoder().decode(text).split(' ').filter(Boolean).map(Number));
    }
    return pids;
}

test('the module’s URI and the serializer', () => {
    assertEqual(Pmap.get_javascript_module(), 'resource:///org/gnome/Pmap/js/pmap.js');
    const serializer = Pmap.Serializer.create(PmapJS.SERIALIZER_NAME);
    assertEqual(serializer.name, 'gjs');
});

test('native values make the round trip through worker processes', () => {
    const values = [0, -7, 3.25, 1e300, '', 'héllo “world”', true, false, null,
        [], [1, [2, [3]]], {}, {a: 1, b: {c: [null, 'x']}}, Object.create(null)];

    const results = PmapJS.map(v => [v, typeof v], values, {nJobs: 2});

    assertEqual(results, values.map(v => [v, typeof v]));
});

test('a function that returns nothing gives undefined', () => {
    const results = PmapJS.map(x => (x % 2 ? undefined : x), range(6), {nJobs: 2});

    assertEqual(results.map(r => r === undefined ? 'undefined' : r), [0, 'undefined', 2, 'undefined', 4, 'undefined']);
});

test('10,000 items come back in order, from worker processes', () => {
    const results = PmapJS.map(withPid, range(10000), {nJobs: 2});

    assertEqual(results.map(([x]) => x), range(10000));
    const pids = new Set(results.map(([, pid]) => pid));
    assert(!pids.has(OWN_PID), 'an item ran in the calling process');
});

test('chunks: batchSize items at a time, each chunk in one worker', () => {
    const results = PmapJS.map(withPid, range(100), {nJobs: 2, batchSize: 25});

    assertEqual(results.map(([x]) => x), range(100));
    for (let first = 0; first < 100; first += 25) {
        const pids = new Set(results.slice(first, first + 25).map(([, pid]) => pid));
        assertEqual(pids.size, 1, `chunk from ${first}`);
    }
});

test('values that JSON would change are refused, naming where they are', () => {
    const cycle = {};
    cycle.self = cycle;
    const cases = [
        [[1, new Map()], 'item 1', 'Map'],
        [[{a: [1, NaN]}], 'item 0, at .a[1],', 'NaN'],
        [[10n], 'item 0', 'bigint'],
        [[cycle], 'item 0, at .self,', 'cycle'],
        [[[() => 1]], 'item 0, at [0],', 'function'],
        [[undefined], 'item 0', 'undefined'],
        [[GLib.Variant.new_int64(1)], 'item 0', 'GLib.Variant'],
        [[new Date()], 'item 0', 'Date'],
    ];

    for (const [items, where, what] of cases) {
        const error = assertThrows(() => PmapJS.map(x => x, items, {nJobs: 2}));
        assertError(error, PMAP, Pmap.Error.NOT_SERIALIZABLE, `${where[0].toUpperCase()}${where.slice(1)} is`);
        assert(error.message.includes(what) && error.message.includes('JSON values'), error.message);
    }
});

test('a result that cannot travel back fails its item', () => {
    const error = assertThrows(() => PmapJS.map(x => (x === 3 ? new Set() : x), range(8), {nJobs: 2}));

    assertError(error, PMAP, Pmap.Error.NOT_SERIALIZABLE);
    assert(error.message.includes('The result of item 3') && error.message.includes('Set'), error.message);
    assertEqual(error.index, 3);
});

test('closures are refused before anything runs, naming the names', () => {
    const factor = 3;
    const args = [1];
    const cases = [
        [x => x * factor, ['“factor”']],
        [function scaled(x) {
            return x * factor + offsetOf(x);
        }, ['“scaled”', '“factor”', '“offsetOf”']],
        [x => this?.k ?? x, ['“this”']],
        [function () {
            return () => arguments.length;
        }(), ['“arguments”']],
    ];

    for (const [func, names] of cases) {
        for (const backend of ['processes', 'sequential']) {
            const error = assertThrows(() => PmapJS.map(func, args, {nJobs: 2, backend}));
            assertError(error, PMAP, Pmap.Error.NOT_SERIALIZABLE);
            for (const name of names)
                assert(error.message.includes(name), `${name}: ${error.message}`);
            assert(error.message.includes('without its closure'), error.message);
        }
    }
});

test('names that a function declares itself, and globals, are no closure', () => {
    function collatz(n, steps = 0) {
        if (n === 1)
            return steps;
        const {next} = {next: n % 2 ? 3 * n + 1 : n / 2};
        return collatz(next, steps + 1);
    }
    const fib = n => (n < 2 ? n : fib(n - 1) + fib(n - 2));
    const helpers = x => {
        class Box {
            value = x;
            twice() {
                return this.value * 2;
            }
        }
        const [a, ...rest] = [x, 1, 2];
        try {
            JSON.parse('{');
        } catch (e) {
            return Math.max(new Box().twice(), a + rest.length, e instanceof SyntaxError ? 0 : -1);
        }
        return -1;
    };

    assertEqual(PmapJS.map(collatz, [1, 6, 27], {nJobs: 2}), [0, 8, 111]);
    assertEqual(PmapJS.map(fib, range(10), {nJobs: 2}), [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]);
    assertEqual(PmapJS.map(helpers, [5], {nJobs: 2}), [10]);
});

test('functions without source text, and async ones, are refused', () => {
    const cases = [
        [Math.sqrt, 'native code'],
        [(x => x).bind(null), 'PmapJS.partial'],
        [async x => x, 'async'],
        [function* gen() {}, 'generator'],
        [class Foo {}, 'class'],
    ];

    for (const [func, phrase] of cases) {
        const error = assertThrows(() => PmapJS.map(func, [1], {nJobs: 2}));
        assertError(error, PMAP, Pmap.Error.NOT_SERIALIZABLE);
        assert(error.message.includes(phrase), error.message);
    }
    assert(assertThrows(() => PmapJS.map(42, [1])) instanceof TypeError, 'not a function');
});

test('a method written in an object literal travels', () => {
    const functions = {
        double(x) {
            return 2 * x;
        },
    };

    assertEqual(PmapJS.map(functions.double, [1, 2], {nJobs: 2}), [2, 4]);
});

test('JS errors are thrown again with the worker’s stack and the item', () => {
    function boom(x) {
        if (x === 37)
            throw new RangeError(`too big: ${x}`);
        return x;
    }

    const error = assertThrows(() => PmapJS.map(boom, range(100), {nJobs: 2}));

    assert(error instanceof RangeError, `${error}`);
    assertEqual([error.name, error.message, error.index, error.functionName],
        ['RangeError', 'too big: 37', 37, 'boom']);
    assert(error.remoteStack.startsWith('boom@pmapjs:boom:'), error.remoteStack);
    assert(error.stack.startsWith(error.remoteStack), error.stack);
    assert(error.stack.includes('test-javascript.js'), `no caller frame in ${error.stack}`);
    assert(!error.stack.includes('resource:///org/gnome/Pmap/js/'), error.stack);
});

test('custom errors, GLib errors and thrown values', () => {
    const custom = assertThrows(() => PmapJS.map(x => {
        class QuotaError extends Error {
            name = 'QuotaError';
        }
        throw new QuotaError(`over quota at ${x}`);
    }, [4], {nJobs: 2}));
    assertEqual([custom.name, custom.message, custom.index], ['QuotaError', 'over quota at 4', 0]);
    assert(custom instanceof Error, 'not an Error');

    const glib = assertThrows(() => PmapJS.map(x => {
        return imports.gi.Gio.File.new_for_path(`/nonexistent/${x}`).load_contents(null);
    }, ['file'], {nJobs: 2}));
    assertError(glib, Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND);
    assert(glib.message.includes('/nonexistent/file'), glib.message);
    assertEqual(glib.index, 0);

    const value = assertThrows(() => PmapJS.map(x => {
        if (x === 9)
            throw {code: x};
        return x;
    }, [0, 9], {nJobs: 2, batchSize: 1}));
    assertEqual([value.message, value.index], ['threw {"code":9}', 1]);
});

test('returnErrors gives each call that threw its exception, in its place', async () => {
    const failOnOdd = function failOnOdd(x) {
        if (x % 2)
            throw new RangeError(`${x} is odd`);
        return 10 * x;
    };
    const check = (results, where) => {
        assertEqual(results.length, 10);
        results.forEach((result, i) => {
            if (i % 2 === 0) {
                assertEqual(result, 10 * i);
                return;
            }
            assert(result instanceof RangeError, `${where}: item ${i} gave ${result}`);
            assertEqual([result.message, result.index, result.functionName],
                [`${i} is odd`, i, 'failOnOdd']);
            assert(result.remoteStack.startsWith('failOnOdd@pmapjs:failOnOdd:'), result.remoteStack);
        });
    };

    for (const backend of ['processes', 'sequential']) {
        for (const batchSize of [0, 3])
            check(PmapJS.map(failOnOdd, range(10), {nJobs: 2, backend, batchSize, returnErrors: true}),
                `${backend}, batchSize ${batchSize}`);
    }
    check(await PmapJS.mapAsync(failOnOdd, range(10), {nJobs: 2, returnErrors: true}), 'mapAsync');
    check(new PmapJS.Parallel({nJobs: 2, returnErrors: true})
        .run(range(10).map(x => PmapJS.delayed(failOnOdd)(x))), 'Parallel');

    // Without it, the first failure stops the map, as before.
    assertEqual(assertThrows(() => PmapJS.map(failOnOdd, range(10), {nJobs: 2})).name, 'RangeError');
    assert(assertThrows(() => PmapJS.map(failOnOdd, [], {returnErrors: 'yes'})) instanceof TypeError);
});

test('a worker that dies gives a crash error naming its items, and the next map works', () => {
    const error = assertThrows(() => PmapJS.map(x => {
        if (x === 5)
            imports.system.exit(3);
        return x;
    }, range(10), {nJobs: 2, batchSize: 2}));

    assertError(error, PMAP, Pmap.Error.WORKER_CRASHED, 'Task 2 failed');
    assert(error.message.includes('items 4 to 5'), error.message);
    assertEqual(PmapJS.map(x => x + 1, range(10), {nJobs: 2}), range(10, 1));
});

test('with returnErrors, the items of a worker that died get its crash error, the others their results', async () => {
    const exitAt5 = x => {
        if (x === 5)
            imports.system.exit(3);
        return x;
    };
    const check = (results, where) => {
        assertEqual(results.length, 10, where);
        results.forEach((result, i) => {
            if (i !== 4 && i !== 5) {
                assertEqual(result, i, `${where}: item ${i}`);
                return;
            }
            assertError(result, PMAP, Pmap.Error.WORKER_CRASHED, 'Task 2 failed');
            assert(result.message.includes('items 4 to 5'), result.message);
        });
        assert(results[4] !== results[5], `${where}: one error object for two items`);
    };

    const options = {nJobs: 2, batchSize: 2, returnErrors: true};
    check(PmapJS.map(exitAt5, range(10), options), 'map');
    check(await PmapJS.mapAsync(exitAt5, range(10), options), 'mapAsync');
    assertEqual(PmapJS.map(x => x + 1, range(10), {nJobs: 2}), range(10, 1));
});

test('a call that runs past the timeout fails alone with TIMED_OUT, and the next map works', () => {
    const sleepFor = seconds => {
        imports.gi.GLib.usleep(seconds * 1000000);
        return seconds;
    };
    // A call's clock includes what its worker does first for a function
    // it has not seen: on a loaded machine, more than the quick calls'
    // timeout. Workers that ran it once have it ready.
    assertEqual(PmapJS.map(sleepFor, [0, 0], {nJobs: 2, batchSize: 1}), [0, 0]);
    const started = GLib.get_monotonic_time();
    const error = assertThrows(() => PmapJS.map(sleepFor, [0.01, 0.01, 60, 0.01],
        {nJobs: 2, timeout: 0.5}));

    assertError(error, PMAP, Pmap.Error.TIMED_OUT, 'Task 2 failed');
    assert(error.message.includes('timeout of 0.5 s'), error.message);
    assert(GLib.get_monotonic_time() - started < 20 * GLib.USEC_PER_SEC, 'the map waited for the call');
    // Each call is timed alone, not the map: on two workers, four calls of
    // 1.2 s take 2.4 s, and pass a timeout of 2 s.
    assertEqual(PmapJS.map(sleepFor, [1.2, 1.2, 1.2, 1.2], {nJobs: 2, timeout: 2}),
        [1.2, 1.2, 1.2, 1.2]);
});

test('retries run again a call whose worker died', () => {
    const dir = GLib.dir_make_tmp('pmapjs-retries-XXXXXX');
    const paths = range(6).map(i => `${dir}/${i}`);
    for (const path of paths.filter((_, i) => i !== 3))
        GLib.file_set_contents(path, '');
    const exitOnce = path => {
        if (!imports.gi.GLib.file_test(path, imports.gi.GLib.FileTest.EXISTS)) {
            imports.gi.GLib.file_set_contents(path, '');
            imports.system.exit(3);
        }
        return path;
    };

    assertEqual(PmapJS.map(exitOnce, paths, {nJobs: 2, retries: 1}), paths);
    for (const path of [...paths, dir])
        Gio.File.new_for_path(path).delete(null);
});

test('a worker killed by SIGKILL gives a crash error with the signal, and the next map works', () => {
    const error = assertThrows(() => PmapJS.map(x => {
        if (x === 3) {
            const pid = new imports.gi.Gio.Credentials().get_unix_pid();
            imports.gi.GLib.spawn_command_line_sync(`kill -KILL ${pid}`);
        }
        return x;
    }, range(8), {nJobs: 2, batchSize: 1}));

    assertError(error, PMAP, Pmap.Error.WORKER_CRASHED, 'Task 3 failed');
    assert(error.message.includes('killed by signal 9'), error.message);
    assertEqual(PmapJS.map(x => x * 2, range(8), {nJobs: 2}), range(8).map(x => x * 2));
});

test('a cancelled map stops', async () => {
    const cancellable = new Gio.Cancellable();
    const started = GLib.get_monotonic_time();
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, 300, () => {
        cancellable.cancel();
        return GLib.SOURCE_REMOVE;
    });

    const error = await rejection(PmapJS.mapAsync(x => {
        imports.gi.GLib.usleep(100000);
        return x;
    }, range(100), {nJobs: 2, batchSize: 1, cancellable}));

    assertError(error, Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED);
    // 100 items of 0.1 s on 2 workers would take 5 s.
    assert(GLib.get_monotonic_time() - started < 4 * GLib.USEC_PER_SEC, 'the map ran to its end');

    const cancelled = new Gio.Cancellable();
    cancelled.cancel();
    assertError(assertThrows(() => PmapJS.map(x => x, [1], {nJobs: 2, cancellable: cancelled})),
        Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED);
});

test('mapAsync and Parallel.runAsync give promises', async () => {
    assertEqual(await PmapJS.mapAsync(x => x * x, range(50), {nJobs: 2}), range(50).map(x => x * x));

    const parallel = new PmapJS.Parallel({nJobs: 2});
    const results = await parallel.runAsync(range(6).map(i => PmapJS.delayed((a, b) => a - b)(i, 1)));
    assertEqual(results, range(6, -1));

    const error = await rejection(PmapJS.mapAsync(function failing(x) {
        return x.missing.property;
    }, [{}], {nJobs: 2}));
    assert(error instanceof TypeError, `${error}`);
    assertEqual(error.index, 0);
    assert(error.remoteStack.startsWith('failing@pmapjs:failing:'), error.remoteStack);
});

test('Parallel runs delayed calls of several functions', () => {
    const square = x => x * x;
    const join = (...parts) => parts.join('-');
    const calls = [PmapJS.delayed(square)(3), PmapJS.delayed(join)('a', 'b', 1), PmapJS.delayed(square)(4)];

    assertEqual(new PmapJS.Parallel({nJobs: 2}).run(calls), [9, 'a-b-1', 16]);
    assert(assertThrows(() => new PmapJS.Parallel().run([{}])) instanceof TypeError, 'not a call');
});

test('partial() binds arguments that travel as values', () => {
    const scale = (factor, offset, x) => factor * x + offset;
    const scaled = PmapJS.partial(PmapJS.partial(scale, 10), 5);

    assertEqual(scaled(1), 15);
    assertEqual(PmapJS.map(scaled, range(4), {nJobs: 2}), [5, 15, 25, 35]);
    assertError(assertThrows(() => PmapJS.partial(scale, new Map())), PMAP, Pmap.Error.NOT_SERIALIZABLE);
});

test('the “variant” serializer refuses plain functions; wrap() lets one travel', () => {
    const double = x => 2 * x;
    const options = {nJobs: 2, serializer: 'variant'};

    const error = assertThrows(() => PmapJS.map(double, [21], options));
    assertError(error, PMAP, Pmap.Error.NOT_SERIALIZABLE);
    for (const phrase of ['“double”', 'module reference', '“variant”', 'PmapJS.wrap()'])
        assert(error.message.includes(phrase), `${phrase}: ${error.message}`);

    const wrapped = PmapJS.wrap(double);
    assertEqual(wrapped(4), 8);
    assertEqual(PmapJS.map(wrapped, [21], options), [42]);
    assertEqual(PmapJS.map(PmapJS.partial(PmapJS.wrap((a, x) => a + x), 1), [1], options), [2]);
    // Where nothing travels, nothing is refused, as in C.
    assertEqual(PmapJS.map(double, [21], {...options, backend: 'sequential'}), [42]);
});

test('functions by module reference', async () => {
    const triple = PmapJS.fromModule('./functions-module.js', 'triple', import.meta.url);

    assertEqual(await triple(2), 6);
    for (const serializer of ['general', 'variant']) {
        assertEqual(PmapJS.map(triple, range(20), {nJobs: 2, serializer}), range(20).map(x => 3 * x));
    }
    assertEqual(await PmapJS.mapAsync(triple, [1, 2], {backend: 'sequential'}), [3, 6]);
    const byPath = PmapJS.fromModule(GLib.build_filenamev([GLib.path_get_dirname(
        Gio.File.new_for_uri(import.meta.url).get_path()), 'functions-module.js']), 'withPid');
    assert(PmapJS.map(byPath, [1], {nJobs: 2, backend: 'sequential'})[0][1] === OWN_PID, 'not in this process');

    const missing = assertThrows(() => PmapJS.map(
        PmapJS.fromModule('./functions-module.js', 'notAFunction', import.meta.url), [1], {nJobs: 2}));
    assertError(missing, PMAP, Pmap.Error.UNKNOWN_FUNCTION);
    assert(missing.message.includes('“notAFunction”'), missing.message);
    assert(assertThrows(() => PmapJS.fromModule('relative.js')) instanceof TypeError, 'relative');
});

test('the sequential backend runs the same chunks in this process', () => {
    const results = PmapJS.map(withPid, range(30), {backend: 'sequential', batchSize: 4});

    assertEqual(results, range(30).map(x => [x, OWN_PID]));
    const error = assertThrows(() => PmapJS.map(function boom(x) {
        throw new Error(`no ${x}`);
    }, [7], {backend: 'sequential'}));
    assertEqual([error.message, error.index], ['no 7', 0]);
    assert(error.remoteStack.startsWith('boom@pmapjs:boom:'), error.remoteStack);
});

test('PMAP_BACKEND and an executor choose the backend', () => {
    GLib.setenv('PMAP_BACKEND', 'sequential', true);
    try {
        assertEqual(PmapJS.map(withPid, [1], {nJobs: 2}), [[1, OWN_PID]]);
    } finally {
        GLib.unsetenv('PMAP_BACKEND');
    }

    const executor = new Pmap.Executor({n_jobs: 2, backend: Pmap.Backend.create('processes')});
    const [[, pid]] = PmapJS.map(withPid, [1], {executor});
    assert(pid !== OWN_PID, 'ran in this process');
    assertEqual(PmapJS.map(withPid, [1], {executor, backend: 'sequential'}), [[1, OWN_PID]]);
});

test('maxNbytes, a number or as joblib writes it, or the executor’s; large chunks travel the same', () => {
    // Chunks of 40 kB, over these sizes: each travels as a memfd.
    const items = range(8).map(i => String(i).repeat(40000));
    const lengths = items.map(item => item.length + 1);
    const executor = new Pmap.Executor({n_jobs: 2, backend: Pmap.Backend.create('processes'),
        max_nbytes: 8192});
    for (const options of [{maxNbytes: '4K'}, {maxNbytes: 16384}, {executor}]) {
        assertEqual(PmapJS.map(item => item.length + 1, items, {nJobs: 2, batchSize: 1, ...options}),
            lengths, JSON.stringify(options.maxNbytes ?? 'executor'));
    }

    for (const bad of [100, '4k2', 'lots', -1, 4096.5]) {
        const error = assertThrows(() => PmapJS.map(x => x, [1], {maxNbytes: bad}));
        assert(error instanceof TypeError, `${bad}: ${error}`);
        assert(error.message.includes('4096 bytes or more'), error.message);
    }
});

test('the threads backend refuses JavaScript functions clearly', () => {
    const error = assertThrows(() => PmapJS.map(x => x, range(10), {nJobs: 2, backend: 'threads'}));

    assertError(error, PMAP, Pmap.Error.WRONG_THREAD);
    assert(error.message.includes('“processes” backend'), error.message);
});

test('a backend’s max-tasks-per-worker replaces each worker after that many tasks', () => {
    const backend = Pmap.Backend.create('processes');
    assertEqual(backend.get_max_tasks_per_worker(), 0);
    backend.max_tasks_per_worker = 3;
    assertEqual(backend.get_max_tasks_per_worker(), 3);
    const executor = new Pmap.Executor({n_jobs: 2, backend, batch_size: 1});

    const counts = new Map();
    for (const [, pid] of PmapJS.map(withPid, range(12), {executor}))
        counts.set(pid, (counts.get(pid) ?? 0) + 1);

    assert(Math.max(...counts.values()) <= 3, `a worker ran more than 3 tasks: ${[...counts]}`);
    assert(counts.size >= 4, `12 tasks ran in ${counts.size} workers`);
    backend.set_max_tasks_per_worker(0);
    backend.shutdown();
});

test('a worker past twice its backend’s max-worker-memory is killed, with MEMORY_LIMIT', () => {
    const backend = Pmap.Backend.create('processes');
    assertEqual(backend.get_max_worker_memory(), 0);
    backend.set_max_worker_memory(96 << 20);
    assertEqual(backend.max_worker_memory, 96 << 20);
    const executor = new Pmap.Executor({n_jobs: 2, backend, batch_size: 1});
    // Holds @mb MiB for a moment, long enough to be seen.
    const hog = mb => {
        const held = new Uint8Array(mb << 20).fill(1);
        imports.gi.GLib.usleep(300000);
        return held.length >> 20;
    };

    const error = assertThrows(() => PmapJS.map(hog, [0, 0, 500, 0], {executor}));

    assertError(error, PMAP, Pmap.Error.MEMORY_LIMIT, 'Task 2 failed: the worker process ');
    assert(error.message.includes('max-worker-memory of 96 MiB, and was killed'), error.message);
    assertEqual(PmapJS.map(hog, [1, 2], {executor}), [1, 2]);
    backend.shutdown();
});

test('shutdown() stops the idle workers', () => {
    PmapJS.map(x => x, range(4), {nJobs: 2});
    assert(children().length > 0, 'no worker to stop');

    PmapJS.shutdown();

    assertEqual(children(), []);
});

run();

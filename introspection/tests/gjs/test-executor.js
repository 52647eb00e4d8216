// test-executor.js: Pmap.Executor from GJS
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Pmap from 'gi://Pmap?version=1.0';

import {assert, assertEqual, assertError, assertThrows, run, test} from './tap.js';
import {ints, loadTestModule, mapAsync, mapByNameAsync, range, unpack, whenDone} from './helpers.js';

loadTestModule();

const CANCELLED = Gio.IOErrorEnum.CANCELLED;

function sequentialExecutor(props = {}) {
    return new Pmap.Executor({backend: Pmap.Backend.create('sequential'), ...props});
}

function square(input) {
    const x = input.get_int64();
    return GLib.Variant.new_int64(x * x);
}

test('native results come back in input order on every backend', () => {
    const values = range(10000);
    for (const backend of ['threads', 'sequential']) {
        for (const batchSize of [0, 1, 7]) {
            const executor = new Pmap.Executor({
                backend: Pmap.Backend.create(backend),
                batch_size: batchSize,
            });
            const results = executor.map_by_name('test.square', ints(values), null);
            assertEqual(unpack(results), values.map(v => v * v), `${backend}, batch ${batchSize}`);
        }
    }
});

test('JS results come back in input order on the sequential backend', () => {
    const values = range(4000, -2000);
    const results = sequentialExecutor({batch_size: 3}).map(ints(values), square, null);

    assertEqual(unpack(results), values.map(v => v * v));
});

test('a JS function returning a compound value', () => {
    const results = sequentialExecutor().map(ints([1, 2]),
        input => new GLib.Variant('(sx)', ['n', input.get_int64()]), null);

    assertEqual(results.map(v => v.deepUnpack()), [['n', 1], ['n', 2]]);
});

test('n-jobs -1 means every processor', () => {
    const executor = new Pmap.Executor();

    assertEqual(executor.n_jobs, -1);
    assertEqual(executor.get_effective_n_jobs(), GLib.get_num_processors());
});

test('effective n-jobs', () => {
    const nProcessors = GLib.get_num_processors();
    const executor = new Pmap.Executor();
    for (const nJobs of [-2, -1000, 1, 5]) {
        executor.n_jobs = nJobs;
        const expected = nJobs > 0 ? nJobs : Math.max(1, nProcessors + 1 + nJobs);
        assertEqual(executor.get_effective_n_jobs(), expected, `n-jobs ${nJobs}`);
    }
});

test('a JS function runs with n-jobs 1 on the threads backend', () => {
    const executor = new Pmap.Executor({n_jobs: 1});

    assertEqual(executor.backend.name, 'threads');
    assertEqual(unpack(executor.map(ints(range(500)), square, null)),
        range(500).map(v => v * v));
});

test('more jobs than inputs', () => {
    const executor = new Pmap.Executor({n_jobs: 64});

    assertEqual(unpack(executor.map_by_name('test.square', ints([7, 8, 9]), null)), [49, 64, 81]);
});

test('zero inputs', () => {
    let calls = 0;
    const count = input => {
        calls++;
        return input;
    };
    for (const nJobs of [-1, 1, 4]) {
        const executor = new Pmap.Executor({n_jobs: nJobs});
        assertEqual(executor.map_by_name('test.square', [], null), []);
        assertEqual(sequentialExecutor({n_jobs: nJobs}).map([], count, null), []);
    }
    assertEqual(calls, 0);
});

test('native functions run in parallel', () => {
    const executor = new Pmap.Executor({n_jobs: 2, batch_size: 1});
    const results = executor.map_by_name('test.concurrency', ints(Array(6).fill(200)), null);

    assert(Math.max(...unpack(results)) >= 2, `no overlap: ${unpack(results)}`);
});

test('a native error names the task and keeps its domain and code', () => {
    const values = range(3000);
    values[2345] = -4;
    const executor = new Pmap.Executor();

    const error = assertThrows(() => executor.map_by_name('test.fail-on-negative', ints(values), null));

    assertError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.INVALID_ARGUMENT);
    assertEqual(error.message, 'Task 2345 failed: negative input -4');
});

test('a GLib.Error thrown by a JS function keeps its domain and code', () => {
    const calls = [];
    const notFoundOnThree = input => {
        calls.push(input.get_int64());
        if (input.get_int64() === 3)
            throw new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, 'no three here');
        return input;
    };

    const error = assertThrows(() => sequentialExecutor().map(ints(range(10)), notFoundOnThree, null));

    assertError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND);
    assertEqual(error.message, 'Task 3 failed: no three here');
    // The first error stops the map.
    assertEqual(calls, [0, 1, 2, 3]);
});

test('a plain JS exception names the task', () => {
    const calls = [];
    const typeErrorOnFive = input => {
        calls.push(input.get_int64());
        if (input.get_int64() === 5)
            throw new TypeError('five is the wrong type');
        return input;
    };

    const error = assertThrows(() => sequentialExecutor().map(ints(range(10)), typeErrorOnFive, null));

    assert(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assertEqual(error.message, 'Task 5 failed: five is the wrong type');
    assertEqual(calls, [0, 1, 2, 3, 4, 5]);
});

test('a JS function that returns nothing', () => {
    const error = assertThrows(() => sequentialExecutor().map(ints([1]), () => null, null));

    assertError(error, Pmap.error_quark(), Pmap.Error.MISSING_RESULT, 'Task 0 failed: ');
});

test('a JS function is refused by the threads backend, without a critical, and runs on one thread', () => {
    const gjs = GLib.find_program_in_path('gjs');
    assert(gjs !== null, 'gjs is not on PATH');
    const script = Gio.File.new_for_uri(import.meta.url).get_parent().get_child('wrong-thread.js');
    const child = Gio.Subprocess.new([gjs, '-m', script.get_path()],
        Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE);
    const [, stdout, stderr] = child.communicate_utf8(null, null);

    assert(child.get_successful(), `the child failed: ${stderr}`);
    assert(!stderr.includes('CRITICAL'), `the child logged a critical: ${stderr}`);
    assertEqual(stderr, '', 'the child wrote on stderr');

    const report = JSON.parse(stdout);
    assertEqual(report.backend, 'threads');
    for (const how of ['map', 'mapByName', 'mapAsync']) {
        const error = report[how].error;
        assert(error, `${how} did not fail: ${JSON.stringify(report[how])}`);
        assertEqual([error.domain, error.code], ['pmap-error-quark', Pmap.Error.WRONG_THREAD], how);
        // Refused before any task starts, so no task index: the message
        // names the backend instead.
        assert(error.message.includes('“threads” backend'), error.message);
        assert(error.message.includes('“sequential” backend'), error.message);
        assert(error.message.includes('native function registered by name'), error.message);
    }
    assertEqual(report.callsOnThreads, 0, 'the JS function ran on the threads backend');
    assertEqual(report.sequential, {results: [2, 4, 6, 8, 10, 12]}, 'sequential');
    assertEqual(report.oneJob, {results: [2, 4, 6, 8, 10, 12]}, 'n-jobs 1');
});

test('cancelled before the map', () => {
    const cancellable = new Gio.Cancellable();
    cancellable.cancel();
    let calls = 0;

    let error = assertThrows(() => sequentialExecutor().map(ints(range(10)), input => {
        calls++;
        return input;
    }, cancellable));
    assertError(error, Gio.IOErrorEnum, CANCELLED);

    error = assertThrows(() => new Pmap.Executor().map_by_name('test.square', ints(range(10)), cancellable));
    assertError(error, Gio.IOErrorEnum, CANCELLED);
    assertEqual(calls, 0);
});

test('cancelled from the progress handler', () => {
    const executor = new Pmap.Executor({n_jobs: 2, batch_size: 1});
    const cancellable = new Gio.Cancellable();
    const reports = [];
    executor.connect('progress', (_executor, nDone, nTasks) => {
        reports.push([nDone, nTasks]);
        if (nDone >= 4)
            cancellable.cancel();
    });

    // 200 tasks of 20 ms on 2 jobs would take 2 s.
    const error = assertThrows(() => executor.map_by_name('test.sleep-ms', ints(Array(200).fill(20)), cancellable));

    assertError(error, Gio.IOErrorEnum, CANCELLED);
    const [lastDone, nTasks] = reports[reports.length - 1];
    assertEqual(nTasks, 200);
    assert(lastDone < 100, `the map went on after the cancellation: ${lastDone} done`);
});

test('cancelled from a timeout during an async map', async () => {
    const executor = new Pmap.Executor({n_jobs: 2, batch_size: 1});
    const cancellable = new Gio.Cancellable();
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, 150, () => {
        cancellable.cancel();
        return GLib.SOURCE_REMOVE;
    });

    // 100 tasks of 100 ms on 2 jobs would take 5 s.
    const start = GLib.get_monotonic_time();
    const error = await mapByNameAsync(executor, 'test.sleep-ms', ints(Array(100).fill(100)), cancellable)
        .then(() => null, e => e);
    const elapsed = (GLib.get_monotonic_time() - start) / 1e6;

    assertError(error, Gio.IOErrorEnum, CANCELLED);
    assert(elapsed < 2.5, `cancelling took ${elapsed} s`);
});

test('async map of a native function', async () => {
    const results = await mapByNameAsync(new Pmap.Executor(), 'test.square', ints(range(5000)));

    assertEqual(unpack(results), range(5000).map(v => v * v));
});

test('async map of a JS function on the sequential backend', async () => {
    const results = await mapAsync(sequentialExecutor(), ints(range(1000)), square);

    assertEqual(unpack(results), range(1000).map(v => v * v));
});

test('async map errors', async () => {
    const failOnTen = input => {
        if (input.get_int64() === 10)
            throw new Error('ten');
        return input;
    };
    let error = await mapAsync(sequentialExecutor(), ints(range(20)), failOnTen).then(() => null, e => e);
    assert(error instanceof Error, `expected an error, got ${error}`);
    assertEqual(error.message, 'Task 10 failed: ten');

    error = await mapByNameAsync(new Pmap.Executor(), 'test.fail-on-negative', ints([3, 2, 1, 0, -1]))
        .then(() => null, e => e);
    assertError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.INVALID_ARGUMENT);
    assertEqual(error.message, 'Task 4 failed: negative input -1');

    error = await mapByNameAsync(new Pmap.Executor(), 'test.no-such-function', ints([1]))
        .then(() => null, e => e);
    assertError(error, Pmap.error_quark(), Pmap.Error.UNKNOWN_FUNCTION);
});

test('async map with zero inputs', async () => {
    assertEqual(await mapByNameAsync(new Pmap.Executor(), 'test.square', []), []);
    assertEqual(await mapAsync(sequentialExecutor(), [], square), []);
});

// Fails on odd inputs, with a GLib.Error for those under 3 and a plain JS
// exception for the others.
function tenfoldOrFailOnOdd(input) {
    const x = input.get_int64();
    if (x % 2 && x < 3)
        throw new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.INVALID_DATA, `${x} is odd`);
    if (x % 2)
        throw new RangeError(`${x} is odd too`);
    return GLib.Variant.new_int64(10 * x);
}

function assertOutcomes(outcomes) {
    assertEqual(outcomes.map(o => o.succeeded()), [true, false, true, false, true, false]);
    assertEqual(outcomes.filter(o => o.succeeded()).map(o => o.get_value().get_int64()), [0, 20, 40]);

    let error = assertThrows(() => outcomes[1].get_value());
    assertError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.INVALID_DATA);
    assertEqual(error.message, 'Task 1 failed: 1 is odd');
    for (const position of [3, 5]) {
        error = assertThrows(() => outcomes[position].get_value());
        assert(error.message.startsWith(`Task ${position} failed: `), error.message);
        assert(error.message.includes(`${position} is odd too`), error.message);
    }
}

test('outcomes of a JS function: every result, and the error of each failed input', () => {
    assertOutcomes(sequentialExecutor().map_outcomes(ints(range(6)), tenfoldOrFailOnOdd, null));
});

test('outcomes of a JS function, async', async () => {
    const executor = sequentialExecutor();
    const outcomes = await whenDone(
        callback => executor.map_outcomes_async(ints(range(6)), tenfoldOrFailOnOdd, null, callback),
        Pmap.Executor.prototype.map_outcomes_finish);

    assertOutcomes(outcomes);
});

test('outcomes of zero inputs', () => {
    assertEqual(sequentialExecutor().map_outcomes([], tenfoldOrFailOnOdd, null), []);
});

test('bytes made with Pmap.bytes_new_shared() reach each worker once, with no copy', () => {
    const payload = new Uint8Array(2 << 20).map((_, i) => i % 256);
    const shared = Pmap.bytes_new_shared(payload);
    const value = GLib.Variant.new_from_bytes(new GLib.VariantType('ay'), shared, true);
    const items = range(20).map(i => GLib.Variant.new_tuple(
        [GLib.Variant.new_uint32(i), GLib.Variant.new_string(''), value]));
    const executor = new Pmap.Executor({
        n_jobs: 2, backend: Pmap.Backend.create('processes'), batch_size: 1,
    });

    const results = executor.map_by_name('test.inspect-bytes', items, null).map(r => r.deepUnpack());

    assert(Pmap.bytes_is_shared(shared), 'bytes_new_shared() made bytes that are not shared');
    assert(!Pmap.bytes_is_shared(new GLib.Bytes(payload)), 'ordinary bytes said to be shared');
    assertEqual(shared.compare(new GLib.Bytes(payload)), 0);
    const addressOf = new Map();
    for (const [pid, address, mapping, nShared] of results) {
        assert(mapping.includes('memfd:pmap-bytes'), mapping);
        assertEqual(nShared, 1);
        if (!addressOf.has(pid))
            addressOf.set(pid, address);
        assertEqual(address, addressOf.get(pid), `worker ${pid} mapped the value twice`);
    }
    assert(addressOf.size >= 1 && addressOf.size <= 2, `${addressOf.size} workers`);
});

test('progress of a blocking map', () => {
    const executor = new Pmap.Executor({n_jobs: 2, batch_size: 5});
    const reports = [];
    executor.connect('progress', (_executor, nDone, nTasks) => reports.push([nDone, nTasks]));

    executor.map_by_name('test.square', ints(range(100)), null);

    assert(reports.length > 0, 'no progress');
    assert(reports.every(([, nTasks]) => nTasks === 100), JSON.stringify(reports));
    const done = reports.map(([nDone]) => nDone);
    assert(done.every((n, i) => i === 0 || n > done[i - 1]), `not increasing: ${done}`);
    assertEqual(done[done.length - 1], 100);
});

test('progress of an async map on the main context', async () => {
    const executor = new Pmap.Executor({n_jobs: 2, batch_size: 10});
    const reports = [];
    executor.connect('progress', (_executor, nDone, nTasks) =>
        reports.push([nDone, nTasks, GLib.MainContext.default().is_owner()]));

    await mapByNameAsync(executor, 'test.sleep-ms', ints(Array(40).fill(1)));

    assert(reports.length > 0, 'no progress');
    assert(reports.every(([,, owned]) => owned), 'progress outside the main context');
    const done = reports.map(([nDone]) => nDone);
    assert(done.every((n, i) => i === 0 || n > done[i - 1]), `not increasing: ${done}`);
    assertEqual(reports[reports.length - 1].slice(0, 2), [40, 40]);
});

run();

// test-backends.js: backends by name, executor properties, and backends
// written in JS, from GJS
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pmap from 'gi://Pmap?version=1.0';

import {assert, assertEqual, assertError, assertThrows, run, test} from './tap.js';
import {ints, loadTestModule, mapAsync, range, unpack} from './helpers.js';

loadTestModule();

const triple = input => GLib.Variant.new_int64(input.get_int64() * 3);

/** Runs every batch inside submit(), on the main thread, recording them. */
const LoopBackend = GObject.registerClass(
class LoopBackend extends Pmap.Backend {
    _init() {
        super._init({name: 'js-loop'});
        this.batches = [];
        this.jobs = [];
    }

    vfunc_submit(job) {
        this.jobs.push([job.get_n_tasks(), job.get_n_jobs()]);
        for (;;) {
            const [claimed, first, nTasks] = job.claim();
            if (!claimed)
                break;
            this.batches.push([first, nTasks]);
            job.run_batch(first, nTasks);
        }
    }
});

/** Runs one batch per main loop iteration, after submit() has returned. */
const IdleBackend = GObject.registerClass(
class IdleBackend extends Pmap.Backend {
    _init() {
        super._init({name: 'js-idle'});
        this.nBatches = 0;
    }

    vfunc_submit(job) {
        GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
            const [claimed, first, nTasks] = job.claim();
            if (!claimed)
                return GLib.SOURCE_REMOVE;
            this.nBatches++;
            job.run_batch(first, nTasks);
            return GLib.SOURCE_CONTINUE;
        });
    }
});

function withEnv(name, value, func) {
    GLib.setenv(name, value, true);
    try {
        return func();
    } finally {
        GLib.unsetenv(name);
    }
}

function covered(batches) {
    return batches.flatMap(([first, n]) => range(n, first));
}

test('backends by name', () => {
    for (const [name, expected] of [['threads', 'threads'], ['threading', 'threads'], ['sequential', 'sequential']]) {
        const backend = Pmap.Backend.create(name);
        assert(backend instanceof Pmap.Backend, `${name}: not a backend`);
        assertEqual([backend.name, backend.get_name()], [expected, expected], name);
    }
});

test('an unknown backend name', () => {
    const error = assertThrows(() => Pmap.Backend.create('dask'));

    assertError(error, Pmap.error_quark(), Pmap.Error.UNKNOWN_BACKEND);
    assert(error.message.includes('“dask”'), error.message);
});

test('executor defaults', () => {
    const executor = new Pmap.Executor();

    assertEqual([executor.n_jobs, executor.batch_size, executor.backend.name], [-1, 0, 'threads']);
    assertEqual([executor.get_n_jobs(), executor.get_batch_size()], [-1, 0]);
});

test('construct properties', () => {
    const backend = Pmap.Backend.create('sequential');
    const executor = new Pmap.Executor({n_jobs: 3, batch_size: 5, backend});

    assertEqual([executor.n_jobs, executor.batch_size], [3, 5]);
    assert(executor.backend === backend, 'another backend');
    assert(executor.get_backend() === backend, 'another backend from the getter');
});

test('properties notify only on change', () => {
    const executor = new Pmap.Executor();
    const notified = [];
    executor.connect('notify', (_executor, pspec) => notified.push(pspec.name));

    executor.n_jobs = 4;
    executor.n_jobs = 4;
    executor.batch_size = 9;
    executor.set_batch_size(9);
    const sequential = Pmap.Backend.create('sequential');
    executor.backend = sequential;
    executor.backend = sequential;
    executor.backend = null;

    assertEqual(notified, ['n-jobs', 'batch-size', 'backend', 'backend']);
    assertEqual(executor.backend.name, 'threads');
});

test('n-jobs and backend from the environment', () => {
    assertEqual(withEnv('PMAP_N_JOBS', '3', () => new Pmap.Executor().n_jobs), 3);
    assertEqual(withEnv('PMAP_BACKEND', 'sequential', () => new Pmap.Executor().backend.name), 'sequential');
});

test('malformed PMAP_N_JOBS', () => {
    const executor = withEnv('PMAP_N_JOBS', 'lots', () => new Pmap.Executor());

    const error = assertThrows(() => executor.map_by_name('test.square', ints([1]), null));
    assertError(error, Pmap.error_quark(), Pmap.Error.INVALID_SETTING);
    assert(error.message.includes('PMAP_N_JOBS'), error.message);

    executor.n_jobs = 2;
    assertEqual(unpack(executor.map_by_name('test.square', ints([3]), null)), [9]);
});

test('unknown PMAP_BACKEND', () => {
    const executor = withEnv('PMAP_BACKEND', 'dask', () => new Pmap.Executor());

    assertEqual(executor.backend, null);
    const error = assertThrows(() => executor.map_by_name('test.square', ints([1]), null));
    assertError(error, Pmap.error_quark(), Pmap.Error.UNKNOWN_BACKEND);
    assert(error.message.includes('dask'), error.message);

    executor.backend = Pmap.Backend.create('threads');
    assertEqual(unpack(executor.map_by_name('test.square', ints([3]), null)), [9]);
});

test('a JS backend runs every batch of a JS function', () => {
    const backend = new LoopBackend();
    const executor = new Pmap.Executor({backend, n_jobs: 3, batch_size: 7});

    const results = executor.map(ints(range(100)), triple, null);

    assertEqual(unpack(results), range(100).map(v => v * 3));
    assertEqual(backend.jobs, [[100, 3]]);
    assert(backend.batches.every(([, n]) => n <= 7), JSON.stringify(backend.batches));
    assertEqual(covered(backend.batches), range(100));
});

test('a JS backend with automatic batches of a native function', () => {
    const backend = new LoopBackend();
    const executor = new Pmap.Executor({backend, n_jobs: 4});

    const results = executor.map_by_name('test.square', ints(range(5000)), null);

    assertEqual(unpack(results), range(5000).map(v => v * v));
    assert(backend.batches.length > 1 && backend.batches.length < 5000,
        `${backend.batches.length} batches`);
    assertEqual(covered(backend.batches), range(5000));
});

test('a JS backend stops after an error', () => {
    const backend = new LoopBackend();
    const executor = new Pmap.Executor({backend, n_jobs: 2, batch_size: 10});
    const values = range(1000);
    values[42] = -1;

    const error = assertThrows(() => executor.map_by_name('test.fail-on-negative', ints(values), null));

    assertEqual(error.message, 'Task 42 failed: negative input -1');
    assertEqual(backend.batches, [[0, 10], [10, 10], [20, 10], [30, 10], [40, 10]]);
});

test('one job bypasses the backend', () => {
    const backend = new LoopBackend();
    const executor = new Pmap.Executor({backend, n_jobs: 1});

    assertEqual(unpack(executor.map(ints([1, 2]), triple, null)), [3, 6]);
    assertEqual(backend.jobs, []);
});

test('a JS backend that runs batches from the main loop', async () => {
    const backend = new IdleBackend();
    const executor = new Pmap.Executor({backend, n_jobs: 2, batch_size: 10});
    const progress = [];
    executor.connect('progress', (_executor, nDone, nTasks) => progress.push([nDone, nTasks]));

    const results = await mapAsync(executor, ints(range(95)), triple);

    assertEqual(unpack(results), range(95).map(v => v * 3));
    assertEqual(backend.nBatches, 10);
    assertEqual(progress[progress.length - 1], [95, 95]);
});

test('idle-timeout is a property of every backend, 300 seconds by default', () => {
    const backend = Pmap.Backend.create('processes');
    assertEqual(backend.get_idle_timeout(), 300);
    let notified = 0;
    backend.connect('notify::idle-timeout', () => notified++);
    backend.idle_timeout = 7;
    backend.set_idle_timeout(7);
    assertEqual(backend.get_idle_timeout(), 7);
    assertEqual(notified, 1);
});

run();

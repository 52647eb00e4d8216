// helpers.js: inputs, results and asynchronous maps for the GJS tests
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Pmap from 'gi://Pmap?version=1.0';

/**
 * The int64 GVariants that maps take. GJS hands a JS array to C as a C
 * array of GVariant, which the API takes; as a GPtrArray its elements
 * would arrive as NULL.
 */
export function ints(values) {
    return values.map(v => GLib.Variant.new_int64(v));
}

export function range(n, start = 0) {
    return Array.from({length: n}, (_, i) => start + i);
}

export function unpack(results) {
    return results.map(v => v.unpack());
}

/**
 * Calls @start(callback) and returns a promise of what @finish(result)
 * gives in the callback. Exceptions thrown in a GLib callback are only
 * logged, so everything goes through the promise.
 */
export function whenDone(start, finish) {
    return new Promise((resolve, reject) => {
        start((executor, result) => {
            try {
                resolve(finish.call(executor, result));
            } catch (error) {
                reject(error);
            }
        });
    });
}

export function mapAsync(executor, items, func, cancellable = null) {
    return whenDone(
        callback => executor.map_async(items, func, cancellable, callback),
        Pmap.Executor.prototype.map_finish);
}

export function mapByNameAsync(executor, name, items, cancellable = null) {
    return whenDone(
        callback => executor.map_by_name_async(name, items, cancellable, callback),
        Pmap.Executor.prototype.map_by_name_finish);
}

// Executors take their defaults from the environment: the tests start
// from none, whatever the shell that runs them sets.
GLib.unsetenv('PMAP_N_JOBS');
GLib.unsetenv('PMAP_BACKEND');

/** Loads the native functions of tests/pmap-test-module.c. */
export function loadTestModule() {
    const path = GLib.getenv('PMAP_TEST_MODULE');
    if (!path)
        throw new Error('PMAP_TEST_MODULE is not set');
    Pmap.load_module(path);
    return path;
}

/**
 * Imports the ES module at @uri before going on, by iterating the main
 * context until it has loaded: unlike a top-level await, this leaves the
 * rest of the test module outside promise jobs, where the nested main
 * loops of tap.js can still run the jobs of the tests' promises.
 */
export function importNow(uri) {
    let loaded = null;
    let failed = null;
    import(uri).then(module => (loaded = module), error => (failed = error));
    const context = GLib.MainContext.default();
    while (loaded === null && failed === null)
        context.iteration(true);
    if (failed)
        throw failed;
    return loaded;
}

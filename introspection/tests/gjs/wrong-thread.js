// wrong-thread.js: hands a JS function to the threads backend, then to
// the sequential one and to one job, and prints, as JSON, what came back.
// test-executor.js runs it in a child gjs to check that pmap-glib refuses
// the threads with an error before GJS logs a critical on the child's
// stderr.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Pmap from 'gi://Pmap?version=1.0';

import {ints, mapAsync} from './helpers.js';

let calls = 0;
const double = input => {
    calls++;
    return GLib.Variant.new_int64(input.get_int64() * 2);
};

function describe(error) {
    return {
        domain: GLib.quark_to_string(error.domain),
        code: error.code,
        message: error.message,
    };
}

function outcomeOf(func) {
    try {
        return {results: func().map(v => v.unpack())};
    } catch (error) {
        return {error: describe(error)};
    }
}

const executor = new Pmap.Executor({n_jobs: 2, batch_size: 1});
const items = ints([1, 2, 3, 4, 5, 6]);
const report = {backend: executor.backend.name};

report.map = outcomeOf(() => executor.map(items, double, null));

Pmap.register_function('js.double', double);
report.mapByName = outcomeOf(() => executor.map_by_name('js.double', items, null));
Pmap.unregister_function('js.double');

const loop = new GLib.MainLoop(null, false);
mapAsync(executor, items, double).then(
    results => (report.mapAsync = {results: results.map(v => v.unpack())}),
    error => (report.mapAsync = {error: describe(error)})).finally(() => loop.quit());
loop.run();

report.callsOnThreads = calls;

report.sequential = outcomeOf(() => new Pmap.Executor({backend: Pmap.Backend.create('sequential')})
    .map(items, double, null));
executor.n_jobs = 1;
report.oneJob = outcomeOf(() => executor.map(items, double, null));
print(JSON.stringify(report));

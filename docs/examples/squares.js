// squares.js: square ten numbers with pmap-glib from GJS
//
// SPDX-License-Identifier: LGPL-2.1-or-later

imports.gi.versions.Pmap = '1.0';
const {GLib, Pmap} = imports.gi;

// GJS runs JavaScript on its main thread only, so a JS function needs the
// sequential backend; native functions registered by name (see
// Pmap.load_module()) run on threads.
function square(item) {
    const x = item.get_int64();
    return new GLib.Variant('x', x * x);
}

const executor = new Pmap.Executor({
    n_jobs: 2,
    backend: Pmap.Backend.create('sequential'),
});
const inputs = [...Array(10).keys()].map(i => new GLib.Variant('x', i));

let results;
try {
    results = executor.map(inputs, square, null);
} catch (error) {
    printerr(`The map failed: ${error.message}`);
    imports.system.exit(1);
}

results.forEach((result, i) => print(`square(${i}) = ${result.get_int64()}`));

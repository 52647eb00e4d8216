// seed.js: joblib's example “Serialization of un-picklable objects”, step
// by step, with JavaScript functions on GJS worker processes;
// docs/javascript.md walks through it
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Pmap from 'gi://Pmap?version=1.0';

const PmapJS = await import(Pmap.get_javascript_module());

const LARGE_SIZE = 1000000;

// func_async(i, *args): 2 * i.
function funcAsync(i, ...args) {
    return 2 * i;
}

function timed(label, run) {
    const start = Date.now();
    const [result] = run();
    print(`${label}: ${((Date.now() - start) / 1000).toFixed(3)}s (result ${result})`);
}

// 1. A function of this script, on 2 worker processes, with the default
// “general” serializer, which carries it by value: as its source text.
const parallel = new PmapJS.Parallel({nJobs: 2});
print(parallel.run([PmapJS.delayed(funcAsync)(21)])[0]);

// 2. The same with an extra large argument: one million numbers.
const largeList = Array.from({length: LARGE_SIZE}, (_, k) => k);
timed('With processes backend and general serialization',
    () => parallel.run([PmapJS.delayed(funcAsync)(21, largeList)]));

// 3. joblib's multiprocessing backend forks; pmap-glib has no such backend.
// C compares with threads, which GJS refuses JavaScript: the sequential
// backend runs the same chunk in this process, with no worker.
timed('With sequential backend in this process',
    () => new PmapJS.Parallel({backend: 'sequential'}).run([PmapJS.delayed(funcAsync)(21, largeList)]));

// 4. The fast “variant” serializer, as LOKY_PICKLER=pickle: a function
// given by module reference travels, ...
const fast = new PmapJS.Parallel({nJobs: 2, serializer: 'variant'});
const funcByName = PmapJS.fromModule('./seed-functions.js', 'funcByName', import.meta.url);
timed('With variant serialization', () => fast.run([PmapJS.delayed(funcByName)(21, largeList)]));

// ... while funcAsync, a function of this script, is refused.
try {
    fast.run([PmapJS.delayed(funcAsync)(21, largeList)]);
    printerr('The variant serializer should have refused funcAsync');
    imports.system.exit(1);
} catch (error) {
    if (!error.matches?.(Pmap.error_quark(), Pmap.Error.NOT_SERIALIZABLE))
        throw error;
    print(`Refused with PMAP_ERROR_NOT_SERIALIZABLE: ${error.message}`);
}

// 5. Wrapped, funcAsync alone travels by value; the large argument
// travels as before.
const funcAsyncWrapped = PmapJS.wrap(funcAsync);
timed('With variant serialization and wrapper',
    () => fast.run([PmapJS.delayed(funcAsyncWrapped)(21, largeList)]));

PmapJS.shutdown();

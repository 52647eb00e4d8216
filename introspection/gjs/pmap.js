// pmap.js: joblib-style parallel maps of JS functions over JS values, in
// GJS worker processes
//
//   import Pmap from 'gi://Pmap?version=1.0';
//   const PmapJS = await import(Pmap.get_javascript_module());
//
//   const squares = PmapJS.map(x => x * x, [1, 2, 3], {nJobs: 2});
//
// See docs/javascript.md.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Pmap from 'gi://Pmap?version=1.0';

import {describe, fromModule, importLater, partial, wrap} from './functions.js';
import {ERROR_MARK, JsSerializer, SERIALIZER_NAME, registerSerializer} from './serializer.js';
import {checkTravels, decodeResults, encodeChunk, pmapError} from './values.js';

export {fromModule, partial, wrap, SERIALIZER_NAME};

registerSerializer();
const serializer = new JsSerializer({name: SERIALIZER_NAME});

/*
 * What a worker process runs: `gjs -c BOOTSTRAP`. An ES module cannot be
 * run from a resource, and a script cannot import one synchronously: the
 * script imports the worker module while a main loop runs, then serves
 * tasks at its top level, where GJS still runs the promise jobs that
 * importing a module of a module reference needs.
 */
const BOOTSTRAP = `
imports.gi.versions.Pmap = '1.0';
const {GLib, Pmap} = imports.gi;
// Loads libpmap-glib, which registers the resource that holds the worker.
Pmap.get_javascript_module();
const loop = new GLib.MainLoop(null, false);
let worker = null;
import('resource:///org/gnome/Pmap/js/worker.js').then(module => {
    worker = module;
    loop.quit();
}, error => {
    logError(error, 'pmap-glib: the GJS worker could not be loaded');
    imports.system.exit(1);
});
loop.run();
worker.serve();
printerr('pmap-glib: this is the GJS worker of PmapJS, which only the processes backend starts');
imports.system.exit(1);
`;

let gjs = null;

/* The gjs that runs the workers: PMAP_GJS, else this process's own
 * program if it is gjs, else the gjs on PATH. */
function findGjs() {
    const override = GLib.getenv('PMAP_GJS');
    if (override)
        return override;
    try {
        const self = GLib.file_read_link('/proc/self/exe');
        if (GLib.path_get_basename(self).startsWith('gjs'))
            return self;
    } catch {}
    const found = GLib.find_program_in_path('gjs');
    if (found)
        return found;
    throw pmapError(Pmap.Error.WORKER_START, 'PmapJS could not find gjs to start ' +
        'its worker processes: put it on PATH, or set PMAP_GJS to it');
}

/** The command that starts a GJS worker process. */
export function workerCommand() {
    gjs ??= findGjs();
    return [gjs, '-c', BOOTSTRAP];
}

/* Backends by name, shared by the maps, so that shutdown() finds them. */
const backends = new Map();

function backendNamed(name) {
    let backend = backends.get(name);
    if (!backend) {
        backend = Pmap.Backend.create(name);
        backends.set(name, backend);
    }
    return backend;
}

/** Stops the idle worker processes, as joblib's executor shutdown. */
export function shutdown() {
    backendNamed('processes').shutdown();
}

function optionObject(value, create) {
    return typeof value === 'string' ? create(value) : value;
}

const SIZE_UNITS = {K: 1 << 10, M: 1 << 20, G: 1 << 30};

/* A size in bytes, given as a number or as joblib writes it: '1M', '512K'. */
function sizeInBytes(value) {
    const written = typeof value === 'string' ? /^(\d+)([KMG])$/i.exec(value) : null;
    const size = written ? Number(written[1]) * SIZE_UNITS[written[2].toUpperCase()] : value;
    if (!Number.isSafeInteger(size) || size < 4096) {
        throw new TypeError(`maxNbytes must be the size from which a value is large, 4096 bytes ` +
            `or more, as a number or as joblib writes it ('1M', '512K'), not ${value}`);
    }
    return size;
}

/*
 * The executor that runs one map: n-jobs, backend, serializer, timeout,
 * retries and max-nbytes from @options, else from @options.executor, else
 * the defaults, with the processes backend unless PMAP_BACKEND names
 * another. Each chunk is one task and goes to a worker alone.
 */
function executorFor(options) {
    const {executor = null} = options;
    const settings = {
        nJobs: executor?.n_jobs,
        backend: executor?.backend,
        serializer: executor?.serializer,
        batchSize: executor?.batch_size ?? 0,
        timeout: executor?.timeout ?? 0,
        retries: executor?.retries ?? 0,
        maxNbytes: executor?.max_nbytes,
    };
    for (const key of Object.keys(settings)) {
        if (options[key] !== undefined && options[key] !== null)
            settings[key] = options[key];
    }

    if (options.returnErrors !== undefined && typeof options.returnErrors !== 'boolean')
        throw new TypeError(`returnErrors must be true or false, not ${options.returnErrors}`);

    const properties = {batch_size: 1};
    if (settings.nJobs !== undefined) {
        if (!Number.isInteger(settings.nJobs) || settings.nJobs === 0)
            throw new TypeError(`nJobs must be a non-zero integer, not ${settings.nJobs}`);
        properties.n_jobs = settings.nJobs;
    }
    if (!Number.isInteger(settings.batchSize) || settings.batchSize < 0)
        throw new TypeError(`batchSize must be 0 (automatic) or more, not ${settings.batchSize}`);
    if (typeof settings.timeout !== 'number' || !(settings.timeout >= 0))
        throw new TypeError(`timeout must be 0 (none) or more seconds, not ${settings.timeout}`);
    properties.timeout = settings.timeout;
    if (!Number.isInteger(settings.retries) || settings.retries < 0)
        throw new TypeError(`retries must be 0 or more, not ${settings.retries}`);
    properties.retries = settings.retries;
    if (settings.maxNbytes !== undefined)
        properties.max_nbytes = sizeInBytes(settings.maxNbytes);
    if (settings.backend)
        properties.backend = optionObject(settings.backend, backendNamed);
    else if (!GLib.getenv('PMAP_BACKEND'))
        properties.backend = backendNamed('processes');
    if (settings.serializer)
        properties.serializer = optionObject(settings.serializer, name => Pmap.Serializer.create(name));

    return {executor: new Pmap.Executor(properties), batchSize: settings.batchSize};
}

/* Whether this map sends its functions to worker processes. */
function travels(executor) {
    return executor.backend?.name === 'processes' && executor.get_effective_n_jobs() > 1;
}

function refuseByReference(spec, executor) {
    throw pmapError(Pmap.Error.NOT_SERIALIZABLE,
        `The function “${spec.name || 'anonymous'}” has no module reference, and the ` +
        `“${executor.serializer.name}” serializer carries functions only by reference; ` +
        'wrap it with PmapJS.wrap() so that it alone travels by value, as its source ' +
        'text, give it as PmapJS.fromModule(uri, name), or use the “general” serializer');
}

/*
 * Everything one map needs: @calls are {func, args, where, item}, where
 * names the arguments in messages, item says that they are one item.
 */
function prepare(calls, options) {
    const {executor, batchSize} = executorFor(options);
    const returnErrors = options.returnErrors ?? false;
    const functions = new Map();
    const specs = [];
    const encoded = calls.map(({func, args, where, item}) => {
        let f = functions.get(func);
        if (f === undefined) {
            const spec = describe(func);
            f = specs.length;
            functions.set(func, f);
            specs.push(spec);
        }
        checkTravels(item ? args[0] : args, where);
        return [f, args];
    });

    if (calls.length > 0 && travels(executor) && executor.serializer &&
        !executor.serializer.functions_by_value) {
        const byName = specs.find(spec => spec.kind === 'source' && !spec.byValue);
        if (byName)
            refuseByReference(byName, executor);
    }

    const n = encoded.length;
    // The executor's timeout is a call's: each call is then a task of its
    // own, which the processes backend times.
    const chunkSize = executor.timeout > 0 ? 1
        : batchSize > 0 ? batchSize
        : Math.max(1, Math.ceil(n / (4 * executor.get_effective_n_jobs())));
    const chunks = [];
    for (let first = 0; first < n; first += chunkSize)
        chunks.push(encodeChunk(first, encoded.slice(first, first + chunkSize), returnErrors));

    const data = specs.map(({kind, name, source, form, uri, export: exportName, args}) =>
        ({kind, name, source, form, uri, export: exportName, args}));
    const wrapped = Pmap.Wrapped.new_serialized(serializer, new GLib.Variant('s', JSON.stringify(data)));

    if (executor.backend?.name === 'processes')
        Pmap.set_worker_command(workerCommand());

    return {executor, wrapped, chunks, chunkSize, n, specs, returnErrors};
}

const STANDARD_ERRORS = {
    Error, EvalError, InternalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
};

const OWN_FRAMES = 'resource:///org/gnome/Pmap/js/';

function withoutOwnFrames(stack = '') {
    return stack.split('\n').filter(frame => !frame.includes(OWN_FRAMES)).join('\n');
}

/* The exception that a worker reported, to throw in the caller. */
function remoteError(report) {
    let error;
    if (report.kind === 'GLib.Error') {
        error = new GLib.Error(GLib.quark_from_string(report.domain), report.code, report.message);
    } else {
        const Constructor = STANDARD_ERRORS[report.name] ?? Error;
        error = new Constructor(report.message);
        if (error.name !== report.name)
            error.name = report.name;
        // The worker's frames of the function, then the caller's.
        error.stack = [report.stack.trimEnd(), withoutOwnFrames(error.stack)].join('\n');
    }
    error.index = report.index;
    error.functionName = report.function;
    error.remoteStack = report.stack;
    return error;
}

/* A failed map's error, made to speak of items rather than of chunks. */
function mapError(error, {chunkSize, n}) {
    if (!(error instanceof GLib.Error))
        return error;

    const mark = error.message.indexOf(ERROR_MARK);
    if (mark >= 0)
        return remoteError(JSON.parse(error.message.slice(mark + ERROR_MARK.length)));

    let extra = null;
    const task = /^Task (\d+) failed/.exec(error.message);
    if (task && error.matches(Pmap.error_quark(), Pmap.Error.WORKER_CRASHED)) {
        const first = Number(task[1]) * chunkSize;
        const last = Math.min(n, first + chunkSize) - 1;
        extra = `task ${task[1]} ran items ${first} to ${last} in one worker`;
    } else if (error.matches(Pmap.error_quark(), Pmap.Error.WRONG_THREAD)) {
        extra = 'PmapJS runs JavaScript functions in worker processes on the ' +
            '“processes” backend, its default; choose it, or “sequential”, instead of “threads”';
    }
    return extra ? new GLib.Error(error.domain, error.code, `${error.message} (${extra})`) : error;
}

/*
 * The values of a map's items, from its chunks' results; with returnErrors,
 * these are outcomes, and a chunk that failed as a whole (its worker died,
 * say) gives its error in the place of each of its items.
 */
function collect(results, map) {
    if (!map.returnErrors)
        return results.flatMap(chunk => decodeResults(chunk, remoteError));

    return results.flatMap((outcome, k) => {
        try {
            return decodeResults(outcome.get_value(), remoteError);
        } catch (error) {
            const first = k * map.chunkSize;
            return Array.from({length: Math.min(map.n, first + map.chunkSize) - first},
                () => mapError(error, map));
        }
    });
}

/* The executor's methods that map the chunks: with returnErrors, those
 * that give one outcome per chunk, so that a chunk fails alone. */
function chunkMap(map) {
    const {executor} = map;
    return map.returnErrors
        ? {run: executor.map_wrapped_outcomes, start: executor.map_wrapped_outcomes_async,
            finish: executor.map_wrapped_outcomes_finish}
        : {run: executor.map_wrapped, start: executor.map_wrapped_async,
            finish: executor.map_wrapped_finish};
}

function runCalls(calls, options, cancellable) {
    const map = prepare(calls, options);
    let results;
    try {
        results = chunkMap(map).run.call(map.executor, map.wrapped, map.chunks, cancellable);
    } catch (error) {
        throw mapError(error, map);
    }
    return collect(results, map);
}

async function runCallsAsync(calls, options, cancellable) {
    const map = prepare(calls, options);
    // A function of a module may run in this process (sequential backend):
    // have it loaded before the map, which cannot wait for it.
    for (const spec of map.specs.filter(s => s.kind === 'module'))
        await importLater(spec.uri);

    const {start, finish} = chunkMap(map);
    const results = await new Promise((resolve, reject) => {
        start.call(map.executor, map.wrapped, map.chunks, cancellable, (executor, result) => {
            try {
                resolve(finish.call(executor, result));
            } catch (error) {
                reject(mapError(error, map));
            }
        });
    });
    return collect(results, map);
}

function itemCalls(func, items) {
    if (items === null || typeof items?.[Symbol.iterator] !== 'function')
        throw new TypeError('PmapJS maps over an array (or another iterable) of items');
    return Array.from(items, (item, i) => {
        return {func, args: [item], where: `item ${i}`, item: true};
    });
}

function delayedCalls(calls) {
    return Array.from(calls, (call, i) => {
        if (typeof call?.func !== 'function' || !Array.isArray(call.args))
            throw new TypeError(`Call ${i} was not made by PmapJS.delayed(func)(…args)`);
        return {func: call.func, args: call.args, where: `the arguments of call ${i}`};
    });
}

/**
 * Calls @func(item) for every item of @items, in worker processes, and
 * returns the results in the order of the items.
 *
 * @options: {nJobs, backend, serializer, batchSize, timeout, retries, maxNbytes, returnErrors,
 *   executor, cancellable}
 */
export function map(func, items, options = {}) {
    return runCalls(itemCalls(func, items), options, options.cancellable ?? null);
}

/** map(), as a promise: the main loop runs while workers work. */
export function mapAsync(func, items, options = {}) {
    try {
        return runCallsAsync(itemCalls(func, items), options, options.cancellable ?? null);
    } catch (error) {
        return Promise.reject(error);
    }
}

/** joblib's delayed(): delayed(func)(...args) is a call to make later. */
export function delayed(func) {
    describe(func);
    return (...args) => ({func, args});
}

/** joblib's Parallel: runs calls made with delayed(). */
export class Parallel {
    /** @options: {nJobs, backend, serializer, batchSize, timeout, retries, maxNbytes, returnErrors,
     *   executor} */
    constructor(options = {}) {
        this.options = {...options};
    }

    run(calls, {cancellable = null} = {}) {
        return runCalls(delayedCalls(calls), this.options, cancellable);
    }

    runAsync(calls, {cancellable = null} = {}) {
        try {
            return runCallsAsync(delayedCalls(calls), this.options, cancellable);
        } catch (error) {
            return Promise.reject(error);
        }
    }
}

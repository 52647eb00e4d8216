// serializer.js: the “gjs” serializer, whose call() runs JS functions on
// chunks of calls, in worker processes and, on the sequential backend, in
// the calling process
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pmap from 'gi://Pmap?version=1.0';

import {compileSource, resolveExport} from './functions.js';
import {checkTravels, decodeChunk, encodeResults, pmapError} from './values.js';

export const SERIALIZER_NAME = 'gjs';

/*
 * A JS exception travels to the caller in the message of a GError
 * (Pmap.Error.FAILED): a readable summary and the worker's stack, then
 * this mark and the exception as one line of JSON, which the caller
 * parses to throw it again.
 */
export const ERROR_MARK = '\n@pmapjs-error ';

/* Function tables by their JSON text: a worker compiles a map's
 * functions once, not once per chunk. */
const tables = new Map();

function compileTable(text) {
    const specs = JSON.parse(text);
    return specs.map(spec => {
        const func = spec.kind === 'module' ? resolveExport(spec) : compileSource(spec);
        return {name: spec.name, call: spec.args.length > 0
            ? input => func(...spec.args, ...input)
            : input => func(...input)};
    });
}

function tableFor(text) {
    let table = tables.get(text);
    if (!table) {
        table = compileTable(text);
        // Maps come one after the other: keep the last few.
        if (tables.size >= 8)
            tables.delete(tables.keys().next().value);
        tables.set(text, table);
    }
    return table;
}

/* The frames of @stack up to the first of this layer's own: the user's
 * function and what it called. */
function userFrames(stack = '') {
    const frames = stack.split('\n');
    const own = frames.findIndex(frame => frame.includes('resource:///org/gnome/Pmap/js/'));
    return (own < 0 ? frames : frames.slice(0, own)).join('\n');
}

/* What the caller needs to throw @thrown again. */
export function errorReport(thrown, index, functionName) {
    const report = {index, function: functionName};
    if (thrown instanceof GLib.Error) {
        Object.assign(report, {kind: 'GLib.Error', domain: GLib.quark_to_string(thrown.domain),
            code: thrown.code, name: 'GLib.Error', message: thrown.message, stack: userFrames(thrown.stack)});
    } else if (thrown instanceof Error) {
        Object.assign(report, {kind: 'Error', name: thrown.name, message: thrown.message,
            stack: userFrames(thrown.stack)});
    } else {
        let text;
        try {
            text = JSON.stringify(thrown) ?? String(thrown);
        } catch {
            text = String(thrown);
        }
        Object.assign(report, {kind: 'value', name: 'Error', message: `threw ${text}`, stack: ''});
    }
    return report;
}

function reportError(report) {
    const where = report.function ? `item ${report.index}, in ${report.function}` : `item ${report.index}`;
    return pmapError(Pmap.Error.FAILED,
        `${report.name}: ${report.message} (${where})\n${report.stack.trimEnd()}` +
        `${ERROR_MARK}${JSON.stringify(report)}`);
}

/* Runs the calls of one chunk, in order, with the functions of @table. A
 * call that throws fails the chunk, or, in a map that returns errors, gives
 * its exception in the place of its result. */
function runChunk(table, chunk) {
    const results = new Array(chunk.calls.length);
    const errors = [];

    chunk.calls.forEach(([f, input], i) => {
        const {name, call} = table[f];
        const index = chunk.first + i;
        let result;
        try {
            result = call(input);
            if (result !== undefined)
                checkTravels(result, `the result of item ${index}`);
        } catch (error) {
            const report = errorReport(error, index, name);
            if (!chunk.returnErrors)
                throw reportError(report);
            errors.push([i, report]);
            result = null;
        }
        results[i] = result;
    });

    return encodeResults(results, errors);
}

/**
 * The serializer whose functions are JS functions: its function data is
 * a JSON 's' of the map's function descriptions, its inputs and results
 * chunks of calls as JSON 's'. Values pass through encode() and decode()
 * unchanged, as the base class does, so that nothing calls into JS off
 * the main thread.
 */
export const JsSerializer = GObject.registerClass({
    GTypeName: 'PmapJsSerializer',
}, class JsSerializer extends Pmap.Serializer {
    vfunc_call(functions, input) {
        let table;
        const first = () => {
            try {
                return decodeChunk(input).first;
            } catch {
                return 0;
            }
        };
        try {
            table = tableFor(functions.get_string()[0]);
        } catch (error) {
            // A function that cannot be compiled or found here fails the
            // chunk's first item.
            throw reportError(errorReport(error, first(), ''));
        }
        return runChunk(table, decodeChunk(input));
    }
});

/** Makes the “gjs” serializer known, here and to the workers. */
export function registerSerializer() {
    Pmap.Serializer.register(SERIALIZER_NAME, JsSerializer.$gtype);
}

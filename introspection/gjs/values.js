// values.js: the JS values that travel between processes, as JSON
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Pmap from 'gi://Pmap?version=1.0';

const WHAT_TRAVELS = 'PmapJS carries JSON values: null, booleans, finite ' +
    'numbers, strings, arrays and plain objects of them';

/** A GLib.Error in Pmap's domain: the way every layer of pmap-glib fails. */
export function pmapError(code, message) {
    return new GLib.Error(Pmap.error_quark(), code, message);
}

function describe(value) {
    if (value === undefined)
        return 'undefined';
    if (typeof value === 'number')
        return String(value);
    if (typeof value === 'function')
        return 'a function';
    if (typeof value !== 'object')
        return `a ${typeof value}`;
    if (value instanceof GLib.Variant)
        return 'a GLib.Variant (unpack it first)';
    const constructor = Object.getPrototypeOf(value)?.constructor;
    return `a ${constructor?.name ?? 'non-plain object'}`;
}

function isPlainObject(value) {
    const prototype = Object.getPrototypeOf(value);
    return prototype === Object.prototype || prototype === null;
}

/*
 * Finds what JSON would lose or refuse in @value: the path to it, and
 * what it is; null if @value travels unchanged (but for -0, which JSON
 * turns into 0).
 */
function findUntravelling(value, ancestors = new Set()) {
    switch (typeof value) {
    case 'string':
    case 'boolean':
        return null;
    case 'number':
        return Number.isFinite(value) ? null : {path: '', what: describe(value)};
    case 'object':
        break;
    default:
        return {path: '', what: describe(value)};
    }
    if (value === null)
        return null;
    if (ancestors.has(value))
        return {path: '', what: 'a reference to one of its own containers (a cycle)'};

    let found = null;
    ancestors.add(value);
    if (Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype) {
        for (let i = 0; i < value.length && found === null; i++) {
            const element = value[i];
            // The common cases, without a call.
            if (typeof element === 'string' || (typeof element === 'number' && Number.isFinite(element)))
                continue;
            found = findUntravelling(element, ancestors);
            if (found)
                found.path = `[${i}]${found.path}`;
        }
    } else if (isPlainObject(value)) {
        if (Object.getOwnPropertySymbols(value).length > 0)
            found = {path: '', what: 'an object with symbol keys'};
        for (const key of Object.keys(value)) {
            if (found !== null)
                break;
            found = findUntravelling(value[key], ancestors);
            if (found)
                found.path = `.${key}${found.path}`;
        }
    } else {
        found = {path: '', what: describe(value)};
    }
    ancestors.delete(value);
    return found;
}

/**
 * Throws Pmap.Error.NOT_SERIALIZABLE unless @value travels unchanged as
 * JSON. @where names the value for the message, such as "item 3".
 */
export function checkTravels(value, where) {
    const found = findUntravelling(value);
    if (found === null)
        return;
    const place = found.path ? `${where}, at ${found.path},` : where;
    throw pmapError(Pmap.Error.NOT_SERIALIZABLE,
        `${place[0].toUpperCase()}${place.slice(1)} is ${found.what}, which cannot travel ` +
        `between processes: ${WHAT_TRAVELS}`);
}

/*
 * A chunk of calls: {first, calls: [[function index, [arguments…]], …]}
 * as a JSON string 's', the input of one task of the C map.
 */
export function encodeChunk(first, calls, returnErrors = false) {
    return new GLib.Variant('s', JSON.stringify({first, calls, returnErrors}));
}

export function decodeChunk(variant) {
    return JSON.parse(variant.get_string()[0]);
}

/*
 * A chunk's results: {results: […], undefined: [positions], errors:
 * [[position, report]]}. A function that returns nothing gives undefined
 * in the caller, which JSON alone would turn into null; a call that threw,
 * in a map that returns errors, gives the report of its exception.
 */
export function encodeResults(results, errors = []) {
    const undefinedAt = [];
    const values = results.map((value, i) => {
        if (value !== undefined)
            return value;
        undefinedAt.push(i);
        return null;
    });
    return new GLib.Variant('s', JSON.stringify({results: values, undefined: undefinedAt, errors}));
}

/* The values of a chunk's results; @errorFor(report) makes the value of a
 * call that threw. */
export function decodeResults(variant, errorFor) {
    const {results, undefined: undefinedAt, errors} = JSON.parse(variant.get_string()[0]);
    for (const i of undefinedAt)
        results[i] = undefined;
    for (const [i, report] of errors)
        results[i] = errorFor(report);
    return results;
}

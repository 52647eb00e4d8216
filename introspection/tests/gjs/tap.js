// tap.js: a tiny TAP producer and assertions for the GJS tests
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import System from 'system';

const tests = [];

/**
 * Registers a test. @func may return a promise: the test then runs the
 * default main loop until it settles.
 */
export function test(name, func) {
    tests.push({name, func});
}

class AssertionError extends Error {
    name = 'AssertionError';
}

export function assert(condition, message = 'assertion failed') {
    if (!condition)
        throw new AssertionError(message);
}

export function assertEqual(actual, expected, message = '') {
    const a = JSON.stringify(actual);
    const e = JSON.stringify(expected);
    if (a !== e)
        throw new AssertionError(`${message}${message ? ': ' : ''}expected ${e}, got ${a}`);
}

/** Calls @func, which must throw, and returns what it threw. */
export function assertThrows(func) {
    try {
        func();
    } catch (error) {
        return error;
    }
    throw new AssertionError('expected an exception');
}

/** Checks a GLib.Error's domain and code, and the start of its message. */
export function assertError(error, domain, code, prefix = null) {
    assert(error instanceof GLib.Error, `expected a GLib.Error, got ${error}`);
    assert(error.matches(domain, code),
        `expected ${GLib.quark_to_string(domain)} ${code}, got ${error}`);
    if (prefix !== null)
        assert(error.message.startsWith(prefix), `unexpected message: ${error.message}`);
}

function settle(promise, timeoutSeconds) {
    const loop = new GLib.MainLoop(null, false);
    let outcome = null;

    promise.then(
        () => (outcome = {}),
        error => (outcome = {error})).finally(() => loop.quit());
    const guard = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, timeoutSeconds, () => {
        loop.quit();
        return GLib.SOURCE_REMOVE;
    });
    loop.run();

    if (outcome === null)
        throw new AssertionError(`the test did not finish within ${timeoutSeconds} s`);
    GLib.source_remove(guard);
    if (outcome.error)
        throw outcome.error;
}

function describe(error) {
    const text = error instanceof GLib.Error
        ? `GLib.Error ${GLib.quark_to_string(error.domain)} ${error.code}: ${error.message}`
        : `${error}\n${error?.stack ?? ''}`;
    return text.trimEnd().split('\n').map(line => `# ${line}`).join('\n');
}

/** Runs the registered tests, prints TAP and exits: 0 if every test passed. */
export function run({timeoutSeconds = 60} = {}) {
    if (tests.length === 0) {
        print('Bail out! No test was registered');
        System.exit(1);
    }

    // GJS only logs an exception thrown in a GLib callback, as a critical:
    // make that, and any warning, end the run instead of passing unseen.
    GLib.log_set_always_fatal(GLib.LogLevelFlags.LEVEL_CRITICAL | GLib.LogLevelFlags.LEVEL_WARNING);

    print(`1..${tests.length}`);
    let failures = 0;
    tests.forEach(({name, func}, index) => {
        try {
            const result = func();
            if (typeof result?.then === 'function')
                settle(result, timeoutSeconds);
            print(`ok ${index + 1} - ${name}`);
        } catch (error) {
            failures++;
            print(`not ok ${index + 1} - ${name}`);
            print(describe(error));
        }
    });

    System.exit(failures > 0 ? 1 : 0);
}

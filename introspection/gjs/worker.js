// worker.js: the GJS worker process of the processes backend
//
// Started as `gjs -c BOOTSTRAP` (see pmap.js), which imports this module
// and then calls serve() at the top level of its script, outside any
// promise job, so that a function of an ES module can still be imported
// while tasks run.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Pmap from 'gi://Pmap?version=1.0';

import {registerSerializer} from './serializer.js';

/** Registers the “gjs” serializer and serves tasks until the parent quits. */
export function serve() {
    registerSerializer();
    // Exits the process when the parent lets the worker go.
    Pmap.host_workers();
}

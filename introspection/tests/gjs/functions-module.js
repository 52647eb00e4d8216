// functions-module.js: functions that the GJS tests map by module
// reference, with PmapJS.fromModule()
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';

export function triple(x) {
    return 3 * x;
}

/** [x, the process id of the process that ran it] */
export function withPid(x) {
    return [x, Number(GLib.file_read_link('/proc/self'))];
}

export const notAFunction = 42;

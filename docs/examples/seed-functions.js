// seed-functions.js: the functions that seed.js maps by module reference,
// the way the fast “variant” serializer carries functions
//
// SPDX-License-Identifier: LGPL-2.1-or-later

/** func_async(i, *args): 2 * i; the seed maps Python's id() instead. */
export function funcByName(i, ...args) {
    return 2 * i;
}

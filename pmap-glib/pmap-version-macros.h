/* pmap-version-macros.h: symbol visibility, availability and deprecation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PMAP_GLIB_INSIDE) && !defined(PMAP_GLIB_COMPILATION)
# error "Only <pmap-glib/pmap-glib.h> can be included directly."
#endif

#include <glib.h>

#include "pmap-version.h"

#ifndef _PMAP_EXTERN
# define _PMAP_EXTERN __attribute__((visibility("default"))) extern
#endif

/**
 * PMAP_DEPRECATED_FOR:
 * @f: the name of the symbol to use instead
 *
 * Marks a symbol as deprecated in favour of @f: using it warns at compile
 * time, unless `PMAP_DISABLE_DEPRECATION_WARNINGS` is defined.
 *
 * Since: 1.0
 */

/**
 * PMAP_UNAVAILABLE:
 * @maj: the major version that introduced the symbol
 * @min: the minor version that introduced the symbol
 *
 * Marks a symbol as added in version @maj.@min, newer than
 * %PMAP_VERSION_MAX_ALLOWED: using it warns at compile time, unless
 * `PMAP_DISABLE_DEPRECATION_WARNINGS` is defined.
 *
 * Since: 1.0
 */
#ifdef PMAP_DISABLE_DEPRECATION_WARNINGS
# define PMAP_DEPRECATED _PMAP_EXTERN
# define PMAP_DEPRECATED_FOR(f) _PMAP_EXTERN
# define PMAP_UNAVAILABLE(maj,min) _PMAP_EXTERN
#else
# define PMAP_DEPRECATED G_DEPRECATED _PMAP_EXTERN
# define PMAP_DEPRECATED_FOR(f) G_DEPRECATED_FOR(f) _PMAP_EXTERN
# define PMAP_UNAVAILABLE(maj,min) G_UNAVAILABLE(maj,min) _PMAP_EXTERN
#endif

#define PMAP_VERSION_1_0 (PMAP_ENCODE_VERSION (1, 0, 0))

/* The current stable series; odd minor versions are development snapshots
 * that count as the next stable one. */
#if (PMAP_MINOR_VERSION % 2)
# define PMAP_VERSION_CUR_STABLE \
  (PMAP_ENCODE_VERSION (PMAP_MAJOR_VERSION, PMAP_MINOR_VERSION + 1, 0))
#else
# define PMAP_VERSION_CUR_STABLE \
  (PMAP_ENCODE_VERSION (PMAP_MAJOR_VERSION, PMAP_MINOR_VERSION, 0))
#endif

/**
 * PMAP_VERSION_MIN_REQUIRED:
 *
 * Define before including `<pmap-glib/pmap-glib.h>` to get warnings for
 * API deprecated in or after this version.
 *
 * Since: 1.0
 */
#ifndef PMAP_VERSION_MIN_REQUIRED
# define PMAP_VERSION_MIN_REQUIRED (PMAP_VERSION_CUR_STABLE)
#endif

/**
 * PMAP_VERSION_MAX_ALLOWED:
 *
 * Define before including `<pmap-glib/pmap-glib.h>` to get warnings for
 * API added after this version.
 *
 * Since: 1.0
 */
#ifndef PMAP_VERSION_MAX_ALLOWED
# if PMAP_VERSION_MIN_REQUIRED > PMAP_VERSION_CUR_STABLE
#  define PMAP_VERSION_MAX_ALLOWED (PMAP_VERSION_MIN_REQUIRED)
# else
#  define PMAP_VERSION_MAX_ALLOWED (PMAP_VERSION_CUR_STABLE)
# endif
#endif

#if PMAP_VERSION_MAX_ALLOWED < PMAP_VERSION_MIN_REQUIRED
# error "PMAP_VERSION_MAX_ALLOWED must be >= PMAP_VERSION_MIN_REQUIRED"
#endif
#if PMAP_VERSION_MIN_REQUIRED < PMAP_VERSION_1_0
# error "PMAP_VERSION_MIN_REQUIRED must be >= PMAP_VERSION_1_0"
#endif

#define PMAP_AVAILABLE_IN_ALL _PMAP_EXTERN

/**
 * PMAP_DEPRECATED_IN_1_0_FOR:
 * @f: the name of the symbol to use instead
 *
 * Marks a symbol as deprecated since version 1.0 in favour of @f; it warns
 * only when %PMAP_VERSION_MIN_REQUIRED is 1.0 or later.
 *
 * Since: 1.0
 */
#if PMAP_VERSION_MIN_REQUIRED >= PMAP_VERSION_1_0
# define PMAP_DEPRECATED_IN_1_0 PMAP_DEPRECATED
# define PMAP_DEPRECATED_IN_1_0_FOR(f) PMAP_DEPRECATED_FOR(f)
#else
# define PMAP_DEPRECATED_IN_1_0 _PMAP_EXTERN
# define PMAP_DEPRECATED_IN_1_0_FOR(f) _PMAP_EXTERN
#endif

#if PMAP_VERSION_MAX_ALLOWED < PMAP_VERSION_1_0
# define PMAP_AVAILABLE_IN_1_0 PMAP_UNAVAILABLE(1, 0)
#else
# define PMAP_AVAILABLE_IN_1_0 _PMAP_EXTERN
#endif

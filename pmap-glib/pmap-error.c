/* pmap-error.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pmap-error.h"

G_DEFINE_QUARK (pmap-error-quark, pmap_error)

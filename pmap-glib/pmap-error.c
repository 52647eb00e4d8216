/* pmap-error.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pmap-error.h"

/**
 * pmap_error_quark:
 *
 * Gets the quark of the %PMAP_ERROR domain.
 *
 * Returns: the error domain's quark
 *
 * Since: 1.0
 */
G_DEFINE_QUARK (pmap-error-quark, pmap_error)

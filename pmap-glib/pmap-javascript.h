/* pmap-javascript.h: where GJS finds pmap-glib's JavaScript module
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PMAP_GLIB_INSIDE) && !defined(PMAP_GLIB_COMPILATION)
# error "Only <pmap-glib/pmap-glib.h> can be included directly."
#endif

#include <glib.h>

#include "pmap-version-macros.h"

G_BEGIN_DECLS

PMAP_AVAILABLE_IN_1_0
const char *pmap_get_javascript_module (void);

G_END_DECLS

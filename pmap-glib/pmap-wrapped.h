/* pmap-wrapped.h: a function that travels by value whatever the serializer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PMAP_GLIB_INSIDE) && !defined(PMAP_GLIB_COMPILATION)
# error "Only <pmap-glib/pmap-glib.h> can be included directly."
#endif

#include <glib-object.h>

#include "pmap-version-macros.h"
#include "pmap-function.h"
#include "pmap-serializer.h"

G_BEGIN_DECLS

#define PMAP_TYPE_WRAPPED (pmap_wrapped_get_type ())

PMAP_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (PmapWrapped, pmap_wrapped, PMAP, WRAPPED, GObject)

PMAP_AVAILABLE_IN_1_0
PmapWrapped *pmap_wrapped_new (PmapFunc       func,
                               gpointer       user_data,
                               GDestroyNotify destroy);
PMAP_AVAILABLE_IN_1_0
PmapWrapped *pmap_wrapped_new_serialized (PmapSerializer *serializer,
                                          GVariant       *function);

G_END_DECLS

/* pmap-bytes.h: bytes in memory that worker processes map
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

/**
 * PmapBytesFillFunc:
 * @data: (array length=size): the memory to fill
 * @size: its size in bytes
 * @user_data: the data given to pmap_bytes_new_shared_fill()
 * @error: return location for a #GError
 *
 * Writes the contents of bytes that pmap_bytes_new_shared_fill() creates,
 * in place.
 *
 * Returns: %TRUE if it filled @data, %FALSE with @error set otherwise
 *
 * Since: 1.0
 */
typedef gboolean (*PmapBytesFillFunc) (guint8   *data,
                                       gsize     size,
                                       gpointer  user_data,
                                       GError  **error);

PMAP_AVAILABLE_IN_1_0
GBytes   *pmap_bytes_new_shared      (const guint8       *data,
                                      gsize               size,
                                      GError            **error);
PMAP_AVAILABLE_IN_1_0
GBytes   *pmap_bytes_new_shared_fill (gsize               size,
                                      PmapBytesFillFunc   fill,
                                      gpointer            user_data,
                                      GError            **error);
PMAP_AVAILABLE_IN_1_0
gboolean  pmap_bytes_is_shared       (GBytes             *bytes);

G_END_DECLS

/* pmap-memfd-private.h: memory files that large messages travel in
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

int       pmap_memfd_new_named    (const char *name,
                                   gsize      size,
                                   guint8   **map,
                                   GError   **error);
int       pmap_memfd_new          (gsize      size,
                                   guint8   **map,
                                   GError   **error);
gboolean  pmap_memfd_seal         (int        fd,
                                   GError   **error);
GBytes   *pmap_memfd_map          (int        fd,
                                   guint32    size,
                                   gboolean   strict,
                                   GError   **error);
GBytes   *pmap_memfd_map_range    (int        fd,
                                   guint64    offset,
                                   guint64    size,
                                   GError   **error);
gboolean  pmap_memfd_is_mapped_by (int        fd,
                                   int        pid);

G_END_DECLS

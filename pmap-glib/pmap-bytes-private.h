/* pmap-bytes-private.h: finding the memfd behind shared bytes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-bytes.h"

G_BEGIN_DECLS

/* The memfd that holds the @size bytes at @data, if they lie in bytes that
 * pmap_bytes_new_shared() made, as a new descriptor, with their offset in
 * it; else -1. */
int pmap_bytes_dup_shared_fd (gconstpointer  data,
                              gsize          size,
                              guint64       *offset);

G_END_DECLS

/* pmap-sequential-backend-private.h: tasks in turn on the calling thread
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-backend.h"

G_BEGIN_DECLS

#define PMAP_TYPE_SEQUENTIAL_BACKEND (pmap_sequential_backend_get_type ())

G_DECLARE_FINAL_TYPE (PmapSequentialBackend, pmap_sequential_backend, PMAP, SEQUENTIAL_BACKEND, PmapBackend)

PmapBackend *pmap_sequential_backend_new (void);

G_END_DECLS

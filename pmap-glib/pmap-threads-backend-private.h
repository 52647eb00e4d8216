/* pmap-threads-backend-private.h: tasks on an exclusive thread pool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-backend.h"

G_BEGIN_DECLS

#define PMAP_TYPE_THREADS_BACKEND (pmap_threads_backend_get_type ())

G_DECLARE_FINAL_TYPE (PmapThreadsBackend, pmap_threads_backend, PMAP, THREADS_BACKEND, PmapBackend)

PmapBackend *pmap_threads_backend_new (void);

G_END_DECLS

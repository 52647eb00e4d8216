/* pmap-map-run-private.h: driving a job from submission to its results
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pmap-backend.h"
#include "pmap-job-private.h"

G_BEGIN_DECLS

/* Reports progress to whoever started the map, on the caller's thread;
 * NULL reports nothing. */
typedef void (*PmapProgressFunc) (gpointer target,
                                  guint    n_done,
                                  guint    n_tasks);

GPtrArray *pmap_map_run       (PmapBackend       *backend,
                               PmapJob           *job,
                               GCancellable      *cancellable,
                               PmapProgressFunc   progress,
                               gpointer           target,
                               GError           **error);
void       pmap_map_run_async (PmapBackend       *backend,
                               PmapJob           *job,
                               PmapCallable      *callable,
                               GTask             *task,
                               PmapProgressFunc   progress);

G_END_DECLS

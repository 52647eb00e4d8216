/* pmap-executor-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-executor.h"
#include "pmap-function-private.h"
#include "pmap-job-private.h"

G_BEGIN_DECLS

PmapJob *pmap_executor_prepare_job   (PmapExecutor   *self,
                                      PmapCallable   *callable,
                                      GPtrArray      *inputs,
                                      GCancellable   *cancellable,
                                      PmapBackend   **backend,
                                      GError        **error);
void     pmap_executor_emit_progress (gpointer        target,
                                      guint           n_done,
                                      guint           n_tasks);

/* The defaults of a new executor, from PMAP_N_JOBS, PMAP_BACKEND and
 * PMAP_SERIALIZER (pmap-executor-environment.c). */
int             pmap_executor_default_n_jobs      (GError **error);
PmapBackend    *pmap_executor_default_backend     (GError **error);
PmapSerializer *pmap_executor_default_serializer  (GError **error);

G_END_DECLS

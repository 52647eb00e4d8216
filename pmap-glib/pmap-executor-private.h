/* pmap-executor-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-executor.h"
#include "pmap-function-private.h"
#include "pmap-job-private.h"

G_BEGIN_DECLS

/* PmapExecutor:max-nbytes: joblib's default, and the least, below which
 * a memfd costs more than the copy it saves. */
#define PMAP_DEFAULT_MAX_NBYTES (G_GUINT64_CONSTANT (1024) * 1024)
#define PMAP_MIN_MAX_NBYTES     G_GUINT64_CONSTANT (4096)

const GError *pmap_executor_get_setting_error      (PmapExecutor *self);
PmapBackend  *pmap_executor_get_sequential_backend (PmapExecutor *self);
PmapBatchMemory *pmap_executor_get_batch_memory    (PmapExecutor *self);
void     pmap_executor_emit_progress (gpointer        target,
                                      guint           n_done,
                                      guint           n_tasks);

/* The defaults of a new executor, from PMAP_N_JOBS, PMAP_BACKEND and
 * PMAP_SERIALIZER (pmap-executor-environment.c). */
int             pmap_executor_default_n_jobs      (GError **error);
PmapBackend    *pmap_executor_default_backend     (GError **error);
PmapSerializer *pmap_executor_default_serializer  (GError **error);

G_END_DECLS

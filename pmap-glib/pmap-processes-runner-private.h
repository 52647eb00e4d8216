/* pmap-processes-runner-private.h: what a runner of the processes backend holds
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * pmap-processes-backend.c makes one per runner thread and runs its loop;
 * pmap-processes-batch.c reads it while a worker runs one of its batches.
 */

#pragma once

#include "pmap-job-private.h"
#include "pmap-shared-private.h"

G_BEGIN_DECLS

/* What a runner thread works with: its job, and the settings of the
 * backend that it needs, copied. Not the backend itself: a runner that
 * dropped the backend's last reference would free the pool it runs on
 * from inside it. */
typedef struct
{
  PmapJob *job;
  /* The large values that the job's inputs share, if any; one table for
   * all its runners. */
  PmapShareTable *shares;
  guint64  idle_timeout_ms;
  guint    max_tasks_per_worker;
  guint64  max_worker_memory;
} PmapRunner;

G_END_DECLS

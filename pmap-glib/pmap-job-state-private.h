/* pmap-job-state-private.h: what the halves of a job share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * pmap-job.c hands out and runs batches; pmap-job-results.c takes their
 * results and errors and gives them back. Both see the job's state,
 * which nothing else does.
 */

#pragma once

#include "pmap-batch-size-private.h"
#include "pmap-job-private.h"

G_BEGIN_DECLS

struct _PmapJob
{
  GObject        parent_instance;

  /* Borrowed: the executor keeps it alive until the job completes, and
   * drops it on the caller's thread, where its destroy notify belongs. */
  PmapCallable  *callable;
  PmapSerializer *serializer;
  GPtrArray     *items;
  GPtrArray     *results;
  GThread       *owner;
  guint          n_tasks;
  guint          n_jobs;
  /* How long one task may run, 0 for ever; how many times a task that a
   * worker's death or the timeout took runs again. */
  gint64         timeout_us;
  guint          retries;
  /* PmapExecutor:max-nbytes. */
  guint64        max_nbytes;

  /* Whether a failing task leaves the others running; then the errors of
   * the tasks that failed, by index. */
  gboolean       continue_on_error;
  GPtrArray     *errors;
  guint          n_failed;

  /* Read without the lock between tasks, to stop a running batch early. */
  gint           stopping;

  GMutex         mutex;
  GCond          cond;
  guint          next;
  guint          n_active;
  guint          n_done;
  GError        *error;
  PmapBatchSize  batch_size;
  /* Where the estimate of a task's time comes from and goes back to when
   * the job completes, for the function @memory_key with its
   * @memory_key_data, if any. */
  PmapBatchMemory *memory;
  gconstpointer  memory_key;
  gconstpointer  memory_key_data;
  guint          stopped : 1;
  guint          complete : 1;
  /* Whether each batch is logged, with G_MESSAGES_DEBUG=Pmap. */
  guint          log_batches : 1;

  PmapJobNotify  notify;
  gpointer       notify_data;
  GDestroyNotify notify_destroy;
};

/* Stops the job with @error, which it takes, unless it has one. */
void pmap_job_stop_with_error (PmapJob *self,
                               GError  *error);

G_END_DECLS

/* pmap-batch-size-private.h: how many tasks a job hands out at a time
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What handing out a batch costs a backend beyond its tasks, by default: a
 * mutex and a notification, as on the threads and sequential backends. */
#define PMAP_BATCH_COST_US_DEFAULT 10

/* A batch lasts at least this many times its cost, which then stays a
 * fifth of its time or less. */
#define PMAP_BATCH_COST_SHARE 5

/* How long a batch should last at most: slow tasks then go a few at a
 * time, so that a worker never holds much work that an idle one could
 * take, and a map's progress keeps moving. */
#define PMAP_BATCH_MAX_US 50000

/* The batch sizes of one job, and what they are based on: the wall time
 * of a task as measured on the batches that ended so far. Not
 * thread-safe: the job guards it with its lock. */
typedef struct
{
  guint   fixed;        /* the executor's batch-size, or 0 for automatic */
  guint   n_jobs;
  gint64  cost_us;      /* the backend's cost of a batch, to amortise */
  double  task_us;      /* the smoothed time of a task, 0 before any batch */
  gboolean measured;    /* whether task_us is this job's, not remembered */
  guint   n_handed;     /* automatic batches handed out so far */
} PmapBatchSize;

/* What the maps of one executor learnt of their function's tasks, so that
 * the next map of the same function starts with batches of the right
 * size rather than a single task, as joblib's Parallel keeps its batch
 * size from one call to the next. Thread-safe. */
typedef struct _PmapBatchMemory PmapBatchMemory;

PmapBatchMemory *pmap_batch_memory_new    (void);
PmapBatchMemory *pmap_batch_memory_ref    (PmapBatchMemory *self);
void             pmap_batch_memory_unref  (PmapBatchMemory *self);
/* The time of a task of the function @key, given @key_data, when a map
 * of it last ended; 0 if the last map was of another function or of other
 * data, or none ended yet. */
double           pmap_batch_memory_recall (PmapBatchMemory *self,
                                           gconstpointer    key,
                                           gconstpointer    key_data);
void             pmap_batch_memory_keep   (PmapBatchMemory *self,
                                           gconstpointer    key,
                                           gconstpointer    key_data,
                                           double           task_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PmapBatchMemory, pmap_batch_memory_unref)

void   pmap_batch_size_init   (PmapBatchSize *self,
                               guint          fixed,
                               guint          n_jobs);
void   pmap_batch_size_record (PmapBatchSize *self,
                               guint          n_tasks,
                               gint64         busy_us);
guint  pmap_batch_size_next   (PmapBatchSize *self,
                               guint          remaining);

G_END_DECLS

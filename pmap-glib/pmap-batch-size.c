/* pmap-batch-size.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Automatic batch sizes, after joblib's auto batching: a batch should last
 * long enough to amortise what handing it out costs, and not so long that
 * one worker holds work that others could take. What a task takes is
 * measured, so sizes follow the map's function rather than a guess.
 *
 * An executor keeps the estimate of its last map in a PmapBatchMemory,
 * and its next map of the same function starts from it rather than from a
 * single task: as a guess, bounded by guided scheduling's share until a
 * batch of the new map ends, since its inputs may make its tasks slower.
 *
 * One estimate per job, not per worker: every worker runs the same
 * function over inputs of the same sequence, so the first batch that ends
 * informs all of them, and a worker that starts late, or replaces one that
 * died, does not begin again with single tasks.
 *
 * The estimate is the wall time of a task: a batch's duration, less what
 * the backend says a batch costs it (a round trip to a worker process,
 * say), over its tasks. Without that, the first batch, a single task,
 * would pass that cost for the task's, and quick tasks would start in
 * batches hundreds of times too small. At least a tenth of a batch's
 * duration counts for its tasks, so that a cost set too high cannot make
 * them free. The estimate errs on the slow side, so that an error makes batches shorter
 * than meant, never longer. A batch slower than the estimate replaces it
 * at once: tasks that turn slow, or a worker that the machine starves, go
 * a few at a time from the next batch on. A quicker one moves it by its
 * number of tasks against one for the estimate, so a large batch of quick
 * tasks counts fully, while a single task, which also carries the whole
 * cost of its batch, only halves the gap; batches then grow at least
 * twofold a batch, as joblib's do.
 */

#include "config.h"

#include "pmap-batch-size-private.h"

void
pmap_batch_size_init (PmapBatchSize *self,
                      guint          fixed,
                      guint          n_jobs)
{
  g_assert (n_jobs > 0);

  self->fixed = fixed;
  self->n_jobs = n_jobs;
  self->cost_us = PMAP_BATCH_COST_US_DEFAULT;
  self->task_us = 0;
  self->measured = FALSE;
  self->n_handed = 0;
}

/* A batch of @n_tasks took @busy_us, from its claim to its last result. */
void
pmap_batch_size_record (PmapBatchSize *self,
                        guint          n_tasks,
                        gint64         busy_us)
{
  double busy, sample;

  if (n_tasks == 0)
    return;

  /* The clock counts whole microseconds: a batch that took none took
   * some. */
  busy = MAX (busy_us, 1);
  sample = MAX (busy - self->cost_us, busy / 10.0) / n_tasks;
  if (self->task_us == 0 || sample >= self->task_us)
    self->task_us = sample;
  else
    self->task_us = (self->task_us + n_tasks * sample) / (1.0 + n_tasks);
  self->measured = TRUE;
}

/* How many tasks of the current estimate fill @us: the fewest that
 * last that long with @at_least, else the most that fit in it. */
static guint
tasks_in (PmapBatchSize *self,
          double         us,
          gboolean       at_least)
{
  double n = MIN (us / self->task_us, (double) G_MAXUINT - 1);
  guint whole = (guint) n;

  return at_least && whole < n ? whole + 1 : whole;
}

/* The size of the next batch when @remaining tasks are left: the
 * executor's batch-size if set; otherwise a single task until a batch has
 * been measured, then guided scheduling (the remaining tasks over twice
 * the number of jobs: large batches first, workers that finish together)
 * kept between the tasks that last PMAP_BATCH_COST_SHARE times the
 * backend's cost of a batch and those that last PMAP_BATCH_MAX_US. */
guint
pmap_batch_size_next (PmapBatchSize *self,
                      guint          remaining)
{
  guint guided, fewest, most, size;

  if (self->fixed > 0)
    return MIN (self->fixed, remaining);
  if (remaining == 0 || self->task_us == 0)
    return MIN (remaining, 1);

  guided = remaining / (2 * self->n_jobs);
  most = MAX (tasks_in (self, PMAP_BATCH_MAX_US, FALSE), 1);
  fewest = MIN (tasks_in (self, PMAP_BATCH_COST_SHARE * self->cost_us, TRUE), most);
  size = MIN (CLAMP (guided, fewest, most), remaining);

  /* An estimate that an earlier map left is a guess at this map's
   * tasks, which its inputs may make much longer: until a batch of this
   * map ends, guided scheduling's share bounds a batch, whatever the
   * guess says amortises its cost, so that slow tasks are not handed out
   * in halves. Then the first batch of each job still leaves work for
   * the others, however quick the tasks. */
  if (!self->measured)
    size = MIN (size, MAX (guided, 1));
  else if (self->n_handed < self->n_jobs)
    size = MIN (size, MAX (remaining / self->n_jobs, 1));
  self->n_handed++;

  return size;
}

struct _PmapBatchMemory
{
  gatomicrefcount ref_count;
  GMutex          mutex;
  gconstpointer   key;
  gconstpointer   key_data;
  double          task_us;
};

PmapBatchMemory *
pmap_batch_memory_new (void)
{
  PmapBatchMemory *self = g_new0 (PmapBatchMemory, 1);

  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->mutex);
  return self;
}

PmapBatchMemory *
pmap_batch_memory_ref (PmapBatchMemory *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
pmap_batch_memory_unref (PmapBatchMemory *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_mutex_clear (&self->mutex);
  g_free (self);
}

double
pmap_batch_memory_recall (PmapBatchMemory *self,
                          gconstpointer    key,
                          gconstpointer    key_data)
{
  double task_us;

  g_mutex_lock (&self->mutex);
  task_us = self->key == key && self->key_data == key_data ? self->task_us : 0;
  g_mutex_unlock (&self->mutex);

  return task_us;
}

void
pmap_batch_memory_keep (PmapBatchMemory *self,
                        gconstpointer    key,
                        gconstpointer    key_data,
                        double           task_us)
{
  g_mutex_lock (&self->mutex);
  self->key = key;
  self->key_data = key_data;
  self->task_us = task_us;
  g_mutex_unlock (&self->mutex);
}

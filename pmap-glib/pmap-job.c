/* pmap-job.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "pmap-error.h"
#include "pmap-job-state-private.h"

/**
 * PmapJob:
 *
 * One map as a [class@Pmap.Backend] sees it: a function, its inputs and
 * the slots their results go to.
 *
 * A backend takes work with [method@Pmap.Job.claim], a batch of
 * consecutive tasks at a time, and runs each batch with
 * [method@Pmap.Job.run_batch], from as many threads as it likes. The job
 * chooses the batch sizes (see [property@Pmap.Executor:batch-size]) from
 * how long the batches that ended took, stops handing out batches after
 * the first error or a cancellation, and tells the executor when the last
 * running batch has ended.
 *
 * A backend must run every batch it claimed.
 *
 * Since: 1.0
 */
G_DEFINE_FINAL_TYPE (PmapJob, pmap_job, G_TYPE_OBJECT)

/* The job whose batch the current thread is running, if any. */
static GPrivate running_task;

static void
pmap_job_finalize (GObject *object)
{
  PmapJob *self = (PmapJob *)object;

  g_clear_object (&self->serializer);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->results, g_ptr_array_unref);
  g_clear_pointer (&self->errors, g_ptr_array_unref);
  g_clear_error (&self->error);
  g_clear_pointer (&self->memory, pmap_batch_memory_unref);
  if (self->notify_destroy != NULL)
    self->notify_destroy (self->notify_data);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (pmap_job_parent_class)->finalize (object);
}

static void
pmap_job_class_init (PmapJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pmap_job_finalize;
}

static void
pmap_job_init (PmapJob *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
}

/* Slots of tasks that never ran stay empty. */
static void
variant_unref0 (gpointer variant)
{
  if (variant != NULL)
    g_variant_unref (variant);
}

/* @inputs: the inputs, which the job keeps a reference on, and takes: it
 * empties their slots as it releases them (see
 * pmap_job_release_inputs()). */
PmapJob *
pmap_job_new (PmapCallable    *callable,
              PmapSerializer  *serializer,
              GPtrArray       *inputs,
              guint            n_jobs,
              guint            batch_size)
{
  PmapJob *self;

  g_assert (callable != NULL);
  g_assert (n_jobs > 0);

  self = g_object_new (PMAP_TYPE_JOB, NULL);
  self->callable = callable;
  self->serializer = g_object_ref (serializer);
  self->owner = g_thread_self ();
  self->items = g_ptr_array_ref (inputs);
  /* Inputs go as soon as their tasks no longer need them. */
  g_ptr_array_set_free_func (self->items, variant_unref0);
  self->n_tasks = inputs->len;
  self->n_jobs = n_jobs;
  pmap_batch_size_init (&self->batch_size, batch_size, n_jobs);
  self->log_batches = !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN);
  /* PmapExecutor:max-nbytes's default, until the executor sets it. */
  self->max_nbytes = 1024 * 1024;

  self->results = g_ptr_array_new_full (self->n_tasks, variant_unref0);
  g_ptr_array_set_size (self->results, self->n_tasks);
  self->complete = (self->n_tasks == 0);

  return self;
}

/* For the backend, before it claims: what handing out a batch costs it
 * beyond its tasks (PMAP_BATCH_COST_US_DEFAULT unless it says otherwise),
 * which automatic batch sizes amortise and leave out of a task's time. */
void
pmap_job_set_batch_cost (PmapJob *self,
                         gint64   cost_us)
{
  g_mutex_lock (&self->mutex);
  self->batch_size.cost_us = cost_us;
  g_mutex_unlock (&self->mutex);
}

/* For the executor, before the job runs: the job starts from what
 * @memory knows of the tasks of the function @key with @key_data, and
 * tells it what it measured when it completes. */
void
pmap_job_set_batch_memory (PmapJob         *self,
                           PmapBatchMemory *memory,
                           gconstpointer    key,
                           gconstpointer    key_data)
{
  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->memory, pmap_batch_memory_unref);
  self->memory = pmap_batch_memory_ref (memory);
  self->memory_key = key;
  self->memory_key_data = key_data;
  if (self->batch_size.task_us == 0)
    self->batch_size.task_us = pmap_batch_memory_recall (memory, key, key_data);
  g_mutex_unlock (&self->mutex);
}

/* For a backend that runs batches without pmap_job_run_batch(), which
 * measures them: @n_tasks of a batch took @busy_us, from when it was
 * claimed (or its work began) until their results were in. Before the
 * next claim, so that its size follows. */
void
pmap_job_record_batch (PmapJob *self,
                       guint    n_tasks,
                       gint64   busy_us)
{
  g_mutex_lock (&self->mutex);
  pmap_batch_size_record (&self->batch_size, n_tasks, busy_us);
  g_mutex_unlock (&self->mutex);
}

/* How long one task may run, in seconds; 0 sets no limit. Before the job
 * is submitted. */
void
pmap_job_set_timeout (PmapJob *self,
                      double   timeout)
{
  self->timeout_us = timeout >= (double) G_MAXINT64 / G_USEC_PER_SEC ? 0 :
                     (gint64) (timeout * G_USEC_PER_SEC);
  /* Below a microsecond is still a limit. */
  if (timeout > 0 && self->timeout_us == 0)
    self->timeout_us = 1;
}

gint64
pmap_job_get_timeout_us (PmapJob *self)
{
  return self->timeout_us;
}

/* Before the job is submitted. */
void
pmap_job_set_retries (PmapJob *self,
                      guint    retries)
{
  self->retries = retries;
}

guint
pmap_job_get_retries (PmapJob *self)
{
  return self->retries;
}

/* Before the job is submitted. */
void
pmap_job_set_max_nbytes (PmapJob *self,
                         guint64  max_nbytes)
{
  self->max_nbytes = max_nbytes;
}

guint64
pmap_job_get_max_nbytes (PmapJob *self)
{
  return self->max_nbytes;
}

void
pmap_job_set_notify (PmapJob        *self,
                     PmapJobNotify   notify,
                     gpointer        user_data,
                     GDestroyNotify  destroy)
{
  g_assert (self->notify == NULL);

  self->notify = notify;
  self->notify_data = user_data;
  self->notify_destroy = destroy;
}

GThread *
pmap_job_get_owner (PmapJob *self)
{
  return self->owner;
}

/**
 * pmap_job_get_n_tasks:
 * @self: a job
 *
 * Gets the number of tasks in the job: one per input.
 *
 * Returns: the number of tasks
 *
 * Since: 1.0
 */
guint
pmap_job_get_n_tasks (PmapJob *self)
{
  g_return_val_if_fail (PMAP_IS_JOB (self), 0);

  return self->n_tasks;
}

/**
 * pmap_job_get_n_jobs:
 * @self: a job
 *
 * Gets how many tasks may run at once: the effective value of the
 * executor's [property@Pmap.Executor:n-jobs], at least 1.
 *
 * Returns: the number of parallel workers the job asks for
 *
 * Since: 1.0
 */
guint
pmap_job_get_n_jobs (PmapJob *self)
{
  g_return_val_if_fail (PMAP_IS_JOB (self), 0);

  return self->n_jobs;
}

/**
 * pmap_job_claim:
 * @self: a job
 * @first: (out): the index of the batch's first task
 * @n_tasks: (out): the number of tasks in the batch
 *
 * Takes the next batch of tasks. The caller must then run it with
 * [method@Pmap.Job.run_batch], which measures it: the sizes of the next
 * batches follow how long their tasks take.
 *
 * Returns: %TRUE if a batch was claimed; %FALSE when every task has been
 *   handed out or the job is stopping after an error or a cancellation
 *
 * Since: 1.0
 */
gboolean
pmap_job_claim (PmapJob *self,
                guint   *first,
                guint   *n_tasks)
{
  gboolean claimed = FALSE;
  double task_us = 0;

  g_return_val_if_fail (PMAP_IS_JOB (self), FALSE);
  g_return_val_if_fail (first != NULL, FALSE);
  g_return_val_if_fail (n_tasks != NULL, FALSE);

  g_mutex_lock (&self->mutex);
  if (!self->stopped && self->next < self->n_tasks)
    {
      *first = self->next;
      *n_tasks = pmap_batch_size_next (&self->batch_size, self->n_tasks - self->next);
      self->next += *n_tasks;
      self->n_active++;
      task_us = self->batch_size.task_us;
      claimed = TRUE;
    }
  g_mutex_unlock (&self->mutex);

  if (!claimed)
    {
      *first = 0;
      *n_tasks = 0;
    }
  else if (self->log_batches)
    {
      g_debug ("Job %p: batch of %u tasks from task %u, of %u; %.3g us a "
               "task so far", self, *n_tasks, *first, self->n_tasks, task_us);
    }

  return claimed;
}

/* Under the lock. */
static gboolean
update_complete_locked (PmapJob *self)
{
  if (self->complete)
    return FALSE;
  if (self->n_active > 0 || (!self->stopped && self->next < self->n_tasks))
    return FALSE;

  self->complete = TRUE;
  g_cond_broadcast (&self->cond);
  /* Before the caller hears of it, so that its next map knows. */
  if (self->memory != NULL && self->batch_size.task_us > 0)
    pmap_batch_memory_keep (self->memory, self->memory_key, self->memory_key_data,
                            self->batch_size.task_us);
  return TRUE;
}

/* Ends a batch of which @n_done tasks returned a value, and @n_ran, which
 * took @busy_us, are measured. */
static void
end_batch (PmapJob *self,
           guint    n_done,
           guint    n_ran,
           gint64   busy_us)
{
  g_mutex_lock (&self->mutex);
  pmap_batch_size_record (&self->batch_size, n_ran, busy_us);
  self->n_done += n_done;
  self->n_active--;
  update_complete_locked (self);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);

  if (self->notify != NULL)
    self->notify (self, self->notify_data);
}

static GVariant *
run_task (PmapJob  *self,
          guint     index,
          GError  **error)
{
  GVariant *input = g_ptr_array_index (self->items, index);

  if (pmap_callable_is_thread_bound (self->callable) &&
      g_thread_self () != self->owner)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_WRONG_THREAD,
                   "This is a JavaScript function, which GJS can only run on "
                   "its main thread, but the backend called it from a "
                   "worker thread; use the “sequential” backend, or map a "
                   "native function registered by name");
      return NULL;
    }

  return pmap_callable_invoke (self->callable, input, error);
}

/**
 * pmap_job_run_batch:
 * @self: a job
 * @first: the index of the batch's first task, from [method@Pmap.Job.claim]
 * @n_tasks: the number of tasks in the batch
 *
 * Runs a claimed batch on the calling thread, stores each result in its
 * slot, and reports the batch as done. A task that fails stops the batch
 * and the job; so do errors and cancellations elsewhere in the job, between
 * two tasks.
 *
 * Since: 1.0
 */
void
pmap_job_run_batch (PmapJob *self,
                    guint    first,
                    guint    n_tasks)
{
  PmapJob *outer_job = g_private_get (&running_task);
  gboolean measured;
  gint64 start = 0;
  guint n_done = 0;
  guint n_ran = 0;

  g_return_if_fail (PMAP_IS_JOB (self));
  g_return_if_fail (first < self->n_tasks);
  g_return_if_fail (n_tasks <= self->n_tasks - first);

  /* Explicit batch sizes need no measure, nor the clock's cost. */
  measured = self->batch_size.fixed == 0;
  if (measured)
    start = g_get_monotonic_time ();

  /* A nested map's batch runs inside a task of the outer job: restore it
   * afterwards, so that the task's next map runs here too. */
  g_private_set (&running_task, self);

  for (guint i = first; i < first + n_tasks; i++)
    {
      GError *error = NULL;
      GVariant *result;

      if (pmap_job_is_stopping (self))
        break;

      n_ran++;
      result = run_task (self, i, &error);
      pmap_job_release_inputs (self, i, 1);
      if (result == NULL)
        {
          pmap_job_return_error (self, i, error);
          if (!self->continue_on_error)
            break;
          continue;
        }

      pmap_job_return_value (self, i, result);
      n_done++;
    }

  g_private_set (&running_task, outer_job);

  end_batch (self, n_done, measured ? n_ran : 0,
             measured ? g_get_monotonic_time () - start : 0);
}

gboolean
pmap_job_is_stopping (PmapJob *self)
{
  return g_atomic_int_get (&self->stopping);
}

/* The input of a task whose batch is claimed, until it is released. */
GVariant *
pmap_job_get_input (PmapJob *self,
                    guint    index)
{
  g_assert (index < self->n_tasks);
  g_assert (g_ptr_array_index (self->items, index) != NULL);

  return g_ptr_array_index (self->items, index);
}

/* Drops the inputs of tasks of a claimed batch that no longer need them:
 * they are then freed while the map goes on, by the threads that ran the
 * tasks, instead of all together on one thread when it ends, which for
 * many small inputs takes longer than running them. */
void
pmap_job_release_inputs (PmapJob *self,
                         guint    first,
                         guint    n_tasks)
{
  g_assert (first <= self->n_tasks && n_tasks <= self->n_tasks - first);

  for (guint i = first; i < first + n_tasks; i++)
    g_clear_pointer (&g_ptr_array_index (self->items, i), g_variant_unref);
}

PmapCallable *
pmap_job_get_callable (PmapJob *self)
{
  return self->callable;
}

PmapSerializer *
pmap_job_get_serializer (PmapJob *self)
{
  return self->serializer;
}

/* Ends a claimed batch of which @n_done tasks returned a value. */
void
pmap_job_end_batch (PmapJob *self,
                    guint    n_done)
{
  end_batch (self, n_done, 0, 0);
}

/* Whether the calling thread is inside a task of some job: a map started
 * there must not wait for workers that may all be busy running tasks that
 * wait for it. */
gboolean
pmap_job_is_in_task (void)
{
  return g_private_get (&running_task) != NULL;
}

/* Claims and runs batches on the calling thread until none is left. */
void
pmap_job_drain (PmapJob *self)
{
  guint first, n_tasks;

  while (pmap_job_claim (self, &first, &n_tasks))
    pmap_job_run_batch (self, first, n_tasks);
}

void
pmap_job_cancel (PmapJob *self)
{
  gboolean notify;

  g_mutex_lock (&self->mutex);
  if (self->error == NULL && !self->complete)
    self->error = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The map was cancelled after %u of %u tasks",
                               self->n_done, self->n_tasks);
  self->stopped = TRUE;
  g_atomic_int_set (&self->stopping, TRUE);
  notify = update_complete_locked (self);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);

  if (notify && self->notify != NULL)
    self->notify (self, self->notify_data);
}


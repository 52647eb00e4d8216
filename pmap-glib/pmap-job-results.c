/* pmap-job-results.c: what the tasks of a job give back
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pmap-error.h"
#include "pmap-job-state-private.h"
#include "pmap-outcome-private.h"

static void
error_free0 (gpointer error)
{
  if (error != NULL)
    g_error_free (error);
}

/* Makes a failing task fail alone: the others still run, and the job's
 * results are then outcomes (see pmap_job_steal_results()). Before the
 * job is submitted. */
void
pmap_job_set_continue_on_error (PmapJob *self)
{
  self->continue_on_error = TRUE;
  self->errors = g_ptr_array_new_full (self->n_tasks, error_free0);
  g_ptr_array_set_size (self->errors, self->n_tasks);
}

gboolean
pmap_job_continues_on_error (PmapJob *self)
{
  return self->continue_on_error;
}

void
pmap_job_stop_with_error (PmapJob *self,
                          GError  *error)
{
  g_mutex_lock (&self->mutex);
  if (self->error == NULL && !self->complete)
    self->error = g_steal_pointer (&error);
  self->stopped = TRUE;
  g_atomic_int_set (&self->stopping, TRUE);
  g_mutex_unlock (&self->mutex);

  g_clear_error (&error);
}

/* Stores the result of a task of a claimed batch; takes @value. */
void
pmap_job_return_value (PmapJob  *self,
                       guint     index,
                       GVariant *value)
{
  g_assert (index < self->n_tasks);
  g_assert (g_ptr_array_index (self->results, index) == NULL);

  g_ptr_array_index (self->results, index) = value;
}

/* Fails task @index with @error, which it takes: the whole job, unless
 * the job continues on error. */
void
pmap_job_return_error (PmapJob *self,
                       guint    index,
                       GError  *error)
{
  g_prefix_error (&error, "Task %u failed: ", index);
  if (!self->continue_on_error)
    {
      pmap_job_stop_with_error (self, error);
      return;
    }

  g_mutex_lock (&self->mutex);
  g_assert (index < self->n_tasks);
  if (g_ptr_array_index (self->errors, index) == NULL &&
      g_ptr_array_index (self->results, index) == NULL)
    {
      g_ptr_array_index (self->errors, index) = g_steal_pointer (&error);
      self->n_failed++;
    }
  g_mutex_unlock (&self->mutex);
  g_clear_error (&error);
}

/* Fails the whole job with @error, which it takes, named after task
 * @index: for what no task can go on after, whatever the job's policy. */
void
pmap_job_fail (PmapJob *self,
               guint    index,
               GError  *error)
{
  g_prefix_error (&error, "Task %u failed: ", index);
  pmap_job_stop_with_error (self, error);
}

guint
pmap_job_get_n_done (PmapJob *self)
{
  guint n_done;

  g_mutex_lock (&self->mutex);
  n_done = self->n_done + self->n_failed;
  g_mutex_unlock (&self->mutex);

  return n_done;
}

gboolean
pmap_job_is_complete (PmapJob *self)
{
  gboolean complete;

  g_mutex_lock (&self->mutex);
  complete = self->complete;
  g_mutex_unlock (&self->mutex);

  return complete;
}

/* Blocks until the job completes or more than @n_done_seen tasks are done.
 * Returns whether the job is complete. */
gboolean
pmap_job_wait (PmapJob *self,
               guint    n_done_seen)
{
  gboolean complete;

  g_mutex_lock (&self->mutex);
  while (!self->complete && self->n_done + self->n_failed == n_done_seen)
    g_cond_wait (&self->cond, &self->mutex);
  complete = self->complete;
  g_mutex_unlock (&self->mutex);

  return complete;
}

/* The job's results once it completed: its values, in the order of its
 * inputs, or NULL with the error that stopped it. A job that continues on
 * error gives PmapOutcomes instead, one per input. */
GPtrArray *
pmap_job_steal_results (PmapJob  *self,
                        GError  **error)
{
  GPtrArray *results;

  g_mutex_lock (&self->mutex);
  g_assert (self->complete);

  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      results = NULL;
    }
  else if (self->continue_on_error)
    {
      results = g_ptr_array_new_full (self->n_tasks, (GDestroyNotify) pmap_outcome_unref);
      for (guint i = 0; i < self->n_tasks; i++)
        {
          GVariant *value = g_steal_pointer (&g_ptr_array_index (self->results, i));
          GError *task_error = g_steal_pointer (&g_ptr_array_index (self->errors, i));

          /* A backend that ended a batch without answering every task:
           * say so, rather than lose the input. */
          if (value == NULL && task_error == NULL)
            task_error = g_error_new (PMAP_ERROR, PMAP_ERROR_MISSING_RESULT,
                                      "Task %u failed: the backend ended its "
                                      "batch without running it", i);
          g_ptr_array_add (results, pmap_outcome_new (value, task_error));
        }
    }
  else
    {
      results = g_steal_pointer (&self->results);
    }
  g_mutex_unlock (&self->mutex);

  return results;
}

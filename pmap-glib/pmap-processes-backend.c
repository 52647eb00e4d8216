/* pmap-processes-backend.c: tasks in reusable worker processes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One runner thread per worker the map may use. A runner takes a worker
 * from the process-wide pool, then claims batches and sends each to its
 * worker, which answers task by task. A worker that dies or breaks the
 * protocol fails the task it was running, unless the executor's retries
 * run it again, and is replaced by a new one; one that is still busy when
 * the map stops is killed, since its work is no longer wanted.
 *
 * This file holds the backend and the runner's loop; what happens to one
 * batch, from the message that carries its inputs to the results that
 * come back, retries included, is pmap-processes-batch.c's. The workers
 * come from pmap-worker-pool.c, which starts them with
 * pmap-worker-process.c.
 */

#include "config.h"

#include "pmap-error.h"
#include "pmap-fork-private.h"
#include "pmap-function-ref-private.h"
#include "pmap-processes-backend-private.h"
#include "pmap-processes-batch-private.h"
#include "pmap-serializer-private.h"
#include "pmap-worker-pool-private.h"

struct _PmapProcessesBackend
{
  PmapBackend  parent_instance;

  GMutex       mutex;
  GThreadPool *runners;
};

/* What a batch costs beyond its tasks: a round trip to its worker, from
 * the message built to the answer read, waking both ends. On a virtual
 * machine of 2 cores, 10,000 tiny tasks on 2 workers took about 0.5 ms
 * longer in batches of 625 than of 1250, four batches more for each
 * worker, some 125 us a batch; a batch of a single task took 150 to
 * 250 us. Taken at 50 us, the median of 40 such maps was 0.5 ms longer
 * (about 4.0 against 3.5 ms), the first batch making the next too
 * small. */
#define BATCH_COST_US 150

G_DEFINE_FINAL_TYPE (PmapProcessesBackend, pmap_processes_backend, PMAP_TYPE_BACKEND)

/* Whether a worker that just answered a batch has served enough: then it
 * leaves, and the runner takes another for its next batch. */
static gboolean
worker_is_spent (PmapRunner *runner,
                 PmapWorker *worker)
{
  if (runner->max_tasks_per_worker != 0 &&
      pmap_worker_get_n_tasks (worker) >= runner->max_tasks_per_worker)
    return TRUE;

  return runner->max_worker_memory != 0 &&
         pmap_worker_get_resident_bytes (worker) > runner->max_worker_memory;
}

/* Workers re-create the serializer from its name: a name that this
 * process does not know, workers do not either. A subclass may take a
 * built-in's name: it then runs its encode() and decode() here, and must
 * turn values into what that built-in serializer reads in the worker. */
static gboolean
check_serializer (PmapSerializer  *serializer,
                  GError         **error)
{
  const char *name = pmap_serializer_get_name (serializer);
  g_autoptr(PmapSerializer) known = pmap_serializer_create (name, NULL);

  if (known == NULL)
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_SERIALIZER,
                   "The serializer “%s” (%s) is not one that worker processes "
                   "know; they know “general”, “variant” and those registered "
                   "with pmap_serializer_register() before they serve tasks",
                   name, G_OBJECT_TYPE_NAME (serializer));
      return FALSE;
    }

  return TRUE;
}

static void
run_job (gpointer data,
         gpointer user_data)
{
  PmapRunner *runner = data;
  PmapJob *job = runner->job;
  PmapWorker *worker = NULL;
  g_autoptr(GVariant) ref = NULL;
  guint first, n_tasks, n_answered;
  gboolean claimed = pmap_job_claim (job, &first, &n_tasks);

  while (claimed)
    {
      GError *error = NULL;
      g_autoptr(GVariant) batch = NULL;
      guint failed = first;
      guint next_first, next_n_tasks;
      gint64 start, built, acquired;

      n_answered = 0;

      /* What can fail here fails without a worker started for nothing:
       * the function, the inputs, then the serializer's name. */
      if (ref == NULL)
        {
          ref = pmap_function_ref_new (pmap_job_get_callable (job),
                                       pmap_serializer_get_functions_by_value (pmap_job_get_serializer (job)),
                                       pmap_worker_is_hosting (), &error);
        }
      start = g_get_monotonic_time ();
      if (ref != NULL && !pmap_job_is_stopping (job) &&
          (batch = pmap_processes_batch_message (job, runner->shares, ref, first,
                                                n_tasks, &failed, &error)) != NULL)
        {
          g_variant_ref_sink (batch);
          /* The message holds what the worker needs of them. */
          pmap_job_release_inputs (job, first, n_tasks);
        }
      built = g_get_monotonic_time ();
      if (batch != NULL && worker == NULL &&
          check_serializer (pmap_job_get_serializer (job), &error))
        worker = pmap_worker_pool_acquire (pmap_processes_job_stops, job, &error);
      acquired = g_get_monotonic_time ();

      if (error != NULL)
        pmap_job_fail (job, failed, error);
      else if (batch != NULL)
        n_answered = pmap_processes_batch_run (runner, &worker, batch, first, n_tasks);

      if (worker != NULL)
        {
          pmap_worker_count_tasks (worker, n_answered);
          if (worker_is_spent (runner, worker))
            {
              pmap_worker_retire (worker);
              worker = NULL;
            }
        }

      /* What sizes the next batches: sending and answering count,
       * starting a worker does not. */
      pmap_job_record_batch (job, n_answered,
                             (built - start) + (g_get_monotonic_time () - acquired));

      /* The map completes, and returns, when its last batch ends: this
       * runner's worker must be back in the pool by then, or a shutdown
       * right after the map misses it. So the next batch is claimed while
       * this one still counts, and a runner with no more work gives its
       * worker back before ending its batch. */
      claimed = pmap_job_claim (job, &next_first, &next_n_tasks);
      if (!claimed && worker != NULL)
        {
          pmap_worker_pool_release (worker, runner->idle_timeout_ms);
          worker = NULL;
        }
      pmap_job_end_batch (job, n_answered);

      first = next_first;
      n_tasks = next_n_tasks;
    }

  g_assert (worker == NULL);

  g_clear_pointer (&runner->shares, pmap_share_table_unref);
  g_object_unref (runner->job);
  g_free (runner);
}

static void
pmap_processes_backend_submit (PmapBackend *backend,
                               PmapJob     *job)
{
  PmapProcessesBackend *self = PMAP_PROCESSES_BACKEND (backend);
  guint n_runners = MIN (pmap_job_get_n_jobs (job), pmap_job_get_n_tasks (job));
  g_autoptr(PmapShareTable) shares = NULL;

  /* Before any runner releases an input. A serializer that converts
   * values makes new ones, which nothing shares. */
  if (n_runners > 0 &&
      pmap_serializer_passes_values_through (pmap_job_get_serializer (job)))
    shares = pmap_share_table_new (job, pmap_job_get_max_nbytes (job));

  /* A batch costs a round trip to its worker, some tens of microseconds
   * whatever its size: automatic batches last long enough for that to
   * stay small, and a task's time is measured without it. */
  pmap_job_set_batch_cost (job, BATCH_COST_US);

  pmap_fork_note_threads ();
  g_mutex_lock (&self->mutex);

  if (self->runners == NULL)
    self->runners = g_thread_pool_new (run_job, self, n_runners, TRUE, NULL);
  else if ((guint) g_thread_pool_get_max_threads (self->runners) < n_runners)
    g_thread_pool_set_max_threads (self->runners, n_runners, NULL);

  for (guint i = 0; i < n_runners; i++)
    {
      PmapRunner *runner = g_new0 (PmapRunner, 1);

      runner->job = g_object_ref (job);
      runner->shares = shares != NULL ? pmap_share_table_ref (shares) : NULL;
      runner->idle_timeout_ms = (guint64) pmap_backend_get_idle_timeout (backend) * 1000;
      runner->max_tasks_per_worker = pmap_backend_get_max_tasks_per_worker (backend);
      runner->max_worker_memory = pmap_backend_get_max_worker_memory (backend);
      g_thread_pool_push (self->runners, runner, NULL);
    }

  g_mutex_unlock (&self->mutex);
}

static void
pmap_processes_backend_shutdown (PmapBackend *backend)
{
  pmap_worker_pool_drain ();
}

static void
pmap_processes_backend_finalize (GObject *object)
{
  PmapProcessesBackend *self = (PmapProcessesBackend *)object;

  /* Without waiting, as the threads backend does. */
  if (self->runners != NULL)
    g_thread_pool_free (self->runners, FALSE, FALSE);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (pmap_processes_backend_parent_class)->finalize (object);
}

static void
pmap_processes_backend_class_init (PmapProcessesBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PmapBackendClass *backend_class = PMAP_BACKEND_CLASS (klass);

  object_class->finalize = pmap_processes_backend_finalize;

  backend_class->submit = pmap_processes_backend_submit;
  backend_class->shutdown = pmap_processes_backend_shutdown;
}

static void
pmap_processes_backend_init (PmapProcessesBackend *self)
{
  g_mutex_init (&self->mutex);
}

PmapBackend *
pmap_processes_backend_new (void)
{
  return g_object_new (PMAP_TYPE_PROCESSES_BACKEND,
                       "name", "processes",
                       NULL);
}

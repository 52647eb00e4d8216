/* pmap-threads-backend.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pmap-threads-backend-private.h"
#include "pmap-fork-private.h"
#include "pmap-job-private.h"

/* The pool is exclusive, never GLib's shared one (g_task_run_in_thread()),
 * so that a map's long tasks cannot starve GIO's own work, nor the other
 * way round. Each job gets one runner per worker it may use; a runner
 * claims batches until the job runs dry, so the pool sees a handful of
 * pushes per map, whatever the number of tasks. */
struct _PmapThreadsBackend
{
  PmapBackend  parent_instance;

  GMutex       mutex;
  GThreadPool *pool;
};

G_DEFINE_FINAL_TYPE (PmapThreadsBackend, pmap_threads_backend, PMAP_TYPE_BACKEND)

static void
run_job (gpointer data,
         gpointer user_data)
{
  PmapJob *job = data;
  pmap_job_drain (job);

  g_object_unref (job);
}

static void
pmap_threads_backend_submit (PmapBackend *backend,
                             PmapJob     *job)
{
  PmapThreadsBackend *self = PMAP_THREADS_BACKEND (backend);
  guint n_runners = MIN (pmap_job_get_n_jobs (job), pmap_job_get_n_tasks (job));

  pmap_fork_note_threads ();
  g_mutex_lock (&self->mutex);

  if (self->pool == NULL)
    self->pool = g_thread_pool_new (run_job, self, n_runners, TRUE, NULL);
  else if ((guint) g_thread_pool_get_max_threads (self->pool) < n_runners)
    g_thread_pool_set_max_threads (self->pool, n_runners, NULL);

  for (guint i = 0; i < n_runners; i++)
    g_thread_pool_push (self->pool, g_object_ref (job), NULL);

  g_mutex_unlock (&self->mutex);
}

static void
pmap_threads_backend_finalize (GObject *object)
{
  PmapThreadsBackend *self = (PmapThreadsBackend *)object;

  /* Without waiting: each runner holds its job, and the pool winds down by
   * itself once they have drained their jobs, so that dropping a backend in
   * the middle of a map blocks nobody. */
  if (self->pool != NULL)
    g_thread_pool_free (self->pool, FALSE, FALSE);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (pmap_threads_backend_parent_class)->finalize (object);
}

static void
pmap_threads_backend_class_init (PmapThreadsBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PmapBackendClass *backend_class = PMAP_BACKEND_CLASS (klass);

  object_class->finalize = pmap_threads_backend_finalize;

  backend_class->submit = pmap_threads_backend_submit;
}

static void
pmap_threads_backend_init (PmapThreadsBackend *self)
{
  g_mutex_init (&self->mutex);
}

PmapBackend *
pmap_threads_backend_new (void)
{
  return g_object_new (PMAP_TYPE_THREADS_BACKEND,
                       "name", "threads",
                       NULL);
}

/* pmap-map-run.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A map, once its executor has chosen the backend and made the job: hand
 * the job to the backend, forward cancellation, report progress on the
 * caller's thread, and collect the results, blocking or on a GTask.
 */

#include "config.h"

#include "pmap-map-run-private.h"

static void
cancel_job (GCancellable *cancellable,
            PmapJob      *job)
{
  pmap_job_cancel (job);
}

static gulong
connect_cancellable (GCancellable *cancellable,
                     PmapJob      *job)
{
  if (cancellable == NULL)
    return 0;

  return g_cancellable_connect (cancellable, G_CALLBACK (cancel_job), job, NULL);
}

static void
report_progress (PmapProgressFunc  progress,
                 gpointer          target,
                 PmapJob          *job,
                 guint            *n_reported)
{
  guint n_done = pmap_job_get_n_done (job);

  if (progress == NULL || n_done == *n_reported)
    return;

  *n_reported = n_done;
  progress (target, n_done, pmap_job_get_n_tasks (job));
}

typedef struct
{
  PmapProgressFunc progress;
  gpointer         target;
  guint            n_reported;
} BlockingMap;

static void
blocking_map_notify (PmapJob  *job,
                     gpointer  user_data)
{
  /* Only the caller's thread may touch its stack; the others wake it
   * through the job's condition instead. */
  if (g_thread_self () == pmap_job_get_owner (job))
    {
      BlockingMap *map = user_data;

      report_progress (map->progress, map->target, job, &map->n_reported);
    }
}

GPtrArray *
pmap_map_run (PmapBackend       *backend,
              PmapJob           *job,
              GCancellable      *cancellable,
              PmapProgressFunc   progress,
              gpointer           target,
              GError           **error)
{
  BlockingMap map = { progress, target, 0 };
  gulong cancel_id;
  guint n_seen = 0;

  pmap_job_set_notify (job, blocking_map_notify, &map, NULL);
  cancel_id = connect_cancellable (cancellable, job);
  pmap_backend_submit (backend, job);

  while (!pmap_job_wait (job, n_seen))
    {
      n_seen = pmap_job_get_n_done (job);
      report_progress (progress, target, job, &map.n_reported);
    }
  report_progress (progress, target, job, &map.n_reported);

  g_cancellable_disconnect (cancellable, cancel_id);

  return pmap_job_steal_results (job, error);
}

/* An asynchronous map. The job and its notifications hold references, so
 * that a notification arriving from a worker after the map has completed
 * finds it alive; everything that belongs to the caller (the task, the
 * function and its data) is released on the caller's main context. */
typedef struct
{
  GTask            *task;
  PmapJob          *job;
  PmapCallable     *callable;
  PmapProgressFunc  progress;
  GMainContext     *context;
  gulong            cancel_id;
  guint             n_reported;
  gint              dispatch_pending;
} AsyncMap;

static void
async_map_free (AsyncMap *map)
{
  g_assert (map->task == NULL);
  g_assert (map->job == NULL);
  g_assert (map->callable == NULL);

  g_main_context_unref (map->context);
}

static AsyncMap *
async_map_ref (AsyncMap *map)
{
  return g_atomic_rc_box_acquire (map);
}

static void
async_map_unref (AsyncMap *map)
{
  g_atomic_rc_box_release_full (map, (GDestroyNotify) async_map_free);
}

static void
async_map_complete (AsyncMap *map)
{
  g_autoptr(GTask) task = g_steal_pointer (&map->task);
  g_autoptr(PmapJob) job = g_steal_pointer (&map->job);
  /* Released here, on the caller's context, where its destroy notify
   * belongs, once the caller has the results. */
  PmapCallable *callable = g_steal_pointer (&map->callable);
  GPtrArray *results;
  GError *error = NULL;

  g_cancellable_disconnect (g_task_get_cancellable (task), map->cancel_id);

  results = pmap_job_steal_results (job, &error);
  if (results != NULL)
    g_task_return_pointer (task, results, (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (task, error);

  g_clear_pointer (&callable, pmap_callable_unref);
}

static gboolean
async_map_dispatch (gpointer user_data)
{
  AsyncMap *map = user_data;
  gboolean complete;

  g_atomic_int_set (&map->dispatch_pending, FALSE);

  if (map->task == NULL)
    return G_SOURCE_REMOVE;

  /* Read completion first: once complete, the count is final. */
  complete = pmap_job_is_complete (map->job);
  report_progress (map->progress, g_task_get_source_object (map->task),
                   map->job, &map->n_reported);

  /* A handler that iterated the main context may have let another
   * dispatch complete the map meanwhile. */
  if (complete && map->task != NULL)
    async_map_complete (map);

  return G_SOURCE_REMOVE;
}

/* Any thread. An attached idle source, not g_main_context_invoke(), which
 * would run the callback right here when nobody owns the context yet. */
static void
async_map_notify (PmapJob  *job,
                  gpointer  user_data)
{
  AsyncMap *map = user_data;
  g_autoptr(GSource) source = NULL;

  if (!g_atomic_int_compare_and_exchange (&map->dispatch_pending, FALSE, TRUE))
    return;

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, async_map_dispatch, async_map_ref (map),
                         (GDestroyNotify) async_map_unref);
  g_source_set_static_name (source, "[pmap] map progress");
  g_source_attach (source, map->context);
}

void
pmap_map_run_async (PmapBackend      *backend,
                    PmapJob          *job,
                    PmapCallable     *callable,
                    GTask            *task,
                    PmapProgressFunc  progress)
{
  AsyncMap *map;

  map = g_atomic_rc_box_new0 (AsyncMap);
  map->task = g_object_ref (task);
  map->job = g_object_ref (job);
  map->callable = pmap_callable_ref (callable);
  map->progress = progress;
  map->context = g_main_context_ref_thread_default ();

  pmap_job_set_notify (job, async_map_notify, async_map_ref (map),
                       (GDestroyNotify) async_map_unref);
  map->cancel_id = connect_cancellable (g_task_get_cancellable (task), job);
  pmap_backend_submit (backend, job);

  /* A job with no task, or one that a sequential backend or a cancellation
   * already completed, has nothing more to say. */
  async_map_notify (job, map);
  async_map_unref (map);
}

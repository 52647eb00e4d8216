/* pmap-worker-pool.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One pool for the whole process, as loky's reusable executor: workers
 * outlive the map and the executor that started them, so that the next map
 * pays no start-up, and leave after an idle timeout. pmap-worker-process.c
 * starts and ends each worker.
 */

#include "config.h"

#include "pmap-worker-private.h"
#include "pmap-worker-state-private.h"

static GMutex pool_mutex;
static GCond pool_cond;
static GQueue idle_workers = G_QUEUE_INIT;
/* Workers asked to leave, until they have: pmap_worker_pool_drain() waits
 * for them, so that no process outlives a shutdown. */
static GQueue leaving_processes = G_QUEUE_INIT;
static GThread *reaper;

/* An idle worker has nothing to say: anything to read means it died or
 * misbehaves. One that died while a process it started holds its channel
 * open says nothing either, but is gone. */
static gboolean
worker_is_quiet (PmapWorker *worker)
{
  return pmap_channel_is_quiet (worker->channel) && !pmap_worker_has_exited (worker);
}

/* The most recently used idle worker that @command started. Under the
 * lock. */
static PmapWorker *
take_idle_worker (const char *command)
{
  for (GList *l = idle_workers.head; l != NULL; l = l->next)
    {
      PmapWorker *worker = l->data;

      if (g_str_equal (worker->command, command))
        {
          g_queue_delete_link (&idle_workers, l);
          return worker;
        }
    }

  return NULL;
}

PmapWorker *
pmap_worker_pool_acquire (PmapAbortFunc   give_up,
                          gpointer        give_up_data,
                          GError        **error)
{
  g_auto(GStrv) argv = pmap_worker_dup_command ();
  g_autofree char *command = g_strjoinv ("\x1f", argv);
  PmapWorker *worker;

  for (;;)
    {
      g_mutex_lock (&pool_mutex);
      worker = take_idle_worker (command);
      g_mutex_unlock (&pool_mutex);

      if (worker == NULL)
        return pmap_worker_spawn ((const char * const *) argv, command, give_up, give_up_data,
                                  error);

      if (worker_is_quiet (worker))
        return worker;

      g_free (pmap_worker_discard (worker, TRUE));
    }
}

/* Forgets the leaving workers that have exited. Under the lock. */
static void
forget_departed (void)
{
  GList *l = leaving_processes.head;

  while (l != NULL)
    {
      GList *next = l->next;

      if (g_subprocess_get_identifier (l->data) == NULL)
        {
          g_object_unref (l->data);
          g_queue_delete_link (&leaving_processes, l);
        }
      l = next;
    }
}

/* Asks a healthy worker to leave, without waiting for it: one that stopped
 * reading gets a second, then its channel closes under it. */
static void
quit_worker (PmapWorker *worker)
{
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

  pmap_channel_set_abort (worker->channel, pmap_worker_deadline_passed, &deadline);
  if (pmap_channel_send (worker->channel, PMAP_MESSAGE_QUIT, g_variant_new ("()"), NULL))
    pmap_channel_flush (worker->channel, NULL);

  g_mutex_lock (&pool_mutex);
  forget_departed ();
  g_queue_push_tail (&leaving_processes, g_object_ref (worker->process));
  g_mutex_unlock (&pool_mutex);

  pmap_worker_free (worker);
}

/* The idle worker that must leave first: workers of backends with other
 * idle timeouts may share the pool. Under the lock. */
static GList *
find_first_to_expire (void)
{
  GList *first = NULL;

  for (GList *l = idle_workers.head; l != NULL; l = l->next)
    if (first == NULL ||
        ((PmapWorker *) l->data)->idle_deadline < ((PmapWorker *) first->data)->idle_deadline)
      first = l;

  return first;
}

static gpointer
reap_idle_workers (gpointer data)
{
  g_mutex_lock (&pool_mutex);

  for (;;)
    {
      GList *first = find_first_to_expire ();
      PmapWorker *worker = first ? first->data : NULL;

      if (worker == NULL)
        g_cond_wait (&pool_cond, &pool_mutex);
      else if (g_get_monotonic_time () < worker->idle_deadline)
        g_cond_wait_until (&pool_cond, &pool_mutex, worker->idle_deadline);
      else
        {
          g_queue_delete_link (&idle_workers, first);
          g_mutex_unlock (&pool_mutex);
          quit_worker (worker);
          g_mutex_lock (&pool_mutex);
        }
    }

  return NULL;
}

/* Lets the worker drop the shared values of the map that it served: the
 * next map shares its own, and an idle worker holds nothing. A worker
 * that does not read it is found out when it is next taken. */
static void
forget_shares (PmapWorker *worker)
{
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;
  GVariant *ids;

  if (worker->shares->len == 0)
    return;

  ids = g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, worker->shares->data,
                                   worker->shares->len, sizeof (guint64));
  pmap_channel_set_abort (worker->channel, pmap_worker_deadline_passed, &deadline);
  if (pmap_channel_send (worker->channel, PMAP_MESSAGE_FORGET,
                         g_variant_new_tuple (&ids, 1), NULL))
    pmap_channel_flush (worker->channel, NULL);
  pmap_channel_set_abort (worker->channel, NULL, NULL);
  g_array_set_size (worker->shares, 0);
}

void
pmap_worker_pool_release (PmapWorker *worker,
                          guint64     idle_timeout_ms)
{
  forget_shares (worker);
  worker->idle_deadline = g_get_monotonic_time () + (gint64) idle_timeout_ms * 1000;

  /* Most recently used first, so that the next map reuses a warm
   * worker. */
  g_mutex_lock (&pool_mutex);
  g_queue_push_head (&idle_workers, worker);
  if (reaper == NULL)
    reaper = g_thread_new ("pmap-reaper", reap_idle_workers, NULL);
  g_cond_broadcast (&pool_cond);
  g_mutex_unlock (&pool_mutex);
}

/* Lets a healthy worker leave instead of going back to the pool. */
void
pmap_worker_retire (PmapWorker *worker)
{
  quit_worker (worker);
}

void
pmap_worker_pool_drain (void)
{
  GQueue workers = G_QUEUE_INIT;
  GQueue leaving = G_QUEUE_INIT;
  PmapWorker *worker;
  GSubprocess *process;

  g_mutex_lock (&pool_mutex);
  workers = idle_workers;
  g_queue_init (&idle_workers);
  g_mutex_unlock (&pool_mutex);

  while ((worker = g_queue_pop_head (&workers)) != NULL)
    quit_worker (worker);

  g_mutex_lock (&pool_mutex);
  leaving = leaving_processes;
  g_queue_init (&leaving_processes);
  g_mutex_unlock (&pool_mutex);

  while ((process = g_queue_pop_head (&leaving)) != NULL)
    {
      if (!pmap_worker_wait_for_exit (process, PMAP_WORKER_EXIT_GRACE_US))
        {
          g_subprocess_force_exit (process);
          if (!pmap_worker_wait_for_exit (process, 10 * G_USEC_PER_SEC))
            g_warning ("A worker process did not exit after SIGKILL");
        }
      g_object_unref (process);
    }
}

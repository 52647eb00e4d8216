/* pmap-worker-state-private.h: a worker process as pmap-worker-process.c,
 * which starts and ends it, and pmap-worker-pool.c, which keeps it idle,
 * both see it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pmap-worker-pool-private.h"

G_BEGIN_DECLS

/* How long a worker that closed its channel may take to exit by itself. */
#define PMAP_WORKER_EXIT_GRACE_US (G_USEC_PER_SEC)

struct _PmapWorker
{
  GSubprocess *process;
  PmapChannel *channel;
  /* The command that started it, its arguments joined: a worker serves
   * the maps that would start the same. */
  char        *command;
  int          pid;
  gint64       idle_deadline;
  /* How many tasks it answered, for max-tasks-per-worker. */
  guint64      n_tasks;

  /* Shared with the worker, which writes there the index of the task it
   * runs, plus one: results travel in bunches, so this says which task a
   * worker that died was running. */
  gint        *running_task;

  /* The ids of the shared values that it holds (see pmap-shared.c). */
  GArray      *shares;
};

/* Starts a worker of @argv, whose arguments joined make @command, and
 * waits for its hello, or until @give_up (if not NULL) says to stop. */
PmapWorker *pmap_worker_spawn            (const char * const  *argv,
                                          const char          *command,
                                          PmapAbortFunc        give_up,
                                          gpointer             give_up_data,
                                          GError             **error);
/* Frees the parent's side of a worker, without waiting for its process. */
void        pmap_worker_free             (PmapWorker          *worker);
/* Waits up to @timeout_us for GLib's child watch to reap @process, which
 * it does on its own thread. Returns whether it was reaped. */
gboolean    pmap_worker_wait_for_exit    (GSubprocess         *process,
                                          gint64               timeout_us);
/* A PmapAbortFunc that gives up once the monotonic time in @user_data,
 * a gint64, has passed. */
gboolean    pmap_worker_deadline_passed  (gpointer             user_data);

G_END_DECLS

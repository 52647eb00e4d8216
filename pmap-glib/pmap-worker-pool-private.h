/* pmap-worker-pool-private.h: worker processes, started once and reused
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pmap-channel-private.h"

G_BEGIN_DECLS

/* A worker process and the parent's end of its channel. */
typedef struct _PmapWorker PmapWorker;

/* Takes an idle worker, or starts one. Blocks until it said hello, or
 * @give_up (if not NULL) says to stop waiting: then %NULL, with a
 * G_IO_ERROR_CANCELLED error. */
PmapWorker *pmap_worker_pool_acquire (PmapAbortFunc  give_up,
                                      gpointer       give_up_data,
                                      GError       **error);
/* Gives back a healthy worker, idle, for @idle_timeout_ms at most. */
void        pmap_worker_pool_release (PmapWorker    *worker,
                                      guint64        idle_timeout_ms);
/* Stops a worker that is broken or busy with work nobody wants: at once
 * with @kill, else after a short grace for one that closed its channel.
 * Returns how it ended if it exited by itself (its signal or exit status),
 * NULL if it had to be killed. */
char       *pmap_worker_discard      (PmapWorker    *worker,
                                      gboolean       kill);
/* Lets a healthy worker leave instead of going back to the pool: it is
 * asked to quit, and not waited for until pmap_worker_pool_drain(). */
void        pmap_worker_retire       (PmapWorker    *worker);
PmapChannel *pmap_worker_get_channel (PmapWorker    *worker);
/* How many tasks the worker answered, counted by its runners, and its
 * resident memory, 0 if unknown. */
void        pmap_worker_count_tasks  (PmapWorker    *worker,
                                      guint          n_tasks);
guint64     pmap_worker_get_n_tasks  (PmapWorker    *worker);
guint64     pmap_worker_get_resident_bytes (PmapWorker *worker);
void        pmap_worker_clear_running_task (PmapWorker *worker);
guint       pmap_worker_peek_running_task (PmapWorker *worker);
guint       pmap_worker_get_running_task (PmapWorker *worker,
                                          guint       first,
                                          guint       n_tasks);
int         pmap_worker_get_pid      (PmapWorker    *worker);
/* Whether the worker process has exited (and GLib reaped it), whether or
 * not its channel is still open. */
gboolean    pmap_worker_has_exited   (PmapWorker    *worker);
/* The shared values that the worker holds, by id; a new worker holds
 * none, and one given back to the pool is told to drop them. */
gboolean    pmap_worker_holds_share  (PmapWorker    *worker,
                                      guint64        id);
void        pmap_worker_add_share    (PmapWorker    *worker,
                                      guint64        id);

/* For tests and shutdown: stops every idle worker, and waits for them and
 * for those that were asked to leave before. */
void        pmap_worker_pool_drain   (void);

G_END_DECLS

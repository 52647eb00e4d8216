/* pmap-worker-private.h: the loop that a worker process runs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-worker.h"

G_BEGIN_DECLS

/* The environment variable that gives a worker its channel's descriptor. */
#define PMAP_WORKER_FD_ENV "PMAP_WORKER_FD"
/* And the descriptor of the memory where it says which task it runs. */
#define PMAP_WORKER_RUNNING_FD_ENV "PMAP_WORKER_RUNNING_FD"

gboolean pmap_worker_is_hosting (void);
/* The command that starts a worker process: the one set with
 * pmap_set_worker_command(), else this program when it hosts workers,
 * else the pmap-worker helper. */
char   **pmap_worker_dup_command (void);
/* What to do when that command did not start (@not_found) or did not say
 * hello. */
const char *pmap_worker_command_advice (gboolean not_found);
int      pmap_worker_serve      (int   fd,
                                 gint *running_task);

G_END_DECLS

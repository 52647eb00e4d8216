/* pmap-processes-batch-private.h: one batch, sent to a worker process and answered
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-processes-runner-private.h"
#include "pmap-worker-private.h"

G_BEGIN_DECLS

GVariant *pmap_processes_batch_message (PmapJob         *job,
                                        PmapShareTable  *shares,
                                        GVariant        *ref,
                                        guint            first,
                                        guint            n_tasks,
                                        guint           *failed,
                                        GError         **error);
/* pmap_job_is_stopping() as a PmapAbortFunc: what waits for a worker
 * give up on once the job stops. */
gboolean  pmap_processes_job_stops     (gpointer         job);
guint     pmap_processes_batch_run     (PmapRunner      *runner,
                                        PmapWorker     **worker,
                                        GVariant        *batch,
                                        guint            first,
                                        guint            n_tasks);

G_END_DECLS

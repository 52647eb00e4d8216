/* pmap-job-private.h: what the executor drives
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pmap-job.h"
#include "pmap-batch-size-private.h"
#include "pmap-function-private.h"
#include "pmap-serializer.h"

G_BEGIN_DECLS

/* Called from whichever thread ran the batch, each time a batch ends, and
 * when a cancellation completes the job; it must not block. It may still be
 * called after the job completed, from a worker that is winding down, so
 * only the owner thread may touch data that the map's caller owns. */
typedef void (*PmapJobNotify) (PmapJob *job,
                               gpointer user_data);

PmapJob   *pmap_job_new             (PmapCallable   *callable,
                                     PmapSerializer *serializer,
                                     GPtrArray      *inputs,
                                     guint           n_jobs,
                                     guint           batch_size);
void       pmap_job_set_timeout     (PmapJob        *self,
                                     double          timeout);
gint64     pmap_job_get_timeout_us  (PmapJob        *self);
void       pmap_job_set_retries     (PmapJob        *self,
                                     guint           retries);
guint      pmap_job_get_retries     (PmapJob        *self);
void       pmap_job_set_max_nbytes  (PmapJob        *self,
                                     guint64         max_nbytes);
guint64    pmap_job_get_max_nbytes  (PmapJob        *self);
void       pmap_job_set_notify      (PmapJob        *self,
                                     PmapJobNotify   notify,
                                     gpointer        user_data,
                                     GDestroyNotify  destroy);
void       pmap_job_set_batch_cost  (PmapJob        *self,
                                     gint64          cost_us);
void       pmap_job_set_batch_memory (PmapJob        *self,
                                      PmapBatchMemory *memory,
                                      gconstpointer   key,
                                      gconstpointer   key_data);
void       pmap_job_record_batch    (PmapJob        *self,
                                     guint           n_tasks,
                                     gint64          busy_us);
gboolean   pmap_job_is_in_task      (void);
void       pmap_job_drain           (PmapJob        *self);
GThread   *pmap_job_get_owner       (PmapJob        *self);
void       pmap_job_cancel          (PmapJob        *self);
guint      pmap_job_get_n_done      (PmapJob        *self);
gboolean   pmap_job_is_complete     (PmapJob        *self);
gboolean   pmap_job_wait            (PmapJob        *self,
                                     guint           n_done_seen);
gboolean      pmap_job_is_stopping   (PmapJob        *self);
GVariant     *pmap_job_get_input     (PmapJob        *self,
                                      guint           index);
void          pmap_job_release_inputs (PmapJob       *self,
                                       guint          first,
                                       guint          n_tasks);
PmapCallable *pmap_job_get_callable  (PmapJob        *self);
PmapSerializer *pmap_job_get_serializer (PmapJob      *self);
void          pmap_job_return_value  (PmapJob        *self,
                                      guint           index,
                                      GVariant       *value);
void          pmap_job_return_error  (PmapJob        *self,
                                      guint           index,
                                      GError         *error);
void          pmap_job_fail          (PmapJob        *self,
                                      guint           index,
                                      GError         *error);
void          pmap_job_set_continue_on_error (PmapJob *self);
gboolean      pmap_job_continues_on_error    (PmapJob *self);
void          pmap_job_end_batch     (PmapJob        *self,
                                      guint           n_done);
GPtrArray *pmap_job_steal_results   (PmapJob        *self,
                                     GError        **error);

G_END_DECLS

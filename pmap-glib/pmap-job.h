/* pmap-job.h: one map, as a backend sees it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PMAP_GLIB_INSIDE) && !defined(PMAP_GLIB_COMPILATION)
# error "Only <pmap-glib/pmap-glib.h> can be included directly."
#endif

#include <glib-object.h>

#include "pmap-version-macros.h"

G_BEGIN_DECLS

#define PMAP_TYPE_JOB (pmap_job_get_type ())

PMAP_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (PmapJob, pmap_job, PMAP, JOB, GObject)

PMAP_AVAILABLE_IN_1_0
guint    pmap_job_get_n_tasks (PmapJob *self);
PMAP_AVAILABLE_IN_1_0
guint    pmap_job_get_n_jobs  (PmapJob *self);
PMAP_AVAILABLE_IN_1_0
gboolean pmap_job_claim       (PmapJob *self,
                               guint   *first,
                               guint   *n_tasks);
PMAP_AVAILABLE_IN_1_0
void     pmap_job_run_batch   (PmapJob *self,
                               guint    first,
                               guint    n_tasks);

G_END_DECLS

/* pmap-backend.h: where the tasks of a map run
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PMAP_GLIB_INSIDE) && !defined(PMAP_GLIB_COMPILATION)
# error "Only <pmap-glib/pmap-glib.h> can be included directly."
#endif

#include <glib-object.h>

#include "pmap-version-macros.h"
#include "pmap-job.h"

G_BEGIN_DECLS

#define PMAP_TYPE_BACKEND (pmap_backend_get_type ())

PMAP_AVAILABLE_IN_1_0
G_DECLARE_DERIVABLE_TYPE (PmapBackend, pmap_backend, PMAP, BACKEND, GObject)

/**
 * PmapBackendClass:
 * @parent_class: the parent class
 * @submit: starts running @job's tasks and returns; see
 *   [vfunc@Pmap.Backend.submit]
 * @shutdown: stops the backend's idle workers; see
 *   [vfunc@Pmap.Backend.shutdown]
 *
 * The class structure of [class@Pmap.Backend].
 *
 * Since: 1.0
 */
struct _PmapBackendClass
{
  GObjectClass parent_class;

  void (*submit)   (PmapBackend *self,
                    PmapJob     *job);
  void (*shutdown) (PmapBackend *self);

  /*< private >*/
  gpointer _reserved[11];
};

PMAP_AVAILABLE_IN_1_0
PmapBackend *pmap_backend_create   (const char   *name,
                                    GError      **error);
PMAP_AVAILABLE_IN_1_0
const char  *pmap_backend_get_name (PmapBackend  *self);
PMAP_AVAILABLE_IN_1_0
void         pmap_backend_submit   (PmapBackend  *self,
                                    PmapJob      *job);
PMAP_AVAILABLE_IN_1_0
void         pmap_backend_shutdown (PmapBackend  *self);
PMAP_AVAILABLE_IN_1_0
guint        pmap_backend_get_idle_timeout (PmapBackend *self);
PMAP_AVAILABLE_IN_1_0
void         pmap_backend_set_idle_timeout (PmapBackend *self,
                                            guint        seconds);
PMAP_AVAILABLE_IN_1_0
guint        pmap_backend_get_max_tasks_per_worker (PmapBackend *self);
PMAP_AVAILABLE_IN_1_0
void         pmap_backend_set_max_tasks_per_worker (PmapBackend *self,
                                                    guint        max_tasks);
PMAP_AVAILABLE_IN_1_0
guint64      pmap_backend_get_max_worker_memory    (PmapBackend *self);
PMAP_AVAILABLE_IN_1_0
void         pmap_backend_set_max_worker_memory    (PmapBackend *self,
                                                    guint64      bytes);

G_END_DECLS

/* pmap-executor.h: a parallel map
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PMAP_GLIB_INSIDE) && !defined(PMAP_GLIB_COMPILATION)
# error "Only <pmap-glib/pmap-glib.h> can be included directly."
#endif

#include <gio/gio.h>

#include "pmap-version-macros.h"
#include "pmap-outcome.h"
#include "pmap-backend.h"
#include "pmap-function.h"
#include "pmap-serializer.h"
#include "pmap-wrapped.h"

G_BEGIN_DECLS

#define PMAP_TYPE_EXECUTOR (pmap_executor_get_type ())

PMAP_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (PmapExecutor, pmap_executor, PMAP, EXECUTOR, GObject)

PMAP_AVAILABLE_IN_1_0
PmapExecutor *pmap_executor_new                  (void);
PMAP_AVAILABLE_IN_1_0
int           pmap_executor_get_n_jobs           (PmapExecutor         *self);
PMAP_AVAILABLE_IN_1_0
void          pmap_executor_set_n_jobs           (PmapExecutor         *self,
                                                  int                   n_jobs);
PMAP_AVAILABLE_IN_1_0
guint         pmap_executor_get_effective_n_jobs (PmapExecutor         *self);
PMAP_AVAILABLE_IN_1_0
PmapBackend  *pmap_executor_get_backend          (PmapExecutor         *self);
PMAP_AVAILABLE_IN_1_0
void          pmap_executor_set_backend          (PmapExecutor         *self,
                                                  PmapBackend          *backend);
PMAP_AVAILABLE_IN_1_0
PmapSerializer *pmap_executor_get_serializer     (PmapExecutor         *self);
PMAP_AVAILABLE_IN_1_0
void          pmap_executor_set_serializer       (PmapExecutor         *self,
                                                  PmapSerializer       *serializer);
PMAP_AVAILABLE_IN_1_0
guint         pmap_executor_get_batch_size       (PmapExecutor         *self);
PMAP_AVAILABLE_IN_1_0
void          pmap_executor_set_batch_size       (PmapExecutor         *self,
                                                  guint                 batch_size);
PMAP_AVAILABLE_IN_1_0
guint         pmap_executor_get_retries          (PmapExecutor         *self);
PMAP_AVAILABLE_IN_1_0
void          pmap_executor_set_retries          (PmapExecutor         *self,
                                                  guint                 retries);
PMAP_AVAILABLE_IN_1_0
guint64       pmap_executor_get_max_nbytes       (PmapExecutor         *self);
PMAP_AVAILABLE_IN_1_0
void          pmap_executor_set_max_nbytes       (PmapExecutor         *self,
                                                  guint64               max_nbytes);
PMAP_AVAILABLE_IN_1_0
double        pmap_executor_get_timeout          (PmapExecutor         *self);
PMAP_AVAILABLE_IN_1_0
void          pmap_executor_set_timeout          (PmapExecutor         *self,
                                                  double                timeout);

PMAP_AVAILABLE_IN_1_0
GPtrArray    *pmap_executor_map                  (PmapExecutor         *self,
                                                  GVariant            **items,
                                                  guint                 n_items,
                                                  PmapFunc              func,
                                                  gpointer              user_data,
                                                  GCancellable         *cancellable,
                                                  GError              **error);
PMAP_AVAILABLE_IN_1_0
GPtrArray    *pmap_executor_map_outcomes         (PmapExecutor         *self,
                                                  GVariant            **items,
                                                  guint                 n_items,
                                                  PmapFunc              func,
                                                  gpointer              user_data,
                                                  GCancellable         *cancellable,
                                                  GError              **error);
PMAP_AVAILABLE_IN_1_0
void          pmap_executor_map_outcomes_async   (PmapExecutor         *self,
                                                  GVariant            **items,
                                                  guint                 n_items,
                                                  PmapFunc              func,
                                                  gpointer              user_data,
                                                  GDestroyNotify        destroy,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              callback_data);
PMAP_AVAILABLE_IN_1_0
GPtrArray    *pmap_executor_map_outcomes_finish  (PmapExecutor         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);
PMAP_AVAILABLE_IN_1_0
void          pmap_executor_map_async            (PmapExecutor         *self,
                                                  GVariant            **items,
                                                  guint                 n_items,
                                                  PmapFunc              func,
                                                  gpointer              user_data,
                                                  GDestroyNotify        destroy,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              callback_data);
PMAP_AVAILABLE_IN_1_0
GPtrArray    *pmap_executor_map_finish           (PmapExecutor         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

PMAP_AVAILABLE_IN_1_0
GPtrArray    *pmap_executor_map_by_name          (PmapExecutor         *self,
                                                  const char           *name,
                                                  GVariant            **items,
                                                  guint                 n_items,
                                                  GCancellable         *cancellable,
                                                  GError              **error);
PMAP_AVAILABLE_IN_1_0
void          pmap_executor_map_by_name_async    (PmapExecutor         *self,
                                                  const char           *name,
                                                  GVariant            **items,
                                                  guint                 n_items,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
PMAP_AVAILABLE_IN_1_0
GPtrArray    *pmap_executor_map_by_name_finish   (PmapExecutor         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

PMAP_AVAILABLE_IN_1_0
GPtrArray    *pmap_executor_map_wrapped          (PmapExecutor         *self,
                                                  PmapWrapped          *wrapped,
                                                  GVariant            **items,
                                                  guint                 n_items,
                                                  GCancellable         *cancellable,
                                                  GError              **error);
PMAP_AVAILABLE_IN_1_0
void          pmap_executor_map_wrapped_async    (PmapExecutor         *self,
                                                  PmapWrapped          *wrapped,
                                                  GVariant            **items,
                                                  guint                 n_items,
                                                  GCancellable         *cancellable,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
PMAP_AVAILABLE_IN_1_0
GPtrArray    *pmap_executor_map_wrapped_finish   (PmapExecutor         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

PMAP_AVAILABLE_IN_1_0
GPtrArray    *pmap_executor_map_wrapped_outcomes        (PmapExecutor         *self,
                                                         PmapWrapped          *wrapped,
                                                         GVariant            **items,
                                                         guint                 n_items,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
PMAP_AVAILABLE_IN_1_0
void          pmap_executor_map_wrapped_outcomes_async  (PmapExecutor         *self,
                                                         PmapWrapped          *wrapped,
                                                         GVariant            **items,
                                                         guint                 n_items,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
PMAP_AVAILABLE_IN_1_0
GPtrArray    *pmap_executor_map_wrapped_outcomes_finish (PmapExecutor         *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

G_END_DECLS

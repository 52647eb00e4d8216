/* pmap-executor-map-private.h: what the map entry points of an executor
 * share (pmap-executor-map.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pmap-executor-private.h"

G_BEGIN_DECLS

/* An asynchronous map given a bad argument warns as g_return_if_fail()
 * does, in the name of @function, then still calls back with an error.
 * The macros expect `self` and `callback` in scope. */
gboolean   pmap_executor_check_async_argument (gboolean             valid,
                                               const char          *function,
                                               const char          *expression,
                                               PmapExecutor        *self,
                                               gpointer             source_tag,
                                               GAsyncReadyCallback  callback,
                                               gpointer             callback_data);
#define PMAP_ASYNC_ARGUMENT_OK_IN(function, expr, tag, data) \
  pmap_executor_check_async_argument (!!(expr), function, #expr, self, tag, callback, data)
/* Not through PMAP_ASYNC_ARGUMENT_OK_IN(), which would quote @expr with
 * its macros expanded. */
#define PMAP_ASYNC_ARGUMENT_OK(expr, tag, data) \
  pmap_executor_check_async_argument (!!(expr), G_STRFUNC, #expr, self, tag, callback, data)

/* Takes the caller's inputs, sinking floating references. */
GPtrArray *pmap_executor_take_inputs   (GVariant     **items,
                                        guint          n_items);

/* Runs a map and waits for it: its values, or with @outcomes, one
 * PmapOutcome per input. */
GPtrArray *pmap_executor_run_map       (PmapExecutor  *self,
                                        PmapCallable  *callable,
                                        GPtrArray     *inputs,
                                        gboolean       outcomes,
                                        GCancellable  *cancellable,
                                        GError       **error);
/* The same, of an in-process function. */
GPtrArray *pmap_executor_map_func      (PmapExecutor  *self,
                                        GVariant     **items,
                                        guint          n_items,
                                        PmapFunc       func,
                                        gpointer       user_data,
                                        gboolean       outcomes,
                                        GCancellable  *cancellable,
                                        GError       **error);

/* The asynchronous map of an in-process function, started by the public
 * @function whose source tag is @tag, giving values or, with @outcomes,
 * PmapOutcomes. */
void       pmap_executor_map_func_async (PmapExecutor        *self,
                                         const char          *function,
                                         gpointer             tag,
                                         gboolean             outcomes,
                                         GVariant           **items,
                                         guint                n_items,
                                         PmapFunc             func,
                                         gpointer             user_data,
                                         GDestroyNotify       destroy,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             callback_data);

/* Starts a map whose results @task returns. */
void       pmap_executor_start_async_map (PmapExecutor *self,
                                          GTask        *task,
                                          PmapCallable *callable,
                                          GPtrArray    *inputs,
                                          gboolean      outcomes);
/* Whether @result is that of a map that @self started with the function
 * @source_tag. */
gboolean   pmap_executor_is_map_result (PmapExecutor  *self,
                                        GAsyncResult  *result,
                                        gpointer       source_tag);

G_END_DECLS

/* pmap-executor-wrapped.c: maps of a function wrapped to travel by value
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The entry points for a PmapWrapped, blocking and asynchronous, that
 * give the results or, as pmap-executor-outcomes.c does for a callable,
 * one outcome per input. The wrapper's callable is the map's function.
 */

#include "config.h"

#include "pmap-executor-map-private.h"
#include "pmap-wrapped-private.h"

/* Whether @expr, an argument of @function, is valid; if not, warns as
 * g_return_val_if_fail() does, naming @function. */
#define ARGUMENT_OK_IN(function, expr) \
  (G_LIKELY (expr) || (g_return_if_fail_warning (G_LOG_DOMAIN, function, #expr), FALSE))

static GPtrArray *
map_wrapped (PmapExecutor  *self,
             const char    *function,
             gboolean       outcomes,
             PmapWrapped   *wrapped,
             GVariant     **items,
             guint          n_items,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GPtrArray) inputs = NULL;

  if (!ARGUMENT_OK_IN (function, PMAP_IS_WRAPPED (wrapped)) ||
      /* Made with g_object_new() rather than pmap_wrapped_new(). */
      !ARGUMENT_OK_IN (function, pmap_wrapped_get_callable (wrapped) != NULL) ||
      !ARGUMENT_OK_IN (function, items != NULL || n_items == 0) ||
      !ARGUMENT_OK_IN (function, cancellable == NULL || G_IS_CANCELLABLE (cancellable)) ||
      !ARGUMENT_OK_IN (function, error == NULL || *error == NULL))
    return NULL;

  inputs = pmap_executor_take_inputs (items, n_items);
  return pmap_executor_run_map (self, pmap_wrapped_get_callable (wrapped), inputs, outcomes,
                                cancellable, error);
}

static void
map_wrapped_async (PmapExecutor        *self,
                   const char          *function,
                   gpointer             tag,
                   gboolean             outcomes,
                   PmapWrapped         *wrapped,
                   GVariant           **items,
                   guint                n_items,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) inputs = NULL;

  if (!PMAP_ASYNC_ARGUMENT_OK_IN (function, PMAP_IS_WRAPPED (wrapped), tag, user_data) ||
      !PMAP_ASYNC_ARGUMENT_OK_IN (function, pmap_wrapped_get_callable (wrapped) != NULL,
                                  tag, user_data) ||
      !PMAP_ASYNC_ARGUMENT_OK_IN (function, items != NULL || n_items == 0, tag, user_data) ||
      !PMAP_ASYNC_ARGUMENT_OK_IN (function, cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                                  tag, user_data))
    return;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tag);
  /* The task keeps the wrapper, and with it the function, until the map
   * has completed. */
  g_task_set_task_data (task, g_object_ref (wrapped), g_object_unref);

  inputs = pmap_executor_take_inputs (items, n_items);
  pmap_executor_start_async_map (self, task, pmap_wrapped_get_callable (wrapped),
                                 inputs, outcomes);
}

/**
 * pmap_executor_map_wrapped:
 * @self: an executor
 * @wrapped: a function wrapped to travel by value
 * @items: (array length=n_items) (transfer none): the inputs, one per task;
 *   floating references are sunk
 * @n_items: the number of inputs
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Like [method@Pmap.Executor.map], with a function that travels to worker
 * processes by value whatever the executor's serializer: joblib's
 * `delayed(wrap_non_picklable_objects(func))`.
 *
 * Returns: (transfer container) (element-type GVariant): the results, in
 *   the order of @items; the array frees them with itself
 *
 * Since: 1.0
 */
GPtrArray *
pmap_executor_map_wrapped (PmapExecutor  *self,
                           PmapWrapped   *wrapped,
                           GVariant     **items,
                           guint          n_items,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_return_val_if_fail (PMAP_IS_EXECUTOR (self), NULL);

  return map_wrapped (self, G_STRFUNC, FALSE, wrapped, items, n_items, cancellable, error);
}

/**
 * pmap_executor_map_wrapped_async:
 * @self: an executor
 * @wrapped: a function wrapped to travel by value
 * @items: (array length=n_items) (transfer none): the inputs, one per task;
 *   floating references are sunk
 * @n_items: the number of inputs
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async) (closure user_data): called on the caller's
 *   thread-default main context when the map has completed
 * @user_data: data for @callback
 *
 * Like [method@Pmap.Executor.map_async], with a wrapped function.
 *
 * Since: 1.0
 */
void
pmap_executor_map_wrapped_async (PmapExecutor        *self,
                                 PmapWrapped         *wrapped,
                                 GVariant           **items,
                                 guint                n_items,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (PMAP_IS_EXECUTOR (self));

  map_wrapped_async (self, G_STRFUNC, pmap_executor_map_wrapped_async, FALSE,
                     wrapped, items, n_items, cancellable, callback, user_data);
}

/**
 * pmap_executor_map_wrapped_finish:
 * @self: an executor
 * @result: the result given to the callback of
 *   [method@Pmap.Executor.map_wrapped_async]
 * @error: return location for an error
 *
 * Finishes a map started with [method@Pmap.Executor.map_wrapped_async].
 *
 * Returns: (transfer container) (element-type GVariant): the results, in
 *   the order of the inputs; the array frees them with itself
 *
 * Since: 1.0
 */
GPtrArray *
pmap_executor_map_wrapped_finish (PmapExecutor  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (pmap_executor_is_map_result (self, result, pmap_executor_map_wrapped_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * pmap_executor_map_wrapped_outcomes:
 * @self: an executor
 * @wrapped: a function wrapped to travel by value
 * @items: (array length=n_items) (transfer none): the inputs, one per task;
 *   floating references are sunk
 * @n_items: the number of inputs
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Like [method@Pmap.Executor.map_outcomes], with a wrapped function: every
 * task runs, and a task that fails, its worker's death included, fails
 * alone. The Python and JavaScript maps that return their errors
 * (`return_exceptions=True`, `returnErrors: true`) run on it.
 *
 * Returns: (transfer container) (element-type PmapOutcome): the outcomes,
 *   in the order of @items; the array frees them with itself
 *
 * Since: 1.0
 */
GPtrArray *
pmap_executor_map_wrapped_outcomes (PmapExecutor  *self,
                                    PmapWrapped   *wrapped,
                                    GVariant     **items,
                                    guint          n_items,
                                    GCancellable  *cancellable,
                                    GError       **error)
{
  g_return_val_if_fail (PMAP_IS_EXECUTOR (self), NULL);

  return map_wrapped (self, G_STRFUNC, TRUE, wrapped, items, n_items, cancellable, error);
}

/**
 * pmap_executor_map_wrapped_outcomes_async:
 * @self: an executor
 * @wrapped: a function wrapped to travel by value
 * @items: (array length=n_items) (transfer none): the inputs, one per task;
 *   floating references are sunk
 * @n_items: the number of inputs
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async) (closure user_data): called on the caller's
 *   thread-default main context when the map has completed
 * @user_data: data for @callback
 *
 * Starts [method@Pmap.Executor.map_wrapped_outcomes] and returns;
 * @callback then gets the outcomes with
 * [method@Pmap.Executor.map_wrapped_outcomes_finish].
 *
 * Since: 1.0
 */
void
pmap_executor_map_wrapped_outcomes_async (PmapExecutor        *self,
                                          PmapWrapped         *wrapped,
                                          GVariant           **items,
                                          guint                n_items,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_return_if_fail (PMAP_IS_EXECUTOR (self));

  map_wrapped_async (self, G_STRFUNC, pmap_executor_map_wrapped_outcomes_async, TRUE,
                     wrapped, items, n_items, cancellable, callback, user_data);
}

/**
 * pmap_executor_map_wrapped_outcomes_finish:
 * @self: an executor
 * @result: the result given to the callback of
 *   [method@Pmap.Executor.map_wrapped_outcomes_async]
 * @error: return location for an error
 *
 * Finishes a map started with
 * [method@Pmap.Executor.map_wrapped_outcomes_async].
 *
 * Returns: (transfer container) (element-type PmapOutcome): the outcomes,
 *   in the order of the inputs; the array frees them with itself
 *
 * Since: 1.0
 */
GPtrArray *
pmap_executor_map_wrapped_outcomes_finish (PmapExecutor  *self,
                                           GAsyncResult  *result,
                                           GError       **error)
{
  g_return_val_if_fail (pmap_executor_is_map_result (self, result,
                                                     pmap_executor_map_wrapped_outcomes_async),
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

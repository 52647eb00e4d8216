/* pmap-executor-outcomes.c: maps that give one outcome per input
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The continue-on-error policy: every task runs, and the map returns a
 * PmapOutcome for each input, its value or its error.
 */

#include "config.h"

#include "pmap-executor-map-private.h"

/**
 * pmap_executor_map_outcomes:
 * @self: an executor
 * @items: (array length=n_items) (transfer none): the inputs, one per task;
 *   floating references are sunk
 * @n_items: the number of inputs
 * @func: (scope call) (closure user_data): the function to apply
 * @user_data: data for @func
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Like [method@Pmap.Executor.map], but a task that fails fails alone: every
 * task runs, and the map returns one [struct@Pmap.Outcome] per input, its
 * value or its error, as `asyncio.gather(…, return_exceptions=True)`
 * does. On the `processes` backend, a task whose worker died fails alone
 * too, once the executor's [property@Pmap.Executor:retries] are spent, and
 * the tasks around it run on a new worker.
 *
 * What concerns the whole map still fails it: a setting that names
 * nothing, a cancellation, a function or serializer that cannot reach the
 * workers, a worker that cannot start.
 *
 * Returns: (transfer container) (element-type PmapOutcome): the outcomes,
 *   in the order of @items; the array frees them with itself
 *
 * Since: 1.0
 */
GPtrArray *
pmap_executor_map_outcomes (PmapExecutor  *self,
                            GVariant     **items,
                            guint          n_items,
                            PmapFunc       func,
                            gpointer       user_data,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_return_val_if_fail (PMAP_IS_EXECUTOR (self), NULL);
  g_return_val_if_fail (items != NULL || n_items == 0, NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return pmap_executor_map_func (self, items, n_items, func, user_data, TRUE,
                                 cancellable, error);
}

/**
 * pmap_executor_map_outcomes_async:
 * @self: an executor
 * @items: (array length=n_items) (transfer none): the inputs, one per task;
 *   floating references are sunk
 * @n_items: the number of inputs
 * @func: (scope notified) (closure user_data) (destroy destroy): the
 *   function to apply
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data, on the caller's main context,
 *   once the map has completed
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async) (closure callback_data): called on the
 *   caller's thread-default main context when the map has completed
 * @callback_data: data for @callback
 *
 * Starts [method@Pmap.Executor.map_outcomes] and returns; @callback then
 * gets the outcomes with [method@Pmap.Executor.map_outcomes_finish].
 *
 * Since: 1.0
 */
void
pmap_executor_map_outcomes_async (PmapExecutor        *self,
                                  GVariant           **items,
                                  guint                n_items,
                                  PmapFunc             func,
                                  gpointer             user_data,
                                  GDestroyNotify       destroy,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             callback_data)
{
  g_return_if_fail (PMAP_IS_EXECUTOR (self));

  pmap_executor_map_func_async (self, G_STRFUNC, pmap_executor_map_outcomes_async, TRUE,
                                items, n_items, func, user_data, destroy,
                                cancellable, callback, callback_data);
}

/**
 * pmap_executor_map_outcomes_finish:
 * @self: an executor
 * @result: the result given to the callback of
 *   [method@Pmap.Executor.map_outcomes_async]
 * @error: return location for an error
 *
 * Finishes a map started with [method@Pmap.Executor.map_outcomes_async].
 *
 * Returns: (transfer container) (element-type PmapOutcome): the outcomes,
 *   in the order of the inputs; the array frees them with itself
 *
 * Since: 1.0
 */
GPtrArray *
pmap_executor_map_outcomes_finish (PmapExecutor  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (pmap_executor_is_map_result (self, result, pmap_executor_map_outcomes_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

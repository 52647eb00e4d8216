/* pmap-executor-map.c: the maps that an executor runs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The entry points, blocking and asynchronous, for two ways to name a
 * function: an in-process callable and a registered name;
 * pmap-executor-wrapped.c has those for a PmapWrapped, and
 * pmap-executor-outcomes.c those that give one outcome per input.
 * pmap-executor-settings.c keeps the settings they read; pmap-map-run.c
 * drives the job they make.
 */

#include "config.h"

#include <unistd.h>

#include "pmap-error.h"
#include "pmap-executor-map-private.h"
#include "pmap-fork-private.h"
#include "pmap-function-private.h"
#include "pmap-job-private.h"
#include "pmap-map-run-private.h"
#include "pmap-processes-backend-private.h"
#include "pmap-threads-backend-private.h"

/* The job of a map: its backend, in @backend, and its settings, from the
 * executor's; with @outcomes, it continues on error. NULL with @error set if a setting is wrong, @cancellable is
 * cancelled or the backend cannot run @callable. */
static PmapJob *
prepare_job (PmapExecutor   *self,
             PmapCallable   *callable,
             GPtrArray      *inputs,
             gboolean        outcomes,
             GCancellable   *cancellable,
             PmapBackend   **backend,
             GError        **error)
{
  guint n_jobs = pmap_executor_get_effective_n_jobs (self);
  const GError *setting_error = pmap_executor_get_setting_error (self);
  PmapJob *job;
  int original;

  if (setting_error != NULL)
    {
      g_propagate_error (error, g_error_copy (setting_error));
      return NULL;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  /* As joblib does: one job needs no pool, and a map started inside a task
   * runs in that task, since the pool's workers may all be waiting for it. */
  *backend = pmap_executor_get_backend (self);
  if (n_jobs == 1 || pmap_job_is_in_task ())
    *backend = pmap_executor_get_sequential_backend (self);

  if ((PMAP_IS_THREADS_BACKEND (*backend) || PMAP_IS_PROCESSES_BACKEND (*backend)) &&
      pmap_fork_is_copy (&original))
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_FORKED,
                   "This process (%d) is a copy that fork() made of process "
                   "%d after pmap-glib had started threads there, and has "
                   "none of them: the “%s” backend cannot run here. Start "
                   "this process with exec() (in Python, multiprocessing's "
                   "“spawn” or “forkserver” start method), or use the "
                   "“sequential” backend in it",
                   (int) getpid (), original, pmap_backend_get_name (*backend));
      return NULL;
    }

  if (pmap_callable_is_thread_bound (callable) &&
      PMAP_IS_THREADS_BACKEND (*backend))
    {
      g_set_error (error, PMAP_ERROR, PMAP_ERROR_WRONG_THREAD,
                   "This is a JavaScript function, which GJS can only run on "
                   "its main thread, but the “%s” backend runs tasks on other "
                   "threads; use the “sequential” backend (or n-jobs 1), or "
                   "map a native function registered by name",
                   pmap_backend_get_name (*backend));
      return NULL;
    }

  job = pmap_job_new (callable, pmap_executor_get_serializer (self), inputs, n_jobs,
                      pmap_executor_get_batch_size (self));
  pmap_job_set_timeout (job, pmap_executor_get_timeout (self));
  pmap_job_set_retries (job, pmap_executor_get_retries (self));
  pmap_job_set_max_nbytes (job, pmap_executor_get_max_nbytes (self));
  /* Batches sized from the start for tasks as long as the last map of the
   * same function with the same data measured them; a function that
   * travels as data has no address to be known by. */
  if (pmap_callable_get_func (callable) != NULL)
    pmap_job_set_batch_memory (job, pmap_executor_get_batch_memory (self),
                               (gconstpointer) (gsize) pmap_callable_get_func (callable),
                               pmap_callable_get_user_data (callable));
  if (outcomes)
    pmap_job_set_continue_on_error (job);
  return job;
}

/* An asynchronous map given a bad argument warns as g_return_if_fail()
 * does, then still calls back, with an error: a caller that waits for the
 * callback, as Vala's yield does, must not wait for ever. */
gboolean
pmap_executor_check_async_argument (gboolean             valid,
                                    const char          *function,
                                    const char          *expression,
                                    PmapExecutor        *self,
                                    gpointer             source_tag,
                                    GAsyncReadyCallback  callback,
                                    gpointer             callback_data)
{
  if (G_LIKELY (valid))
    return TRUE;

  g_return_if_fail_warning (G_LOG_DOMAIN, function, expression);
  g_task_report_new_error (self, callback, callback_data, source_tag,
                           PMAP_ERROR, PMAP_ERROR_FAILED,
                           "%s() was given an invalid argument (%s is false); "
                           "this is a bug in the calling program",
                           function, expression);
  return FALSE;
}

/* Takes the caller's inputs, sinking floating references, before anything
 * can fail: a map consumes them whatever happens. */
GPtrArray *
pmap_executor_take_inputs (GVariant **items,
                           guint      n_items)
{
  GPtrArray *inputs = g_ptr_array_new_full (n_items, (GDestroyNotify) g_variant_unref);

  for (guint i = 0; i < n_items; i++)
    g_ptr_array_add (inputs, g_variant_ref_sink (items[i]));

  return inputs;
}

/* A map started inside a task runs on a worker's thread, where nobody may
 * receive the executor's signals. */
static PmapProgressFunc
progress_for_caller (void)
{
  return pmap_job_is_in_task () ? NULL : pmap_executor_emit_progress;
}

GPtrArray *
pmap_executor_run_map (PmapExecutor  *self,
                       PmapCallable  *callable,
                       GPtrArray     *inputs,
                       gboolean       outcomes,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(PmapJob) job = NULL;
  PmapBackend *backend;

  job = prepare_job (self, callable, inputs, outcomes, cancellable, &backend, error);
  if (job == NULL)
    return NULL;

  return pmap_map_run (backend, job, cancellable, progress_for_caller (),
                       self, error);
}

/* The blocking map of an in-process callable, giving values or, with
 * @outcomes, PmapOutcomes. */
GPtrArray *
pmap_executor_map_func (PmapExecutor  *self,
                        GVariant     **items,
                        guint          n_items,
                        PmapFunc       func,
                        gpointer       user_data,
                        gboolean       outcomes,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(PmapCallable) callable = NULL;
  g_autoptr(GPtrArray) inputs = NULL;

  inputs = pmap_executor_take_inputs (items, n_items);
  callable = pmap_callable_new (NULL, func, user_data, NULL);
  return pmap_executor_run_map (self, callable, inputs, outcomes, cancellable, error);
}

void
pmap_executor_map_func_async (PmapExecutor        *self,
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
                              gpointer             callback_data)
{
  g_autoptr(PmapCallable) callable = NULL;
  g_autoptr(GPtrArray) inputs = NULL;
  g_autoptr(GTask) task = NULL;

  if (!PMAP_ASYNC_ARGUMENT_OK_IN (function, items != NULL || n_items == 0, tag, callback_data) ||
      !PMAP_ASYNC_ARGUMENT_OK_IN (function, func != NULL, tag, callback_data) ||
      !PMAP_ASYNC_ARGUMENT_OK_IN (function, cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                                  tag, callback_data))
    {
      if (destroy != NULL)
        destroy (user_data);
      return;
    }

  task = g_task_new (self, cancellable, callback, callback_data);
  g_task_set_source_tag (task, tag);
  inputs = pmap_executor_take_inputs (items, n_items);
  callable = pmap_callable_new (NULL, func, user_data, destroy);

  pmap_executor_start_async_map (self, task, callable, inputs, outcomes);
}

/**
 * pmap_executor_map:
 * @self: an executor
 * @items: (array length=n_items) (transfer none): the inputs, one per task;
 *   floating references are sunk
 * @n_items: the number of inputs
 * @func: (scope call) (closure user_data): the function to apply
 * @user_data: data for @func
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Applies @func to each input on the executor's backend and waits for the
 * results. @func may run on several threads at once.
 *
 * If a task fails, no new task starts and the map returns that task's
 * error, its message prefixed with `Task N failed: `, where N is the
 * task's index in @items. If @cancellable is cancelled, the map returns
 * %G_IO_ERROR_CANCELLED once the tasks that are running have returned, or
 * at once on the `processes` backend, which kills the workers running them.
 *
 * On the `processes` backend, @func travels to the worker processes by
 * value, so it must come without @user_data, which cannot travel, and be a
 * function of a shared library or of a program that calls
 * [func@Pmap.host_workers]; the `variant` serializer refuses it. See
 * [Hosting workers](backends.html#hosting-workers).
 *
 * Returns: (transfer container) (element-type GVariant): the results, in
 *   the order of @items; the array frees them with itself
 *
 * Since: 1.0
 */
GPtrArray *
pmap_executor_map (PmapExecutor  *self,
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

  return pmap_executor_map_func (self, items, n_items, func, user_data, FALSE,
                                 cancellable, error);
}

/**
 * pmap_executor_map_by_name:
 * @self: an executor
 * @name: (not nullable): the name a function was registered under with
 *   [func@Pmap.register_function]
 * @items: (array length=n_items) (transfer none): the inputs, one per task;
 *   floating references are sunk
 * @n_items: the number of inputs
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * Like [method@Pmap.Executor.map], with the function registered under
 * @name. This is how GJS maps native code on threads.
 *
 * Returns: (transfer container) (element-type GVariant): the results, in
 *   the order of @items; the array frees them with itself
 *
 * Since: 1.0
 */
GPtrArray *
pmap_executor_map_by_name (PmapExecutor  *self,
                           const char    *name,
                           GVariant     **items,
                           guint          n_items,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(PmapCallable) callable = NULL;
  g_autoptr(GPtrArray) inputs = NULL;

  g_return_val_if_fail (PMAP_IS_EXECUTOR (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (items != NULL || n_items == 0, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  inputs = pmap_executor_take_inputs (items, n_items);
  callable = pmap_callable_lookup (name, error);
  if (callable == NULL)
    return NULL;

  return pmap_executor_run_map (self, callable, inputs, FALSE, cancellable, error);
}

void
pmap_executor_start_async_map (PmapExecutor *self,
                               GTask        *task,
                               PmapCallable *callable,
                               GPtrArray    *inputs,
                               gboolean      outcomes)
{
  g_autoptr(PmapJob) job = NULL;
  PmapBackend *backend;
  GError *error = NULL;

  job = prepare_job (self, callable, inputs, outcomes, g_task_get_cancellable (task),
                     &backend, &error);
  if (job == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  pmap_map_run_async (backend, job, callable, task, progress_for_caller ());
}

/* Whether @result is that of a map that @self started with the function
 * @source_tag. */
gboolean
pmap_executor_is_map_result (PmapExecutor *self,
                             GAsyncResult *result,
                             gpointer      source_tag)
{
  return PMAP_IS_EXECUTOR (self) && g_task_is_valid (result, self) &&
         g_task_get_source_tag (G_TASK (result)) == source_tag;
}

/**
 * pmap_executor_map_async:
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
 * Starts applying @func to each input on the executor's backend and
 * returns; @callback then gets the results with
 * [method@Pmap.Executor.map_finish]. Errors and cancellation behave as in
 * [method@Pmap.Executor.map].
 *
 * On the `sequential` backend the tasks run before this returns; only the
 * callback waits for the main context.
 *
 * Since: 1.0
 */
void
pmap_executor_map_async (PmapExecutor        *self,
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

  pmap_executor_map_func_async (self, G_STRFUNC, pmap_executor_map_async, FALSE,
                                items, n_items, func, user_data, destroy,
                                cancellable, callback, callback_data);
}

/**
 * pmap_executor_map_finish:
 * @self: an executor
 * @result: the result given to the callback of
 *   [method@Pmap.Executor.map_async]
 * @error: return location for an error
 *
 * Finishes a map started with [method@Pmap.Executor.map_async].
 *
 * Returns: (transfer container) (element-type GVariant): the results, in
 *   the order of the inputs; the array frees them with itself
 *
 * Since: 1.0
 */
GPtrArray *
pmap_executor_map_finish (PmapExecutor  *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (pmap_executor_is_map_result (self, result, pmap_executor_map_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * pmap_executor_map_by_name_async:
 * @self: an executor
 * @name: (not nullable): the name a function was registered under
 * @items: (array length=n_items) (transfer none): the inputs, one per task;
 *   floating references are sunk
 * @n_items: the number of inputs
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async) (closure user_data): called on the caller's
 *   thread-default main context when the map has completed
 * @user_data: data for @callback
 *
 * Like [method@Pmap.Executor.map_async], with the function registered
 * under @name.
 *
 * Since: 1.0
 */
void
pmap_executor_map_by_name_async (PmapExecutor        *self,
                                 const char          *name,
                                 GVariant           **items,
                                 guint                n_items,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(PmapCallable) callable = NULL;
  g_autoptr(GPtrArray) inputs = NULL;
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (PMAP_IS_EXECUTOR (self));
  if (!PMAP_ASYNC_ARGUMENT_OK (name != NULL, pmap_executor_map_by_name_async, user_data) ||
      !PMAP_ASYNC_ARGUMENT_OK (items != NULL || n_items == 0, pmap_executor_map_by_name_async, user_data) ||
      !PMAP_ASYNC_ARGUMENT_OK (cancellable == NULL || G_IS_CANCELLABLE (cancellable),
                          pmap_executor_map_by_name_async, user_data))
    return;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pmap_executor_map_by_name_async);
  inputs = pmap_executor_take_inputs (items, n_items);

  callable = pmap_callable_lookup (name, &error);
  if (callable == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  pmap_executor_start_async_map (self, task, callable, inputs, FALSE);
}

/**
 * pmap_executor_map_by_name_finish:
 * @self: an executor
 * @result: the result given to the callback of
 *   [method@Pmap.Executor.map_by_name_async]
 * @error: return location for an error
 *
 * Finishes a map started with [method@Pmap.Executor.map_by_name_async].
 *
 * Returns: (transfer container) (element-type GVariant): the results, in
 *   the order of the inputs; the array frees them with itself
 *
 * Since: 1.0
 */
GPtrArray *
pmap_executor_map_by_name_finish (PmapExecutor  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (pmap_executor_is_map_result (self, result, pmap_executor_map_by_name_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

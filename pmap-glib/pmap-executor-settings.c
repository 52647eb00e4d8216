/* pmap-executor-settings.c: the getters and setters of an executor's settings
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A getter and a setter per property, and what follows from them: the
 * effective number of jobs, and the error of a setting that the
 * environment gave wrong. pmap-executor.c documents the properties and
 * routes them here; pmap-executor-environment.c gives their defaults; the
 * maps of pmap-executor-map.c read the settings when they start.
 */

#include "config.h"

#include "pmap-executor-state-private.h"

/**
 * pmap_executor_get_n_jobs:
 * @self: an executor
 *
 * Gets the value of [property@Pmap.Executor:n-jobs].
 *
 * Returns: the number of jobs, as set
 *
 * Since: 1.0
 */
int
pmap_executor_get_n_jobs (PmapExecutor *self)
{
  g_return_val_if_fail (PMAP_IS_EXECUTOR (self), 0);

  return self->n_jobs;
}

/**
 * pmap_executor_set_n_jobs:
 * @self: an executor
 * @n_jobs: how many tasks may run at once; not zero
 *
 * Sets [property@Pmap.Executor:n-jobs].
 *
 * Since: 1.0
 */
void
pmap_executor_set_n_jobs (PmapExecutor *self,
                          int           n_jobs)
{
  g_return_if_fail (PMAP_IS_EXECUTOR (self));
  g_return_if_fail (n_jobs != 0);

  g_clear_error (&self->n_jobs_error);

  if (self->n_jobs == n_jobs)
    return;

  self->n_jobs = n_jobs;
  g_object_notify_by_pspec (G_OBJECT (self), pmap_executor_properties[PROP_N_JOBS]);
}

/**
 * pmap_executor_get_effective_n_jobs:
 * @self: an executor
 *
 * Gets how many tasks a map may run at once: [property@Pmap.Executor:n-jobs]
 * with the negative values resolved against the number of processors.
 *
 * Returns: the number of jobs, at least 1
 *
 * Since: 1.0
 */
guint
pmap_executor_get_effective_n_jobs (PmapExecutor *self)
{
  g_return_val_if_fail (PMAP_IS_EXECUTOR (self), 1);

  if (self->n_jobs > 0)
    return self->n_jobs;

  return MAX (1, (int) g_get_num_processors () + 1 + self->n_jobs);
}

/**
 * pmap_executor_get_backend:
 * @self: an executor
 *
 * Gets the value of [property@Pmap.Executor:backend].
 *
 * Returns: (transfer none) (nullable): the backend, or %NULL while
 *   `PMAP_BACKEND` names no backend
 *
 * Since: 1.0
 */
PmapBackend *
pmap_executor_get_backend (PmapExecutor *self)
{
  g_return_val_if_fail (PMAP_IS_EXECUTOR (self), NULL);

  return self->backend;
}

/**
 * pmap_executor_set_backend:
 * @self: an executor
 * @backend: (nullable): a backend, or %NULL for the default one
 *
 * Sets [property@Pmap.Executor:backend].
 *
 * Since: 1.0
 */
void
pmap_executor_set_backend (PmapExecutor *self,
                           PmapBackend  *backend)
{
  g_autoptr(PmapBackend) fallback = NULL;

  g_return_if_fail (PMAP_IS_EXECUTOR (self));
  g_return_if_fail (backend == NULL || PMAP_IS_BACKEND (backend));

  g_clear_error (&self->backend_error);
  if (backend == NULL)
    backend = fallback = pmap_executor_default_backend (&self->backend_error);

  if (g_set_object (&self->backend, backend))
    g_object_notify_by_pspec (G_OBJECT (self), pmap_executor_properties[PROP_BACKEND]);
}

/**
 * pmap_executor_get_serializer:
 * @self: an executor
 *
 * Gets the value of [property@Pmap.Executor:serializer].
 *
 * Returns: (transfer none) (nullable): the serializer, or %NULL while
 *   `PMAP_SERIALIZER` names no serializer
 *
 * Since: 1.0
 */
PmapSerializer *
pmap_executor_get_serializer (PmapExecutor *self)
{
  g_return_val_if_fail (PMAP_IS_EXECUTOR (self), NULL);

  return self->serializer;
}

/**
 * pmap_executor_set_serializer:
 * @self: an executor
 * @serializer: (nullable): a serializer, or %NULL for the default one
 *
 * Sets [property@Pmap.Executor:serializer].
 *
 * Since: 1.0
 */
void
pmap_executor_set_serializer (PmapExecutor   *self,
                              PmapSerializer *serializer)
{
  g_autoptr(PmapSerializer) fallback = NULL;

  g_return_if_fail (PMAP_IS_EXECUTOR (self));
  g_return_if_fail (serializer == NULL || PMAP_IS_SERIALIZER (serializer));

  g_clear_error (&self->serializer_error);
  if (serializer == NULL)
    serializer = fallback = pmap_executor_default_serializer (&self->serializer_error);

  if (g_set_object (&self->serializer, serializer))
    g_object_notify_by_pspec (G_OBJECT (self), pmap_executor_properties[PROP_SERIALIZER]);
}

/**
 * pmap_executor_get_batch_size:
 * @self: an executor
 *
 * Gets the value of [property@Pmap.Executor:batch-size].
 *
 * Returns: the batch size, or 0 for automatic
 *
 * Since: 1.0
 */
guint
pmap_executor_get_batch_size (PmapExecutor *self)
{
  g_return_val_if_fail (PMAP_IS_EXECUTOR (self), 0);

  return self->batch_size;
}

/**
 * pmap_executor_set_batch_size:
 * @self: an executor
 * @batch_size: tasks per batch, or 0 for automatic
 *
 * Sets [property@Pmap.Executor:batch-size].
 *
 * Since: 1.0
 */
void
pmap_executor_set_batch_size (PmapExecutor *self,
                              guint         batch_size)
{
  g_return_if_fail (PMAP_IS_EXECUTOR (self));

  if (self->batch_size == batch_size)
    return;

  self->batch_size = batch_size;
  g_object_notify_by_pspec (G_OBJECT (self), pmap_executor_properties[PROP_BATCH_SIZE]);
}

/**
 * pmap_executor_get_timeout:
 * @self: an executor
 *
 * Gets [property@Pmap.Executor:timeout].
 *
 * Returns: how long a task may run, in seconds, or 0 for no limit
 *
 * Since: 1.0
 */
double
pmap_executor_get_timeout (PmapExecutor *self)
{
  g_return_val_if_fail (PMAP_IS_EXECUTOR (self), 0);

  return self->timeout;
}

/**
 * pmap_executor_set_timeout:
 * @self: an executor
 * @timeout: how long a task may run, in seconds, or 0 for no limit
 *
 * Sets [property@Pmap.Executor:timeout].
 *
 * Since: 1.0
 */
void
pmap_executor_set_timeout (PmapExecutor *self,
                           double        timeout)
{
  g_return_if_fail (PMAP_IS_EXECUTOR (self));
  g_return_if_fail (timeout >= 0);

  if (self->timeout == timeout)
    return;

  self->timeout = timeout;
  g_object_notify_by_pspec (G_OBJECT (self), pmap_executor_properties[PROP_TIMEOUT]);
}

/**
 * pmap_executor_get_retries:
 * @self: an executor
 *
 * Gets [property@Pmap.Executor:retries].
 *
 * Returns: how many times a task whose worker died runs again
 *
 * Since: 1.0
 */
guint
pmap_executor_get_retries (PmapExecutor *self)
{
  g_return_val_if_fail (PMAP_IS_EXECUTOR (self), 0);

  return self->retries;
}

/**
 * pmap_executor_set_retries:
 * @self: an executor
 * @retries: how many times a task whose worker died runs again
 *
 * Sets [property@Pmap.Executor:retries].
 *
 * Since: 1.0
 */
void
pmap_executor_set_retries (PmapExecutor *self,
                           guint         retries)
{
  g_return_if_fail (PMAP_IS_EXECUTOR (self));

  if (self->retries == retries)
    return;

  self->retries = retries;
  g_object_notify_by_pspec (G_OBJECT (self), pmap_executor_properties[PROP_RETRIES]);
}

/**
 * pmap_executor_get_max_nbytes:
 * @self: an executor
 *
 * Gets [property@Pmap.Executor:max-nbytes].
 *
 * Returns: the size in bytes from which a value is large
 *
 * Since: 1.0
 */
guint64
pmap_executor_get_max_nbytes (PmapExecutor *self)
{
  g_return_val_if_fail (PMAP_IS_EXECUTOR (self), 0);

  return self->max_nbytes;
}

/**
 * pmap_executor_set_max_nbytes:
 * @self: an executor
 * @max_nbytes: the size in bytes from which a value is large, at least
 *   4096
 *
 * Sets [property@Pmap.Executor:max-nbytes].
 *
 * Since: 1.0
 */
void
pmap_executor_set_max_nbytes (PmapExecutor *self,
                              guint64       max_nbytes)
{
  g_return_if_fail (PMAP_IS_EXECUTOR (self));
  g_return_if_fail (max_nbytes >= PMAP_MIN_MAX_NBYTES);

  if (self->max_nbytes == max_nbytes)
    return;

  self->max_nbytes = max_nbytes;
  g_object_notify_by_pspec (G_OBJECT (self), pmap_executor_properties[PROP_MAX_NBYTES]);
}

/* The error of the first setting that the environment gave wrong, if
 * any: every map fails with it. */
const GError *
pmap_executor_get_setting_error (PmapExecutor *self)
{
  return self->n_jobs_error ? self->n_jobs_error :
         self->backend_error ? self->backend_error :
         self->serializer_error;
}

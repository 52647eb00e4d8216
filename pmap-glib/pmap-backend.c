/* pmap-backend.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pmap-backend.h"
#include "pmap-error.h"
#include "pmap-job-private.h"
#include "pmap-processes-backend-private.h"
#include "pmap-sequential-backend-private.h"
#include "pmap-threads-backend-private.h"

/**
 * PmapBackend:
 *
 * Where the tasks of a map run.
 *
 * pmap-glib comes with these backends, found by name with
 * [func@Pmap.Backend.create]:
 *
 * - `threads` (or `threading`, joblib's name): an exclusive
 *   [struct@GLib.ThreadPool] that the backend owns, with as many threads as
 *   the largest [property@Pmap.Executor:n-jobs] it has served. Inputs and
 *   results are passed by reference, never copied. The default.
 * - `processes` (or `loky`): worker processes, started on first use and
 *   reused by later maps of any executor, as joblib's `loky` backend. A C
 *   or Vala program that calls [func@Pmap.host_workers] first in `main()`
 *   is its own worker; others run the `pmap-worker` helper. See
 *   [Backends](backends.html) and [Worker protocol](protocol.html).
 * - `sequential`: every task in turn on the thread that started the map;
 *   for debugging, for functions that must stay on their thread, and for
 *   `n-jobs` = 1.
 *
 * A backend of one's own subclasses `PmapBackend` and implements
 * [vfunc@Pmap.Backend.submit].
 *
 * Since: 1.0
 */

typedef struct
{
  char    *name;
  guint    idle_timeout;
  guint    max_tasks_per_worker;
  guint64  max_worker_memory;
} PmapBackendPrivate;

enum {
  PROP_0,
  PROP_NAME,
  PROP_IDLE_TIMEOUT,
  PROP_MAX_TASKS_PER_WORKER,
  PROP_MAX_WORKER_MEMORY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (PmapBackend, pmap_backend, G_TYPE_OBJECT)

static void
pmap_backend_finalize (GObject *object)
{
  PmapBackend *self = (PmapBackend *)object;
  PmapBackendPrivate *priv = pmap_backend_get_instance_private (self);

  g_clear_pointer (&priv->name, g_free);

  G_OBJECT_CLASS (pmap_backend_parent_class)->finalize (object);
}

static void
pmap_backend_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  PmapBackend *self = PMAP_BACKEND (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, pmap_backend_get_name (self));
      break;

    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, pmap_backend_get_idle_timeout (self));
      break;

    case PROP_MAX_TASKS_PER_WORKER:
      g_value_set_uint (value, pmap_backend_get_max_tasks_per_worker (self));
      break;

    case PROP_MAX_WORKER_MEMORY:
      g_value_set_uint64 (value, pmap_backend_get_max_worker_memory (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pmap_backend_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  PmapBackend *self = PMAP_BACKEND (object);
  PmapBackendPrivate *priv = pmap_backend_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      priv->name = g_value_dup_string (value);
      break;

    case PROP_IDLE_TIMEOUT:
      pmap_backend_set_idle_timeout (self, g_value_get_uint (value));
      break;

    case PROP_MAX_TASKS_PER_WORKER:
      pmap_backend_set_max_tasks_per_worker (self, g_value_get_uint (value));
      break;

    case PROP_MAX_WORKER_MEMORY:
      pmap_backend_set_max_worker_memory (self, g_value_get_uint64 (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Fails the job rather than leaving its caller waiting for ever. */
static void
pmap_backend_real_submit (PmapBackend *self,
                          PmapJob     *job)
{
  guint first, n_tasks;

  g_critical ("%s does not implement PmapBackend.submit()",
              G_OBJECT_TYPE_NAME (self));

  if (pmap_job_claim (job, &first, &n_tasks))
    {
      pmap_job_return_error (job, first,
                             g_error_new (PMAP_ERROR, PMAP_ERROR_FAILED,
                                          "the backend %s does not implement "
                                          "submit(); implement it to claim "
                                          "and run the job's batches",
                                          G_OBJECT_TYPE_NAME (self)));
      pmap_job_end_batch (job, 0);
    }
}

static void
pmap_backend_class_init (PmapBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pmap_backend_finalize;
  object_class->get_property = pmap_backend_get_property;
  object_class->set_property = pmap_backend_set_property;

  klass->submit = pmap_backend_real_submit;

  /**
   * PmapBackend:name:
   *
   * The backend's name, as [func@Pmap.Backend.create] and
   * `PMAP_BACKEND` know it.
   *
   * Since: 1.0
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * PmapBackend:idle-timeout:
   *
   * How many seconds a worker that the backend keeps between maps may stay
   * idle before it exits, as loky's `idle_worker_timeout`; 0 lets workers
   * exit as soon as a map no longer needs them. It applies to workers as
   * their maps give them back. Backends that keep no workers ignore it.
   *
   * Since: 1.0
   */
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_uint ("idle-timeout", NULL, NULL,
                       0, G_MAXUINT / 1000, 300,
                       (G_PARAM_READWRITE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * PmapBackend:max-tasks-per-worker:
   *
   * How many tasks a worker process runs before it is replaced, as
   * loky's `max_tasks_per_child`: a function that leaks memory or other
   * resources cannot pile them up for ever. The count is checked as each
   * batch ends, so a worker finishes the batch it has. 0, the default,
   * sets no limit. Backends without worker processes ignore it.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_TASKS_PER_WORKER] =
    g_param_spec_uint ("max-tasks-per-worker", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READWRITE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * PmapBackend:max-worker-memory:
   *
   * The resident memory, in bytes, past which a worker process is
   * replaced. It is read as each batch ends, so the tasks of the batch
   * keep their results and none is lost. A worker that grows past twice
   * this while it runs a task is killed at once, as it would otherwise
   * take the machine: that task fails with %PMAP_ERROR_MEMORY_LIMIT,
   * which [property@Pmap.Executor:retries] may retry. 0, the default,
   * sets no limit. Backends without worker processes ignore it.
   *
   * Since: 1.0
   */
  properties[PROP_MAX_WORKER_MEMORY] =
    g_param_spec_uint64 ("max-worker-memory", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pmap_backend_init (PmapBackend *self)
{
  PmapBackendPrivate *priv = pmap_backend_get_instance_private (self);

  priv->idle_timeout = 300;
}

/**
 * pmap_backend_create:
 * @name: (not nullable): a backend's name: `threads` (or `threading`),
 *   `processes` (or `loky`) or `sequential`
 * @error: return location for an error
 *
 * Creates a new backend of the kind named @name.
 *
 * Returns: (transfer full): the new backend, or %NULL with
 *   %PMAP_ERROR_UNKNOWN_BACKEND set if no backend has that name
 *
 * Since: 1.0
 */
PmapBackend *
pmap_backend_create (const char  *name,
                           GError     **error)
{
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_str_equal (name, "threads") || g_str_equal (name, "threading"))
    return pmap_threads_backend_new ();

  if (g_str_equal (name, "sequential"))
    return pmap_sequential_backend_new ();

  if (g_str_equal (name, "processes") || g_str_equal (name, "loky"))
    return pmap_processes_backend_new ();

  g_set_error (error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_BACKEND,
               "There is no backend named “%s”; the backends are “threads” "
               "(or “threading”), “processes” (or “loky”) and “sequential”",
               name);
  return NULL;
}

/**
 * pmap_backend_get_name:
 * @self: a backend
 *
 * Gets the backend's name.
 *
 * Returns: (nullable): the name, or %NULL for a backend that gave none
 *
 * Since: 1.0
 */
const char *
pmap_backend_get_name (PmapBackend *self)
{
  PmapBackendPrivate *priv = pmap_backend_get_instance_private (self);

  g_return_val_if_fail (PMAP_IS_BACKEND (self), NULL);

  return priv->name;
}

/**
 * pmap_backend_submit: (virtual submit)
 * @self: a backend
 * @job: the job to run
 *
 * Starts running the tasks of @job and returns, at once or when they are
 * done. The backend claims batches of tasks with [method@Pmap.Job.claim]
 * and runs each with [method@Pmap.Job.run_batch], on whichever threads it
 * likes, until `claim` returns %FALSE; it keeps a reference on @job for as
 * long as it uses it. [class@Pmap.Executor] calls this; a program calls it
 * only to chain up from a backend of its own.
 *
 * Since: 1.0
 */
void
pmap_backend_submit (PmapBackend *self,
                     PmapJob     *job)
{
  g_return_if_fail (PMAP_IS_BACKEND (self));
  g_return_if_fail (PMAP_IS_JOB (job));

  PMAP_BACKEND_GET_CLASS (self)->submit (self, job);
}

/**
 * pmap_backend_shutdown: (virtual shutdown)
 * @self: a backend
 *
 * Stops the workers that the backend keeps between maps and that are idle
 * now, and waits for them to exit, as joblib's
 * `get_reusable_executor().shutdown()`: the next map starts new ones. The
 * `processes` backend shares its workers with every other `processes`
 * backend of the program, so this stops those idle workers too. Backends
 * that keep no workers do nothing.
 *
 * Since: 1.0
 */
void
pmap_backend_shutdown (PmapBackend *self)
{
  g_return_if_fail (PMAP_IS_BACKEND (self));

  if (PMAP_BACKEND_GET_CLASS (self)->shutdown != NULL)
    PMAP_BACKEND_GET_CLASS (self)->shutdown (self);
}

/**
 * pmap_backend_get_idle_timeout:
 * @self: a backend
 *
 * Gets [property@Pmap.Backend:idle-timeout].
 *
 * Returns: the idle timeout of the backend's workers, in seconds
 *
 * Since: 1.0
 */
guint
pmap_backend_get_idle_timeout (PmapBackend *self)
{
  PmapBackendPrivate *priv = pmap_backend_get_instance_private (self);

  g_return_val_if_fail (PMAP_IS_BACKEND (self), 0);

  return priv->idle_timeout;
}

/**
 * pmap_backend_set_idle_timeout:
 * @self: a backend
 * @seconds: how long idle workers wait before they exit
 *
 * Sets [property@Pmap.Backend:idle-timeout].
 *
 * Since: 1.0
 */
void
pmap_backend_set_idle_timeout (PmapBackend *self,
                               guint        seconds)
{
  PmapBackendPrivate *priv = pmap_backend_get_instance_private (self);

  g_return_if_fail (PMAP_IS_BACKEND (self));
  g_return_if_fail (seconds <= G_MAXUINT / 1000);

  if (priv->idle_timeout == seconds)
    return;

  priv->idle_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IDLE_TIMEOUT]);
}

/**
 * pmap_backend_get_max_tasks_per_worker:
 * @self: a backend
 *
 * Gets [property@Pmap.Backend:max-tasks-per-worker].
 *
 * Returns: how many tasks a worker runs before it is replaced, or 0
 *
 * Since: 1.0
 */
guint
pmap_backend_get_max_tasks_per_worker (PmapBackend *self)
{
  PmapBackendPrivate *priv = pmap_backend_get_instance_private (self);

  g_return_val_if_fail (PMAP_IS_BACKEND (self), 0);

  return priv->max_tasks_per_worker;
}

/**
 * pmap_backend_set_max_tasks_per_worker:
 * @self: a backend
 * @max_tasks: how many tasks a worker runs before it is replaced, or 0
 *
 * Sets [property@Pmap.Backend:max-tasks-per-worker].
 *
 * Since: 1.0
 */
void
pmap_backend_set_max_tasks_per_worker (PmapBackend *self,
                                       guint        max_tasks)
{
  PmapBackendPrivate *priv = pmap_backend_get_instance_private (self);

  g_return_if_fail (PMAP_IS_BACKEND (self));

  if (priv->max_tasks_per_worker == max_tasks)
    return;

  priv->max_tasks_per_worker = max_tasks;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_TASKS_PER_WORKER]);
}

/**
 * pmap_backend_get_max_worker_memory:
 * @self: a backend
 *
 * Gets [property@Pmap.Backend:max-worker-memory].
 *
 * Returns: the resident memory in bytes past which a worker is replaced,
 *   or 0
 *
 * Since: 1.0
 */
guint64
pmap_backend_get_max_worker_memory (PmapBackend *self)
{
  PmapBackendPrivate *priv = pmap_backend_get_instance_private (self);

  g_return_val_if_fail (PMAP_IS_BACKEND (self), 0);

  return priv->max_worker_memory;
}

/**
 * pmap_backend_set_max_worker_memory:
 * @self: a backend
 * @bytes: the resident memory past which a worker is replaced, or 0
 *
 * Sets [property@Pmap.Backend:max-worker-memory].
 *
 * Since: 1.0
 */
void
pmap_backend_set_max_worker_memory (PmapBackend *self,
                                    guint64      bytes)
{
  PmapBackendPrivate *priv = pmap_backend_get_instance_private (self);

  g_return_if_fail (PMAP_IS_BACKEND (self));

  if (priv->max_worker_memory == bytes)
    return;

  priv->max_worker_memory = bytes;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_WORKER_MEMORY]);
}

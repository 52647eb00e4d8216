/* pmap-executor.c: the executor type
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The type and its documentation, its properties, each documented where
 * it is installed, and its ::progress signal. The getters and setters
 * that the properties call are in pmap-executor-settings.c, their
 * defaults come from pmap-executor-environment.c, and the maps are in
 * pmap-executor-map.c and pmap-executor-outcomes.c.
 */

#include "config.h"

#include "pmap-executor-state-private.h"
#include "pmap-sequential-backend-private.h"

/**
 * PmapExecutor:
 *
 * Applies a function to every input of a list, in parallel, and returns
 * the results in input order: joblib's `Parallel` for GLib.
 *
 * ```c
 * static GVariant *
 * square (GVariant *input, gpointer user_data, GError **error)
 * {
 *   gint64 x = g_variant_get_int64 (input);
 *   return g_variant_new_int64 (x * x);
 * }
 *
 * g_autoptr(PmapExecutor) executor = pmap_executor_new ();
 * g_autoptr(GPtrArray) results =
 *   pmap_executor_map (executor, inputs, n_inputs, square, NULL, NULL, &error);
 * ```
 *
 * Where the tasks run is the executor's [property@Pmap.Executor:backend];
 * how many run at once is its [property@Pmap.Executor:n-jobs]. Both take
 * their defaults from the environment, as joblib's `parallel_config()`
 * would: `PMAP_BACKEND` names the backend and `PMAP_N_JOBS` the number of
 * jobs.
 *
 * The first task that fails stops the map: no new task starts, the tasks
 * that are running finish, and the map returns that task's error, its
 * message prefixed with the task's index. A cancelled map returns
 * %G_IO_ERROR_CANCELLED in the same way. The `processes` backend does not
 * wait for the tasks that are running: it kills the worker processes that
 * run them.
 *
 * While a map runs, [signal@Pmap.Executor::progress] reports how many
 * tasks are done, on the thread that started the map.
 *
 * Since: 1.0
 */

enum {
  PROGRESS,
  N_SIGNALS
};

GParamSpec *pmap_executor_properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (PmapExecutor, pmap_executor, G_TYPE_OBJECT)

static void
pmap_executor_finalize (GObject *object)
{
  PmapExecutor *self = (PmapExecutor *)object;

  g_clear_object (&self->backend);
  g_clear_object (&self->sequential);
  g_clear_object (&self->serializer);
  g_clear_error (&self->backend_error);
  g_clear_error (&self->serializer_error);
  g_clear_error (&self->n_jobs_error);
  g_clear_pointer (&self->batch_memory, pmap_batch_memory_unref);

  G_OBJECT_CLASS (pmap_executor_parent_class)->finalize (object);
}

static void
pmap_executor_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  PmapExecutor *self = PMAP_EXECUTOR (object);

  switch (prop_id)
    {
    case PROP_N_JOBS:
      g_value_set_int (value, self->n_jobs);
      break;

    case PROP_BACKEND:
      g_value_set_object (value, self->backend);
      break;

    case PROP_BATCH_SIZE:
      g_value_set_uint (value, self->batch_size);
      break;

    case PROP_TIMEOUT:
      g_value_set_double (value, self->timeout);
      break;

    case PROP_RETRIES:
      g_value_set_uint (value, self->retries);
      break;

    case PROP_MAX_NBYTES:
      g_value_set_uint64 (value, self->max_nbytes);
      break;

    case PROP_SERIALIZER:
      g_value_set_object (value, self->serializer);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pmap_executor_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  PmapExecutor *self = PMAP_EXECUTOR (object);

  switch (prop_id)
    {
    case PROP_N_JOBS:
      pmap_executor_set_n_jobs (self, g_value_get_int (value));
      break;

    case PROP_BACKEND:
      pmap_executor_set_backend (self, g_value_get_object (value));
      break;

    case PROP_BATCH_SIZE:
      pmap_executor_set_batch_size (self, g_value_get_uint (value));
      break;

    case PROP_TIMEOUT:
      pmap_executor_set_timeout (self, g_value_get_double (value));
      break;

    case PROP_RETRIES:
      pmap_executor_set_retries (self, g_value_get_uint (value));
      break;

    case PROP_MAX_NBYTES:
      pmap_executor_set_max_nbytes (self, g_value_get_uint64 (value));
      break;

    case PROP_SERIALIZER:
      pmap_executor_set_serializer (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pmap_executor_class_init (PmapExecutorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pmap_executor_finalize;
  object_class->get_property = pmap_executor_get_property;
  object_class->set_property = pmap_executor_set_property;

  /**
   * PmapExecutor:n-jobs:
   *
   * How many tasks may run at once, as joblib's `n_jobs`: a positive
   * number is taken as it is, and 1 runs every task in turn on the calling
   * thread; -1 means one per processor, -2 all but one, and so on. Zero is
   * not allowed.
   *
   * Defaults to `PMAP_N_JOBS` when the environment sets it, else to -1.
   *
   * Since: 1.0
   */
  pmap_executor_properties[PROP_N_JOBS] =
    g_param_spec_int ("n-jobs", NULL, NULL,
                      G_MININT, G_MAXINT, -1,
                      (G_PARAM_READWRITE |
                       G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS));

  /**
   * PmapExecutor:backend:
   *
   * Where the tasks run. Defaults to the backend that `PMAP_BACKEND`
   * names when the environment sets it, else to `threads`; setting %NULL
   * restores that default. It is %NULL while `PMAP_BACKEND` names no
   * backend, and maps then fail with %PMAP_ERROR_UNKNOWN_BACKEND.
   *
   * Since: 1.0
   */
  pmap_executor_properties[PROP_BACKEND] =
    g_param_spec_object ("backend", NULL, NULL,
                         PMAP_TYPE_BACKEND,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * PmapExecutor:batch-size:
   *
   * How many consecutive tasks a worker takes at a time. Zero, the
   * default, sizes batches automatically from how long the tasks take, as
   * measured on the batches that ended: a single task first, then large
   * batches while much work is left and smaller ones at the end, none
   * shorter than what handing it out costs the backend, nor longer than
   * about 50 ms, so that many tiny tasks cost little more than a loop and
   * slow ones still spread over every worker. See
   * [How tasks are handed out](backends.html#how-tasks-are-handed-out).
   *
   * Since: 1.0
   */
  pmap_executor_properties[PROP_BATCH_SIZE] =
    g_param_spec_uint ("batch-size", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READWRITE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * PmapExecutor:timeout:
   *
   * How long, in seconds, one task may run; 0, the default, sets no
   * limit. A task that runs longer fails with %PMAP_ERROR_TIMED_OUT, which
   * stops the map as any failure does, and the worker process running it
   * is killed and replaced. Its clock starts when the task starts, not
   * when the map does. joblib's `timeout`.
   *
   * Only the `processes` backend enforces it: the `threads` and
   * `sequential` backends run each call to its end, since a thread cannot
   * be stopped from outside.
   *
   * Since: 1.0
   */
  pmap_executor_properties[PROP_TIMEOUT] =
    g_param_spec_double ("timeout", NULL, NULL,
                         0, G_MAXDOUBLE, 0,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * PmapExecutor:retries:
   *
   * How many times a task runs again when the worker process running it
   * dies or is killed by [property@Pmap.Executor:timeout], on a new
   * worker, before the map fails with that error, whose message then says
   * how many times the task was tried. Tasks that fail with an error of
   * their own are not tried again. The tasks of the batch that the worker
   * had answered keep their results. Default: 0.
   *
   * Only the `processes` backend runs tasks again: on the others, a task
   * that crashes takes the program with it.
   *
   * Since: 1.0
   */
  pmap_executor_properties[PROP_RETRIES] =
    g_param_spec_uint ("retries", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READWRITE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * PmapExecutor:max-nbytes:
   *
   * From how many bytes on a value is large, for the `processes` backend,
   * as joblib's `max_nbytes`. A message to a worker of this size or more
   * travels as a sealed memfd that the worker maps read-only, not through
   * the channel; and a large array or string that many inputs share (one
   * #GVariant, or variants made with g_variant_new_from_bytes() over one
   * #GBytes) is sent once to each worker, which keeps it mapped for the
   * map, instead of once per task. Default: 1 MiB (1048576); the least is
   * 4096. A value larger than any input turns sharing off.
   *
   * The other backends do not copy values, and ignore it. See
   * [Large payloads](large-payloads.html).
   *
   * Since: 1.0
   */
  pmap_executor_properties[PROP_MAX_NBYTES] =
    g_param_spec_uint64 ("max-nbytes", NULL, NULL,
                         PMAP_MIN_MAX_NBYTES, G_MAXUINT64, PMAP_DEFAULT_MAX_NBYTES,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * PmapExecutor:serializer:
   *
   * How the function and the values travel to worker processes, for
   * backends that use them. Defaults to the serializer that
   * `PMAP_SERIALIZER` names when the environment sets it, else to
   * `general`; setting %NULL restores that default. It is %NULL while
   * `PMAP_SERIALIZER` names no serializer, and maps then fail with
   * %PMAP_ERROR_UNKNOWN_SERIALIZER.
   *
   * Since: 1.0
   */
  pmap_executor_properties[PROP_SERIALIZER] =
    g_param_spec_object ("serializer", NULL, NULL,
                         PMAP_TYPE_SERIALIZER,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, pmap_executor_properties);

  /**
   * PmapExecutor::progress:
   * @self: the executor
   * @n_done: how many tasks have finished
   * @n_tasks: how many tasks the map has
   *
   * Reports a map's progress, on the thread that started it: during a
   * blocking map, from inside [method@Pmap.Executor.map]; during an
   * asynchronous one, from the thread-default main context of the caller
   * of [method@Pmap.Executor.map_async]. It is emitted as batches finish,
   * not for every task, and a successful map ends with @n_done equal to
   * @n_tasks; a map with no task emits nothing. A map started inside a
   * task of another map, which runs on a worker's thread, emits nothing
   * either.
   *
   * Since: 1.0
   */
  signals[PROGRESS] =
    g_signal_new ("progress",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
}

static void
pmap_executor_init (PmapExecutor *self)
{
  self->sequential = pmap_sequential_backend_new ();
  self->max_nbytes = PMAP_DEFAULT_MAX_NBYTES;
  self->batch_memory = pmap_batch_memory_new ();
  self->n_jobs = pmap_executor_default_n_jobs (&self->n_jobs_error);
  self->backend = pmap_executor_default_backend (&self->backend_error);
  self->serializer = pmap_executor_default_serializer (&self->serializer_error);
}

/**
 * pmap_executor_new:
 *
 * Creates an executor with the default settings: see
 * [property@Pmap.Executor:backend] and [property@Pmap.Executor:n-jobs].
 *
 * Returns: (transfer full): a new executor
 *
 * Since: 1.0
 */
PmapExecutor *
pmap_executor_new (void)
{
  return g_object_new (PMAP_TYPE_EXECUTOR, NULL);
}

/* The backend of maps that run in the calling thread: those of one job,
 * and those started inside a task. */
PmapBatchMemory *
pmap_executor_get_batch_memory (PmapExecutor *self)
{
  return self->batch_memory;
}

PmapBackend *
pmap_executor_get_sequential_backend (PmapExecutor *self)
{
  return self->sequential;
}

/* A PmapProgressFunc that emits ::progress on the executor @target. */
void
pmap_executor_emit_progress (gpointer target,
                             guint    n_done,
                             guint    n_tasks)
{
  g_signal_emit (target, signals[PROGRESS], 0, n_done, n_tasks);
}

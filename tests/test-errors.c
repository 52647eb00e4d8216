/* test-errors.c: failing tasks and cancellation, in blocking and
 * asynchronous maps
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "pmap-test-util.h"

/* How a test runs its maps. */
typedef struct
{
  const char *name;
  gboolean    async;
  const char *backend;
  int         n_jobs;
} Setup;

static const Setup threads = { "threads", FALSE, "threads", 2 };
static const Setup async_threads = { "async-threads", TRUE, "threads", 2 };
static const Setup sequential = { "sequential", FALSE, "sequential", 2 };
static const Setup async_sequential = { "async-sequential", TRUE, "sequential", 2 };
static const Setup one_job = { "one-job", FALSE, "threads", 1 };
static const Setup async_one_job = { "async-one-job", TRUE, "threads", 1 };

static PmapExecutor *
executor_new_for (const Setup *setup,
                  guint        batch_size)
{
  g_autoptr(PmapBackend) backend = pmap_backend_create (setup->backend, NULL);

  return g_object_new (PMAP_TYPE_EXECUTOR,
                       "backend", backend,
                       "n-jobs", setup->n_jobs,
                       "batch-size", batch_size,
                       NULL);
}

/* Runs a map that must fail, and returns its error. */
static GError *
map_expecting_error (const Setup  *setup,
                     PmapExecutor *executor,
                     TestProbe    *probe,
                     guint         n_items,
                     GCancellable *cancellable)
{
  g_autoptr(GPtrArray) results = NULL;
  GError *error = NULL;

  if (setup->async)
    results = test_map_async (executor, probe, n_items, cancellable, &error);
  else
    results = test_map (executor, probe, n_items, cancellable, &error);
  g_assert_null (results);
  g_assert_nonnull (error);

  return error;
}

/* The failing task's error keeps its domain and code, names the task's
 * index, and stops the rest of a long map on the threads backend. */
static void
test_task_error_threads (gconstpointer data)
{
  const guint n_items = 2000;
  g_autoptr(PmapExecutor) executor = executor_new_for (data, 0);
  g_autoptr(GError) error = NULL;
  TestProbe probe;

  test_probe_init (&probe);
  probe.fail_at = 3;
  probe.sleep_us = 1000;
  error = map_expecting_error (data, executor, &probe, n_items, NULL);

  test_assert_task_error (error, 3);
  /* Had the map gone on, every input would have been called, or at
   * least the whole batch that was running. */
  g_assert_cmpint (probe.n_calls, <, TEST_STOPPED_MAP_MAX_CALLS (n_items));
  test_probe_clear (&probe);
}

/* On the calling thread, nothing runs after the failing task. */
static void
test_task_error_calling_thread (gconstpointer data)
{
  g_autoptr(PmapExecutor) executor = executor_new_for (data, 0);
  g_autoptr(GError) error = NULL;
  TestProbe probe;

  test_probe_init (&probe);
  probe.fail_at = 41;
  error = map_expecting_error (data, executor, &probe, 100, NULL);

  test_assert_task_error (error, 41);
  g_assert_cmpint (probe.n_calls, ==, 41 + 1);
  g_assert_true (test_probe_ran_only_on (&probe, g_thread_self ()));
  test_probe_clear (&probe);
}

/* NULL with no error is a failure of its own kind. */
static void
test_missing_result (gconstpointer data)
{
  const Setup *setup = data;
  g_autoptr(PmapExecutor) executor = executor_new_for (setup, 0);
  g_autoptr(GError) error = NULL;
  TestProbe probe;

  test_probe_init (&probe);
  probe.missing_at = 250;
  error = map_expecting_error (setup, executor, &probe, 500, NULL);

  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_MISSING_RESULT);
  g_assert_true (g_str_has_prefix (error->message, "Task 250 failed: "));
  if (setup->n_jobs == 1)
    g_assert_cmpint (probe.n_calls, ==, 250 + 1);
  test_probe_clear (&probe);
}

/* A map whose cancellable is already cancelled calls nothing. */
static void
test_cancelled_before (gconstpointer data)
{
  g_autoptr(PmapExecutor) executor = executor_new_for (data, 0);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  TestProbe probe;

  g_cancellable_cancel (cancellable);

  test_probe_init (&probe);
  error = map_expecting_error (data, executor, &probe, 100, cancellable);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (probe.n_calls, ==, 0);
  test_probe_clear (&probe);
}

typedef struct
{
  TestProbe    *probe;
  GCancellable *cancellable;
} Canceller;

static gpointer
cancel_after_ten_calls (gpointer data)
{
  Canceller *canceller = data;

  while (g_atomic_int_get (&canceller->probe->n_calls) < 10)
    g_usleep (500);

  g_cancellable_cancel (canceller->cancellable);
  return NULL;
}

/* Cancelled from a thread of its own while tasks run: the map returns
 * CANCELLED once the running tasks have returned, and the rest never run. */
static void
test_cancelled_from_thread (gconstpointer data)
{
  const guint n_items = 1000;
  g_autoptr(PmapExecutor) executor = executor_new_for (data, 1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Canceller canceller;
  GThread *thread;
  TestProbe probe;

  test_probe_init (&probe);
  probe.sleep_us = 1000;
  canceller.probe = &probe;
  canceller.cancellable = cancellable;
  thread = g_thread_new ("canceller", cancel_after_ten_calls, &canceller);

  error = map_expecting_error (data, executor, &probe, n_items, cancellable);
  g_thread_join (thread);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (probe.n_calls, >=, 10);
  g_assert_cmpint (probe.n_calls, <, n_items / 2);
  test_probe_clear (&probe);
}

/* Cancelled by a task, on a pool thread, which stops the batches that are
 * running too. */
static void
test_cancelled_from_task (gconstpointer data)
{
  const guint n_items = 2000;
  g_autoptr(PmapExecutor) executor = executor_new_for (data, 0);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  TestProbe probe;

  test_probe_init (&probe);
  probe.sleep_us = 1000;
  probe.cancellable = cancellable;
  probe.cancel_after = 4;
  error = map_expecting_error (data, executor, &probe, n_items, cancellable);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (probe.n_calls, >=, 4);
  g_assert_cmpint (probe.n_calls, <, TEST_STOPPED_MAP_MAX_CALLS (n_items));
  test_probe_clear (&probe);
}

/* Cancelled from the progress handler, on the caller's thread or main
 * context. On the sequential backend no task starts after it. */
static void
test_cancelled_from_progress (gconstpointer data)
{
  const guint n_items = 1000;
  const Setup *setup = data;
  gboolean on_pool = g_str_equal (setup->backend, "threads");
  g_autoptr(PmapExecutor) executor = executor_new_for (setup, 5);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  TestProgress progress;
  TestProbe probe;

  test_progress_init (&progress, executor);
  progress.cancellable = cancellable;
  progress.cancel_at = 10;

  test_probe_init (&probe);
  probe.sleep_us = on_pool ? 1000 : 0;
  error = map_expecting_error (setup, executor, &probe, n_items, cancellable);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (progress.other_thread);
  if (on_pool)
    g_assert_cmpint (probe.n_calls, <, n_items / 2);
  else
    g_assert_cmpint (probe.n_calls, ==, 10);

  test_probe_clear (&probe);
  test_progress_clear (&progress);
}

static void
add_test (const char    *name,
          const Setup   *setup,
          GTestDataFunc  func)
{
  g_autofree char *path = g_strdup_printf ("/Pmap/Errors/%s/%s", name, setup->name);

  g_test_add_data_func (path, setup, func);
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);

  add_test ("task-error", &threads, test_task_error_threads);
  add_test ("task-error", &async_threads, test_task_error_threads);
  add_test ("task-error", &sequential, test_task_error_calling_thread);
  add_test ("task-error", &one_job, test_task_error_calling_thread);
  add_test ("task-error", &async_sequential, test_task_error_calling_thread);
  add_test ("task-error", &async_one_job, test_task_error_calling_thread);
  add_test ("missing-result", &threads, test_missing_result);
  add_test ("missing-result", &one_job, test_missing_result);
  add_test ("missing-result", &async_threads, test_missing_result);
  add_test ("cancelled-before", &threads, test_cancelled_before);
  add_test ("cancelled-before", &one_job, test_cancelled_before);
  add_test ("cancelled-before", &async_threads, test_cancelled_before);
  add_test ("cancelled-before", &async_one_job, test_cancelled_before);
  add_test ("cancelled-from-thread", &threads, test_cancelled_from_thread);
  add_test ("cancelled-from-thread", &async_threads, test_cancelled_from_thread);
  add_test ("cancelled-from-task", &threads, test_cancelled_from_task);
  add_test ("cancelled-from-task", &async_threads, test_cancelled_from_task);
  add_test ("cancelled-from-progress", &threads, test_cancelled_from_progress);
  add_test ("cancelled-from-progress", &sequential, test_cancelled_from_progress);
  add_test ("cancelled-from-progress", &async_threads, test_cancelled_from_progress);

  return g_test_run ();
}

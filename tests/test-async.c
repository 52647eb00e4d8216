/* test-async.c: pmap_executor_map_async() on a main loop; its errors and
 * cancellation are in test-errors.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "pmap-test-util.h"

/* Results and progress of a map on the pool; data is the batch size. */
static void
test_results (gconstpointer data)
{
  const guint n_items = 3000;
  guint batch_size = GPOINTER_TO_UINT (data);
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  TestProgress progress;
  TestProbe probe;

  pmap_executor_set_n_jobs (executor, 2);
  pmap_executor_set_batch_size (executor, batch_size);
  test_progress_init (&progress, executor);
  test_probe_init (&probe);

  results = test_map_async (executor, &probe, n_items, NULL, &error);
  g_assert_no_error (error);
  test_assert_squares (results, n_items);
  g_assert_cmpint (probe.n_calls, ==, n_items);
  test_progress_assert (&progress, n_items,
                        batch_size > 0 ? n_items / batch_size : n_items);

  test_probe_clear (&probe);
  test_progress_clear (&progress);
}

/* With n-jobs 1, or on the sequential backend, the tasks run on the
 * calling thread, before map_async() returns; data is the backend name. */
static void
test_on_calling_thread (gconstpointer data)
{
  const guint n_items = 200;
  g_autoptr(PmapBackend) backend = pmap_backend_create (data, NULL);
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(GPtrArray) items = test_items_new (n_items);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  TestAsync async;
  TestProbe probe;

  pmap_executor_set_backend (executor, backend);
  if (g_str_equal (data, "threads"))
    pmap_executor_set_n_jobs (executor, 1);

  test_probe_init (&probe);
  test_async_init (&async);
  pmap_executor_map_async (executor, (GVariant **) items->pdata, n_items,
                           test_probe_square, &probe, NULL,
                           NULL, test_async_ready, &async);
  g_assert_cmpint (probe.n_calls, ==, n_items);
  g_assert_null (async.result);

  results = pmap_executor_map_finish (executor, test_async_wait (&async), &error);
  g_assert_no_error (error);
  test_assert_squares (results, n_items);
  g_assert_true (test_probe_ran_only_on (&probe, g_thread_self ()));

  test_async_clear (&async);
  test_probe_clear (&probe);
}

static void
test_no_items (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  TestProbe probe;

  test_probe_init (&probe);
  results = test_map_async (executor, &probe, 0, NULL, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 0);
  g_assert_cmpint (probe.n_calls, ==, 0);
  test_probe_clear (&probe);
}

/* A thread with a main context of its own gets its callback, progress and
 * destroy notify there, while the main thread runs a map of its own. */
static gpointer
map_on_own_context (gpointer data)
{
  GMainContext *context = g_main_context_new ();
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  TestProgress progress;
  TestProbe probe;

  g_main_context_push_thread_default (context);
  pmap_executor_set_n_jobs (executor, 2);
  pmap_executor_set_batch_size (executor, 10);
  test_progress_init (&progress, executor);
  test_probe_init (&probe);
  probe.sleep_us = 200;

  results = test_map_async (executor, &probe, 500, NULL, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 500);
  test_progress_assert (&progress, 500, 500 / 10);

  test_probe_clear (&probe);
  test_progress_clear (&progress);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);

  return NULL;
}

static void
test_thread_default_context (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  GThread *thread;
  TestProbe probe;

  thread = g_thread_new ("own-context", map_on_own_context, NULL);

  test_probe_init (&probe);
  probe.sleep_us = 200;
  results = test_map_async (executor, &probe, 500, NULL, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 500);
  test_probe_clear (&probe);

  g_thread_join (thread);
}

/* A bad argument warns, as g_return_if_fail() does, and still calls back
 * with an error, so that a caller waiting for the callback (Vala's yield)
 * does not wait for ever; the function's data is released. */
static void
test_bad_arguments_call_back (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  GVariant *inputs[] = { g_variant_new_int64 (1) };
  TestProbe probe;
  TestAsync state;
  g_autoptr(GError) error = NULL;

  g_variant_ref_sink (inputs[0]);
  test_probe_init (&probe);

  test_async_init (&state);
  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_executor_map_async: assertion 'func != NULL' failed");
  pmap_executor_map_async (executor, inputs, 1, NULL, &probe, test_probe_destroy, NULL,
                           test_async_ready, &state);
  g_test_assert_expected_messages ();
  g_assert_null (pmap_executor_map_finish (executor, test_async_wait (&state), &error));
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_FAILED);
  g_assert_cmpint (probe.n_destroyed, ==, 1);
  g_clear_error (&error);
  test_async_clear (&state);

  test_async_init (&state);
  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_executor_map_by_name_async: assertion 'name != NULL' failed");
  pmap_executor_map_by_name_async (executor, NULL, inputs, 1, NULL, test_async_ready, &state);
  g_test_assert_expected_messages ();
  g_assert_null (pmap_executor_map_by_name_finish (executor, test_async_wait (&state), &error));
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "name != NULL"));
  test_async_clear (&state);

  test_probe_clear (&probe);
  g_variant_unref (inputs[0]);
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);

  g_test_add_data_func ("/Pmap/Async/results/batch-size-0", GUINT_TO_POINTER (0), test_results);
  g_test_add_data_func ("/Pmap/Async/results/batch-size-1", GUINT_TO_POINTER (1), test_results);
  g_test_add_data_func ("/Pmap/Async/results/batch-size-50", GUINT_TO_POINTER (50), test_results);
  g_test_add_data_func ("/Pmap/Async/calling-thread/one-job", "threads", test_on_calling_thread);
  g_test_add_data_func ("/Pmap/Async/calling-thread/sequential", "sequential", test_on_calling_thread);
  g_test_add_func ("/Pmap/Async/no-items", test_no_items);
  g_test_add_func ("/Pmap/Async/bad-arguments-call-back", test_bad_arguments_call_back);
  g_test_add_func ("/Pmap/Async/thread-default-context", test_thread_default_context);

  return g_test_run ();
}

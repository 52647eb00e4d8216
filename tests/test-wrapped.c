/* test-wrapped.c: PmapWrapped: in this process, and sent to worker
 * processes by value
 *
 * Built twice, as test-serializer-processes.c is: with TEST_HOSTS_WORKERS
 * 1, the program is its own workers' program, and runs the tests that send
 * its functions to them; with 0, it runs the others.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <unistd.h>

#include "pmap-test-util.h"

/* The input that remote_square() fails on. */
#define UNSQUARABLE 7

/* x → (x², the id of the process that computed it); fails on UNSQUARABLE
 * as test_probe_square() does. It is registered nowhere. */
static GVariant *
remote_square (GVariant  *input,
               gpointer   user_data,
               GError   **error)
{
  gint64 x = g_variant_get_int64 (input);

  if (x == UNSQUARABLE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "no square for %" G_GINT64_FORMAT, x);
      return NULL;
    }

  return g_variant_new ("(xi)", x * x, (gint32) getpid ());
}

static gint64
square_of (gint64 x)
{
  return x * x;
}

typedef struct
{
  const char *backend;
  gboolean    async;
} WrappedSetup;

static const WrappedSetup threads = { "threads", FALSE };
static const WrappedSetup async_threads = { "threads", TRUE };
static const WrappedSetup sequential = { "sequential", FALSE };
static const WrappedSetup async_sequential = { "sequential", TRUE };

/* In this process a wrapped function is called as it is, with its user
 * data, whatever the serializer (here the strict variant one). The
 * wrapper keeps its data until it goes, then frees it once, here. */
static void
test_in_process (gconstpointer data)
{
  const WrappedSetup *setup = data;
  g_autoptr(PmapExecutor) executor = test_executor_new_named (setup->backend, "variant");
  PmapWrapped *wrapped;
  TestProbe probe;

  test_probe_init (&probe);
  wrapped = pmap_wrapped_new (test_probe_square, &probe, test_probe_destroy);

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;

      results = test_map_wrapped (executor, wrapped, 300, setup->async, &error);
      g_assert_no_error (error);
      test_assert_squares (results, 300);
    }

  g_assert_cmpint (probe.n_calls, ==, 600);
  g_assert_cmpint (g_atomic_int_get (&probe.n_running), ==, 0);
  if (g_str_equal (setup->backend, "sequential"))
    g_assert_true (test_probe_ran_only_on (&probe, g_thread_self ()));
  else
    g_assert_false (g_hash_table_contains (probe.threads, g_thread_self ()));

  g_assert_cmpint (probe.n_destroyed, ==, 0);
  g_object_unref (wrapped);
  g_assert_cmpint (probe.n_destroyed, ==, 1);
  g_assert_true (probe.destroy_thread == g_thread_self ());

  test_probe_clear (&probe);
}

/* An asynchronous map keeps the wrapper its caller let go of until the map
 * has completed, and the last reference goes on the caller's thread. */
static void
test_async_keeps_wrapper (void)
{
  g_autoptr(PmapExecutor) executor = test_executor_new_named ("threads", "general");
  g_autoptr(GPtrArray) items = test_items_new (200);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  PmapWrapped *wrapped;
  TestAsync state;
  TestProbe probe;

  test_probe_init (&probe);
  probe.sleep_us = 500;
  test_async_init (&state);
  wrapped = pmap_wrapped_new (test_probe_square, &probe, test_probe_destroy);

  pmap_executor_map_wrapped_async (executor, wrapped, (GVariant **) items->pdata,
                                   items->len, NULL, test_async_ready, &state);
  g_object_unref (wrapped);
  g_assert_cmpint (probe.n_destroyed, ==, 0);

  results = pmap_executor_map_wrapped_finish (executor, test_async_wait (&state), &error);
  g_assert_no_error (error);
  test_assert_squares (results, 200);
  g_assert_cmpint (probe.n_destroyed, ==, 0);

  test_async_clear (&state);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (probe.n_destroyed, ==, 1);
  g_assert_true (probe.destroy_thread == g_thread_self ());
  test_probe_clear (&probe);
}

/* A task's error names the task, as with any other map. */
static void
test_task_error (gconstpointer data)
{
  const WrappedSetup *setup = data;
  g_autoptr(PmapExecutor) executor = test_executor_new_named (setup->backend, "general");
  g_autoptr(PmapWrapped) wrapped = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  TestProbe probe;

  test_probe_init (&probe);
  probe.fail_at = 5;
  wrapped = pmap_wrapped_new (test_probe_square, &probe, NULL);

  results = test_map_wrapped (executor, wrapped, 100, setup->async, &error);
  g_assert_null (results);
  test_assert_task_error (error, 5);
  test_probe_clear (&probe);
}

/* Programming errors: a critical, and the call does nothing. */
/* A bad argument still ends in the callback, with an error, so that a
 * caller waiting for it does not wait for ever. */
typedef GPtrArray *(*MapFinish) (PmapExecutor  *executor,
                                 GAsyncResult  *result,
                                 GError       **error);

static void
assert_called_back_with_error (PmapExecutor *executor,
                               TestAsync    *state,
                               MapFinish     finish)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (finish (executor, test_async_wait (state), &error));
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "invalid argument"));
  test_async_clear (state);
  test_async_init (state);
}

static void
test_preconditions (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(PmapWrapped) without_func = g_object_new (PMAP_TYPE_WRAPPED, NULL);
  g_autoptr(GPtrArray) items = test_items_new (2);
  GVariant **inputs = (GVariant **) items->pdata;
  TestAsync state;
  TestProbe probe;

  test_probe_init (&probe);
  test_async_init (&state);

  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_wrapped_new: assertion 'func != NULL' failed");
  g_assert_null (pmap_wrapped_new (NULL, &probe, test_probe_destroy));
  g_test_assert_expected_messages ();
  g_assert_cmpint (probe.n_destroyed, ==, 0);

  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_executor_map_wrapped: assertion 'PMAP_IS_WRAPPED (wrapped)' failed");
  g_assert_null (pmap_executor_map_wrapped (executor, NULL, inputs, 2, NULL, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_executor_map_wrapped: assertion 'PMAP_IS_WRAPPED (wrapped)' failed");
  g_assert_null (pmap_executor_map_wrapped (executor, (PmapWrapped *) executor, inputs, 2, NULL, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_executor_map_wrapped_async: assertion 'PMAP_IS_WRAPPED (wrapped)' failed");
  pmap_executor_map_wrapped_async (executor, NULL, inputs, 2, NULL, test_async_ready, &state);
  g_test_assert_expected_messages ();
  assert_called_back_with_error (executor, &state, pmap_executor_map_wrapped_finish);

  /* A wrapper made with g_object_new(), as bindings allow, has no
   * function to call. */
  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_executor_map_wrapped: assertion 'pmap_wrapped_get_callable (wrapped) != NULL' failed");
  g_assert_null (pmap_executor_map_wrapped (executor, without_func, inputs, 2, NULL, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_executor_map_wrapped_async: assertion 'pmap_wrapped_get_callable (wrapped) != NULL' failed");
  pmap_executor_map_wrapped_async (executor, without_func, inputs, 2, NULL, test_async_ready, &state);
  g_test_assert_expected_messages ();
  assert_called_back_with_error (executor, &state, pmap_executor_map_wrapped_finish);

  /* The maps that give outcomes check the same. */
  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_executor_map_wrapped_outcomes: assertion 'PMAP_IS_WRAPPED (wrapped)' failed");
  g_assert_null (pmap_executor_map_wrapped_outcomes (executor, NULL, inputs, 2, NULL, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_executor_map_wrapped_outcomes_async: assertion "
                         "'pmap_wrapped_get_callable (wrapped) != NULL' failed");
  pmap_executor_map_wrapped_outcomes_async (executor, without_func, inputs, 2, NULL,
                                            test_async_ready, &state);
  g_test_assert_expected_messages ();
  assert_called_back_with_error (executor, &state, pmap_executor_map_wrapped_outcomes_finish);

  /* The result of a plain map is not one of map_wrapped_async(). */
  pmap_executor_map_async (executor, inputs, 2, test_probe_square, &probe, NULL, NULL,
                           test_async_ready, &state);
  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_executor_map_wrapped_finish: assertion 'pmap_executor_is_map_result "
                         "(self, result, pmap_executor_map_wrapped_async)' failed");
  g_assert_null (pmap_executor_map_wrapped_finish (executor, test_async_wait (&state), NULL));
  g_test_assert_expected_messages ();

  /* Only the plain map ran. */
  g_assert_cmpint (probe.n_calls, ==, 2);
  test_async_clear (&state);
  test_probe_clear (&probe);
}

/* A wrapped function travels by value under either serializer, where the
 * variant one refuses the same function unwrapped. Data: the serializer's
 * name. */
static void
test_remote (gconstpointer data)
{
  g_autoptr(PmapExecutor) executor = test_executor_new_named ("processes", data);
  g_autoptr(PmapWrapped) wrapped = pmap_wrapped_new (remote_square, NULL, NULL);
  g_autoptr(GPtrArray) items = test_items_new (UNSQUARABLE);
  g_autoptr(GPtrArray) unwrapped = NULL;
  g_autoptr(GError) error = NULL;

  for (guint async = 0; async < 2; async++)
    {
      g_autoptr(GPtrArray) results = test_map_wrapped (executor, wrapped, UNSQUARABLE, async, &error);

      g_assert_no_error (error);
      test_assert_remote_results (results, UNSQUARABLE, square_of, 2);
    }

  unwrapped = pmap_executor_map (executor, (GVariant **) items->pdata, items->len,
                                 remote_square, NULL, NULL, &error);
  if (g_str_equal (data, "variant"))
    {
      g_assert_null (unwrapped);
      g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
    }
  else
    {
      g_assert_no_error (error);
      test_assert_remote_results (unwrapped, UNSQUARABLE, square_of, 2);
    }
}

/* The worker's error comes back with its domain and code, and the index
 * of the task. */
static void
test_remote_task_error (void)
{
  g_autoptr(PmapExecutor) executor = test_executor_new_named ("processes", "variant");
  g_autoptr(PmapWrapped) wrapped = pmap_wrapped_new (remote_square, NULL, NULL);

  for (guint async = 0; async < 2; async++)
    {
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;

      results = test_map_wrapped (executor, wrapped, 3 * UNSQUARABLE, async, &error);
      g_assert_null (results);
      test_assert_task_error (error, UNSQUARABLE);
    }
}

/* User data means nothing in a worker: a wrapped function that has some
 * is refused, and its data stays with the wrapper, freed once with it. */
static void
test_remote_user_data (gconstpointer data)
{
  static const char *const phrases[] = { "user data", "worker process", NULL };
  g_autoptr(PmapExecutor) executor = test_executor_new_named ("processes", data);
  PmapWrapped *wrapped;
  TestProbe probe;

  test_probe_init (&probe);
  wrapped = pmap_wrapped_new (test_probe_square, &probe, test_probe_destroy);

  for (guint async = 0; async < 2; async++)
    {
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;

      results = test_map_wrapped (executor, wrapped, 10, async, &error);
      g_assert_null (results);
      g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
      for (guint i = 0; phrases[i] != NULL; i++)
        g_assert_nonnull (strstr (error->message, phrases[i]));
    }

  g_assert_cmpint (probe.n_calls, ==, 0);
  g_assert_cmpint (probe.n_destroyed, ==, 0);
  g_object_unref (wrapped);
  g_assert_cmpint (probe.n_destroyed, ==, 1);
  test_probe_clear (&probe);
}

/* Without pmap_host_workers(), the workers run the pmap-worker helper,
 * which cannot load this program: wrapping a function of the program does
 * not make it travel, and the error says what does. */
static void
test_program_not_hosting (void)
{
  g_autoptr(PmapExecutor) executor = test_executor_new_named ("processes", "variant");
  g_autoptr(PmapWrapped) wrapped = pmap_wrapped_new (remote_square, NULL, NULL);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = test_map_wrapped (executor, wrapped, 10, FALSE, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
  g_assert_nonnull (strstr (error->message, "pmap_host_workers()"));
}

int
main (int   argc,
      char *argv[])
{
  /* In a worker, pmap_host_workers() serves the parent and exits. */
  if (TEST_HOSTS_WORKERS)
    pmap_host_workers ();

  test_init (&argc, &argv);

  if (TEST_HOSTS_WORKERS)
    {
      g_test_add_data_func ("/Pmap/Wrapped/hosted/variant", "variant", test_remote);
      g_test_add_data_func ("/Pmap/Wrapped/hosted/general", "general", test_remote);
      g_test_add_func ("/Pmap/Wrapped/hosted/task-error", test_remote_task_error);
      return g_test_run ();
    }

  g_test_add_data_func ("/Pmap/Wrapped/in-process/threads", &threads, test_in_process);
  g_test_add_data_func ("/Pmap/Wrapped/in-process/async-threads", &async_threads, test_in_process);
  g_test_add_data_func ("/Pmap/Wrapped/in-process/sequential", &sequential, test_in_process);
  g_test_add_data_func ("/Pmap/Wrapped/in-process/async-sequential", &async_sequential, test_in_process);
  g_test_add_func ("/Pmap/Wrapped/async-keeps-wrapper", test_async_keeps_wrapper);
  g_test_add_data_func ("/Pmap/Wrapped/task-error/threads", &threads, test_task_error);
  g_test_add_data_func ("/Pmap/Wrapped/task-error/async-sequential", &async_sequential, test_task_error);
  g_test_add_func ("/Pmap/Wrapped/preconditions", test_preconditions);
  g_test_add_data_func ("/Pmap/Wrapped/processes/user-data/variant", "variant", test_remote_user_data);
  g_test_add_data_func ("/Pmap/Wrapped/processes/user-data/general", "general", test_remote_user_data);
  g_test_add_func ("/Pmap/Wrapped/processes/program-not-hosting", test_program_not_hosting);

  return g_test_run ();
}

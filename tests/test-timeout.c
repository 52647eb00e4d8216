/* test-timeout.c: the executor's per-task timeout
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Workers run the pmap-worker helper, which loads the test module and its
 * "test.sleep-ms" (ms → ms, after sleeping that long).
 */

#include "pmap-test-processes-util.h"

#define TIMEOUT_S 0.5
#define LONG_MS 60000

static GPtrArray *
sleep_items_new (const gint64 *ms,
                 guint         n_items)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  for (guint i = 0; i < n_items; i++)
    g_ptr_array_add (items, g_variant_ref_sink (g_variant_new_int64 (ms[i])));

  return items;
}

static GPtrArray *
map_sleeps (PmapExecutor  *executor,
            GPtrArray     *items,
            GError       **error)
{
  return pmap_executor_map_by_name (executor, "test.sleep-ms", (GVariant **) items->pdata,
                                    items->len, NULL, error);
}

/* The executor's next map works. */
static void
assert_squares_map (PmapExecutor *executor)
{
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 50);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = pmap_executor_map_by_name (executor, "test.square", (GVariant **) items->pdata,
                                       items->len, NULL, &error);
  g_assert_no_error (error);
  test_assert_squares (results, items->len);
}

/* The task that runs too long fails with TIMED_OUT, soon after the
 * timeout and not after the task would have ended; its worker is killed
 * and replaced, the next map succeeds, and nothing is left behind. */
static void
test_kills_the_slow_task (void)
{
  static const gint64 ms[] = { 10, 10, LONG_MS, 10, 10, 10 };
  TestResources resources = { 0 };
  g_autoptr(GPtrArray) items = sleep_items_new (ms, G_N_ELEMENTS (ms));
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  test_resources_snapshot (&resources);
  {
    g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);

    pmap_executor_set_timeout (executor, TIMEOUT_S);
    start = g_get_monotonic_time ();
    results = map_sleeps (executor, items, &error);
    g_assert_null (results);
    g_assert_error (error, PMAP_ERROR, PMAP_ERROR_TIMED_OUT);
    g_assert_true (g_str_has_prefix (error->message, "Task 2 failed: "));
    g_assert_nonnull (strstr (error->message, "timeout of 0.5 s"));
    g_assert_nonnull (strstr (error->message, "killed"));
    /* Far less than the task's minute; generous for a loaded machine. */
    g_assert_cmpint (g_get_monotonic_time () - start, <, 20 * G_USEC_PER_SEC);

    assert_squares_map (executor);
  }
  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

/* The clock is a task's, not the batch's nor the map's: batches of three
 * tasks of 0.3 s each, on a timeout of 0.5 s, all succeed. */
static void
test_clock_starts_with_the_task (void)
{
  static const gint64 ms[] = { 300, 300, 300, 300, 300, 300 };
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 3);
  g_autoptr(GPtrArray) items = sleep_items_new (ms, G_N_ELEMENTS (ms));
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  pmap_executor_set_timeout (executor, TIMEOUT_S);
  results = map_sleeps (executor, items, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, G_N_ELEMENTS (ms));
  for (guint i = 0; i < results->len; i++)
    g_assert_cmpint (g_variant_get_int64 (results->pdata[i]), ==, ms[i]);
  test_stop_idle_workers ();
}

/* Threads cannot be stopped from outside: the threads backend runs each
 * call to its end, whatever the timeout. */
static void
test_threads_run_calls_to_their_end (void)
{
  static const gint64 ms[] = { 200, 10 };
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(PmapBackend) threads = pmap_backend_create ("threads", NULL);
  g_autoptr(GPtrArray) items = sleep_items_new (ms, G_N_ELEMENTS (ms));
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  pmap_executor_set_backend (executor, threads);
  pmap_executor_set_n_jobs (executor, 2);
  pmap_executor_set_timeout (executor, 0.05);
  results = map_sleeps (executor, items, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (results->pdata[0]), ==, 200);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_property (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  guint n_notified = 0;
  double timeout;

  g_assert_cmpfloat (pmap_executor_get_timeout (executor), ==, 0);
  g_signal_connect (executor, "notify::timeout", G_CALLBACK (count_notify), &n_notified);

  pmap_executor_set_timeout (executor, 2.5);
  pmap_executor_set_timeout (executor, 2.5);
  g_assert_cmpfloat (pmap_executor_get_timeout (executor), ==, 2.5);
  g_assert_cmpuint (n_notified, ==, 1);

  g_object_set (executor, "timeout", 0.0, NULL);
  g_object_get (executor, "timeout", &timeout, NULL);
  g_assert_cmpfloat (timeout, ==, 0);
  g_assert_cmpuint (n_notified, ==, 2);

  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL, "*timeout >= 0*");
  pmap_executor_set_timeout (executor, -1);
  g_test_assert_expected_messages ();
  g_assert_cmpfloat (pmap_executor_get_timeout (executor), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);
  test_load_module ();

  g_test_add_func ("/Pmap/Timeout/property", test_property);
  g_test_add_func ("/Pmap/Timeout/kills-the-slow-task", test_kills_the_slow_task);
  g_test_add_func ("/Pmap/Timeout/clock-starts-with-the-task", test_clock_starts_with_the_task);
  g_test_add_func ("/Pmap/Timeout/threads-run-calls-to-their-end", test_threads_run_calls_to_their_end);

  return g_test_run ();
}

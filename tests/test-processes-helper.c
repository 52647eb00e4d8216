/* test-processes-helper.c: the processes backend on the pmap-worker helper
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * This program does not call pmap_host_workers(): its workers run the
 * pmap-worker helper that PMAP_WORKER_PATH names, which knows the functions
 * of modules and nothing of this program.
 */

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "pmap-test-processes-util.h"

static GPtrArray *
map_by_name (PmapExecutor  *executor,
             const char    *name,
             GPtrArray     *items,
             GCancellable  *cancellable,
             GError       **error)
{
  return pmap_executor_map_by_name (executor, name, (GVariant **) items->pdata, items->len,
                                    cancellable, error);
}

/* The module's functions give what they give on threads. */
static void
test_module_functions (void)
{
  TestResources resources = { 0 };
  g_autoptr(PmapExecutor) threads = pmap_executor_new ();
  g_autoptr(PmapBackend) threads_backend = pmap_backend_create ("threads", NULL);
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 500);
  g_autoptr(GPtrArray) spin_items = test_int64_items_new (1000, 300);
  g_autoptr(GPtrArray) expected_spins = NULL;
  g_autoptr(GError) error = NULL;
  static const guint batch_sizes[] = { 0, 1, 64 };

  test_resources_snapshot (&resources);

  pmap_executor_set_backend (threads, threads_backend);
  pmap_executor_set_n_jobs (threads, 2);
  expected_spins = map_by_name (threads, "test.spin", spin_items, NULL, &error);
  g_assert_no_error (error);

  for (int n_jobs = 2; n_jobs <= 3; n_jobs++)
    for (guint b = 0; b < G_N_ELEMENTS (batch_sizes); b++)
      {
        g_autoptr(PmapExecutor) executor = test_processes_executor_new (n_jobs, batch_sizes[b]);
        g_autoptr(GPtrArray) results = NULL;

        results = map_by_name (executor, "test.square", items, NULL, &error);
        g_assert_no_error (error);
        test_assert_squares (results, items->len);
        g_clear_pointer (&results, g_ptr_array_unref);

        results = map_by_name (executor, "test.spin", spin_items, NULL, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (results->len, ==, spin_items->len);
        for (guint i = 0; i < results->len; i++)
          g_assert_true (g_variant_equal (g_ptr_array_index (results, i),
                                          g_ptr_array_index (expected_spins, i)));
      }

  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

static void
test_module_error (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 5);
  g_autoptr(GPtrArray) items = g_ptr_array_new_full (40, (GDestroyNotify) g_variant_unref);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  /* The only negative input, first. */
  g_ptr_array_set_size (items, 40);
  g_ptr_array_index (items, 0) = g_variant_ref_sink (g_variant_new_int64 (-13));
  for (guint i = 1; i < items->len; i++)
    g_ptr_array_index (items, i) = g_variant_ref_sink (g_variant_new_int64 (i));
  results = map_by_name (executor, "test.fail-on-negative", items, NULL, &error);
  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "Task 0 failed: negative input -13");
  g_clear_error (&error);

  /* In the middle of a batch, on the other worker. */
  g_variant_unref (g_ptr_array_index (items, 0));
  g_ptr_array_index (items, 0) = g_variant_ref_sink (g_variant_new_int64 (0));
  g_variant_unref (g_ptr_array_index (items, 23));
  g_ptr_array_index (items, 23) = g_variant_ref_sink (g_variant_new_int64 (-1));
  results = map_by_name (executor, "test.fail-on-negative", items, NULL, &error);
  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "Task 23 failed: negative input -1");
}

/* A function of this program cannot run in pmap-worker; the error says
 * how to make it run. */
static void
test_refuses_program_function (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 0);
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 10);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) children = NULL;

  test_stop_idle_workers ();

  results = pmap_executor_map (executor, (GVariant **) items->pdata, items->len,
                               test_square, NULL, NULL, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "lives in the program itself"));
  g_assert_nonnull (strstr (error->message, "call pmap_host_workers() at the start of main()"));
  g_assert_nonnull (strstr (error->message, "pmap_load_module()"));

  /* Refused before any worker started. */
  children = test_list_children ();
  g_assert_cmpuint (children->len, ==, 0);
  g_clear_error (&error);

  /* The same function registered by name is still this program's. */
  pmap_register_function ("test-processes-helper.square", test_square, NULL, NULL);
  results = map_by_name (executor, "test-processes-helper.square", items, NULL, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
  g_assert_nonnull (strstr (error->message, "pmap_host_workers()"));
  g_assert_true (pmap_unregister_function ("test-processes-helper.square"));
}

/* Workers are processes: the module's counter of running calls, which
 * threads share, is each worker's own. And they run at once: tasks that
 * sleep take about half as long on two workers as on one. */
static void
test_processes_run_in_parallel (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(PmapExecutor) threads = pmap_executor_new ();
  g_autoptr(PmapBackend) threads_backend = pmap_backend_create ("threads", NULL);
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  gint64 max_running = 0;
  gint64 start, elapsed;

  items = test_int64_items_repeat (250, 8);

  /* Two threads of one process count each other. */
  pmap_executor_set_backend (threads, threads_backend);
  pmap_executor_set_n_jobs (threads, 2);
  pmap_executor_set_batch_size (threads, 1);
  results = map_by_name (threads, "test.concurrency", items, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < results->len; i++)
    max_running = MAX (max_running, g_variant_get_int64 (g_ptr_array_index (results, i)));
  g_assert_cmpint (max_running, ==, 2);
  g_clear_pointer (&results, g_ptr_array_unref);

  /* Two workers do not: each sees only its own calls. */
  results = map_by_name (executor, "test.concurrency", items, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < results->len; i++)
    g_assert_cmpint (g_variant_get_int64 (g_ptr_array_index (results, i)), ==, 1);
  g_clear_pointer (&results, g_ptr_array_unref);
  g_assert_cmpuint (test_wait_for_n_children (2, 10), ==, 2);

  /* 8 × 250 ms is 2 s on one worker, 1 s on two, which are warm now. */
  start = g_get_monotonic_time ();
  results = map_by_name (executor, "test.sleep-ms", items, NULL, &error);
  elapsed = g_get_monotonic_time () - start;
  g_assert_no_error (error);
  g_test_message ("8 tasks of 250 ms on 2 workers: %" G_GINT64_FORMAT " ms",
                  elapsed / 1000);
  g_assert_cmpint (elapsed, >=, 1000 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (elapsed, <, 1800 * G_TIME_SPAN_MILLISECOND);
}

typedef struct
{
  int killed;
} Killer;

static gpointer
kill_a_busy_worker (gpointer data)
{
  Killer *killer = data;
  g_autoptr(GArray) children = NULL;

  g_assert_cmpuint (test_wait_for_n_children (2, 30), ==, 2);
  g_usleep (200 * G_TIME_SPAN_MILLISECOND);

  children = test_list_children ();
  killer->killed = g_array_index (children, int, 0);
  g_assert_cmpint (kill (killer->killed, SIGKILL), ==, 0);

  return NULL;
}

/* A worker killed from outside while it runs a task fails that task. */
static void
test_worker_killed (void)
{
  TestResources resources = { 0 };
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  Killer killer = { 0 };
  GThread *thread;
  guint index;
  int pid;

  test_resources_snapshot (&resources);

  items = test_int64_items_repeat (20 * 1000, 2);

  thread = g_thread_new ("killer", kill_a_busy_worker, &killer);
  results = map_by_name (executor, "test.sleep-ms", items, NULL, &error);
  g_thread_join (thread);

  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_WORKER_CRASHED);
  g_test_message ("%s", error->message);
  g_assert_cmpint (sscanf (error->message, "Task %u failed: the worker process %d ",
                           &index, &pid), ==, 2);
  g_assert_cmpuint (index, <, 2);
  g_assert_cmpint (pid, ==, killer.killed);
  expected = g_strdup_printf ("running it was killed by signal %d (%s); a new worker "
                              "replaces it", SIGKILL, g_strsignal (SIGKILL));
  g_assert_true (g_str_has_suffix (error->message, expected));
  g_clear_error (&error);

  g_clear_pointer (&items, g_ptr_array_unref);
  items = test_int64_items_new (0, 20);
  results = map_by_name (executor, "test.square", items, NULL, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 20);

  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

/* A worker program that cannot start, or that leaves without a hello. In
 * a subprocess, whose environment may change before its first thread. */
static void
test_worker_start (gconstpointer data)
{
  const char *program = data;

  if (g_test_subprocess ())
    {
      g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 0);
      g_autoptr(GPtrArray) items = test_int64_items_new (0, 1);
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *expected = NULL;
      g_autoptr(GArray) children = NULL;

      g_setenv ("PMAP_WORKER_PATH", program, TRUE);
      results = map_by_name (executor, "test.square", items, NULL, &error);
      g_assert_null (results);
      g_assert_error (error, PMAP_ERROR, PMAP_ERROR_WORKER_START);
      g_printerr ("%s\n", error->message);

      if (g_file_test (program, G_FILE_TEST_EXISTS))
        {
          expected = g_strdup_printf ("Task 0 failed: The worker process %s did not start: "
                                      "The worker channel was closed (it exited with "
                                      "status 0); ", program);
          g_assert_true (g_str_has_prefix (error->message, expected));
        }
      else
        {
          expected = g_strdup_printf ("Task 0 failed: Could not start the worker process %s: ",
                                      program);
          g_assert_true (g_str_has_prefix (error->message, expected));
          g_assert_true (g_str_has_suffix (error->message,
                                           "; install pmap-worker or set PMAP_WORKER_PATH "
                                           "to it, or call pmap_host_workers() at the start "
                                           "of main()"));
        }

      /* No worker was left behind. */
      children = test_list_children ();
      g_assert_cmpuint (children->len, ==, 0);
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("Task 0 failed: *worker process*");
}

/* A map cancelled while its workers start, here workers that never say
 * hello, returns without waiting for the hello's 30 seconds. */
static void
test_cancel_before_hello (void)
{
  const char *const silent[] = { "/bin/sleep", "60", NULL };
  TestResources resources = { 0 };
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 0);
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 4);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  GThread *canceller;
  gint64 started;

  test_resources_snapshot (&resources);
  pmap_set_worker_command (silent);

  canceller = test_cancel_soon (cancellable);
  started = g_get_monotonic_time ();
  results = map_by_name (executor, "test.square", items, cancellable, &error);
  g_thread_join (canceller);
  pmap_set_worker_command (NULL);

  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 10 * G_USEC_PER_SEC);

  /* The silent workers were stopped. */
  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);
  g_assert_nonnull (g_getenv ("PMAP_WORKER_PATH"));
  test_load_module ();

  g_test_add_func ("/Pmap/ProcessesHelper/module-functions", test_module_functions);
  g_test_add_func ("/Pmap/ProcessesHelper/module-error", test_module_error);
  g_test_add_func ("/Pmap/ProcessesHelper/refuses-program-function",
                   test_refuses_program_function);
  g_test_add_func ("/Pmap/ProcessesHelper/parallel", test_processes_run_in_parallel);
  g_test_add_func ("/Pmap/ProcessesHelper/worker-killed", test_worker_killed);
  g_test_add_func ("/Pmap/ProcessesHelper/cancel", test_assert_cancel_kills_busy_workers);
  g_test_add_func ("/Pmap/ProcessesHelper/cancel-before-hello", test_cancel_before_hello);
  g_test_add_data_func ("/Pmap/ProcessesHelper/worker-start/missing",
                        "/nonexistent/pmap-worker", test_worker_start);
  g_test_add_data_func ("/Pmap/ProcessesHelper/worker-start/no-hello",
                        "/bin/true", test_worker_start);

  return g_test_run ();
}

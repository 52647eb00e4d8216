/* test-faults.c: what the executor does for tasks that run too long or
 * whose worker dies, its timeout and its retries, and how the processes
 * backend replaces workers that served enough
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Workers run the pmap-worker helper, which loads the test module and its
 * "test.sleep-ms" (ms → ms, after sleeping that long), "test.exit-once"
 * (path → path, dying the first time, when it makes the file),
 * "test.where" (x → (x, pid)), "test.leak-mb" (mb → (mb, pid), leaking
 * mb MiB) and "test.hog-mb" (mb → (mb, pid), holding mb MiB for 0.3 s).
 */

#include <glib/gstdio.h>

#include "pmap-test-processes-util.h"

#define TIMEOUT_S 0.5
#define LONG_MS 60000

/* Maps the test module's function @name over @items. */
static GPtrArray *
map_named (PmapExecutor  *executor,
           const char    *name,
           GPtrArray     *items,
           GError       **error)
{
  return pmap_executor_map_by_name (executor, name, (GVariant **) items->pdata,
                                    items->len, NULL, error);
}

/* The executor's next map works. */
static void
assert_squares_map (PmapExecutor *executor)
{
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 50);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_named (executor, "test.square", items, &error);
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
  g_autoptr(GPtrArray) items = test_int64_items_of (ms, G_N_ELEMENTS (ms));
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  test_resources_snapshot (&resources);
  {
    g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);

    pmap_executor_set_timeout (executor, TIMEOUT_S);
    start = g_get_monotonic_time ();
    results = map_named (executor, "test.sleep-ms", items, &error);
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
 * tasks of 0.3 s each, 0.9 s a batch, on a timeout of 0.8 s, all
 * succeed. */
static void
test_clock_starts_with_the_task (void)
{
  static const gint64 ms[] = { 300, 300, 300, 300, 300, 300 };
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 3);
  g_autoptr(GPtrArray) items = test_int64_items_of (ms, G_N_ELEMENTS (ms));
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  pmap_executor_set_timeout (executor, 0.8);
  results = map_named (executor, "test.sleep-ms", items, &error);
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
  g_autoptr(GPtrArray) items = test_int64_items_of (ms, G_N_ELEMENTS (ms));
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  pmap_executor_set_backend (executor, threads);
  pmap_executor_set_n_jobs (executor, 2);
  pmap_executor_set_timeout (executor, 0.05);
  results = map_named (executor, "test.sleep-ms", items, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_variant_get_int64 (results->pdata[0]), ==, 200);
}

static void
test_property (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  guint n_notified = 0;
  double timeout;

  g_assert_cmpfloat (pmap_executor_get_timeout (executor), ==, 0);
  g_signal_connect (executor, "notify::timeout", G_CALLBACK (test_count_notify), &n_notified);

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

/* Removes @dir and the files in it. */
static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_cmpint (g_remove (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* Paths for "test.exit-once": @n_items, all there already but @dies,
 * which is not, and @always, which cannot be made. */
static GPtrArray *
exit_once_items_new (const char *dir,
                     guint       n_items,
                     guint       dies,
                     guint       always)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  for (guint i = 0; i < n_items; i++)
    {
      g_autofree char *path = NULL;

      if (i == always)
        path = g_strdup_printf ("%s/no-such-dir/%u", dir, i);
      else
        path = g_strdup_printf ("%s/%u", dir, i);
      if (i != dies && i != always)
        g_assert_true (g_file_set_contents (path, "", 0, NULL));
      g_ptr_array_add (items, g_variant_ref_sink (g_variant_new_string (path)));
    }

  return items;
}

/* A task whose worker dies once runs again on a new worker and succeeds,
 * and the tasks of its batch that were done keep their results. */
static void
test_retry_recovers (void)
{
  g_autofree char *dir = g_dir_make_tmp ("pmap-retries-XXXXXX", NULL);
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 4);
  g_autoptr(GPtrArray) items = exit_once_items_new (dir, 8, 5, G_MAXUINT);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  pmap_executor_set_retries (executor, 1);
  results = map_named (executor, "test.exit-once", items, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, items->len);
  for (guint i = 0; i < items->len; i++)
    g_assert_cmpstr (g_variant_get_string (results->pdata[i], NULL), ==,
                     g_variant_get_string (items->pdata[i], NULL));
  test_stop_idle_workers ();
  remove_dir (dir);
}

/* Without retries, the same task fails the map. */
static void
test_no_retry (void)
{
  g_autofree char *dir = g_dir_make_tmp ("pmap-retries-XXXXXX", NULL);
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 4);
  g_autoptr(GPtrArray) items = exit_once_items_new (dir, 8, 5, G_MAXUINT);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_named (executor, "test.exit-once", items, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_WORKER_CRASHED);
  g_assert_true (g_str_has_prefix (error->message, "Task 5 failed: "));
  g_assert_nonnull (strstr (error->message, "exited with status 3"));
  g_assert_null (strstr (error->message, "tried"));
  test_stop_idle_workers ();
  remove_dir (dir);
}

/* A task that dies every time fails once its retries are spent, saying how
 * many times it was tried; nothing is left behind. */
static void
test_retries_exhausted (void)
{
  g_autofree char *dir = g_dir_make_tmp ("pmap-retries-XXXXXX", NULL);
  TestResources resources = { 0 };
  g_autoptr(GPtrArray) items = exit_once_items_new (dir, 8, G_MAXUINT, 6);
  g_autoptr(GError) error = NULL;

  test_resources_snapshot (&resources);
  {
    g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 4);
    g_autoptr(GPtrArray) results = NULL;

    pmap_executor_set_retries (executor, 2);
    results = map_named (executor, "test.exit-once", items, &error);
    g_assert_null (results);
    g_assert_error (error, PMAP_ERROR, PMAP_ERROR_WORKER_CRASHED);
    g_assert_true (g_str_has_prefix (error->message, "Task 6 failed: tried 3 times; "));
    g_assert_nonnull (strstr (error->message, "exited with status 3"));
    assert_squares_map (executor);
  }
  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
  remove_dir (dir);
}

/* A task that the timeout kills is tried again too. */
static void
test_timeout_retried (void)
{
  static const gint64 ms[] = { 10, LONG_MS, 10 };
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(GPtrArray) items = test_int64_items_of (ms, G_N_ELEMENTS (ms));
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  pmap_executor_set_timeout (executor, 0.3);
  pmap_executor_set_retries (executor, 1);
  results = map_named (executor, "test.sleep-ms", items, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_TIMED_OUT);
  g_assert_true (g_str_has_prefix (error->message, "Task 1 failed: tried 2 times; "));
  test_stop_idle_workers ();
}

static void
test_retries_property (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  guint n_notified = 0;
  guint retries;

  g_assert_cmpuint (pmap_executor_get_retries (executor), ==, 0);
  g_signal_connect (executor, "notify::retries", G_CALLBACK (test_count_notify), &n_notified);
  pmap_executor_set_retries (executor, 3);
  pmap_executor_set_retries (executor, 3);
  g_object_get (executor, "retries", &retries, NULL);
  g_assert_cmpuint (retries, ==, 3);
  g_assert_cmpuint (n_notified, ==, 1);
}

/* How many tasks each worker ran, by pid, from (value, pid) results whose
 * values are @expected. */
static GHashTable *
tasks_per_worker (GPtrArray *results,
                  GPtrArray *items)
{
  GHashTable *counts = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  g_assert_cmpuint (results->len, ==, items->len);
  for (guint i = 0; i < results->len; i++)
    {
      gint64 value, pid;

      g_variant_get (results->pdata[i], "(xx)", &value, &pid);
      g_assert_cmpint (value, ==, g_variant_get_int64 (items->pdata[i]));
      g_hash_table_insert (counts, g_memdup2 (&pid, sizeof pid),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, &pid)) + 1));
    }

  return counts;
}

static guint
most_tasks (GHashTable *counts)
{
  GHashTableIter iter;
  gpointer n;
  guint most = 0;

  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, NULL, &n))
    most = MAX (most, GPOINTER_TO_UINT (n));

  return most;
}

/* Stopping the pool waits for the workers that were retired too: none is
 * left, not even as a zombie, once it returns. */
static void
assert_workers_gone (void)
{
  g_autoptr(GArray) children = NULL;

  test_stop_idle_workers ();
  children = test_list_children ();
  g_assert_cmpuint (children->len, ==, 0);
}

/* A worker that ran max-tasks-per-worker tasks leaves; the map goes on
 * with new ones and loses nothing. */
static void
test_recycle_after_tasks (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 30);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GHashTable) counts = NULL;
  g_autoptr(GError) error = NULL;

  pmap_backend_set_max_tasks_per_worker (pmap_executor_get_backend (executor), 5);
  results = map_named (executor, "test.where", items, &error);
  g_assert_no_error (error);
  counts = tasks_per_worker (results, items);
  g_assert_cmpuint (most_tasks (counts), <=, 5);
  g_assert_cmpuint (g_hash_table_size (counts), >=, 6);
  assert_workers_gone ();
}

/* A worker whose resident memory grew past max-worker-memory leaves after
 * its batch; the tasks of the batch keep their results. */
static void
test_recycle_on_memory (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GHashTable) counts = NULL;
  g_autoptr(GError) error = NULL;

  items = test_int64_items_repeat (20, 12);

  /* 20 MiB leaked a task: a worker passes 64 MiB by its fourth task. */
  pmap_backend_set_max_worker_memory (pmap_executor_get_backend (executor), 64 << 20);
  results = map_named (executor, "test.leak-mb", items, &error);
  g_assert_no_error (error);
  counts = tasks_per_worker (results, items);
  g_assert_cmpuint (most_tasks (counts), <=, 4);
  g_assert_cmpuint (g_hash_table_size (counts), >=, 3);
  assert_workers_gone ();
}

/* A worker that grows past twice max-worker-memory while it runs a task
 * is killed at once: the task fails with MEMORY_LIMIT, naming the worker,
 * and, retried, fails again; the next map works and nothing is left
 * behind. */
static void
test_killed_past_memory_limit (void)
{
  static const gint64 mb[] = { 0, 0, 400, 0, 0 };
  TestResources resources = { 0 };
  g_autoptr(GPtrArray) items = test_int64_items_of (mb, G_N_ELEMENTS (mb));

  test_resources_snapshot (&resources);
  for (guint retries = 0; retries <= 1; retries++)
    {
      g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;
      const char *named;
      int pid = 0;

      pmap_executor_set_retries (executor, retries);
      pmap_backend_set_max_worker_memory (pmap_executor_get_backend (executor), 64 << 20);
      results = map_named (executor, "test.hog-mb", items, &error);
      g_assert_null (results);
      g_assert_error (error, PMAP_ERROR, PMAP_ERROR_MEMORY_LIMIT);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, retries == 0 ?
                                       "Task 2 failed: the worker process " :
                                       "Task 2 failed: tried 2 times; the last time, the worker process "));
      g_assert_true (g_str_has_suffix (error->message,
                                       " MiB, more than 2 times the backend's max-worker-memory "
                                       "of 64 MiB, and was killed; a new worker replaces it"));
      named = strstr (error->message, "the worker process ");
      g_assert_cmpint (sscanf (named, "the worker process %d ", &pid), ==, 1);
      g_assert_false (test_process_exists (pid));

      assert_squares_map (executor);
    }
  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

static void
test_recycle_properties (void)
{
  g_autoptr(PmapBackend) backend = pmap_backend_create ("processes", NULL);
  guint n_notified = 0;
  guint max_tasks;
  guint64 max_memory;

  g_assert_cmpuint (pmap_backend_get_max_tasks_per_worker (backend), ==, 0);
  g_assert_cmpuint (pmap_backend_get_max_worker_memory (backend), ==, 0);
  g_signal_connect (backend, "notify", G_CALLBACK (test_count_notify), &n_notified);
  pmap_backend_set_max_tasks_per_worker (backend, 7);
  pmap_backend_set_max_tasks_per_worker (backend, 7);
  pmap_backend_set_max_worker_memory (backend, G_GUINT64_CONSTANT (1) << 33);
  g_object_get (backend, "max-tasks-per-worker", &max_tasks,
                "max-worker-memory", &max_memory, NULL);
  g_assert_cmpuint (max_tasks, ==, 7);
  g_assert_cmpuint (max_memory, ==, G_GUINT64_CONSTANT (1) << 33);
  g_assert_cmpuint (n_notified, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);
  test_load_module ();

  g_test_add_func ("/Pmap/Faults/timeout/property", test_property);
  g_test_add_func ("/Pmap/Faults/timeout/kills-the-slow-task", test_kills_the_slow_task);
  g_test_add_func ("/Pmap/Faults/timeout/clock-starts-with-the-task", test_clock_starts_with_the_task);
  g_test_add_func ("/Pmap/Faults/timeout/threads-run-calls-to-their-end", test_threads_run_calls_to_their_end);

  g_test_add_func ("/Pmap/Faults/retries/property", test_retries_property);
  g_test_add_func ("/Pmap/Faults/retries/recover", test_retry_recovers);
  g_test_add_func ("/Pmap/Faults/retries/none", test_no_retry);
  g_test_add_func ("/Pmap/Faults/retries/exhausted", test_retries_exhausted);
  g_test_add_func ("/Pmap/Faults/retries/timeout", test_timeout_retried);
  g_test_add_func ("/Pmap/Faults/recycle/properties", test_recycle_properties);
  g_test_add_func ("/Pmap/Faults/recycle/after-tasks", test_recycle_after_tasks);
  g_test_add_func ("/Pmap/Faults/recycle/on-memory", test_recycle_on_memory);
  g_test_add_func ("/Pmap/Faults/memory-limit", test_killed_past_memory_limit);

  return g_test_run ();
}

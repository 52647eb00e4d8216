/* test-map-entry.c: what every map entry point promises: inputs sunk
 * even when the map fails early, no progress from a map inside a task, a
 * failed job from a backend without submit(); pmap_backend_shutdown() with
 * and without worker processes, and pmap_host_workers() where it has
 * nothing to do
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "pmap-test-util.h"

/* The map entry points, run to completion. */
typedef enum
{
  MAP,
  MAP_ASYNC,
  MAP_BY_NAME,
  MAP_BY_NAME_ASYNC,
  MAP_WRAPPED,
  MAP_WRAPPED_ASYNC,
  N_MAP_ENTRIES
} MapEntry;

static GPtrArray *
map_through (MapEntry       entry,
             PmapExecutor  *executor,
             TestProbe     *probe,
             const char    *name,
             GVariant     **items,
             guint          n_items,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(PmapWrapped) wrapped = pmap_wrapped_new (test_probe_square, probe, NULL);
  GPtrArray *results = NULL;
  TestAsync state;

  test_async_init (&state);

  switch (entry)
    {
    case MAP:
      results = pmap_executor_map (executor, items, n_items, test_probe_square, probe,
                                   cancellable, error);
      break;
    case MAP_ASYNC:
      pmap_executor_map_async (executor, items, n_items, test_probe_square, probe, NULL,
                               cancellable, test_async_ready, &state);
      results = pmap_executor_map_finish (executor, test_async_wait (&state), error);
      break;
    case MAP_BY_NAME:
      results = pmap_executor_map_by_name (executor, name, items, n_items, cancellable, error);
      break;
    case MAP_BY_NAME_ASYNC:
      pmap_executor_map_by_name_async (executor, name, items, n_items, cancellable,
                                       test_async_ready, &state);
      results = pmap_executor_map_by_name_finish (executor, test_async_wait (&state), error);
      break;
    case MAP_WRAPPED:
      results = pmap_executor_map_wrapped (executor, wrapped, items, n_items, cancellable, error);
      break;
    case MAP_WRAPPED_ASYNC:
      pmap_executor_map_wrapped_async (executor, wrapped, items, n_items, cancellable,
                                       test_async_ready, &state);
      results = pmap_executor_map_wrapped_finish (executor, test_async_wait (&state), error);
      break;
    default:
      g_assert_not_reached ();
    }

  test_async_clear (&state);
  return results;
}

/* A map that fails before it starts has still taken the floating
 * references of its inputs, and dropped them: the inputs are no longer
 * floating, and our own references are the last ones (valgrind's leak
 * check tells if the map kept one). */
static void
assert_inputs_sunk (MapEntry      entry,
                    PmapExecutor *executor,
                    const char   *name,
                    GCancellable *cancellable,
                    GQuark        domain,
                    int           code)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *items[3];
  TestProbe probe;

  test_probe_init (&probe);
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      items[i] = g_variant_new_int64 (i);
      g_variant_ref (items[i]);
      g_assert_true (g_variant_is_floating (items[i]));
    }

  results = map_through (entry, executor, &probe, name, items, G_N_ELEMENTS (items),
                         cancellable, &error);
  g_assert_null (results);
  g_assert_error (error, domain, code);
  g_assert_cmpint (probe.n_calls, ==, 0);
  test_probe_clear (&probe);

  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      g_assert_false (g_variant_is_floating (items[i]));
      g_variant_unref (items[i]);
    }
}

static void
test_sunk_when_cancelled (void)
{
  g_autoptr(PmapExecutor) executor = test_executor_new_named ("threads", "general");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  test_load_module ();
  g_cancellable_cancel (cancellable);
  for (MapEntry entry = 0; entry < N_MAP_ENTRIES; entry++)
    assert_inputs_sunk (entry, executor, "test.square", cancellable,
                        G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_sunk_with_unknown_name (void)
{
  g_autoptr(PmapExecutor) executor = test_executor_new_named ("threads", "general");

  assert_inputs_sunk (MAP_BY_NAME, executor, "wrapped.no-such-function", NULL,
                      PMAP_ERROR, PMAP_ERROR_UNKNOWN_FUNCTION);
  assert_inputs_sunk (MAP_BY_NAME_ASYNC, executor, "wrapped.no-such-function", NULL,
                      PMAP_ERROR, PMAP_ERROR_UNKNOWN_FUNCTION);
}

/* Data: the variable, set in a subprocess to a value that names nothing. */
static void
test_sunk_with_bad_setting (gconstpointer data)
{
  const char *variable = data;
  g_autoptr(PmapExecutor) executor = NULL;
  int code;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  test_load_module ();
  g_setenv (variable, "nothing-by-this-name", TRUE);
  executor = pmap_executor_new ();
  code = g_str_equal (variable, "PMAP_BACKEND") ? PMAP_ERROR_UNKNOWN_BACKEND
                                                : PMAP_ERROR_UNKNOWN_SERIALIZER;
  for (MapEntry entry = 0; entry < N_MAP_ENTRIES; entry++)
    assert_inputs_sunk (entry, executor, "test.square", NULL, PMAP_ERROR, code);
}

typedef struct
{
  PmapExecutor *outer;
  PmapExecutor *inner;
  TestProbe     probe;
} NestedExecutors;

/* Maps inside a task, with the executor that runs the task and with
 * another one; returns how many results the inner maps made. */
static GVariant *
map_inside (GVariant  *input,
            gpointer   user_data,
            GError   **error)
{
  NestedExecutors *executors = user_data;
  PmapExecutor *both[] = { executors->outer, executors->inner };
  g_autoptr(GPtrArray) items = test_items_new (6);
  gint64 n_results = 0;

  for (guint i = 0; i < G_N_ELEMENTS (both); i++)
    {
      g_autoptr(GPtrArray) results = NULL;

      results = pmap_executor_map (both[i], (GVariant **) items->pdata, items->len,
                                   test_probe_square, &executors->probe, NULL, error);
      if (results == NULL)
        return NULL;
      n_results += results->len;
    }

  return g_variant_new_int64 (n_results);
}

/* Only the outer map reports progress, on the caller's thread; the maps
 * inside its tasks, on the pool's threads, report nothing, even through
 * another executor. Data: whether the outer map is asynchronous. */
static void
test_no_progress_inside_task (gconstpointer data)
{
  const guint n_items = 8;
  g_autoptr(PmapExecutor) outer = test_executor_new_named ("threads", "general");
  g_autoptr(PmapExecutor) inner = test_executor_new_named ("threads", "general");
  g_autoptr(PmapWrapped) wrapped = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  NestedExecutors executors = { outer, inner };
  TestProgress outer_progress, inner_progress;

  test_probe_init (&executors.probe);
  pmap_executor_set_batch_size (outer, 1);
  test_progress_init (&outer_progress, outer);
  test_progress_init (&inner_progress, inner);
  wrapped = pmap_wrapped_new (map_inside, &executors, NULL);

  results = test_map_wrapped (outer, wrapped, n_items, GPOINTER_TO_INT (data), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, n_items);
  for (guint i = 0; i < n_items; i++)
    g_assert_cmpint (g_variant_get_int64 (g_ptr_array_index (results, i)), ==, 12);

  g_assert_cmpint (executors.probe.n_calls, ==, 12 * n_items);

  test_progress_assert (&outer_progress, n_items, n_items);
  g_assert_cmpuint (inner_progress.n_done->len, ==, 0);
  test_progress_clear (&outer_progress);
  test_progress_clear (&inner_progress);
  test_probe_clear (&executors.probe);
}

/* A subclass of PmapBackend that forgets submit(). */
static GType
lazy_backend_get_type (void)
{
  static GType type;

  if (type == 0)
    type = g_type_register_static_simple (PMAP_TYPE_BACKEND, "TestLazyBackend",
                                          sizeof (PmapBackendClass), NULL,
                                          sizeof (PmapBackend), NULL, 0);
  return type;
}

/* After the critical about the missing submit(), the map fails instead of
 * waiting for ever, blocking or not. */
static void
test_backend_without_submit (void)
{
  g_autoptr(PmapBackend) lazy = g_object_new (lazy_backend_get_type (), "name", "lazy", NULL);
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(PmapWrapped) wrapped = NULL;
  TestProbe probe;

  test_probe_init (&probe);
  wrapped = pmap_wrapped_new (test_probe_square, &probe, NULL);
  g_object_set (executor, "backend", lazy, "n-jobs", 2, NULL);

  for (guint async = 0; async < 2; async++)
    {
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;

      g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                             "TestLazyBackend does not implement PmapBackend.submit()");
      results = test_map_wrapped (executor, wrapped, 10, async, &error);
      g_test_assert_expected_messages ();

      g_assert_null (results);
      g_assert_error (error, PMAP_ERROR, PMAP_ERROR_FAILED);
      g_assert_true (g_str_has_prefix (error->message, "Task 0 failed: "));
      g_assert_nonnull (strstr (error->message, "TestLazyBackend"));
      g_assert_nonnull (strstr (error->message, "submit()"));
    }

  g_assert_cmpint (probe.n_calls, ==, 0);
  test_probe_clear (&probe);
}

/* Backends that keep no worker processes have nothing to shut down: a
 * running map goes on undisturbed, and the backend still works after. */
static void
test_shutdown_without_workers (void)
{
  const char *names[] = { "threads", "sequential" };
  g_autoptr(PmapBackend) lazy = g_object_new (lazy_backend_get_type (), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(PmapExecutor) executor = test_executor_new_named (names[i], "general");
      PmapBackend *backend = pmap_executor_get_backend (executor);
      g_autoptr(GPtrArray) items = test_items_new (20);
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;
      TestAsync state;
      TestProbe probe;

      test_probe_init (&probe);
      if (g_str_equal (names[i], "threads"))
        probe.sleep_us = 50 * 1000;
      test_async_init (&state);
      pmap_executor_set_batch_size (executor, 1);

      pmap_executor_map_async (executor, (GVariant **) items->pdata, items->len,
                               test_probe_square, &probe, NULL, NULL,
                               test_async_ready, &state);
      pmap_backend_shutdown (backend);
      if (g_str_equal (names[i], "threads"))
        g_assert_cmpint (g_atomic_int_get (&probe.n_calls), <, 20);

      results = pmap_executor_map_finish (executor, test_async_wait (&state), &error);
      g_assert_no_error (error);
      test_assert_squares (results, 20);
      g_clear_pointer (&results, g_ptr_array_unref);

      pmap_backend_shutdown (backend);
      probe.sleep_us = 0;
      results = test_map (executor, &probe, 20, NULL, &error);
      g_assert_no_error (error);
      test_assert_squares (results, 20);

      test_async_clear (&state);
      test_probe_clear (&probe);
    }

  /* A backend without a shutdown() of its own. */
  pmap_backend_shutdown (lazy);
}

/* The pmap-worker helpers that this process started, running. */
static guint
count_worker_processes (void)
{
  g_autoptr(GDir) tasks = g_dir_open ("/proc/self/task", 0, NULL);
  const char *task;
  guint n_workers = 0;

  g_assert_nonnull (tasks);
  while ((task = g_dir_read_name (tasks)) != NULL)
    {
      g_autofree char *children_path = g_strdup_printf ("/proc/self/task/%s/children", task);
      g_autofree char *children = NULL;
      g_auto(GStrv) pids = NULL;

      if (!g_file_get_contents (children_path, &children, NULL, NULL))
        continue;

      pids = g_strsplit (g_strstrip (children), " ", -1);
      for (guint i = 0; pids[i] != NULL; i++)
        {
          g_autofree char *cmdline_path = g_strdup_printf ("/proc/%s/cmdline", pids[i]);
          g_autofree char *cmdline = NULL;
          g_autofree char *program = NULL;

          if (pids[i][0] == '\0' ||
              !g_file_get_contents (cmdline_path, &cmdline, NULL, NULL))
            continue;
          /* The first of the NUL-separated arguments. */
          program = g_path_get_basename (cmdline);
          if (g_str_equal (program, "pmap-worker"))
            n_workers++;
        }
    }

  return n_workers;
}

/* A map that has returned, blocking or not, has handed its worker
 * processes back, idle: pmap_backend_shutdown() right after it stops them
 * all, and the next map starts new ones. */
static void
test_shutdown_after_map (void)
{
  g_autoptr(PmapExecutor) executor = test_executor_new_named ("processes", "general");
  PmapBackend *backend = pmap_executor_get_backend (executor);

  test_load_module ();
  for (guint round = 0; round < 20; round++)
    {
      g_autoptr(GPtrArray) items = test_items_new (50);
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;
      TestAsync state;

      test_async_init (&state);
      if (round % 2 == 0)
        results = pmap_executor_map_by_name (executor, "test.square", (GVariant **) items->pdata,
                                             items->len, NULL, &error);
      else
        {
          pmap_executor_map_by_name_async (executor, "test.square", (GVariant **) items->pdata,
                                           items->len, NULL, test_async_ready, &state);
          results = pmap_executor_map_by_name_finish (executor, test_async_wait (&state), &error);
        }
      g_assert_no_error (error);
      test_assert_squares (results, 50);
      g_assert_cmpuint (count_worker_processes (), >=, 1);

      pmap_backend_shutdown (backend);
      g_assert_cmpuint (count_worker_processes (), ==, 0);
      test_async_clear (&state);
    }
}

/* In a process that the user started, pmap_host_workers() only records
 * that the program may be run again as its workers, and returns, as often
 * as it is called. */
static void
test_host_workers_returns (void)
{
  if (g_test_subprocess ())
    {
      pmap_host_workers ();
      pmap_host_workers ();
      g_print ("still here\n");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("still here*");
}

/* A worker whose channel is not a file descriptor says so and exits. */
static void
test_host_workers_bad_channel (void)
{
  if (g_test_subprocess ())
    {
      g_setenv ("PMAP_WORKER_FD", "banana", TRUE);
      pmap_host_workers ();
      g_print ("still here\n");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout_unmatched ("*still here*");
  /* The quotes depend on the locale's charset. */
  g_test_trap_assert_stderr ("*PMAP_WORKER_FD is *banana*, not a file descriptor*");
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);

  g_test_add_func ("/Pmap/MapEntry/inputs-sunk/cancelled", test_sunk_when_cancelled);
  g_test_add_func ("/Pmap/MapEntry/inputs-sunk/unknown-name", test_sunk_with_unknown_name);
  g_test_add_data_func ("/Pmap/MapEntry/inputs-sunk/unknown-backend", "PMAP_BACKEND", test_sunk_with_bad_setting);
  g_test_add_data_func ("/Pmap/MapEntry/inputs-sunk/unknown-serializer", "PMAP_SERIALIZER", test_sunk_with_bad_setting);
  g_test_add_data_func ("/Pmap/MapEntry/no-progress-inside-task", GINT_TO_POINTER (FALSE), test_no_progress_inside_task);
  g_test_add_data_func ("/Pmap/MapEntry/no-progress-inside-task-async", GINT_TO_POINTER (TRUE), test_no_progress_inside_task);
  g_test_add_func ("/Pmap/MapEntry/backend-without-submit", test_backend_without_submit);
  g_test_add_func ("/Pmap/MapEntry/shutdown-without-workers", test_shutdown_without_workers);
  g_test_add_func ("/Pmap/MapEntry/shutdown-after-map", test_shutdown_after_map);
  g_test_add_func ("/Pmap/MapEntry/host-workers/returns", test_host_workers_returns);
  g_test_add_func ("/Pmap/MapEntry/host-workers/bad-channel", test_host_workers_bad_channel);

  return g_test_run ();
}

/* test-wrapped.c: PmapWrapped, and what every map entry point promises:
 * inputs sunk even when the map fails early, no progress from a map
 * inside a task, a failed job from a backend without submit();
 * pmap_backend_shutdown() with and without worker processes, and
 * pmap_host_workers() where it has nothing to do
 *
 * Built twice, as test-serializer.c is: with TEST_HOSTS_WORKERS 1, the
 * program is its own workers' program, and runs the tests that send its
 * functions to them; with 0, it runs the others.
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

static PmapExecutor *
executor_new_with (const char *backend_name,
                   const char *serializer_name)
{
  g_autoptr(PmapBackend) backend = pmap_backend_create (backend_name, NULL);
  g_autoptr(PmapSerializer) serializer = pmap_serializer_create (serializer_name, NULL);

  return g_object_new (PMAP_TYPE_EXECUTOR,
                       "backend", backend,
                       "serializer", serializer,
                       "n-jobs", 2,
                       NULL);
}

/* Maps @wrapped over int64 inputs 0 … @n_items - 1, blocking or
 * asynchronously on the thread-default main context. */
static GPtrArray *
map_wrapped (PmapExecutor  *executor,
             PmapWrapped   *wrapped,
             guint          n_items,
             gboolean       async,
             GError       **error)
{
  g_autoptr(GPtrArray) items = test_items_new (n_items);
  GPtrArray *results;
  TestAsync state;

  if (!async)
    return pmap_executor_map_wrapped (executor, wrapped, (GVariant **) items->pdata,
                                      n_items, NULL, error);

  test_async_init (&state);
  pmap_executor_map_wrapped_async (executor, wrapped, (GVariant **) items->pdata,
                                   n_items, NULL, test_async_ready, &state);
  g_assert_null (state.result);
  results = pmap_executor_map_wrapped_finish (executor, test_async_wait (&state), error);
  g_assert_true (state.thread == g_thread_self ());
  g_assert_true (state.context == g_main_context_get_thread_default ());
  test_async_clear (&state);

  return results;
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
  g_autoptr(PmapExecutor) executor = executor_new_with (setup->backend, "variant");
  PmapWrapped *wrapped;
  TestProbe probe;

  test_probe_init (&probe);
  wrapped = pmap_wrapped_new (test_probe_square, &probe, test_probe_destroy);

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;

      results = map_wrapped (executor, wrapped, 300, setup->async, &error);
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
  g_autoptr(PmapExecutor) executor = executor_new_with ("threads", "general");
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
  g_autoptr(PmapExecutor) executor = executor_new_with (setup->backend, "general");
  g_autoptr(PmapWrapped) wrapped = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  TestProbe probe;

  test_probe_init (&probe);
  probe.fail_at = 5;
  wrapped = pmap_wrapped_new (test_probe_square, &probe, NULL);

  results = map_wrapped (executor, wrapped, 100, setup->async, &error);
  g_assert_null (results);
  test_assert_task_error (error, 5);
  test_probe_clear (&probe);
}

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
  g_autoptr(PmapExecutor) executor = executor_new_with ("threads", "general");
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
  g_autoptr(PmapExecutor) executor = executor_new_with ("threads", "general");

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
  g_autoptr(PmapExecutor) outer = executor_new_with ("threads", "general");
  g_autoptr(PmapExecutor) inner = executor_new_with ("threads", "general");
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

  results = map_wrapped (outer, wrapped, n_items, GPOINTER_TO_INT (data), &error);
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
      results = map_wrapped (executor, wrapped, 10, async, &error);
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
      g_autoptr(PmapExecutor) executor = executor_new_with (names[i], "general");
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
  g_autoptr(PmapExecutor) executor = executor_new_with ("processes", "general");
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

/* Programming errors: a critical, and the call does nothing. */
/* A bad argument still ends in the callback, with an error, so that a
 * caller waiting for it does not wait for ever. */
static void
assert_called_back_with_error (PmapExecutor *executor,
                               TestAsync    *state)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (pmap_executor_map_wrapped_finish (executor, test_async_wait (state), &error));
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
  assert_called_back_with_error (executor, &state);

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
  assert_called_back_with_error (executor, &state);

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
  g_autoptr(PmapExecutor) executor = executor_new_with ("processes", data);
  g_autoptr(PmapWrapped) wrapped = pmap_wrapped_new (remote_square, NULL, NULL);
  g_autoptr(GPtrArray) items = test_items_new (UNSQUARABLE);
  g_autoptr(GPtrArray) unwrapped = NULL;
  g_autoptr(GError) error = NULL;

  for (guint async = 0; async < 2; async++)
    {
      g_autoptr(GPtrArray) results = map_wrapped (executor, wrapped, UNSQUARABLE, async, &error);

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
  g_autoptr(PmapExecutor) executor = executor_new_with ("processes", "variant");
  g_autoptr(PmapWrapped) wrapped = pmap_wrapped_new (remote_square, NULL, NULL);

  for (guint async = 0; async < 2; async++)
    {
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;

      results = map_wrapped (executor, wrapped, 3 * UNSQUARABLE, async, &error);
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
  g_autoptr(PmapExecutor) executor = executor_new_with ("processes", data);
  PmapWrapped *wrapped;
  TestProbe probe;

  test_probe_init (&probe);
  wrapped = pmap_wrapped_new (test_probe_square, &probe, test_probe_destroy);

  for (guint async = 0; async < 2; async++)
    {
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;

      results = map_wrapped (executor, wrapped, 10, async, &error);
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
  g_autoptr(PmapExecutor) executor = executor_new_with ("processes", "variant");
  g_autoptr(PmapWrapped) wrapped = pmap_wrapped_new (remote_square, NULL, NULL);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_wrapped (executor, wrapped, 10, FALSE, &error);
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

/* test-executor.c: results, n-jobs and progress of a blocking map
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "pmap-test-util.h"

#define N_MANY 5000

static PmapExecutor *
executor_new_with (int          n_jobs,
                   guint        batch_size,
                   const char  *backend_name)
{
  g_autoptr(PmapBackend) backend = NULL;
  g_autoptr(GError) error = NULL;

  backend = pmap_backend_create (backend_name, &error);
  g_assert_no_error (error);

  return g_object_new (PMAP_TYPE_EXECUTOR,
                       "n-jobs", n_jobs,
                       "batch-size", batch_size,
                       "backend", backend,
                       NULL);
}

/* Squares @n_items inputs on @executor, checking order and call count. */
static void
assert_map_squares (PmapExecutor *executor,
                    TestProbe    *probe,
                    guint         n_items)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = test_map (executor, probe, n_items, NULL, &error);
  g_assert_no_error (error);
  test_assert_squares (results, n_items);
  g_assert_cmpint (probe->n_calls, ==, n_items);
}

/* Thousands of tasks on the threads backend come back in input order,
 * whatever the batch size; data is the batch size (0: automatic). */
static void
test_ordered_results (gconstpointer data)
{
  guint batch_size = GPOINTER_TO_UINT (data);
  g_autoptr(PmapExecutor) executor = executor_new_with (-1, batch_size, "threads");
  TestProbe probe;

  test_probe_init (&probe);
  assert_map_squares (executor, &probe, N_MANY);
  g_assert_cmpuint (g_hash_table_size (probe.threads), <=,
                    pmap_executor_get_effective_n_jobs (executor));
  test_probe_clear (&probe);
}

static void
test_ordered_results_sequential (void)
{
  g_autoptr(PmapExecutor) executor = executor_new_with (4, 0, "sequential");
  TestProbe probe;

  test_probe_init (&probe);
  assert_map_squares (executor, &probe, N_MANY);
  g_assert_true (test_probe_ran_only_on (&probe, g_thread_self ()));
  test_probe_clear (&probe);
}

static GVariant *
same_input (GVariant  *input,
            gpointer   user_data,
            GError   **error)
{
  return g_variant_ref (input);
}

/* Inputs and results travel by reference: a function that returns its
 * input hands back the caller's own GVariant. */
static void
test_results_by_reference (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(GPtrArray) items = test_items_new (300);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = pmap_executor_map (executor, (GVariant **) items->pdata, items->len,
                               same_input, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, items->len);
  for (guint i = 0; i < items->len; i++)
    g_assert_true (g_ptr_array_index (results, i) == g_ptr_array_index (items, i));
}

static GVariant *
is_floating (GVariant  *input,
             gpointer   user_data,
             GError   **error)
{
  return g_variant_new_boolean (g_variant_is_floating (input));
}

/* Floating inputs are sunk before any task sees them, and freed with the
 * map (valgrind checks the second half). */
static void
test_floating_items (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *items[64];

  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    items[i] = g_variant_new_int64 (i);

  results = pmap_executor_map (executor, items, G_N_ELEMENTS (items),
                               is_floating, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, G_N_ELEMENTS (items));
  for (guint i = 0; i < results->len; i++)
    g_assert_false (g_variant_get_boolean (g_ptr_array_index (results, i)));
}

static void
count_freed (gpointer data)
{
  g_atomic_int_inc ((gint *) data);
}

/* Whether every input before this one has been freed. */
static GVariant *
inputs_before_freed (GVariant  *input,
                     gpointer   user_data,
                     GError   **error)
{
  return g_variant_new_boolean (g_atomic_int_get ((gint *) user_data) ==
                                g_variant_get_int64 (input));
}

/* A map lets go of each input once its task has run, rather than of all
 * of them when it ends: the caller gave them up, and freeing many small
 * inputs at the end would delay the results. */
static void
test_inputs_freed_as_tasks_run (void)
{
  static const gint64 values[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
  g_autoptr(PmapExecutor) executor = executor_new_with (1, 0, "sequential");
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *items[G_N_ELEMENTS (values)];
  gint n_freed = 0;

  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    items[i] = g_variant_new_from_data (G_VARIANT_TYPE_INT64, &values[i],
                                        sizeof (values[i]), TRUE,
                                        count_freed, &n_freed);

  results = pmap_executor_map (executor, items, G_N_ELEMENTS (items),
                               inputs_before_freed, &n_freed, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, G_N_ELEMENTS (items));
  for (guint i = 0; i < results->len; i++)
    g_assert_true (g_variant_get_boolean (g_ptr_array_index (results, i)));
  g_assert_cmpint (n_freed, ==, G_N_ELEMENTS (items));
}

/* No inputs: an empty result, and the function is never called; data is
 * the backend's name. */
static void
test_no_items (gconstpointer data)
{
  g_autoptr(PmapExecutor) executor = executor_new_with (-1, 0, data);
  TestProbe probe;

  for (int n_jobs = 1; n_jobs <= 3; n_jobs++)
    {
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;

      test_probe_init (&probe);
      pmap_executor_set_n_jobs (executor, n_jobs);
      results = pmap_executor_map (executor, NULL, 0, test_probe_square, &probe,
                                   NULL, &error);
      g_assert_no_error (error);
      test_assert_squares (results, 0);
      g_assert_cmpint (probe.n_calls, ==, 0);
      test_probe_clear (&probe);
    }
}

static void
test_n_jobs_negative (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  guint n_processors = g_get_num_processors ();
  TestProbe probe;

  g_assert_cmpint (pmap_executor_get_n_jobs (executor), ==, -1);
  g_assert_cmpuint (pmap_executor_get_effective_n_jobs (executor), ==, n_processors);

  test_probe_init (&probe);
  assert_map_squares (executor, &probe, 1000);
  g_assert_cmpuint (g_hash_table_size (probe.threads), <=, n_processors);
  test_probe_clear (&probe);

  pmap_executor_set_n_jobs (executor, -2);
  g_assert_cmpuint (pmap_executor_get_effective_n_jobs (executor), ==,
                    MAX (1, n_processors - 1));

  pmap_executor_set_n_jobs (executor, -1000);
  g_assert_cmpuint (pmap_executor_get_effective_n_jobs (executor), ==, 1);
}

/* n-jobs 1 runs every task on the calling thread, even on the threads
 * backend. */
static void
test_n_jobs_one (void)
{
  g_autoptr(PmapExecutor) executor = executor_new_with (1, 0, "threads");
  TestProbe probe;

  g_assert_cmpuint (pmap_executor_get_effective_n_jobs (executor), ==, 1);

  test_probe_init (&probe);
  assert_map_squares (executor, &probe, 500);
  g_assert_true (test_probe_ran_only_on (&probe, g_thread_self ()));
  test_probe_clear (&probe);
}

static void
test_n_jobs_more_than_items (void)
{
  g_autoptr(PmapExecutor) executor = executor_new_with (16, 0, "threads");
  TestProbe probe;

  g_assert_cmpuint (pmap_executor_get_effective_n_jobs (executor), ==, 16);

  test_probe_init (&probe);
  assert_map_squares (executor, &probe, 3);
  g_assert_cmpuint (g_hash_table_size (probe.threads), <=, 3);
  test_probe_clear (&probe);
}

/* test.concurrency reports how many of its calls ran at once: exactly
 * n-jobs of them, so tasks overlap, and no more than asked. Data is n-jobs. */
static void
test_n_jobs_overlap (gconstpointer data)
{
  int n_jobs = GPOINTER_TO_INT (data);
  g_autoptr(PmapExecutor) executor = executor_new_with (n_jobs, 1, "threads");
  guint n_items = 4 * n_jobs;
  g_autofree GVariant **items = g_new (GVariant *, n_items);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  gint64 most = 0;

  test_load_module ();

  for (guint i = 0; i < n_items; i++)
    items[i] = g_variant_new_int64 (60);

  results = pmap_executor_map_by_name (executor, "test.concurrency",
                                       items, n_items, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, n_items);

  for (guint i = 0; i < results->len; i++)
    most = MAX (most, g_variant_get_int64 (g_ptr_array_index (results, i)));
  g_assert_cmpint (most, ==, n_jobs);
}

/* A map started inside a task runs there, on the task's thread, however
 * many maps the task starts: the pool's workers may all be busy with
 * tasks that wait for those maps. */
static GVariant *
map_twice_inside (GVariant  *input,
                  gpointer   user_data,
                  GError   **error)
{
  PmapExecutor *executor = user_data;
  gboolean on_this_thread = TRUE;

  for (guint i = 0; i < 2; i++)
    {
      TestProbe probe;

      test_probe_init (&probe);
      probe.sleep_us = 1000;
      assert_map_squares (executor, &probe, 8);
      on_this_thread &= test_probe_ran_only_on (&probe, g_thread_self ());
      test_probe_clear (&probe);
    }

  return g_variant_new_boolean (on_this_thread);
}

static void
test_nested_maps (void)
{
  g_autoptr(PmapExecutor) executor = executor_new_with (2, 0, "threads");
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *item = g_variant_new_int64 (0);

  results = pmap_executor_map (executor, &item, 1, map_twice_inside, executor,
                               NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, 1);
  g_assert_true (g_variant_get_boolean (g_ptr_array_index (results, 0)));
}

/* Progress comes from inside map(), on the caller's thread, rising to the
 * number of tasks; data is the backend's name. */
static void
test_progress (gconstpointer data)
{
  const guint n_items = 2000, batch_size = 25;
  g_autoptr(PmapExecutor) executor = executor_new_with (2, batch_size, data);
  TestProgress progress;
  TestProbe probe;

  test_probe_init (&probe);
  test_progress_init (&progress, executor);
  assert_map_squares (executor, &probe, n_items);
  test_progress_assert (&progress, n_items, n_items / batch_size);
  test_progress_clear (&progress);
  test_probe_clear (&probe);
}

int
main (int   argc,
      char *argv[])
{
  static const guint batch_sizes[] = { 0, 1, 7, 64, N_MANY, 2 * N_MANY };

  test_init (&argc, &argv);

  for (guint i = 0; i < G_N_ELEMENTS (batch_sizes); i++)
    {
      g_autofree char *path = NULL;

      path = g_strdup_printf ("/Pmap/Executor/ordered-results/batch-size-%u",
                              batch_sizes[i]);
      g_test_add_data_func (path, GUINT_TO_POINTER (batch_sizes[i]),
                            test_ordered_results);
    }
  g_test_add_func ("/Pmap/Executor/ordered-results/sequential", test_ordered_results_sequential);
  g_test_add_func ("/Pmap/Executor/results-by-reference", test_results_by_reference);
  g_test_add_func ("/Pmap/Executor/floating-items", test_floating_items);
  g_test_add_func ("/Pmap/Executor/inputs-freed-as-tasks-run", test_inputs_freed_as_tasks_run);
  g_test_add_data_func ("/Pmap/Executor/no-items/threads", "threads", test_no_items);
  g_test_add_data_func ("/Pmap/Executor/no-items/sequential", "sequential", test_no_items);
  g_test_add_func ("/Pmap/Executor/n-jobs/negative", test_n_jobs_negative);
  g_test_add_func ("/Pmap/Executor/n-jobs/one-on-caller", test_n_jobs_one);
  g_test_add_func ("/Pmap/Executor/n-jobs/more-than-items", test_n_jobs_more_than_items);
  g_test_add_data_func ("/Pmap/Executor/n-jobs/overlap-1", GINT_TO_POINTER (1), test_n_jobs_overlap);
  g_test_add_data_func ("/Pmap/Executor/n-jobs/overlap-2", GINT_TO_POINTER (2), test_n_jobs_overlap);
  g_test_add_data_func ("/Pmap/Executor/n-jobs/overlap-3", GINT_TO_POINTER (3), test_n_jobs_overlap);
  g_test_add_func ("/Pmap/Executor/nested-maps", test_nested_maps);
  g_test_add_data_func ("/Pmap/Executor/progress/threads", "threads", test_progress);
  g_test_add_data_func ("/Pmap/Executor/progress/sequential", "sequential", test_progress);

  return g_test_run ();
}

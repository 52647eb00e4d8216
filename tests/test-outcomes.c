/* test-outcomes.c: maps whose failing tasks fail alone
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The program hosts its workers (pmap_host_workers()), so that its own
 * functions reach them by value.
 */

#include <unistd.h>

#include "pmap-test-processes-util.h"

#define N_ITEMS 12
#define DIES_AT 5

/* x → 10 x, failing on odd x. */
static GVariant *
fail_on_odd (GVariant  *input,
             gpointer   user_data,
             GError   **error)
{
  gint64 x = g_variant_get_int64 (input);

  if (x % 2 != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%" G_GINT64_FORMAT " is odd", x);
      return NULL;
    }

  return g_variant_new_int64 (10 * x);
}

/* x → x, except that the process running it exits on DIES_AT. */
static GVariant *
die_at (GVariant  *input,
        gpointer   user_data,
        GError   **error)
{
  gint64 x = g_variant_get_int64 (input);

  if (x == DIES_AT)
    _exit (3);

  return g_variant_new_int64 (x);
}

/* The outcomes of @func over the inputs 0 to N_ITEMS - 1, through
 * map_outcomes(), or map_wrapped_outcomes() if @wrapped. */
static GPtrArray *
map_outcomes (PmapExecutor  *executor,
              PmapFunc       func,
              gboolean       wrapped,
              GError       **error)
{
  g_autoptr(GPtrArray) items = test_int64_items_new (0, N_ITEMS);
  g_autoptr(PmapWrapped) wrapper = NULL;

  if (!wrapped)
    return pmap_executor_map_outcomes (executor, (GVariant **) items->pdata, items->len,
                                       func, NULL, NULL, error);

  wrapper = pmap_wrapped_new (func, NULL, NULL);
  return pmap_executor_map_wrapped_outcomes (executor, wrapper, (GVariant **) items->pdata,
                                             items->len, NULL, error);
}

/* The same, through the _async() forms and a main loop. */
static GPtrArray *
map_outcomes_async (PmapExecutor  *executor,
                    PmapFunc       func,
                    gboolean       wrapped,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(GPtrArray) items = test_int64_items_new (0, N_ITEMS);
  g_autoptr(PmapWrapped) wrapper = NULL;
  GPtrArray *outcomes;
  TestAsync async;

  test_async_init (&async);
  if (!wrapped)
    {
      pmap_executor_map_outcomes_async (executor, (GVariant **) items->pdata, items->len,
                                        func, NULL, NULL, cancellable, test_async_ready, &async);
      outcomes = pmap_executor_map_outcomes_finish (executor, test_async_wait (&async), error);
    }
  else
    {
      wrapper = pmap_wrapped_new (func, NULL, NULL);
      pmap_executor_map_wrapped_outcomes_async (executor, wrapper, (GVariant **) items->pdata,
                                                items->len, cancellable, test_async_ready,
                                                &async);
      outcomes = pmap_executor_map_wrapped_outcomes_finish (executor, test_async_wait (&async),
                                                            error);
    }
  test_async_clear (&async);
  return outcomes;
}

static PmapExecutor *
executor_new (const char *backend_name,
              guint       batch_size)
{
  g_autoptr(PmapBackend) backend = pmap_backend_create (backend_name, NULL);

  return g_object_new (PMAP_TYPE_EXECUTOR, "backend", backend, "n-jobs", 2,
                       "batch-size", batch_size, NULL);
}

/* Odd inputs fail with their own error, named after their task; even
 * ones give their value. */
static void
assert_odd_ones_failed (GPtrArray *outcomes)
{
  g_assert_nonnull (outcomes);
  g_assert_cmpuint (outcomes->len, ==, N_ITEMS);

  for (guint i = 0; i < N_ITEMS; i++)
    {
      PmapOutcome *outcome = g_ptr_array_index (outcomes, i);
      g_autoptr(GVariant) value = NULL;
      g_autoptr(GError) error = NULL;

      value = pmap_outcome_get_value (outcome, &error);
      if (i % 2 == 0)
        {
          g_assert_no_error (error);
          g_assert_true (pmap_outcome_succeeded (outcome));
          g_assert_cmpint (g_variant_get_int64 (value), ==, 10 * i);
        }
      else
        {
          g_autofree char *message = g_strdup_printf ("Task %u failed: %u is odd", i, i);

          g_assert_null (value);
          g_assert_false (pmap_outcome_succeeded (outcome));
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
          g_assert_cmpstr (error->message, ==, message);
        }
    }
}

/* With automatic batches and batches of 4; with the function given as
 * itself and wrapped. */
static void
test_each_task_its_outcome (gconstpointer data)
{
  for (guint batch_size = 0; batch_size <= 4; batch_size += 4)
    for (gboolean wrapped = FALSE; wrapped <= TRUE; wrapped++)
      {
        g_autoptr(PmapExecutor) executor = executor_new (data, batch_size);
        g_autoptr(GPtrArray) outcomes = NULL;
        g_autoptr(GError) error = NULL;

        outcomes = map_outcomes (executor, fail_on_odd, wrapped, &error);
        g_assert_no_error (error);
        assert_odd_ones_failed (outcomes);
        g_clear_pointer (&outcomes, g_ptr_array_unref);

        outcomes = map_outcomes_async (executor, fail_on_odd, wrapped, NULL, &error);
        g_assert_no_error (error);
        assert_odd_ones_failed (outcomes);
      }

  test_stop_idle_workers ();
}

/* The task whose worker dies fails alone, once its retries are spent;
 * the tasks of its batch before and after it run on new workers. Nothing
 * is left behind. Without retries and with one; the function given as
 * itself, then wrapped. */
static void
test_dead_worker_fails_its_task_alone (void)
{
  TestResources resources = { 0 };

  test_resources_snapshot (&resources);
  for (guint run = 0; run < 4; run++)
    {
      g_autoptr(PmapExecutor) executor = executor_new ("processes", 4);
      g_autoptr(GPtrArray) outcomes = NULL;
      g_autoptr(GError) error = NULL;
      guint retries = run % 2;

      pmap_executor_set_retries (executor, retries);
      outcomes = map_outcomes (executor, die_at, run >= 2, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (outcomes->len, ==, N_ITEMS);

      for (guint i = 0; i < N_ITEMS; i++)
        {
          g_autoptr(GError) task_error = NULL;
          g_autoptr(GVariant) value = pmap_outcome_get_value (outcomes->pdata[i], &task_error);

          if (i != DIES_AT)
            {
              g_assert_no_error (task_error);
              g_assert_cmpint (g_variant_get_int64 (value), ==, i);
              continue;
            }

          g_assert_error (task_error, PMAP_ERROR, PMAP_ERROR_WORKER_CRASHED);
          g_assert_true (g_str_has_prefix (task_error->message, "Task 5 failed: "));
          g_assert_nonnull (strstr (task_error->message, "exited with status 3"));
          g_assert_true ((strstr (task_error->message, "tried 2 times") != NULL) == (retries == 1));
        }
    }
  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

/* What concerns the whole map still fails it, blocking or not. */
static void
test_cancelled_map_fails (void)
{
  g_autoptr(PmapExecutor) executor = executor_new ("threads", 0);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) items = test_int64_items_new (0, N_ITEMS);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  outcomes = pmap_executor_map_outcomes (executor, (GVariant **) items->pdata, items->len,
                                         fail_on_odd, NULL, cancellable, &error);
  g_assert_null (outcomes);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  for (gboolean wrapped = FALSE; wrapped <= TRUE; wrapped++)
    {
      outcomes = map_outcomes_async (executor, fail_on_odd, wrapped, cancellable, &error);
      g_assert_null (outcomes);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_error (&error);
    }
}

static void
test_empty_map (void)
{
  g_autoptr(PmapExecutor) executor = executor_new ("threads", 0);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;

  outcomes = pmap_executor_map_outcomes (executor, NULL, 0, fail_on_odd, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outcomes->len, ==, 0);
}

static void
test_outcome_boxed (void)
{
  g_autoptr(PmapExecutor) executor = executor_new ("sequential", 0);
  g_autoptr(GPtrArray) outcomes = map_outcomes (executor, fail_on_odd, FALSE, NULL);
  PmapOutcome *copy = g_boxed_copy (PMAP_TYPE_OUTCOME, outcomes->pdata[0]);

  g_clear_pointer (&outcomes, g_ptr_array_unref);
  /* The copy is a reference, which outlives the array. */
  g_assert_true (pmap_outcome_succeeded (copy));
  g_boxed_free (PMAP_TYPE_OUTCOME, copy);
}

int
main (int   argc,
      char *argv[])
{
  pmap_host_workers ();

  test_init (&argc, &argv);

  g_test_add_data_func ("/Pmap/Outcomes/sequential", "sequential", test_each_task_its_outcome);
  g_test_add_data_func ("/Pmap/Outcomes/threads", "threads", test_each_task_its_outcome);
  g_test_add_data_func ("/Pmap/Outcomes/processes", "processes", test_each_task_its_outcome);
  g_test_add_func ("/Pmap/Outcomes/processes/dead-worker", test_dead_worker_fails_its_task_alone);
  g_test_add_func ("/Pmap/Outcomes/cancelled", test_cancelled_map_fails);
  g_test_add_func ("/Pmap/Outcomes/empty", test_empty_map);
  g_test_add_func ("/Pmap/Outcomes/boxed", test_outcome_boxed);

  return g_test_run ();
}

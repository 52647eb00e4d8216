/* test-batching.c: the sizes of the batches in which the threads and
 * processes backends run a map's tasks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The job logs each batch it hands out when debug messages of the "Pmap"
 * domain are on (G_MESSAGES_DEBUG=Pmap); this program turns them on and
 * catches them, so that each test sees every batch of its map: which task
 * it starts at and how many it has. Workers run the pmap-worker helper
 * with the test module's "test.square" (x → x²) and "test.sleep-ms"
 * (ms → ms, after sleeping that long).
 */

#include <stdio.h>

#include "pmap-test-processes-util.h"

typedef struct
{
  guint first;
  guint n_tasks;
} Batch;

/* The batches of the current map, as the log announced them. */
static GMutex batches_mutex;
static GArray *batches;

static void
catch_batch (const char     *log_domain,
             GLogLevelFlags  log_level,
             const char     *message,
             gpointer        user_data)
{
  const char *found = strstr (message, "batch of ");
  Batch batch;

  if (found == NULL ||
      sscanf (found, "batch of %u tasks from task %u", &batch.n_tasks, &batch.first) != 2)
    g_error ("Unexpected debug message: %s", message);

  g_mutex_lock (&batches_mutex);
  g_array_append_val (batches, batch);
  g_mutex_unlock (&batches_mutex);
}

static int
compare_batches (gconstpointer a,
                 gconstpointer b)
{
  const Batch *batch_a = a, *batch_b = b;

  return batch_a->first < batch_b->first ? -1 : batch_a->first > batch_b->first;
}

/* Maps the function registered as @name, or else @func with @user_data,
 * over @items, checks that the batches cover every task once, and returns
 * them in the order of their tasks. */
static GArray *
map_func_in_batches (PmapExecutor  *executor,
                     const char    *name,
                     PmapFunc       func,
                     gpointer       user_data,
                     GPtrArray     *items,
                     GPtrArray    **results)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) sizes = g_string_new (NULL);
  GArray *seen;
  guint next = 0;

  g_mutex_lock (&batches_mutex);
  g_array_set_size (batches, 0);
  g_mutex_unlock (&batches_mutex);

  if (name != NULL)
    *results = pmap_executor_map_by_name (executor, name, (GVariant **) items->pdata,
                                          items->len, NULL, &error);
  else
    *results = pmap_executor_map (executor, (GVariant **) items->pdata, items->len,
                                  func, user_data, NULL, &error);
  g_assert_no_error (error);

  g_mutex_lock (&batches_mutex);
  seen = g_array_copy (batches);
  g_mutex_unlock (&batches_mutex);

  g_array_sort (seen, compare_batches);
  for (guint i = 0; i < seen->len; i++)
    {
      Batch *batch = &g_array_index (seen, Batch, i);

      if (i < 40)
        g_string_append_printf (sizes, " %u", batch->n_tasks);
      g_assert_cmpuint (batch->first, ==, next);
      g_assert_cmpuint (batch->n_tasks, >, 0);
      next += batch->n_tasks;
    }
  g_test_message ("%u batches of%s%s", seen->len, sizes->str,
                  seen->len > 40 ? " …" : "");
  g_assert_cmpuint (next, ==, items->len);

  return seen;
}

static GArray *
map_in_batches (PmapExecutor  *executor,
                const char    *name,
                GPtrArray     *items,
                GPtrArray    **results)
{
  return map_func_in_batches (executor, name, NULL, NULL, items, results);
}

static guint
largest_batch (GArray *seen)
{
  guint largest = 0;

  for (guint i = 0; i < seen->len; i++)
    largest = MAX (largest, g_array_index (seen, Batch, i).n_tasks);

  return largest;
}

/* The @n results of test.sleep-ms over @ms each. */
static void
assert_all_slept (GPtrArray *results,
                  guint      n,
                  gint64     ms)
{
  g_assert_cmpuint (results->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (g_variant_get_int64 (g_ptr_array_index (results, i)), ==, ms);
}

static PmapExecutor *
executor_new (const char *backend_name,
              guint       batch_size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmapBackend) backend = pmap_backend_create (backend_name, &error);
  PmapExecutor *executor;

  g_assert_no_error (error);
  executor = pmap_executor_new ();
  pmap_executor_set_backend (executor, backend);
  pmap_executor_set_n_jobs (executor, 2);
  pmap_executor_set_batch_size (executor, batch_size);

  return executor;
}

/* Before anything is measured, a map starts with single tasks; once it
 * knows them tiny, it takes them by the hundred, and ends in few batches.
 * Guided scheduling alone would start with a quarter of the tasks. */
static void
test_tiny_tasks (gconstpointer data)
{
  const char *backend_name = data;
  g_autoptr(PmapExecutor) executor = executor_new (backend_name, 0);
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 20000);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GArray) seen = NULL;

  /* Twice: the second map of the same function, on workers that are
   * warm, starts from what the first measured, as joblib's Parallel keeps
   * its batch size from one call to the next. */
  for (guint run = 0; run < 2; run++)
    {
      g_clear_pointer (&results, g_ptr_array_unref);
      g_clear_pointer (&seen, g_array_unref);
      seen = map_in_batches (executor, "test.square", items, &results);
      test_assert_squares (results, items->len);

      if (run == 0)
        g_assert_cmpuint (g_array_index (seen, Batch, 0).n_tasks, ==, 1);
      else
        g_assert_cmpuint (g_array_index (seen, Batch, 0).n_tasks, >, 1);
      g_assert_cmpuint (largest_batch (seen), >=, 100);
      g_assert_cmpuint (seen->len, <=, 200);
    }

  /* Another function starts again from a single task. */
  g_clear_pointer (&results, g_ptr_array_unref);
  g_clear_pointer (&seen, g_array_unref);
  seen = map_in_batches (executor, "test.where", items, &results);
  g_assert_cmpuint (g_array_index (seen, Batch, 0).n_tasks, ==, 1);
}

/* x → x + the number in @user_data. */
static GVariant *
add (GVariant  *input,
     gpointer   user_data,
     GError   **error)
{
  return g_variant_new_int64 (g_variant_get_int64 (input) + GPOINTER_TO_INT (user_data));
}

/* What an executor remembers is the function's with its data: the same
 * function with other data, whose tasks may take longer, starts again
 * from a single task. */
static void
test_remembered_per_data (void)
{
  g_autoptr(PmapExecutor) executor = executor_new ("threads", 0);
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 20000);

  for (guint run = 0; run < 3; run++)
    {
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GArray) seen = NULL;
      int data = run < 2 ? 1 : 2;

      seen = map_func_in_batches (executor, NULL, add, GINT_TO_POINTER (data), items, &results);
      g_assert_cmpint (g_variant_get_int64 (results->pdata[7]), ==, 7 + data);
      if (run == 1)
        g_assert_cmpuint (g_array_index (seen, Batch, 0).n_tasks, >, 1);
      else
        g_assert_cmpuint (g_array_index (seen, Batch, 0).n_tasks, ==, 1);
    }
}

/* Tasks of 20 ms go a couple at a time, whatever is left: a batch lasts
 * 50 ms at most once a task has been measured. Guided scheduling alone
 * would start with 6. */
static void
test_slow_tasks (gconstpointer data)
{
  g_autoptr(PmapExecutor) executor = executor_new (data, 0);
  g_autoptr(GPtrArray) items = test_int64_items_repeat (20, 24);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GArray) seen = NULL;

  seen = map_in_batches (executor, "test.sleep-ms", items, &results);
  assert_all_slept (results, items->len, 20);

  g_assert_cmpuint (largest_batch (seen), <=, 3);
  g_assert_cmpuint (seen->len, >=, items->len / 3);
}

/* Tasks that turn quick after slow ones: the batches, a couple of tasks
 * while the tasks are slow, grow again once the quick ones are measured. */
static void
test_slow_then_quick (gconstpointer data)
{
  g_autoptr(PmapExecutor) executor = executor_new (data, 0);
  g_autoptr(GPtrArray) items = test_int64_items_repeat (20, 10);
  g_autoptr(GPtrArray) quick = test_int64_items_repeat (0, 4000);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GArray) seen = NULL;

  g_ptr_array_extend_and_steal (items, g_steal_pointer (&quick));
  seen = map_in_batches (executor, "test.sleep-ms", items, &results);
  g_assert_cmpuint (results->len, ==, items->len);
  for (guint i = 0; i < results->len; i++)
    g_assert_cmpint (g_variant_get_int64 (g_ptr_array_index (results, i)), ==,
                     i < 10 ? 20 : 0);

  for (guint i = 0; i < seen->len; i++)
    if (g_array_index (seen, Batch, i).first < 10)
      g_assert_cmpuint (g_array_index (seen, Batch, i).n_tasks, <=, 3);
  g_assert_cmpuint (largest_batch (seen), >=, 50);
}

/* A map of slow tasks after one of quick tasks of the same function: what
 * the executor remembers is only a guess at this map's tasks, so until
 * one of its batches ends, no batch takes more than guided scheduling's
 * share, a quarter of the tasks on 2 jobs, and the slow tasks are not
 * handed out in halves. */
static void
test_remembered_quick_then_slow (gconstpointer data)
{
  g_autoptr(PmapExecutor) executor = executor_new (data, 0);
  g_autoptr(GPtrArray) quick = test_int64_items_repeat (0, 4000);
  g_autoptr(GPtrArray) slow = test_int64_items_repeat (20, 8);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GArray) seen = NULL;

  seen = map_in_batches (executor, "test.sleep-ms", quick, &results);
  g_assert_cmpuint (largest_batch (seen), >=, 50);
  g_clear_pointer (&results, g_ptr_array_unref);
  g_clear_pointer (&seen, g_array_unref);

  seen = map_in_batches (executor, "test.sleep-ms", slow, &results);
  assert_all_slept (results, slow->len, 20);
  /* The first batch of each job, in the order they were handed out. */
  g_assert_cmpuint (seen->len, >=, 2);
  g_assert_cmpuint (g_array_index (seen, Batch, 0).n_tasks, ==, slow->len / 4);
  g_assert_cmpuint (g_array_index (seen, Batch, 1).n_tasks, <=, slow->len / 4);
}

/* An explicit batch-size is the size of every batch but the last, whatever
 * the tasks take. */
static void
test_explicit_size (gconstpointer data)
{
  const char *backend_name = data;
  static const guint sizes[] = { 1, 7, 1000 };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      g_autoptr(PmapExecutor) executor = executor_new (backend_name, sizes[s]);
      g_autoptr(GPtrArray) items = test_int64_items_new (0, 2503);
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GArray) seen = NULL;

      seen = map_in_batches (executor, "test.square", items, &results);
      test_assert_squares (results, items->len);

      g_assert_cmpuint (seen->len, ==, (items->len + sizes[s] - 1) / sizes[s]);
      for (guint i = 0; i + 1 < seen->len; i++)
        g_assert_cmpuint (g_array_index (seen, Batch, i).n_tasks, ==, sizes[s]);
      g_assert_cmpuint (g_array_index (seen, Batch, seen->len - 1).n_tasks, ==,
                        items->len - (seen->len - 1) * sizes[s]);
    }
}

int
main (int   argc,
      char *argv[])
{
  static const char *backends[] = { "threads", "processes" };
  int status;

  /* Before the first job, which reads it. */
  g_setenv ("G_MESSAGES_DEBUG", "Pmap", TRUE);
  test_init (&argc, &argv);
  test_load_module ();

  batches = g_array_new (FALSE, FALSE, sizeof (Batch));
  g_log_set_handler ("Pmap", G_LOG_LEVEL_DEBUG, catch_batch, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (backends); i++)
    {
      g_autofree char *tiny = g_strdup_printf ("/Pmap/Batching/%s/tiny-tasks", backends[i]);
      g_autofree char *slow = g_strdup_printf ("/Pmap/Batching/%s/slow-tasks", backends[i]);
      g_autofree char *slow_then_quick = g_strdup_printf ("/Pmap/Batching/%s/slow-then-quick-tasks", backends[i]);
      g_autofree char *fixed = g_strdup_printf ("/Pmap/Batching/%s/explicit-size", backends[i]);
      g_autofree char *remembered = g_strdup_printf ("/Pmap/Batching/%s/remembered-quick-then-slow", backends[i]);

      g_test_add_data_func (tiny, backends[i], test_tiny_tasks);
      g_test_add_data_func (slow, backends[i], test_slow_tasks);
      g_test_add_data_func (slow_then_quick, backends[i], test_slow_then_quick);
      g_test_add_data_func (fixed, backends[i], test_explicit_size);
      g_test_add_data_func (remembered, backends[i], test_remembered_quick_then_slow);
    }
  g_test_add_func ("/Pmap/Batching/threads/remembered-per-data", test_remembered_per_data);

  status = g_test_run ();
  test_stop_idle_workers ();
  g_array_unref (batches);

  return status;
}

/* test-shared.c: large values that many inputs share, on the processes
 * backend
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The workers run the pmap-worker helper, which loads the test module. Its
 * "test.inspect-bytes" looks at where its input lies in the worker's
 * memory, which is what shows that a shared value was sent to a worker
 * once.
 */

#include <string.h>
#include <sys/resource.h>

#include <glib/gstdio.h>

#include "pmap-test-processes-util.h"

#define BIG_SIZE (2 * 1024 * 1024)
#define N_INPUTS 40

/* Inputs. */

static GVariant *
bytes_new (gsize  size,
           guint8 seed)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 7 + seed);

  return g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, data,
                                                      size, TRUE, g_free, data));
}

static GVariant *
big_bytes_new (guint8 seed)
{
  return bytes_new (BIG_SIZE, seed);
}

/* (us@ay) inputs, all with @big; task @dies dies once, by @dir. */
static GPtrArray *
inspect_items_new (GVariant   *big,
                   const char *dir,
                   guint       dies)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  for (guint i = 0; i < N_INPUTS; i++)
    {
      g_autofree char *path = i == dies ? g_build_filename (dir, "died", NULL) : g_strdup ("");

      g_ptr_array_add (items, g_variant_ref_sink (g_variant_new ("(us@ay)", i, path, big)));
    }

  return items;
}

/* Maps a function of the test module: "test.checksum", (u…) → (ut), the
 * index and the sum of all the input's bytes; or "test.inspect-bytes",
 * (us@ay) → (xtsu), the worker's pid, where the bytestring's data lies,
 * the mapping that holds it, and how many shared values the worker maps,
 * the worker dying the first time it runs for a path that does not exist
 * yet. */
static GPtrArray *
map (PmapExecutor *executor,
     const char   *name,
     GPtrArray    *items)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *results;

  test_load_module ();
  results = pmap_executor_map_by_name (executor, name, (GVariant **) items->pdata,
                                       items->len, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, items->len);
  return results;
}

/* Checks that every task found its bytestring in a shared mapping whose
 * name contains @memfd, the same one for all the tasks of a worker, and
 * that each worker mapped one shared value only. Returns the workers'
 * pids, each once. */
static GArray *
assert_shared_once (GPtrArray  *results,
                    const char *memfd)
{
  g_autoptr(GHashTable) address_of = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                                            g_free, NULL);
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < results->len; i++)
    {
      gint64 pid;
      guint64 address;
      const char *mapping;
      guint n_shared;
      gpointer seen;

      g_variant_get (results->pdata[i], "(xt&su)", &pid, &address, &mapping, &n_shared);
      g_assert_nonnull (strstr (mapping, memfd));
      g_assert_cmpuint (n_shared, ==, 1);

      seen = g_hash_table_lookup (address_of, &pid);
      if (seen == NULL)
        {
          g_array_append_val (pids, pid);
          g_hash_table_insert (address_of, g_memdup2 (&pid, sizeof pid),
                               GSIZE_TO_POINTER ((gsize) address));
        }
      else
        g_assert_cmpuint (GPOINTER_TO_SIZE (seen), ==, address);
    }

  return pids;
}

/* Tests. */

/* No task of a "test.inspect-bytes" map found its bytestring in a shared
 * value: each came in its batch. */
static void
assert_not_shared (GPtrArray *results)
{
  for (guint i = 0; i < results->len; i++)
    {
      const char *mapping;
      guint n_shared;

      g_variant_get (results->pdata[i], "(xt&su)", NULL, NULL, &mapping, &n_shared);
      g_assert_null (strstr (mapping, "pmap-shared"));
      g_assert_cmpuint (n_shared, ==, 0);
    }
}

/* Inputs that share large values, wherever they hold them, give the
 * threads backend's results. */
static void
test_same_results_as_threads (void)
{
  g_autoptr(GVariant) first = big_bytes_new (1);
  g_autoptr(GVariant) second = big_bytes_new (2);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(PmapExecutor) processes = test_processes_executor_new (2, 0);
  g_autoptr(PmapExecutor) threads = pmap_executor_new ();
  g_autoptr(PmapBackend) backend = pmap_backend_create ("threads", NULL);
  g_autoptr(GPtrArray) expected = NULL;
  g_autoptr(GPtrArray) results = NULL;

  for (guint i = 0; i < N_INPUTS; i++)
    {
      /* Every third input holds a value of its own, which travels as
       * usual; others hold the shared ones as a child, in a variant, as
       * the input itself, and deeper in tuples. */
      g_autoptr(GVariant) own = i % 3 == 0 ? big_bytes_new (i) : NULL;
      GVariant *input;

      if (i % 5 == 1)
        input = first;
      else if (i % 5 == 2)
        input = g_variant_new ("(u(s@ay))", i, "deeper", second);
      else
        input = g_variant_new ("(u@ay@v)", i, own != NULL ? own : first,
                               g_variant_new_variant (second));
      g_ptr_array_add (items, g_variant_ref_sink (input));
    }

  pmap_executor_set_backend (threads, backend);
  expected = map (threads, "test.checksum", items);
  results = map (processes, "test.checksum", items);
  for (guint i = 0; i < items->len; i++)
    g_assert_true (g_variant_equal (results->pdata[i], expected->pdata[i]));

  test_stop_idle_workers ();
}

/* A value that every input holds reaches each worker once: all the tasks
 * of a worker see it at the same address, in a memfd of shared values,
 * and the worker maps no other. The next map's value replaces it in the
 * same workers, which let go of the first. */
static void
test_once_per_worker (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(GArray) first_pids = NULL;
  g_autoptr(GArray) second_pids = NULL;
  gboolean reused = FALSE;

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(GVariant) big = big_bytes_new (round);
      g_autoptr(GPtrArray) items = inspect_items_new (big, NULL, G_MAXUINT);
      g_autoptr(GPtrArray) results = map (executor, "test.inspect-bytes", items);
      GArray *pids = assert_shared_once (results, "memfd:pmap-shared");

      g_assert_cmpuint (pids->len, >=, 1);
      g_assert_cmpuint (pids->len, <=, 2);
      if (round == 0)
        first_pids = pids;
      else
        second_pids = pids;
    }

  for (guint i = 0; i < first_pids->len; i++)
    for (guint j = 0; j < second_pids->len; j++)
      reused |= g_array_index (first_pids, gint64, i) == g_array_index (second_pids, gint64, j);
  g_assert_true (reused);

  test_stop_idle_workers ();
}

/* A worker that dies in the middle of a map is replaced by one that gets
 * the shared value again. (One job would run in this process: two.) */
static void
test_replaced_worker (void)
{
  g_autofree char *dir = g_dir_make_tmp ("pmap-shared-XXXXXX", NULL);
  g_autofree char *died = g_build_filename (dir, "died", NULL);
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(GVariant) big = big_bytes_new (3);
  g_autoptr(GPtrArray) items = inspect_items_new (big, dir, 10);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GArray) pids = NULL;

  pmap_executor_set_retries (executor, 1);
  results = map (executor, "test.inspect-bytes", items);
  /* Task 10 ran again on a worker started for it, which found the value
   * in its own mapping of the shared memfd. */
  pids = assert_shared_once (results, "memfd:pmap-shared");
  g_assert_cmpuint (pids->len, >=, 2);
  g_assert_true (g_file_test (died, G_FILE_TEST_EXISTS));

  test_stop_idle_workers ();
  g_assert_cmpint (g_remove (died), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* max-nbytes: its default, its round trip, and its effect: a value
 * smaller than it travels in the batches, one as large is shared. */
static void
test_max_nbytes (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 4);
  g_autoptr(GVariant) big = big_bytes_new (4);
  g_autoptr(GPtrArray) items = inspect_items_new (big, NULL, G_MAXUINT);
  guint n_notified = 0;
  guint64 max_nbytes;

  g_assert_cmpuint (pmap_executor_get_max_nbytes (executor), ==, 1024 * 1024);
  g_signal_connect (executor, "notify::max-nbytes", G_CALLBACK (test_count_notify), &n_notified);
  pmap_executor_set_max_nbytes (executor, 4 * BIG_SIZE);
  pmap_executor_set_max_nbytes (executor, 4 * BIG_SIZE);
  g_object_get (executor, "max-nbytes", &max_nbytes, NULL);
  g_assert_cmpuint (max_nbytes, ==, 4 * BIG_SIZE);
  g_assert_cmpuint (n_notified, ==, 1);

  /* Not shared: each batch of four brings its own copy, in the memfd of
   * the batch, and the worker maps no shared value. */
  {
    g_autoptr(GPtrArray) results = map (executor, "test.inspect-bytes", items);

    assert_not_shared (results);
  }

  g_object_set (executor, "max-nbytes", (guint64) BIG_SIZE, NULL);
  g_assert_cmpuint (n_notified, ==, 2);
  {
    g_autoptr(GPtrArray) results = map (executor, "test.inspect-bytes", items);
    g_autoptr(GArray) pids = assert_shared_once (results, "memfd:pmap-shared");

    g_assert_cmpuint (pids->len, <=, 2);
  }

  /* Held by no more inputs than there are jobs, it travels in their
   * batches: 2 inputs on 2 jobs. */
  {
    g_autoptr(GPtrArray) two = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
    g_autoptr(GPtrArray) results = NULL;

    g_ptr_array_add (two, g_variant_ref (items->pdata[0]));
    g_ptr_array_add (two, g_variant_ref (items->pdata[1]));
    results = map (executor, "test.inspect-bytes", two);
    assert_not_shared (results);
  }

  if (g_test_undefined ())
    {
      g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL, "*max_nbytes >= *");
      pmap_executor_set_max_nbytes (executor, 100);
      g_test_assert_expected_messages ();
      g_assert_cmpuint (pmap_executor_get_max_nbytes (executor), ==, BIG_SIZE);
    }

  test_stop_idle_workers ();
}

/* max-nbytes is also where the parent's messages start to travel as
 * memfds: a batch of one input of 96 KiB goes through the socket by
 * default, and in a memfd under a max-nbytes of 64 KiB. Each input has a
 * value of its own, which nothing shares. */
static void
test_max_nbytes_frames (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  const char *expected[] = { NULL, "memfd:pmap-message" };
  guint64 max_nbytes[] = { 1024 * 1024, 64 * 1024 };

  for (guint i = 0; i < 8; i++)
    {
      g_autoptr(GVariant) own = bytes_new (96 * 1024, i);

      g_ptr_array_add (items, g_variant_ref_sink (g_variant_new ("(us@ay)", i, "", own)));
    }

  for (guint round = 0; round < G_N_ELEMENTS (max_nbytes); round++)
    {
      g_autoptr(GPtrArray) results = NULL;

      pmap_executor_set_max_nbytes (executor, max_nbytes[round]);
      results = map (executor, "test.inspect-bytes", items);
      for (guint i = 0; i < results->len; i++)
        {
          const char *mapping;
          guint n_shared;

          g_variant_get (results->pdata[i], "(xt&su)", NULL, NULL, &mapping, &n_shared);
          g_assert_cmpuint (n_shared, ==, 0);
          if (expected[round] != NULL)
            g_assert_nonnull (strstr (mapping, expected[round]));
          else
            g_assert_null (strstr (mapping, "memfd:"));
        }
    }

  test_stop_idle_workers ();
}

static gboolean
fill_pattern (guint8   *data,
              gsize     size,
              gpointer  user_data,
              GError  **error)
{
  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 7 + 5);
  return TRUE;
}

/* A value in bytes that pmap_bytes_new_shared_fill() made reaches the
 * workers in their own memfd, which nothing copied, and gives the same
 * results as the same value in ordinary memory. */
static void
test_shared_bytes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = pmap_bytes_new_shared_fill (BIG_SIZE, fill_pattern, NULL, &error);
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(GBytes) slice = NULL;
  g_autoptr(GVariant) big = NULL;
  g_autoptr(GVariant) copy = big_bytes_new (5);
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) copy_items = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) sums = NULL;
  g_autoptr(GPtrArray) copy_sums = NULL;
  g_autoptr(GArray) pids = NULL;

  g_assert_no_error (error);
  g_assert_true (pmap_bytes_is_shared (bytes));
  slice = g_bytes_new_from_bytes (bytes, 4096, 4096);
  g_assert_true (pmap_bytes_is_shared (slice));
  plain = g_variant_get_data_as_bytes (copy);
  g_assert_false (pmap_bytes_is_shared (plain));
  g_assert_true (g_bytes_equal (bytes, plain));

  big = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE));
  items = inspect_items_new (big, NULL, G_MAXUINT);
  results = map (executor, "test.inspect-bytes", items);
  pids = assert_shared_once (results, "memfd:pmap-bytes");
  g_assert_cmpuint (pids->len, <=, 2);

  copy_items = inspect_items_new (copy, NULL, G_MAXUINT);
  sums = map (executor, "test.checksum", items);
  copy_sums = map (executor, "test.checksum", copy_items);
  for (guint i = 0; i < items->len; i++)
    g_assert_true (g_variant_equal (sums->pdata[i], copy_sums->pdata[i]));

  test_stop_idle_workers ();
}

int
main (int   argc,
      char *argv[])
{
  struct rlimit no_core = { 0, 0 };

  /* The worker that dies on purpose leaves no core file. */
  setrlimit (RLIMIT_CORE, &no_core);

  test_init (&argc, &argv);

  g_test_add_func ("/Pmap/Shared/same-results", test_same_results_as_threads);
  g_test_add_func ("/Pmap/Shared/once-per-worker", test_once_per_worker);
  g_test_add_func ("/Pmap/Shared/replaced-worker", test_replaced_worker);
  g_test_add_func ("/Pmap/Shared/max-nbytes", test_max_nbytes);
  g_test_add_func ("/Pmap/Shared/max-nbytes-frames", test_max_nbytes_frames);
  g_test_add_func ("/Pmap/Shared/shared-bytes", test_shared_bytes);

  return g_test_run ();
}

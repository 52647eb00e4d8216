/* test-fork.c: a copy of the process that fork() makes after pmap-glib
 * started threads refuses maps on the backends whose threads it lacks,
 * rather than wait for ever
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Workers run the pmap-worker helper, which loads the test module and its
 * "test.square".
 */

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pmap-test-processes-util.h"

static GPtrArray *
map_squares (PmapExecutor  *executor,
             GPtrArray     *items,
             GError       **error)
{
  return pmap_executor_map_by_name (executor, "test.square", (GVariant **) items->pdata,
                                    items->len, NULL, error);
}

static void
assert_squares_map (PmapExecutor *executor,
                    GPtrArray    *items)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_squares (executor, items, &error);
  g_assert_no_error (error);
  test_assert_squares (results, items->len);
}

/* In the copy: what it may and may not map. Writes "ok" to @report when
 * all is as it should be, then ends without exiting: the copy must not
 * run the test program on, and what its original's threads held, which
 * it lacks, is no leak of its own for valgrind to report. */
static void
check_copy (PmapExecutor *threads,
            PmapExecutor *processes,
            int           original,
            GPtrArray    *items,
            int           report)
{
  g_autoptr(PmapExecutor) sequential = test_executor_new_with ("sequential", NULL);
  PmapExecutor *refusing[] = { threads, processes };

  for (guint i = 0; i < G_N_ELEMENTS (refusing); i++)
    {
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *copy_and_original = NULL;
      g_autofree char *backend = NULL;

      results = map_squares (refusing[i], items, &error);
      g_assert_null (results);
      g_assert_error (error, PMAP_ERROR, PMAP_ERROR_FORKED);
      copy_and_original = g_strdup_printf ("This process (%d) is a copy that fork() made "
                                           "of process %d ", (int) getpid (), original);
      backend = g_strdup_printf ("the “%s” backend cannot run here",
                                 pmap_backend_get_name (pmap_executor_get_backend (refusing[i])));
      g_assert_true (g_str_has_prefix (error->message, copy_and_original));
      g_assert_nonnull (strstr (error->message, backend));
      g_assert_nonnull (strstr (error->message, "“sequential” backend"));

      /* One job runs on the calling thread, which the copy has. */
      pmap_executor_set_n_jobs (refusing[i], 1);
      assert_squares_map (refusing[i], items);
    }

  assert_squares_map (sequential, items);
  g_assert_cmpint (write (report, "ok", 2), ==, 2);
  raise (SIGKILL);
}

static void
test_copy_refuses_threaded_maps (void)
{
  g_autoptr(PmapExecutor) threads = test_executor_new_with ("threads", NULL);
  g_autoptr(PmapExecutor) processes = test_executor_new_with ("processes", NULL);
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 40);
  char outcome[3] = "";
  int report[2];
  int status;
  pid_t copy;

  /* The original starts its threads and workers. */
  assert_squares_map (threads, items);
  assert_squares_map (processes, items);

  g_assert_cmpint (pipe (report), ==, 0);
  copy = fork ();
  g_assert_cmpint (copy, >=, 0);
  if (copy == 0)
    check_copy (threads, processes, (int) getppid (), items, report[1]);

  close (report[1]);
  g_assert_cmpint (waitpid (copy, &status, 0), ==, copy);
  g_assert_cmpint (read (report[0], outcome, 2), ==, 2);
  close (report[0]);
  g_assert_cmpstr (outcome, ==, "ok");
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

  /* The original maps on. */
  assert_squares_map (threads, items);
  assert_squares_map (processes, items);
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);
  test_load_module ();

  g_test_add_func ("/Pmap/Fork/copy-refuses-threaded-maps", test_copy_refuses_threaded_maps);

  return g_test_run ();
}

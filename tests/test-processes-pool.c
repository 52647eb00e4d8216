/* test-processes-pool.c: the pool of worker processes that every processes
 * backend shares: reuse, replacement, parallelism, the idle timeout, and
 * workers that do not outlive their parent
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * main() calls pmap_host_workers() first, so the workers are this very
 * program, re-executed, and the functions mapped here are its own: they
 * travel by the program's build-id and their offsets in it.
 */

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "pmap-test-processes-util.h"

/* How long a worker waits for the others in meet(). */
#define MEET_TIMEOUT_S 20

/* The functions that workers run. */

/* (directory, n) → the worker's pid, once n workers, this one included,
 * have called it with the same directory: tasks that can only finish when
 * they run at the same time, which proves that workers do. */
static GVariant *
meet (GVariant  *input,
      gpointer   user_data,
      GError   **error)
{
  g_autofree char *mark = NULL;
  gint64 deadline = g_get_monotonic_time () + MEET_TIMEOUT_S * G_USEC_PER_SEC;
  const char *directory;
  guint32 n;

  g_variant_get (input, "(&su)", &directory, &n);
  mark = g_strdup_printf ("%s/%d", directory, (int) getpid ());
  if (!g_file_set_contents (mark, "", 0, error))
    return NULL;

  for (;;)
    {
      g_autoptr(GDir) dir = g_dir_open (directory, 0, error);
      guint n_arrived = 0;

      if (dir == NULL)
        return NULL;
      while (g_dir_read_name (dir) != NULL)
        n_arrived++;

      if (n_arrived >= n)
        return g_variant_new_int64 (getpid ());

      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "only %u of %u workers arrived", n_arrived, n);
          return NULL;
        }
      g_usleep (2 * G_TIME_SPAN_MILLISECOND);
    }
}

static GVariant *
sleep_a_minute (GVariant  *input,
                gpointer   user_data,
                GError   **error)
{
  g_usleep (60 * G_USEC_PER_SEC);
  return g_variant_new_int64 (0);
}

/* path → the worker's pid, after starting a child that holds the worker's
 * channel open, as a process that a task started and left behind would,
 * and writing the child's pid to path. */
static GVariant *
leave_a_child (GVariant  *input,
               gpointer   user_data,
               GError   **error)
{
  g_autofree char *text = NULL;
  pid_t child = fork ();

  if (child == 0)
    {
      sleep (60);
      _exit (0);
    }
  text = g_strdup_printf ("%d", (int) child);
  if (!g_file_set_contents (g_variant_get_string (input, NULL), text, -1, error))
    return NULL;
  return g_variant_new_int64 (getpid ());
}

/* Helpers. */

static int
compare_ints (gconstpointer a,
              gconstpointer b)
{
  return *(const int *) a - *(const int *) b;
}

/* The pids that answered a map, sorted, without repeats. */
static GArray *
answering_pids (GPtrArray *results)
{
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (int));

  g_assert_nonnull (results);
  for (guint i = 0; i < results->len; i++)
    {
      int pid = g_variant_get_int64 (g_ptr_array_index (results, i));
      gboolean seen = FALSE;

      g_assert_cmpint (pid, !=, getpid ());
      for (guint j = 0; j < pids->len; j++)
        seen |= g_array_index (pids, int, j) == pid;
      if (!seen)
        g_array_append_val (pids, pid);
    }

  g_array_sort (pids, compare_ints);
  return pids;
}

static gboolean
pids_equal (GArray *a,
            GArray *b)
{
  return a->len == b->len && memcmp (a->data, b->data, a->len * sizeof (int)) == 0;
}

/* Maps meet() over @n tasks on @n jobs, one task per batch: the map ends
 * only if @n workers run at once. Returns the pids of those workers. */
static GArray *
map_meeting (PmapExecutor *executor,
             guint         n)
{
  g_autofree char *directory = g_dir_make_tmp ("pmap-meet-XXXXXX", NULL);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  GArray *pids;

  g_assert_nonnull (directory);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, g_variant_ref_sink (g_variant_new ("(su)", directory, n)));

  pmap_executor_set_n_jobs (executor, n);
  pmap_executor_set_batch_size (executor, 1);
  results = test_map_items (executor, items, meet, &error);
  g_assert_no_error (error);

  pids = answering_pids (results);
  g_assert_cmpuint (pids->len, ==, n);

  dir = g_dir_open (directory, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (directory, name, NULL);

      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (directory), ==, 0);

  return pids;
}

static void
wait_until_gone (int pid)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (test_process_exists (pid) && g_get_monotonic_time () < deadline)
    g_usleep (5 * G_TIME_SPAN_MILLISECOND);
  g_assert_false (test_process_exists (pid));
}

/* Tests. */

/* Workers outlive maps and executors, as loky's do; shutdown stops them;
 * one killed while idle is replaced without a word. */
static void
test_pool_reuse (void)
{
  TestResources resources = { 0 };
  g_autoptr(PmapExecutor) first = NULL;
  g_autoptr(PmapExecutor) second = NULL;
  g_autoptr(GArray) pids = NULL;
  g_autoptr(GArray) again = NULL;
  g_autoptr(GArray) replaced = NULL;
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 50);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  int killed, survivor;

  test_resources_snapshot (&resources);

  /* Two workers that run at once. */
  first = test_processes_executor_new (2, 1);
  pids = map_meeting (first, 2);
  g_assert_cmpuint (test_wait_for_n_children (2, 10), ==, 2);

  /* The next map of the same executor, and of another one on another
   * backend, finds them idle. */
  again = map_meeting (first, 2);
  g_assert_true (pids_equal (pids, again));
  g_clear_pointer (&again, g_array_unref);

  second = test_processes_executor_new (2, 0);
  again = map_meeting (second, 2);
  g_assert_true (pids_equal (pids, again));
  g_clear_pointer (&again, g_array_unref);

  pmap_executor_set_batch_size (second, 0);
  results = test_map_items (second, items, test_worker_pid, &error);
  g_assert_no_error (error);
  again = answering_pids (results);
  for (guint i = 0; i < again->len; i++)
    g_assert_true (g_array_index (again, int, i) == g_array_index (pids, int, 0) ||
                   g_array_index (again, int, i) == g_array_index (pids, int, 1));
  g_clear_pointer (&again, g_array_unref);
  g_clear_pointer (&results, g_ptr_array_unref);
  g_assert_cmpuint (test_wait_for_n_children (2, 10), ==, 2);

  /* A worker killed while idle. */
  killed = g_array_index (pids, int, 0);
  survivor = g_array_index (pids, int, 1);
  g_assert_cmpint (kill (killed, SIGKILL), ==, 0);
  wait_until_gone (killed);

  replaced = map_meeting (first, 2);
  g_assert_true (g_array_index (replaced, int, 0) == survivor ||
                 g_array_index (replaced, int, 1) == survivor);
  g_assert_true (g_array_index (replaced, int, 0) != killed &&
                 g_array_index (replaced, int, 1) != killed);
  g_assert_cmpuint (test_wait_for_n_children (2, 10), ==, 2);

  /* Shutdown stops the idle workers and waits for them. */
  test_stop_idle_workers ();
  for (guint i = 0; i < replaced->len; i++)
    g_assert_false (test_process_exists (g_array_index (replaced, int, i)));

  /* And the next map starts new ones. */
  again = map_meeting (second, 2);
  for (guint i = 0; i < again->len; i++)
    g_assert_true (g_array_index (again, int, i) != g_array_index (replaced, int, 0) &&
                   g_array_index (again, int, i) != g_array_index (replaced, int, 1));

  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

/* An idle worker that died while a process it started holds its channel
 * open, so that the channel does not end, is replaced too. */
static void
test_idle_death_behind_an_open_channel (void)
{
  TestResources resources = { 0 };
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autofree char *directory = g_dir_make_tmp ("pmap-orphan-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (directory, "pid", NULL);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GArray) pids = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  int worker;

  test_resources_snapshot (&resources);

  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new_string (path)));
  results = test_map_items (executor, items, leave_a_child, &error);
  g_assert_no_error (error);
  worker = g_variant_get_int64 (g_ptr_array_index (results, 0));
  g_clear_pointer (&results, g_ptr_array_unref);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));

  g_assert_cmpint (kill (worker, SIGKILL), ==, 0);
  wait_until_gone (worker);

  g_clear_pointer (&items, g_ptr_array_unref);
  items = test_int64_items_new (0, 20);
  results = test_map_items (executor, items, test_worker_pid, &error);
  g_assert_no_error (error);
  pids = answering_pids (results);
  for (guint i = 0; i < pids->len; i++)
    g_assert_cmpint (g_array_index (pids, int, i), !=, worker);

  g_assert_cmpint (kill (atoi (text), SIGKILL), ==, 0);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (directory), ==, 0);
  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

/* Three workers on two cores really overlap: meet() ends only when all of
 * them run at once. */
static void
test_parallel (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (3, 1);
  g_autoptr(GArray) pids = map_meeting (executor, 3);

  g_assert_cmpuint (pids->len, ==, 3);
}

/* Workers that a map gives back leave once idle for the backend's
 * idle-timeout. */
static void
test_idle_timeout (void)
{
  TestResources resources = { 0 };
  g_autoptr(PmapExecutor) executor = NULL;
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 2);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) children = NULL;
  PmapBackend *backend;

  test_resources_snapshot (&resources);

  executor = test_processes_executor_new (2, 1);
  backend = pmap_executor_get_backend (executor);
  g_assert_cmpuint (pmap_backend_get_idle_timeout (backend), ==, 300);
  pmap_backend_set_idle_timeout (backend, 1);
  g_assert_cmpuint (pmap_backend_get_idle_timeout (backend), ==, 1);

  results = test_map_items (executor, items, test_worker_pid, &error);
  g_assert_no_error (error);
  children = test_list_children ();
  g_assert_cmpuint (children->len, >=, 1);

  /* Gone after a second, well before the default five minutes. */
  g_assert_cmpuint (test_wait_for_n_children (0, 20), ==, 0);

  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

/* The program that test_orphans() kills: it prints its workers' pids, then
 * blocks in a map of long tasks. */
static int
run_orphaning_parent (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 2);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = test_map_items (executor, items, sleep_a_minute, &error);
  return 1;
}

static gboolean
process_is_gone (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  const char *state;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return TRUE;

  /* A zombie waits for its new parent; it runs no more. */
  state = strrchr (stat, ')');
  return state != NULL && state[1] == ' ' && state[2] == 'Z';
}

/* Workers busy with long tasks do not outlive a parent that is killed. */
static void
test_orphans (void)
{
  g_autoptr(GSubprocess) parent = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) workers = NULL;
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  gint64 deadline;

  parent = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, self, "--orphan-workers", NULL);
  g_assert_no_error (error);

  /* Its two workers, once they run their tasks. */
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  do
    {
      g_clear_pointer (&workers, g_array_unref);
      workers = test_list_children_of (atoi (g_subprocess_get_identifier (parent)));
      g_usleep (50 * 1000);
    }
  while (workers->len < 2 && g_get_monotonic_time () < deadline);
  g_assert_cmpuint (workers->len, ==, 2);
  g_usleep (300 * 1000);

  g_subprocess_force_exit (parent);
  g_assert_true (g_subprocess_wait (parent, NULL, NULL));

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  for (guint i = 0; i < workers->len; i++)
    {
      int pid = g_array_index (workers, int, i);

      while (!process_is_gone (pid) && g_get_monotonic_time () < deadline)
        g_usleep (20 * 1000);
      g_assert_true (process_is_gone (pid));
    }
}

int
main (int   argc,
      char *argv[])
{
  pmap_host_workers ();

  if (argc == 2 && g_str_equal (argv[1], "--orphan-workers"))
    return run_orphaning_parent ();

  test_init (&argc, &argv);

  g_test_add_func ("/Pmap/Processes/pool-reuse", test_pool_reuse);
  g_test_add_func ("/Pmap/Processes/idle-death-behind-an-open-channel",
                   test_idle_death_behind_an_open_channel);
  g_test_add_func ("/Pmap/Processes/idle-timeout", test_idle_timeout);
  g_test_add_func ("/Pmap/Processes/orphans", test_orphans);
  g_test_add_func ("/Pmap/Processes/parallel", test_parallel);

  return g_test_run ();
}

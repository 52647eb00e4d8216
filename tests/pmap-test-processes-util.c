/* pmap-test-processes-util.c: what the tests of the processes backend share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pmap-test-processes-util.h"

static int
compare_pids (gconstpointer a,
              gconstpointer b)
{
  return *(const int *) a - *(const int *) b;
}

/* The parent pid of @pid from /proc/PID/stat, or -1 if it has gone. The
 * command name, in parentheses, may hold spaces and parentheses: the
 * fields that follow come after its last ')'. */
static int
parent_of (const char *pid)
{
  g_autofree char *path = g_build_filename ("/proc", pid, "stat", NULL);
  g_autofree char *stat = NULL;
  const char *after_name;
  char state;
  int ppid;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return -1;

  after_name = strrchr (stat, ')');
  if (after_name == NULL || sscanf (after_name + 1, " %c %d", &state, &ppid) != 2)
    return -1;

  return ppid;
}

GArray *
test_list_children (void)
{
  return test_list_children_of (getpid ());
}

/* The processes whose parent is @parent, sorted, zombies included. */
GArray *
test_list_children_of (int parent)
{
  GArray *children = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  g_assert_nonnull (proc);

  while ((name = g_dir_read_name (proc)) != NULL)
    {
      guint64 pid;

      if (!g_ascii_string_to_unsigned (name, 10, 1, G_MAXINT, &pid, NULL))
        continue;
      if (parent_of (name) == parent)
        {
          int child = pid;

          g_array_append_val (children, child);
        }
    }

  g_array_sort (children, compare_pids);
  return children;
}

char *
test_describe_fds (void)
{
  g_autoptr(GString) description = g_string_new (NULL);
  g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *entry;

  g_assert_nonnull (dir);

  while ((entry = readdir (dir)) != NULL)
    {
      guint64 fd;

      if (!g_ascii_string_to_unsigned (entry->d_name, 10, 0, G_MAXINT, &fd, NULL))
        continue;
      /* The listing's own descriptor. */
      if ((int) fd == dirfd (dir))
        continue;

      {
        int n = fd;

        g_array_append_val (fds, n);
      }
    }
  closedir (dir);

  g_array_sort (fds, compare_pids);

  for (guint i = 0; i < fds->len; i++)
    {
      int fd = g_array_index (fds, int, i);
      g_autofree char *link = g_strdup_printf ("/proc/self/fd/%d", fd);
      g_autofree char *target = g_file_read_link (link, NULL);

      g_string_append_printf (description, "%d -> %s\n", fd,
                              target != NULL ? target : "(gone)");
    }

  return g_string_free (g_steal_pointer (&description), FALSE);
}

gboolean
test_process_exists (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d", pid);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

guint
test_wait_for_n_children (guint n,
                          guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GArray) children = test_list_children ();

      if (children->len == n || g_get_monotonic_time () > deadline)
        return children->len;

      g_usleep (10 * 1000);
    }
}

PmapExecutor *
test_processes_executor_new (int   n_jobs,
                             guint batch_size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmapBackend) backend = pmap_backend_create ("processes", &error);
  PmapExecutor *executor;

  g_assert_no_error (error);
  g_assert_cmpstr (pmap_backend_get_name (backend), ==, "processes");

  executor = pmap_executor_new ();
  pmap_executor_set_backend (executor, backend);
  pmap_executor_set_n_jobs (executor, n_jobs);
  pmap_executor_set_batch_size (executor, batch_size);

  return executor;
}

void
test_stop_idle_workers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PmapBackend) backend = pmap_backend_create ("processes", &error);

  g_assert_no_error (error);
  pmap_backend_shutdown (backend);
}

static GPtrArray *
map_by_name (PmapExecutor  *executor,
             const char    *name,
             GPtrArray     *items,
             GError       **error)
{
  return pmap_executor_map_by_name (executor, name, (GVariant **) items->pdata, items->len,
                                    NULL, error);
}

/* This process's descriptors (see test_describe_fds()) once @settled says
 * they have settled, or as they are after 2 s: GLib closes the pidfd of a
 * child watch on its worker thread, just after it reaped the child. */
static char *
describe_settled_fds (gboolean      (*settled) (const char    *fds,
                                                gconstpointer  data),
                      gconstpointer   data)
{
  char *fds = test_describe_fds ();

  for (int i = 0; i < 200 && !settled (fds, data); i++)
    {
      g_usleep (10 * 1000);
      g_free (fds);
      fds = test_describe_fds ();
    }
  return fds;
}

static gboolean
has_no_pidfd (const char    *fds,
              gconstpointer  data)
{
  return strstr (fds, "pidfd") == NULL;
}

static gboolean
are_the_same (const char    *fds,
              gconstpointer  snapshot)
{
  return g_str_equal (fds, snapshot);
}

void
test_resources_snapshot (TestResources *resources)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 0);
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 4);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  /* Killing a worker makes GLib create its default main context, once per
   * process: have it before counting descriptors. */
  g_main_context_default ();
  test_load_module ();
  results = map_by_name (executor, "test.square", items, &error);
  g_assert_no_error (error);
  test_stop_idle_workers ();

  resources->children = test_list_children ();
  g_assert_cmpuint (resources->children->len, ==, 0);

  /* No child is left, so no pidfd should be, once GLib has closed those
   * of the children it just reaped. */
  resources->fds = describe_settled_fds (has_no_pidfd, NULL);
  g_assert_null (strstr (resources->fds, "pidfd"));
}

void
test_resources_assert_released (TestResources *resources)
{
  g_autoptr(GArray) children = NULL;
  g_autofree char *fds = NULL;

  test_stop_idle_workers ();

  children = test_list_children ();
  for (guint i = 0; i < children->len; i++)
    g_test_message ("child process left: %d", g_array_index (children, int, i));
  g_assert_cmpuint (children->len, ==, 0);

  fds = describe_settled_fds (are_the_same, resources->fds);
  g_assert_cmpstr (fds, ==, resources->fds);
}

void
test_resources_clear (TestResources *resources)
{
  g_clear_pointer (&resources->children, g_array_unref);
  g_clear_pointer (&resources->fds, g_free);
}

static gpointer
cancel_soon (gpointer cancellable)
{
  g_usleep (200 * G_TIME_SPAN_MILLISECOND);
  g_cancellable_cancel (cancellable);
  return NULL;
}

GThread *
test_cancel_soon (GCancellable *cancellable)
{
  return g_thread_new ("canceller", cancel_soon, cancellable);
}

void
test_assert_prompt_cancel (gint64 elapsed_us)
{
  const char *slowdown = g_getenv ("PMAP_TEST_SLOWDOWN");
  gint64 bound_us = 10 * 100 * G_TIME_SPAN_MILLISECOND;

  if (slowdown != NULL)
    bound_us *= MAX (g_ascii_strtoll (slowdown, NULL, 10), 1);

  g_test_message ("The map returned %.1f ms after its cancellation (bound: %.0f ms)",
                  elapsed_us / 1000.0, bound_us / 1000.0);
  g_assert_cmpint (elapsed_us, <, bound_us);
}

void
test_assert_cancel_kills_busy_workers (void)
{
  TestResources resources = { 0 };
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) busy = NULL;
  TestAsync async;
  gint64 cancelled_at;

  test_resources_snapshot (&resources);

  items = test_int64_items_repeat (60 * 1000, 4);

  test_async_init (&async);
  pmap_executor_map_by_name_async (executor, "test.sleep-ms", (GVariant **) items->pdata,
                                   items->len, cancellable, test_async_ready, &async);
  g_assert_cmpuint (test_wait_for_n_children (2, 30), ==, 2);
  /* Time for the tasks to start. */
  g_usleep (200 * G_TIME_SPAN_MILLISECOND);
  busy = test_list_children ();
  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);

  results = pmap_executor_map_by_name_finish (executor, test_async_wait (&async), &error);
  test_assert_prompt_cancel (g_get_monotonic_time () - cancelled_at);
  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  test_async_clear (&async);

  /* Killed, not kept for the next map: their work was not wanted. */
  for (guint i = 0; i < busy->len; i++)
    g_assert_false (test_process_exists (g_array_index (busy, int, i)));

  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

GVariant *
test_square (GVariant  *input,
             gpointer   user_data,
             GError   **error)
{
  gint64 x = g_variant_get_int64 (input);

  return g_variant_new_int64 (x * x);
}

GVariant *
test_worker_pid (GVariant  *input,
                 gpointer   user_data,
                 GError   **error)
{
  return g_variant_new_int64 (getpid ());
}

GVariant *
test_first_byte_plus_one (GVariant  *input,
                          gpointer   user_data,
                          GError   **error)
{
  return g_variant_new_int64 (g_variant_get_string (input, NULL)[0] + 1);
}

GPtrArray *
test_map_items (PmapExecutor *executor,
                GPtrArray    *items,
                PmapFunc      func,
                GError      **error)
{
  return pmap_executor_map (executor, (GVariant **) items->pdata, items->len,
                            func, NULL, NULL, error);
}


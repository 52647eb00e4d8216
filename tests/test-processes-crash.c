/* test-processes-crash.c: workers of the processes backend that die in the
 * middle of a batch (the crash matrix), or that a cancelled map kills
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * main() calls pmap_host_workers() first, so the workers are this very
 * program, re-executed, and the functions mapped here are its own: they
 * travel by the program's build-id and their offsets in it.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "pmap-test-processes-util.h"

/* More SHARE messages than a socket takes before its peer reads any. */
#define N_SHARED_VALUES 600

/* Where a worker that dies leaving a child behind writes the child's
 * process id, for the test to kill it. */
#define ORPHAN_PID_FILE_VAR "PMAP_TEST_ORPHAN_PID_FILE"

/* The functions that workers run. */

/* (s, b) → 42, or when b is set, the way of dying that s names. */
static GVariant *
die (GVariant  *input,
     gpointer   user_data,
     GError   **error)
{
  const char *how;
  gboolean now;

  g_variant_get (input, "(&sb)", &how, &now);

  if (now && g_str_equal (how, "abort"))
    abort ();
  if (now && g_str_equal (how, "segfault"))
    {
      volatile int *nowhere = NULL;

      *nowhere = 1;
    }
  if (now && g_str_equal (how, "kill"))
    raise (SIGKILL);
  if (now && g_str_equal (how, "exit"))
    exit (3);
  if (now && g_str_equal (how, "exit-leaving-a-child"))
    {
      pid_t child = fork ();
      g_autofree char *text = NULL;

      /* The child holds the worker's channel open, as a process that a
       * task started and left behind would, until the test kills it. */
      if (child == 0)
        {
          sleep (60);
          _exit (0);
        }
      text = g_strdup_printf ("%d", (int) child);
      g_assert_true (g_file_set_contents (g_getenv (ORPHAN_PID_FILE_VAR), text, -1, NULL));
      exit (3);
    }

  return g_variant_new_int64 (42);
}

/* ms → ms, after sleeping that long. */
static GVariant *
sleep_ms (GVariant  *input,
          gpointer   user_data,
          GError   **error)
{
  gint64 ms = g_variant_get_int64 (input);

  g_usleep (ms * G_TIME_SPAN_MILLISECOND);
  return g_variant_new_int64 (ms);
}

/* Tests. */

static void
assert_all_42 (GPtrArray *results,
               guint      n)
{
  g_assert_nonnull (results);
  g_assert_cmpuint (results->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (g_variant_get_int64 (g_ptr_array_index (results, i)), ==, 42);
}

typedef struct
{
  const char *how;
  int         signum;  /* 0: an exit status */
  int         status;
} Death;

static const Death deaths[] = {
  { "abort", SIGABRT, 0 },
  { "segfault", SIGSEGV, 0 },
  { "kill", SIGKILL, 0 },
  { "exit", 0, 3 },
  { "exit-leaving-a-child", 0, 3 },
};

/* Kills the child that a worker left behind, if it left one. */
static void
kill_orphan (void)
{
  g_autofree char *text = NULL;

  if (g_file_get_contents (g_getenv (ORPHAN_PID_FILE_VAR), &text, NULL, NULL))
    {
      g_assert_cmpint (kill (atoi (text), SIGKILL), ==, 0);
      g_assert_cmpint (g_unlink (g_getenv (ORPHAN_PID_FILE_VAR)), ==, 0);
    }
}

static void
test_crash (gconstpointer data)
{
  const Death *death = data;
  TestResources resources = { 0 };
  int pid;
  g_autoptr(PmapExecutor) executor = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GPtrArray) harmless = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *how = NULL;

  test_resources_snapshot (&resources);

  for (guint i = 0; i < 12; i++)
    {
      g_ptr_array_add (items, g_variant_ref_sink (g_variant_new ("(sb)", death->how, i == 6)));
      g_ptr_array_add (harmless, g_variant_ref_sink (g_variant_new ("(sb)", death->how, FALSE)));
    }

  for (guint batch_size = 0; batch_size <= 4; batch_size += 4)
    {
      gint64 started;

      executor = test_processes_executor_new (2, batch_size);

      started = g_get_monotonic_time ();
      results = test_map_items (executor, items, die, &error);
      kill_orphan ();
      g_assert_null (results);
      g_assert_error (error, PMAP_ERROR, PMAP_ERROR_WORKER_CRASHED);
      /* At once, even when a child of the worker keeps its channel open. */
      g_assert_cmpint (g_get_monotonic_time () - started, <, 10 * G_USEC_PER_SEC);
      g_test_message ("%s", error->message);

      g_assert_true (g_str_has_prefix (error->message, "Task 6 failed: the worker process "));
      if (death->signum != 0)
        how = g_strdup_printf (" running it was killed by signal %d (%s); a new worker replaces it",
                               death->signum, g_strsignal (death->signum));
      else
        how = g_strdup_printf (" running it exited with status %d; a new worker replaces it",
                               death->status);
      g_assert_true (g_str_has_suffix (error->message, how));
      g_assert_cmpint (sscanf (error->message, "Task 6 failed: the worker process %d ", &pid), ==, 1);
      g_assert_false (test_process_exists (pid));
      g_clear_error (&error);
      g_clear_pointer (&how, g_free);

      /* The same executor maps on, with a new worker. */
      results = test_map_items (executor, harmless, die, &error);
      g_assert_no_error (error);
      assert_all_42 (results, harmless->len);
      g_clear_pointer (&results, g_ptr_array_unref);
      g_clear_object (&executor);
    }

  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

typedef struct
{
  GCancellable *cancellable;
  GArray       *busy;         /* the workers running when it cancelled */
  gint64        cancelled_at;
} Canceller;

static gpointer
cancel_when_busy (gpointer data)
{
  Canceller *canceller = data;

  /* Both workers started; give their tasks time to begin. */
  g_assert_cmpuint (test_wait_for_n_children (2, 30), ==, 2);
  g_usleep (200 * G_TIME_SPAN_MILLISECOND);

  canceller->busy = test_list_children ();
  canceller->cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (canceller->cancellable);

  return NULL;
}

static void
test_cancel_kills_busy_workers (void)
{
  TestResources resources = { 0 };
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) left = NULL;
  Canceller canceller = { cancellable, NULL, 0 };
  GThread *thread;
  gint64 returned_at;

  test_resources_snapshot (&resources);

  /* Tasks of a minute each. */
  items = test_int64_items_repeat (60 * 1000, 6);

  thread = g_thread_new ("canceller", cancel_when_busy, &canceller);
  results = pmap_executor_map (executor, (GVariant **) items->pdata, items->len,
                               sleep_ms, NULL, cancellable, &error);
  returned_at = g_get_monotonic_time ();
  g_thread_join (thread);

  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (canceller.cancelled_at, >, 0);
  test_assert_prompt_cancel (returned_at - canceller.cancelled_at);

  /* The busy workers were killed, not kept: their work was not wanted. */
  g_assert_cmpuint (canceller.busy->len, ==, 2);
  for (guint i = 0; i < canceller.busy->len; i++)
    g_assert_false (test_process_exists (g_array_index (canceller.busy, int, i)));
  left = test_list_children ();
  g_assert_cmpuint (left->len, ==, 0);
  g_clear_error (&error);

  /* The executor maps on. */
  g_clear_pointer (&items, g_ptr_array_unref);
  items = test_int64_items_new (0, 10);
  results = test_map_items (executor, items, test_square, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 10);

  g_array_unref (canceller.busy);
  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

/* Starts the 2 workers of @executor, then stops them (SIGSTOP): they read
 * nothing more. */
static void
stop_workers (PmapExecutor *executor)
{
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 2);
  g_autoptr(GPtrArray) pids = NULL;
  g_autoptr(GError) error = NULL;

  pids = test_map_items (executor, items, test_worker_pid, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < pids->len; i++)
    g_assert_cmpint (kill (g_variant_get_int64 (g_ptr_array_index (pids, i)), SIGSTOP), ==, 0);
}

/* Maps @inputs, cancelled 200 ms in: the map returns, cancelled, soon. */
static void
assert_cancelled_soon (PmapExecutor *executor,
                       GPtrArray    *inputs)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  GThread *canceller = test_cancel_soon (cancellable);
  gint64 started = g_get_monotonic_time ();

  results = pmap_executor_map (executor, (GVariant **) inputs->pdata, inputs->len,
                               test_first_byte_plus_one, NULL, cancellable, &error);
  g_thread_join (canceller);

  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 10 * G_USEC_PER_SEC);
}

/* A worker that stopped reading (here, stopped) cannot hold a map that
 * sends it more than its socket takes: cancelling the map still returns. */
static void
test_cancel_while_sending (void)
{
  TestResources resources = { 0 };
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(GPtrArray) large = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autofree char *text = g_malloc (900 * 1024 + 1);

  test_resources_snapshot (&resources);
  stop_workers (executor);

  /* Under the 1 MiB that goes by memfd, over what a socket holds. */
  memset (text, 'x', 900 * 1024);
  text[900 * 1024] = '\0';
  for (guint i = 0; i < 2; i++)
    g_ptr_array_add (large, g_variant_ref_sink (g_variant_new_string (text)));
  assert_cancelled_soon (executor, large);

  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

/* Nor can it hold a map whose batch brings it more shared values than its
 * socket takes messages: each travels in a SHARE message of its own, with
 * its memfd, before the batch. */
static void
test_cancel_while_sharing (void)
{
  TestResources resources = { 0 };
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 3 * N_SHARED_VALUES);
  g_autoptr(GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  test_resources_snapshot (&resources);
  stop_workers (executor);

  /* Values of the least size that is shared, each held by more inputs
   * than there are jobs. */
  pmap_executor_set_max_nbytes (executor, 4096);
  for (guint v = 0; v < N_SHARED_VALUES; v++)
    {
      g_autofree guint8 *data = g_malloc (4096);
      GVariant *value;

      memset (data, v, 4096);
      value = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, 4096, 1));
      for (guint i = 0; i < 3; i++)
        g_ptr_array_add (inputs, g_variant_ref (value));
      g_variant_unref (value);
    }
  assert_cancelled_soon (executor, inputs);

  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

int
main (int   argc,
      char *argv[])
{
  struct rlimit no_core = { 0, 0 };
  g_autofree char *orphan_pid_file = NULL;

  pmap_host_workers ();

  /* The workers that crash on purpose leave no core files behind; they
   * inherit this. */
  setrlimit (RLIMIT_CORE, &no_core);
  /* Before the first worker starts: they inherit it. */
  orphan_pid_file = g_strdup_printf ("%s/pmap-test-orphan-%d", g_get_tmp_dir (), (int) getpid ());
  g_setenv (ORPHAN_PID_FILE_VAR, orphan_pid_file, TRUE);

  test_init (&argc, &argv);

  for (guint i = 0; i < G_N_ELEMENTS (deaths); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Pmap/Processes/crash/%s", deaths[i].how);

      g_test_add_data_func (path, &deaths[i], test_crash);
    }
  g_test_add_func ("/Pmap/Processes/cancel-while-sending", test_cancel_while_sending);
  g_test_add_func ("/Pmap/Processes/cancel-while-sharing", test_cancel_while_sharing);
  g_test_add_func ("/Pmap/Processes/cancel", test_cancel_kills_busy_workers);
  g_test_add_func ("/Pmap/Processes/cancel-async", test_assert_cancel_kills_busy_workers);

  return g_test_run ();
}

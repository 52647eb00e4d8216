/* test-processes-calls.c: how a map on the processes backend is called and
 * what it answers: asynchronously, by name, the errors of its tasks, and
 * the functions it refuses to send
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * main() calls pmap_host_workers() first, so the workers are this very
 * program, re-executed, and the functions mapped here are its own: they
 * travel by the program's build-id and their offsets in it.
 */

#include <string.h>

#include "pmap-test-processes-util.h"

#define TEST_ERROR (test_error_quark ())
static GQuark test_error_quark (void);
G_DEFINE_QUARK (pmap-test-processes-error-quark, test_error)

/* The functions that workers run. */

/* x → x², except 7, which fails in a domain of this program's, and -7,
 * in GIO's, and 1000, which returns nothing and sets no error. */
static GVariant *
square_or_fail (GVariant  *input,
                gpointer   user_data,
                GError   **error)
{
  gint64 x = g_variant_get_int64 (input);

  if (x == 7)
    g_set_error (error, TEST_ERROR, 42, "no square for %" G_GINT64_FORMAT " in this worker", x);
  else if (x == -7)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "not allowed");
  else if (x != 1000)
    return test_square (input, NULL, error);

  return NULL;
}

/* Tests. */

static void
test_error_keeps_domain_code_message (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 3);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 20);

  results = test_map_items (executor, items, square_or_fail, &error);
  g_assert_null (results);
  g_assert_error (error, TEST_ERROR, 42);
  g_assert_cmpstr (error->message, ==, "Task 7 failed: no square for 7 in this worker");
  g_clear_error (&error);

  /* In GIO's domain, on the automatic batch size. */
  g_clear_pointer (&items, g_ptr_array_unref);
  items = test_int64_items_new (-20, 20);
  pmap_executor_set_batch_size (executor, 0);
  results = test_map_items (executor, items, square_or_fail, &error);
  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpstr (error->message, ==, "Task 13 failed: not allowed");
  g_clear_error (&error);

  /* pmap-glib's own error for a missing result, made in the worker. */
  g_clear_pointer (&items, g_ptr_array_unref);
  items = test_int64_items_new (990, 20);
  results = test_map_items (executor, items, square_or_fail, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_MISSING_RESULT);
  g_assert_true (g_str_has_prefix (error->message, "Task 10 failed: "));
  g_clear_error (&error);

  /* The workers survived their errors. */
  g_clear_pointer (&items, g_ptr_array_unref);
  items = test_int64_items_new (10, 20);
  results = test_map_items (executor, items, square_or_fail, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 20; i++)
    g_assert_cmpint (g_variant_get_int64 (g_ptr_array_index (results, i)), ==,
                     (gint64) (10 + i) * (10 + i));
}

/* An asynchronous map that completes, results in order. */
static void
test_async (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 0);
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 100);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  TestAsync async;

  test_async_init (&async);
  pmap_executor_map_async (executor, (GVariant **) items->pdata, items->len,
                           test_square, NULL, NULL, NULL, test_async_ready, &async);
  results = pmap_executor_map_finish (executor, test_async_wait (&async), &error);
  g_assert_no_error (error);
  test_assert_squares (results, 100);
  g_assert_true (async.thread == g_thread_self ());
  test_async_clear (&async);
}

/* By name: a function that this program registered, which travels by
 * address, and one of a module, which the worker loads. */
static void
test_by_name (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 0);
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 30);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  pmap_register_function ("test-processes.square", test_square, NULL, NULL);
  results = pmap_executor_map_by_name (executor, "test-processes.square",
                                       (GVariant **) items->pdata, items->len, NULL, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 30);
  g_clear_pointer (&results, g_ptr_array_unref);
  g_assert_true (pmap_unregister_function ("test-processes.square"));

  test_load_module ();
  results = pmap_executor_map_by_name (executor, "test.square",
                                       (GVariant **) items->pdata, items->len, NULL, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 30);
}

static void
test_refuses_user_data (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 0);
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 10);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  TestProbe probe;

  test_probe_init (&probe);
  results = pmap_executor_map (executor, (GVariant **) items->pdata, items->len,
                               test_probe_square, &probe, NULL, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
  g_test_message ("%s", error->message);
  /* Each job slot finds it out on its first batch: the error names the
   * first task of one of them. */
  g_assert_true (g_str_has_prefix (error->message, "Task "));
  g_assert_nonnull (strstr (error->message, " failed: The function (argument “func”) comes with user data"));
  /* What to do instead. */
  g_assert_nonnull (strstr (error->message, "pass what it points to in the inputs"));
  g_assert_nonnull (strstr (error->message, "“threads” backend"));
  /* Nothing ran. */
  g_assert_cmpint (probe.n_calls, ==, 0);
  test_probe_clear (&probe);
}

/* Data, not code: the parent never calls it, and no worker may. */
static void
test_refuses_unknown_code (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 0);
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 10);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *not_code = g_malloc0 (64);

  results = pmap_executor_map (executor, (GVariant **) items->pdata, items->len,
                               (PmapFunc) (gpointer) not_code, NULL, NULL, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "register a native function by name"));
}

int
main (int   argc,
      char *argv[])
{
  pmap_host_workers ();

  test_init (&argc, &argv);

  g_test_add_func ("/Pmap/Processes/error", test_error_keeps_domain_code_message);
  g_test_add_func ("/Pmap/Processes/async", test_async);
  g_test_add_func ("/Pmap/Processes/by-name", test_by_name);
  g_test_add_func ("/Pmap/Processes/refuses/user-data", test_refuses_user_data);
  g_test_add_func ("/Pmap/Processes/refuses/unknown-code", test_refuses_unknown_code);

  return g_test_run ();
}

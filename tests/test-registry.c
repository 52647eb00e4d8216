/* test-registry.c: functions by name, and the modules that register them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "pmap-test-util.h"

static gboolean
is_registered (const char *name)
{
  g_auto(GStrv) names = pmap_list_functions ();

  return g_strv_contains ((const char * const *) names, name);
}

static GPtrArray *
map_by_name (const char  *name,
             guint        n_items,
             GError     **error)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(GPtrArray) items = test_items_new (n_items);

  return pmap_executor_map_by_name (executor, name, (GVariant **) items->pdata,
                                    n_items, NULL, error);
}

static GPtrArray *
map_by_name_async (const char  *name,
                   guint        n_items,
                   GError     **error)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(GPtrArray) items = test_items_new (n_items);
  GPtrArray *results;
  TestAsync async;

  test_async_init (&async);
  pmap_executor_map_by_name_async (executor, name, (GVariant **) items->pdata,
                                   n_items, NULL, test_async_ready, &async);
  g_assert_null (async.result);
  results = pmap_executor_map_by_name_finish (executor, test_async_wait (&async), error);
  test_async_clear (&async);

  return results;
}

static void
assert_unknown_function (const char *name)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) async_results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) async_error = NULL;

  results = map_by_name (name, 3, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_FUNCTION);
  g_assert_nonnull (strstr (error->message, name));

  async_results = map_by_name_async (name, 3, &async_error);
  g_assert_null (async_results);
  g_assert_error (async_error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_FUNCTION);
}

static void
test_register_and_unregister (void)
{
  const char *name = "test-registry.square";
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) async_results = NULL;
  g_autoptr(GError) error = NULL;
  TestProbe probe;

  assert_unknown_function (name);

  test_probe_init (&probe);
  pmap_register_function (name, test_probe_square, &probe, test_probe_destroy);
  g_assert_true (is_registered (name));

  results = map_by_name (name, 100, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 100);
  async_results = map_by_name_async (name, 30, &error);
  g_assert_no_error (error);
  test_assert_squares (async_results, 30);
  g_assert_cmpint (probe.n_calls, ==, 100 + 30);
  g_assert_cmpint (probe.n_destroyed, ==, 0);

  g_assert_true (pmap_unregister_function (name));
  g_assert_cmpint (probe.n_destroyed, ==, 1);
  g_assert_false (is_registered (name));
  g_assert_false (pmap_unregister_function (name));
  g_assert_cmpint (probe.n_destroyed, ==, 1);
  assert_unknown_function (name);

  test_probe_clear (&probe);
}

static void
test_replace (void)
{
  const char *name = "test-registry.replaced";
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  TestProbe first, second;

  test_probe_init (&first);
  test_probe_init (&second);

  pmap_register_function (name, test_probe_square, &first, test_probe_destroy);
  pmap_register_function (name, test_probe_square, &second, test_probe_destroy);
  g_assert_cmpint (first.n_destroyed, ==, 1);
  g_assert_cmpint (second.n_destroyed, ==, 0);

  results = map_by_name (name, 10, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 10);
  g_assert_cmpint (first.n_calls, ==, 0);
  g_assert_cmpint (second.n_calls, ==, 10);

  g_assert_true (pmap_unregister_function (name));
  g_assert_cmpint (first.n_destroyed, ==, 1);
  g_assert_cmpint (second.n_destroyed, ==, 1);

  test_probe_clear (&first);
  test_probe_clear (&second);
}

/* Holds every call until the test opens it. */
typedef struct
{
  TestProbe probe;
  GMutex    mutex;
  GCond     cond;
  gboolean  open;
} Gate;

static GVariant *
square_behind_gate (GVariant  *input,
                    gpointer   user_data,
                    GError   **error)
{
  Gate *gate = user_data;

  g_mutex_lock (&gate->mutex);
  g_atomic_int_inc (&gate->probe.n_running);
  g_cond_broadcast (&gate->cond);
  while (!gate->open)
    g_cond_wait (&gate->cond, &gate->mutex);
  g_atomic_int_add (&gate->probe.n_running, -1);
  g_mutex_unlock (&gate->mutex);

  return test_probe_square (input, &gate->probe, error);
}

/* A running map keeps the function it started with, and releases it when
 * it is done, on the caller's context. */
static void
test_replace_while_running (void)
{
  const char *name = "test-registry.gated";
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(GPtrArray) items = test_items_new (4);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  TestProbe replacement;
  TestAsync async;
  Gate gate = { 0, };

  test_probe_init (&gate.probe);
  test_probe_init (&replacement);
  g_mutex_init (&gate.mutex);
  g_cond_init (&gate.cond);
  pmap_register_function (name, square_behind_gate, &gate, test_probe_destroy);

  test_async_init (&async);
  pmap_executor_map_by_name_async (executor, name, (GVariant **) items->pdata,
                                   items->len, NULL, test_async_ready, &async);

  g_mutex_lock (&gate.mutex);
  while (g_atomic_int_get (&gate.probe.n_running) == 0)
    g_cond_wait (&gate.cond, &gate.mutex);
  g_mutex_unlock (&gate.mutex);

  pmap_register_function (name, test_probe_square, &replacement, test_probe_destroy);
  g_assert_cmpint (gate.probe.n_destroyed, ==, 0);

  g_mutex_lock (&gate.mutex);
  gate.open = TRUE;
  g_cond_broadcast (&gate.cond);
  g_mutex_unlock (&gate.mutex);

  results = pmap_executor_map_by_name_finish (executor, test_async_wait (&async), &error);
  g_assert_no_error (error);
  test_assert_squares (results, items->len);
  g_assert_cmpint (gate.probe.n_calls, ==, items->len);
  g_assert_cmpint (replacement.n_calls, ==, 0);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (gate.probe.n_destroyed, ==, 1);
  g_assert_true (gate.probe.destroy_thread == g_thread_self ());

  g_assert_true (pmap_unregister_function (name));
  g_assert_cmpint (replacement.n_destroyed, ==, 1);

  test_async_clear (&async);
  g_cond_clear (&gate.cond);
  g_mutex_clear (&gate.mutex);
  test_probe_clear (&gate.probe);
  test_probe_clear (&replacement);
}

static void
test_list_sorted (void)
{
  const char *names[] = { "test-registry.zeta", "test-registry.alpha", "test-registry.mu" };
  g_auto(GStrv) listed = NULL;
  TestProbe probe;

  test_probe_init (&probe);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    pmap_register_function (names[i], test_probe_square, &probe, NULL);

  listed = pmap_list_functions ();
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_true (g_strv_contains ((const char * const *) listed, names[i]));
  for (guint i = 1; listed[i] != NULL; i++)
    g_assert_cmpstr (listed[i - 1], <, listed[i]);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_true (pmap_unregister_function (names[i]));
  test_probe_clear (&probe);
}

static gint n_registry_destroys;

static void
list_registry (gpointer data)
{
  g_auto(GStrv) names = pmap_list_functions ();

  g_assert_nonnull (names);
  n_registry_destroys++;
}

/* A destroy notify may use the registry, whether its function is replaced
 * or unregistered. In a subprocess, so that a deadlock is a failure. */
static void
test_destroy_uses_registry (void)
{
  const char *name = "test-registry.reentrant";

  if (g_test_subprocess ())
    {
      pmap_register_function (name, test_probe_square, NULL, list_registry);
      pmap_register_function (name, test_probe_square, NULL, list_registry);
      g_assert_cmpint (n_registry_destroys, ==, 1);
      g_assert_true (pmap_unregister_function (name));
      g_assert_cmpint (n_registry_destroys, ==, 2);
      return;
    }

  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_load_module_missing (void)
{
  const char *path = "/nonexistent/libpmap-nothing.so";
  g_autoptr(GError) error = NULL;

  g_assert_false (pmap_load_module (path, &error));
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_MODULE);
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_load_module_without_register (void)
{
  const char *path = g_getenv ("PMAP_TEST_MODULE_WITHOUT_REGISTER");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) before = pmap_list_functions ();
  g_auto(GStrv) after = NULL;

  g_assert_false (pmap_load_module (path, &error));
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_MODULE);
  g_assert_nonnull (strstr (error->message, "pmap_module_register"));
  g_assert_nonnull (strstr (error->message, path));

  after = pmap_list_functions ();
  g_assert_true (g_strv_equal ((const char * const *) before, (const char * const *) after));
}

static void
test_load_module_success (void)
{
  const char *names[] = {
    "test.concurrency", "test.fail-on-negative", "test.sleep-ms",
    "test.spin", "test.square",
  };
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) listed = NULL;
  GVariant *items[6];

  g_assert_true (pmap_load_module (test_module_path (), &error));
  g_assert_no_error (error);

  listed = pmap_list_functions ();
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_true (g_strv_contains ((const char * const *) listed, names[i]));

  results = map_by_name ("test.square", 100, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 100);

  /* A module function's own error, with the failing task's index. */
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    items[i] = g_variant_new_int64 (i == 4 ? -3 : (gint64) i);
  g_clear_pointer (&results, g_ptr_array_unref);
  pmap_executor_set_n_jobs (executor, 1);
  results = pmap_executor_map_by_name (executor, "test.fail-on-negative",
                                       items, G_N_ELEMENTS (items), NULL, &error);
  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "Task 4 failed: negative input -3");
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);

  g_test_add_func ("/Pmap/Registry/register-and-unregister", test_register_and_unregister);
  g_test_add_func ("/Pmap/Registry/replace", test_replace);
  g_test_add_func ("/Pmap/Registry/replace-while-running", test_replace_while_running);
  g_test_add_func ("/Pmap/Registry/list-sorted", test_list_sorted);
  g_test_add_func ("/Pmap/Registry/destroy-uses-registry", test_destroy_uses_registry);
  g_test_add_func ("/Pmap/Registry/load-module/missing", test_load_module_missing);
  g_test_add_func ("/Pmap/Registry/load-module/without-register", test_load_module_without_register);
  g_test_add_func ("/Pmap/Registry/load-module/success", test_load_module_success);

  return g_test_run ();
}

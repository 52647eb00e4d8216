/* test-serializer-processes.c: how functions and inputs travel to worker
 * processes under each serializer, built-in or of our own
 *
 * Built twice. With TEST_HOSTS_WORKERS 1, the program calls
 * pmap_host_workers(), after registering the functions that workers find
 * by name, and runs the tests whose workers must run this program's own
 * functions; those stay out of the valgrind setup, where the program
 * re-executed would be valgrind itself. With 0, it runs the others, whose
 * workers, if any, run the pmap-worker helper.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <unistd.h>

#include "pmap-test-util.h"

#define N_REMOTE_ITEMS 12
#define CUBE_NAME "serializer.cube"
#define ADD_NAME "serializer.add"
#define ADD_OFFSET 1000
#define WHICH_NAME "serializer.which"

/* The functions of this program that maps send to workers. Each returns
 * its result with the id of the process that computed it. */
static GVariant *
remote_result (gint64 value)
{
  return g_variant_new ("(xi)", value, (gint32) getpid ());
}

static GVariant *
cube (GVariant  *input,
      gpointer   user_data,
      GError   **error)
{
  gint64 x = g_variant_get_int64 (input);

  return remote_result (x * x * x);
}

static GVariant *
add_offset (GVariant  *input,
            gpointer   user_data,
            GError   **error)
{
  return remote_result (g_variant_get_int64 (input) + GPOINTER_TO_INT (user_data));
}

/* Two functions for one name: which one runs tells whether the name
 * travelled, found again in the worker's registry, or the function did. */
static GVariant *
which_registered (GVariant  *input,
                  gpointer   user_data,
                  GError   **error)
{
  return g_variant_new_string ("registered");
}

static GVariant *
which_replacement (GVariant  *input,
                   gpointer   user_data,
                   GError   **error)
{
  return g_variant_new_string ("replacement");
}

static gint64
cube_of (gint64 x)
{
  return x * x * x;
}

static gint64
plus_offset (gint64 x)
{
  return x + ADD_OFFSET;
}

static GPtrArray *
map_items (PmapExecutor  *executor,
           PmapFunc       func,
           gpointer       user_data,
           guint          n_items,
           GError       **error)
{
  g_autoptr(GPtrArray) items = test_items_new (n_items);

  return pmap_executor_map (executor, (GVariant **) items->pdata, n_items,
                            func, user_data, NULL, error);
}

static GPtrArray *
map_items_by_name (PmapExecutor  *executor,
                   const char    *name,
                   guint          n_items,
                   GError       **error)
{
  g_autoptr(GPtrArray) items = test_items_new (n_items);

  return pmap_executor_map_by_name (executor, name, (GVariant **) items->pdata,
                                    n_items, NULL, error);
}

/* The variant serializer refuses a function of the program that has no
 * name, and says how to make it travel. */
static void
test_variant_refuses_unnamed (void)
{
  static const char *const phrases[] = {
    "has no registered name", "“variant” serializer",
    "pmap_register_function()", "PmapWrapped", "“general” serializer", NULL
  };
  g_autoptr(PmapExecutor) executor = test_executor_new_named ("processes", "variant");
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_items (executor, cube, NULL, N_REMOTE_ITEMS, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
  g_assert_true (g_str_has_prefix (error->message, "Task "));
  test_assert_message_has (error, phrases);
}

/* A name that main() registered before pmap_host_workers() is registered
 * in the workers too; one registered later is not, so the variant
 * serializer cannot send it, while the general one sends its function. */
static void
test_registered_names (void)
{
  g_autoptr(PmapExecutor) variant = test_executor_new_named ("processes", "variant");
  g_autoptr(PmapExecutor) general = test_executor_new_named ("processes", "general");
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) late_results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_items_by_name (variant, CUBE_NAME, N_REMOTE_ITEMS, &error);
  g_assert_no_error (error);
  test_assert_remote_results (results, N_REMOTE_ITEMS, cube_of, 2);
  g_clear_pointer (&results, g_ptr_array_unref);

  pmap_register_function ("serializer.late", cube, NULL, NULL);
  late_results = map_items_by_name (variant, "serializer.late", N_REMOTE_ITEMS, &error);
  g_assert_null (late_results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_FUNCTION);
  g_assert_true (g_str_has_prefix (error->message, "Task "));
  g_assert_nonnull (strstr (error->message, "serializer.late"));
  g_clear_error (&error);

  results = map_items_by_name (general, "serializer.late", N_REMOTE_ITEMS, &error);
  g_assert_no_error (error);
  test_assert_remote_results (results, N_REMOTE_ITEMS, cube_of, 2);
  g_assert_true (pmap_unregister_function ("serializer.late"));
}

/* A function that a module registers travels as its name and the module
 * that registers it, which the worker loads. */
static void
test_module_function (gconstpointer data)
{
  g_autoptr(PmapExecutor) executor = test_executor_new_named ("processes", data);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  test_load_module ();
  results = map_items_by_name (executor, "test.square", 200, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 200);
}

/* The general serializer sends a function of the program by value, but
 * not with user data, which is a pointer into this process. */
static void
test_general_by_value (void)
{
  static const char *const phrases[] = { "user data", "register the function by name", NULL };
  g_autoptr(PmapExecutor) executor = test_executor_new_named ("processes", "general");
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) refused = NULL;
  g_autoptr(GError) error = NULL;
  gint offset = ADD_OFFSET;

  results = map_items (executor, cube, NULL, N_REMOTE_ITEMS, &error);
  g_assert_no_error (error);
  test_assert_remote_results (results, N_REMOTE_ITEMS, cube_of, 2);

  refused = map_items (executor, add_offset, &offset, N_REMOTE_ITEMS, &error);
  g_assert_null (refused);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
  test_assert_message_has (error, phrases);
}

/* A name registered with user data travels by name under either
 * serializer: the worker's own registration has the same data. */
static void
test_user_data_by_name (gconstpointer data)
{
  g_autoptr(PmapExecutor) executor = test_executor_new_named ("processes", data);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_items_by_name (executor, ADD_NAME, N_REMOTE_ITEMS, &error);
  g_assert_no_error (error);
  test_assert_remote_results (results, N_REMOTE_ITEMS, plus_offset, 2);
}

/* A name that the program registered without user data: the general
 * serializer sends the function that the name has here and now, the
 * variant one the name, which workers resolve to what main() registered. */
static void
test_name_or_value (void)
{
  const struct {
    const char *serializer;
    const char *expected;
  } cases[] = {
    { "general", "replacement" },
    { "variant", "registered" },
  };

  pmap_register_function (WHICH_NAME, which_replacement, NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PmapExecutor) executor = test_executor_new_named ("processes", cases[i].serializer);
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;

      results = map_items_by_name (executor, WHICH_NAME, 4, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (results->len, ==, 4);
      for (guint j = 0; j < results->len; j++)
        g_assert_cmpstr (g_variant_get_string (g_ptr_array_index (results, j), NULL), ==,
                         cases[i].expected);
    }

  pmap_register_function (WHICH_NAME, which_registered, NULL, NULL);
}

/* Maps test.square of the test module, which workers load, through
 * @serializer, on two jobs in a single batch. */
static GPtrArray *
map_squares_through (PmapSerializer  *serializer,
                     guint            n_items,
                     GError         **error)
{
  g_autoptr(PmapExecutor) executor = test_executor_new_with ("processes", serializer);

  test_load_module ();
  pmap_executor_set_batch_size (executor, n_items);
  return map_items_by_name (executor, "test.square", n_items, error);
}

/* A serializer of our own encodes the inputs here, but C workers only
 * know the built-in serializers: the first task fails before any worker
 * starts. */
static void
test_unknown_to_workers (void)
{
  g_autoptr(TestSerializer) tagged = test_serializer_new ("tagged", TRUE);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_squares_through (PMAP_SERIALIZER (tagged), 4, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_SERIALIZER);
  g_assert_true (g_str_has_prefix (error->message, "Task 0 failed: "));
  g_assert_nonnull (strstr (error->message, "“tagged”"));
  g_assert_cmpint (tagged->n_encoded, ==, 4);
  g_assert_cmpint (tagged->n_decoded, ==, 0);
}

/* Workers find a serializer by its name: one without a name fails the map
 * here, saying so, rather than sending a batch that names nothing. */
static void
test_nameless (void)
{
  g_autoptr(PmapSerializer) nameless = g_object_new (PMAP_TYPE_SERIALIZER, NULL);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_squares_through (nameless, 4, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_SERIALIZER);
  g_assert_cmpstr (error->message, ==,
                   "Task 0 failed: The serializer, a PmapSerializer, has no "
                   "name, by which worker processes would find it; set its "
                   "“name” property");
}

/* An input that the serializer refuses fails its task before its batch
 * is sent, so the worker, which would not know the serializer, never says
 * so; whether the serializer said why or not. */
static void
test_input_refused (void)
{
  const char *reasons[] = { "4 is not welcome here",
                            "its encode() returned nothing and set no error" };

  for (guint silently = 0; silently < 2; silently++)
    {
      g_autoptr(TestSerializer) tagged = test_serializer_new ("tagged", TRUE);
      g_autofree char *expected = NULL;
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;

      tagged->refuse = 4;
      tagged->refuse_silently = silently;
      results = map_squares_through (PMAP_SERIALIZER (tagged), 10, &error);
      g_assert_null (results);
      g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
      expected = g_strdup_printf ("Task 4 failed: Input 4 (of type x) cannot travel "
                                  "with the “tagged” serializer: %s", reasons[silently]);
      g_assert_cmpstr (error->message, ==, expected);
      g_assert_cmpint (tagged->n_encoded, ==, 5);
    }
}

/* A serializer of our own under a built-in name, which the workers run
 * in its stead: this one encodes inputs and decodes results here, into
 * floating values that the map sinks (valgrind tells if it frees them
 * early). */
static void
test_values_through_subclass (void)
{
  g_autoptr(TestSerializer) copying = test_serializer_new ("general", FALSE);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_squares_through (PMAP_SERIALIZER (copying), 50, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 50);
  g_assert_cmpint (copying->n_encoded, ==, 50);
  g_assert_cmpint (copying->n_decoded, ==, 50);
}

/* A result that the serializer cannot decode fails its task, even when
 * the serializer does not say why; the worker, still busy with the rest
 * of the batch, does not serve the next map. */
static void
test_result_not_decoded (void)
{
  g_autoptr(TestSerializer) copying = test_serializer_new ("general", FALSE);
  g_autoptr(PmapSerializer) general = pmap_serializer_create ("general", NULL);
  g_autoptr(PmapExecutor) executor = test_executor_new_with ("processes", PMAP_SERIALIZER (copying));
  GVariant *sleeps[] = { g_variant_new_int64 (0), g_variant_new_int64 (500) };
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  test_load_module ();
  copying->decode_nothing = TRUE;
  pmap_executor_set_batch_size (executor, G_N_ELEMENTS (sleeps));
  results = pmap_executor_map_by_name (executor, "test.sleep-ms", sleeps,
                                       G_N_ELEMENTS (sleeps), NULL, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "Task 0 failed: the “general” serializer's decode() "
                   "returned nothing and set no error");
  g_assert_cmpint (copying->n_decoded, ==, 1);
  g_clear_error (&error);

  /* At once, while that worker sleeps. */
  results = map_squares_through (general, 10, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 10);
}

/* Without pmap_host_workers(), workers run the pmap-worker helper, which
 * cannot load this program: its functions stay here, with the fix named. */
static void
test_program_not_hosting (void)
{
  static const char *const phrases[] = { "lives in the program itself", "pmap_host_workers()", NULL };
  g_autoptr(PmapExecutor) executor = test_executor_new_named ("processes", "general");
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_items (executor, cube, NULL, N_REMOTE_ITEMS, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
  test_assert_message_has (error, phrases);
}

/* PMAP_SERIALIZER=variant is what a processes map then uses. */
static void
test_environment_on_processes (void)
{
  g_autoptr(PmapExecutor) executor = NULL;
  g_autoptr(PmapBackend) backend = NULL;
  g_autoptr(GPtrArray) refused = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  g_setenv ("PMAP_SERIALIZER", "variant", TRUE);
  backend = pmap_backend_create ("processes", NULL);
  executor = g_object_new (PMAP_TYPE_EXECUTOR, "backend", backend, "n-jobs", 2, NULL);

  refused = map_items (executor, cube, NULL, N_REMOTE_ITEMS, &error);
  g_assert_null (refused);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
  g_assert_nonnull (strstr (error->message, "“variant” serializer"));
  g_clear_error (&error);

  results = map_items_by_name (executor, CUBE_NAME, N_REMOTE_ITEMS, &error);
  g_assert_no_error (error);
  test_assert_remote_results (results, N_REMOTE_ITEMS, cube_of, 2);
}

int
main (int   argc,
      char *argv[])
{
  /* What workers must find by name, registered before the workers start
   * from here: in a worker, pmap_host_workers() serves the parent and
   * exits. */
  pmap_register_function (CUBE_NAME, cube, NULL, NULL);
  pmap_register_function (ADD_NAME, add_offset, GINT_TO_POINTER (ADD_OFFSET), NULL);
  pmap_register_function (WHICH_NAME, which_registered, NULL, NULL);
  if (TEST_HOSTS_WORKERS)
    pmap_host_workers ();

  test_init (&argc, &argv);

  if (TEST_HOSTS_WORKERS)
    {
      g_test_add_func ("/Pmap/Serializer/hosted/registered-names", test_registered_names);
      g_test_add_func ("/Pmap/Serializer/hosted/general/by-value", test_general_by_value);
      g_test_add_data_func ("/Pmap/Serializer/hosted/general/user-data-by-name", "general", test_user_data_by_name);
      g_test_add_data_func ("/Pmap/Serializer/hosted/variant/user-data-by-name", "variant", test_user_data_by_name);
      g_test_add_func ("/Pmap/Serializer/hosted/name-or-value", test_name_or_value);
      g_test_add_func ("/Pmap/Serializer/hosted/environment", test_environment_on_processes);
      return g_test_run ();
    }

  g_test_add_func ("/Pmap/Serializer/processes/variant/refuses-unnamed", test_variant_refuses_unnamed);
  g_test_add_func ("/Pmap/Serializer/processes/program-not-hosting", test_program_not_hosting);
  g_test_add_data_func ("/Pmap/Serializer/processes/general/module-function", "general", test_module_function);
  g_test_add_data_func ("/Pmap/Serializer/processes/variant/module-function", "variant", test_module_function);
  g_test_add_func ("/Pmap/Serializer/processes/custom/unknown-to-workers", test_unknown_to_workers);
  g_test_add_func ("/Pmap/Serializer/processes/custom/nameless", test_nameless);
  g_test_add_func ("/Pmap/Serializer/processes/custom/input-refused", test_input_refused);
  g_test_add_func ("/Pmap/Serializer/processes/custom/values-through-subclass", test_values_through_subclass);
  g_test_add_func ("/Pmap/Serializer/processes/custom/result-not-decoded", test_result_not_decoded);

  return g_test_run ();
}

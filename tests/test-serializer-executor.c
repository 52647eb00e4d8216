/* test-serializer-executor.c: the executor's serializer: the property,
 * PMAP_SERIALIZER, and the backends that run tasks in this process, which
 * serialize nothing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "pmap-test-processes-util.h"

/* A function registered by name, for maps by name. */
#define SQUARE_NAME "serializer-executor.square"

/* Backends that run tasks in this process serialize nothing: a serializer
 * that would refuse an input is never called, and the strict variant
 * serializer lets an unregistered function with user data through. */
static void
test_in_process (gconstpointer data)
{
  const char *backend_name = data;
  g_autoptr(TestSerializer) tagged = test_serializer_new ("tagged", TRUE);
  g_autoptr(PmapSerializer) variant = pmap_serializer_create ("variant", NULL);
  PmapSerializer *serializers[] = { PMAP_SERIALIZER (tagged), variant };

  tagged->refuse = 3;

  for (guint i = 0; i < G_N_ELEMENTS (serializers); i++)
    {
      g_autoptr(PmapExecutor) executor = test_executor_new_with (backend_name, serializers[i]);
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;
      TestProbe probe;

      test_probe_init (&probe);
      results = test_map (executor, &probe, 50, NULL, &error);
      g_assert_no_error (error);
      test_assert_squares (results, 50);
      test_probe_clear (&probe);
    }

  g_assert_cmpint (tagged->n_encoded, ==, 0);
  g_assert_cmpint (tagged->n_decoded, ==, 0);
}

static guint n_serializer_notifies;

static void
count_serializer_notify (GObject    *object,
                         GParamSpec *pspec,
                         gpointer    user_data)
{
  g_assert_cmpstr (pspec->name, ==, "serializer");
  n_serializer_notifies++;
}

/* The executor's serializer: general by default, one of ours when set,
 * the default again for NULL; notify only when it changes. */
static void
test_executor_property (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(PmapSerializer) variant = pmap_serializer_create ("variant", NULL);
  g_autoptr(TestSerializer) tagged = test_serializer_new ("tagged", TRUE);
  g_autoptr(PmapExecutor) constructed = NULL;
  g_autoptr(PmapSerializer) property = NULL;
  PmapSerializer *initial = pmap_executor_get_serializer (executor);

  g_assert_nonnull (initial);
  g_assert_cmpstr (pmap_serializer_get_name (initial), ==, "general");
  g_assert_true (pmap_serializer_get_functions_by_value (initial));
  g_object_get (executor, "serializer", &property, NULL);
  g_assert_true (property == initial);

  constructed = g_object_new (PMAP_TYPE_EXECUTOR, "serializer", variant, NULL);
  g_assert_true (pmap_executor_get_serializer (constructed) == variant);

  n_serializer_notifies = 0;
  g_signal_connect (executor, "notify", G_CALLBACK (count_serializer_notify), NULL);

  pmap_executor_set_serializer (executor, variant);
  g_assert_true (pmap_executor_get_serializer (executor) == variant);
  g_assert_cmpuint (n_serializer_notifies, ==, 1);
  pmap_executor_set_serializer (executor, variant);
  g_object_set (executor, "serializer", variant, NULL);
  g_assert_cmpuint (n_serializer_notifies, ==, 1);

  g_object_set (executor, "serializer", tagged, NULL);
  g_assert_true (pmap_executor_get_serializer (executor) == PMAP_SERIALIZER (tagged));
  g_assert_cmpuint (n_serializer_notifies, ==, 2);

  pmap_executor_set_serializer (executor, NULL);
  g_assert_nonnull (pmap_executor_get_serializer (executor));
  g_assert_cmpstr (pmap_serializer_get_name (pmap_executor_get_serializer (executor)), ==, "general");
  g_assert_cmpuint (n_serializer_notifies, ==, 3);
}

typedef struct
{
  const char *path;
  const char *value;
  const char *expected;  /* the serializer's name, or NULL if unknown */
} EnvironmentCase;

static const EnvironmentCase environment_cases[] = {
  { "/Pmap/Serializer/environment/general", "general", "general" },
  { "/Pmap/Serializer/environment/variant", "variant", "variant" },
  { "/Pmap/Serializer/environment/empty", "", "general" },
  { "/Pmap/Serializer/environment/unknown", "pickle", NULL },
};

/* Every kind of map fails with the setting's error, before it calls the
 * function. */
static void
assert_maps_fail (PmapExecutor *executor,
                  const char   *value)
{
  g_autoptr(PmapWrapped) wrapped = NULL;
  g_autoptr(GPtrArray) items = test_items_new (10);
  GPtrArray *results[4];
  GError *errors[4] = { NULL, };
  TestProbe probe;

  test_probe_init (&probe);
  wrapped = pmap_wrapped_new (test_probe_square, &probe, NULL);

  results[0] = test_map (executor, &probe, 10, NULL, &errors[0]);
  results[1] = test_map_async (executor, &probe, 10, NULL, &errors[1]);
  results[2] = pmap_executor_map_by_name (executor, SQUARE_NAME, (GVariant **) items->pdata,
                                          items->len, NULL, &errors[2]);
  results[3] = pmap_executor_map_wrapped (executor, wrapped, (GVariant **) items->pdata,
                                          items->len, NULL, &errors[3]);

  for (guint i = 0; i < G_N_ELEMENTS (errors); i++)
    {
      g_assert_null (results[i]);
      g_assert_error (errors[i], PMAP_ERROR, PMAP_ERROR_UNKNOWN_SERIALIZER);
      g_assert_nonnull (strstr (errors[i]->message, "PMAP_SERIALIZER"));
      g_assert_nonnull (strstr (errors[i]->message, value));
      g_clear_error (&errors[i]);
    }

  g_assert_cmpint (probe.n_calls, ==, 0);
  test_probe_clear (&probe);
}

static void
check_environment (gconstpointer data)
{
  const EnvironmentCase *environment_case = data;
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(PmapSerializer) property = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  PmapSerializer *serializer = pmap_executor_get_serializer (executor);
  TestProbe probe;

  pmap_executor_set_n_jobs (executor, 2);
  if (environment_case->expected != NULL)
    {
      g_assert_nonnull (serializer);
      g_assert_cmpstr (pmap_serializer_get_name (serializer), ==, environment_case->expected);
      g_assert_true (pmap_serializer_get_functions_by_value (serializer) ==
                     g_str_equal (environment_case->expected, "general"));
      return;
    }

  /* An unknown name leaves the executor without a serializer, and its
   * maps failing, even where nothing travels, until the program sets one;
   * NULL brings the failure back. */
  g_assert_null (serializer);
  g_object_get (executor, "serializer", &property, NULL);
  g_assert_null (property);
  assert_maps_fail (executor, environment_case->value);
  pmap_executor_set_n_jobs (executor, 1);
  assert_maps_fail (executor, environment_case->value);

  g_clear_object (&property);
  property = pmap_serializer_create ("variant", NULL);
  pmap_executor_set_serializer (executor, property);
  test_probe_init (&probe);
  results = test_map (executor, &probe, 10, NULL, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 10);
  test_probe_clear (&probe);

  pmap_executor_set_serializer (executor, NULL);
  g_assert_null (pmap_executor_get_serializer (executor));
  assert_maps_fail (executor, environment_case->value);
}

static void
test_environment (gconstpointer data)
{
  const EnvironmentCase *environment_case = data;

  test_check_with_variable ("PMAP_SERIALIZER", environment_case->value, check_environment,
                            environment_case);
}

int
main (int   argc,
      char *argv[])
{
  pmap_register_function (SQUARE_NAME, test_square, NULL, NULL);
  test_init (&argc, &argv);

  g_test_add_data_func ("/Pmap/Serializer/in-process/threads", "threads", test_in_process);
  g_test_add_data_func ("/Pmap/Serializer/in-process/sequential", "sequential", test_in_process);
  g_test_add_func ("/Pmap/Serializer/executor-property", test_executor_property);
  for (guint i = 0; i < G_N_ELEMENTS (environment_cases); i++)
    g_test_add_data_func (environment_cases[i].path, &environment_cases[i], test_environment);

  return g_test_run ();
}

/* test-serializer.c: serializers, the executor's serializer property, and
 * how functions and inputs travel to worker processes under each
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

/* A serializer of our own for int64 values, counting its calls. A tagged
 * one encodes x as ("tagged", x), which only it decodes; an untagged one
 * as a floating copy of x, which the built-in serializers pass through, so
 * that a worker running one of those can take it. */
#define TEST_TYPE_SERIALIZER (test_serializer_get_type ())
G_DECLARE_FINAL_TYPE (TestSerializer, test_serializer, TEST, SERIALIZER, PmapSerializer)

struct _TestSerializer
{
  PmapSerializer parent_instance;

  gboolean       tagged;
  gint64         refuse;            /* the input that encode() refuses */
  gboolean       refuse_silently;   /* with no error set */
  gboolean       decode_nothing;    /* decode() returns NULL, no error set */
  gint           n_encoded;
  gint           n_decoded;
};

G_DEFINE_FINAL_TYPE (TestSerializer, test_serializer, PMAP_TYPE_SERIALIZER)

static GVariant *
test_serializer_encode (PmapSerializer  *serializer,
                        GVariant        *value,
                        GError         **error)
{
  TestSerializer *self = TEST_SERIALIZER (serializer);
  gint64 x = g_variant_get_int64 (value);

  g_atomic_int_inc (&self->n_encoded);
  if (x == self->refuse)
    {
      if (!self->refuse_silently)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "%" G_GINT64_FORMAT " is not welcome here", x);
      return NULL;
    }

  if (self->tagged)
    return g_variant_ref_sink (g_variant_new ("(sx)", "tagged", x));

  return g_variant_new_int64 (x);
}

static GVariant *
test_serializer_decode (PmapSerializer  *serializer,
                        GVariant        *data,
                        GError         **error)
{
  TestSerializer *self = TEST_SERIALIZER (serializer);
  gint64 x;

  g_atomic_int_inc (&self->n_decoded);
  if (self->decode_nothing)
    return NULL;

  if (!self->tagged)
    return g_variant_new_int64 (g_variant_get_int64 (data));

  if (!g_variant_is_of_type (data, G_VARIANT_TYPE ("(sx)")))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "not tagged: %s", g_variant_get_type_string (data));
      return NULL;
    }

  g_variant_get (data, "(&sx)", NULL, &x);
  return g_variant_ref_sink (g_variant_new_int64 (x));
}

static void
test_serializer_class_init (TestSerializerClass *klass)
{
  PmapSerializerClass *serializer_class = PMAP_SERIALIZER_CLASS (klass);

  serializer_class->encode = test_serializer_encode;
  serializer_class->decode = test_serializer_decode;
}

static void
test_serializer_init (TestSerializer *self)
{
  self->refuse = G_MININT64;
}

static TestSerializer *
test_serializer_new (const char *name,
                     gboolean    tagged)
{
  TestSerializer *self = g_object_new (TEST_TYPE_SERIALIZER, "name", name, NULL);

  self->tagged = tagged;
  return self;
}

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

static PmapExecutor *
executor_new_with (const char     *backend_name,
                   PmapSerializer *serializer)
{
  g_autoptr(PmapBackend) backend = pmap_backend_create (backend_name, NULL);

  return g_object_new (PMAP_TYPE_EXECUTOR,
                       "backend", backend,
                       "serializer", serializer,
                       "n-jobs", 2,
                       NULL);
}

static PmapExecutor *
processes_executor_new (const char *serializer_name)
{
  g_autoptr(PmapSerializer) serializer = pmap_serializer_create (serializer_name, NULL);

  g_assert_nonnull (serializer);
  return executor_new_with ("processes", serializer);
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

static void
assert_message_has (const GError *error,
                    const char   *const *phrases)
{
  for (guint i = 0; phrases[i] != NULL; i++)
    if (strstr (error->message, phrases[i]) == NULL)
      g_error ("“%s” is not in the message “%s”", phrases[i], error->message);
}

/* Serializers by name. */
static void
test_create (void)
{
  static const struct {
    const char *name;
    gboolean    functions_by_value;
  } known[] = {
    { "general", TRUE },
    { "variant", FALSE },
  };
  static const char *const unknown_phrases[] = { "“pickle”", "“general”", "“variant”", NULL };
  g_autoptr(PmapSerializer) unknown = NULL;
  g_autoptr(PmapSerializer) empty = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    {
      g_autoptr(PmapSerializer) serializer = pmap_serializer_create (known[i].name, &error);
      g_autoptr(PmapSerializer) again = pmap_serializer_create (known[i].name, &error);
      g_autofree char *name = NULL;
      gboolean functions_by_value;

      g_assert_no_error (error);
      g_assert_true (PMAP_IS_SERIALIZER (serializer));
      g_assert_true (serializer != again);
      g_assert_cmpstr (pmap_serializer_get_name (serializer), ==, known[i].name);
      g_assert_true (pmap_serializer_get_functions_by_value (serializer) == known[i].functions_by_value);

      g_object_get (serializer,
                    "name", &name,
                    "functions-by-value", &functions_by_value,
                    NULL);
      g_assert_cmpstr (name, ==, known[i].name);
      g_assert_true (functions_by_value == known[i].functions_by_value);
    }

  unknown = pmap_serializer_create ("pickle", &error);
  g_assert_null (unknown);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_SERIALIZER);
  assert_message_has (error, unknown_phrases);
  g_clear_error (&error);

  empty = pmap_serializer_create ("", &error);
  g_assert_null (empty);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_SERIALIZER);
}

/* Both properties are set at construction only, and a serializer made
 * directly carries functions by value unless told otherwise. */
static void
test_properties (void)
{
  g_autoptr(PmapSerializer) plain = g_object_new (PMAP_TYPE_SERIALIZER, NULL);
  g_autoptr(PmapSerializer) strict = g_object_new (PMAP_TYPE_SERIALIZER,
                                                   "name", "strict",
                                                   "functions-by-value", FALSE,
                                                   NULL);
  GObjectClass *klass = g_type_class_peek (PMAP_TYPE_SERIALIZER);
  const char *names[] = { "name", "functions-by-value" };

  g_assert_null (pmap_serializer_get_name (plain));
  g_assert_true (pmap_serializer_get_functions_by_value (plain));
  g_assert_cmpstr (pmap_serializer_get_name (strict), ==, "strict");
  g_assert_false (pmap_serializer_get_functions_by_value (strict));

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GParamSpec *pspec = g_object_class_find_property (klass, names[i]);

      g_assert_nonnull (pspec);
      g_assert_cmpint (pspec->flags & (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY), ==,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY);
    }
}

/* The base class hands values over as they are: no copy, no conversion. */
static void
test_identity (void)
{
  static const gint64 elements[4096];
  const char *names[] = { "general", "variant" };
  g_autoptr(GVariant) value = NULL;

  value = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, elements,
                                                         G_N_ELEMENTS (elements), sizeof (gint64)));

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(PmapSerializer) serializer = pmap_serializer_create (names[i], NULL);
      g_autoptr(GVariant) encoded = NULL;
      g_autoptr(GVariant) decoded = NULL;
      g_autoptr(GError) error = NULL;

      encoded = pmap_serializer_encode (serializer, value, &error);
      g_assert_no_error (error);
      g_assert_true (encoded == value);
      decoded = pmap_serializer_decode (serializer, encoded, &error);
      g_assert_no_error (error);
      g_assert_true (decoded == value);
    }
}

/* pmap_serializer_encode() and _decode() call a subclass's vfuncs. */
static void
test_subclass (void)
{
  g_autoptr(TestSerializer) tagged = test_serializer_new ("tagged", TRUE);
  PmapSerializer *serializer = PMAP_SERIALIZER (tagged);
  g_autoptr(GVariant) input = g_variant_ref_sink (g_variant_new_int64 (5));
  g_autoptr(GVariant) refused = g_variant_ref_sink (g_variant_new_int64 (13));
  g_autoptr(GVariant) encoded = NULL;
  g_autoptr(GVariant) decoded = NULL;
  g_autoptr(GVariant) not_encoded = NULL;
  g_autoptr(GError) error = NULL;

  tagged->refuse = 13;
  g_assert_cmpstr (pmap_serializer_get_name (serializer), ==, "tagged");
  g_assert_true (pmap_serializer_get_functions_by_value (serializer));

  encoded = pmap_serializer_encode (serializer, input, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_type_string (encoded), ==, "(sx)");
  decoded = pmap_serializer_decode (serializer, encoded, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_equal (decoded, input));

  g_assert_null (pmap_serializer_encode (serializer, refused, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  not_encoded = pmap_serializer_decode (serializer, input, &error);
  g_assert_null (not_encoded);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);

  g_assert_cmpint (tagged->n_encoded, ==, 2);
  g_assert_cmpint (tagged->n_decoded, ==, 2);
}

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
      g_autoptr(PmapExecutor) executor = executor_new_with (backend_name, serializers[i]);
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
  results[2] = pmap_executor_map_by_name (executor, CUBE_NAME, (GVariant **) items->pdata,
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
check_environment (const EnvironmentCase *environment_case)
{
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

  if (g_test_subprocess ())
    {
      g_setenv ("PMAP_SERIALIZER", environment_case->value, TRUE);
      check_environment (environment_case);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
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
  g_autoptr(PmapExecutor) executor = processes_executor_new ("variant");
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_items (executor, cube, NULL, N_REMOTE_ITEMS, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
  g_assert_true (g_str_has_prefix (error->message, "Task "));
  assert_message_has (error, phrases);
}

/* A name that main() registered before pmap_host_workers() is registered
 * in the workers too; one registered later is not, so the variant
 * serializer cannot send it, while the general one sends its function. */
static void
test_registered_names (void)
{
  g_autoptr(PmapExecutor) variant = processes_executor_new ("variant");
  g_autoptr(PmapExecutor) general = processes_executor_new ("general");
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
  g_autoptr(PmapExecutor) executor = processes_executor_new (data);
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
  g_autoptr(PmapExecutor) executor = processes_executor_new ("general");
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
  assert_message_has (error, phrases);
}

/* A name registered with user data travels by name under either
 * serializer: the worker's own registration has the same data. */
static void
test_user_data_by_name (gconstpointer data)
{
  g_autoptr(PmapExecutor) executor = processes_executor_new (data);
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
      g_autoptr(PmapExecutor) executor = processes_executor_new (cases[i].serializer);
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
  g_autoptr(PmapExecutor) executor = executor_new_with ("processes", serializer);

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
  g_autoptr(PmapExecutor) executor = executor_new_with ("processes", PMAP_SERIALIZER (copying));
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
  g_autoptr(PmapExecutor) executor = processes_executor_new ("general");
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = map_items (executor, cube, NULL, N_REMOTE_ITEMS, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE);
  assert_message_has (error, phrases);
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

/* Programming errors: a critical, and the call does nothing. */
static void
test_preconditions (void)
{
  g_autoptr(PmapSerializer) general = pmap_serializer_create ("general", NULL);
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(PmapBackend) backend = pmap_backend_create ("threads", NULL);
  g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new_int64 (1));
  g_autoptr(GError) error = NULL;

  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_serializer_create: assertion 'name != NULL' failed");
  g_assert_null (pmap_serializer_create (NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_serializer_encode: assertion 'value != NULL' failed");
  g_assert_null (pmap_serializer_encode (general, NULL, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_serializer_decode: assertion 'PMAP_IS_SERIALIZER (self)' failed");
  g_assert_null (pmap_serializer_decode (NULL, value, NULL));
  g_test_assert_expected_messages ();

  g_test_expect_message ("Pmap", G_LOG_LEVEL_CRITICAL,
                         "pmap_executor_set_serializer: assertion 'serializer == NULL || PMAP_IS_SERIALIZER (serializer)' failed");
  pmap_executor_set_serializer (executor, (PmapSerializer *) backend);
  g_test_assert_expected_messages ();
  g_assert_cmpstr (pmap_serializer_get_name (pmap_executor_get_serializer (executor)), ==, "general");
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

  g_test_add_func ("/Pmap/Serializer/create", test_create);
  g_test_add_func ("/Pmap/Serializer/properties", test_properties);
  g_test_add_func ("/Pmap/Serializer/identity", test_identity);
  g_test_add_func ("/Pmap/Serializer/subclass", test_subclass);
  g_test_add_data_func ("/Pmap/Serializer/in-process/threads", "threads", test_in_process);
  g_test_add_data_func ("/Pmap/Serializer/in-process/sequential", "sequential", test_in_process);
  g_test_add_func ("/Pmap/Serializer/executor-property", test_executor_property);
  for (guint i = 0; i < G_N_ELEMENTS (environment_cases); i++)
    g_test_add_data_func (environment_cases[i].path, &environment_cases[i], test_environment);
  g_test_add_func ("/Pmap/Serializer/preconditions", test_preconditions);

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

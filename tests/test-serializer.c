/* test-serializer.c: serializers: the built-in ones by name, their
 * properties, and the vfuncs of a subclass
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "pmap-test-util.h"

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
  test_assert_message_has (error, unknown_phrases);
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
  test_init (&argc, &argv);

  g_test_add_func ("/Pmap/Serializer/create", test_create);
  g_test_add_func ("/Pmap/Serializer/properties", test_properties);
  g_test_add_func ("/Pmap/Serializer/identity", test_identity);
  g_test_add_func ("/Pmap/Serializer/subclass", test_subclass);
  g_test_add_func ("/Pmap/Serializer/preconditions", test_preconditions);

  return g_test_run ();
}

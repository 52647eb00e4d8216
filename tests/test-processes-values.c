/* test-processes-values.c: values through the processes backend: every kind of
 * GVariant comes back from a worker as the threads backend gives it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * main() calls pmap_host_workers() first, so the workers are this very
 * program, re-executed, and the functions mapped here are its own: they
 * travel by the program's build-id and their offsets in it.
 */

#include <string.h>

#include "pmap-test-processes-util.h"

/* The functions that workers run. */

static GVariant *
identity (GVariant  *input,
          gpointer   user_data,
          GError   **error)
{
  return g_variant_ref (input);
}

/* The size of a number of @type, or 0 for other types. Any bits make a
 * valid number of these types in normal form (NaNs, infinities, subnormals
 * and -0 for doubles). */
static gsize
number_size (const GVariantType *type)
{
  static const char numbers[] = "ynqiuhxtd";
  static const gsize sizes[] = { 1, 2, 2, 4, 4, 4, 8, 8, 8 };
  const char *code = g_variant_type_peek_string (type);
  const char *found = strchr (numbers, code[0]);

  /* A one-letter type is never "", which strchr() would find too. */
  if (g_variant_type_get_string_length (type) != 1 || found == NULL)
    return 0;

  return sizes[found - numbers];
}

/* A number with its bits flipped, or an array of numbers reversed with
 * theirs flipped: fast for a million of them. */
static GVariant *
mirror_numbers (GVariant *value,
                gsize     number_size)
{
  const guint8 *data = g_variant_get_data (value);
  gsize n = g_variant_get_size (value) / number_size;
  guint8 *mirrored = g_malloc (MAX (n * number_size, 1));

  for (gsize i = 0; i < n; i++)
    for (gsize b = 0; b < number_size; b++)
      mirrored[(n - 1 - i) * number_size + b] = ~data[i * number_size + b];

  return g_variant_new_from_data (g_variant_get_type (value), mirrored, n * number_size,
                                  TRUE, g_free, mirrored);
}

/* An involution that keeps the type and changes every part of a value:
 * numbers and booleans are inverted, strings and arrays reversed, the
 * children of containers mirrored in turn. */
static GVariant *
mirror (GVariant *value)
{
  const GVariantType *type = g_variant_get_type (value);

  if (number_size (type) > 0)
    return mirror_numbers (value, number_size (type));
  if (g_variant_type_is_array (type) && number_size (g_variant_type_element (type)) > 0)
    return mirror_numbers (value, number_size (g_variant_type_element (type)));

  switch (g_variant_classify (value))
    {
    case G_VARIANT_CLASS_BOOLEAN:
      return g_variant_new_boolean (!g_variant_get_boolean (value));
    case G_VARIANT_CLASS_STRING:
      {
        g_autofree char *reversed = g_utf8_strreverse (g_variant_get_string (value, NULL), -1);

        return g_variant_new_string (reversed);
      }
    case G_VARIANT_CLASS_OBJECT_PATH:
      return g_variant_new_object_path (g_variant_get_string (value, NULL));
    case G_VARIANT_CLASS_SIGNATURE:
      return g_variant_new_signature (g_variant_get_string (value, NULL));
    case G_VARIANT_CLASS_VARIANT:
      {
        g_autoptr(GVariant) inner = g_variant_get_variant (value);

        return g_variant_new_variant (mirror (inner));
      }
    case G_VARIANT_CLASS_MAYBE:
      {
        g_autoptr(GVariant) inner = g_variant_get_maybe (value);

        if (inner == NULL)
          return g_variant_new_maybe (g_variant_type_element (type), NULL);
        return g_variant_new_maybe (NULL, mirror (inner));
      }
    case G_VARIANT_CLASS_ARRAY:
    case G_VARIANT_CLASS_TUPLE:
      {
        gboolean array = g_variant_type_is_array (type);
        gsize n = g_variant_n_children (value);
        g_autofree GVariant **children = g_new (GVariant *, MAX (n, 1));

        for (gsize i = 0; i < n; i++)
          {
            g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

            children[array ? n - 1 - i : i] = mirror (child);
          }
        if (array)
          return g_variant_new_array (g_variant_type_element (type), children, n);
        return g_variant_new_tuple (children, n);
      }
    case G_VARIANT_CLASS_DICT_ENTRY:
      {
        g_autoptr(GVariant) key = g_variant_get_child_value (value, 0);
        g_autoptr(GVariant) entry_value = g_variant_get_child_value (value, 1);

        return g_variant_new_dict_entry (key, mirror (entry_value));
      }
    default:
      g_assert_not_reached ();
    }
}

static GVariant *
mirror_func (GVariant  *input,
             gpointer   user_data,
             GError   **error)
{
  return mirror (input);
}

static GVariant *
first_byte_plus_two (GVariant  *input,
                     gpointer   user_data,
                     GError   **error)
{
  return g_variant_new_int64 (g_variant_get_string (input, NULL)[0] + 2);
}

/* Random values of every kind. */

static const GVariantType *
random_basic_type (void)
{
  static const char * const types[] = {
    "b", "y", "n", "q", "i", "u", "h", "x", "t", "d", "s", "o", "g",
  };

  return G_VARIANT_TYPE (types[g_test_rand_int_range (0, G_N_ELEMENTS (types))]);
}

static GVariantType *
random_type (guint depth)
{
  int kind = g_test_rand_int_range (0, depth < 3 ? 10 : 4);

  switch (kind)
    {
    case 4:
    case 5:
      {
        g_autoptr(GVariantType) element = random_type (depth + 1);

        return g_variant_type_new_array (element);
      }
    case 6:
      {
        g_autoptr(GVariantType) element = random_type (depth + 1);

        return g_variant_type_new_maybe (element);
      }
    case 7:
      {
        guint n = g_test_rand_int_range (0, 5);
        GVariantType *items[4];
        GVariantType *tuple;

        for (guint i = 0; i < n; i++)
          items[i] = random_type (depth + 1);
        tuple = g_variant_type_new_tuple ((const GVariantType * const *) items, n);
        for (guint i = 0; i < n; i++)
          g_variant_type_free (items[i]);
        return tuple;
      }
    case 8:
      {
        g_autoptr(GVariantType) value = random_type (depth + 1);
        g_autoptr(GVariantType) entry = g_variant_type_new_dict_entry (random_basic_type (), value);

        return g_variant_type_new_array (entry);
      }
    case 9:
      return g_variant_type_copy (G_VARIANT_TYPE_VARIANT);
    default:
      return g_variant_type_copy (random_basic_type ());
    }
}

static char *
random_utf8 (guint max_length)
{
  static const gunichar alphabet[] = { 'a', 'Z', '0', ' ', '/', 0xe9, 0x3b1, 0x65e5, 0x1f600, 0x10fff0 };
  guint length = g_test_rand_int_range (0, max_length + 1);
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < length; i++)
    g_string_append_unichar (text, alphabet[g_test_rand_int_range (0, G_N_ELEMENTS (alphabet))]);

  return g_string_free (text, FALSE);
}

/* Any bits: see number_size(). */
static GVariant *
random_numbers (const GVariantType *type,
                gsize               size)
{
  guint8 *bits = g_malloc (MAX (size, 1));

  for (gsize i = 0; i < size; i++)
    bits[i] = g_test_rand_int ();

  return g_variant_new_from_data (type, bits, size, TRUE, g_free, bits);
}

static GVariant *
random_value (const GVariantType *type,
              guint               depth)
{
  if (g_variant_type_is_array (type))
    {
      const GVariantType *element = g_variant_type_element (type);
      guint n = g_test_rand_int_range (0, 9);
      g_autofree GVariant **children = g_new (GVariant *, MAX (n, 1));

      if (number_size (element) > 0)
        return random_numbers (type, number_size (element) * g_test_rand_int_range (0, 200));

      for (guint i = 0; i < n; i++)
        children[i] = random_value (element, depth + 1);
      return g_variant_new_array (element, children, n);
    }

  if (g_variant_type_is_maybe (type))
    {
      if (g_test_rand_bit ())
        return g_variant_new_maybe (g_variant_type_element (type), NULL);
      return g_variant_new_maybe (NULL, random_value (g_variant_type_element (type), depth + 1));
    }

  if (g_variant_type_is_dict_entry (type))
    {
      const GVariantType *key = g_variant_type_key (type);

      return g_variant_new_dict_entry (random_value (key, depth + 1),
                                       random_value (g_variant_type_value (type), depth + 1));
    }

  if (g_variant_type_is_tuple (type))
    {
      gsize n = g_variant_type_n_items (type);
      g_autofree GVariant **children = g_new (GVariant *, MAX (n, 1));
      const GVariantType *item = g_variant_type_first (type);

      for (gsize i = 0; i < n; i++, item = g_variant_type_next (item))
        children[i] = random_value (item, depth + 1);
      return g_variant_new_tuple (children, n);
    }

  if (g_variant_type_equal (type, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr(GVariantType) inner = random_type (depth + 1);

      return g_variant_new_variant (random_value (inner, depth + 1));
    }

  if (number_size (type) > 0)
    return random_numbers (type, number_size (type));

  switch (g_variant_type_peek_string (type)[0])
    {
    case 'b':
      return g_variant_new_boolean (g_test_rand_bit ());
    case 's':
      {
        g_autofree char *text = random_utf8 (40);

        return g_variant_new_string (text);
      }
    case 'o':
      {
        g_autofree char *path = g_strdup_printf ("/org/pmap/n%u", g_test_rand_int ());

        return g_variant_new_object_path (path);
      }
    case 'g':
      {
        static const char * const signatures[] = { "", "s", "a{sv}", "(xay)", "aai" };

        return g_variant_new_signature (signatures[g_test_rand_int_range (0, G_N_ELEMENTS (signatures))]);
      }
    default:
      g_assert_not_reached ();
    }
}

/* Random values, then values of every edge a serializer may trip on. */
static GPtrArray *
random_items_new (guint n_random)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autofree gint64 *million = g_new (gint64, 1000000);
  g_autofree char *long_text = NULL;
  GVariant *nested;

  for (guint i = 0; i < n_random; i++)
    {
      g_autoptr(GVariantType) type = random_type (0);

      g_ptr_array_add (items, g_variant_ref_sink (random_value (type, 0)));
    }

  for (guint i = 0; i < 1000000; i++)
    million[i] = (gint64) i * 7919 - 5000000;
  g_ptr_array_add (items, g_variant_ref_sink (
    g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, million, 1000000, sizeof (gint64))));

  long_text = g_strnfill (1 << 20, 'q');
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new_string (long_text)));
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new_string ("")));
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new_bytestring ("with a NUL\0 inside")));
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new ("()")));
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new ("ax", NULL)));
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new ("ay", NULL)));
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new ("as", NULL)));
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new ("a{sv}", NULL)));
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new ("a(xs)", NULL)));
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new ("mmx", NULL)));
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new_parsed ("[[1, 2], @ax [], [3]]")));
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new_parsed (
    "{'int': <int64 1>, 'text': <'x'>, 'nothing': <@mi nothing>, 'list': <[<1>, <'a'>]>}")));
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new ("(xy)", G_MININT64, 255)));
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new ("(tnq)", G_MAXUINT64, G_MININT16, G_MAXUINT16)));

  nested = g_variant_new_int32 (-1);
  for (guint i = 0; i < 64; i++)
    nested = g_variant_new_variant (nested);
  g_ptr_array_add (items, g_variant_ref_sink (nested));

  return items;
}

/* Tests. */

/* What the threads backend gives, the processes backend gives too, value
 * for value and in order, whatever the batches and the number of
 * workers. */
static void
test_same_results_as_threads (gconstpointer data)
{
  PmapFunc func = (PmapFunc) data;
  g_autoptr(GPtrArray) items = random_items_new (3000);
  g_autoptr(PmapExecutor) threads = pmap_executor_new ();
  g_autoptr(PmapBackend) threads_backend = pmap_backend_create ("threads", NULL);
  g_autoptr(GPtrArray) expected = NULL;
  g_autoptr(GError) error = NULL;
  static const guint batch_sizes[] = { 0, 1, 7, 1000 };

  g_test_message ("%u inputs", items->len);

  pmap_executor_set_backend (threads, threads_backend);
  pmap_executor_set_n_jobs (threads, 2);
  expected = test_map_items (threads, items, func, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (expected->len, ==, items->len);

  if (func == identity)
    for (guint i = 0; i < items->len; i++)
      g_assert_true (g_variant_equal (g_ptr_array_index (expected, i),
                                      g_ptr_array_index (items, i)));

  for (int n_jobs = 1; n_jobs <= 3; n_jobs++)
    for (guint b = 0; b < G_N_ELEMENTS (batch_sizes); b++)
      {
        g_autoptr(PmapExecutor) executor = test_processes_executor_new (n_jobs, batch_sizes[b]);
        g_autoptr(GPtrArray) results = NULL;

        /* n-jobs 1 runs on the sequential backend whatever the executor's
         * backend: once is enough. */
        if (n_jobs == 1 && b > 0)
          continue;

        results = test_map_items (executor, items, func, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (results->len, ==, items->len);

        for (guint i = 0; i < items->len; i++)
          {
            GVariant *result = g_ptr_array_index (results, i);

            if (!g_variant_equal (result, g_ptr_array_index (expected, i)))
              {
                g_autofree char *input = g_variant_print (g_ptr_array_index (items, i), TRUE);

                g_test_message ("input %u, %s, with n-jobs %d and batch size %u", i,
                                input, n_jobs, batch_sizes[b]);
                g_assert_true (g_variant_equal (result, g_ptr_array_index (expected, i)));
              }
            g_assert_false (g_variant_is_floating (result));
          }
      }
}

/* A value not in normal form (an ax whose size is no multiple of 8) is
 * still the value that GVariant reads from it, an empty array; a worker
 * that returns it must not be taken for a broken one. */
static void
test_input_not_in_normal_form (void)
{
  static const guint8 bytes[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 0);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *odd;

  odd = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE ("ax"), bytes, sizeof bytes,
                                                     FALSE, NULL, NULL));
  g_assert_false (g_variant_is_normal_form (odd));
  g_ptr_array_add (items, odd);
  g_ptr_array_add (items, g_variant_ref_sink (g_variant_new_int64 (1)));

  results = test_map_items (executor, items, identity, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_equal (g_ptr_array_index (results, 0), odd));
  g_assert_cmpuint (g_variant_n_children (g_ptr_array_index (results, 0)), ==, 0);
}

/* Large batches travel in a memfd that the parent reuses: a second map
 * with another function of the same program, and other inputs, must run
 * that function on those inputs, whatever the workers kept of the first. */
static void
test_large_batches_in_turn (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);

  for (guint round = 0; round < 4; round++)
    {
      g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
      g_autoptr(GPtrArray) results = NULL;
      g_autoptr(GError) error = NULL;
      PmapFunc func = round % 2 ? first_byte_plus_two : test_first_byte_plus_one;
      char letter = 'a' + round;

      for (guint i = 0; i < 4; i++)
        {
          g_autofree char *text = g_malloc (2 * 1024 * 1024 + 1);

          memset (text, letter, 2 * 1024 * 1024);
          text[2 * 1024 * 1024] = '\0';
          g_ptr_array_add (items, g_variant_ref_sink (g_variant_new_string (text)));
        }

      results = test_map_items (executor, items, func, &error);
      g_assert_no_error (error);
      for (guint i = 0; i < results->len; i++)
        g_assert_cmpint (g_variant_get_int64 (g_ptr_array_index (results, i)), ==,
                         letter + (round % 2 ? 2 : 1));
    }
}

int
main (int   argc,
      char *argv[])
{
  pmap_host_workers ();

  test_init (&argc, &argv);

  g_test_add_data_func ("/Pmap/Processes/same-results/identity", identity,
                        test_same_results_as_threads);
  g_test_add_data_func ("/Pmap/Processes/same-results/mirror", mirror_func,
                        test_same_results_as_threads);
  g_test_add_func ("/Pmap/Processes/input-not-in-normal-form", test_input_not_in_normal_form);
  g_test_add_func ("/Pmap/Processes/large-batches-in-turn", test_large_batches_in_turn);

  return g_test_run ();
}

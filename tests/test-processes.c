/* test-processes.c: the processes backend, with this program as its worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * main() calls pmap_host_workers() first, so the workers are this very
 * program, re-executed, and the functions mapped here are its own: they
 * travel by the program's build-id and their offsets in it.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "pmap-test-processes-util.h"

/* How long a worker waits for the others in meet(). */
#define MEET_TIMEOUT_S 20

#define TEST_ERROR (test_error_quark ())
static GQuark test_error_quark (void);
G_DEFINE_QUARK (pmap-test-processes-error-quark, test_error)

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
worker_pid (GVariant  *input,
            gpointer   user_data,
            GError   **error)
{
  return g_variant_new_int64 (getpid ());
}

/* Helpers. */

static GPtrArray *
map (PmapExecutor *executor,
     GPtrArray    *items,
     PmapFunc      func,
     GError      **error)
{
  return pmap_executor_map (executor, (GVariant **) items->pdata, items->len,
                            func, NULL, NULL, error);
}

static void
assert_all_42 (GPtrArray *results,
               guint      n)
{
  g_assert_nonnull (results);
  g_assert_cmpuint (results->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (g_variant_get_int64 (g_ptr_array_index (results, i)), ==, 42);
}

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
  results = map (executor, items, meet, &error);
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
  expected = map (threads, items, func, &error);
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

        results = map (executor, items, func, &error);
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

  results = map (executor, items, identity, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_equal (g_ptr_array_index (results, 0), odd));
  g_assert_cmpuint (g_variant_n_children (g_ptr_array_index (results, 0)), ==, 0);
}

static void
test_error_keeps_domain_code_message (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 3);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 20);

  results = map (executor, items, square_or_fail, &error);
  g_assert_null (results);
  g_assert_error (error, TEST_ERROR, 42);
  g_assert_cmpstr (error->message, ==, "Task 7 failed: no square for 7 in this worker");
  g_clear_error (&error);

  /* In GIO's domain, on the automatic batch size. */
  g_clear_pointer (&items, g_ptr_array_unref);
  items = test_int64_items_new (-20, 20);
  pmap_executor_set_batch_size (executor, 0);
  results = map (executor, items, square_or_fail, &error);
  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpstr (error->message, ==, "Task 13 failed: not allowed");
  g_clear_error (&error);

  /* pmap-glib's own error for a missing result, made in the worker. */
  g_clear_pointer (&items, g_ptr_array_unref);
  items = test_int64_items_new (990, 20);
  results = map (executor, items, square_or_fail, &error);
  g_assert_null (results);
  g_assert_error (error, PMAP_ERROR, PMAP_ERROR_MISSING_RESULT);
  g_assert_true (g_str_has_prefix (error->message, "Task 10 failed: "));
  g_clear_error (&error);

  /* The workers survived their errors. */
  g_clear_pointer (&items, g_ptr_array_unref);
  items = test_int64_items_new (10, 20);
  results = map (executor, items, square_or_fail, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 20; i++)
    g_assert_cmpint (g_variant_get_int64 (g_ptr_array_index (results, i)), ==,
                     (gint64) (10 + i) * (10 + i));
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
};

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
      executor = test_processes_executor_new (2, batch_size);

      results = map (executor, items, die, &error);
      g_assert_null (results);
      g_assert_error (error, PMAP_ERROR, PMAP_ERROR_WORKER_CRASHED);
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
      results = map (executor, harmless, die, &error);
      g_assert_no_error (error);
      assert_all_42 (results, harmless->len);
      g_clear_pointer (&results, g_ptr_array_unref);
      g_clear_object (&executor);
    }

  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
}

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
  results = map (second, items, worker_pid, &error);
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

/* Three workers on two cores really overlap: meet() ends only when all of
 * them run at once. */
static void
test_parallel (void)
{
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (3, 1);
  g_autoptr(GArray) pids = map_meeting (executor, 3);

  g_assert_cmpuint (pids->len, ==, 3);
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
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) left = NULL;
  Canceller canceller = { cancellable, NULL, 0 };
  GThread *thread;
  gint64 returned_at;

  test_resources_snapshot (&resources);

  /* Tasks of a minute each. */
  for (guint i = 0; i < 6; i++)
    g_ptr_array_add (items, g_variant_ref_sink (g_variant_new_int64 (60 * 1000)));

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
  results = map (executor, items, test_square, &error);
  g_assert_no_error (error);
  test_assert_squares (results, 10);

  g_array_unref (canceller.busy);
  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
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

static GVariant *
report_pid (GVariant  *input,
            gpointer   user_data,
            GError   **error)
{
  return g_variant_new_int64 (getpid ());
}

static GVariant *
sleep_a_minute (GVariant  *input,
                gpointer   user_data,
                GError   **error)
{
  g_usleep (60 * G_USEC_PER_SEC);
  return g_variant_new_int64 (0);
}

static GVariant *
first_byte_plus_one (GVariant  *input,
                     gpointer   user_data,
                     GError   **error)
{
  return g_variant_new_int64 (g_variant_get_string (input, NULL)[0] + 1);
}

static GVariant *
first_byte_plus_two (GVariant  *input,
                     gpointer   user_data,
                     GError   **error)
{
  return g_variant_new_int64 (g_variant_get_string (input, NULL)[0] + 2);
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
      PmapFunc func = round % 2 ? first_byte_plus_two : first_byte_plus_one;
      char letter = 'a' + round;

      for (guint i = 0; i < 4; i++)
        {
          g_autofree char *text = g_malloc (2 * 1024 * 1024 + 1);

          memset (text, letter, 2 * 1024 * 1024);
          text[2 * 1024 * 1024] = '\0';
          g_ptr_array_add (items, g_variant_ref_sink (g_variant_new_string (text)));
        }

      results = map (executor, items, func, &error);
      g_assert_no_error (error);
      for (guint i = 0; i < results->len; i++)
        g_assert_cmpint (g_variant_get_int64 (g_ptr_array_index (results, i)), ==,
                         letter + (round % 2 ? 2 : 1));
    }
}

static gpointer
cancel_soon (gpointer data)
{
  g_usleep (200 * 1000);
  g_cancellable_cancel (data);
  return NULL;
}

/* A worker that stopped reading (here, stopped) cannot hold a map that
 * sends it more than its socket takes: cancelling the map still returns. */
static void
test_cancel_while_sending (void)
{
  TestResources resources = { 0 };
  g_autoptr(PmapExecutor) executor = test_processes_executor_new (2, 1);
  g_autoptr(GPtrArray) pids = NULL;
  g_autoptr(GPtrArray) items = test_int64_items_new (0, 2);
  g_autoptr(GPtrArray) large = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_malloc (900 * 1024 + 1);
  GThread *canceller;
  gint64 started;

  test_resources_snapshot (&resources);

  pids = map (executor, items, report_pid, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < pids->len; i++)
    g_assert_cmpint (kill (g_variant_get_int64 (g_ptr_array_index (pids, i)), SIGSTOP), ==, 0);

  /* Under the 1 MiB that goes by memfd, over what a socket holds. */
  memset (text, 'x', 900 * 1024);
  text[900 * 1024] = '\0';
  for (guint i = 0; i < 2; i++)
    g_ptr_array_add (large, g_variant_ref_sink (g_variant_new_string (text)));

  canceller = g_thread_new ("canceller", cancel_soon, cancellable);
  started = g_get_monotonic_time ();
  results = pmap_executor_map (executor, (GVariant **) large->pdata, large->len,
                               first_byte_plus_one, NULL, cancellable, &error);
  g_thread_join (canceller);

  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 10 * G_USEC_PER_SEC);

  test_resources_assert_released (&resources);
  test_resources_clear (&resources);
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

  results = map (executor, items, report_pid, &error);
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

  results = map (executor, items, sleep_a_minute, &error);
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
  struct rlimit no_core = { 0, 0 };

  pmap_host_workers ();

  /* The workers that crash on purpose leave no core files behind; they
   * inherit this. */
  setrlimit (RLIMIT_CORE, &no_core);

  if (argc == 2 && g_str_equal (argv[1], "--orphan-workers"))
    return run_orphaning_parent ();

  test_init (&argc, &argv);

  g_test_add_data_func ("/Pmap/Processes/same-results/identity", identity,
                        test_same_results_as_threads);
  g_test_add_data_func ("/Pmap/Processes/same-results/mirror", mirror_func,
                        test_same_results_as_threads);
  g_test_add_func ("/Pmap/Processes/input-not-in-normal-form", test_input_not_in_normal_form);
  g_test_add_func ("/Pmap/Processes/error", test_error_keeps_domain_code_message);
  for (guint i = 0; i < G_N_ELEMENTS (deaths); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Pmap/Processes/crash/%s", deaths[i].how);

      g_test_add_data_func (path, &deaths[i], test_crash);
    }
  g_test_add_func ("/Pmap/Processes/pool-reuse", test_pool_reuse);
  g_test_add_func ("/Pmap/Processes/idle-timeout", test_idle_timeout);
  g_test_add_func ("/Pmap/Processes/large-batches-in-turn", test_large_batches_in_turn);
  g_test_add_func ("/Pmap/Processes/cancel-while-sending", test_cancel_while_sending);
  g_test_add_func ("/Pmap/Processes/orphans", test_orphans);
  g_test_add_func ("/Pmap/Processes/parallel", test_parallel);
  g_test_add_func ("/Pmap/Processes/cancel", test_cancel_kills_busy_workers);
  g_test_add_func ("/Pmap/Processes/cancel-async", test_assert_cancel_kills_busy_workers);
  g_test_add_func ("/Pmap/Processes/async", test_async);
  g_test_add_func ("/Pmap/Processes/by-name", test_by_name);
  g_test_add_func ("/Pmap/Processes/refuses/user-data", test_refuses_user_data);
  g_test_add_func ("/Pmap/Processes/refuses/unknown-code", test_refuses_unknown_code);

  return g_test_run ();
}

/* pmap-test-module.c: native functions for the tests, loaded with
 * pmap_load_module() from C, Python, GJS and Vala.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gmodule.h>

#include <pmap-glib/pmap-glib.h>

/* x → x², for an int64 input. */
static GVariant *
square (GVariant  *input,
        gpointer   user_data,
        GError   **error)
{
  gint64 x = g_variant_get_int64 (input);

  return g_variant_new_int64 (x * x);
}

/* x → x, failing on a negative int64 input. */
static GVariant *
fail_on_negative (GVariant  *input,
                  gpointer   user_data,
                  GError   **error)
{
  gint64 x = g_variant_get_int64 (input);

  if (x < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "negative input %" G_GINT64_FORMAT, x);
      return NULL;
    }

  return g_variant_new_int64 (x);
}

/* n → Σ k² for k < n: CPU-bound work of a chosen size. */
static GVariant *
spin (GVariant  *input,
      gpointer   user_data,
      GError   **error)
{
  gint64 n = g_variant_get_int64 (input);
  volatile guint64 sum = 0;

  for (gint64 k = 0; k < n; k++)
    sum += (guint64) (k * k);

  return g_variant_new_uint64 (sum);
}

/* ms → ms, after sleeping that many milliseconds. */
static GVariant *
sleep_ms (GVariant  *input,
          gpointer   user_data,
          GError   **error)
{
  gint64 ms = g_variant_get_int64 (input);

  g_usleep (ms * 1000);
  return g_variant_new_int64 (ms);
}

static gint running;

/* ms → how many calls of this function were running at once, at its start
 * or its end, after sleeping that many milliseconds: the largest result of
 * a map tells whether its tasks overlapped. */
static GVariant *
concurrency (GVariant  *input,
             gpointer   user_data,
             GError   **error)
{
  gint64 ms = g_variant_get_int64 (input);
  gint at_start = g_atomic_int_add (&running, 1) + 1;
  gint at_end;

  g_usleep (ms * 1000);
  at_end = g_atomic_int_get (&running);
  g_atomic_int_add (&running, -1);

  return g_variant_new_int64 (MAX (at_start, at_end));
}

/* path → path, if a file is there; else it makes the file and the process
 * exits with status 3. A task of it dies the first time it runs and
 * succeeds the next; one whose path cannot be made dies every time. */
static GVariant *
exit_once (GVariant  *input,
           gpointer   user_data,
           GError   **error)
{
  const char *path = g_variant_get_string (input, NULL);

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return g_variant_new_string (path);

  g_file_set_contents (path, "", 0, NULL);
  _exit (3);
}

/* x → (x, the pid of the process that ran it). */
static GVariant *
where (GVariant  *input,
       gpointer   user_data,
       GError   **error)
{
  return g_variant_new ("(xx)", g_variant_get_int64 (input), (gint64) getpid ());
}

/* The sum of the bytes of every bytestring in @value, tuples and variants
 * included. */
static guint64
sum_bytes (GVariant *value)
{
  guint64 sum = 0;

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
    {
      gsize size;
      const guint8 *data = g_variant_get_fixed_array (value, &size, 1);

      for (gsize i = 0; i < size; i++)
        sum += data[i];
      return sum;
    }

  if (g_variant_is_container (value) && !g_variant_is_of_type (value, G_VARIANT_TYPE_ARRAY))
    for (gsize i = 0, n = g_variant_n_children (value); i < n; i++)
      {
        g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

        sum += sum_bytes (child);
      }

  return sum;
}

/* (u…) → (ut): the index and the sum of all the input's bytes; any other
 * input → (0, the sum). */
static GVariant *
checksum (GVariant  *input,
          gpointer   user_data,
          GError   **error)
{
  guint32 index = 0;

  if (g_str_has_prefix (g_variant_get_type_string (input), "(u"))
    g_variant_get_child (input, 0, "u", &index);

  return g_variant_new ("(ut)", index, sum_bytes (input));
}

/* What /proc/self/maps says of the mapping that holds @address: its path,
 * "" for anonymous memory; and how many mappings of shared values (the
 * memfds that pmap-glib names) the process has. */
static char *
describe_mapping (gconstpointer  address,
                  guint         *n_shared)
{
  g_autofree char *maps = NULL;
  g_auto(GStrv) lines = NULL;
  char *found = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  lines = g_strsplit (maps, "\n", -1);
  *n_shared = 0;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      unsigned long start, end;
      int path_at = 0;

      if (sscanf (lines[i], "%lx-%lx %*s %*s %*s %*s %n", &start, &end, &path_at) < 2)
        continue;
      if (strstr (lines[i], "memfd:pmap-shared") != NULL ||
          strstr (lines[i], "memfd:pmap-bytes") != NULL)
        (*n_shared)++;
      if (found == NULL && (gsize) address >= start && (gsize) address < end)
        found = g_strdup (path_at > 0 ? lines[i] + path_at : "");
    }

  return found != NULL ? found : g_strdup ("(none)");
}

/* (us@ay) → (xtsu): the worker's pid, where the bytestring's data lies, the
 * mapping that holds it, and how many shared values the worker maps. The
 * worker dies the first time it runs for a path that does not exist
 * yet. */
static GVariant *
inspect_bytes (GVariant  *input,
               gpointer   user_data,
               GError   **error)
{
  g_autoptr(GVariant) big = g_variant_get_child_value (input, 2);
  const char *die_once;
  gconstpointer data = g_variant_get_data (big);
  g_autofree char *mapping = NULL;
  guint n_shared;

  g_variant_get_child (input, 1, "&s", &die_once);
  if (die_once[0] != '\0' && !g_file_test (die_once, G_FILE_TEST_EXISTS))
    {
      g_assert_true (g_file_set_contents (die_once, "", 0, NULL));
      _exit (3);
    }

  mapping = describe_mapping (data, &n_shared);
  return g_variant_new ("(xtsu)", (gint64) getpid (), (guint64) (gsize) data, mapping,
                        n_shared);
}

/* mb → (mb, pid), after allocating and touching mb MiB that it never
 * frees: a function that leaks. */
static GVariant *
leak_mb (GVariant  *input,
         gpointer   user_data,
         GError   **error)
{
  gint64 mb = g_variant_get_int64 (input);
  char *leaked = g_malloc (mb << 20);

  memset (leaked, 1, mb << 20);
  return g_variant_new ("(xx)", mb, (gint64) getpid ());
}

/* mb → (mb, pid), holding mb MiB for a moment: long enough for the
 * parent to see the worker's memory. */
static GVariant *
hog_mb (GVariant  *input,
        gpointer   user_data,
        GError   **error)
{
  gint64 mb = g_variant_get_int64 (input);
  g_autofree char *held = g_malloc (MAX (mb << 20, 1));

  memset (held, 1, mb << 20);
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  return g_variant_new ("(xx)", mb, (gint64) getpid ());
}

G_MODULE_EXPORT void pmap_module_register (void);

G_MODULE_EXPORT void
pmap_module_register (void)
{
  pmap_register_function ("test.square", square, NULL, NULL);
  pmap_register_function ("test.fail-on-negative", fail_on_negative, NULL, NULL);
  pmap_register_function ("test.spin", spin, NULL, NULL);
  pmap_register_function ("test.sleep-ms", sleep_ms, NULL, NULL);
  pmap_register_function ("test.concurrency", concurrency, NULL, NULL);
  pmap_register_function ("test.exit-once", exit_once, NULL, NULL);
  pmap_register_function ("test.where", where, NULL, NULL);
  pmap_register_function ("test.leak-mb", leak_mb, NULL, NULL);
  pmap_register_function ("test.hog-mb", hog_mb, NULL, NULL);
  pmap_register_function ("test.inspect-bytes", inspect_bytes, NULL, NULL);
  pmap_register_function ("test.checksum", checksum, NULL, NULL);
}

/* consumer.c: maps a function with pmap-glib built as a meson subproject
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <pmap-glib/pmap-glib.h>

#if !PMAP_CHECK_VERSION (1, 0, 0)
# error "pmap-glib's version header is missing or wrong"
#endif

#define N_ITEMS 1000

static GVariant *
cube (GVariant  *input,
      gpointer   user_data,
      GError   **error)
{
  gint64 x = g_variant_get_int64 (input);

  return g_variant_new_int64 (x * x * x);
}

int
main (void)
{
  g_autoptr(PmapExecutor) executor = pmap_executor_new ();
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) missing = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *items[N_ITEMS];

  for (guint i = 0; i < N_ITEMS; i++)
    items[i] = g_variant_new_int64 ((gint64) i - N_ITEMS / 2);

  pmap_executor_set_n_jobs (executor, 2);
  results = pmap_executor_map (executor, items, N_ITEMS, cube, NULL, NULL, &error);
  if (results == NULL)
    {
      g_printerr ("The map failed: %s\n", error->message);
      return 1;
    }

  if (results->len != N_ITEMS)
    {
      g_printerr ("The map returned %u results for %u inputs\n", results->len, N_ITEMS);
      return 1;
    }

  for (guint i = 0; i < N_ITEMS; i++)
    {
      gint64 x = (gint64) i - N_ITEMS / 2;
      gint64 result = g_variant_get_int64 (g_ptr_array_index (results, i));

      if (result != x * x * x)
        {
          g_printerr ("Result %u is %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT "\n",
                      i, result, x * x * x);
          return 1;
        }
    }

  /* The error domain and its codes come through the dependency as well. */
  missing = pmap_executor_map_by_name (executor, "consumer.missing", NULL, 0, NULL, &error);
  if (!g_error_matches (error, PMAP_ERROR, PMAP_ERROR_UNKNOWN_FUNCTION))
    {
      g_printerr ("Mapping an unknown function did not fail with PMAP_ERROR_UNKNOWN_FUNCTION\n");
      return 1;
    }

  g_print ("pmap-glib %s as a subproject: %u results in order\n", PMAP_VERSION_S, results->len);
  return 0;
}

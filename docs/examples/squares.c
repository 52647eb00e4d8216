/* squares.c: square ten numbers on two threads with pmap-glib
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <pmap-glib/pmap-glib.h>

static GVariant *
square (GVariant *input, gpointer user_data, GError **error)
{
  gint64 x = g_variant_get_int64 (input);

  return g_variant_new_int64 (x * x);
}

int
main (void)
{
  g_autoptr(PmapExecutor) executor = g_object_new (PMAP_TYPE_EXECUTOR, "n-jobs", 2, NULL);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  GVariant *inputs[10];

  for (guint i = 0; i < 10; i++)
    inputs[i] = g_variant_new_int64 (i);

  results = pmap_executor_map (executor, inputs, 10, square, NULL, NULL, &error);
  if (results == NULL)
    {
      g_printerr ("The map failed: %s\n", error->message);
      return 1;
    }

  for (guint i = 0; i < results->len; i++)
    g_print ("square(%u) = %" G_GINT64_FORMAT "\n",
             i, g_variant_get_int64 (g_ptr_array_index (results, i)));
  return 0;
}

/* seed.c: joblib's example “Serialization of un-picklable objects”, step
 * by step, on pmap-glib's processes backend; docs/seed.md walks through it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <locale.h>

#include <pmap-glib/pmap-glib.h>

#define LARGE_SIZE 1000000

/* func_async(i, *args): 2 * i. Inputs are argument tuples, as delayed()
 * makes them: the first member is i, the others are ignored. */
static GVariant *
func_async (GVariant *input, gpointer user_data, GError **error)
{
  gint64 i;

  g_variant_get_child (input, 0, "x", &i);
  return g_variant_new_int64 (2 * i);
}

/* The same under a registered name, which a worker finds again: the way
 * the fast “variant” serializer carries functions, as pickle carries the
 * functions it can import. */
static GVariant *
func_by_name (GVariant *input, gpointer user_data, GError **error)
{
  return func_async (input, user_data, error);
}

/* (21, large): 21 and the large argument, which the tuple shares. */
static GVariant *
with_large (GVariant *large)
{
  return g_variant_new ("(x@ax)", (gint64) 21, large);
}

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static gint64
result_of (GPtrArray *results)
{
  return g_variant_get_int64 (g_ptr_array_index (results, 0));
}

static void
use_serializer (PmapExecutor *executor, const char *name)
{
  g_autoptr(PmapSerializer) serializer = pmap_serializer_create (name, NULL);

  g_assert (serializer != NULL);
  pmap_executor_set_serializer (executor, serializer);
}

static int
map_failed (GError *error)
{
  g_printerr ("The map failed: %s\n", error->message);
  return 1;
}

int
main (void)
{
  g_autoptr(PmapExecutor) executor = NULL;
  g_autoptr(PmapBackend) processes = NULL;
  g_autoptr(PmapBackend) threads = NULL;
  g_autoptr(PmapWrapped) wrapped = NULL;
  g_autoptr(GVariant) large = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gint64 *numbers = NULL;
  GVariant *input;
  gint64 start;

  /* A worker is this program started again, and stops at
   * pmap_host_workers(): what it must find by name is registered first. */
  pmap_register_function ("func_by_name", func_by_name, NULL, NULL);
  pmap_host_workers ();
  setlocale (LC_ALL, "");

  processes = pmap_backend_create ("processes", &error);
  if (processes == NULL)
    return map_failed (error);
  executor = g_object_new (PMAP_TYPE_EXECUTOR,
                           "n-jobs", 2,
                           "backend", processes,
                           NULL);

  /* 1. A function of this program, on 2 worker processes, with the default
   * “general” serializer, which carries it by value. */
  input = g_variant_new ("(x)", (gint64) 21);
  results = pmap_executor_map (executor, &input, 1, func_async, NULL, NULL, &error);
  if (results == NULL)
    return map_failed (error);
  g_print ("%" G_GINT64_FORMAT "\n", result_of (results));
  g_clear_pointer (&results, g_ptr_array_unref);

  /* 2. The same with an extra large argument: one million integers. */
  numbers = g_new (gint64, LARGE_SIZE);
  for (gint64 k = 0; k < LARGE_SIZE; k++)
    numbers[k] = k;
  large = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, numbers,
                                                         LARGE_SIZE, sizeof (gint64)));

  input = with_large (large);
  start = g_get_monotonic_time ();
  results = pmap_executor_map (executor, &input, 1, func_async, NULL, NULL, &error);
  if (results == NULL)
    return map_failed (error);
  g_print ("With processes backend and general serialization: %.3fs (result %" G_GINT64_FORMAT ")\n",
           seconds_since (start), result_of (results));
  g_clear_pointer (&results, g_ptr_array_unref);

  /* 3. joblib's multiprocessing backend forks; pmap-glib has no such
   * backend, and compares with threads, which copy nothing. */
  threads = pmap_backend_create ("threads", &error);
  if (threads == NULL)
    return map_failed (error);
  pmap_executor_set_backend (executor, threads);
  input = with_large (large);
  start = g_get_monotonic_time ();
  results = pmap_executor_map (executor, &input, 1, func_async, NULL, NULL, &error);
  if (results == NULL)
    return map_failed (error);
  g_print ("With threads backend and no serialization: %.3fs (result %" G_GINT64_FORMAT ")\n",
           seconds_since (start), result_of (results));
  g_clear_pointer (&results, g_ptr_array_unref);
  pmap_executor_set_backend (executor, processes);

  /* 4. The fast “variant” serializer, as LOKY_PICKLER=pickle: a function
   * registered by name travels, ... */
  use_serializer (executor, "variant");
  input = with_large (large);
  start = g_get_monotonic_time ();
  results = pmap_executor_map_by_name (executor, "func_by_name", &input, 1, NULL, &error);
  if (results == NULL)
    return map_failed (error);
  g_print ("With variant serialization: %.3fs (result %" G_GINT64_FORMAT ")\n",
           seconds_since (start), result_of (results));
  g_clear_pointer (&results, g_ptr_array_unref);

  /* ... while func_async, which has no name, is refused. */
  input = with_large (large);
  results = pmap_executor_map (executor, &input, 1, func_async, NULL, NULL, &error);
  if (results != NULL || !g_error_matches (error, PMAP_ERROR, PMAP_ERROR_NOT_SERIALIZABLE))
    {
      g_printerr ("The variant serializer should have refused func_async\n");
      return 1;
    }
  g_print ("Refused with PMAP_ERROR_NOT_SERIALIZABLE: %s\n", error->message);
  g_clear_error (&error);

  /* 5. Wrapped, func_async alone travels by value; the large argument
   * keeps the fast path. */
  wrapped = pmap_wrapped_new (func_async, NULL, NULL);
  input = with_large (large);
  start = g_get_monotonic_time ();
  results = pmap_executor_map_wrapped (executor, wrapped, &input, 1, NULL, &error);
  if (results == NULL)
    return map_failed (error);
  g_print ("With variant serialization and wrapper: %.3fs (result %" G_GINT64_FORMAT ")\n",
           seconds_since (start), result_of (results));

  return 0;
}

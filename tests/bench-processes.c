/* bench-processes.c: the processes backend against joblib's loky backend,
 * on the workloads of the anchors' joblib_anchor.py
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Run with `meson test --benchmark`. Usage:
 *
 *   bench-processes [PYTHON PEER-SCRIPT]
 *
 * It times each workload on pmap-glib's processes backend with 2 workers,
 * then runs PEER-SCRIPT (bench-processes-joblib.py) with PYTHON for joblib's
 * figures on the same machine in the same run, and prints the ratios
 * against the design's targets. It fails only when a result is wrong or
 * the peer cannot run, never on a timing. REPS in the environment sets the
 * number of measured runs per workload (default 9) on both sides, after
 * one that is not measured.
 */

#include <stdlib.h>
#include <string.h>

#include <pmap-glib/pmap-glib.h>

#define N_JOBS       2
#define N_TINY_TASKS 10000
#define LARGE_SIZE   1000000

typedef enum {
  COLD,
  TINY,
  LARGE,
  N_WORKLOADS
} Workload;

static const struct
{
  const char *key;     /* as the peer script names it */
  const char *label;
  double      target;  /* the largest pmap / loky ratio that meets it */
} workloads[N_WORKLOADS] = {
  { "cold",  "cold start of 2 workers + 2 tiny tasks", 1.0 / 20 },
  { "tiny",  "10,000 tiny tasks (2 * i)",              1.0 / 5 },
  { "large", "1 task with a 1,000,000-element argument", 1.0 / 20 },
};

static int n_reps = 9;

/* How much of the tiny-task workload building its inputs takes, as joblib
 * counts building its delayed() calls: a part no backend can change. */
static double tiny_building_seconds;
static int n_tiny_runs;

/* double(i, *args): 2 * i, i being the first member of the tuple. */
static GVariant *
double_first (GVariant  *input,
              gpointer   user_data,
              GError   **error)
{
  gint64 i;

  g_variant_get_child (input, 0, "x", &i);
  return g_variant_new_int64 (2 * i);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double da = *(const double *) a;
  double db = *(const double *) b;

  return (da > db) - (da < db);
}

static double
median (double *values,
        int     n_values)
{
  qsort (values, n_values, sizeof (double), compare_doubles);

  if (n_values % 2 == 1)
    return values[n_values / 2];

  return (values[n_values / 2 - 1] + values[n_values / 2]) / 2;
}

/* Maps double_first() over @inputs, built inside the timing as joblib
 * builds its delayed() calls inside its own, and checks the results. */
static gboolean
timed_map (PmapExecutor  *executor,
           GVariant     **inputs,
           guint          n_inputs,
           gint64         expected_first,
           gint64         expected_step,
           double        *seconds)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  results = pmap_executor_map (executor, inputs, n_inputs, double_first, NULL, NULL, &error);
  *seconds += (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  if (results == NULL)
    {
      g_printerr ("The map failed: %s\n", error->message);
      return FALSE;
    }

  for (guint i = 0; i < n_inputs; i++)
    if (g_variant_get_int64 (g_ptr_array_index (results, i)) != expected_first + i * expected_step)
      {
        g_printerr ("Task %u returned a wrong result\n", i);
        return FALSE;
      }

  return TRUE;
}

static gboolean
run_cold (PmapExecutor *executor,
          GVariant     *large,
          double       *seconds)
{
  GVariant *inputs[2];
  gint64 start = g_get_monotonic_time ();

  /* Stops the idle workers, as loky's kill_workers=True. */
  pmap_backend_shutdown (pmap_executor_get_backend (executor));
  *seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  start = g_get_monotonic_time ();
  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    inputs[i] = g_variant_new ("(x)", (gint64) 1);
  *seconds += (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  return timed_map (executor, inputs, G_N_ELEMENTS (inputs), 2, 0, seconds);
}

static gboolean
run_tiny (PmapExecutor *executor,
          GVariant     *large,
          double       *seconds)
{
  g_autofree GVariant **inputs = g_new (GVariant *, N_TINY_TASKS);
  g_autofree gint64 *numbers = g_new (gint64, N_TINY_TASKS);
  g_autoptr(GVariant) tuples = NULL;
  gint64 start = g_get_monotonic_time ();

  /* The argument tuple of each task, as joblib's delayed(double)(i), built
   * the way a C program that cares would: the numbers laid out as an array
   * of (x) tuples, each input one of its elements. That is one allocation
   * per input, where g_variant_new_tuple (g_variant_new_int64 (i)) costs
   * two values and a children array, and twice the time. */
  for (guint i = 0; i < N_TINY_TASKS; i++)
    numbers[i] = i;
  tuples = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE ("(x)"), numbers,
                                                          N_TINY_TASKS, sizeof (gint64)));
  for (guint i = 0; i < N_TINY_TASKS; i++)
    inputs[i] = g_variant_get_child_value (tuples, i);
  *seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  tiny_building_seconds += *seconds;
  n_tiny_runs++;

  return timed_map (executor, inputs, N_TINY_TASKS, 0, 2, seconds);
}

static gboolean
run_large (PmapExecutor *executor,
           GVariant     *large,
           double       *seconds)
{
  gint64 start = g_get_monotonic_time ();
  GVariant *input = g_variant_new ("(x@ax)", (gint64) 21, large);

  *seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  return timed_map (executor, &input, 1, 42, 0, seconds);
}

typedef gboolean (*RunFunc) (PmapExecutor *executor,
                             GVariant     *large,
                             double       *seconds);

static const RunFunc runs[N_WORKLOADS] = { run_cold, run_tiny, run_large };

/* Runs the peer script and reads its “NAME SECONDS” lines into @peer. */
static gboolean
run_peer (const char *python,
          const char *script,
          double     *peer)
{
  const char *argv[] = { python, script, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      g_printerr ("The joblib peer %s %s failed: %s\n%s",
                  python, script, error->message, err ? err : "");
      return FALSE;
    }

  for (guint w = 0; w < N_WORKLOADS; w++)
    peer[w] = -1;

  lines = g_strsplit (out, "\n", -1);
  for (guint l = 0; lines[l] != NULL; l++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[l], " ", 2);

      if (fields[0] == NULL || fields[1] == NULL)
        continue;
      for (guint w = 0; w < N_WORKLOADS; w++)
        if (g_str_equal (fields[0], workloads[w].key))
          peer[w] = g_ascii_strtod (fields[1], NULL);
    }

  for (guint w = 0; w < N_WORKLOADS; w++)
    if (peer[w] <= 0)
      {
        g_printerr ("The joblib peer printed no figure for “%s”:\n%s%s",
                    workloads[w].key, out, err);
        return FALSE;
      }

  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(PmapExecutor) executor = NULL;
  g_autoptr(PmapBackend) processes = NULL;
  g_autoptr(GVariant) large = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gint64 *numbers = NULL;
  const char *reps_text;
  double pmap[N_WORKLOADS], peer[N_WORKLOADS];
  double pmap_min[N_WORKLOADS], pmap_max[N_WORKLOADS];
  gboolean with_peer = argc == 3;
  int n_missed = 0;

  /* Workers are this program, started again. */
  pmap_host_workers ();

  if (argc != 1 && argc != 3)
    {
      g_printerr ("Usage: %s [PYTHON PEER-SCRIPT]\n", argv[0]);
      return EXIT_FAILURE;
    }

  reps_text = g_getenv ("REPS");
  if (reps_text != NULL)
    {
      n_reps = atoi (reps_text);
      if (n_reps < 1)
        {
          g_printerr ("REPS is “%s”, not a number of runs\n", reps_text);
          return EXIT_FAILURE;
        }
    }

  processes = pmap_backend_create ("processes", &error);
  g_assert_no_error (error);
  executor = g_object_new (PMAP_TYPE_EXECUTOR,
                           "n-jobs", N_JOBS,
                           "backend", processes,
                           NULL);

  numbers = g_new (gint64, LARGE_SIZE);
  for (gint64 k = 0; k < LARGE_SIZE; k++)
    numbers[k] = k;
  large = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_INT64, numbers,
                                                         LARGE_SIZE, sizeof (gint64)));

  g_print ("pmap-glib processes backend against joblib loky: %u processors, "
           "%d jobs, medians of %d runs\n\n",
           g_get_num_processors (), N_JOBS, n_reps);

  for (guint w = 0; w < N_WORKLOADS; w++)
    {
      g_autofree double *times = g_new (double, n_reps + 1);

      /* Run 0 is not counted, on either side: it starts the workers, and
       * lets the allocators of both processes settle on the workload. */
      for (int rep = 0; rep <= n_reps; rep++)
        if (!runs[w] (executor, large, &times[rep]))
          {
            g_printerr ("on the workload “%s”\n", workloads[w].label);
            return EXIT_FAILURE;
          }
      pmap[w] = median (times + 1, n_reps);
      pmap_min[w] = times[1];
      pmap_max[w] = times[n_reps];
    }

  if (with_peer)
    {
      /* The peer shares REPS through the environment. */
      g_autofree char *reps = g_strdup_printf ("%d", n_reps);

      g_setenv ("REPS", reps, TRUE);
      if (!run_peer (argv[1], argv[2], peer))
        return EXIT_FAILURE;
    }

  g_print ("%-42s %12s %12s %8s   %s\n", "workload", "pmap-glib", "joblib loky", "ratio",
           "pmap-glib's fastest and slowest runs");
  for (guint w = 0; w < N_WORKLOADS; w++)
    {
      if (!with_peer)
        {
          g_print ("%-42s %9.2f ms   (%.2f to %.2f ms)\n", workloads[w].label,
                   pmap[w] * 1000, pmap_min[w] * 1000, pmap_max[w] * 1000);
          continue;
        }
      g_print ("%-42s %9.2f ms %9.2f ms %8.4f   (%.2f to %.2f ms)\n", workloads[w].label,
               pmap[w] * 1000, peer[w] * 1000, pmap[w] / peer[w],
               pmap_min[w] * 1000, pmap_max[w] * 1000);
    }

  g_print ("\nOf the tiny-task workload, building its inputs took %.2f ms (mean)\n",
           tiny_building_seconds / n_tiny_runs * 1000);

  if (!with_peer)
    {
      g_print ("\nNo Python with joblib was found: no ratios\n");
      return EXIT_SUCCESS;
    }

  g_print ("\n");
  for (guint w = 0; w < N_WORKLOADS; w++)
    {
      double ratio = pmap[w] / peer[w];
      gboolean met = ratio <= workloads[w].target;

      g_print ("%-42s ratio %.4f = 1/%.1f (target <= 1/%.0f): target %s\n",
               workloads[w].label, ratio, 1 / ratio, 1 / workloads[w].target,
               met ? "met" : "missed");
      n_missed += !met;
    }
  g_print ("%d of %d targets met\n", N_WORKLOADS - n_missed, N_WORKLOADS);

  return EXIT_SUCCESS;
}

/* bench-processes.c: the processes backend against the machine's floors,
 * a sequential loop and joblib's loky backend, on the workloads of the
 * anchors' joblib_anchor.py
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Run with `meson test --benchmark`. Usage:
 *
 *   bench-processes [--json FILE] [--cpu-rounds ROUNDS] [PYTHON PEER-SCRIPT]
 *
 * It times each workload on pmap-glib's processes backend with 2 workers,
 * in turns with what the workload is measured against on this machine: a
 * posix_spawn() of /bin/true for a cold start, a memcpy() of the payload
 * for a large argument, a loop over the same calls for CPU-bound tasks.
 * Then it runs PEER-SCRIPT (bench-processes-joblib.py) with PYTHON for
 * joblib's figures on the same machine in the same run, and prints the
 * ratios against the targets. It fails only when a result is wrong or the
 * peer cannot run, never on a timing. REPS in the environment sets the
 * number of measured runs per workload (default 9) on both sides, after
 * one that is not measured. --json writes every measured run's time, for
 * bench-report.py.
 */

#include <stdlib.h>
#include <string.h>

#include "bench-util.h"

#define N_JOBS       2
#define N_TINY_TASKS 10000
#define LARGE_SIZE   1000000
#define BYTES_SIZE   (8 << 20)
#define N_CPU_TASKS  8

typedef enum {
  COLD,
  TINY,
  LARGE,
  BYTES,
  CPU,
  N_WORKLOADS
} Workload;

/* What every run may need, made once. */
typedef struct
{
  GVariant *large;          /* ax of LARGE_SIZE */
  gint64   *numbers;        /* its elements */
  GVariant *bytes;          /* ay of BYTES_SIZE */
  guint8   *copy;           /* where the memcpy floor copies to */
  GVariant *cpu_inputs[N_CPU_TASKS];
  guint64   cpu_expected[N_CPU_TASKS];
} Payloads;

typedef gboolean (*RunFunc) (PmapExecutor *executor,
                             Payloads     *payloads,
                             double       *seconds);

static gboolean run_cold   (PmapExecutor *executor, Payloads *payloads, double *seconds);
static gboolean run_tiny   (PmapExecutor *executor, Payloads *payloads, double *seconds);
static gboolean run_large  (PmapExecutor *executor, Payloads *payloads, double *seconds);
static gboolean run_bytes  (PmapExecutor *executor, Payloads *payloads, double *seconds);
static gboolean run_cpu    (PmapExecutor *executor, Payloads *payloads, double *seconds);
static gboolean spawn_true (PmapExecutor *executor, Payloads *payloads, double *seconds);
static gboolean copy_large (PmapExecutor *executor, Payloads *payloads, double *seconds);
static gboolean copy_bytes (PmapExecutor *executor, Payloads *payloads, double *seconds);
static gboolean loop_cpu   (PmapExecutor *executor, Payloads *payloads, double *seconds);

/* Each workload runs on pmap-glib, and in turns with it on what it is
 * measured against in this program, if anything: a floor of the machine or
 * a sequential loop. joblib runs afterwards, in the peer script. */
static const struct
{
  const char *key;           /* as the peer script and bench-report.py name it */
  const char *label;
  RunFunc     run;
  double      peer_target;   /* the largest pmap / loky ratio that meets it, 0 if none */
  const char *floor;         /* what runs in turns with pmap-glib, NULL if nothing */
  RunFunc     run_floor;
  double      floor_target;  /* the largest pmap / floor ratio that meets it */
} workloads[N_WORKLOADS] = {
  { "cold", "cold start of 2 workers + 2 tiny tasks", run_cold,
    1.0 / 20, "posix_spawn floor", spawn_true, 10 },
  { "tiny-10000", "10,000 tiny tasks (2 * i)", run_tiny,
    1.0 / 5, NULL, NULL, 0 },
  { "large", "1 task with a 1,000,000-element argument", run_large,
    1.0 / 20, "memcpy floor", copy_large, 5 },
  { "bytes", "2 tasks with an 8 MiB bytes argument", run_bytes,
    0, "memcpy floor", copy_bytes, 0 },
  { "cpu-c", "8 CPU-bound tasks", run_cpu,
    0, "sequential loop", loop_cpu, 1 / 1.9 },
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

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

/* Maps @func over @inputs, built inside the timing as joblib builds its
 * delayed() calls inside its own, adding the time to @seconds. */
static GPtrArray *
timed_map (PmapExecutor  *executor,
           PmapFunc       func,
           GVariant     **inputs,
           guint          n_inputs,
           double        *seconds)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  results = pmap_executor_map (executor, inputs, n_inputs, func, NULL, NULL, &error);
  *seconds += seconds_since (start);

  if (results == NULL)
    g_printerr ("The map failed: %s\n", error->message);

  return g_steal_pointer (&results);
}

/* Maps double_first() over @inputs and checks the results. */
static gboolean
timed_double (PmapExecutor  *executor,
              GVariant     **inputs,
              guint          n_inputs,
              gint64         expected_first,
              gint64         expected_step,
              double        *seconds)
{
  g_autoptr(GPtrArray) results = timed_map (executor, double_first, inputs, n_inputs, seconds);

  if (results == NULL)
    return FALSE;

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
          Payloads     *payloads,
          double       *seconds)
{
  GVariant *inputs[2];
  gint64 start = g_get_monotonic_time ();

  /* Stops the idle workers, as loky's kill_workers=True. */
  pmap_backend_shutdown (pmap_executor_get_backend (executor));
  *seconds = seconds_since (start);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    inputs[i] = g_variant_new ("(x)", (gint64) 1);
  *seconds += seconds_since (start);

  return timed_double (executor, inputs, G_N_ELEMENTS (inputs), 2, 0, seconds);
}

static gboolean
run_tiny (PmapExecutor *executor,
          Payloads     *payloads,
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
  *seconds = seconds_since (start);
  tiny_building_seconds += *seconds;
  n_tiny_runs++;

  return timed_double (executor, inputs, N_TINY_TASKS, 0, 2, seconds);
}

static gboolean
run_large (PmapExecutor *executor,
           Payloads     *payloads,
           double       *seconds)
{
  gint64 start = g_get_monotonic_time ();
  GVariant *input = g_variant_new ("(x@ax)", (gint64) 21, payloads->large);

  *seconds = seconds_since (start);
  return timed_double (executor, &input, 1, 42, 0, seconds);
}

static gboolean
run_bytes (PmapExecutor *executor,
           Payloads     *payloads,
           double       *seconds)
{
  gint64 start = g_get_monotonic_time ();
  GVariant *inputs[2];

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    inputs[i] = g_variant_new ("(x@ay)", (gint64) 21, payloads->bytes);
  *seconds = seconds_since (start);

  return timed_double (executor, inputs, G_N_ELEMENTS (inputs), 42, 0, seconds);
}

static gboolean
check_cpu_results (Payloads  *payloads,
                   GVariant **results)
{
  for (guint i = 0; i < N_CPU_TASKS; i++)
    if (g_variant_get_uint64 (results[i]) != payloads->cpu_expected[i])
      {
        g_printerr ("CPU-bound task %u returned a wrong result\n", i);
        return FALSE;
      }

  return TRUE;
}

/* seconds → seconds, after sleeping that long: a task that keeps its
 * worker busy until the map is cancelled. */
static GVariant *
sleep_seconds (GVariant  *input,
               gpointer   user_data,
               GError   **error)
{
  g_usleep (g_variant_get_int64 (input) * G_USEC_PER_SEC);
  return g_variant_ref (input);
}

static void
cancel_ready (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  gint64 *ended = user_data;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = pmap_executor_map_finish (PMAP_EXECUTOR (source), result, &error);
  /* A map that was not cancelled is a failure of the run. */
  *ended = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? g_get_monotonic_time () : -1;
}

/* The time from the cancellation of a map whose 2 workers are busy with
 * tasks of a minute to its callback: issue 6 bounds it by 100 ms. */
static gboolean
run_cancel (PmapExecutor *executor,
            double       *seconds)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GVariant *inputs[N_JOBS];
  gint64 ended = 0, started, cancelled;

  for (guint i = 0; i < N_JOBS; i++)
    inputs[i] = g_variant_new_int64 (60);

  pmap_executor_map_async (executor, inputs, N_JOBS, sleep_seconds, NULL, NULL,
                           cancellable, cancel_ready, &ended);
  /* Long enough for both workers to start and take their task. */
  started = g_get_monotonic_time ();
  while (g_get_monotonic_time () - started < 300 * 1000)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);

  cancelled = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  while (ended == 0)
    g_main_context_iteration (NULL, TRUE);

  *seconds = (ended - cancelled) / (double) G_USEC_PER_SEC;
  return ended > 0;
}

static gboolean
run_cpu (PmapExecutor *executor,
         Payloads     *payloads,
         double       *seconds)
{
  g_autoptr(GPtrArray) results = NULL;

  *seconds = 0;
  results = timed_map (executor, bench_cpu_task, payloads->cpu_inputs, N_CPU_TASKS, seconds);

  return results != NULL && check_cpu_results (payloads, (GVariant **) results->pdata);
}

static gboolean
spawn_true (PmapExecutor *executor,
            Payloads     *payloads,
            double       *seconds)
{
  return bench_spawn_floor (seconds);
}

static gboolean
copy_large (PmapExecutor *executor,
            Payloads     *payloads,
            double       *seconds)
{
  return bench_copy_floor (payloads->numbers, LARGE_SIZE * sizeof (gint64), payloads->copy, seconds);
}

static gboolean
copy_bytes (PmapExecutor *executor,
            Payloads     *payloads,
            double       *seconds)
{
  return bench_copy_floor (g_variant_get_data (payloads->bytes), BYTES_SIZE, payloads->copy, seconds);
}

/* The CPU-bound tasks' function called in a loop, on the same inputs. */
static gboolean
loop_cpu (PmapExecutor *executor,
          Payloads     *payloads,
          double       *seconds)
{
  GVariant *results[N_CPU_TASKS];
  gint64 start = g_get_monotonic_time ();
  gboolean ok;

  for (guint i = 0; i < N_CPU_TASKS; i++)
    results[i] = g_variant_ref_sink (bench_cpu_task (payloads->cpu_inputs[i], NULL, NULL));
  *seconds = seconds_since (start);

  ok = check_cpu_results (payloads, results);
  for (guint i = 0; i < N_CPU_TASKS; i++)
    g_variant_unref (results[i]);

  return ok;
}

static void
payloads_init (Payloads *payloads,
               guint64   n_cpu_rounds)
{
  guint32 *random_words = g_new (guint32, BYTES_SIZE / sizeof (guint32));

  payloads->numbers = g_new (gint64, LARGE_SIZE);
  for (gint64 k = 0; k < LARGE_SIZE; k++)
    payloads->numbers[k] = k;
  payloads->large = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_INT64,
                                                                   payloads->numbers, LARGE_SIZE,
                                                                   sizeof (gint64)));

  for (gsize k = 0; k < BYTES_SIZE / sizeof (guint32); k++)
    random_words[k] = g_random_int ();
  payloads->bytes = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING,
                                                                 random_words, BYTES_SIZE, TRUE,
                                                                 g_free, random_words));

  /* Touched once, so that the floor copies into memory already mapped. */
  payloads->copy = g_malloc0 (MAX (BYTES_SIZE, LARGE_SIZE * sizeof (gint64)));

  for (guint i = 0; i < N_CPU_TASKS; i++)
    {
      payloads->cpu_inputs[i] = g_variant_ref_sink (g_variant_new ("(tt)", (guint64) i, n_cpu_rounds));
      payloads->cpu_expected[i] = bench_mix (i, n_cpu_rounds);
    }
}

static void
payloads_clear (Payloads *payloads)
{
  g_variant_unref (payloads->large);
  g_free (payloads->numbers);
  g_variant_unref (payloads->bytes);
  g_free (payloads->copy);
  for (guint i = 0; i < N_CPU_TASKS; i++)
    g_variant_unref (payloads->cpu_inputs[i]);
}

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
    if (workloads[w].peer_target > 0 && peer[w] <= 0)
      {
        g_printerr ("The joblib peer printed no figure for “%s”:\n%s%s",
                    workloads[w].key, out, err);
        return FALSE;
      }

  return TRUE;
}

static void
print_target (const char *label,
              const char *against,
              double      ratio,
              double      target,
              int        *n_targets,
              int        *n_missed)
{
  gboolean met = ratio <= target;

  if (target < 1)
    g_print ("%-42s %-18s ratio %.4f = 1/%.1f (target <= 1/%.1f): target %s\n",
             label, against, ratio, 1 / ratio, 1 / target, met ? "met" : "missed");
  else
    g_print ("%-42s %-18s ratio %.2f (target <= %.0f): target %s\n",
             label, against, ratio, target, met ? "met" : "missed");
  *n_targets += 1;
  *n_missed += !met;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(PmapExecutor) executor = NULL;
  g_autoptr(PmapBackend) processes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BenchRecord) record = NULL;
  g_autofree char *json_path = NULL;
  gint64 n_cpu_rounds = 0;
  GOptionEntry entries[] = {
    { "cpu-rounds", 0, 0, G_OPTION_ARG_INT64, &n_cpu_rounds,
      "Size of a CPU-bound task (default: what takes " G_STRINGIFY (BENCH_CPU_TASK_MS) " ms here)", "ROUNDS" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "Also write every run's time to FILE", "FILE" },
    { NULL }
  };
  Payloads payloads = { 0 };
  const char *reps_text;
  double pmap[N_WORKLOADS], peer[N_WORKLOADS], floor_s[N_WORKLOADS];
  double pmap_min[N_WORKLOADS], pmap_max[N_WORKLOADS];
  double cancel_s;
  gboolean with_peer;
  int n_targets = 0, n_missed = 0;

  /* Workers are this program, started again. */
  pmap_host_workers ();

  context = g_option_context_new ("[PYTHON PEER-SCRIPT] — time pmap-glib's processes backend");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }
  if ((argc != 1 && argc != 3) || n_cpu_rounds < 0)
    {
      g_printerr ("Usage: %s [--json FILE] [--cpu-rounds ROUNDS] [PYTHON PEER-SCRIPT]\n", argv[0]);
      return EXIT_FAILURE;
    }
  with_peer = argc == 3;

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

  if (n_cpu_rounds == 0)
    n_cpu_rounds = bench_calibrate_rounds (BENCH_CPU_TASK_MS);
  payloads_init (&payloads, n_cpu_rounds);

  if (json_path != NULL)
    {
      record = bench_record_new ("processes");
      bench_record_set_number (record, "processors", g_get_num_processors ());
      bench_record_set_number (record, "cpu_rounds", n_cpu_rounds);
    }

  g_print ("pmap-glib processes backend against the machine's floors and joblib loky: "
           "%u processors, %d jobs, medians of %d runs\n\n",
           g_get_num_processors (), N_JOBS, n_reps);

  for (guint w = 0; w < N_WORKLOADS; w++)
    {
      g_autofree double *times = g_new (double, n_reps + 1);
      g_autofree double *floor_times = g_new (double, n_reps + 1);

      /* Run 0 is not counted, on either side: it starts the workers, and
       * lets the allocators of both processes settle on the workload. The
       * floor runs in turns with pmap-glib, so that a change in the
       * machine's load weighs on both alike. */
      for (int rep = 0; rep <= n_reps; rep++)
        if (!workloads[w].run (executor, &payloads, &times[rep]) ||
            (workloads[w].run_floor != NULL &&
             !workloads[w].run_floor (executor, &payloads, &floor_times[rep])))
          {
            g_printerr ("on the workload “%s”\n", workloads[w].label);
            return EXIT_FAILURE;
          }

      if (record != NULL)
        {
          bench_record_add (record, workloads[w].key, "pmap C processes", times + 1, n_reps);
          if (workloads[w].run_floor != NULL)
            bench_record_add (record, workloads[w].key, workloads[w].floor, floor_times + 1, n_reps);
        }
      pmap[w] = bench_median (times + 1, n_reps);
      pmap_min[w] = times[1];
      pmap_max[w] = times[n_reps];
      floor_s[w] = workloads[w].run_floor != NULL ? bench_median (floor_times + 1, n_reps) : -1;
    }

  {
    g_autofree double *times = g_new (double, n_reps);

    for (int rep = 0; rep < n_reps; rep++)
      if (!run_cancel (executor, &times[rep]))
        {
          g_printerr ("A cancelled map did not end with G_IO_ERROR_CANCELLED\n");
          return EXIT_FAILURE;
        }
    if (record != NULL)
      bench_record_add (record, "cancel", "pmap C processes", times, n_reps);
    cancel_s = bench_median (times, n_reps);
  }

  if (record != NULL && !bench_record_write (record, json_path, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
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
      if (!with_peer || peer[w] <= 0)
        {
          g_print ("%-42s %9.2f ms %12s %8s   (%.2f to %.2f ms)\n", workloads[w].label,
                   pmap[w] * 1000, "", "", pmap_min[w] * 1000, pmap_max[w] * 1000);
          continue;
        }
      g_print ("%-42s %9.2f ms %9.2f ms %8.4f   (%.2f to %.2f ms)\n", workloads[w].label,
               pmap[w] * 1000, peer[w] * 1000, pmap[w] / peer[w],
               pmap_min[w] * 1000, pmap_max[w] * 1000);
    }

  g_print ("\n%-42s %12s %12s %8s   %s\n", "workload", "pmap-glib", "floor/loop", "ratio",
           "measured in turns with pmap-glib");
  for (guint w = 0; w < N_WORKLOADS; w++)
    if (floor_s[w] > 0)
      g_print ("%-42s %9.2f ms %9.2f ms %8.2f   %s\n", workloads[w].label,
               pmap[w] * 1000, floor_s[w] * 1000, pmap[w] / floor_s[w], workloads[w].floor);

  g_print ("\nOf the tiny-task workload, building its inputs took %.2f ms (mean)\n\n",
           tiny_building_seconds / n_tiny_runs * 1000);

  for (guint w = 0; w < N_WORKLOADS; w++)
    {
      if (with_peer && workloads[w].peer_target > 0)
        print_target (workloads[w].label, "/ joblib loky", pmap[w] / peer[w],
                      workloads[w].peer_target, &n_targets, &n_missed);
      if (workloads[w].floor_target > 0 && floor_s[w] > 0)
        print_target (workloads[w].label, workloads[w].floor, pmap[w] / floor_s[w],
                      workloads[w].floor_target, &n_targets, &n_missed);
    }
  g_print ("%-42s %9.2f ms (target <= 100 ms): target %s\n",
           "cancelling a map with 2 busy workers", cancel_s * 1000,
           cancel_s <= 0.1 ? "met" : "missed");
  n_targets++;
  n_missed += cancel_s > 0.1;
  g_print ("%d of %d targets met%s\n", n_targets - n_missed, n_targets,
           with_peer ? "" : " (no Python with joblib was found: no ratios against it)");

  payloads_clear (&payloads);

  return EXIT_SUCCESS;
}

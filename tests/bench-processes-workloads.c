/* bench-processes-workloads.c: the workloads of bench-processes, on
 * pmap-glib's processes backend and on the floors and loop they are set
 * against, after the anchors' joblib_anchor.py
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "bench-processes.h"

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
gboolean
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

void
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

void
payloads_clear (Payloads *payloads)
{
  g_variant_unref (payloads->large);
  g_free (payloads->numbers);
  g_variant_unref (payloads->bytes);
  g_free (payloads->copy);
  for (guint i = 0; i < N_CPU_TASKS; i++)
    g_variant_unref (payloads->cpu_inputs[i]);
}

const BenchWorkload workloads[N_WORKLOADS] = {
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

/* The mean time that building the tiny-task workload's inputs took. */
double
tiny_building_mean_ms (void)
{
  return n_tiny_runs > 0 ? tiny_building_seconds / n_tiny_runs * 1000 : 0;
}

/* bench-threads.c: the threads backend against a hand-written GThreadPool
 * loop and a plain loop, on CPU-bound tasks and on many tiny ones
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Run with `meson test --benchmark`. It reports timings and whether they
 * meet the design's targets; it fails only if a result is wrong. With
 * --json FILE it also writes every run's time there, for bench-report.py.
 */

#include <stdlib.h>

#include "bench-util.h"

#define N_JOBS        2
#define N_CPU_TASKS   8

/* The target ratios, from the design: CPU-bound work on two threads takes
 * little more than half the time of a loop, and many tiny tasks cost no
 * more than one pool push each. */
#define CPU_TARGET   0.55
#define TINY_TARGET  1.0
/* …and, from issue 5, no more than 3 times a loop over the same calls. */
#define TINY_LOOP_TARGET  3.0

static int n_cpu_reps = 5;
static int n_tiny_reps = 9;
static int n_tiny_tasks = 100000;
static gint64 n_cpu_rounds = 0;

/* x → x + 1 */
static GVariant *
tiny_task (GVariant  *input,
           gpointer   user_data,
           GError   **error)
{
  return g_variant_new_int64 (g_variant_get_int64 (input) + 1);
}

typedef struct
{
  const char *name;
  char       *key;       /* the workload, as bench-report.py names it */
  PmapFunc    func;
  GVariant  **items;
  guint       n_items;
  int         n_reps;
  GVariant  **expected;
} Workload;

/* The hand-written alternative: an exclusive pool of N_JOBS threads, one
 * push per task, results written in place, completion counted under a
 * lock and awaited on a condition. */
typedef struct
{
  GThreadPool *pool;
  GMutex       mutex;
  GCond        cond;
  Workload    *workload;
  GVariant   **results;
  guint        n_done;
} HandPool;

static void
hand_pool_run_one (gpointer data,
                   gpointer user_data)
{
  HandPool *hand = user_data;
  guint i = GPOINTER_TO_UINT (data) - 1;
  Workload *workload = hand->workload;

  hand->results[i] = g_variant_take_ref (workload->func (workload->items[i], NULL, NULL));

  g_mutex_lock (&hand->mutex);
  if (++hand->n_done == workload->n_items)
    g_cond_signal (&hand->cond);
  g_mutex_unlock (&hand->mutex);
}

static void
free_results (GVariant **results,
              guint      n_results)
{
  for (guint i = 0; i < n_results; i++)
    g_clear_pointer (&results[i], g_variant_unref);
}

/* Each runner maps @workload into @results, which it owns afterwards, and
 * returns the time that took, in microseconds. */
typedef gint64 (*Runner) (Workload  *workload,
                          gpointer   data,
                          GVariant **results);

static gint64
run_sequential (Workload  *workload,
                gpointer   data,
                GVariant **results)
{
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < workload->n_items; i++)
    results[i] = g_variant_take_ref (workload->func (workload->items[i], NULL, NULL));

  return g_get_monotonic_time () - start;
}

static gint64
run_hand_pool (Workload  *workload,
               gpointer   data,
               GVariant **results)
{
  HandPool *hand = data;
  gint64 start = g_get_monotonic_time ();

  hand->workload = workload;
  hand->results = results;
  hand->n_done = 0;

  for (guint i = 0; i < workload->n_items; i++)
    g_thread_pool_push (hand->pool, GUINT_TO_POINTER (i + 1), NULL);

  g_mutex_lock (&hand->mutex);
  while (hand->n_done < workload->n_items)
    g_cond_wait (&hand->cond, &hand->mutex);
  g_mutex_unlock (&hand->mutex);

  return g_get_monotonic_time () - start;
}

static gint64
run_pmap (Workload  *workload,
          gpointer   data,
          GVariant **results)
{
  PmapExecutor *executor = data;
  g_autoptr(GPtrArray) array = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;

  array = pmap_executor_map (executor, workload->items, workload->n_items,
                             workload->func, NULL, NULL, &error);
  elapsed = g_get_monotonic_time () - start;

  if (array == NULL)
    g_error ("pmap_executor_map() failed on the %s workload: %s",
             workload->name, error->message);
  g_assert_cmpuint (array->len, ==, workload->n_items);

  /* Outside the timing, as the other runners' results are. */
  for (guint i = 0; i < array->len; i++)
    results[i] = g_variant_ref (g_ptr_array_index (array, i));

  return elapsed;
}

enum {
  SEQUENTIAL,
  HAND_POOL,
  PMAP,
  N_RUNNERS
};

static const char *runner_names[N_RUNNERS] = {
  "sequential loop", "GThreadPool loop", "pmap threads"
};

/* As bench-report.py names them. */
static const char *runner_keys[N_RUNNERS] = {
  "sequential loop", "GThreadPool loop", "pmap C threads"
};

static gboolean
results_match (Workload  *workload,
               GVariant **results)
{
  for (guint i = 0; i < workload->n_items; i++)
    if (results[i] == NULL || !g_variant_equal (results[i], workload->expected[i]))
      return FALSE;

  return TRUE;
}

/* Runs every runner on @workload, interleaved so that a change in the
 * machine's load affects them alike, fills @medians in milliseconds and
 * adds the times to @record unless it is %NULL. Returns FALSE if a runner
 * got a wrong result. */
static gboolean
measure (Workload    *workload,
         Runner      *runners,
         gpointer    *runner_data,
         double      *medians,
         BenchRecord *record)
{
  g_autofree double *times = g_new0 (double, N_RUNNERS * workload->n_reps);
  g_autofree GVariant **results = g_new0 (GVariant *, workload->n_items);
  gboolean ok = TRUE;

  for (int rep = 0; rep < workload->n_reps; rep++)
    for (guint r = 0; r < N_RUNNERS; r++)
      {
        times[r * workload->n_reps + rep] =
          runners[r] (workload, runner_data[r], results) / (double) G_USEC_PER_SEC;

        if (!results_match (workload, results))
          {
            g_printerr ("The %s got a wrong result on the %s workload\n",
                        runner_names[r], workload->name);
            ok = FALSE;
          }
        free_results (results, workload->n_items);
      }

  for (guint r = 0; r < N_RUNNERS; r++)
    {
      if (record != NULL)
        bench_record_add (record, workload->key, runner_keys[r],
                          times + r * workload->n_reps, workload->n_reps);
      medians[r] = bench_median (times + r * workload->n_reps, workload->n_reps) * 1000;
    }

  return ok;
}

static void
workload_init (Workload   *workload,
               const char *name,
               char       *key,
               PmapFunc    func,
               guint       n_items,
               int         n_reps)
{
  workload->name = name;
  workload->key = key;
  workload->func = func;
  workload->n_items = n_items;
  workload->n_reps = n_reps;
  workload->items = g_new0 (GVariant *, n_items);
  workload->expected = g_new0 (GVariant *, n_items);
}

static void
workload_clear (Workload *workload)
{
  free_results (workload->items, workload->n_items);
  free_results (workload->expected, workload->n_items);
  g_free (workload->items);
  g_free (workload->expected);
  g_free (workload->key);
}

static void
print_row (const char *kind,
           guint       n_tasks,
           double     *ms)
{
  g_autofree char *label = g_strdup_printf ("%u %s tasks", n_tasks, kind);

  g_print ("%-26s %13.2f ms %13.2f ms %13.2f ms\n",
           label, ms[SEQUENTIAL], ms[HAND_POOL], ms[PMAP]);
}

static void
print_ratio (const char *label,
             double      ratio,
             double      target)
{
  g_print ("%-44s %5.2f  (target <= %.2f): target %s\n",
           label, ratio, target, ratio <= target ? "met" : "missed");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *json_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PmapExecutor) executor = NULL;
  g_autoptr(PmapBackend) threads = NULL;
  GOptionEntry entries[] = {
    { "cpu-reps", 0, 0, G_OPTION_ARG_INT, &n_cpu_reps, "Runs of the CPU-bound workload per method", "N" },
    { "tiny-reps", 0, 0, G_OPTION_ARG_INT, &n_tiny_reps, "Runs of the tiny-task workload per method", "N" },
    { "tiny-tasks", 0, 0, G_OPTION_ARG_INT, &n_tiny_tasks, "Tasks of the tiny-task workload (100000)", "N" },
    { "cpu-rounds", 0, 0, G_OPTION_ARG_INT64, &n_cpu_rounds,
      "Size of a CPU-bound task (default: what takes " G_STRINGIFY (BENCH_CPU_TASK_MS) " ms here)", "ROUNDS" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "Also write every run's time to FILE", "FILE" },
    { NULL }
  };
  g_autoptr(BenchRecord) record = NULL;
  HandPool hand = { 0 };
  Workload cpu, tiny;
  Runner runners[N_RUNNERS] = { run_sequential, run_hand_pool, run_pmap };
  gpointer runner_data[N_RUNNERS];
  double cpu_ms[N_RUNNERS], tiny_ms[N_RUNNERS];
  guint64 n_rounds;
  gboolean ok = TRUE;

  context = g_option_context_new ("— time pmap-glib's threads backend");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }
  if (n_cpu_reps < 1 || n_tiny_reps < 1 || n_tiny_tasks < 1 || n_cpu_rounds < 0)
    {
      g_printerr ("Every workload needs at least one run and one task\n");
      return EXIT_FAILURE;
    }

  executor = pmap_executor_new ();
  threads = pmap_backend_create ("threads", &error);
  g_assert_no_error (error);
  pmap_executor_set_backend (executor, threads);
  pmap_executor_set_n_jobs (executor, N_JOBS);

  g_mutex_init (&hand.mutex);
  g_cond_init (&hand.cond);
  hand.pool = g_thread_pool_new (hand_pool_run_one, &hand, N_JOBS, TRUE, &error);
  g_assert_no_error (error);

  runner_data[SEQUENTIAL] = NULL;
  runner_data[HAND_POOL] = &hand;
  runner_data[PMAP] = executor;

  n_rounds = n_cpu_rounds > 0 ? (guint64) n_cpu_rounds : bench_calibrate_rounds (BENCH_CPU_TASK_MS);
  workload_init (&cpu, "CPU-bound", g_strdup ("cpu-c"), bench_cpu_task, N_CPU_TASKS, n_cpu_reps);
  for (guint i = 0; i < cpu.n_items; i++)
    {
      cpu.items[i] = g_variant_ref_sink (g_variant_new ("(tt)", (guint64) i, n_rounds));
      cpu.expected[i] = g_variant_ref_sink (g_variant_new_uint64 (bench_mix (i, n_rounds)));
    }

  workload_init (&tiny, "tiny-task", g_strdup_printf ("tiny-%d", n_tiny_tasks),
                 tiny_task, n_tiny_tasks, n_tiny_reps);
  for (guint i = 0; i < tiny.n_items; i++)
    {
      tiny.items[i] = g_variant_ref_sink (g_variant_new_int64 (i));
      tiny.expected[i] = g_variant_ref_sink (g_variant_new_int64 ((gint64) i + 1));
    }

  g_print ("pmap-glib threads benchmark: %u processors, %d jobs, medians of "
           "%d (CPU-bound) and %d (tiny) runs\n\n",
           g_get_num_processors (), N_JOBS, n_cpu_reps, n_tiny_reps);

  /* A first round starts every pool's threads and warms the caches. */
  {
    Workload warm_up = tiny;
    double ignored[N_RUNNERS];

    warm_up.n_reps = 1;
    ok &= measure (&warm_up, runners, runner_data, ignored, NULL);
  }

  if (json_path != NULL)
    {
      record = bench_record_new ("threads");
      bench_record_set_number (record, "processors", g_get_num_processors ());
      bench_record_set_number (record, "cpu_rounds", n_rounds);
    }
  ok &= measure (&cpu, runners, runner_data, cpu_ms, record);
  ok &= measure (&tiny, runners, runner_data, tiny_ms, record);

  g_print ("%-26s %16s %16s %16s\n", "workload",
           runner_names[SEQUENTIAL], runner_names[HAND_POOL], runner_names[PMAP]);
  print_row ("CPU-bound", N_CPU_TASKS, cpu_ms);
  print_row ("tiny", n_tiny_tasks, tiny_ms);
  g_print ("(one CPU-bound task takes about %.1f ms in the loop)\n\n",
           cpu_ms[SEQUENTIAL] / N_CPU_TASKS);

  print_ratio ("CPU-bound: pmap threads / sequential loop",
               cpu_ms[PMAP] / cpu_ms[SEQUENTIAL], CPU_TARGET);
  print_ratio ("tiny: pmap threads / GThreadPool loop",
               tiny_ms[PMAP] / tiny_ms[HAND_POOL], TINY_TARGET);
  print_ratio ("tiny: pmap threads / sequential loop",
               tiny_ms[PMAP] / tiny_ms[SEQUENTIAL], TINY_LOOP_TARGET);

  if (record != NULL && !bench_record_write (record, json_path, &error))
    {
      g_printerr ("%s\n", error->message);
      ok = FALSE;
    }

  g_thread_pool_free (hand.pool, FALSE, TRUE);
  g_mutex_clear (&hand.mutex);
  g_cond_clear (&hand.cond);
  workload_clear (&cpu);
  workload_clear (&tiny);

  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
